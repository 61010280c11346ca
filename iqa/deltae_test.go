package iqa

import (
	"math"
	"testing"

	"github.com/vkpercept/vkpercept/metric"
)

// The 34 test pairs published with the CIEDE2000 implementation notes
// (Sharma, Wu and Dalal, Color Res. Appl. 30(1), 2005, Table 1): they cover
// the hue-angle wrap, the mean-hue cases and near-neutral colours.
var sharma = []struct {
	a, b Lab
	de   float64
}{
	{Lab{50, 2.6772, -79.7751}, Lab{50, 0, -82.7485}, 2.0425},
	{Lab{50, 3.1571, -77.2803}, Lab{50, 0, -82.7485}, 2.8615},
	{Lab{50, 2.8361, -74.0200}, Lab{50, 0, -82.7485}, 3.4412},
	{Lab{50, -1.3802, -84.2814}, Lab{50, 0, -82.7485}, 1.0000},
	{Lab{50, -1.1848, -84.8006}, Lab{50, 0, -82.7485}, 1.0000},
	{Lab{50, -0.9009, -85.5211}, Lab{50, 0, -82.7485}, 1.0000},
	{Lab{50, 0, 0}, Lab{50, -1, 2}, 2.3669},
	{Lab{50, -1, 2}, Lab{50, 0, 0}, 2.3669},
	{Lab{50, 2.4900, -0.0010}, Lab{50, -2.4900, 0.0009}, 7.1792},
	{Lab{50, 2.4900, -0.0010}, Lab{50, -2.4900, 0.0010}, 7.1792},
	{Lab{50, 2.4900, -0.0010}, Lab{50, -2.4900, 0.0011}, 7.2195},
	{Lab{50, 2.4900, -0.0010}, Lab{50, -2.4900, 0.0012}, 7.2195},
	{Lab{50, -0.0010, 2.4900}, Lab{50, 0.0009, -2.4900}, 4.8045},
	{Lab{50, -0.0010, 2.4900}, Lab{50, 0.0010, -2.4900}, 4.8045},
	{Lab{50, -0.0010, 2.4900}, Lab{50, 0.0011, -2.4900}, 4.7461},
	{Lab{50, 2.5, 0}, Lab{50, 0, -2.5}, 4.3065},
	{Lab{50, 2.5, 0}, Lab{73, 25, -18}, 27.1492},
	{Lab{50, 2.5, 0}, Lab{61, -5, 29}, 22.8977},
	{Lab{50, 2.5, 0}, Lab{56, -27, -3}, 31.9030},
	{Lab{50, 2.5, 0}, Lab{58, 24, 15}, 19.4535},
	{Lab{50, 2.5, 0}, Lab{50, 3.1736, 0.5854}, 1.0000},
	{Lab{50, 2.5, 0}, Lab{50, 3.2972, 0}, 1.0000},
	{Lab{50, 2.5, 0}, Lab{50, 1.8634, 0.5757}, 1.0000},
	{Lab{50, 2.5, 0}, Lab{50, 3.2592, 0.3350}, 1.0000},
	{Lab{60.2574, -34.0099, 36.2677}, Lab{60.4626, -34.1751, 39.4387}, 1.2644},
	{Lab{63.0109, -31.0961, -5.8663}, Lab{62.8187, -29.7946, -4.0864}, 1.2630},
	{Lab{61.2901, 3.7196, -5.3901}, Lab{61.4292, 2.2480, -4.9620}, 1.8731},
	{Lab{35.0831, -44.1164, 3.7933}, Lab{35.0232, -40.0716, 1.5901}, 1.8645},
	{Lab{22.7233, 20.0904, -46.6940}, Lab{23.0331, 14.9730, -42.5619}, 2.0373},
	{Lab{36.4612, 47.8580, 18.3852}, Lab{36.2715, 50.5065, 21.2231}, 1.4146},
	{Lab{90.8027, -2.0831, 1.4410}, Lab{91.1528, -1.6435, 0.0447}, 1.4441},
	{Lab{90.9257, -0.5406, -0.9208}, Lab{88.6381, -0.8985, -0.7239}, 1.5381},
	{Lab{6.7747, -0.2908, -2.4247}, Lab{5.8714, -0.0985, -2.2286}, 0.6377},
	{Lab{2.0776, 0.0795, -1.1350}, Lab{0.9033, -0.0636, -0.5514}, 0.9082},
}

func TestCIEDE2000Sharma(t *testing.T) {
	for i, c := range sharma {
		// The table is rounded to 4 decimals; the formula is symmetric.
		for _, got := range []float64{CIEDE2000(c.a, c.b), CIEDE2000(c.b, c.a)} {
			if math.Abs(got-c.de) > 6e-5 {
				t.Errorf("pair %d: %.6f, table %.4f", i+1, got, c.de)
			}
		}
	}
}

// sRGB primaries and white against their CIELAB values (D65, IEC 61966-2-1).
func TestSRGBToLab(t *testing.T) {
	for _, c := range []struct {
		r, g, b float64
		want    Lab
	}{
		{1, 1, 1, Lab{100, 0, 0}},
		{0, 0, 0, Lab{0, 0, 0}},
		{1, 0, 0, Lab{53.2408, 80.0925, 67.2032}},
		{0, 1, 0, Lab{87.7347, -86.1827, 83.1793}},
		{0, 0, 1, Lab{32.2970, 79.1875, -107.8602}},
	} {
		got := SRGBToLab(c.r, c.g, c.b)
		if math.Abs(got.L-c.want.L) > 2e-3 || math.Abs(got.A-c.want.A) > 2e-3 || math.Abs(got.B-c.want.B) > 2e-3 {
			t.Errorf("sRGB (%g,%g,%g): %+v, want %+v", c.r, c.g, c.b, got, c.want)
		}
	}
}

// The image metric: zero on itself, grows with a colour shift, refuses
// mismatched sizes.
func TestDeltaE2000Image(t *testing.T) {
	ref, err := metric.LoadImage("testdata/a_ref.png")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := DeltaE2000(ref, ref); err != nil || v != 0 {
		t.Fatalf("on itself: %g, %v", v, err)
	}
	n := ref.H * ref.W
	prev := 0.0
	for _, s := range []float32{0.02, 0.05, 0.1} {
		d := metric.Image{C: 3, H: ref.H, W: ref.W, Data: append([]float32(nil), ref.Data...)}
		for i := 0; i < n; i++ { // push red up and blue down
			d.Data[i] = min(d.Data[i]+s, 1)
			d.Data[2*n+i] = max(d.Data[2*n+i]-s, 0)
		}
		v, err := DeltaE2000(ref, d)
		if err != nil || v <= prev {
			t.Errorf("shift %g: %g after %g (%v)", s, v, prev, err)
		}
		prev = v
	}
	other := metric.Image{C: 3, H: ref.H - 1, W: ref.W, Data: ref.Data[:3*(ref.H-1)*ref.W]}
	if _, err := DeltaE2000(ref, other); err == nil {
		t.Error("accepted a size mismatch")
	}
}
