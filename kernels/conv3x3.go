package kernels

import (
	"fmt"

	"github.com/vkpercept/vkpercept/vk"
)

// Conv3x3 is a 3x3 convolution, stride 1, zero padding 1, over the channel
// concatenation of up to three sources, with bias, a fused activation and an
// optional residual (same shape as the output) added after the activation.
type Conv3x3 struct {
	In       [3]int // channels taken from each source; unused sources have 0
	Out      int
	Act      Act
	Residual bool
}

// Cin is the total number of input channels.
func (op Conv3x3) Cin() int { return op.In[0] + op.In[1] + op.In[2] }

// WeightLen is the OIHW weight count.
func (op Conv3x3) WeightLen() int { return op.Out * op.Cin() * 9 }

// Ref computes out (N x Out x H x W) from srcs (N x In[i] x H x W each),
// weights (OIHW) and bias.
func (op Conv3x3) Ref(out []float32, srcs [3][]float32, res, weights, bias []float32, n, h, w int) error {
	cin := op.Cin()
	if len(weights) != op.WeightLen() || len(bias) != op.Out {
		return fmt.Errorf("conv3x3: %d weights and %d biases for %d->%d channels", len(weights), len(bias), cin, op.Out)
	}
	plane := h * w
	if len(out) < n*op.Out*plane {
		return fmt.Errorf("conv3x3: output holds %d floats, need %d", len(out), n*op.Out*plane)
	}
	for i, c := range op.In {
		if len(srcs[i]) < n*c*plane {
			return fmt.Errorf("conv3x3: source %d holds %d floats, need %d", i, len(srcs[i]), n*c*plane)
		}
	}
	if op.Residual && len(res) < n*op.Out*plane {
		return fmt.Errorf("conv3x3: residual holds %d floats, need %d", len(res), n*op.Out*plane)
	}
	// One task per (image, output channel, row): the row accumulator stays in cache.
	ParallelFor(n*op.Out*h, func(t int) {
		y := t % h
		oc := (t / h) % op.Out
		b := t / (h * op.Out)
		acc := make([]float64, w)
		for x := range acc {
			acc[x] = float64(bias[oc])
		}
		icBase := 0
		for s := 0; s < 3; s++ {
			for ic := 0; ic < op.In[s]; ic++ {
				src := srcs[s][(b*op.In[s]+ic)*plane : (b*op.In[s]+ic+1)*plane]
				wk := weights[(oc*cin+icBase+ic)*9 : (oc*cin+icBase+ic)*9+9]
				for ky := 0; ky < 3; ky++ {
					yy := y + ky - 1
					if yy < 0 || yy >= h {
						continue
					}
					row := src[yy*w : yy*w+w]
					convRow(acc, row, float64(wk[ky*3]), float64(wk[ky*3+1]), float64(wk[ky*3+2]))
				}
			}
			icBase += op.In[s]
		}
		dst := out[(b*op.Out+oc)*plane+y*w : (b*op.Out+oc)*plane+y*w+w]
		for x, v64 := range acc {
			v := float32(v64)
			v = op.Act.Apply(v)
			if op.Residual {
				v += res[(b*op.Out+oc)*plane+y*w+x]
			}
			dst[x] = v
		}
	})
	return nil
}

// convRow adds the three horizontal taps of one kernel row to acc, with zero
// padding. The reference accumulates in float64 so that it is a better oracle
// than the float32 device kernels it checks.
func convRow(acc []float64, row []float32, w0, w1, w2 float64) {
	n := len(acc)
	row = row[:n]
	if n == 1 {
		acc[0] += w1 * float64(row[0])
		return
	}
	acc[0] += w1*float64(row[0]) + w2*float64(row[1])
	for x := 1; x < n-1; x++ {
		acc[x] += w0*float64(row[x-1]) + w1*float64(row[x]) + w2*float64(row[x+1])
	}
	acc[n-1] += w0*float64(row[n-2]) + w1*float64(row[n-1])
}

// convPX is the pixels along x one invocation computes (the shader's PX).
const convPX = 4

// ocBlock is the output channels one invocation computes (the shader's OCB).
func (op Conv3x3) ocBlock() int {
	if op.Out < 8 {
		return op.Out
	}
	return 8
}

// Record records the convolution. weights holds the OIHW weights at float
// offset wOff and the bias at bOff; unused sources and res may be nil.
func (op Conv3x3) Record(g GPU, r *vk.Recorder, out *vk.Buffer, srcs [3]*vk.Buffer, res, weights *vk.Buffer, wOff, bOff, n, h, w int) error {
	ocb := op.ocBlock()
	k, err := g.kernel("conv3x3_f32", uint32(ocb), convPX)
	if err != nil {
		return err
	}
	// Unused bindings still need a valid buffer: bind the first source.
	in := []*vk.Buffer{weights, srcs[0], srcs[1], srcs[2], res}
	for i := range in {
		if in[i] == nil {
			in[i] = srcs[0]
		}
	}
	useRes := uint32(0)
	if op.Residual {
		useRes = 1
	}
	blocks := (op.Out + ocb - 1) / ocb
	return r.Dispatch(vk.Dispatch{
		Kernel: k,
		Groups: [3]uint32{groups(w, 8*convPX), groups(h, 8), uint32(n * blocks)},
		Push: []uint32{uint32(w), uint32(h), uint32(n), uint32(op.In[0]), uint32(op.In[1]), uint32(op.In[2]),
			uint32(op.Out), uint32(wOff), uint32(bOff), uint32(op.Act), useRes},
		Out:   []*vk.Buffer{out},
		In:    in,
		Label: fmt.Sprintf("conv3x3 %d->%d %dx%d", op.Cin(), op.Out, w, h),
	})
}
