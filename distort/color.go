package distort

import (
	"math"
	"math/rand"

	"github.com/vkpercept/vkpercept/metric"
)

func init() {
	register("saturation", "colour", "colour saturation scaled by 0.75 .. 0 (grey), or boosted when the seed is odd", func(im *metric.Image, l int, rng *rand.Rand) error {
		f := float32(pick(l, [Levels]float64{0.75, 0.55, 0.35, 0.15, 0}))
		if rng.Intn(2) == 1 {
			f = float32(pick(l, [Levels]float64{1.3, 1.6, 2, 2.5, 3}))
		}
		p := planes(im)
		for i := range p[0] {
			y, cb, cr := toYCbCr(p[0][i], p[1][i], p[2][i])
			p[0][i], p[1][i], p[2][i] = fromYCbCr(y, f*cb, f*cr)
		}
		return nil
	})
	register("color_shift", "colour", "hue rotated by 8 to 60 degrees in the chroma plane, direction seeded", func(im *metric.Image, l int, rng *rand.Rand) error {
		a := pick(l, [Levels]float64{8, 15, 25, 40, 60}) * math.Pi / 180
		if rng.Intn(2) == 1 {
			a = -a
		}
		c, s := float32(math.Cos(a)), float32(math.Sin(a))
		p := planes(im)
		for i := range p[0] {
			y, cb, cr := toYCbCr(p[0][i], p[1][i], p[2][i])
			p[0][i], p[1][i], p[2][i] = fromYCbCr(y, c*cb-s*cr, s*cb+c*cr)
		}
		return nil
	})
	register("brightness", "colour", "every component shifted by 0.04 to 0.3, up or down (seeded)", func(im *metric.Image, l int, rng *rand.Rand) error {
		d := float32(pick(l, [Levels]float64{0.04, 0.08, 0.14, 0.21, 0.3}))
		if rng.Intn(2) == 1 {
			d = -d
		}
		for i := range im.Data {
			im.Data[i] += d
		}
		return nil
	})
	register("contrast", "colour", "contrast about the mean scaled by 0.8 .. 0.2, or raised by 1.25 .. 2.5 (seeded)", func(im *metric.Image, l int, rng *rand.Rand) error {
		f := float32(pick(l, [Levels]float64{0.8, 0.65, 0.5, 0.35, 0.2}))
		if rng.Intn(2) == 1 {
			f = float32(pick(l, [Levels]float64{1.25, 1.5, 1.8, 2.1, 2.5}))
		}
		var mean float64
		for _, v := range im.Data {
			mean += float64(v)
		}
		m := float32(mean / float64(len(im.Data)))
		for i, v := range im.Data {
			im.Data[i] = m + f*(v-m)
		}
		return nil
	})
}
