package distort

import (
	"math"
	"testing"

	"github.com/vkpercept/vkpercept/bench"
	"github.com/vkpercept/vkpercept/metric"
)

// testImage is bench.Pair's rendered reference: smooth shapes, fine texture, edges.
func testImage(w, h int) metric.Image {
	ref, _ := bench.Pair(w, h)
	return metric.FromImage(ref)
}

func mse(a, b metric.Image) float64 {
	var s float64
	for i := range a.Data {
		d := float64(a.Data[i] - b.Data[i])
		s += d * d
	}
	return s / float64(len(a.Data))
}

func TestAtLeastTwentyTypesInEveryFamily(t *testing.T) {
	types := Types()
	if len(types) < 20 {
		t.Fatalf("%d types: %v", len(types), types)
	}
	fams := map[string]int{}
	for _, n := range types {
		fams[Family(n)]++
		if About(n) == "" {
			t.Errorf("%s has no description", n)
		}
	}
	for _, f := range []string{"blur", "noise", "compression", "colour", "spatial", "enhancement"} {
		if fams[f] == 0 {
			t.Errorf("no %s distortion", f)
		}
	}
}

// Same (image, type, level, seed), same bits; another seed changes the
// seeded types; the input is never modified.
func TestDeterministic(t *testing.T) {
	im := testImage(67, 45)
	orig := append([]float32(nil), im.Data...)
	for _, n := range Types() {
		a, err := Apply(im, n, 3, 7)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := Apply(im, n, 3, 7)
		for i := range a.Data {
			if math.Float32bits(a.Data[i]) != math.Float32bits(b.Data[i]) {
				t.Fatalf("%s: two runs differ at %d", n, i)
			}
			if a.Data[i] < 0 || a.Data[i] > 1 {
				t.Fatalf("%s: value %g outside [0,1]", n, a.Data[i])
			}
		}
		for i := range orig {
			if im.Data[i] != orig[i] {
				t.Fatalf("%s modified its input", n)
			}
		}
	}
	for _, n := range []string{"white_noise", "color_noise", "impulse_noise", "multiplicative_noise", "patch_jitter", "motion_blur"} {
		a, _ := Apply(im, n, 3, 7)
		b, _ := Apply(im, n, 3, 8)
		if mse(a, b) == 0 {
			t.Errorf("%s: seeds 7 and 8 gave the same image", n)
		}
	}
}

// Strength grows with the level: the mean squared error to the reference
// never falls from one level to the next and rises from level 1 to 5. MSE
// is a crude gauge of geometric distortions (a larger shift can land on
// similar texture), so the spatial family may dip by 10%, the others by 5%.
func TestMonotoneStrength(t *testing.T) {
	photo, err := metric.LoadImage("../examples/ref.png")
	if err != nil {
		t.Fatal(err)
	}
	crop, err := photo.Crop(100, 80, 128, 96)
	if err != nil {
		t.Fatal(err)
	}
	for _, im := range []metric.Image{testImage(96, 64), crop} {
		monotone(t, im)
	}
}

func monotone(t *testing.T, im metric.Image) {
	for _, n := range Types() {
		for _, seed := range []int64{1, 2} {
			prev := 0.0
			var first float64
			for l := 1; l <= Levels; l++ {
				d, err := Apply(im, n, l, seed)
				if err != nil {
					t.Fatal(err)
				}
				e := mse(im, d)
				if l == 1 {
					first = e
				}
				slack := 0.95
				if Family(n) == "spatial" {
					slack = 0.9
				}
				if e < prev*slack {
					t.Errorf("%s seed %d: level %d MSE %.3g below level %d's %.3g", n, seed, l, e, l-1, prev)
				}
				prev = max(prev, e)
			}
			if prev <= first*1.2 || first <= 0 {
				t.Errorf("%s seed %d: MSE %.3g at level 1, %.3g at most", n, seed, first, prev)
			}
		}
	}
}

func TestBadArguments(t *testing.T) {
	im := testImage(20, 20)
	if _, err := Apply(im, "nope", 1, 0); err == nil {
		t.Error("accepted an unknown type")
	}
	for _, l := range []int{0, 6} {
		if _, err := Apply(im, "jpeg", l, 0); err == nil {
			t.Errorf("accepted level %d", l)
		}
	}
	if _, err := Apply(metric.Image{C: 4, H: 2, W: 2, Data: make([]float32, 16)}, "jpeg", 1, 0); err == nil {
		t.Error("accepted a 4-channel image")
	}
}
