package distort

import (
	"math"

	"github.com/vkpercept/vkpercept/metric"
)

// convolve filters every plane with a k x k kernel (clamp-to-edge borders).
func convolve(im *metric.Image, k []float32, size int) {
	h, w, r := im.H, im.W, size/2
	for _, p := range planes(im) {
		src := append([]float32(nil), p...)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var s float32
				for ky := 0; ky < size; ky++ {
					yy := clampi(y+ky-r, 0, h-1)
					for kx := 0; kx < size; kx++ {
						if c := k[ky*size+kx]; c != 0 {
							s += c * src[yy*w+clampi(x+kx-r, 0, w-1)]
						}
					}
				}
				p[y*w+x] = s
			}
		}
	}
}

// separable filters every plane with a 1-D kernel along x then y.
func separable(im *metric.Image, k []float32) {
	h, w, r := im.H, im.W, len(k)/2
	for _, p := range planes(im) {
		tmp := make([]float32, len(p))
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var s float32
				for i, c := range k {
					s += c * p[y*w+clampi(x+i-r, 0, w-1)]
				}
				tmp[y*w+x] = s
			}
		}
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				var s float32
				for i, c := range k {
					s += c * tmp[clampi(y+i-r, 0, h-1)*w+x]
				}
				p[y*w+x] = s
			}
		}
	}
}

// gaussian is a normalised 1-D Gaussian kernel of standard deviation sigma.
func gaussian(sigma float64) []float32 {
	r := int(math.Ceil(3 * sigma))
	k := make([]float32, 2*r+1)
	var sum float64
	for i := range k {
		d := float64(i - r)
		v := math.Exp(-d * d / (2 * sigma * sigma))
		k[i] = float32(v)
		sum += v
	}
	for i := range k {
		k[i] /= float32(sum)
	}
	return k
}

func normalise(k []float32) []float32 {
	var s float32
	for _, v := range k {
		s += v
	}
	for i := range k {
		k[i] /= s
	}
	return k
}

func clampi(v, lo, hi int) int {
	if v < lo {
		return lo
	}
	if v > hi {
		return hi
	}
	return v
}

// luma and chroma in BT.601 full range.
func toYCbCr(r, g, b float32) (y, cb, cr float32) {
	y = 0.299*r + 0.587*g + 0.114*b
	return y, (b - y) * 0.564, (r - y) * 0.713
}

func fromYCbCr(y, cb, cr float32) (r, g, b float32) {
	r = y + cr/0.713
	b = y + cb/0.564
	g = (y - 0.299*r - 0.114*b) / 0.587
	return r, g, b
}
