package kernels

import (
	"fmt"

	"github.com/vkpercept/vkpercept/vk"
)

// Upsample2 is bilinear 2x upsampling with align_corners=True followed by
// replicate padding of the last row/column up to the target size (MILO pads
// by one where the finer pyramid level has an odd size).
type Upsample2 struct{}

// upScale is align_corners' (in-1)/(out-1) for out = 2in, rounded to float32.
func upScale(inN int) float32 { return float32(inN-1) / float32(2*inN-1) }

// upCoord gives the two source taps and the weight of the second, in float32
// arithmetic as PyTorch's CPU kernel computes them.
func upCoord(d, inN int) (int, int, float32) {
	upN := 2 * inN
	if d > upN-1 {
		d = upN - 1
	}
	s := upScale(inN) * float32(d)
	i0 := int(s)
	if i0 > inN-1 {
		i0 = inN - 1
	}
	i1 := i0 + 1
	if i1 > inN-1 {
		i1 = inN - 1
	}
	return i0, i1, s - float32(i0)
}

// Ref upsamples planes planes of inH x inW to outH x outW (outH is 2inH or 2inH+1; likewise W).
func (Upsample2) Ref(out, in []float32, planes, inH, inW, outH, outW int) error {
	if err := checkUpsample(inH, inW, outH, outW); err != nil {
		return err
	}
	if len(in) < planes*inH*inW || len(out) < planes*outH*outW {
		return fmt.Errorf("upsample2: buffers too small for %d planes", planes)
	}
	ParallelFor(planes, func(c int) {
		src := in[c*inH*inW:]
		dst := out[c*outH*outW:]
		for y := 0; y < outH; y++ {
			y0, y1, fy := upCoord(y, inH)
			for x := 0; x < outW; x++ {
				x0, x1, fx := upCoord(x, inW)
				top := (1-fx)*src[y0*inW+x0] + fx*src[y0*inW+x1]
				bot := (1-fx)*src[y1*inW+x0] + fx*src[y1*inW+x1]
				dst[y*outW+x] = (1-fy)*top + fy*bot
			}
		}
	})
	return nil
}

// Record records the upsampling.
func (Upsample2) Record(g GPU, r *vk.Recorder, out, in *vk.Buffer, planes, inH, inW, outH, outW int) error {
	if err := checkUpsample(inH, inW, outH, outW); err != nil {
		return err
	}
	k, err := g.kernel("upsample2_f32")
	if err != nil {
		return err
	}
	return r.Dispatch(vk.Dispatch{
		Kernel: k,
		Groups: [3]uint32{groups(outW, 16), groups(outH, 16), uint32(planes)},
		Push: []uint32{uint32(inW), uint32(inH), uint32(outW), uint32(outH), uint32(planes),
			f32bits(upScale(inW)), f32bits(upScale(inH))},
		Out:   []*vk.Buffer{out},
		In:    []*vk.Buffer{in},
		Label: fmt.Sprintf("upsample2 %dx%d", outW, outH),
	})
}

// checkUpsample accepts targets of twice the size, or one more (the replicate pad).
func checkUpsample(inH, inW, outH, outW int) error {
	if outH < 2*inH || outH > 2*inH+1 || outW < 2*inW || outW > 2*inW+1 {
		return fmt.Errorf("upsample2: %dx%d cannot come from %dx%d", outW, outH, inW, inH)
	}
	return nil
}
