package metric

import (
	"github.com/vkpercept/vkpercept/kernels"
)

// LossGrad returns MILO's loss for one pair (Result.Loss, mean(mask·|ref−dist|))
// and its gradient with respect to dist, C x H x W as dist.Data is laid out:
// the metric as a loss, which is how the authors use it to optimise images
// and latents. The gradient follows dist everywhere it enters: the
// difference itself, and every pyramid level's mask network, whose input
// holds dist's pooled copy and whose masks feed the finer levels. As
// PyTorch's autograd does, |x| and ReLU pass no gradient at 0.
//
// It runs on the CPU whatever m's backend (a pure-Go reference, sums in
// float64) and keeps every level's activations: 780 bytes a pixel, about
// 2 KB of the process's memory as Go's collector runs (measured: 380 MB
// for 512x384).
func (m *MILO) LossGrad(ref, dist Image) (float64, []float32, error) {
	if err := m.check(ref, dist); err != nil {
		return 0, nil, err
	}
	c, top := ref.C, Levels-1
	var hs, ws [Levels]int
	var pyr [2][Levels][]float32
	hs[top], ws[top] = ref.H, ref.W
	pyr[0][top], pyr[1][top] = ref.Data, dist.Data
	for l := top - 1; l >= 0; l-- {
		hs[l], ws[l] = kernels.AvgPool2{}.OutSize(hs[l+1], ws[l+1])
		for k := range pyr {
			pyr[k][l] = make([]float32, c*hs[l]*ws[l])
			if err := (kernels.AvgPool2{}).Ref(pyr[k][l], pyr[k][l+1], kernels.AvgPool2{}.DenseGeom(1, c, hs[l+1], ws[l+1])); err != nil {
				return 0, nil, err
			}
		}
	}

	// Forward, coarse to fine, keeping what the backward pass reads.
	var nets [Levels]*netLevel
	var mask []float32 // the last level's mask
	for l := 0; l < Levels; l++ {
		u := make([]float32, hs[l]*ws[l]) // the initial mask is zero, so is its upsampling
		if l > 0 {
			g := kernels.Upsample2{}.DenseGeom(1, hs[l-1], ws[l-1], hs[l], ws[l])
			if err := (kernels.Upsample2{}).Ref(u, mask, g); err != nil {
				return 0, nil, err
			}
		}
		nl, err := m.netForward(pyr[0][l], pyr[1][l], u, hs[l], ws[l])
		if err != nil {
			return 0, nil, err
		}
		nets[l], mask = nl, nl.acts[len(maskOuts)-1]
	}

	// The loss and its direct gradients: mean over channels and pixels of
	// mask·|ref−dist|.
	H, W := hs[top], ws[top]
	plane := H * W
	inv := 1 / float64(c*plane)
	gdist := [Levels][]float32{}
	for l := range gdist {
		gdist[l] = make([]float32, c*hs[l]*ws[l])
	}
	gmask := make([]float32, plane)
	var loss float64
	for i := 0; i < plane; i++ {
		var ad float64
		for ch := 0; ch < c; ch++ {
			j := ch*plane + i
			diff := float64(dist.Data[j]) - float64(ref.Data[j])
			switch {
			case diff > 0:
				gdist[top][j] = float32(float64(mask[i]) * inv)
				ad += diff
			case diff < 0:
				gdist[top][j] = float32(-float64(mask[i]) * inv)
				ad -= diff
			}
		}
		loss += float64(mask[i]) * ad
		gmask[i] = float32(ad * inv)
	}
	loss *= inv

	// Backward, fine to coarse: each level's mask gradient passes through its
	// network to dist's pooled copy and to the upsampled coarser mask.
	for l := top; l >= 0; l-- {
		gd, gu, err := m.netBackward(nets[l], gmask, hs[l], ws[l])
		if err != nil {
			return 0, nil, err
		}
		for i, v := range gd {
			gdist[l][i] += v
		}
		nets[l] = nil // done with: the collector may take it
		if l == 0 {
			break
		}
		gmask = make([]float32, hs[l-1]*ws[l-1])
		if err := (kernels.Upsample2{}).Adjoint(gmask, gu, 1, hs[l-1], ws[l-1], hs[l], ws[l]); err != nil {
			return 0, nil, err
		}
	}
	// Then through the pyramid, coarse to fine.
	for l := 0; l < top; l++ {
		if err := (kernels.AvgPool2{}).Adjoint(gdist[l+1], gdist[l], c, hs[l+1], ws[l+1]); err != nil {
			return 0, nil, err
		}
	}
	return loss, gdist[top], nil
}

// netLevel is one pyramid level's mask network, evaluated: its input
// channels' counts and every layer's output (after its activation; the last
// is the level's mask, sigmoid plus the upsampled mask).
type netLevel struct {
	in   [3]int
	acts [len(maskOuts)][]float32
	sig  []float32 // the last layer's sigmoid, before the residual
}

// netForward runs the mask network on [ref, dist, u] of one h x w level.
func (m *MILO) netForward(ref, dist, u []float32, h, w int) (*netLevel, error) {
	c := m.w.Channels
	nl := &netLevel{in: [3]int{c, c, 1}}
	srcs := [3][]float32{ref, dist, u}
	in := nl.in
	last := len(maskOuts) - 1
	for i, oc := range maskOuts {
		op := kernels.Conv3x3{In: in, Out: oc, Act: kernels.ActReLU}
		if i == last {
			op.Act = kernels.ActSigmoid
		}
		g := kernels.ConvGeom{N: 1, H: h, W: w, Y1: h, Out: kernels.Dense(oc, h, w)}
		for s, ch := range in {
			g.Src[s] = kernels.Dense(ch, h, w)
		}
		out := make([]float32, oc*h*w)
		if err := op.Ref(out, srcs, nil, m.w.Mask[i].W, m.w.Mask[i].B, g); err != nil {
			return nil, err
		}
		nl.acts[i] = out
		srcs, in = [3][]float32{out}, [3]int{oc, 0, 0}
	}
	nl.sig = nl.acts[last]
	mask := make([]float32, h*w)
	for i := range mask {
		mask[i] = nl.sig[i] + u[i]
	}
	nl.acts[last] = mask
	return nl, nil
}

// netBackward takes the gradient of a level's mask back through its
// network: to the level's dist (c x h x w) and to its upsampled mask u (the
// residual's share and the first layer's).
func (m *MILO) netBackward(nl *netLevel, gmask []float32, h, w int) (gdist, gu []float32, err error) {
	plane, last := h*w, len(maskOuts)-1
	g := make([]float32, plane)
	for i, s := range nl.sig {
		g[i] = gmask[i] * s * (1 - s)
	}
	for i := last; i >= 0; i-- {
		cin := nl.in[0] + nl.in[1] + nl.in[2]
		if i > 0 {
			cin = maskOuts[i-1]
		}
		// Layer 0's ref channels take no gradient: only dist's and u's are computed.
		skip := 0
		if i == 0 {
			skip = nl.in[0]
		}
		gin, err := convBackward(m.w.Mask[i].W, maskOuts[i], cin, skip, g, h, w)
		if err != nil {
			return nil, nil, err
		}
		if i > 0 {
			a := nl.acts[i-1]
			for j := range gin {
				if a[j] <= 0 {
					gin[j] = 0
				}
			}
		}
		g = gin
	}
	cd := nl.in[1]
	gu = g[cd*plane:]
	for i := range gu {
		gu[i] += gmask[i]
	}
	return g[:cd*plane], gu, nil
}

// convBackward is a 3x3 convolution's gradient with respect to its input
// channels skip..cin-1, given gout (cout x h x w): the convolution of gout
// with the weights transposed (input and output channels swapped) and
// turned by 180 degrees.
func convBackward(weights []float32, cout, cin, skip int, gout []float32, h, w int) ([]float32, error) {
	n := cin - skip
	wt := make([]float32, n*cout*9)
	for ic := 0; ic < n; ic++ {
		for oc := 0; oc < cout; oc++ {
			src := weights[(oc*cin+skip+ic)*9:]
			dst := wt[(ic*cout+oc)*9:]
			for k := 0; k < 9; k++ {
				dst[k] = src[8-k]
			}
		}
	}
	op := kernels.Conv3x3{In: [3]int{cout, 0, 0}, Out: n, Act: kernels.ActNone}
	g := kernels.ConvGeom{N: 1, H: h, W: w, Y1: h, Src: [3]kernels.View{kernels.Dense(cout, h, w)}, Out: kernels.Dense(n, h, w)}
	gin := make([]float32, n*h*w)
	return gin, op.Ref(gin, [3][]float32{gout}, nil, wt, make([]float32, n), g)
}
