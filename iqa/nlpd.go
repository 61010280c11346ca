package iqa

import (
	"fmt"
	"math"

	"github.com/vkpercept/vkpercept/metric"
)

// NLPD (Laparra, Ballé, Berardino and Simoncelli, 2016): the normalised
// Laplacian pyramid distance on luminance in [0,1], with the constants the
// authors published (learned on the McGill set): six levels of a Burt and
// Adelson pyramid (filter [.05 .25 .4 .25 .05]), each band divided by
// sigma_k plus a weighted sum of its neighbours' magnitudes, and the RMS
// band differences averaged over levels. 0 for identical images.
func NLPD(ref, dist metric.Image) (float64, error) {
	a, b, err := pair(ref, dist)
	if err != nil {
		return 0, err
	}
	if a.w < 1<<(nlpdLevels-1) || a.h < 1<<(nlpdLevels-1) {
		return 0, fmt.Errorf("nlpd: image is %dx%d, at least %dx%d needed", a.w, a.h, 1<<(nlpdLevels-1), 1<<(nlpdLevels-1))
	}
	pa, pb := laplacian(a), laplacian(b)
	var d float64
	for k := 0; k < nlpdLevels; k++ {
		ya, yb := normalise(pa[k], k), normalise(pb[k], k)
		var s float64
		for i := range ya.v {
			s += (ya.v[i] - yb.v[i]) * (ya.v[i] - yb.v[i])
		}
		d += math.Sqrt(s / float64(len(ya.v)))
	}
	return d / nlpdLevels, nil
}

const nlpdLevels = 6

var nlpdSigma = [nlpdLevels]float64{0.0248, 0.0185, 0.0179, 0.0191, 0.0220, 0.2782}

// nlpdWeights are the non-zero taps of each level's 5x5 normalisation
// filter: {row, column, weight} around the centre (2, 2).
var nlpdWeights = [nlpdLevels][][3]float64{
	{{1, 2, 0.1011}, {2, 1, 0.1493}, {2, 3, 0.1460}, {2, 4, 0.0072}, {3, 2, 0.1015}},
	{{1, 2, 0.0757}, {2, 1, 0.1986}, {2, 3, 0.1846}, {3, 2, 0.0837}},
	{{1, 2, 0.0477}, {2, 1, 0.2138}, {2, 3, 0.2243}, {3, 2, 0.0467}},
	{{2, 1, 0.2503}, {2, 3, 0.2616}},
	{{2, 1, 0.2598}, {2, 3, 0.2552}},
	{{2, 1, 0.2215}, {2, 3, 0.0717}},
}

// normalise divides band k by sigma_k + (|band| convolved with its filter,
// zero padding, same size).
func normalise(p plane, k int) plane {
	f := make([][]float64, 5)
	for i := range f {
		f[i] = make([]float64, 5)
	}
	for _, t := range nlpdWeights[k] {
		f[int(t[0])][int(t[1])] = t[2]
	}
	abs := plane{w: p.w, h: p.h, v: make([]float64, len(p.v))}
	for i, v := range p.v {
		abs.v[i] = math.Abs(v)
	}
	den := convSame(abs, f)
	out := plane{w: p.w, h: p.h, v: make([]float64, len(p.v))}
	for i, v := range p.v {
		out.v[i] = v / (nlpdSigma[k] + den.v[i])
	}
	return out
}

var burtAdelson = []float64{0.05, 0.25, 0.4, 0.25, 0.05}

// laplacian builds the six-level pyramid: each level is the image minus the
// expansion of its reduced version; the last holds the low-pass residual.
func laplacian(p plane) []plane {
	out := make([]plane, 0, nlpdLevels)
	j := p
	for l := 0; l < nlpdLevels-1; l++ {
		r := reduce(j)
		e := expand(r, j.w, j.h)
		band := plane{w: j.w, h: j.h, v: make([]float64, len(j.v))}
		for i := range band.v {
			band.v[i] = j.v[i] - e.v[i]
		}
		out = append(out, band)
		j = r
	}
	return append(out, j)
}

// blur5 filters with the separable Burt-Adelson kernel; idx maps an
// out-of-range index to a sample (or -1 for zero).
func blur5(p plane, idx func(i, n int) int) plane {
	tmp := plane{w: p.w, h: p.h, v: make([]float64, len(p.v))}
	for y := 0; y < p.h; y++ {
		for x := 0; x < p.w; x++ {
			var s float64
			for t, c := range burtAdelson {
				if xx := idx(x+t-2, p.w); xx >= 0 {
					s += c * p.v[y*p.w+xx]
				}
			}
			tmp.v[y*p.w+x] = s
		}
	}
	out := plane{w: p.w, h: p.h, v: make([]float64, len(p.v))}
	for y := 0; y < p.h; y++ {
		for x := 0; x < p.w; x++ {
			var s float64
			for t, c := range burtAdelson {
				if yy := idx(y+t-2, p.h); yy >= 0 {
					s += c * tmp.v[yy*p.w+x]
				}
			}
			out.v[y*p.w+x] = s
		}
	}
	return out
}

// mirror reflects with the edge sample repeated (MATLAB's 'symmetric').
func mirror(i, n int) int {
	for i < 0 || i >= n {
		if i < 0 {
			i = -i - 1
		}
		if i >= n {
			i = 2*n - 1 - i
		}
	}
	return i
}

func zeroPad(i, n int) int {
	if i < 0 || i >= n {
		return -1
	}
	return i
}

// reduce blurs with mirrored borders and keeps every other sample from the first.
func reduce(p plane) plane { return everyOther(blur5(p, mirror)) }

// expand upsamples r to w x h: pad by one replicated sample, put 4x the
// values on the even grid of twice the size, blur with zero borders, cut
// the two-sample border (and one more where w or h is odd).
func expand(r plane, w, h int) plane {
	pw, ph := r.w+2, r.h+2
	up := plane{w: 2 * pw, h: 2 * ph, v: make([]float64, 4*pw*ph)}
	for y := 0; y < ph; y++ {
		for x := 0; x < pw; x++ {
			sy, sx := min(max(y-1, 0), r.h-1), min(max(x-1, 0), r.w-1)
			up.v[2*y*up.w+2*x] = 4 * r.v[sy*r.w+sx]
		}
	}
	b := blur5(up, zeroPad)
	out := plane{w: w, h: h, v: make([]float64, w*h)}
	for y := 0; y < h; y++ {
		copy(out.v[y*w:(y+1)*w], b.v[(y+2)*b.w+2:(y+2)*b.w+2+w])
	}
	return out
}
