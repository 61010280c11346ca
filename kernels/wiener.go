package kernels

import (
	"fmt"

	"github.com/vkpercept/vkpercept/vk"
)

// WienerBand is one level of the pyramid Wiener denoiser. For image j
// (Planes = images x C) with noise std s_j it computes
// R_b = g (G_b - up(G_{b+1})) + up(R_{b+1}) with g = P / (P + N s_j^2); as the
// coarsest level (Low) it computes R = m_c + g (G - m_c).
type WienerBand struct {
	C        int        // channels per image
	P, N     float64    // the band's prior variance and white-noise fraction
	Mean     [4]float64 // per-channel prior mean (Low only)
	Low      bool
	SigOff   int // image j's sigma is sig[SigOff + j%Period]
	Period   int
	narrow   bool // one output an invocation even where rows allow four (tests)
	noTexels bool // storage buffers even where texel views fit (tests)
}

func (op WienerBand) gain(s float64) float64 { return op.P / (op.P + op.N*s*s) }

// Ref computes the level in float64. For Low, gb is G and gc, rc are unused;
// sig holds the sigma values the device reads from its buffer.
func (op WienerBand) Ref(out, gb, gc, rc, sig []float64, planes, inH, inW, outH, outW int) error {
	if op.C < 1 || op.C > 4 || planes%op.C != 0 {
		return fmt.Errorf("wiener: %d planes of %d channels", planes, op.C)
	}
	if len(out) < planes*outH*outW || len(gb) < planes*outH*outW {
		return fmt.Errorf("wiener: buffers too small")
	}
	ParallelFor(planes, func(pl int) {
		g := op.gain(sig[op.SigOff+(pl/op.C)%op.Period])
		base := pl * outH * outW
		if op.Low {
			m := op.Mean[pl%op.C]
			for i := base; i < base+outH*outW; i++ {
				out[i] = m + g*(gb[i]-m)
			}
			return
		}
		src := pl * inH * inW
		for y := 0; y < outH; y++ {
			y0, y1, fy32 := upCoord(y, inH)
			fy := float64(fy32)
			for x := 0; x < outW; x++ {
				x0, x1, fx32 := upCoord(x, inW)
				fx := float64(fx32)
				up := func(v []float64) float64 {
					top := (1-fx)*v[src+y0*inW+x0] + fx*v[src+y0*inW+x1]
					bot := (1-fx)*v[src+y1*inW+x0] + fx*v[src+y1*inW+x1]
					return (1-fy)*top + fy*bot
				}
				i := base + y*outW + x
				out[i] = g*(gb[i]-up(gc)) + up(rc)
			}
		}
	})
	return nil
}

// Record records the level; for Low, gc and rc may be nil.
func (op WienerBand) Record(g GPU, r *vk.Recorder, out, gb, gc, rc, sig *vk.Buffer, planes, inH, inW, outH, outW int) error {
	if op.Low {
		k, err := g.kernel("wiener_low_f32")
		if err != nil {
			return err
		}
		push := []uint32{uint32(outH * outW), uint32(planes), uint32(op.C), uint32(op.SigOff), uint32(op.Period),
			f32bits(float32(op.P)), f32bits(float32(op.N)), 0}
		for c := 0; c < 4; c++ {
			push = append(push, f32bits(float32(op.Mean[c])))
		}
		return r.Dispatch(vk.Dispatch{Kernel: k, Groups: [3]uint32{groups(outH*outW, 256), uint32(planes), 1},
			Push: push, Out: []*vk.Buffer{out}, In: []*vk.Buffer{gb, sig}, Label: "denoise wiener low"})
	}
	// Four outputs an invocation where both levels' rows start on a vec4,
	// read through texel views where the buffers fit them.
	name, wide, cols := "wiener_band_f32", uint32(0), outW
	if inW%4 == 0 && outW%4 == 0 && !op.narrow {
		wide, cols = 1, outW/4
		if !op.noTexels && texels(gb, gc, rc) {
			name += "_tex"
		}
	}
	k, err := g.kernel(name)
	if err != nil {
		return err
	}
	return r.Dispatch(vk.Dispatch{Kernel: k, Groups: [3]uint32{groups(cols, 16), groups(outH, 16), uint32(planes)},
		Push: []uint32{uint32(inW), uint32(inH), uint32(outW), uint32(outH), uint32(planes), uint32(op.C), uint32(op.SigOff),
			uint32(op.Period), f32bits(float32(op.P)), f32bits(float32(op.N)), f32bits(upScale(inW)), f32bits(upScale(inH)), wide},
		Out: []*vk.Buffer{out}, In: []*vk.Buffer{gb, gc, rc, sig}, Label: fmt.Sprintf("denoise wiener band %dx%d", outW, outH)})
}

// Pool64 is AvgPool2 in float64, for the float64 CPU paths.
func Pool64(out, in []float64, planes, h, w int) {
	oh, ow := h/2, w/2
	ParallelFor(planes, func(c int) {
		src, dst := in[c*h*w:], out[c*oh*ow:]
		for y := 0; y < oh; y++ {
			for x := 0; x < ow; x++ {
				s := 2*y*w + 2*x
				dst[y*ow+x] = ((src[s] + src[s+1]) + (src[s+w] + src[s+w+1])) * 0.25
			}
		}
	})
}
