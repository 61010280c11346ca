package vk

import (
	"runtime"
	"sync"
)

// vulkan-go converts slice arguments (create infos, bindings, barriers,
// copy regions, and arrays it fills in) into C memory that it frees from a
// finalizer set on a value that is unreachable as soon as the conversion
// returns: a garbage collection between the conversion and the end of the
// call can free what the driver is reading or writing. It was seen as a
// rare crash in lavapipe's vkCreateComputePipelines (a pNext of 0x71 in the
// freed create info) under a collecting goroutine
// (kernels.TestVulkanCallsUnderCollection), and as heap corruption when
// another goroutine called runtime.GC during instance setup
// (TestSetupUnderExplicitCollection, 9 runs in 30 under the earlier guard,
// which turned the collector off and so could not stop an explicit one).
// The calls made after setup build their structs in C (capi.go); instance
// and device setup run under holdFinalizers. A second hazard is not a
// finalizer's: vulkan-go stores Go pointers (strings, slices) inside the C
// structs it builds, where the collector does not see them, so the Go
// struct must stay reachable until the call returns (runtime.KeepAlive;
// newInstance, init, descriptorSet), or pinned for long calls (pipeline.go).
var gate struct {
	sync.Mutex
	n       int
	release chan struct{}
}

// gateObject is what the gate's finalizer is set on: holding a pointer, it
// is never batched with other objects by the tiny allocator, whose
// finalizers may not run.
type gateObject struct {
	_ *byte
	_ [2]uint64
}

// holdFinalizers runs f while the program's finalizer goroutine is parked
// inside a finalizer of ours, so that no finalizer can free f's converted
// arguments before f returns, whatever collects meanwhile (a single
// goroutine runs all finalizers, sequentially: runtime.SetFinalizer's
// documentation). Parking it takes one runtime.GC; other finalizers of the
// program wait until f returns. Concurrent holders share one hold.
func holdFinalizers(f func()) {
	gate.Lock()
	if gate.n == 0 {
		started, release := make(chan struct{}), make(chan struct{})
		obj := &gateObject{}
		runtime.SetFinalizer(obj, func(*gateObject) {
			close(started)
			<-release
		})
		obj = nil
		// runtime.GC returns after the cycle's sweep, so the finalizer is
		// queued; wait until the finalizer goroutine is inside it.
		runtime.GC()
		<-started
		gate.release = release
	}
	gate.n++
	gate.Unlock()
	defer func() {
		gate.Lock()
		if gate.n--; gate.n == 0 {
			close(gate.release)
		}
		gate.Unlock()
	}()
	f()
}
