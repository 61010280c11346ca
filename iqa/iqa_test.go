package iqa

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"testing"

	"github.com/vkpercept/vkpercept/metric"
)

// The metrics against tools/iqaref/reference.py, a numpy/scipy transcription
// of the authors' MATLAB code, on the pairs of testdata (ref against each
// distortion, and against itself).
func TestAgainstReference(t *testing.T) {
	raw, err := os.ReadFile("testdata/reference.json")
	if err != nil {
		t.Fatal(err)
	}
	var want map[string]struct {
		Ref                               string
		SSIM, MSSSIM, GMSD, NLPD, HaarPSI float64
	}
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if len(want) < 10 {
		t.Fatalf("reference has %d pairs", len(want))
	}
	load := func(name string) metric.Image {
		im, err := metric.LoadImage(filepath.Join("testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return im
	}
	for dist, w := range want {
		ref, d := load(w.Ref), load(dist)
		for _, m := range []struct {
			name string
			fn   func(a, b metric.Image) (float64, error)
			want float64
		}{{"ssim", SSIM, w.SSIM}, {"msssim", MSSSIM, w.MSSSIM}, {"gmsd", GMSD, w.GMSD}, {"nlpd", NLPD, w.NLPD}, {"haarpsi", HaarPSI, w.HaarPSI}} {
			got, err := m.fn(ref, d)
			if err != nil {
				t.Fatalf("%s %s: %v", m.name, dist, err)
			}
			// metric.Image holds float32 pixels, the reference float64 ones:
			// agreement to ~1e-8, far below any meaningful difference.
			if math.Abs(got-m.want) > 1e-6*math.Max(1, math.Abs(m.want)) {
				t.Errorf("%s %s: %.12g, reference %.12g", m.name, dist, got, m.want)
			}
		}
	}
}

// Identical images are perfect; more distortion is worse; bad input is refused.
func TestProperties(t *testing.T) {
	ref, err := metric.LoadImage("testdata/a_ref.png")
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := MSSSIM(ref, ref); v != 1 {
		t.Errorf("MS-SSIM of an image with itself: %g", v)
	}
	if v, _ := GMSD(ref, ref); v != 0 {
		t.Errorf("GMSD of an image with itself: %g", v)
	}
	if v, _ := NLPD(ref, ref); v != 0 {
		t.Errorf("NLPD of an image with itself: %g", v)
	}
	if v, _ := HaarPSI(ref, ref); math.Abs(v-1) > 1e-9 {
		t.Errorf("HaarPSI of an image with itself: %g", v)
	}
	small := metric.Image{C: 3, H: 8, W: 8, Data: make([]float32, 192)}
	if _, err := MSSSIM(small, small); err == nil {
		t.Error("MS-SSIM accepted an image smaller than its window")
	}
	other := metric.Image{C: 3, H: 9, W: 8, Data: make([]float32, 216)}
	if _, err := GMSD(small, other); err == nil {
		t.Error("GMSD accepted a size mismatch")
	}
}
