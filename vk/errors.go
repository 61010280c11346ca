package vk

import (
	"fmt"

	api "github.com/vulkan-go/vulkan"
)

// Error is a failed Vulkan call: the VkResult name and what was being done.
type Error struct {
	Result api.Result
	Op     string
}

func (e *Error) Error() string { return fmt.Sprintf("vulkan: %s: %s", e.Op, ResultName(e.Result)) }

// check turns a VkResult into nil or an *Error naming op.
func check(r api.Result, op string) error {
	if r == api.Success {
		return nil
	}
	return &Error{Result: r, Op: op}
}

var resultNames = map[api.Result]string{
	api.Success:                   "VK_SUCCESS",
	api.NotReady:                  "VK_NOT_READY",
	api.Timeout:                   "VK_TIMEOUT",
	api.Incomplete:                "VK_INCOMPLETE",
	api.ErrorOutOfHostMemory:      "VK_ERROR_OUT_OF_HOST_MEMORY",
	api.ErrorOutOfDeviceMemory:    "VK_ERROR_OUT_OF_DEVICE_MEMORY",
	api.ErrorInitializationFailed: "VK_ERROR_INITIALIZATION_FAILED",
	api.ErrorDeviceLost:           "VK_ERROR_DEVICE_LOST",
	api.ErrorMemoryMapFailed:      "VK_ERROR_MEMORY_MAP_FAILED",
	api.ErrorLayerNotPresent:      "VK_ERROR_LAYER_NOT_PRESENT",
	api.ErrorExtensionNotPresent:  "VK_ERROR_EXTENSION_NOT_PRESENT",
	api.ErrorFeatureNotPresent:    "VK_ERROR_FEATURE_NOT_PRESENT",
	api.ErrorIncompatibleDriver:   "VK_ERROR_INCOMPATIBLE_DRIVER",
	api.ErrorTooManyObjects:       "VK_ERROR_TOO_MANY_OBJECTS",
	api.ErrorFormatNotSupported:   "VK_ERROR_FORMAT_NOT_SUPPORTED",
	api.ErrorFragmentedPool:       "VK_ERROR_FRAGMENTED_POOL",
}

// ResultName is the specification's name of a VkResult.
func ResultName(r api.Result) string {
	if n, ok := resultNames[r]; ok {
		return n
	}
	return fmt.Sprintf("VkResult(%d)", int32(r))
}
