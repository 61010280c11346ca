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

// UpGeom upsamples Planes dense planes of InH x InW to output rows [Y0, Y1)
// of OutH x OutW (OutH is 2InH or 2InH+1; likewise W), written through Out
// (one channel per plane).
type UpGeom struct {
	Planes               int
	InH, InW, OutH, OutW int
	Y0, Y1               int
	Out                  View
}

// DenseGeom upsamples whole planes into a dense output.
func (Upsample2) DenseGeom(planes, inH, inW, outH, outW int) UpGeom {
	return UpGeom{Planes: planes, InH: inH, InW: inW, OutH: outH, OutW: outW, Y1: outH, Out: Dense(1, outH, outW)}
}

func (Upsample2) check(g UpGeom, out, in int) error {
	if err := checkUpsample(g.InH, g.InW, g.OutH, g.OutW); err != nil {
		return err
	}
	if g.Y0 < 0 || g.Y1 > g.OutH {
		return fmt.Errorf("upsample2: rows %d..%d of %d", g.Y0, g.Y1, g.OutH)
	}
	if err := Dense(1, g.InH, g.InW).check("upsample2 input", in, g.Planes, 1, 0, g.InH, g.InW); err != nil {
		return err
	}
	return g.Out.check("upsample2 output", out, g.Planes, 1, g.Y0, g.Y1, g.OutW)
}

// Ref computes the geometry's rows.
func (op Upsample2) Ref(out, in []float32, g UpGeom) error {
	if err := op.check(g, len(out), len(in)); err != nil {
		return err
	}
	inH, inW := g.InH, g.InW
	ParallelFor(g.Planes, func(c int) {
		src := in[c*inH*inW:]
		for y := g.Y0; y < g.Y1; y++ {
			y0, y1, fy := upCoord(y, inH)
			dst := out[g.Out.At(c, 0, y, g.OutW):]
			for x := 0; x < g.OutW; x++ {
				x0, x1, fx := upCoord(x, inW)
				top := (1-fx)*src[y0*inW+x0] + fx*src[y0*inW+x1]
				bot := (1-fx)*src[y1*inW+x0] + fx*src[y1*inW+x1]
				dst[x] = (1-fy)*top + fy*bot
			}
		}
	})
	return nil
}

// Record records the upsampling.
func (op Upsample2) Record(gpu GPU, r *vk.Recorder, out, in *vk.Buffer, g UpGeom) error {
	if err := op.check(g, floats(out), floats(in)); err != nil {
		return err
	}
	k, err := gpu.kernel("upsample2_f32")
	if err != nil {
		return err
	}
	rows := g.Y1 - g.Y0
	push := []uint32{uint32(g.InW), uint32(g.InH), uint32(g.OutW), uint32(g.Planes),
		f32bits(upScale(g.InW)), f32bits(upScale(g.InH)), uint32(g.Y0), uint32(rows)}
	return r.Dispatch(vk.Dispatch{
		Kernel: k,
		Groups: [3]uint32{groups(g.OutW, 16), groups(rows, 16), uint32(g.Planes)},
		Push:   append(push, g.Out.push()...),
		Out:    []*vk.Buffer{out},
		In:     []*vk.Buffer{in},
		Label:  fmt.Sprintf("upsample2 %dx%d", g.OutW, g.OutH),
		Flops:  9 * float64(g.Planes*rows*g.OutW),
		Bytes:  4 * 1.25 * float64(g.Planes*rows*g.OutW),
	})
}

// checkUpsample accepts targets of twice the size, or one more (the replicate pad).
func checkUpsample(inH, inW, outH, outW int) error {
	if outH < 2*inH || outH > 2*inH+1 || outW < 2*inW || outW > 2*inW+1 {
		return fmt.Errorf("upsample2: %dx%d cannot come from %dx%d", outW, outH, inW, inH)
	}
	return nil
}
