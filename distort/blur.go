package distort

import (
	"math"
	"math/rand"

	"github.com/vkpercept/vkpercept/metric"
)

func init() {
	register("gaussian_blur", "blur", "Gaussian blur, sigma 0.5 to 4 px", func(im *metric.Image, l int, _ *rand.Rand) error {
		separable(im, gaussian(pick(l, [Levels]float64{0.5, 1, 1.75, 2.75, 4})))
		return nil
	})
	register("lens_blur", "blur", "defocus: a uniform disk of radius 1 to 5 px", func(im *metric.Image, l int, _ *rand.Rand) error {
		r := pick(l, [Levels]float64{1, 1.75, 2.5, 3.5, 5})
		size := 2*int(math.Ceil(r)) + 1
		k := make([]float32, size*size)
		c := float64(size / 2)
		for y := 0; y < size; y++ {
			for x := 0; x < size; x++ {
				// Antialiased disk: coverage falls off over the last pixel.
				d := math.Hypot(float64(x)-c, float64(y)-c)
				k[y*size+x] = float32(math.Max(0, math.Min(1, r+0.5-d)))
			}
		}
		convolve(im, normalise(k), size)
		return nil
	})
	register("motion_blur", "blur", "linear motion of 3 to 19 px at a seeded angle", func(im *metric.Image, l int, rng *rand.Rand) error {
		length := pick(l, [Levels]float64{3, 5, 8, 12, 19})
		angle := rng.Float64() * math.Pi
		size := int(length) | 1
		k := make([]float32, size*size)
		c := float64(size / 2)
		for i := 0; i <= 4*size; i++ {
			t := (float64(i)/float64(4*size) - 0.5) * (length - 1)
			x, y := int(math.Round(c+t*math.Cos(angle))), int(math.Round(c+t*math.Sin(angle)))
			k[clampi(y, 0, size-1)*size+clampi(x, 0, size-1)]++
		}
		convolve(im, normalise(k), size)
		return nil
	})
	register("denoise_smoothing", "blur", "edge-preserving smoothing as a denoiser leaves it: a bilateral filter, range sigma 0.05 to 0.3", func(im *metric.Image, l int, _ *rand.Rand) error {
		bilateral(im, pick(l, [Levels]float64{1, 1.5, 2, 3, 4}), pick(l, [Levels]float64{0.05, 0.08, 0.12, 0.2, 0.3}))
		return nil
	})
}

// bilateral smooths with spatial sigma ss (px) and range sigma sr (on luma).
func bilateral(im *metric.Image, ss, sr float64) {
	h, w, r := im.H, im.W, int(math.Ceil(2*ss))
	p := planes(im)
	src := [3][]float32{append([]float32(nil), p[0]...), append([]float32(nil), p[1]...), append([]float32(nil), p[2]...)}
	luma := func(i int) float64 { y, _, _ := toYCbCr(src[0][i], src[1][i], src[2][i]); return float64(y) }
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			i := y*w + x
			yc := luma(i)
			var acc [3]float64
			var wsum float64
			for dy := -r; dy <= r; dy++ {
				for dx := -r; dx <= r; dx++ {
					j := clampi(y+dy, 0, h-1)*w + clampi(x+dx, 0, w-1)
					d := luma(j) - yc
					wt := math.Exp(-float64(dx*dx+dy*dy)/(2*ss*ss) - d*d/(2*sr*sr))
					for c := range acc {
						acc[c] += wt * float64(src[c][j])
					}
					wsum += wt
				}
			}
			for c := range acc {
				p[c][i] = float32(acc[c] / wsum)
			}
		}
	}
}
