package kernels

import (
	"fmt"
	"math"
	"sort"
)

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

// TableLen is the length of Table's output.
func (op Scaler) TableLen() int { h := op.Hidden; return h + 2*h*(h+1) + h + 1 }

// Table rewrites the MLP exactly as a piecewise-linear first stage: each
// hidden unit leaky(w0*x + b0) bends once, at x = -b0/w0, so between
// consecutive bends the second layer's pre-activations are A*x + B. The
// shaders count the bends at or below x, fetch that interval's (A, B) pairs
// and finish with y = b2 + sum w2*leaky(A*x + B): about 100 operations per
// pixel instead of 2,200. Layout: Hidden bends ascending (+Inf padding),
// then (Hidden+1) intervals of Hidden (A, B) pairs, then w2, then b2.
func (op Scaler) Table(w ScalerWeights) ([]float32, error) {
	if err := op.check(w); err != nil {
		return nil, err
	}
	h := op.Hidden
	var bends []float64
	for j := 0; j < h; j++ {
		if w.W0[j] != 0 {
			bends = append(bends, -float64(w.B0[j])/float64(w.W0[j]))
		}
	}
	sort.Float64s(bends)
	out := make([]float32, 0, op.TableLen())
	for j := 0; j < h; j++ {
		if j < len(bends) {
			out = append(out, float32(bends[j]))
		} else {
			out = append(out, float32(math.Inf(1)))
		}
	}
	// Each interval's slopes, read at a point inside it: the midpoint of its
	// bends, or one unit beyond the outer ones.
	for i := 0; i <= h; i++ {
		var x float64
		switch {
		case len(bends) == 0:
			x = 0
		case i == 0:
			x = bends[0] - 1
		case i >= len(bends):
			x = bends[len(bends)-1] + 1
		default:
			x = (bends[i-1] + bends[i]) / 2
		}
		for k := 0; k < h; k++ {
			a, b := 0.0, float64(w.B1[k])
			for j := 0; j < h; j++ {
				slope := 1.0
				if float64(w.W0[j])*x+float64(w.B0[j]) < 0 {
					slope = 0.2
				}
				a += float64(w.W1[k*h+j]) * slope * float64(w.W0[j])
				b += float64(w.W1[k*h+j]) * slope * float64(w.B0[j])
			}
			out = append(out, float32(a), float32(b))
		}
	}
	out = append(out, w.W2...)
	return append(out, w.B2[0]), nil
}
