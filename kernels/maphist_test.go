package kernels

import (
	"math"
	"math/rand"
	"slices"
	"strings"
	"testing"

	"github.com/vkpercept/vkpercept/vk"
)

// The device histogram equals the reference word for word, over two
// dispatches into one buffer (a band view, then a dense one), with values
// outside the range, exact zeros and all-negative images; its quantiles lie
// within a bin of the exact ones and its maximum is exact.
func TestMapHistMatchesReference(t *testing.T) {
	const n, h, w = 3, 13, 37
	rng := rand.New(rand.NewSource(5))
	for _, op := range []MapHist{{Bins: 2048, Lo: -0.0625}, {Bins: 37, Lo: -0.3}} {
		vals := make([]float32, n*h*w)
		for i := range vals {
			switch img := i / (h * w); {
			case img == 2:
				vals[i] = -0.01 - 0.05*rng.Float32() // all negative: the maximum's key
			case rng.Intn(3) == 0:
				vals[i] = 0 // where frames agree
			default:
				vals[i] = -0.2 + 1.3*rng.Float32() // some below Lo and past Lo+1
			}
		}
		// Rows [0, 5) from a band buffer holding rows 0..4, rows [5, h)
		// from the dense images: one histogram.
		band := make([]float32, n*5*w)
		for i := 0; i < n; i++ {
			copy(band[i*5*w:(i+1)*5*w], vals[i*h*w:])
		}
		g1 := HistGeom{N: n, W: w, Y0: 0, Y1: 5, In: Band(1, 0, 5, w)}
		g2 := HistGeom{N: n, W: w, Y0: 5, Y1: h, In: Dense(1, h, w)}
		want := make([]uint32, n*op.HistLen())
		if err := op.Ref(want, band, g1); err != nil {
			t.Fatal(err)
		}
		if err := op.Ref(want, vals, g2); err != nil {
			t.Fatal(err)
		}
		raw := runOne(t, n*op.HistLen(), func(r *vk.Recorder) (*vk.Buffer, error) {
			hist := scratch(t, n*op.HistLen())
			if err := r.Fill(hist, uint64(4*n*op.HistLen()), 0); err != nil {
				return nil, err
			}
			if err := op.Record(gpu, r, hist, upload(t, r, band), g1); err != nil {
				return nil, err
			}
			return hist, op.Record(gpu, r, hist, upload(t, r, vals), g2)
		})
		for i, v := range raw {
			if got := math.Float32bits(v); got != want[i] {
				t.Fatalf("%d bins: word %d = %d, want %d", op.Bins, i, got, want[i])
			}
		}
		for i := 0; i < n; i++ {
			hi := want[i*op.HistLen() : (i+1)*op.HistLen()]
			img := slices.Clone(vals[i*h*w : (i+1)*h*w])
			slices.Sort(img)
			if top, ok := op.Max(hi); !ok || top != float64(img[len(img)-1]) {
				t.Errorf("%d bins, image %d: max %g (%v), want %g", op.Bins, i, top, ok, img[len(img)-1])
			}
			for _, p := range []float64{0, 50, 95, 99, 100} {
				exact := exactQuantile(img, p)
				got, ok := op.Quantile(hi, p)
				// Within a bin, where the value lies in the bins' range.
				if lo, hiEdge := float64(op.Lo), float64(op.Lo)+1; exact >= lo && exact < hiEdge && (!ok || math.Abs(got-exact) > 1/float64(op.Bins)+1e-7) {
					t.Errorf("%d bins, image %d: p%g = %g, exact %g", op.Bins, i, p, got, exact)
				}
			}
		}
	}
}

// exactQuantile interpolates linearly between the ranks of sorted s.
func exactQuantile(s []float32, p float64) float64 {
	r := p / 100 * float64(len(s)-1)
	lo := int(r)
	if lo >= len(s)-1 {
		return float64(s[len(s)-1])
	}
	return float64(s[lo]) + (r-float64(lo))*float64(s[lo+1]-s[lo])
}

func TestMapHistRejects(t *testing.T) {
	in := make([]float32, 64)
	g := HistGeom{N: 1, W: 8, Y0: 0, Y1: 8, In: Dense(1, 8, 8)}
	for _, tc := range []struct {
		op   MapHist
		hist int
		g    HistGeom
		want string
	}{
		{MapHist{Bins: 0}, 10, g, "0 bins"},
		{MapHist{Bins: 4096}, 5000, g, "4096 bins"},
		{MapHist{Bins: 16}, 16, g, "buffer of 16 words"},
		{MapHist{Bins: 16}, 17, HistGeom{N: 1, W: 8, Y0: 0, Y1: 9, In: Dense(1, 8, 8)}, "map histogram"},
	} {
		if err := tc.op.Ref(make([]uint32, tc.hist), in, tc.g); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: %v, want %q", tc.op, err, tc.want)
		}
	}
	if _, ok := (MapHist{Bins: 4}).Quantile(make([]uint32, 5), 50); ok {
		t.Error("an empty histogram has a median")
	}
}
