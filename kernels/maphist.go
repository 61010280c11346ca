package kernels

import (
	"fmt"
	"math"

	"github.com/vkpercept/vkpercept/vk"
)

// histPer is the pixels one map_hist invocation counts: a workgroup's 256
// invocations share one zeroing and one flush of the shared bins.
const histPer = 16

// MapHist counts rows of single-channel images (MILO's quality map) into
// Bins equal bins from Lo, 1/Bins wide, and keeps each image's maximum,
// so that a pass reads back a few kilobytes instead of the map and still
// knows its quantiles to within a bin (Quantile). Images are laid out in
// the histogram buffer HistLen apart: Bins counts, then the maximum as an
// order-preserving key (0 when no value was counted).
type MapHist struct {
	Bins int     // at most 2048: the shader's shared counters
	Lo   float32 // the first bin's lower edge; values outside the range go to the end bins
}

// HistGeom is n images of width W, rows [Y0, Y1) of the view In.
type HistGeom struct {
	N, W, Y0, Y1 int
	In           View
}

// HistLen is the histogram buffer's length per image, in 32-bit words.
func (op MapHist) HistLen() int { return op.Bins + 1 }

func (op MapHist) check(g HistGeom, hist, in int) error {
	if op.Bins < 1 || op.Bins > 2048 {
		return fmt.Errorf("map histogram: %d bins (1 to 2048)", op.Bins)
	}
	if hist < g.N*op.HistLen() {
		return fmt.Errorf("map histogram: buffer of %d words for %d images of %d", hist, g.N, op.HistLen())
	}
	return g.In.check("map histogram", in, g.N, 1, g.Y0, g.Y1, g.W)
}

// bin is v's bin, as the shader computes it.
func (op MapHist) bin(v float32) int {
	f := float32(math.Floor(float64((v - op.Lo) * float32(op.Bins))))
	return int(min(max(f, 0), float32(op.Bins-1)))
}

// orderKey maps floats to uint32s of the same order (negatives reversed).
func orderKey(v float32) uint32 {
	u := math.Float32bits(v)
	if u&0x80000000 != 0 {
		return ^u
	}
	return u | 0x80000000
}

func fromOrderKey(k uint32) float32 {
	if k&0x80000000 != 0 {
		return math.Float32frombits(k &^ 0x80000000)
	}
	return math.Float32frombits(^k)
}

// Ref adds the rows' counts and maxima to hist, as Record does.
func (op MapHist) Ref(hist []uint32, in []float32, g HistGeom) error {
	if err := op.check(g, len(hist), len(in)); err != nil {
		return err
	}
	for n := 0; n < g.N; n++ {
		h := hist[n*op.HistLen() : (n+1)*op.HistLen()]
		for y := g.Y0; y < g.Y1; y++ {
			row := in[g.In.At(n, 0, y, g.W):][:g.W]
			for _, v := range row {
				h[op.bin(v)]++
				h[op.Bins] = max(h[op.Bins], orderKey(v))
			}
		}
	}
	return nil
}

// Record adds the rows' counts and maxima to hist (32-bit words, zeroed
// before the first rows).
func (op MapHist) Record(gpu GPU, r *vk.Recorder, hist, in *vk.Buffer, g HistGeom) error {
	if err := op.check(g, floats(hist), floats(in)); err != nil {
		return err
	}
	k, err := gpu.kernel("map_hist_f32", uint32(op.Bins), histPer)
	if err != nil {
		return err
	}
	px := (g.Y1 - g.Y0) * g.W
	push := append([]uint32{uint32(g.W), uint32(g.Y0), uint32(g.Y1 - g.Y0), f32bits(op.Lo), f32bits(float32(op.Bins))}, g.In.push()...)
	return r.Dispatch(vk.Dispatch{
		Kernel: k,
		Groups: [3]uint32{groups(px, 256*histPer), uint32(g.N), 1},
		Push:   push,
		Out:    []*vk.Buffer{hist},
		In:     []*vk.Buffer{in},
		Label:  "map histogram",
		Bytes:  4 * float64(g.N*px),
	})
}

// Quantile is the p-th percentile (0 to 100) of the values one image's
// histogram h (HistLen words) counted, interpolated linearly between ranks
// as NumPy's default does, the values of a bin taken as spread evenly over
// it: within a bin's width (1/Bins) of the exact quantile. It never exceeds
// the maximum. ok is false for an empty histogram.
func (op MapHist) Quantile(h []uint32, p float64) (v float64, ok bool) {
	var total uint64
	for _, c := range h[:op.Bins] {
		total += uint64(c)
	}
	if total == 0 || len(h) < op.HistLen() {
		return 0, false
	}
	top := float64(fromOrderKey(h[op.Bins]))
	rank := p / 100 * float64(total-1)
	lo := uint64(rank)
	a, b := op.atRank(h, lo, top), op.atRank(h, min(lo+1, total-1), top)
	return a + (rank-float64(lo))*(b-a), true
}

// atRank is the value of rank j (0-based) in h's bins, spread evenly.
func (op MapHist) atRank(h []uint32, j uint64, top float64) float64 {
	width := 1 / float64(op.Bins)
	var cum uint64
	for k, c := range h[:op.Bins] {
		if j < cum+uint64(c) {
			v := float64(op.Lo) + (float64(k)+(float64(j-cum)+0.5)/float64(c))*width
			return min(v, top)
		}
		cum += uint64(c)
	}
	return top
}

// Max is the largest value one image's histogram h counted.
func (op MapHist) Max(h []uint32) (float64, bool) {
	if len(h) < op.HistLen() || h[op.Bins] == 0 {
		return 0, false
	}
	return float64(fromOrderKey(h[op.Bins])), true
}
