package vk

/*
#include <stdint.h>

// VkValidationFeaturesEXT for the two modes. Static, so the instance's
// pNext chain points into C memory.
typedef struct {
	int32_t sType; const void* pNext;
	uint32_t enabledCount; const int32_t* enabled;
	uint32_t disabledCount; const int32_t* disabled;
} vkp_validation_features;
#define VKP_VALIDATION_FEATURES 1000247000
static const int32_t vkp_syncval = 4;     // VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT
static const int32_t vkp_gpuav = 0;       // VK_VALIDATION_FEATURE_ENABLE_GPU_ASSISTED_EXT
static const int32_t vkp_core_checks = 5; // VK_VALIDATION_FEATURE_DISABLE_CORE_CHECKS_EXT
static vkp_validation_features vkp_syncval_features = {VKP_VALIDATION_FEATURES, 0, 1, &vkp_syncval, 0, 0};
static vkp_validation_features vkp_gpuav_features = {VKP_VALIDATION_FEATURES, 0, 1, &vkp_gpuav, 1, &vkp_core_checks};
static void* vkp_validation_chain(int gpu) { return gpu ? &vkp_gpuav_features : &vkp_syncval_features; }
*/
import "C"

import (
	"runtime"
	"unsafe"

	api "github.com/vulkan-go/vulkan"
)

const extValidationFeatures = "VK_EXT_validation_features"

// validationFeatures is the pNext chain that picks the layer's checks, or
// nil where the layer lacks the extension. By default, with the core checks,
// synchronization validation: lavapipe runs a command buffer's dispatches
// one after another, so a missing barrier gives right answers there and
// wrong ones on a GPU; the layer finds it from the recorded commands on any
// driver. With gpu, GPU-assisted validation instead (core checks off, as the
// layer advises for speed): shaders are instrumented to report reads and
// writes outside their buffers. Lavapipe reads zeros there and drops such
// writes; a GPU touches whatever memory lies beside.
func validationFeatures(gpu bool) unsafe.Pointer {
	if !layerHasExtension(validationLayer, extValidationFeatures) {
		return nil
	}
	g := C.int(0)
	if gpu {
		g = 1
	}
	return C.vkp_validation_chain(g)
}

func layerHasExtension(layer, ext string) bool {
	var n uint32
	name := cstr(layer)
	defer runtime.KeepAlive(name) // C reads the string's Go memory (cstr)
	if api.EnumerateInstanceExtensionProperties(name, &n, nil) != api.Success || n == 0 {
		return false
	}
	props := make([]api.ExtensionProperties, n)
	if api.EnumerateInstanceExtensionProperties(name, &n, props) != api.Success {
		return false
	}
	for i := range props {
		props[i].Deref()
		if api.ToString(props[i].ExtensionName[:]) == ext {
			return true
		}
	}
	return false
}
