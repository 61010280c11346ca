package kernels

import "testing"

func TestHalfConversion(t *testing.T) {
	cases := []struct {
		v    float32
		bits uint16
	}{
		{0, 0}, {1, 0x3c00}, {-2, 0xc000}, {65504, 0x7bff}, {65520, 0x7c00}, // rounds up to +Inf
		{5.960464477539063e-08, 0x0001}, {6.103515625e-05, 0x0400}, {0.333333343, 0x3555},
		{1 + 1.0/2048, 0x3c00}, {1 + 3.0/2048, 0x3c02}, // ties to even
	}
	for _, c := range cases {
		if got := HalfBits(c.v); got != c.bits {
			t.Errorf("HalfBits(%g) = %#04x, want %#04x", c.v, got, c.bits)
		}
	}
	// Every finite half survives the round trip.
	for h := uint32(0); h < 0x10000; h++ {
		if h&0x7c00 == 0x7c00 {
			continue
		}
		if back := HalfBits(HalfValue(uint16(h))); back != uint16(h) {
			t.Fatalf("%#04x -> %g -> %#04x", h, HalfValue(uint16(h)), back)
		}
	}
	v := []float32{1, -0.5, 3.25}
	if got := UnpackHalf(PackHalf(v), 3); got[0] != 1 || got[1] != -0.5 || got[2] != 3.25 {
		t.Fatalf("pack/unpack gave %v", got)
	}
}
