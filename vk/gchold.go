package vk

import (
	"runtime/debug"
	"sync"
)

// vulkan-go converts slice arguments (create infos, bindings, barriers,
// copy regions, and arrays it fills in) into C memory that it frees from a
// finalizer set on a value that is unreachable as soon as the conversion
// returns: a garbage collection between the conversion and the end of the
// call can free what the driver is reading or writing. It was seen as a
// rare crash in lavapipe's vkCreateComputePipelines (a pNext of 0x71 in the
// freed create info), and every time under a collecting goroutine
// (kernels.TestVulkanCallsUnderCollection). The calls made after setup
// build their structs in C (capi.go); instance and device setup run under
// holdGC.
// (A runtime.GC called by another goroutine during a hold still collects:
// only setup is left exposed to that.)
var gcHold struct {
	sync.Mutex
	n, percent int
}

// holdGC runs f with the collector off (and any collection in progress
// finished), so that no finalizer can free f's converted arguments before f
// returns. Concurrent holders share one hold.
func holdGC(f func()) {
	gcHold.Lock()
	if gcHold.n == 0 {
		gcHold.percent = debug.SetGCPercent(-1)
	}
	gcHold.n++
	gcHold.Unlock()
	defer func() {
		gcHold.Lock()
		if gcHold.n--; gcHold.n == 0 {
			debug.SetGCPercent(gcHold.percent)
		}
		gcHold.Unlock()
	}()
	f()
}
