package iqa

import (
	"fmt"
	"math"

	"github.com/vkpercept/vkpercept/metric"
)

// GMSD (Xue, Zhang, Mou and Bovik, 2014): the standard deviation of the
// gradient-magnitude similarity map. Luminance on the 0..255 scale is
// averaged over 2x2 blocks and downsampled by 2, gradients are Prewitt
// filters divided by 3 (zero padding, same size), and the similarity is
// (2 m1 m2 + T)/(m1^2 + m2^2 + T) with T = 170. 0 for identical images,
// larger is worse. Follows the authors' MATLAB code, including std2's N-1.
func GMSD(ref, dist metric.Image) (float64, error) {
	a, b, err := pair(ref, dist)
	if err != nil {
		return 0, err
	}
	if a.w < 2 || a.h < 2 {
		return 0, fmt.Errorf("gmsd: image is %dx%d, at least 2x2 needed", a.w, a.h)
	}
	for i := range a.v {
		a.v[i] *= 255
		b.v[i] *= 255
	}
	ma, mb := gradMag(down2Pad(a, true)), gradMag(down2Pad(b, true))
	const t = 170
	gms := make([]float64, len(ma))
	var mean float64
	for i := range ma {
		gms[i] = (2*ma[i]*mb[i] + t) / (ma[i]*ma[i] + mb[i]*mb[i] + t)
		mean += gms[i]
	}
	mean /= float64(len(gms))
	var v float64
	for _, g := range gms {
		v += (g - mean) * (g - mean)
	}
	return math.Sqrt(v / float64(len(gms)-1)), nil // MATLAB's std2: N-1
}

// gradMag is the Prewitt gradient magnitude with zero padding ("same").
func gradMag(p plane) []float64 {
	at := func(x, y int) float64 {
		if x < 0 || y < 0 || x >= p.w || y >= p.h {
			return 0
		}
		return p.v[y*p.w+x]
	}
	out := make([]float64, p.w*p.h)
	for y := 0; y < p.h; y++ {
		for x := 0; x < p.w; x++ {
			var gx, gy float64
			for d := -1; d <= 1; d++ {
				// Convolution with [1 0 -1]/3 rows (MATLAB conv2 flips the
				// kernel; the magnitude does not care about the sign).
				gx += (at(x-1, y+d) - at(x+1, y+d)) / 3
				gy += (at(x+d, y-1) - at(x+d, y+1)) / 3
			}
			out[y*p.w+x] = math.Hypot(gx, gy)
		}
	}
	return out
}
