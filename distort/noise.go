package distort

import (
	"math/rand"

	"github.com/vkpercept/vkpercept/metric"
)

func init() {
	register("white_noise", "noise", "additive Gaussian noise on luminance, sigma 0.02 to 0.2", func(im *metric.Image, l int, rng *rand.Rand) error {
		s := float32(pick(l, [Levels]float64{0.02, 0.04, 0.07, 0.12, 0.2}))
		p := planes(im)
		for i := range p[0] {
			n := s * float32(rng.NormFloat64())
			for c := range p {
				p[c][i] += n
			}
		}
		return nil
	})
	register("color_noise", "noise", "additive Gaussian noise independent per colour component, sigma 0.02 to 0.2", func(im *metric.Image, l int, rng *rand.Rand) error {
		s := float32(pick(l, [Levels]float64{0.02, 0.04, 0.07, 0.12, 0.2}))
		for i := range im.Data {
			im.Data[i] += s * float32(rng.NormFloat64())
		}
		return nil
	})
	register("impulse_noise", "noise", "salt and pepper on 1% to 20% of the pixels", func(im *metric.Image, l int, rng *rand.Rand) error {
		frac := pick(l, [Levels]float64{0.01, 0.03, 0.06, 0.11, 0.2})
		p := planes(im)
		for i := range p[0] {
			if rng.Float64() < frac {
				v := float32(rng.Intn(2))
				for c := range p {
					p[c][i] = v
				}
			}
		}
		return nil
	})
	register("multiplicative_noise", "noise", "speckle: x(1+n), n Gaussian with sigma 0.05 to 0.5", func(im *metric.Image, l int, rng *rand.Rand) error {
		s := float32(pick(l, [Levels]float64{0.05, 0.1, 0.18, 0.3, 0.5}))
		p := planes(im)
		for i := range p[0] {
			f := 1 + s*float32(rng.NormFloat64())
			for c := range p {
				p[c][i] *= f
			}
		}
		return nil
	})
}
