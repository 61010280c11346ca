package metric

import (
	"math"
	"math/rand"
	"testing"

	"github.com/vkpercept/vkpercept/kernels"
	"github.com/vkpercept/vkpercept/vk"
)

func TestWienerPriorMatchesFit(t *testing.T) {
	d := NewWienerDenoiser()
	if v := d.squareIntegral(0.5); math.Abs(v-wienerVariance) > 1e-6 {
		t.Fatalf("prior variance %g, fitted %g", v, wienerVariance)
	}
	// The band split conserves the variance and the white noise.
	var p, n float64
	for _, op := range d.bands(300, 200, 3, 0, 1) {
		p, n = p+op.P, n+op.N
		if !(op.P > 0) {
			t.Fatalf("band variance %g", op.P)
		}
	}
	if math.Abs(p-wienerVariance) > 1e-6 || math.Abs(n-1) > 1e-12 {
		t.Fatalf("bands hold variance %g (want %g) and noise %g (want 1)", p, wienerVariance, n)
	}
}

func TestWienerLimits(t *testing.T) {
	d := NewWienerDenoiser()
	rng := rand.New(rand.NewSource(3))
	s := kernels.Shape{N: 2, C: 3, H: 19, W: 34}
	y := randTensor(rng, 2*3, 19, 34).Data
	out := make([]float64, len(y))
	// Almost no noise: every gain is 1 and the pyramid reconstructs y exactly.
	if err := d.DenoiseCPU(out, y, []float64{1e-9, 1e-9}, s); err != nil {
		t.Fatal(err)
	}
	for i := range y {
		if math.Abs(out[i]-y[i]) > 1e-9 {
			t.Fatalf("sigma ~ 0: element %d is %g, input %g", i, out[i], y[i])
		}
	}
	// Overwhelming noise: the estimate is the prior mean.
	if err := d.DenoiseCPU(out, y, []float64{1e6, 1e6}, s); err != nil {
		t.Fatal(err)
	}
	plane := s.H * s.W
	for i := range out {
		if m := d.Mean[(i/plane)%3]; math.Abs(out[i]-m) > 1e-6 {
			t.Fatalf("sigma huge: element %d is %g, mean %g", i, out[i], m)
		}
	}
}

// The device pyramid agrees with the float64 reference, per-image sigma included.
func TestWienerVulkanMatchesCPU(t *testing.T) {
	d := NewWienerDenoiser()
	rng := rand.New(rand.NewSource(4))
	for _, hw := range [][2]int{{5, 3}, {16, 16}, {37, 23}, {64, 97}} {
		s := kernels.Shape{N: 3, C: 3, H: hw[0], W: hw[1]}
		y := randTensor(rng, 9, hw[0], hw[1]).Data
		sig := []float64{0.05, 0.7, 4}
		want := make([]float64, len(y))
		if err := d.DenoiseCPU(want, y, sig, s); err != nil {
			t.Fatal(err)
		}
		r, err := testCtx.Begin(false)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Abort() // a no-op once submitted; else it frees the context for the next test
		in, _ := testCtx.Acquire(uint64(4 * len(y)))
		out, _ := testCtx.Acquire(uint64(4 * len(y)))
		sb, _ := testCtx.Acquire(64)
		y32, sig32 := make([]float32, len(y)), []float32{9, 0.05, 0.7, 4}
		for i, v := range y {
			y32[i] = float32(v)
		}
		r.Upload(in, y32)
		r.Upload(sb, sig32)
		if err := d.Record(kernels.GPU{Ctx: testCtx}, r, out, in, sb, 1, 3, s); err != nil {
			t.Fatal(err)
		}
		got := make([]float32, len(y))
		r.Download(out, got)
		if _, err := r.Submit(); err != nil {
			t.Fatal(err)
		}
		testCtx.Release(in, out, sb)
		for i := range want {
			if math.Abs(float64(got[i])-want[i]) > 2e-6 {
				t.Fatalf("%v: element %d device %g, reference %g", hw, i, got[i], want[i])
			}
		}
	}
}

func TestIEMWithWiener(t *testing.T) {
	d := NewWienerDenoiser()
	rng := rand.New(rand.NewSource(6))
	a, b := randTensor(rng, 3, 40, 24), randTensor(rng, 3, 40, 24)
	opt := IEMOptions{Steps: 32, SigmaMin: 1, SigmaMax: 1000, Seed: 42}
	var got [2]float64
	for i, ctx := range []*vk.Context{nil, testCtx} {
		tr, err := NewIEM(d, ctx).Evaluate(a, b, opt)
		if err != nil {
			t.Fatal(err)
		}
		back, _ := NewIEM(d, ctx).Evaluate(b, a, opt)
		if back.Standard() != tr.Standard() {
			t.Errorf("asymmetric: %g vs %g", tr.Standard(), back.Standard())
		}
		got[i] = tr.Standard()
	}
	if !(got[0] > 0) || math.Abs(got[0]-got[1]) > 1e-4*got[0] {
		t.Errorf("wiener IEM: cpu %g, vulkan %g", got[0], got[1])
	}
}
