package vk

import (
	"testing"

	"github.com/vkpercept/vkpercept/internal/gctest"
)

// Instance and device setup, and device listing, while another goroutine
// calls runtime.GC without pause: vulkan-go frees the C copies of their
// arguments (application info, layer and extension names, queue infos)
// from finalizers, which an explicit collection runs whatever the GC
// percent, and hands C pointers into the Go strings it is given, which
// a collection frees unless Go still holds them. A third goroutine
// allocates, so that freed memory is reused at once: without the
// runtime.KeepAlive in newInstance, every run under the validation layer
// failed in vkCreateInstance (LAYER or EXTENSION_NOT_PRESENT: the names
// overwritten); with Collect alone it failed once in a CI run. Each context
// must still open with its features and work.
func TestSetupUnderExplicitCollection(t *testing.T) {
	gctest.Collect(t)
	gctest.Churn(t)
	for i := 0; i < 25; i++ {
		if _, _, err := ListDevices(); err != nil {
			t.Fatal(err)
		}
		c, err := Open(Options{Device: -1})
		if err != nil {
			t.Fatal(err)
		}
		if !c.Info().HasCompute {
			t.Fatalf("round %d: the device lost its compute queue", i)
		}
		b, err := c.NewBuffer(64)
		if err != nil {
			c.Close()
			t.Fatal(err)
		}
		b.Free()
		c.Close()
	}
}
