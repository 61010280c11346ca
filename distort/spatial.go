package distort

import (
	"math"
	"math/rand"

	"github.com/vkpercept/vkpercept/metric"
)

func init() {
	register("pixelation", "spatial", "block averages over 2x2 .. 10x10 pixels", func(im *metric.Image, l int, _ *rand.Rand) error {
		b := int(pick(l, [Levels]float64{2, 3, 4, 6, 10}))
		for _, p := range planes(im) {
			for by := 0; by < im.H; by += b {
				for bx := 0; bx < im.W; bx += b {
					var s float32
					n := 0
					for y := by; y < min(by+b, im.H); y++ {
						for x := bx; x < min(bx+b, im.W); x++ {
							s, n = s+p[y*im.W+x], n+1
						}
					}
					for y := by; y < min(by+b, im.H); y++ {
						for x := bx; x < min(bx+b, im.W); x++ {
							p[y*im.W+x] = s / float32(n)
						}
					}
				}
			}
		}
		return nil
	})
	register("nn_aliasing", "spatial", "nearest-neighbour downscale by 2 .. 7 and nearest upscale (cells sampled at their centres): aliasing and jaggies", func(im *metric.Image, l int, _ *rand.Rand) error {
		f := pick(l, [Levels]float64{2, 3, 4, 5, 7})
		for _, p := range planes(im) {
			src := append([]float32(nil), p...)
			for y := 0; y < im.H; y++ {
				sy := clampi(int((math.Floor(float64(y)/f)+0.5)*f), 0, im.H-1)
				for x := 0; x < im.W; x++ {
					sx := clampi(int((math.Floor(float64(x)/f)+0.5)*f), 0, im.W-1)
					p[y*im.W+x] = src[sy*im.W+sx]
				}
			}
		}
		return nil
	})
	register("patch_jitter", "spatial", "8x8 patches displaced by up to 1 .. 6 px (seeded), as from bad motion vectors or temporal reprojection", func(im *metric.Image, l int, rng *rand.Rand) error {
		d := pick(l, [Levels]float64{1, 1.5, 2.5, 4, 6})
		const b = 8
		src := append([]float32(nil), im.Data...)
		n := im.H * im.W
		for by := 0; by < im.H; by += b {
			for bx := 0; bx < im.W; bx += b {
				// Each patch gets its own displacement direction and, for
				// monotone strength, a magnitude that scales with the level.
				a, r := rng.Float64()*2*math.Pi, rng.Float64()
				dx, dy := int(math.Round(d*r*math.Cos(a))), int(math.Round(d*r*math.Sin(a)))
				for y := by; y < min(by+b, im.H); y++ {
					for x := bx; x < min(bx+b, im.W); x++ {
						j := clampi(y+dy, 0, im.H-1)*im.W + clampi(x+dx, 0, im.W-1)
						for c := 0; c < 3; c++ {
							im.Data[c*n+y*im.W+x] = src[c*n+j]
						}
					}
				}
			}
		}
		return nil
	})
	register("sharpen", "enhancement", "unsharp mask (Gaussian sigma 1.5 px) of amount 0.5 .. 4: halos and overshoot", func(im *metric.Image, l int, _ *rand.Rand) error {
		amt := float32(pick(l, [Levels]float64{0.5, 1, 1.75, 2.75, 4}))
		blur := metric.Image{C: 3, H: im.H, W: im.W, Data: append([]float32(nil), im.Data...)}
		separable(&blur, gaussian(1.5))
		for i, v := range im.Data {
			im.Data[i] = v + amt*(v-blur.Data[i])
		}
		return nil
	})
	register("ringing", "enhancement", "a windowed-sinc low-pass with a sharp cut-off at 0.4 .. 0.12 cycles/px: Gibbs ringing at edges", func(im *metric.Image, l int, _ *rand.Rand) error {
		fc := pick(l, [Levels]float64{0.4, 0.3, 0.22, 0.16, 0.12})
		r := int(math.Ceil(3 / fc))
		k := make([]float32, 2*r+1)
		for i := range k {
			t := float64(i - r)
			v := 2 * fc
			if t != 0 {
				v = math.Sin(2*math.Pi*fc*t) / (math.Pi * t)
			}
			// A wide Hann window keeps the ringing of the sharp cut-off.
			k[i] = float32(v * (0.5 + 0.5*math.Cos(math.Pi*t/float64(r+1))))
		}
		separable(im, normalise(k))
		return nil
	})
}
