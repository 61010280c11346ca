package vk

/*
#include <stdint.h>
#include <stdlib.h>

// VkPhysicalDeviceShaderFloat16Int8Features, as the C API lays it out.
typedef struct {
	int32_t sType; void* pNext;
	uint32_t shaderFloat16; uint32_t shaderInt8;
} vkp_float16_int8;

// VkPhysicalDeviceFeatures2: the 55 VkBool32 of VkPhysicalDeviceFeatures follow pNext.
typedef struct {
	int32_t sType; void* pNext;
	uint32_t features[55];
} vkp_features2;

typedef void (*vkp_features2_fn)(void*, vkp_features2*);

#define VKP_FLOAT16_INT8 1000082000 // VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SHADER_FLOAT16_INT8_FEATURES
#define VKP_FEATURES2 1000059000    // VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2

static int vkp_has_float16(void* fn, void* phys) {
	vkp_float16_int8 f = {VKP_FLOAT16_INT8, 0, 0, 0};
	vkp_features2 f2 = {VKP_FEATURES2, &f};
	((vkp_features2_fn)fn)(phys, &f2);
	return f.shaderFloat16 != 0;
}

static void* vkp_float16_chain(void* next) {
	vkp_float16_int8* f = malloc(sizeof *f);
	if (f) { f->sType = VKP_FLOAT16_INT8; f->pNext = next; f->shaderFloat16 = 1; f->shaderInt8 = 0; }
	return f;
}
*/
import "C"

import (
	"unsafe"

	api "github.com/vulkan-go/vulkan"
)

// extFloat16 is the device extension behind shaderFloat16 on Vulkan 1.1.
const extFloat16 = "VK_KHR_shader_float16_int8"

// hasShaderFloat16 asks the device (vkGetPhysicalDeviceFeatures2) whether
// shaders may compute in binary16; the extension alone does not promise it.
func hasShaderFloat16(h api.PhysicalDevice) bool {
	if fast.features2 == nil {
		return false
	}
	return C.vkp_has_float16(fast.features2, handle(h)) != 0
}

// float16Chain returns C memory enabling shaderFloat16, chained before next;
// free it with C.free after vkCreateDevice (freeChain).
func float16Chain(next unsafe.Pointer) unsafe.Pointer { return C.vkp_float16_chain(next) }

func freeChain(p unsafe.Pointer) { C.free(p) }
