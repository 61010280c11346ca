package kernels

import "math"

// HalfBits rounds v to the nearest IEEE binary16 value (ties to even) and
// returns its bits; overflow gives infinity, NaN stays NaN.
func HalfBits(v float32) uint16 {
	b := math.Float32bits(v)
	sign := uint16(b>>16) & 0x8000
	e := int(b>>23) & 0xff
	mant := b & 0x7fffff
	if e == 0xff {
		if mant != 0 {
			return sign | 0x7e00
		}
		return sign | 0x7c00
	}
	exp := e - 127 + 15
	if exp >= 31 {
		return sign | 0x7c00
	}
	if exp <= 0 { // subnormal half, or zero
		if exp < -10 {
			return sign
		}
		mant |= 0x800000
		shift := uint(14 - exp)
		h := mant >> shift
		rem, halfway := mant&(1<<shift-1), uint32(1)<<(shift-1)
		if rem > halfway || (rem == halfway && h&1 == 1) {
			h++
		}
		return sign | uint16(h)
	}
	h := uint32(exp)<<10 | mant>>13
	if rem := mant & 0x1fff; rem > 0x1000 || (rem == 0x1000 && h&1 == 1) {
		h++ // a carry into the exponent is the right rounding, up to infinity
	}
	return sign | uint16(h)
}

// HalfValue is the float32 value of binary16 bits.
func HalfValue(h uint16) float32 {
	sign := uint32(h&0x8000) << 16
	e := uint32(h>>10) & 0x1f
	mant := uint32(h & 0x3ff)
	switch {
	case e == 0x1f:
		return math.Float32frombits(sign | 0x7f800000 | mant<<13)
	case e == 0 && mant == 0:
		return math.Float32frombits(sign)
	case e == 0: // subnormal: normalise
		for mant&0x400 == 0 {
			mant <<= 1
			e--
		}
		e++
		mant &= 0x3ff
	}
	return math.Float32frombits(sign | (e+127-15)<<23 | mant<<13)
}

// RoundHalf is v stored in binary16 and read back.
func RoundHalf(v float32) float32 { return HalfValue(HalfBits(v)) }

// PackHalf packs values as binary16 pairs into float32 words, as a 16-bit
// storage buffer holds them (little-endian: element 2i in the low half).
func PackHalf(v []float32) []float32 {
	out := make([]float32, (len(v)+1)/2)
	for i, x := range v {
		w := math.Float32bits(out[i/2]) | uint32(HalfBits(x))<<(16*uint(i%2))
		out[i/2] = math.Float32frombits(w)
	}
	return out
}

// UnpackHalf reads n binary16 values from packed words.
func UnpackHalf(words []float32, n int) []float32 {
	out := make([]float32, n)
	for i := range out {
		out[i] = HalfValue(uint16(math.Float32bits(words[i/2]) >> (16 * uint(i%2))))
	}
	return out
}
