package vk

/*
#include <stdint.h>

// VkValidationFeaturesEXT asking for synchronization validation. Static, so
// the instance's pNext chain points into C memory.
typedef struct {
	int32_t sType; const void* pNext;
	uint32_t enabledCount; const int32_t* enabled;
	uint32_t disabledCount; const int32_t* disabled;
} vkp_validation_features;
static const int32_t vkp_syncval = 4; // VK_VALIDATION_FEATURE_ENABLE_SYNCHRONIZATION_VALIDATION_EXT
static vkp_validation_features vkp_syncval_features = {1000247000, 0, 1, &vkp_syncval, 0, 0}; // VK_STRUCTURE_TYPE_VALIDATION_FEATURES_EXT
static void* vkp_syncval_chain(void) { return &vkp_syncval_features; }
*/
import "C"

import (
	"unsafe"

	api "github.com/vulkan-go/vulkan"
)

const extValidationFeatures = "VK_EXT_validation_features"

// syncValidation is the pNext chain that turns on the layer's
// synchronization validation, and the extension it needs, or nil where the
// layer lacks it. Lavapipe runs a command buffer's dispatches one after
// another, so a missing barrier gives right answers there and wrong ones
// on a GPU; the synchronization checks find it from the recorded commands
// on any driver.
func syncValidation() unsafe.Pointer {
	if !layerHasExtension(validationLayer, extValidationFeatures) {
		return nil
	}
	return C.vkp_syncval_chain()
}

func layerHasExtension(layer, ext string) bool {
	var n uint32
	if api.EnumerateInstanceExtensionProperties(cstr(layer), &n, nil) != api.Success || n == 0 {
		return false
	}
	props := make([]api.ExtensionProperties, n)
	if api.EnumerateInstanceExtensionProperties(cstr(layer), &n, props) != api.Success {
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
