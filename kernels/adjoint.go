package kernels

import "fmt"

// The adjoints of the resampling ops over whole dense planes, for MILO's
// gradient (metric.LossGrad): each adds to gin what gout, a gradient with
// respect to the op's output, contributes through the op to its input.
// Each input plane is done on its own, so the result does not depend on the
// number of threads. The upsampling's overlapping taps are summed in
// float64; the pooling's 2x2 blocks do not overlap, so each input takes a
// single term.

// Adjoint adds to gin (planes x inH x inW) the upsampling's adjoint of gout
// (planes x outH x outW): every output pixel hands its gradient back to the
// four taps it was interpolated from, with their weights.
func (Upsample2) Adjoint(gin, gout []float32, planes, inH, inW, outH, outW int) error {
	if err := checkUpsample(inH, inW, outH, outW); err != nil {
		return err
	}
	if len(gin) != planes*inH*inW || len(gout) != planes*outH*outW {
		return fmt.Errorf("upsample2 adjoint: %d and %d values for %d planes of %dx%d and %dx%d", len(gin), len(gout), planes, inW, inH, outW, outH)
	}
	ParallelFor(planes, func(c int) {
		acc := make([]float64, inH*inW)
		src := gout[c*outH*outW:]
		for y := 0; y < outH; y++ {
			y0, y1, fy := upCoord(y, inH)
			for x := 0; x < outW; x++ {
				x0, x1, fx := upCoord(x, inW)
				g := float64(src[y*outW+x])
				gy0, gy1 := g*float64(1-fy), g*float64(fy)
				acc[y0*inW+x0] += gy0 * float64(1-fx)
				acc[y0*inW+x1] += gy0 * float64(fx)
				acc[y1*inW+x0] += gy1 * float64(1-fx)
				acc[y1*inW+x1] += gy1 * float64(fx)
			}
		}
		dst := gin[c*inH*inW:]
		for i, v := range acc {
			dst[i] += float32(v)
		}
	})
	return nil
}

// Adjoint adds to gin (planes x h x w) the pooling's adjoint of gout
// (planes x h/2 x w/2): a quarter of each output pixel's gradient to each of
// its four inputs; an odd last row or column, which no output reads, gets
// nothing.
func (op AvgPool2) Adjoint(gin, gout []float32, planes, h, w int) error {
	oh, ow := op.OutSize(h, w)
	if len(gin) != planes*h*w || len(gout) != planes*oh*ow {
		return fmt.Errorf("avgpool2 adjoint: %d and %d values for %d planes of %dx%d", len(gin), len(gout), planes, w, h)
	}
	ParallelFor(planes, func(c int) {
		src, dst := gout[c*oh*ow:], gin[c*h*w:]
		for y := 0; y < oh; y++ {
			for x := 0; x < ow; x++ {
				g := src[y*ow+x] * 0.25
				dst[2*y*w+2*x] += g
				dst[2*y*w+2*x+1] += g
				dst[(2*y+1)*w+2*x] += g
				dst[(2*y+1)*w+2*x+1] += g
			}
		}
	})
	return nil
}
