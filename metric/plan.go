package metric

import (
	"fmt"

	"github.com/vkpercept/vkpercept/kernels"
	"github.com/vkpercept/vkpercept/vk"
)

// Levels is the number of pyramid levels MILO evaluates.
const Levels = 4

// MinSize is the smallest height or width the pyramid supports: the coarsest
// level must be at least 2 pixels so that the initial mask is at least 1.
const MinSize = 16

// DefaultBudget is the device memory a MILO pass plans for by default: a
// 3840x2160 pair fits in it with room to spare.
const DefaultBudget = 256 << 20

// halo is the rows a band reads beyond its output on each side: one per 3x3
// layer of the mask network.
const halo = 5 // len(maskOuts)

// minBand is the fewest output rows a band may have before the plan stops
// shrinking bands and lets memory exceed the budget instead.
const minBand = 16

// bandChannels are the float32-equivalent channels of the band buffers: the
// upsampled mask U, the 32- and 64-channel activations A and B (layers
// alternate between them; half as large in fp16), the finest level's mask M,
// its d and q maps when maps are read back or counted, and the finest level's ref and
// dist rows when the inputs are not resident.
func (p *plan) bandChannels() int {
	c := 1 + 32 + 64 + 1
	if p.half {
		c = 1 + 16 + 32 + 1
	}
	if p.maps || p.hist {
		c += 2
	}
	if !p.resident {
		c += 2 * p.c
	}
	return c
}

// histBins are the quality map's histogram bins (MILO.Quantiles): its
// quantiles are known to 1/histBins, the most the shader's shared counters
// allow where a device has the least shared memory Vulkan permits.
const histBins = 2048

// histFor is the histogram of a quality map q = S(d) - sub, sub = S(0):
// with S in (0, 1), q lies in [-sub, 1 - sub), which the bins span.
func histFor(sub float32) kernels.MapHist { return kernels.MapHist{Bins: histBins, Lo: -sub} }

// Precision is the storage of the mask network's activations.
type Precision string

const (
	// FP32 keeps everything in float32: the golden-test accuracy.
	FP32 Precision = "fp32"
	// FP16 stores the 32- and 64-channel activations as binary16 (half the
	// memory traffic), computing in float32; scores move by about 1e-4.
	FP16 Precision = "fp16"
	// FP16Math stores as FP16 does and also computes the convolutions in
	// binary16 (each input channel's nine taps; channels summed in float32),
	// on devices with shaderFloat16. The first layer and the fused pairs keep
	// float32 arithmetic.
	FP16Math Precision = "fp16-math"
	// FP16MMA stores as FP16 does and runs the single-layer convolutions as
	// implicit GEMMs on binary16 tiles with fp32 sums (tensor cores and
	// other matrix units, VK_KHR_cooperative_matrix or
	// VK_NV_cooperative_matrix; vk.Features.MatrixTiles). The first layer
	// and the fused pairs keep float32 arithmetic.
	FP16MMA Precision = "fp16-mma"
	// FP16MMAEmulated is FP16MMA with the tile products done by scalar
	// arithmetic, on any device with 16-bit storage: slow, it exists to test
	// everything the native tiles share (packing, staging, bands) anywhere.
	FP16MMAEmulated Precision = "fp16-mma-emu"
)

// ParsePrecision accepts fp32, fp16, fp16-math, fp16-mma, fp16-mma-emu and
// auto (fp16 where ctx has 16-bit storage).
func ParsePrecision(s string, ctx *vk.Context) (Precision, error) {
	switch s {
	case "fp32", "":
		return FP32, nil
	case "fp16":
		return FP16, nil
	case "fp16-math":
		return FP16Math, nil
	case "fp16-mma":
		return FP16MMA, nil
	case "fp16-mma-emu":
		return FP16MMAEmulated, nil
	case "auto":
		if ctx != nil && ctx.Info().Features.Storage16Bit {
			return FP16, nil
		}
		return FP32, nil
	}
	return "", fmt.Errorf("unknown precision %q (fp32, fp16, fp16-math, fp16-mma, fp16-mma-emu or auto)", s)
}

// plan is the static schedule of one MILO pass for n pairs of c x h x w: the
// pyramid sizes, how many output rows each level's bands have, and what
// lives in memory. Activations exist only for one band at a time, so memory
// follows the budget, not the image; results do not depend on the banding
// beyond float summation order.
type plan struct {
	n, c, h, w int
	maps       bool
	hist       bool        // the quality map counted into a histogram (MILO.Quantiles)
	half       bool        // fp16 activations
	mathHalf   bool        // the single-layer convolutions compute in binary16
	mma        kernels.MMA // the single-layer convolutions run on matrix tiles
	splitFirst bool        // the first layer too, split (kernels.Conv3x3.Split)
	fused      bool        // mask layers 1+2 and 4+5 as fused pairs
	hs, ws     [Levels]int
	band       [Levels]int // output rows per band
	bandCap    int         // floats per channel of each band buffer
	resident   bool        // the finest level's inputs are whole in device memory, else unpacked a band at a time
	parts      int         // tail partial pairs per image
}

// newPlan fits the pass into budget bytes (0: no limit, one band per level)
// and keeps every band buffer within maxBinding bytes, the device's largest
// storage-buffer binding (0: no limit).
func newPlan(n, c, h, w int, maps, hist, half bool, budget, maxBinding int64) (plan, error) {
	if h < MinSize || w < MinSize {
		return plan{}, fmt.Errorf("image is %dx%d; MILO needs at least %dx%d", w, h, MinSize, MinSize)
	}
	p := plan{n: n, c: c, h: h, w: w, maps: maps, hist: hist, half: half}
	top := Levels - 1
	p.hs[top], p.ws[top] = h, w
	for l := top - 1; l >= 0; l-- {
		p.hs[l], p.ws[l] = kernels.AvgPool2{}.OutSize(p.hs[l+1], p.ws[l+1])
	}
	// The widest band buffer holds 64 channels.
	limit := int64(1 << 40)
	if maxBinding > 0 {
		bytes := int64(4 * 64 * n)
		if half {
			bytes /= 2
		}
		limit = max(maxBinding/bytes, int64(w)*(minBand+2*halo))
	}
	if budget <= 0 {
		p.resident = true
		p.setBands(limit)
		return p, nil
	}
	// Prefer the inputs whole on the device; unpack them a band at a time
	// (from staging, or the caller's frames) only when that leaves too
	// little room for bands.
	for _, resident := range []bool{true, false} {
		p.resident = resident
		free := budget - p.fixedBytes()
		rows := free / int64(4*p.bandChannels()*n*w)
		if rows-2*halo >= minBand*4 || !resident {
			p.setBands(min(max(rows, minBand+2*halo)*int64(w), limit))
			break
		}
	}
	return p, nil
}

// setBands gives every level the most output rows whose band, halo included,
// fits in perImage floats per channel and image.
func (p *plan) setBands(perImage int64) {
	p.bandCap, p.parts = 0, 0
	for l := 0; l < Levels; l++ {
		rows := int(min(perImage/int64(p.ws[l]), int64(p.hs[l])+2*halo))
		p.band[l] = max(min(p.hs[l], rows-2*halo), 1)
		if p.band[l] >= p.hs[l]-halo {
			p.band[l] = p.hs[l] // a last band of a few rows would be all halo
		}
		// As many bands, of even heights: a short last band is mostly halo
		// and partly filled workgroups.
		nb := (p.hs[l] + p.band[l] - 1) / p.band[l]
		p.band[l] = (p.hs[l] + nb - 1) / nb
		p.bandCap = max(p.bandCap, p.n*p.ws[l]*min(p.hs[l], p.band[l]+2*halo))
	}
	top := Levels - 1
	for y0 := 0; y0 < p.h; y0 += p.band[top] {
		p.parts += kernels.TailGeom{W: p.w, Y0: y0, Y1: min(p.h, y0+p.band[top])}.Groups()
	}
}

// fixedBytes is what the pass holds whatever the banding: the coarser
// pyramid levels, their masks, the resident inputs and the partial sums.
func (p *plan) fixedBytes() int64 {
	var f int64
	for l := 0; l < Levels-1; l++ {
		f += int64(p.n*p.hs[l]*p.ws[l]) * int64(2*p.c+1)
	}
	if p.resident {
		f += int64(2 * p.n * p.c * p.h * p.w)
	}
	f += int64(2*p.n*(p.h*p.w/256+Levels*p.h)) + int64(3*p.n)
	return 4 * f
}

// Bytes is the memory the plan allocates: fixed buffers plus the bands.
func (p *plan) Bytes() int64 {
	return p.fixedBytes() + 4*int64(p.bandChannels()*p.bandCap)
}

// poolRows are the output rows of the first pooling per chunk where the
// inputs are unpacked a band at a time: their input rows fill a band buffer.
func (p *plan) poolRows() int {
	return max(p.bandCap/(p.n*p.w)/2, 1)
}

// bands lists level l's output row ranges.
func (p *plan) bands(l int) [][2]int {
	var out [][2]int
	for y0 := 0; y0 < p.hs[l]; y0 += p.band[l] {
		out = append(out, [2]int{y0, min(p.hs[l], y0+p.band[l])})
	}
	return out
}

// Flops is the mask network's arithmetic for one pair of c-channel images of
// h x w, two per multiply-add, over every pyramid level: the work a MILO
// pass must do whatever runs it (about 240 GFLOP at 1920x1080), for
// achieved-rate figures. The pooling, upsampling and tail add under 0.1%.
func Flops(c, h, w int) float64 {
	var f float64
	for l := 0; l < Levels; l++ {
		cin := 2*c + 1
		for _, out := range maskOuts {
			f += 2 * 9 * float64(cin*out) * float64(h) * float64(w)
			cin = out
		}
		h, w = kernels.AvgPool2{}.OutSize(h, w)
	}
	return f
}
