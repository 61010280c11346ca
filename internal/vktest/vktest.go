// Package vktest runs a package's tests on one Vulkan context (lavapipe will
// do) and fails the run when the validation layer reported anything.
package vktest

import (
	"fmt"
	"os"
	"testing"

	"github.com/vkpercept/vkpercept/vk"
)

// Main opens the context, hands it to use, runs the tests and exits.
func Main(m *testing.M, use func(*vk.Context)) {
	ctx, err := vk.Open(vk.Options{Device: -1})
	if err != nil {
		fmt.Fprintln(os.Stderr, "these tests need a Vulkan device (lavapipe will do):", err)
		os.Exit(1)
	}
	// make test-subgroups sets the size it asked llvmpipe for: a driver
	// that ignored the request would test the usual size again unseen.
	if want := os.Getenv("VKPERCEPT_REQUIRE_SUBGROUP"); want != "" && want != fmt.Sprint(ctx.Info().Limits.SubgroupSize) {
		fmt.Fprintf(os.Stderr, "VKPERCEPT_REQUIRE_SUBGROUP is %s and %s has subgroups of %d lanes\n", want, ctx.Info().Name, ctx.Info().Limits.SubgroupSize)
		ctx.Close()
		os.Exit(1)
	}
	use(ctx)
	code := m.Run()
	if msgs := ctx.ValidationMessages(); len(msgs) > 0 {
		fmt.Fprintf(os.Stderr, "validation layer reported %d messages:\n", len(msgs))
		for _, msg := range msgs {
			fmt.Fprintln(os.Stderr, " ", msg)
		}
		code = 1
	}
	ctx.Close()
	os.Exit(code)
}

// NativeTiles reports whether ctx has native matrix tiles, for tests that
// run them where present; with VKPERCEPT_REQUIRE_TILES set (make
// test-mesa26) a device without them fails t instead.
func NativeTiles(t testing.TB, ctx *vk.Context) bool {
	if ctx.Info().Features.MatrixTiles {
		return true
	}
	if os.Getenv("VKPERCEPT_REQUIRE_TILES") != "" {
		t.Fatalf("VKPERCEPT_REQUIRE_TILES is set and %s offers no native matrix tiles", ctx.Info().Name)
	}
	return false
}
