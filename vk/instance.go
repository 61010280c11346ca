package vk

import (
	"fmt"
	"os"
	"runtime"
	"strings"
	"sync"
	"unsafe"

	api "github.com/vulkan-go/vulkan"
)

// ValidationEnv switches on the Khronos validation layer when set to 1 (core
// and synchronization checks), or to gpu (GPU-assisted: out-of-bounds
// accesses in shaders; slow, for make test-gpuav).
const ValidationEnv = "VKPERCEPT_VALIDATION"

const validationLayer = "VK_LAYER_KHRONOS_validation"

// instance owns a VkInstance and, with validation on, its debug callback.
type instance struct {
	handle   api.Instance
	callback api.DebugReportCallback
	logStart int // validation messages before this instance are not its own
}

// vulkan-go keeps only the first Go debug callback ever registered, so all
// instances share one function and one log.
var validationLog struct {
	mu       sync.Mutex
	messages []string
}

func reportValidation(flags api.DebugReportFlags, _ api.DebugReportObjectType, _ uint64, _ uint, code int32, prefix, msg string, _ unsafe.Pointer) api.Bool32 {
	if strings.Contains(msg, "validation is adjusting settings") {
		// GPU-assisted validation listing the features it turns on for its
		// instrumentation: about the layer, not about our use of Vulkan.
		return api.False
	}
	validationLog.mu.Lock()
	validationLog.messages = append(validationLog.messages, fmt.Sprintf("[%s %d] %s", prefix, code, msg))
	validationLog.mu.Unlock()
	return api.False
}

func validationRequested() bool { v := os.Getenv(ValidationEnv); return v == "1" || v == "gpu" }

func gpuAssistedRequested() bool { return os.Getenv(ValidationEnv) == "gpu" }

// cstr is s NUL-terminated, for vulkan-go, which passes C a pointer into
// the string's Go memory: keep the string reachable until the call returns
// (runtime.KeepAlive), since C's pointer does not hold it.
func cstr(s string) string { return s + "\x00" }

func newInstance(validation bool) (*instance, error) {
	if err := loadLoader(); err != nil {
		return nil, err
	}
	var layers, exts []string
	if validation {
		if !hasInstanceLayer(validationLayer) {
			return nil, fmt.Errorf("vulkan: %s=1 but %s is not installed (Debian: vulkan-validationlayers)", ValidationEnv, validationLayer)
		}
		layers = append(layers, cstr(validationLayer))
		exts = append(exts, cstr("VK_EXT_debug_report"))
	}
	var chain unsafe.Pointer
	if validation {
		if chain = validationFeatures(gpuAssistedRequested()); chain != nil {
			exts = append(exts, cstr(extValidationFeatures))
		}
	}
	app := &api.ApplicationInfo{
		SType:            api.StructureTypeApplicationInfo,
		PApplicationName: cstr("vkpercept"),
		PEngineName:      cstr("vkpercept"),
		ApiVersion:       api.MakeVersion(1, 1, 0),
	}
	info := &api.InstanceCreateInfo{
		SType:                   api.StructureTypeInstanceCreateInfo,
		PNext:                   chain,
		PApplicationInfo:        app,
		EnabledLayerCount:       uint32(len(layers)),
		PpEnabledLayerNames:     layers,
		EnabledExtensionCount:   uint32(len(exts)),
		PpEnabledExtensionNames: exts,
	}
	validationLog.mu.Lock()
	inst := &instance{logStart: len(validationLog.messages)}
	validationLog.mu.Unlock()
	var h api.Instance
	res := api.CreateInstance(info, nil, &h)
	// vulkan-go hands C pointers into the Go strings themselves (names of
	// layers, extensions, the application): info must stay reachable until
	// the call returns, or a collection meanwhile frees them for reuse.
	runtime.KeepAlive(info)
	if err := check(res, "vkCreateInstance"); err != nil {
		return nil, err
	}
	inst.handle = h
	if err := api.InitInstance(inst.handle); err != nil {
		api.DestroyInstance(inst.handle, nil)
		return nil, fmt.Errorf("vulkan: loading instance functions: %w", err)
	}
	if validation {
		cb := &api.DebugReportCallbackCreateInfo{
			SType:       api.StructureTypeDebugReportCallbackCreateInfo,
			Flags:       api.DebugReportFlags(api.DebugReportErrorBit | api.DebugReportWarningBit | api.DebugReportPerformanceWarningBit),
			PfnCallback: reportValidation,
		}
		var dbg api.DebugReportCallback
		if err := check(api.CreateDebugReportCallback(inst.handle, cb, nil, &dbg), "vkCreateDebugReportCallbackEXT"); err != nil {
			api.DestroyInstance(inst.handle, nil)
			return nil, err
		}
		inst.callback = dbg
	}
	return inst, nil
}

func hasInstanceLayer(name string) bool {
	var n uint32
	if api.EnumerateInstanceLayerProperties(&n, nil) != api.Success || n == 0 {
		return false
	}
	props := make([]api.LayerProperties, n)
	if api.EnumerateInstanceLayerProperties(&n, props) != api.Success {
		return false
	}
	for i := range props {
		props[i].Deref()
		if api.ToString(props[i].LayerName[:]) == name {
			return true
		}
	}
	return false
}

// validationMessages returns what the layer reported in this process since
// the instance was created (while several instances overlap, theirs mix).
func (in *instance) validationMessages() []string {
	validationLog.mu.Lock()
	defer validationLog.mu.Unlock()
	return append([]string(nil), validationLog.messages[in.logStart:]...)
}

func (in *instance) destroy() {
	if in.callback != nil {
		api.DestroyDebugReportCallback(in.handle, in.callback, nil)
	}
	api.DestroyInstance(in.handle, nil)
}
