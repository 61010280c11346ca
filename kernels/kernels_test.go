package kernels

import (
	"math"
	"math/rand"
	"testing"

	"github.com/vkpercept/vkpercept/internal/vktest"
	"github.com/vkpercept/vkpercept/vk"
)

var gpu GPU

func TestMain(m *testing.M) {
	vktest.Main(m, func(c *vk.Context) { gpu = GPU{Ctx: c} })
}

func randVec(rng *rand.Rand, n int, lo, hi float32) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = lo + (hi-lo)*rng.Float32()
	}
	return v
}

// begin starts a recording that the test's end aborts unless it was
// submitted: a t.Fatal while recording would otherwise keep the context's
// recording lock, and every later test would wait for it.
func begin(t testing.TB, profile bool) *vk.Recorder {
	t.Helper()
	r, err := gpu.Ctx.Begin(profile)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Abort)
	return r
}

// upload puts data in a fresh pooled buffer.
func upload(t testing.TB, r *vk.Recorder, data []float32) *vk.Buffer {
	t.Helper()
	b, err := gpu.Ctx.Acquire(uint64(4 * max(len(data), 1)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gpu.Ctx.Release(b) })
	if err := r.Upload(b, data); err != nil {
		t.Fatal(err)
	}
	return b
}

func scratch(t testing.TB, n int) *vk.Buffer {
	t.Helper()
	b, err := gpu.Ctx.Acquire(uint64(4 * max(n, 1)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { gpu.Ctx.Release(b) })
	return b
}

// closeTo compares with abs+rel tolerance and NaN never passing.
func closeTo(t testing.TB, what string, got, want []float32, abs, rel float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: %d values, want %d", what, len(got), len(want))
	}
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if d := math.Abs(g - w); math.IsNaN(g) || d > abs+rel*math.Abs(w) {
			t.Fatalf("%s: element %d = %g, want %g (diff %g)", what, i, g, w, d)
		}
	}
}

// poison fills a read-back slice so that unwritten elements show up.
func poison(n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(math.NaN())
	}
	return v
}
