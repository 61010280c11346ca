package vk

import (
	"fmt"
	"runtime"
	"strings"

	api "github.com/vulkan-go/vulkan"
)

// descriptorCache keeps one descriptor set per (kernel, bound buffers). Pooled
// buffers come back in the same order on every call of the same shape, so in
// steady state every dispatch finds its set here and nothing is allocated.
type descriptorCache struct {
	pools []api.DescriptorPool
	sets  map[string]cachedSet
	byBuf map[uint64][]string // buffer id -> keys that bind it
}

type cachedSet struct {
	set  api.DescriptorSet
	pool api.DescriptorPool
}

const setsPerPool = 256

func setKey(k *Kernel, bufs []*Buffer) string {
	var sb strings.Builder
	sb.WriteString(k.key)
	for _, b := range bufs {
		fmt.Fprintf(&sb, "|%d", b.id)
	}
	return sb.String()
}

func (c *Context) newDescriptorPool() error {
	flags := api.DescriptorPoolCreateFlags(api.DescriptorPoolCreateFreeDescriptorSetBit)
	types := []api.DescriptorType{api.DescriptorTypeStorageBuffer, api.DescriptorTypeUniformBuffer, api.DescriptorTypeUniformTexelBuffer}
	counts := []uint32{setsPerPool * 8, setsPerPool, setsPerPool * 4}
	pool, r := createPool(c.device, flags, setsPerPool, types, counts)
	if err := check(r, "vkCreateDescriptorPool"); err != nil {
		return err
	}
	c.sets.pools = append(c.sets.pools, pool)
	return nil
}

// descriptorSet returns the set binding bufs to k's bindings 0..n-1. Caller holds c.mu.
func (c *Context) descriptorSet(k *Kernel, bufs []*Buffer) (api.DescriptorSet, error) {
	d := &c.sets
	if d.sets == nil {
		d.sets = map[string]cachedSet{}
		d.byBuf = map[uint64][]string{}
	}
	key := setKey(k, bufs)
	if s, ok := d.sets[key]; ok {
		return s.set, nil
	}
	var set api.DescriptorSet
	for attempt := 0; ; attempt++ {
		if len(d.pools) == 0 || attempt > 0 {
			if err := c.newDescriptorPool(); err != nil {
				return nil, err
			}
		}
		ainfo := &api.DescriptorSetAllocateInfo{
			SType:              api.StructureTypeDescriptorSetAllocateInfo,
			DescriptorPool:     d.pools[len(d.pools)-1],
			DescriptorSetCount: 1,
			PSetLayouts:        []api.DescriptorSetLayout{k.setLayout},
		}
		r := api.AllocateDescriptorSets(c.device, ainfo, &set)
		// vulkan-go passes PSetLayouts as a Go pointer inside a C struct,
		// which the collector does not see: hold it until the call returns.
		runtime.KeepAlive(ainfo)
		if r == api.Success {
			break
		}
		// A full pool answers OUT_OF_POOL_MEMORY or FRAGMENTED_POOL: start another once.
		if attempt > 0 {
			return nil, check(r, "vkAllocateDescriptorSets")
		}
	}
	c.stats.DescriptorSets++
	ws := make([]setWrite, len(bufs))
	for i, b := range bufs {
		ws[i] = setWrite{typ: k.shader.descriptorType(i), buf: b.handle, rng: uint64(api.WholeSize)}
		switch ws[i].typ {
		case api.DescriptorTypeUniformTexelBuffer:
			view, err := c.texelView(b, k.shader.TexelHalf)
			if err != nil {
				api.FreeDescriptorSets(c.device, d.pools[len(d.pools)-1], 1, &set)
				return nil, err
			}
			ws[i].buf, ws[i].view = nil, view
		case api.DescriptorTypeUniformBuffer:
			// A uniform binding may cover no more than the device's limit.
			ws[i].rng = min(b.capacity, uint64(c.phys.info.Limits.MaxUniformBufferRange))
		}
	}
	if err := check(updateSet(c.device, set, ws), "vkUpdateDescriptorSets"); err != nil {
		api.FreeDescriptorSets(c.device, d.pools[len(d.pools)-1], 1, &set)
		return nil, err
	}
	d.sets[key] = cachedSet{set: set, pool: d.pools[len(d.pools)-1]}
	for _, b := range bufs {
		d.byBuf[b.id] = append(d.byBuf[b.id], key)
	}
	return set, nil
}

// forget frees the sets that bind a buffer being freed.
func (d *descriptorCache) forget(dev api.Device, id uint64) {
	for _, key := range d.byBuf[id] {
		if s, ok := d.sets[key]; ok {
			set := s.set
			api.FreeDescriptorSets(dev, s.pool, 1, &set)
			delete(d.sets, key)
		}
	}
	delete(d.byBuf, id)
}

func (d *descriptorCache) destroy(dev api.Device) {
	for _, p := range d.pools {
		api.DestroyDescriptorPool(dev, p, nil)
	}
	d.pools = nil
	d.sets = nil
	d.byBuf = nil
}

// texelBytes is the size of a texel view's texels: 128 bits, four fp32
// (rgba32f) or eight binary16 read raw (rgba32ui).
const texelBytes = 16

// texelFormat is the view index and format of a texel view.
func texelFormat(half bool) (int, api.Format) {
	if half {
		return 1, api.FormatR32g32b32a32Uint
	}
	return 0, api.FormatR32g32b32a32Sfloat
}

// FitsTexelView reports whether one texel view of 128-bit texels covers the
// whole of b on this device.
func (b *Buffer) FitsTexelView() bool {
	return b.capacity/texelBytes <= uint64(b.ctx.phys.info.Limits.MaxTexelBufferElements)
}

// texelView is b's view as 128-bit texels (eight binary16 read as rgba32ui
// if half, else four fp32) over the whole buffer, made on first use and kept
// until b is freed. Caller holds c.mu.
func (c *Context) texelView(b *Buffer, half bool) (api.BufferView, error) {
	i, format := texelFormat(half)
	if b.views[i] != nil {
		return b.views[i], nil
	}
	n := b.capacity / texelBytes
	if n == 0 || !b.FitsTexelView() {
		return nil, fmt.Errorf("vulkan: no texel view covers a %d-byte buffer (%d-byte texels, at most %d of them)",
			b.capacity, texelBytes, c.phys.info.Limits.MaxTexelBufferElements)
	}
	info := &api.BufferViewCreateInfo{
		SType:  api.StructureTypeBufferViewCreateInfo,
		Buffer: b.handle,
		Format: format,
		Range:  api.DeviceSize(n * texelBytes),
	}
	var view api.BufferView
	if err := check(api.CreateBufferView(c.device, info, nil, &view), "vkCreateBufferView"); err != nil {
		return nil, err
	}
	b.views[i] = view
	return view, nil
}
