package kernels

import "fmt"

// Scaler is MILO's per-pixel MLP of 1x1 convolutions 1 -> Hidden -> Hidden -> 1
// with LeakyReLU(0.2) between layers and a sigmoid at the end (shaders/
// scaler.glsl). Sub is what MiloTail subtracts from it: S(0), evaluated once
// on the host with S, so that the quality map is S(d) - S(0).
type Scaler struct {
	Hidden int
	Sub    float32
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

// ScalerOffsets are the float offsets of the layers inside a weights buffer.
type ScalerOffsets struct{ W0, B0, W1, B1, W2, B2 int }

func (o ScalerOffsets) push() []uint32 {
	return []uint32{uint32(o.W0), uint32(o.B0), uint32(o.W1), uint32(o.B1), uint32(o.W2), uint32(o.B2)}
}
