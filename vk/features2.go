package vk

/*
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

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
typedef void* (*vkp_gipa_fn)(void*, const char*);

static void* vkp_instance_proc(void* gipa, void* inst, const char* name) { return ((vkp_gipa_fn)gipa)(inst, name); }

// VkPhysicalDevicePipelineExecutablePropertiesFeaturesKHR.
typedef struct { int32_t sType; void* pNext; uint32_t info; } vkp_pexec_features;
#define VKP_PEXEC_FEATURES 1000269000

static int vkp_has_pexec(void* feats2, void* phys) {
	vkp_pexec_features f = {VKP_PEXEC_FEATURES, 0, 0};
	vkp_features2 f2 = {VKP_FEATURES2, &f};
	((vkp_features2_fn)feats2)(phys, &f2);
	return f.info != 0;
}

static void* vkp_pexec_chain(void* next) {
	vkp_pexec_features* f = malloc(sizeof *f);
	if (f) { f->sType = VKP_PEXEC_FEATURES; f->pNext = next; f->info = 1; }
	return f;
}

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

#define VKP_COOP_FEATURES 1000249000
#define VKP_COOP_PROPS 1000249001
#define VKP_SUBGROUP_PROPS 1000094000
#define VKP_PROPS2 1000059001
#define VKP_FLOAT16 0
#define VKP_FLOAT32 1
#define VKP_SCOPE_SUBGROUP 3

// The subgroup size, and whether compute shaders may shuffle within one and
// sum across one (basic and arithmetic operations).
static uint32_t vkp_subgroup_size(void* props2, void* phys, int* shuffle, int* sum) {
	*shuffle = 0, *sum = 0;
	if (!props2) return 0;
	vkp_subgroup sg = {VKP_SUBGROUP_PROPS, 0, 0, 0, 0, 0};
	vkp_props2 p2;
	memset(&p2, 0, sizeof p2);
	p2.sType = VKP_PROPS2; p2.pNext = &sg;
	((vkp_props2_fn)props2)(phys, &p2);
	*shuffle = (sg.stages & 0x20) && (sg.operations & 0x10); // COMPUTE_BIT, SHUFFLE_BIT
	*sum = (sg.stages & 0x20) && (sg.operations & 0x5) == 0x5; // BASIC_BIT, ARITHMETIC_BIT
	return sg.subgroupSize;
}

// VkCooperativeMatrixPropertiesKHR.
typedef struct {
	int32_t sType; void* pNext;
	uint32_t m, n, k;
	int32_t a, b, c, result;
	uint32_t saturating;
	int32_t scope;
} vkp_coop_props_khr;
typedef int32_t (*vkp_coop_props_khr_fn)(void*, uint32_t*, vkp_coop_props_khr*);

// VkPhysicalDeviceVulkanMemoryModelFeatures: glslang declares the Vulkan
// memory model in every cooperative-matrix shader, NV and KHR alike. Once
// the model is enabled, an atomic of device scope (GLSL's on a buffer: the
// map histogram's) needs deviceScope enabled too (VUID-RuntimeSpirv-
// vulkanMemoryModel-06265); Vulkan 1.3 requires both.
typedef struct {
	int32_t sType; void* pNext;
	uint32_t model, deviceScope, chains;
} vkp_memory_model;

// VkPhysicalDeviceSubgroupSizeControlFeatures: KHR cooperative-matrix
// pipelines below SPIR-V 1.6 must be made with full subgroups.
typedef struct {
	int32_t sType; void* pNext;
	uint32_t sizeControl, computeFull;
} vkp_sg_control;

// VkPhysicalDeviceSubgroupSizeControlProperties.
typedef struct {
	int32_t sType; void* pNext;
	uint32_t minSize, maxSize, maxComputeSubgroups, requiredStages;
} vkp_sg_size_props;

#define VKP_MEMORY_MODEL 1000211000
#define VKP_SG_SIZE_PROPS 1000225000
#define VKP_SG_CONTROL 1000225002
#define VKP_COOP_KHR_FEATURES 1000506000
#define VKP_COOP_KHR_PROPS 1000506001

// Whether the device has the cooperative-matrix feature (KHR or NV), the
// Vulkan memory model at device scope and, for KHR, full compute subgroups.
static int vkp_coop_feature(void* feats2, void* phys, int khr) {
	vkp_sg_control sg = {VKP_SG_CONTROL, 0, 0, 0};
	vkp_memory_model mm = {VKP_MEMORY_MODEL, khr ? &sg : 0, 0, 0, 0};
	vkp_coop_features f = {khr ? VKP_COOP_KHR_FEATURES : VKP_COOP_FEATURES, &mm, 0, 0};
	vkp_features2 f2 = {VKP_FEATURES2, &f};
	((vkp_features2_fn)feats2)(phys, &f2);
	return f.cooperativeMatrix && mm.model && mm.deviceScope && (!khr || sg.computeFull);
}

// 1 when the device multiplies 16x16x16 binary16 tiles into fp32 at
// subgroup scope through VK_NV_cooperative_matrix, in 32-wide subgroups.
static int vkp_coop_tiles(void* gipa, void* inst, void* phys, void* props2, void* feats2) {
	vkp_coop_props_fn fn = (vkp_coop_props_fn)((vkp_gipa_fn)gipa)(inst, "vkGetPhysicalDeviceCooperativeMatrixPropertiesNV");
	if (!fn || !props2 || !feats2 || !vkp_coop_feature(feats2, phys, 0)) return 0;
	int shuffle, sum;
	if (vkp_subgroup_size(props2, phys, &shuffle, &sum) != 32) return 0;
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

// The tile shapes (M, N, K; three words each in shapes, at most max) of
// binary16 products summed in fp32 at subgroup scope without saturation
// that VK_KHR_cooperative_matrix offers; the count.
static uint32_t vkp_coop_khr_shapes(void* gipa, void* inst, void* phys, void* props2, void* feats2, uint32_t* shapes, uint32_t max) {
	vkp_coop_props_khr_fn fn = (vkp_coop_props_khr_fn)((vkp_gipa_fn)gipa)(inst, "vkGetPhysicalDeviceCooperativeMatrixPropertiesKHR");
	if (!fn || !props2 || !feats2 || !vkp_coop_feature(feats2, phys, 1)) return 0;
	uint32_t n = 0;
	if (fn(phys, &n, 0) != 0 || n == 0 || n > 256) return 0;
	vkp_coop_props_khr ps[256];
	for (uint32_t i = 0; i < n; i++) { memset(&ps[i], 0, sizeof ps[i]); ps[i].sType = VKP_COOP_KHR_PROPS; }
	if (fn(phys, &n, ps) != 0) return 0;
	uint32_t found = 0;
	for (uint32_t i = 0; i < n && found < max; i++) {
		vkp_coop_props_khr* q = &ps[i];
		if (q->a == VKP_FLOAT16 && q->b == VKP_FLOAT16 && q->c == VKP_FLOAT32 && q->result == VKP_FLOAT32 &&
		    !q->saturating && q->scope == VKP_SCOPE_SUBGROUP) {
			shapes[3*found] = q->m; shapes[3*found+1] = q->n; shapes[3*found+2] = q->k;
			found++;
		}
	}
	return found;
}

// Whether compute pipelines may require a subgroup size (the
// subgroupSizeControl feature, compute among requiredSubgroupSizeStages),
// with the sizes they may require, [*lo, *hi], and
// maxComputeWorkgroupSubgroups.
static int vkp_sg_pin(void* props2, void* feats2, void* phys, uint32_t* lo, uint32_t* hi, uint32_t* maxSubgroups) {
	*lo = 0, *hi = 0, *maxSubgroups = 0;
	if (!props2 || !feats2) return 0;
	vkp_sg_control f = {VKP_SG_CONTROL, 0, 0, 0};
	vkp_features2 f2 = {VKP_FEATURES2, &f};
	((vkp_features2_fn)feats2)(phys, &f2);
	vkp_sg_size_props sp = {VKP_SG_SIZE_PROPS, 0, 0, 0, 0, 0};
	vkp_props2 p2;
	memset(&p2, 0, sizeof p2);
	p2.sType = VKP_PROPS2; p2.pNext = &sp;
	((vkp_props2_fn)props2)(phys, &p2);
	*lo = sp.minSize, *hi = sp.maxSize, *maxSubgroups = sp.maxComputeSubgroups;
	return f.sizeControl && (sp.requiredStages & 0x20) && sp.minSize > 0 && sp.minSize <= sp.maxSize; // COMPUTE_BIT
}

// The cooperative-matrix feature (KHR or NV), the Vulkan memory model (at
// device scope) and,
// for KHR, full compute subgroups (and, with pin, subgroupSizeControl),
// chained before next in one allocation (free it with C.free).
typedef struct { vkp_coop_features coop; vkp_memory_model mm; vkp_sg_control sg; } vkp_coop_link;

static void* vkp_coop_chain(void* next, int khr, int pin) {
	vkp_coop_link* l = malloc(sizeof *l);
	if (!l) return 0;
	memset(l, 0, sizeof *l);
	if (khr) { l->sg.sType = VKP_SG_CONTROL; l->sg.pNext = next; l->sg.computeFull = 1; l->sg.sizeControl = pin != 0; next = &l->sg; }
	l->mm.sType = VKP_MEMORY_MODEL; l->mm.pNext = next; l->mm.model = 1; l->mm.deviceScope = 1;
	l->coop.sType = khr ? VKP_COOP_KHR_FEATURES : VKP_COOP_FEATURES; l->coop.pNext = &l->mm; l->coop.cooperativeMatrix = 1;
	return &l->coop;
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

// hasPipelineStats asks the device whether it reports its pipelines'
// executables (the pipelineExecutableInfo feature of
// VK_KHR_pipeline_executable_properties).
func hasPipelineStats(h api.PhysicalDevice) bool {
	if fast.features2 == nil {
		return false
	}
	return C.vkp_has_pexec(fast.features2, handle(h)) != 0
}

// pipelineStatsChain returns C memory enabling pipelineExecutableInfo,
// chained before next; free it with freeChain after vkCreateDevice.
func pipelineStatsChain(next unsafe.Pointer) unsafe.Pointer { return C.vkp_pexec_chain(next) }

// instanceProc is the loader's entry point for command name (nil where
// there is none), device commands of extensions among them.
func instanceProc(in api.Instance, name string) unsafe.Pointer {
	if fast.gipa == nil {
		return nil
	}
	cs := C.CString(name)
	defer C.free(unsafe.Pointer(cs))
	return C.vkp_instance_proc(fast.gipa, handle(in), cs)
}

// float16Chain returns C memory enabling shaderFloat16, chained before next;
// free it with C.free after vkCreateDevice (freeChain).
func float16Chain(next unsafe.Pointer) unsafe.Pointer { return C.vkp_float16_chain(next) }

func freeChain(p unsafe.Pointer) { C.free(p) }

// The extensions behind the MMA kernels' native tiles: either cooperative
// matrix extension, and the memory model their shaders declare.
const (
	extCoopNV       = "VK_NV_cooperative_matrix"
	extCoopKHR      = "VK_KHR_cooperative_matrix"
	extMemoryModel  = "VK_KHR_vulkan_memory_model"
	extSubgroupSize = "VK_EXT_subgroup_size_control"
)

// hasMatrixTiles asks the device for what conv3x3_mma.comp's COOP_NV form
// needs: 16x16x16 binary16 tiles summed in fp32 at subgroup scope, 32-wide
// subgroups (four per workgroup, one per 16-pixel tile) and the memory model.
func hasMatrixTiles(in api.Instance, h api.PhysicalDevice) bool {
	if fast.gipa == nil {
		return false
	}
	return C.vkp_coop_tiles(fast.gipa, handle(in), handle(h), fast.props2, fast.features2) != 0
}

// matrixTilesKHR are the tile shapes (M, N, K) the COOP_KHR form can take
// among those VK_KHR_cooperative_matrix offers (usableTiles).
func matrixTilesKHR(in api.Instance, h api.PhysicalDevice) [][3]uint32 {
	if fast.gipa == nil {
		return nil
	}
	var buf [3 * 64]C.uint32_t
	n := int(C.vkp_coop_khr_shapes(fast.gipa, handle(in), handle(h), fast.props2, fast.features2, &buf[0], 64))
	shapes := make([][3]uint32, n)
	for i := range shapes {
		shapes[i] = [3]uint32{uint32(buf[3*i]), uint32(buf[3*i+1]), uint32(buf[3*i+2])}
	}
	return usableTiles(shapes)
}

// coopChain returns C memory enabling cooperativeMatrix (KHR or NV), the
// Vulkan memory model and, for KHR, computeFullSubgroups (and with pin
// subgroupSizeControl), chained before next; free it with freeChain after
// vkCreateDevice.
func coopChain(khr, pin bool) func(unsafe.Pointer) unsafe.Pointer {
	k, p := C.int(0), C.int(0)
	if khr {
		k = 1
	}
	if pin {
		p = 1
	}
	return func(next unsafe.Pointer) unsafe.Pointer { return C.vkp_coop_chain(next, k, p) }
}

// subgroupPin reports whether compute pipelines may require their subgroup
// size (VK_EXT_subgroup_size_control), the smallest they may require, and
// maxComputeWorkgroupSubgroups.
func subgroupPin(h api.PhysicalDevice) (bool, uint32, uint32) {
	var lo, hi, most C.uint32_t
	ok := C.vkp_sg_pin(fast.props2, fast.features2, handle(h), &lo, &hi, &most) != 0
	return ok, uint32(lo), uint32(most)
}

// subgroupInfo returns the device's subgroup size and whether compute
// shaders may use subgroup shuffles (VkPhysicalDeviceSubgroupProperties).
func subgroupInfo(h api.PhysicalDevice) (size uint32, shuffle, sum bool) {
	var sh, su C.int
	size = uint32(C.vkp_subgroup_size(fast.props2, handle(h), &sh, &su))
	return size, sh != 0, su != 0
}
