package metric

import (
	"fmt"

	"github.com/vkpercept/vkpercept/kernels"
)

// Levels is the number of pyramid levels MILO evaluates.
const Levels = 4

// MinSize is the smallest height or width the pyramid supports: the coarsest
// level must be at least 2 pixels so that the initial mask is at least 1.
const MinSize = 16

// engine is what the MILO graph needs from a backend; T is its tensor handle.
// The CPU engine computes at once, the Vulkan engine records dispatches.
type engine[T any] interface {
	input(data []float32, s kernels.Shape) (T, error)
	zeros(s kernels.Shape) (T, error)
	pool(src T, s kernels.Shape) (T, error)
	upsample(src T, s kernels.Shape, outH, outW int) (T, error)
	conv(op kernels.Conv3x3, layer int, srcs [3]T, res T, n, h, w int) (T, error)
	maskdiff(ref, dist, mask T, n, c, plane int) (T, error)
	scaler(src T, op kernels.Scaler, count int) (T, error)
	mean(src T, rows, length int) (T, error)
	read(src T, dst []float32) error
	free(t T)
}

// outputs are where the graph's results land (after finish on deferred engines).
type outputs struct {
	score, loss, mos []float32 // one per image
	qmap, mask       []float32 // N x H x W, nil when not wanted
}

// graph records or runs MILO's forward pass for n pairs of c x h x w.
func graph[T any](e engine[T], w *Weights, ref, dist []float32, n, h, wd int, out *outputs) error {
	c := w.Channels
	if h < MinSize || wd < MinSize {
		return fmt.Errorf("image is %dx%d; MILO needs at least %dx%d", wd, h, MinSize, MinSize)
	}
	var refs, dists [Levels]T
	var hs, ws [Levels]int
	var err error
	top := Levels - 1
	hs[top], ws[top] = h, wd
	if refs[top], err = e.input(ref, kernels.Shape{N: n, C: c, H: h, W: wd}); err != nil {
		return err
	}
	if dists[top], err = e.input(dist, kernels.Shape{N: n, C: c, H: h, W: wd}); err != nil {
		return err
	}
	for l := top - 1; l >= 0; l-- {
		s := kernels.Shape{N: n, C: c, H: hs[l+1], W: ws[l+1]}
		hs[l], ws[l] = kernels.AvgPool2{}.OutSize(s.H, s.W)
		if refs[l], err = e.pool(refs[l+1], s); err != nil {
			return err
		}
		if dists[l], err = e.pool(dists[l+1], s); err != nil {
			return err
		}
	}
	mh, mw := hs[0]/2, ws[0]/2
	mask, err := e.zeros(kernels.Shape{N: n, C: 1, H: mh, W: mw})
	if err != nil {
		return err
	}
	for l := 0; l < Levels; l++ {
		up, err := e.upsample(mask, kernels.Shape{N: n, C: 1, H: mh, W: mw}, hs[l], ws[l])
		if err != nil {
			return err
		}
		e.free(mask)
		x := up
		in := [3]int{c, c, 1}
		srcs := [3]T{refs[l], dists[l], up}
		for i, outC := range maskOuts {
			op := kernels.Conv3x3{In: in, Out: outC, Act: kernels.ActReLU}
			if i == len(maskOuts)-1 {
				op.Act, op.Residual = kernels.ActSigmoid, true
			}
			y, err := e.conv(op, i, srcs, up, n, hs[l], ws[l])
			if err != nil {
				return err
			}
			if i > 0 {
				e.free(x)
			}
			x = y
			in = [3]int{outC, 0, 0}
			srcs = [3]T{y}
		}
		e.free(up)
		mask, mh, mw = x, hs[l], ws[l]
		if l < top {
			e.free(refs[l])
			e.free(dists[l])
		}
	}
	plane := h * wd
	d, err := e.maskdiff(refs[top], dists[top], mask, n, c, plane)
	if err != nil {
		return err
	}
	loss, err := e.mean(d, n, plane)
	if err != nil {
		return err
	}
	s0 := kernels.Scaler{Hidden: scalerHidden}.S(w.Scaler, 0)
	qmap, err := e.scaler(d, kernels.Scaler{Hidden: scalerHidden, Sub: s0, Scale: 1}, n*plane)
	if err != nil {
		return err
	}
	score, err := e.mean(qmap, n, plane)
	if err != nil {
		return err
	}
	mos, err := e.scaler(loss, kernels.Scaler{Hidden: scalerHidden, Scale: -5, Bias: 5}, n)
	if err != nil {
		return err
	}
	for _, rd := range []struct {
		src T
		dst []float32
	}{{score, out.score}, {loss, out.loss}, {mos, out.mos}, {qmap, out.qmap}, {mask, out.mask}} {
		if rd.dst != nil {
			if err := e.read(rd.src, rd.dst); err != nil {
				return err
			}
		}
	}
	for _, t := range []T{refs[top], dists[top], mask, d, loss, qmap, score, mos} {
		e.free(t)
	}
	return nil
}
