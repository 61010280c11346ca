package vk

/*
#cgo LDFLAGS: -ldl
#include <dlfcn.h>
#include <stdlib.h>

static void* vkp_open(const char* name, char** err) {
	void* h = dlopen(name, RTLD_NOW | RTLD_LOCAL);
	if (h == NULL) { *err = dlerror(); }
	return h;
}
static void* vkp_sym(void* h, const char* name) { return dlsym(h, name); }
*/
import "C"

import (
	"fmt"
	"os"
	"sync"
	"unsafe"

	api "github.com/vulkan-go/vulkan"
)

// LibraryEnv names the environment variable that overrides the Vulkan loader path.
const LibraryEnv = "VKPERCEPT_VULKAN_LIB"

var (
	loadOnce sync.Once
	loadErr  error
)

// loadLoader dlopens the Vulkan loader itself: vulkan-go's default looks for the
// unversioned libvulkan.so, which only the -dev package ships.
func loadLoader() error {
	loadOnce.Do(func() {
		name := os.Getenv(LibraryEnv)
		if name == "" {
			name = "libvulkan.so.1"
		}
		cname := C.CString(name)
		defer C.free(unsafe.Pointer(cname))
		var cerr *C.char
		h := C.vkp_open(cname, &cerr)
		if h == nil {
			loadErr = fmt.Errorf("vulkan loader %s not found (%s): install libvulkan1 and a driver such as mesa-vulkan-drivers", name, C.GoString(cerr))
			return
		}
		csym := C.CString("vkGetInstanceProcAddr")
		defer C.free(unsafe.Pointer(csym))
		p := C.vkp_sym(h, csym)
		if p == nil {
			loadErr = fmt.Errorf("vulkan loader %s has no vkGetInstanceProcAddr", name)
			return
		}
		api.SetGetInstanceProcAddr(unsafe.Pointer(p))
		sym := func(name string) unsafe.Pointer {
			cs := C.CString(name)
			defer C.free(unsafe.Pointer(cs))
			return unsafe.Pointer(C.vkp_sym(h, cs))
		}
		if err := loadFast(sym); err != nil {
			loadErr = err
			return
		}
		if err := loadCAPI(sym); err != nil {
			loadErr = err
			return
		}
		if err := api.Init(); err != nil {
			loadErr = fmt.Errorf("vulkan init: %w", err)
		}
	})
	return loadErr
}
