package vk

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef void* (*vkp_gipa_fn)(void*, const char*);

// VkCooperativeMatrixPropertiesNV.
typedef struct {
	int32_t sType; void* pNext;
	uint32_t m, n, k;
	int32_t a, b, c, d, scope;
} vkp_coop_props;
typedef int32_t (*vkp_coop_props_fn)(void*, uint32_t*, vkp_coop_props*);

// VkPhysicalDeviceCooperativeMatrixFeaturesNV.
typedef struct {
	int32_t sType; void* pNext;
	uint32_t cooperativeMatrix, robustBufferAccess;
} vkp_coop_features;

// VkPhysicalDeviceSubgroupProperties.
typedef struct {
	int32_t sType; void* pNext;
	uint32_t subgroupSize, stages, operations, quad;
} vkp_subgroup;

// VkPhysicalDeviceProperties2 with room for VkPhysicalDeviceProperties (824 bytes).
typedef struct {
	int32_t sType; void* pNext;
	uint64_t props[128];
} vkp_props2;
typedef void (*vkp_props2_fn)(void*, vkp_props2*);

// VkPhysicalDeviceFeatures2 (as in float16.go).
typedef struct {
	int32_t sType; void* pNext;
	uint32_t features[55];
} vkp_features2b;
typedef void (*vkp_features2b_fn)(void*, vkp_features2b*);

#define VKP_COOP_FEATURES 1000249000
#define VKP_COOP_PROPS 1000249001
#define VKP_SUBGROUP_PROPS 1000094000
#define VKP_PROPS2 1000059001
#define VKP_FEATURES2B 1000059000
#define VKP_FLOAT16 0
#define VKP_FLOAT32 1
#define VKP_SCOPE_SUBGROUP 3

// 1 when the device multiplies 16x16x16 binary16 tiles into fp32 at
// subgroup scope, in 32-wide subgroups, with the feature on.
static int vkp_coop_tiles(void* gipa, void* inst, void* phys, void* props2, void* feats2) {
	vkp_coop_props_fn fn = (vkp_coop_props_fn)((vkp_gipa_fn)gipa)(inst, "vkGetPhysicalDeviceCooperativeMatrixPropertiesNV");
	if (!fn || !props2 || !feats2) return 0;
	vkp_coop_features f = {VKP_COOP_FEATURES, 0, 0, 0};
	vkp_features2b f2 = {VKP_FEATURES2B, &f};
	((vkp_features2b_fn)feats2)(phys, &f2);
	if (!f.cooperativeMatrix) return 0;
	vkp_subgroup sg = {VKP_SUBGROUP_PROPS, 0, 0, 0, 0, 0};
	vkp_props2 p2;
	memset(&p2, 0, sizeof p2);
	p2.sType = VKP_PROPS2; p2.pNext = &sg;
	((vkp_props2_fn)props2)(phys, &p2);
	if (sg.subgroupSize != 32) return 0;
	uint32_t n = 0;
	if (fn(phys, &n, 0) != 0 || n == 0 || n > 256) return 0;
	vkp_coop_props ps[256];
	for (uint32_t i = 0; i < n; i++) { memset(&ps[i], 0, sizeof ps[i]); ps[i].sType = VKP_COOP_PROPS; }
	if (fn(phys, &n, ps) != 0) return 0;
	for (uint32_t i = 0; i < n; i++) {
		vkp_coop_props* q = &ps[i];
		if (q->m == 16 && q->n == 16 && q->k == 16 && q->a == VKP_FLOAT16 && q->b == VKP_FLOAT16 &&
		    q->c == VKP_FLOAT32 && q->d == VKP_FLOAT32 && q->scope == VKP_SCOPE_SUBGROUP) return 1;
	}
	return 0;
}

static void* vkp_coop_chain(void* next) {
	vkp_coop_features* f = malloc(sizeof *f);
	if (f) { f->sType = VKP_COOP_FEATURES; f->pNext = next; f->cooperativeMatrix = 1; f->robustBufferAccess = 0; }
	return f;
}
*/
import "C"

import (
	"unsafe"

	api "github.com/vulkan-go/vulkan"
)

// extCoopNV is the extension behind the MMA kernels' native tiles.
const extCoopNV = "VK_NV_cooperative_matrix"

// hasMatrixTiles asks the device for what conv3x3_mma.comp's COOP_NV form
// needs: 16x16x16 binary16 tiles summed in fp32 at subgroup scope, and
// 32-wide subgroups (four per workgroup, one per 16-pixel tile).
func hasMatrixTiles(in api.Instance, h api.PhysicalDevice) bool {
	if fast.gipa == nil {
		return false
	}
	return C.vkp_coop_tiles(fast.gipa, handle(in), handle(h), fast.props2, fast.features2) != 0
}

// coopChain returns C memory enabling cooperativeMatrix, chained before
// next; free it with freeChain after vkCreateDevice.
func coopChain(next unsafe.Pointer) unsafe.Pointer { return C.vkp_coop_chain(next) }
