package metric

import "github.com/vkpercept/vkpercept/kernels"

// gradPixelBytes is LossGrad's working memory for a pixel of a band: the
// mask network's activations (146 floats), the band's inputs and the
// gradients in flight (about 110), doubled for the garbage Go's collector
// lets accumulate between collections.
const gradPixelBytes = 2 * 4 * 256

// gradRows is the output rows of a band of a level w pixels wide whose
// working memory, halo included, fits in avail bytes: at least minBand,
// where memory then exceeds it.
func gradRows(avail int64, w int) int {
	rows := avail/(gradPixelBytes*int64(w)) - 2*halo
	return int(min(max(rows, minBand), 1<<30))
}

// gradLevel is one pyramid level of LossGrad: its pooled ref and dist
// (c x h x w), the upsampled coarser mask u, and, where they fit, the
// network's activations from the forward pass.
type gradLevel struct {
	c, h, w   int
	ref, dist []float32
	u         []float32
	kept      *netLevel
}

// upsampled sets lv.u from the coarser level's mask (zero at level 0).
func (lv *gradLevel) upsampled(mask []float32, hs, ws [Levels]int, l int) error {
	lv.u = make([]float32, lv.h*lv.w)
	if l == 0 {
		return nil
	}
	g := kernels.Upsample2{}.DenseGeom(1, hs[l-1], ws[l-1], lv.h, lv.w)
	return kernels.Upsample2{}.Ref(lv.u, mask, g)
}

// band is the rows [r0, r1) a band of output rows [y0, y1) reads: the
// network loses a row at each edge a layer, so its masks are exact there,
// and the gradient of the band's masks reaches no further back.
func band(y0, y1, h int) (r0, r1 int) { return max(0, y0-halo), min(h, y1+halo) }

// forwardRows runs the network on rows [r0, r1) of the level.
func (m *MILO) forwardRows(lv *gradLevel, r0, r1 int) (*netLevel, error) {
	if r0 == 0 && r1 == lv.h {
		return m.netForward(lv.ref, lv.dist, lv.u, lv.h, lv.w)
	}
	return m.netForward(rowsOf(lv.ref, lv.c, lv.h, lv.w, r0, r1), rowsOf(lv.dist, lv.c, lv.h, lv.w, r0, r1),
		rowsOf(lv.u, 1, lv.h, lv.w, r0, r1), r1-r0, lv.w)
}

// bandMasks is the level's mask, computed in bands of the given rows.
func (m *MILO) bandMasks(lv *gradLevel, rows int) ([]float32, error) {
	last, w := len(maskOuts)-1, lv.w
	mask := make([]float32, lv.h*w)
	for y0 := 0; y0 < lv.h; y0 += rows {
		y1 := min(lv.h, y0+rows)
		r0, r1 := band(y0, y1, lv.h)
		nl, err := m.forwardRows(lv, r0, r1)
		if err != nil {
			return nil, err
		}
		copy(mask[y0*w:y1*w], nl.acts[last][(y0-r0)*w:(y1-r0)*w])
	}
	return mask, nil
}

// bandsBackward takes the level's mask gradient back through its network,
// a band of rows at a time (at once with the kept activations):
// gmaskOf(nl, y0, y1, r0) gives, for the band of output rows [y0, y1)
// evaluated as nl on rows from r0, the gradient of the band's masks, nl's
// size, zero outside [y0, y1). It adds the gradient of the level's dist to
// gd (c x h x w) and returns u's (h x w).
func (m *MILO) bandsBackward(lv *gradLevel, rows int, gd []float32, gmaskOf func(nl *netLevel, y0, y1, r0 int) []float32) ([]float32, error) {
	c, h, w := lv.c, lv.h, lv.w
	if lv.kept != nil {
		rows = h
	}
	var gu []float32
	if rows < h {
		gu = make([]float32, h*w)
	}
	for y0 := 0; y0 < h; y0 += rows {
		y1 := min(h, y0+rows)
		r0, r1 := band(y0, y1, h)
		nl := lv.kept
		if nl == nil {
			var err error
			if nl, err = m.forwardRows(lv, r0, r1); err != nil {
				return nil, err
			}
		}
		bd, bu, err := m.netBackward(nl, gmaskOf(nl, y0, y1, r0), r1-r0, w)
		if err != nil {
			return nil, err
		}
		addRows(gd, bd, c, h, w, r0, r1)
		if gu == nil {
			return bu, nil // the whole level in one band
		}
		addRows(gu, bu, 1, h, w, r0, r1)
	}
	return gu, nil
}

// rowsOf copies rows [r0, r1) of each of the c planes of an h x w image.
func rowsOf(img []float32, c, h, w, r0, r1 int) []float32 {
	n := (r1 - r0) * w
	out := make([]float32, c*n)
	for ch := 0; ch < c; ch++ {
		copy(out[ch*n:(ch+1)*n], img[(ch*h+r0)*w:(ch*h+r1)*w])
	}
	return out
}

// addRows adds the c planes of a band holding rows [r0, r1) into an
// h x w image's.
func addRows(img, bandData []float32, c, h, w, r0, r1 int) {
	n := (r1 - r0) * w
	for ch := 0; ch < c; ch++ {
		dst := img[(ch*h+r0)*w : (ch*h+r1)*w]
		for i, v := range bandData[ch*n : (ch+1)*n] {
			dst[i] += v
		}
	}
}
