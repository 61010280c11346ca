package vk

import (
	"unsafe"

	api "github.com/vulkan-go/vulkan"
)

// newQueryPool creates the timestamp pool used by profiling recorders. Caller holds c.mu.
func (c *Context) newQueryPool() error {
	info := &api.QueryPoolCreateInfo{
		SType:      api.StructureTypeQueryPoolCreateInfo,
		QueryType:  api.QueryTypeTimestamp,
		QueryCount: maxQueries,
	}
	var pool api.QueryPool
	err := check(api.CreateQueryPool(c.device, info, nil, &pool), "vkCreateQueryPool")
	c.queryPool = pool
	return err
}

// readTimestamps turns the timestamps after each marked dispatch into durations.
func (c *Context) readTimestamps(marks []Timing) ([]Timing, error) {
	n := len(marks) + 1
	raw := make([]uint64, n)
	flags := api.QueryResultFlags(api.QueryResult64Bit | api.QueryResultWaitBit)
	if err := check(api.GetQueryPoolResults(c.device, c.queryPool, 0, uint32(n), uint(8*n), unsafe.Pointer(&raw[0]), 8, flags), "vkGetQueryPoolResults"); err != nil {
		return nil, err
	}
	period := float64(c.phys.info.Limits.TimestampPeriodNs)
	out := append([]Timing(nil), marks...)
	for i := range out {
		out[i].Ns = float64(raw[i+1]-raw[i]) * period
	}
	return out, nil
}
