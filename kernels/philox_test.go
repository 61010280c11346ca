package kernels

import (
	"math"
	"testing"
)

// Known-answer vectors of Philox4x32-10 from Random123's kat_vectors.
var philoxKAT = []struct {
	ctr  [4]uint32
	key  [2]uint32
	want [4]uint32
}{
	{[4]uint32{0, 0, 0, 0}, [2]uint32{0, 0}, [4]uint32{0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8}},
	{[4]uint32{^uint32(0), ^uint32(0), ^uint32(0), ^uint32(0)}, [2]uint32{^uint32(0), ^uint32(0)}, [4]uint32{0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd}},
	{[4]uint32{0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344}, [2]uint32{0xa4093822, 0x299f31d0}, [4]uint32{0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1}},
}

func TestPhiloxKnownAnswers(t *testing.T) {
	for _, v := range philoxKAT {
		if got := Philox4x32(v.ctr, v.key); got != v.want {
			t.Errorf("Philox4x32(%x, %x) = %x, want %x", v.ctr, v.key, got, v.want)
		}
	}
}

// The device generator gives the same bits as the Go one, for the KAT
// counters and a long run of counters crossing a 32-bit wrap.
func TestPhiloxDeviceBitsMatchGo(t *testing.T) {
	for _, op := range []PhiloxRaw{
		{Count: 1, First: philoxKAT[2].ctr[0], C1: philoxKAT[2].ctr[1], C2: philoxKAT[2].ctr[2], C3: philoxKAT[2].ctr[3], Key: philoxKAT[2].key},
		{Count: 1000, First: ^uint32(0) - 500, C1: 7, C2: 1, C3: 0x49454D31, Key: NoiseKey(0x123456789abcdef)},
	} {
		want := op.Ref()
		r := begin(t, false)
		out := scratch(t, len(want))
		if err := op.Record(gpu, r, out); err != nil {
			t.Fatal(err)
		}
		raw := make([]float32, len(want))
		if err := r.Download(out, raw); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Submit(); err != nil {
			t.Fatal(err)
		}
		for i, w := range want {
			if got := math.Float32bits(raw[i]); got != w {
				t.Fatalf("word %d: device %08x, Go %08x", i, got, w)
			}
		}
	}
}

// The Box-Muller normals have the moments of N(0,1) and are not correlated
// between neighbouring elements or steps.
func TestNoiseIsStandardNormal(t *testing.T) {
	const n = 200000
	var s1, s2, s3, s4, lag, cross float64
	prev := 0.0
	for e := 0; e < n; e++ {
		x := NoiseAt(42, e, 3, 1)
		y := NoiseAt(42, e, 4, 1)
		s1 += x
		s2 += x * x
		s3 += x * x * x
		s4 += x * x * x * x
		lag += x * prev
		cross += x * y
		prev = x
	}
	mean, vari := s1/n, s2/n-(s1/n)*(s1/n)
	tol := 5 / math.Sqrt(n) // five standard errors
	checks := []struct {
		name      string
		got, want float64
		tolerance float64
	}{
		{"mean", mean, 0, tol},
		{"variance", vari, 1, tol * math.Sqrt(2)},
		{"skewness", s3 / n, 0, tol * math.Sqrt(15)},
		{"kurtosis", s4 / n, 3, tol * math.Sqrt(96)},
		{"lag-1 correlation", lag / n, 0, tol},
		{"step correlation", cross / n, 0, tol},
	}
	for _, c := range checks {
		if math.Abs(c.got-c.want) > c.tolerance {
			t.Errorf("%s = %.4f, want %.1f ± %.4f", c.name, c.got, c.want, c.tolerance)
		}
	}
	if NoiseAt(1, 5, 0, 1) == NoiseAt(2, 5, 0, 1) || NoiseAt(1, 5, 0, 0) == NoiseAt(1, 5, 0, 1) {
		t.Error("seed or stream does not change the noise")
	}
}

func TestIEMGridChecks(t *testing.T) {
	g, err := NewIEMGrid(64, 1, 1000)
	if err != nil || g.Sigma[0] != 1000 || g.Sigma[64] != 1 || len(g.DGamma) != 64 {
		t.Fatalf("grid %v %v", g.Sigma[:2], err)
	}
	// log-uniform: constant ratio
	r := g.Sigma[1] / g.Sigma[0]
	if math.Abs(g.Sigma[33]/g.Sigma[32]-r) > 1e-12 {
		t.Error("sigma grid is not log-uniform")
	}
	for _, bad := range [][3]float64{{0, 1, 10}, {4, 0, 10}, {4, -1, 10}, {4, 10, 10}, {4, 20, 10}, {4, math.NaN(), 10}} {
		if _, err := NewIEMGrid(int(bad[0]), bad[1], bad[2]); err == nil {
			t.Errorf("grid %v accepted", bad)
		}
	}
}

func TestDispatchOverheadIsMeasured(t *testing.T) {
	ns, err := DispatchOverhead(gpu, 16)
	if err != nil {
		t.Fatal(err)
	}
	// Timestamps on either side of an empty dispatch: non-negative and far under a second.
	if ns < 0 || ns > 1e9 {
		t.Fatalf("empty dispatch took %g ns", ns)
	}
}
