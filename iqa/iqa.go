// Package iqa holds classic full-reference image-quality metrics that model
// contrast masking and structure: SSIM, MS-SSIM, GMSD, NLPD and HaarPSI, and
// the CIEDE2000 colour difference. They are the
// teachers whose pooled, rescaled scores become the pseudo-MOS that MILO is
// trained on, and commands of their own. All run on the CPU in float64.
package iqa

import (
	"fmt"

	"github.com/vkpercept/vkpercept/metric"
)

// plane is one H x W channel in float64.
type plane struct {
	w, h int
	v    []float64
}

// luma is BT.601 luminance of an RGB image in [0,1] (the teachers' input).
func luma(im metric.Image) (plane, error) {
	if im.C != 3 || len(im.Data) != 3*im.H*im.W {
		return plane{}, fmt.Errorf("need an RGB image, got %dx%dx%d with %d values", im.C, im.H, im.W, len(im.Data))
	}
	n := im.H * im.W
	p := plane{w: im.W, h: im.H, v: make([]float64, n)}
	for i := range p.v {
		p.v[i] = 0.299*float64(im.Data[i]) + 0.587*float64(im.Data[n+i]) + 0.114*float64(im.Data[2*n+i])
	}
	return p, nil
}

// sameSize is every metric's first check.
func sameSize(ref, dist metric.Image) error {
	if ref.C != dist.C || ref.H != dist.H || ref.W != dist.W {
		return fmt.Errorf("size mismatch: ref is %dx%d, dist is %dx%d", ref.W, ref.H, dist.W, dist.H)
	}
	return nil
}

func pair(ref, dist metric.Image) (plane, plane, error) {
	if err := sameSize(ref, dist); err != nil {
		return plane{}, plane{}, err
	}
	a, err := luma(ref)
	if err != nil {
		return a, a, err
	}
	b, err := luma(dist)
	return a, b, err
}

// down2Pad averages 2x2 blocks and keeps every other one, as the reference
// MATLAB code does (a 2x2 box filter of "same" size, then odd samples): an
// odd last row or column is averaged with padding, zeros (conv2, GMSD) or a
// mirror of itself (imfilter 'symmetric', MS-SSIM).
func down2Pad(p plane, zero bool) plane {
	out := plane{w: (p.w + 1) / 2, h: (p.h + 1) / 2}
	out.v = make([]float64, out.w*out.h)
	at := func(x, y int) float64 {
		if x >= p.w || y >= p.h {
			if zero {
				return 0
			}
			x, y = min(x, p.w-1), min(y, p.h-1)
		}
		return p.v[y*p.w+x]
	}
	for y := 0; y < out.h; y++ {
		for x := 0; x < out.w; x++ {
			out.v[y*out.w+x] = (at(2*x, 2*y) + at(2*x+1, 2*y) + at(2*x, 2*y+1) + at(2*x+1, 2*y+1)) / 4
		}
	}
	return out
}

// filterValid correlates p with a separable kernel k (len odd), keeping only
// the positions where the kernel fits ("valid").
func filterValid(p plane, k []float64) plane {
	n := len(k)
	tmp := plane{w: p.w - n + 1, h: p.h}
	tmp.v = make([]float64, tmp.w*tmp.h)
	for y := 0; y < p.h; y++ {
		for x := 0; x < tmp.w; x++ {
			var s float64
			for i, c := range k {
				s += c * p.v[y*p.w+x+i]
			}
			tmp.v[y*tmp.w+x] = s
		}
	}
	out := plane{w: tmp.w, h: p.h - n + 1}
	out.v = make([]float64, out.w*out.h)
	for y := 0; y < out.h; y++ {
		for x := 0; x < out.w; x++ {
			var s float64
			for i, c := range k {
				s += c * tmp.v[(y+i)*tmp.w+x]
			}
			out.v[y*out.w+x] = s
		}
	}
	return out
}

func mul(a, b plane) plane {
	out := plane{w: a.w, h: a.h, v: make([]float64, len(a.v))}
	for i := range a.v {
		out.v[i] = a.v[i] * b.v[i]
	}
	return out
}

// everyOther keeps the samples at even rows and columns (from the first).
func everyOther(p plane) plane {
	out := plane{w: (p.w + 1) / 2, h: (p.h + 1) / 2}
	out.v = make([]float64, out.w*out.h)
	for y := 0; y < out.h; y++ {
		for x := 0; x < out.w; x++ {
			out.v[y*out.w+x] = p.v[2*y*p.w+2*x]
		}
	}
	return out
}
