package kernels

import (
	"fmt"

	"github.com/vkpercept/vkpercept/vk"
)

// Scaler is MILO's per-pixel MLP of 1x1 convolutions 1 -> Hidden -> Hidden -> 1
// with LeakyReLU(0.2) between layers and a sigmoid at the end. The op computes
// out = Scale*(S(v) - Sub) + Bias, which yields the quality map (Sub = S(0),
// evaluated once on the host with S) and the MOS from one kernel.
type Scaler struct {
	Hidden int
	Sub    float32
	Scale  float32
	Bias   float32
}

// ScalerWeights are the three layers' weights and biases (PyTorch layout).
type ScalerWeights struct {
	W0, B0, W1, B1, W2, B2 []float32
}

func (op Scaler) check(w ScalerWeights) error {
	h := op.Hidden
	if len(w.W0) != h || len(w.B0) != h || len(w.W1) != h*h || len(w.B1) != h || len(w.W2) != h || len(w.B2) != 1 {
		return fmt.Errorf("scaler: weights do not match hidden size %d", h)
	}
	return nil
}

// S evaluates the MLP at one value, in float32 with the shader's summation order.
func (op Scaler) S(w ScalerWeights, x float32) float32 {
	h := op.Hidden
	h0 := make([]float32, h)
	for j := range h0 {
		h0[j] = ActLeaky02.Apply(w.W0[j]*x + w.B0[j])
	}
	y := w.B2[0]
	for k := 0; k < h; k++ {
		s := w.B1[k]
		for j := 0; j < h; j++ {
			s += w.W1[k*h+j] * h0[j]
		}
		y += w.W2[k] * ActLeaky02.Apply(s)
	}
	return ActSigmoid.Apply(y)
}

// Ref applies the op to every element of in.
func (op Scaler) Ref(out, in []float32, w ScalerWeights) error {
	if err := op.check(w); err != nil {
		return err
	}
	if len(out) < len(in) {
		return fmt.Errorf("scaler: output holds %d of %d values", len(out), len(in))
	}
	const chunk = 4096
	ParallelFor((len(in)+chunk-1)/chunk, func(c int) {
		end := min((c+1)*chunk, len(in))
		for i := c * chunk; i < end; i++ {
			out[i] = op.Scale*(op.S(w, in[i])-op.Sub) + op.Bias
		}
	})
	return nil
}

// ScalerOffsets are the float offsets of the layers inside a weights buffer.
type ScalerOffsets struct{ W0, B0, W1, B1, W2, B2 int }

// Record records the op over count values.
func (op Scaler) Record(g GPU, r *vk.Recorder, out, in, weights *vk.Buffer, off ScalerOffsets, count int) error {
	k, err := g.kernel("scaler_f32", uint32(op.Hidden))
	if err != nil {
		return err
	}
	return r.Dispatch(vk.Dispatch{
		Kernel: k,
		Groups: [3]uint32{groups(count, 64), 1, 1},
		Push: []uint32{uint32(count), uint32(off.W0), uint32(off.B0), uint32(off.W1), uint32(off.B1),
			uint32(off.W2), uint32(off.B2), f32bits(op.Sub), f32bits(op.Scale), f32bits(op.Bias)},
		Out:   []*vk.Buffer{out},
		In:    []*vk.Buffer{weights, in},
		Label: "scaler",
	})
}
