package vk

import (
	"encoding/binary"
	"fmt"
	"runtime"

	api "github.com/vulkan-go/vulkan"
)

// MaxPush is the push-constant block every kernel layout declares (the spec guarantees 128).
const MaxPush = 128

// Shader is a compiled compute shader and its interface.
type Shader struct {
	Name     string // registry name, e.g. "conv3x3_f32"
	SPIRV    []byte
	Bindings int // buffers at set 0, bindings 0..Bindings-1: storage buffers
	// Uniform marks bindings (bit i: binding i) that are uniform buffers
	// instead: small read-only data every invocation of a workgroup reads at
	// the same address (weights), which drivers serve from a broadcast path.
	Uniform uint32
	// Texel marks bindings that are uniform texel buffers over the whole
	// buffer, in 128-bit texels: eight binary16 values read raw (rgba32ui,
	// usamplerBuffer) if TexelHalf, else four fp32 (rgba32f). CPU drivers
	// fetch a texel for every SIMD lane with vector code, where a
	// storage-buffer load is a loop of scalar loads, one per lane.
	Texel     uint32
	TexelHalf bool
	// FullSubgroups: the pipeline is made with full subgroups of the
	// device's subgroup size (VK_EXT_subgroup_size_control), as
	// cooperative-matrix shaders below SPIR-V 1.6 must be and as shaders
	// that size their workgroups in subgroups assume; that size is
	// required where the device allows (Features.PinnedSubgroups).
	FullSubgroups bool
}

// descriptorType is the type of binding i.
func (s *Shader) descriptorType(i int) api.DescriptorType {
	if s.Uniform&(1<<uint(i)) != 0 {
		return api.DescriptorTypeUniformBuffer
	}
	if s.Texel&(1<<uint(i)) != 0 {
		return api.DescriptorTypeUniformTexelBuffer
	}
	return api.DescriptorTypeStorageBuffer
}

// Kernel is a compute pipeline built once per (shader, specialization) and cached.
type Kernel struct {
	key       string
	shader    *Shader
	spec      []uint32
	module    api.ShaderModule
	setLayout api.DescriptorSetLayout
	layout    api.PipelineLayout
	pipeline  api.Pipeline
}

// Name is the shader's registry name.
func (k *Kernel) Name() string { return k.shader.Name }

// Kernel returns the cached pipeline for shader with the given specialization
// constants (constant_id i takes spec[i]), building it on first use.
func (c *Context) Kernel(s *Shader, spec ...uint32) (*Kernel, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.errClosed(); err != nil {
		return nil, err
	}
	key := fmt.Sprint(s.Name, spec)
	if k, ok := c.kernels[key]; ok {
		return k, nil
	}
	if len(s.SPIRV)%4 != 0 || len(s.SPIRV) == 0 {
		return nil, fmt.Errorf("vulkan: shader %s: SPIR-V length %d is not a positive multiple of 4", s.Name, len(s.SPIRV))
	}
	k := &Kernel{key: key, shader: s, spec: append([]uint32(nil), spec...)}
	if err := c.buildKernel(k, spec); err != nil {
		k.destroy(c.device)
		return nil, fmt.Errorf("building kernel %s: %w", s.Name, err)
	}
	c.kernels[key] = k
	c.stats.Pipelines++
	return k, nil
}

func (c *Context) buildKernel(k *Kernel, spec []uint32) error {
	code := make([]uint32, len(k.shader.SPIRV)/4)
	for i := range code {
		code[i] = binary.LittleEndian.Uint32(k.shader.SPIRV[4*i:])
	}
	if len(code) == 0 {
		return fmt.Errorf("shader %s: no SPIR-V", k.shader.Name)
	}
	// vulkan-go stores pCode (and pData) as Go pointers inside C structs,
	// where the garbage collector does not see them: pinned, they can be
	// neither freed nor reused while a driver compiles (seconds on lavapipe).
	var pin runtime.Pinner
	defer pin.Unpin()
	pin.Pin(&code[0])
	minfo := &api.ShaderModuleCreateInfo{
		SType:    api.StructureTypeShaderModuleCreateInfo,
		CodeSize: uint(len(k.shader.SPIRV)),
		PCode:    code,
	}
	var mod api.ShaderModule
	if err := check(api.CreateShaderModule(c.device, minfo, nil, &mod), "vkCreateShaderModule"); err != nil {
		return err
	}
	k.module = mod
	types := make([]api.DescriptorType, k.shader.Bindings)
	for i := range types {
		types[i] = k.shader.descriptorType(i)
	}
	dsl, r := createSetLayout(c.device, types)
	if err := check(r, "vkCreateDescriptorSetLayout"); err != nil {
		return err
	}
	k.setLayout = dsl
	pl, r := createPipelineLayout(c.device, k.setLayout, MaxPush)
	if err := check(r, "vkCreatePipelineLayout"); err != nil {
		return err
	}
	k.layout = pl
	if k.shader.FullSubgroups && !c.phys.info.Features.FullSubgroups {
		return fmt.Errorf("shader %s needs full subgroups (computeFullSubgroups), which %s did not enable", k.shader.Name, c.phys.info.Name)
	}
	var sgSize uint32
	if k.shader.FullSubgroups && c.phys.info.Features.PinnedSubgroups {
		sgSize = c.phys.info.Limits.TileSubgroupSize
	}
	pipe, r := createComputePipeline(c.device, k.module, k.layout, spec, k.shader.FullSubgroups, sgSize, c.phys.info.Features.PipelineStatistics)
	if err := check(r, "vkCreateComputePipelines"); err != nil {
		return err
	}
	k.pipeline = pipe
	return nil
}

func (k *Kernel) destroy(dev api.Device) {
	if k.pipeline != nil {
		api.DestroyPipeline(dev, k.pipeline, nil)
	}
	if k.layout != nil {
		api.DestroyPipelineLayout(dev, k.layout, nil)
	}
	if k.setLayout != nil {
		api.DestroyDescriptorSetLayout(dev, k.setLayout, nil)
	}
	if k.module != nil {
		api.DestroyShaderModule(dev, k.module, nil)
	}
}
