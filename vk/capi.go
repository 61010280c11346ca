package vk

/*
#include <stddef.h>
#include <stdint.h>

// The C API's structs, laid out as it has them (non-dispatchable handles
// are 64-bit), for the calls below.
typedef struct { int32_t sType; const void* pNext; uint32_t src, dst; } vkp_memory_barrier;
typedef struct { uint64_t src, dst, size; } vkp_buffer_copy;
typedef struct { uint32_t id, offset; size_t size; } vkp_spec_entry;
typedef struct { uint32_t count; const vkp_spec_entry* entries; size_t dataSize; const void* data; } vkp_spec_info;
typedef struct {
	int32_t sType; const void* pNext; uint32_t flags, stage;
	uint64_t module; const char* name; const vkp_spec_info* spec;
} vkp_stage_info;
typedef struct {
	int32_t sType; const void* pNext; uint32_t flags; vkp_stage_info stage;
	uint64_t layout, base; int32_t baseIndex;
} vkp_compute_info;
typedef struct { uint32_t binding; int32_t type; uint32_t count, stages; const void* samplers; } vkp_binding;
typedef struct { int32_t sType; const void* pNext; uint32_t flags, count; const vkp_binding* bindings; } vkp_set_layout_info;
typedef struct { uint32_t stages, offset, size; } vkp_push_range;
typedef struct {
	int32_t sType; const void* pNext; uint32_t flags, setCount; const uint64_t* sets;
	uint32_t rangeCount; const vkp_push_range* ranges;
} vkp_pipeline_layout_info;
typedef struct { int32_t type; uint32_t count; } vkp_pool_size;
typedef struct { int32_t sType; const void* pNext; uint32_t flags, maxSets, count; const vkp_pool_size* sizes; } vkp_pool_info;
typedef struct { uint64_t buffer, offset, range; } vkp_buffer_info;
typedef struct {
	int32_t sType; const void* pNext; uint64_t set; uint32_t binding, element, count; int32_t type;
	const void* images; const vkp_buffer_info* buffers; const uint64_t* views;
} vkp_write;

typedef void (*vkp_barrier_fn)(void*, uint32_t, uint32_t, uint32_t, uint32_t, const vkp_memory_barrier*, uint32_t, const void*, uint32_t, const void*);
typedef void (*vkp_copy_fn)(void*, uint64_t, uint64_t, uint32_t, const vkp_buffer_copy*);
typedef struct { int32_t sType; void* pNext; uint32_t size; } vkp_required_sg;
#define VKP_REQUIRED_SG 1000225001
typedef int32_t (*vkp_compute_fn)(void*, uint64_t, uint32_t, const vkp_compute_info*, const void*, uint64_t*);
typedef int32_t (*vkp_set_layout_fn)(void*, const vkp_set_layout_info*, const void*, uint64_t*);
typedef int32_t (*vkp_pipeline_layout_fn)(void*, const vkp_pipeline_layout_info*, const void*, uint64_t*);
typedef int32_t (*vkp_pool_fn)(void*, const vkp_pool_info*, const void*, uint64_t*);
typedef void (*vkp_update_fn)(void*, uint32_t, const vkp_write*, uint32_t, const void*);

#define VKP_MAX 16       // bindings, pool sizes and specialization constants at most
#define VKP_COMPUTE 0x20 // VK_SHADER_STAGE_COMPUTE_BIT
#define VKP_TOO_MANY -3  // VK_ERROR_INITIALIZATION_FAILED

static void vkp_cmd_barrier(void* fn, void* cmd, int32_t sType, uint32_t srcStages, uint32_t dstStages, uint32_t srcAccess, uint32_t dstAccess) {
	vkp_memory_barrier b = {sType, 0, srcAccess, dstAccess};
	((vkp_barrier_fn)fn)(cmd, srcStages, dstStages, 0, 1, &b, 0, 0, 0, 0);
}

static void vkp_cmd_copy(void* fn, void* cmd, uint64_t src, uint64_t dst, uint64_t srcOff, uint64_t dstOff, uint64_t size) {
	vkp_buffer_copy r = {srcOff, dstOff, size};
	((vkp_copy_fn)fn)(cmd, src, dst, 1, &r);
}

// One compute pipeline of entry point "main", specialization constant i
// taking spec[i], with the stage's create flags.
static int32_t vkp_create_compute(void* fn, void* dev, int32_t pipeType, int32_t stageType, uint32_t pipeFlags, uint32_t stageFlags, uint64_t module, uint64_t layout,
		uint32_t nspec, const uint32_t* spec, uint32_t subgroupSize, uint64_t* out) {
	if (nspec > VKP_MAX) return VKP_TOO_MANY;
	vkp_spec_entry e[VKP_MAX];
	for (uint32_t i = 0; i < nspec; i++) { e[i].id = i; e[i].offset = 4 * i; e[i].size = 4; }
	vkp_spec_info si = {nspec, e, 4 * (size_t)nspec, spec};
	// VkPipelineShaderStageRequiredSubgroupSizeCreateInfo, where asked for.
	vkp_required_sg req = {VKP_REQUIRED_SG, 0, subgroupSize};
	vkp_compute_info ci = {pipeType, 0, pipeFlags, {stageType, subgroupSize ? &req : 0, stageFlags, VKP_COMPUTE, module, "main", nspec ? &si : 0}, layout, 0, -1};
	return ((vkp_compute_fn)fn)(dev, 0, 1, &ci, 0, out);
}

// A set layout of bindings 0..n-1, one descriptor each, for compute.
static int32_t vkp_create_set_layout(void* fn, void* dev, int32_t sType, uint32_t n, const int32_t* types, uint64_t* out) {
	if (n > VKP_MAX) return VKP_TOO_MANY;
	vkp_binding b[VKP_MAX];
	for (uint32_t i = 0; i < n; i++) { b[i].binding = i; b[i].type = types[i]; b[i].count = 1; b[i].stages = VKP_COMPUTE; b[i].samplers = 0; }
	vkp_set_layout_info info = {sType, 0, 0, n, b};
	return ((vkp_set_layout_fn)fn)(dev, &info, 0, out);
}

// A pipeline layout of one set and one compute push-constant range.
static int32_t vkp_create_pipeline_layout(void* fn, void* dev, int32_t sType, uint64_t set, uint32_t push, uint64_t* out) {
	vkp_push_range r = {VKP_COMPUTE, 0, push};
	vkp_pipeline_layout_info info = {sType, 0, 0, 1, &set, 1, &r};
	return ((vkp_pipeline_layout_fn)fn)(dev, &info, 0, out);
}

static int32_t vkp_create_pool(void* fn, void* dev, int32_t sType, uint32_t flags, uint32_t maxSets, uint32_t n,
		const int32_t* types, const uint32_t* counts, uint64_t* out) {
	if (n > VKP_MAX) return VKP_TOO_MANY;
	vkp_pool_size s[VKP_MAX];
	for (uint32_t i = 0; i < n; i++) { s[i].type = types[i]; s[i].count = counts[i]; }
	vkp_pool_info info = {sType, 0, flags, maxSets, n, s};
	return ((vkp_pool_fn)fn)(dev, &info, 0, out);
}

// Writes bindings 0..n-1 of set: a texel buffer view where views[i] is not
// 0, else buffer bufs[i] from 0 for ranges[i] bytes.
static int32_t vkp_update_set(void* fn, void* dev, int32_t sType, uint64_t set, uint32_t n, const int32_t* types,
		const uint64_t* bufs, const uint64_t* ranges, const uint64_t* views) {
	if (n > VKP_MAX) return VKP_TOO_MANY;
	vkp_buffer_info bi[VKP_MAX];
	vkp_write w[VKP_MAX];
	for (uint32_t i = 0; i < n; i++) {
		bi[i].buffer = bufs[i]; bi[i].offset = 0; bi[i].range = ranges[i];
		w[i].sType = sType; w[i].pNext = 0; w[i].set = set; w[i].binding = i; w[i].element = 0; w[i].count = 1;
		w[i].type = types[i]; w[i].images = 0;
		w[i].buffers = views[i] ? 0 : &bi[i];
		w[i].views = views[i] ? &views[i] : 0;
	}
	((vkp_update_fn)fn)(dev, n, w, 0, 0);
	return 0;
}
*/
import "C"

import (
	"fmt"
	"unsafe"

	api "github.com/vulkan-go/vulkan"
)

// The calls that take structs with arrays go through the loader's entry
// points with the structs built on the C stack: vulkan-go's wrappers
// allocate C memory per call and may free it during the call (gchold.go).
var capi struct{ barrier, copy, compute, setLayout, pipeLayout, pool, update unsafe.Pointer }

// loadCAPI resolves them.
func loadCAPI(sym func(string) unsafe.Pointer) error {
	return resolve(sym, []entryPoint{
		{&capi.barrier, "vkCmdPipelineBarrier"}, {&capi.copy, "vkCmdCopyBuffer"},
		{&capi.compute, "vkCreateComputePipelines"}, {&capi.setLayout, "vkCreateDescriptorSetLayout"},
		{&capi.pipeLayout, "vkCreatePipelineLayout"}, {&capi.pool, "vkCreateDescriptorPool"}, {&capi.update, "vkUpdateDescriptorSets"},
	})
}

// entryPoint is a loader entry point the package calls directly, and where
// its address goes.
type entryPoint struct {
	p    *unsafe.Pointer
	name string
}

// resolve looks every entry point up; the loader's ABI exports every
// Vulkan 1.0 command, so a missing one is a load error.
func resolve(sym func(string) unsafe.Pointer, eps []entryPoint) error {
	for _, e := range eps {
		if *e.p = sym(e.name); *e.p == nil {
			return fmt.Errorf("vulkan loader exports no %s", e.name)
		}
	}
	return nil
}

func bits64[T any](h T) C.uint64_t { return C.uint64_t(uintptr(handle(h))) }

// fromBits makes a handle of type T from its 64 bits.
func fromBits[T any](u C.uint64_t) T { return *(*T)(unsafe.Pointer(&u)) }

// cmdBarrier records one global memory barrier.
func cmdBarrier(cmd api.CommandBuffer, srcStages, dstStages api.PipelineStageFlags, srcAccess, dstAccess api.AccessFlags) {
	C.vkp_cmd_barrier(capi.barrier, handle(cmd), C.int32_t(api.StructureTypeMemoryBarrier), C.uint32_t(srcStages), C.uint32_t(dstStages), C.uint32_t(srcAccess), C.uint32_t(dstAccess))
}

// cmdCopy records a copy of n bytes between two buffers.
func cmdCopy(cmd api.CommandBuffer, src, dst api.Buffer, srcOff, dstOff, n uint64) {
	C.vkp_cmd_copy(capi.copy, handle(cmd), bits64(src), bits64(dst), C.uint64_t(srcOff), C.uint64_t(dstOff), C.uint64_t(n))
}

// createComputePipeline makes the pipeline of module's "main" in layout,
// specialization constant i taking spec[i]; fullSubgroups asks for
// VK_PIPELINE_SHADER_STAGE_CREATE_REQUIRE_FULL_SUBGROUPS_BIT, and a
// subgroupSize other than 0 requires subgroups of that size; statistics
// has the compiler keep its statistics (VK_KHR_pipeline_executable_properties).
func createComputePipeline(dev api.Device, module api.ShaderModule, layout api.PipelineLayout, spec []uint32, fullSubgroups bool, subgroupSize uint32, statistics bool) (api.Pipeline, api.Result) {
	var sp *C.uint32_t
	if len(spec) > 0 {
		sp = (*C.uint32_t)(unsafe.Pointer(&spec[0]))
	}
	flags := 0
	if fullSubgroups {
		flags = 0x2 // REQUIRE_FULL_SUBGROUPS
	}
	pipeFlags := 0
	if statistics {
		pipeFlags = captureStatistics
	}
	var out C.uint64_t
	r := api.Result(C.vkp_create_compute(capi.compute, handle(dev), C.int32_t(api.StructureTypeComputePipelineCreateInfo),
		C.int32_t(api.StructureTypePipelineShaderStageCreateInfo), C.uint32_t(pipeFlags), C.uint32_t(flags), bits64(module), bits64(layout), C.uint32_t(len(spec)), sp, C.uint32_t(subgroupSize), &out))
	return fromBits[api.Pipeline](out), r
}

// createSetLayout makes a set layout of bindings 0..len(types)-1 for compute.
func createSetLayout(dev api.Device, types []api.DescriptorType) (api.DescriptorSetLayout, api.Result) {
	ts := make([]int32, len(types)+1) // +1: a valid pointer for no bindings
	for i, t := range types {
		ts[i] = int32(t)
	}
	var out C.uint64_t
	r := api.Result(C.vkp_create_set_layout(capi.setLayout, handle(dev), C.int32_t(api.StructureTypeDescriptorSetLayoutCreateInfo),
		C.uint32_t(len(types)), (*C.int32_t)(unsafe.Pointer(&ts[0])), &out))
	return fromBits[api.DescriptorSetLayout](out), r
}

// createPipelineLayout makes a layout of one set and push bytes of push constants.
func createPipelineLayout(dev api.Device, set api.DescriptorSetLayout, push uint32) (api.PipelineLayout, api.Result) {
	var out C.uint64_t
	r := api.Result(C.vkp_create_pipeline_layout(capi.pipeLayout, handle(dev), C.int32_t(api.StructureTypePipelineLayoutCreateInfo), bits64(set), C.uint32_t(push), &out))
	return fromBits[api.PipelineLayout](out), r
}

// createPool makes a descriptor pool with counts[i] descriptors of types[i].
// types and counts are as long and not empty.
func createPool(dev api.Device, flags api.DescriptorPoolCreateFlags, maxSets uint32, types []api.DescriptorType, counts []uint32) (api.DescriptorPool, api.Result) {
	ts := make([]int32, len(types))
	for i, t := range types {
		ts[i] = int32(t)
	}
	var out C.uint64_t
	r := api.Result(C.vkp_create_pool(capi.pool, handle(dev), C.int32_t(api.StructureTypeDescriptorPoolCreateInfo), C.uint32_t(flags), C.uint32_t(maxSets),
		C.uint32_t(len(ts)), (*C.int32_t)(unsafe.Pointer(&ts[0])), (*C.uint32_t)(unsafe.Pointer(&counts[0])), &out))
	return fromBits[api.DescriptorPool](out), r
}

// setWrite is one binding's descriptor: a texel buffer view, or a buffer
// from offset 0 for rng bytes.
type setWrite struct {
	typ  api.DescriptorType
	buf  api.Buffer
	rng  uint64
	view api.BufferView
}

// updateSet writes bindings 0..len(ws)-1 of set.
func updateSet(dev api.Device, set api.DescriptorSet, ws []setWrite) api.Result {
	if len(ws) == 0 {
		return api.Success
	}
	ts, bufs, rngs, views := make([]int32, len(ws)), make([]uint64, len(ws)), make([]uint64, len(ws)), make([]uint64, len(ws))
	for i, w := range ws {
		ts[i], bufs[i], rngs[i] = int32(w.typ), uint64(bits64(w.buf)), w.rng
		if w.view != nil {
			views[i] = uint64(bits64(w.view))
		}
	}
	return api.Result(C.vkp_update_set(capi.update, handle(dev), C.int32_t(api.StructureTypeWriteDescriptorSet), bits64(set), C.uint32_t(len(ws)),
		(*C.int32_t)(unsafe.Pointer(&ts[0])), (*C.uint64_t)(unsafe.Pointer(&bufs[0])), (*C.uint64_t)(unsafe.Pointer(&rngs[0])), (*C.uint64_t)(unsafe.Pointer(&views[0]))))
}
