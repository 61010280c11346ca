package kernels

import (
	"math"
	"math/rand"
	"testing"
)

// The adjoints satisfy <op(x), y> = <x, adjoint(y)> for random x and y, on
// odd and even sizes (odd ones: the upsampling's replicated edge, the
// pooling's dropped row and column).
func TestResampleAdjoints(t *testing.T) {
	rng := rand.New(rand.NewSource(21))
	random := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = rng.Float32()*2 - 1
		}
		return v
	}
	dot := func(a, b []float32) float64 {
		s := 0.0
		for i := range a {
			s += float64(a[i]) * float64(b[i])
		}
		return s
	}
	close := func(what string, lhs, rhs float64) {
		t.Helper()
		if math.Abs(lhs-rhs) > 1e-5*math.Max(1, math.Abs(lhs)) {
			t.Errorf("%s: <op(x), y> = %.9g, <x, adjoint(y)> = %.9g", what, lhs, rhs)
		}
	}
	const planes = 2
	for _, s := range [][2]int{{5, 7}, {8, 6}, {1, 3}} {
		inH, inW := s[0], s[1]
		for _, odd := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
			outH, outW := 2*inH+odd[0], 2*inW+odd[1]
			x, y := random(planes*inH*inW), random(planes*outH*outW)
			up := make([]float32, len(y))
			if err := (Upsample2{}).Ref(up, x, Upsample2{}.DenseGeom(planes, inH, inW, outH, outW)); err != nil {
				t.Fatal(err)
			}
			adj := make([]float32, len(x))
			if err := (Upsample2{}).Adjoint(adj, y, planes, inH, inW, outH, outW); err != nil {
				t.Fatal(err)
			}
			close("upsample2", dot(up, y), dot(x, adj))

			// The pooling from the upsampling's output size back down.
			h, w := outH, outW
			oh, ow := AvgPool2{}.OutSize(h, w)
			px, py := random(planes*h*w), random(planes*oh*ow)
			pooled := make([]float32, len(py))
			if err := (AvgPool2{}).Ref(pooled, px, AvgPool2{}.DenseGeom(1, planes, h, w)); err != nil {
				t.Fatal(err)
			}
			padj := make([]float32, len(px))
			if err := (AvgPool2{}).Adjoint(padj, py, planes, h, w); err != nil {
				t.Fatal(err)
			}
			close("avgpool2", dot(pooled, py), dot(px, padj))
		}
	}
	if err := (AvgPool2{}).Adjoint(make([]float32, 10), make([]float32, 2), 1, 3, 3); err == nil {
		t.Error("avgpool2 adjoint took 10 values for a 3x3 plane")
	}
	if err := (Upsample2{}).Adjoint(make([]float32, 4), make([]float32, 16), 1, 2, 2, 5, 4); err == nil {
		t.Error("upsample2 adjoint took a 5-row target for 2 rows")
	}
}
