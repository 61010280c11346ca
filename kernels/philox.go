package kernels

import (
	"math"
	"math/bits"
)

// Philox4x32-10 (Salmon et al., SC'11): a counter-based generator, so any
// element's noise is a pure function of (key, counter) and the same on every
// backend, batch split and tiling. shaders/philox.glsl is the device twin.
const (
	philoxM0 = 0xD2511F53
	philoxM1 = 0xCD9E8D57
	philoxW0 = 0x9E3779B9
	philoxW1 = 0xBB67AE85
)

// Philox4x32 returns the 4 output words for counter c and key k.
func Philox4x32(c [4]uint32, k [2]uint32) [4]uint32 {
	for r := 0; r < 10; r++ {
		hi0, lo0 := bits.Mul32(philoxM0, c[0])
		hi1, lo1 := bits.Mul32(philoxM1, c[2])
		c = [4]uint32{hi1 ^ c[1] ^ k[0], lo1, hi0 ^ c[3] ^ k[1], lo0}
		k[0] += philoxW0
		k[1] += philoxW1
	}
	return c
}

// NoiseKey splits a 64-bit seed into the Philox key.
func NoiseKey(seed uint64) [2]uint32 { return [2]uint32{uint32(seed), uint32(seed >> 32)} }

// NoiseCounter is the counter of the block holding element e of stream s
// (0: the Brownian start, 1: the increments) at step k: 4 normals per block.
func NoiseCounter(e int, k, stream uint32) [4]uint32 {
	return [4]uint32{uint32(e / 4), k, stream, 0x49454D31} // last word: "IEM1", a domain tag
}

// unit maps the top 24 bits of a word to (0,1), exactly representable in float32.
func unit(x uint32) float64 { return (float64(x>>8) + 0.5) / (1 << 24) }

// Normal4 turns one Philox block into four standard normals (Box-Muller on
// words 0,1 and 2,3), in float64; the device computes the same in float32.
func Normal4(w [4]uint32) [4]float64 {
	r0 := math.Sqrt(-2 * math.Log(unit(w[0])))
	r1 := math.Sqrt(-2 * math.Log(unit(w[2])))
	t0, t1 := 2*math.Pi*unit(w[1]), 2*math.Pi*unit(w[3])
	return [4]float64{r0 * math.Cos(t0), r0 * math.Sin(t0), r1 * math.Cos(t1), r1 * math.Sin(t1)}
}

// NoiseAt is the standard normal for element e of stream s at step k.
func NoiseAt(seed uint64, e int, k, stream uint32) float64 {
	return Normal4(Philox4x32(NoiseCounter(e, k, stream), NoiseKey(seed)))[e%4]
}

// NoiseBlock writes the standard normals of elements [4b, 4b+4) of a stream at
// step k into dst (which may be shorter at the end): one Philox call for four.
func NoiseBlock(dst []float64, seed uint64, b int, k, stream uint32) {
	v := Normal4(Philox4x32(NoiseCounter(4*b, k, stream), NoiseKey(seed)))
	copy(dst, v[:])
}
