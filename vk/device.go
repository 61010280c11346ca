package vk

import (
	"fmt"
	"os"
	"strconv"

	api "github.com/vulkan-go/vulkan"
)

// DeviceEnv picks a physical device by index, overriding the automatic choice.
const DeviceEnv = "VKPERCEPT_DEVICE"

// DeviceInfo describes one physical device as the driver reports it.
type DeviceInfo struct {
	Index      int      `json:"index"`
	Name       string   `json:"name"`
	Type       string   `json:"type"`
	APIVersion string   `json:"api_version"`
	VendorID   uint32   `json:"vendor_id"`
	DeviceID   uint32   `json:"device_id"`
	HasCompute bool     `json:"has_compute"`
	Limits     Limits   `json:"limits"`
	Features   Features `json:"features"`
}

// Features are the optional capabilities the kernel variants choose from.
type Features struct {
	ShaderFloat64     bool `json:"shader_float64"`
	ShaderInt64       bool `json:"shader_int64"`
	ShaderInt16       bool `json:"shader_int16"`
	Storage16Bit      bool `json:"ext_16bit_storage"`       // VK_KHR_16bit_storage
	Float16Int8       bool `json:"ext_shader_float16_int8"` // VK_KHR_shader_float16_int8
	ShaderFloat16     bool `json:"shader_float16"`          // its shaderFloat16: binary16 arithmetic
	CooperativeMatrix bool `json:"ext_cooperative_matrix"`  // VK_KHR_ or VK_NV_cooperative_matrix
	// MatrixTiles: binary16 tiles summed in fp32 at subgroup scope, with
	// shaderFloat16 and the Vulkan memory model, enabled on the device (what
	// kernels.MMANative needs): through VK_KHR_cooperative_matrix
	// (MatrixTileKHR) where it offers a shape with sides of 8 or 16, else
	// VK_NV_cooperative_matrix (16x16x16, 32-wide subgroups). MatrixTile is
	// the shape the kernels take (M pixels, N output and K input channels)
	// among MatrixTileShapes, the KHR shapes they can take.
	MatrixTiles      bool        `json:"matrix_tiles_f16"`
	MatrixTileKHR    bool        `json:"matrix_tiles_khr"`
	MatrixTile       [3]uint32   `json:"matrix_tile"`
	MatrixTileShapes [][3]uint32 `json:"matrix_tile_shapes,omitempty"`
	// FullSubgroups: computeFullSubgroups is enabled (with the KHR tiles,
	// whose pipelines need it), so Shader.FullSubgroups pipelines can be made.
	FullSubgroups bool `json:"full_subgroups"`
	// PinnedSubgroups: subgroupSizeControl is enabled too, and such
	// pipelines require subgroups of Limits.TileSubgroupSize, the size
	// their workgroups are planned for: drivers may pick another size for
	// cooperative-matrix shaders unless told.
	PinnedSubgroups bool `json:"pinned_subgroups"`
	PushDescriptor  bool `json:"ext_push_descriptor"` // VK_KHR_push_descriptor
	// SubgroupShuffle: compute shaders may shuffle values within a subgroup.
	SubgroupShuffle bool `json:"subgroup_shuffle"`
	// SubgroupArithmetic: compute shaders may sum (and elect) within a subgroup.
	SubgroupArithmetic bool `json:"subgroup_arithmetic"`
	// PipelineStatistics: the compiler reports each pipeline's registers,
	// spills and the like (VK_KHR_pipeline_executable_properties); on a
	// Context, enabled only where Options.Statistics asked for it.
	PipelineStatistics bool `json:"pipeline_statistics"`
}

func queryFeatures(in api.Instance, h api.PhysicalDevice) Features {
	var f api.PhysicalDeviceFeatures
	api.GetPhysicalDeviceFeatures(h, &f)
	f.Deref()
	out := Features{ShaderFloat64: f.ShaderFloat64 == api.True, ShaderInt64: f.ShaderInt64 == api.True, ShaderInt16: f.ShaderInt16 == api.True}
	var n uint32
	if api.EnumerateDeviceExtensionProperties(h, "", &n, nil) != api.Success || n == 0 {
		return out
	}
	props := make([]api.ExtensionProperties, n)
	if api.EnumerateDeviceExtensionProperties(h, "", &n, props) != api.Success {
		return out
	}
	coopNV, coopKHR, memoryModel, sizeControl := false, false, false, false
	for i := range props[:n] {
		props[i].Deref()
		switch api.ToString(props[i].ExtensionName[:]) {
		case "VK_KHR_16bit_storage":
			out.Storage16Bit = true
		case extFloat16:
			out.Float16Int8 = true
			out.ShaderFloat16 = hasShaderFloat16(h)
		case extCoopKHR:
			out.CooperativeMatrix, coopKHR = true, true
		case extCoopNV:
			out.CooperativeMatrix, coopNV = true, true
		case extMemoryModel:
			memoryModel = true
		case extSubgroupSize:
			sizeControl = true
		case "VK_KHR_push_descriptor":
			out.PushDescriptor = true
		case extPipelineStats:
			out.PipelineStatistics = hasPipelineStats(h)
		}
	}
	// Native tiles: KHR where the device offers them, else NV (features and
	// properties are only asked of devices that list the extensions).
	if !memoryModel || !out.ShaderFloat16 {
		return out
	}
	if coopKHR && sizeControl {
		if shapes := matrixTilesKHR(in, h); len(shapes) > 0 {
			out.MatrixTiles, out.MatrixTileKHR, out.FullSubgroups = true, true, true
			out.MatrixTile, out.MatrixTileShapes = pickTile(shapes), shapes
			return out
		}
	}
	if coopNV && hasMatrixTiles(in, h) {
		out.MatrixTiles, out.MatrixTile = true, [3]uint32{16, 16, 16}
	}
	return out
}

// Limits are the device limits the runtime depends on.
type Limits struct {
	MaxWorkgroupInvocations uint32    `json:"max_workgroup_invocations"`
	MaxWorkgroupCount       [3]uint32 `json:"max_workgroup_count"`
	MaxStorageBufferRange   uint32    `json:"max_storage_buffer_range"`
	MaxUniformBufferRange   uint32    `json:"max_uniform_buffer_range"`
	MaxTexelBufferElements  uint32    `json:"max_texel_buffer_elements"`
	MaxSharedMemory         uint32    `json:"max_shared_memory"`
	MaxPushConstantsSize    uint32    `json:"max_push_constants_size"`
	TimestampPeriodNs       float32   `json:"timestamp_period_ns"`
	TimestampValidBits      uint32    `json:"timestamp_valid_bits"`
	MinStorageAlign         uint64    `json:"min_storage_buffer_offset_alignment"`
	SubgroupSize            uint32    `json:"subgroup_size"`
	// TileSubgroupSize is the subgroup size the matrix-tile kernels run
	// in: for Shader.FullSubgroups pipelines (KHR) the device's smallest
	// where it can be required (Features.PinnedSubgroups), the width its
	// matrix units take (8 or 16 on Intel, wave32 on AMD, 32 on NVIDIA);
	// else SubgroupSize (NV's 32 among them).
	TileSubgroupSize uint32 `json:"tile_subgroup_size"`
	// MaxWorkgroupSubgroups: maxComputeWorkgroupSubgroups, where the
	// pipelines' subgroups are pinned (else 0: unknown).
	MaxWorkgroupSubgroups uint32 `json:"max_workgroup_subgroups,omitempty"`
}

type physical struct {
	handle api.PhysicalDevice
	info   DeviceInfo
	family uint32
}

var typeNames = map[api.PhysicalDeviceType]string{
	api.PhysicalDeviceTypeDiscreteGpu:   "discrete-gpu",
	api.PhysicalDeviceTypeIntegratedGpu: "integrated-gpu",
	api.PhysicalDeviceTypeVirtualGpu:    "virtual-gpu",
	api.PhysicalDeviceTypeCpu:           "cpu",
	api.PhysicalDeviceTypeOther:         "other",
}

// typeRank orders device types for the automatic choice: discrete, integrated, virtual, CPU.
var typeRank = map[string]int{"discrete-gpu": 0, "integrated-gpu": 1, "virtual-gpu": 2, "cpu": 3, "other": 4}

func enumerate(in *instance) ([]physical, error) {
	var n uint32
	if err := check(api.EnumeratePhysicalDevices(in.handle, &n, nil), "vkEnumeratePhysicalDevices"); err != nil {
		return nil, err
	}
	handles := make([]api.PhysicalDevice, n)
	if n > 0 {
		if err := check(api.EnumeratePhysicalDevices(in.handle, &n, handles), "vkEnumeratePhysicalDevices"); err != nil {
			return nil, err
		}
	}
	out := make([]physical, 0, n)
	for i, h := range handles[:n] {
		var p api.PhysicalDeviceProperties
		api.GetPhysicalDeviceProperties(h, &p)
		p.Deref()
		p.Limits.Deref()
		info := DeviceInfo{
			Index:      i,
			Name:       api.ToString(p.DeviceName[:]),
			Type:       typeNames[p.DeviceType],
			APIVersion: fmt.Sprintf("%d.%d.%d", p.ApiVersion>>22, (p.ApiVersion>>12)&0x3ff, p.ApiVersion&0xfff),
			VendorID:   p.VendorID,
			DeviceID:   p.DeviceID,
			Limits: Limits{
				MaxWorkgroupInvocations: p.Limits.MaxComputeWorkGroupInvocations,
				MaxWorkgroupCount:       p.Limits.MaxComputeWorkGroupCount,
				MaxStorageBufferRange:   p.Limits.MaxStorageBufferRange,
				MaxUniformBufferRange:   p.Limits.MaxUniformBufferRange,
				MaxTexelBufferElements:  p.Limits.MaxTexelBufferElements,
				MaxSharedMemory:         p.Limits.MaxComputeSharedMemorySize,
				MaxPushConstantsSize:    p.Limits.MaxPushConstantsSize,
				TimestampPeriodNs:       p.Limits.TimestampPeriod,
				MinStorageAlign:         uint64(p.Limits.MinStorageBufferOffsetAlignment),
			},
		}
		var qn uint32
		api.GetPhysicalDeviceQueueFamilyProperties(h, &qn, nil)
		qs := make([]api.QueueFamilyProperties, qn)
		api.GetPhysicalDeviceQueueFamilyProperties(h, &qn, qs)
		info.Features = queryFeatures(in.handle, h)
		info.Limits.SubgroupSize, info.Features.SubgroupShuffle, info.Features.SubgroupArithmetic = subgroupInfo(h)
		info.Limits.TileSubgroupSize = info.Limits.SubgroupSize
		if info.Features.FullSubgroups {
			if ok, lo, most := subgroupPin(h); ok {
				info.Features.PinnedSubgroups = true
				info.Limits.TileSubgroupSize, info.Limits.MaxWorkgroupSubgroups = lo, most
			}
		}
		phys := physical{handle: h, info: info}
		best := -1
		for qi := range qs {
			qs[qi].Deref()
			flags := api.QueueFlagBits(qs[qi].QueueFlags)
			if flags&api.QueueComputeBit == 0 {
				continue
			}
			// Prefer a compute family without graphics: it is the dedicated async queue on GPUs.
			if best < 0 || flags&api.QueueGraphicsBit == 0 {
				best = qi
			}
		}
		if best >= 0 {
			phys.family = uint32(best)
			phys.info.HasCompute = true
			phys.info.Limits.TimestampValidBits = qs[best].TimestampValidBits
		}
		out = append(out, phys)
	}
	return out, nil
}

// choose returns the index of the device to use: want >= 0 picks it explicitly,
// otherwise VKPERCEPT_DEVICE, otherwise the best ranked device with a compute queue.
func choose(devs []physical, want int) (int, error) {
	if want < 0 {
		if s := os.Getenv(DeviceEnv); s != "" {
			v, err := strconv.Atoi(s)
			if err != nil {
				return 0, fmt.Errorf("vulkan: %s=%q is not a device index", DeviceEnv, s)
			}
			want = v
		}
	}
	if want >= 0 {
		if want >= len(devs) {
			return 0, fmt.Errorf("vulkan: device %d requested but only %d present", want, len(devs))
		}
		if !devs[want].info.HasCompute {
			return 0, fmt.Errorf("vulkan: device %d (%s) has no compute queue", want, devs[want].info.Name)
		}
		return want, nil
	}
	best := -1
	for i, d := range devs {
		if !d.info.HasCompute {
			continue
		}
		if best < 0 || typeRank[d.info.Type] < typeRank[devs[best].info.Type] {
			best = i
		}
	}
	if best < 0 {
		return 0, fmt.Errorf("vulkan: no device with a compute queue (found %d devices)", len(devs))
	}
	return best, nil
}

// ListDevices enumerates the Vulkan devices and says which one automatic choice takes.
func ListDevices() (infos []DeviceInfo, auto int, err error) {
	holdFinalizers(func() { infos, auto, err = listDevices() }) // vulkan-go's converted arguments (gchold.go)
	return infos, auto, err
}

func listDevices() ([]DeviceInfo, int, error) {
	in, err := newInstance(false)
	if err != nil {
		return nil, -1, err
	}
	defer in.destroy()
	devs, err := enumerate(in)
	if err != nil {
		return nil, -1, err
	}
	infos := make([]DeviceInfo, len(devs))
	for i := range devs {
		infos[i] = devs[i].info
	}
	auto, err := choose(devs, -1)
	if err != nil {
		auto = -1
	}
	return infos, auto, nil
}

// noMatrixTiles records that the device was made without native tiles.
func (f *Features) noMatrixTiles() {
	f.MatrixTiles, f.MatrixTileKHR, f.MatrixTile, f.MatrixTileShapes = false, false, [3]uint32{}, nil
	f.FullSubgroups, f.PinnedSubgroups = false, false
}
