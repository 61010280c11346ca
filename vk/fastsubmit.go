package vk

/*
#include <stdint.h>

// VkSubmitInfo with one command buffer, laid out as the C API has it.
typedef struct {
	int32_t sType; const void* pNext;
	uint32_t waitCount; const void* waits; const void* waitStages;
	uint32_t cmdCount; const void* cmds;
	uint32_t signalCount; const void* signals;
} vkp_submit_info;

typedef int32_t (*vkp_submit_fn)(void*, uint32_t, const vkp_submit_info*, uint64_t);
typedef int32_t (*vkp_wait_fn)(void*, uint32_t, const uint64_t*, uint32_t, uint64_t);
typedef int32_t (*vkp_reset_fn)(void*, uint32_t, const uint64_t*);

static int32_t vkp_submit_one(void* fn, void* queue, void* cmd, uint64_t fence) {
	vkp_submit_info s = {4, 0, 0, 0, 0, 1, &cmd, 0, 0}; // 4: VK_STRUCTURE_TYPE_SUBMIT_INFO
	return ((vkp_submit_fn)fn)(queue, 1, &s, fence);
}

static int32_t vkp_wait_reset(void* wait, void* reset, void* dev, uint64_t fence) {
	int32_t r = ((vkp_wait_fn)wait)(dev, 1, &fence, 1, UINT64_MAX);
	if (r != 0) return r;
	return ((vkp_reset_fn)reset)(dev, 1, &fence);
}
*/
import "C"

import (
	"unsafe"

	api "github.com/vulkan-go/vulkan"
)

// The per-frame calls of a Program go straight to the loader's entry points:
// vulkan-go converts every argument struct into freshly allocated C memory,
// which would make each frame allocate. These take handles only.
var fast struct{ submit, wait, reset, features2, props2, gipa unsafe.Pointer }

// loadFast resolves the entry points from the loader handle (layers still
// apply): the 1.0 commands must be there (resolve), the 1.1 queries may be
// absent (features2, props2 nil).
func loadFast(sym func(string) unsafe.Pointer) error {
	fast.features2 = sym("vkGetPhysicalDeviceFeatures2") // Vulkan 1.1 core
	fast.props2 = sym("vkGetPhysicalDeviceProperties2")
	fast.gipa = sym("vkGetInstanceProcAddr")
	return resolve(sym, []entryPoint{{&fast.submit, "vkQueueSubmit"}, {&fast.wait, "vkWaitForFences"}, {&fast.reset, "vkResetFences"}})
}

func handle[T any](h T) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&h)) }

func fenceBits(f api.Fence) C.uint64_t { return C.uint64_t(uintptr(handle(f))) }

// submitOne submits one command buffer with a fence, allocating nothing.
func submitOne(q api.Queue, cmd api.CommandBuffer, f api.Fence) api.Result {
	return api.Result(C.vkp_submit_one(fast.submit, handle(q), handle(cmd), fenceBits(f)))
}

// waitReset waits for a fence and resets it, allocating nothing.
func waitReset(dev api.Device, f api.Fence) api.Result {
	return api.Result(C.vkp_wait_reset(fast.wait, fast.reset, handle(dev), fenceBits(f)))
}
