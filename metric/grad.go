package metric

import (
	"math"

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
// float64). The mask network's activations, about 1 KB a pixel, are kept
// for a band of rows at a time within m.Budget (0: the whole level): a
// band's network runs forward over the band and its halo of 5 rows, then
// back, and its gradients are added into the level's; coarser levels
// whose activations do not fit beside the bands are run forward twice,
// for their masks and again band by band on the way back. Besides the
// budget it keeps about 50 bytes a pixel (the pyramids, masks and
// gradients): 485 MB of peak memory at 1920x1080 with the default budget,
// where keeping every level's activations took 4.8 GB. Results do not
// depend on the banding beyond float32 rounding.
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
	lvs := [Levels]gradLevel{}
	for l := range lvs {
		lvs[l] = gradLevel{c: c, h: hs[l], w: ws[l], ref: pyr[0][l], dist: pyr[1][l]}
	}

	// Forward, coarse to fine, for the masks: a coarse level keeps its
	// activations for the backward pass while half the budget stays for
	// the finer levels' bands.
	avail := m.Budget
	if avail <= 0 {
		avail = math.MaxInt64 / 2 // no limit: every level in one band, kept
	}
	var mask []float32 // the coarser level's mask
	for l := 0; l < top; l++ {
		lv := &lvs[l]
		if err := lv.upsampled(mask, hs, ws, l); err != nil {
			return 0, nil, err
		}
		need := int64(lv.h*lv.w) * gradPixelBytes
		var err error
		if m.Budget <= 0 || need <= avail-m.Budget/2 {
			if lv.kept, err = m.netForward(lv.ref, lv.dist, lv.u, lv.h, lv.w); err != nil {
				return 0, nil, err
			}
			mask, avail = lv.kept.acts[len(maskOuts)-1], avail-need
			continue
		}
		if mask, err = m.bandMasks(lv, gradRows(avail, lv.w)); err != nil {
			return 0, nil, err
		}
	}

	// The finest level, band by band: its mask, the loss and its direct
	// gradients (mean over channels and pixels of mask·|ref−dist|), and the
	// mask's gradient (which does not depend on the mask) back through the
	// network at once, with the band's activations.
	lv := &lvs[top]
	if err := lv.upsampled(mask, hs, ws, top); err != nil {
		return 0, nil, err
	}
	H, W := hs[top], ws[top]
	plane := H * W
	inv := 1 / float64(c*plane)
	gdist := [Levels][]float32{}
	for l := range gdist {
		gdist[l] = make([]float32, c*hs[l]*ws[l])
	}
	var loss float64
	direct := func(nl *netLevel, y0, y1, r0 int) []float32 {
		mask := nl.acts[len(maskOuts)-1]
		gm := make([]float32, len(mask))
		for y := y0; y < y1; y++ {
			for x := 0; x < W; x++ {
				i, k := y*W+x, (y-r0)*W+x
				var ad float64
				for ch := 0; ch < c; ch++ {
					j := ch*plane + i
					// += : the bands before added their halos' gradients here.
					diff := float64(dist.Data[j]) - float64(ref.Data[j])
					switch {
					case diff > 0:
						gdist[top][j] += float32(float64(mask[k]) * inv)
						ad += diff
					case diff < 0:
						gdist[top][j] -= float32(float64(mask[k]) * inv)
						ad -= diff
					}
				}
				loss += float64(mask[k]) * ad
				gm[k] = float32(ad * inv)
			}
		}
		return gm
	}
	gu, err := m.bandsBackward(lv, gradRows(avail, W), gdist[top], direct)
	if err != nil {
		return 0, nil, err
	}
	loss *= inv

	// Back through the coarser levels, fine to coarse: each level's mask
	// gradient passes through its network to dist's pooled copy and to the
	// upsampled coarser mask.
	for l := top; l > 0; l-- {
		gmask := make([]float32, hs[l-1]*ws[l-1])
		if err := (kernels.Upsample2{}).Adjoint(gmask, gu, 1, hs[l-1], ws[l-1], hs[l], ws[l]); err != nil {
			return 0, nil, err
		}
		lv := &lvs[l-1]
		copyBand := func(_ *netLevel, y0, y1, r0 int) []float32 {
			if y0 == r0 && y1 == lv.h {
				return gmask
			}
			_, r1 := band(y0, y1, lv.h)
			gm := make([]float32, (r1-r0)*lv.w)
			copy(gm[(y0-r0)*lv.w:], gmask[y0*lv.w:y1*lv.w])
			return gm
		}
		if gu, err = m.bandsBackward(lv, gradRows(avail, lv.w), gdist[l-1], copyBand); err != nil {
			return 0, nil, err
		}
		if lv.kept != nil {
			lv.kept = nil // done with: the collector may take it
			avail += int64(lv.h*lv.w) * gradPixelBytes
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
