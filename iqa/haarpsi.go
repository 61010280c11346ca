package iqa

import (
	"fmt"
	"math"

	"github.com/vkpercept/vkpercept/metric"
)

// HaarPSI (Reisenhofer, Bosse, Kutyniok and Wiegand, 2018) on RGB in 0..255,
// as the authors' reference implementation computes it: YIQ, a 2x2 mean and
// subsampling, Haar wavelet magnitudes at three scales for luminance (the
// two finest compared, the coarsest as weights) and 2x2 means for I and Q,
// C = 30, alpha = 4.2. 1 for identical images, lower is worse.
func HaarPSI(ref, dist metric.Image) (float64, error) {
	if err := sameSize(ref, dist); err != nil {
		return 0, err
	}
	a, err := yiq(ref)
	if err != nil {
		return 0, err
	}
	b, err := yiq(dist)
	if err != nil {
		return 0, err
	}
	if a[0].w < 2 || a[0].h < 2 {
		return 0, fmt.Errorf("haarpsi: image is %dx%d, at least 2x2 needed", ref.W, ref.H)
	}
	const c, alpha, scales = 30.0, 4.2, 3
	mean2 := [][]float64{{0.25, 0.25}, {0.25, 0.25}}
	for k := 0; k < 3; k++ {
		a[k], b[k] = subsample(a[k]), subsample(b[k])
	}
	sim := func(x, y float64) float64 { return (2*x*y + c) / (x*x + y*y + c) }
	n := len(a[0].v)
	var num, den float64
	add := func(s, w float64) {
		num += w / (1 + math.Exp(-alpha*s))
		den += w
	}
	var weights [2][]float64
	for o := 0; o < 2; o++ {
		var ca, cb [scales]plane
		for s := 1; s <= scales; s++ {
			f := haarFilter(s, o == 1)
			ca[s-1], cb[s-1] = convSame(a[0], f), convSame(b[0], f)
		}
		weights[o] = make([]float64, n)
		for i := 0; i < n; i++ {
			w := math.Max(math.Abs(ca[2].v[i]), math.Abs(cb[2].v[i]))
			s := (sim(math.Abs(ca[0].v[i]), math.Abs(cb[0].v[i])) + sim(math.Abs(ca[1].v[i]), math.Abs(cb[1].v[i]))) / 2
			weights[o][i] = w
			add(s, w)
		}
	}
	ia, ib := convSame(a[1], mean2), convSame(b[1], mean2)
	qa, qb := convSame(a[2], mean2), convSame(b[2], mean2)
	for i := 0; i < n; i++ {
		s := (sim(math.Abs(ia.v[i]), math.Abs(ib.v[i])) + sim(math.Abs(qa.v[i]), math.Abs(qb.v[i]))) / 2
		add(s, (weights[0][i]+weights[1][i])/2)
	}
	if den == 0 {
		return 1, nil // two flat images: nothing to tell apart
	}
	m := num / den
	l := math.Log(m/(1-m)) / alpha
	return l * l, nil
}

// yiq is the Y, I and Q planes of an RGB image in [0,1], on the 0..255 scale.
func yiq(im metric.Image) ([3]plane, error) {
	if im.C != 3 || len(im.Data) != 3*im.H*im.W {
		return [3]plane{}, fmt.Errorf("need an RGB image, got %dx%dx%d with %d values", im.C, im.H, im.W, len(im.Data))
	}
	n := im.H * im.W
	var out [3]plane
	coef := [3][3]float64{{0.299, 0.587, 0.114}, {0.596, -0.274, -0.322}, {0.211, -0.523, 0.312}}
	for k := range out {
		out[k] = plane{w: im.W, h: im.H, v: make([]float64, n)}
		for i := 0; i < n; i++ {
			out[k].v[i] = 255 * (coef[k][0]*float64(im.Data[i]) + coef[k][1]*float64(im.Data[n+i]) + coef[k][2]*float64(im.Data[2*n+i]))
		}
	}
	return out, nil
}

// haarFilter is the scale-s Haar filter (2^s square, 2^-s, top half
// negated), transposed for the other orientation.
func haarFilter(s int, transpose bool) [][]float64 {
	n := 1 << s
	f := make([][]float64, n)
	for u := range f {
		f[u] = make([]float64, n)
		for v := range f[u] {
			r := u
			if transpose {
				r = v
			}
			f[u][v] = math.Ldexp(1, -s)
			if r < n/2 {
				f[u][v] = -f[u][v]
			}
		}
	}
	return f
}

// subsample is a 2x2 mean ("same" convolution as convSame) keeping every
// other sample from the first.
func subsample(p plane) plane {
	return everyOther(convSame(p, [][]float64{{0.25, 0.25}, {0.25, 0.25}}))
}

// convSame is 2-D convolution with zero padding, cut to the input's size
// the way scipy.signal.convolve2d's "same" mode cuts it (for even kernels
// the extra sample falls at the start): out(y,x) = sum k(u,v) p(y+ry-u, x+rx-v)
// with ry = (kh-1)/2, rx = (kw-1)/2.
func convSame(p plane, k [][]float64) plane {
	kh, kw := len(k), len(k[0])
	ry, rx := (kh-1)/2, (kw-1)/2
	out := plane{w: p.w, h: p.h, v: make([]float64, len(p.v))}
	for y := 0; y < p.h; y++ {
		for x := 0; x < p.w; x++ {
			var s float64
			for u := 0; u < kh; u++ {
				yy := y + ry - u
				if yy < 0 || yy >= p.h {
					continue
				}
				for v := 0; v < kw; v++ {
					if xx := x + rx - v; xx >= 0 && xx < p.w {
						s += k[u][v] * p.v[yy*p.w+xx]
					}
				}
			}
			out.v[y*p.w+x] = s
		}
	}
	return out
}
