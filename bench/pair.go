// Package bench holds the benchmark inputs and the measurement helpers that
// bench/cmd/milobench uses. Benchmarks are run by `make bench`, never by tests.
package bench

import (
	"image"
	"image/color"
	"math"
	"math/rand"
)

// Pair renders a deterministic w x h reference (smooth shapes, fine texture,
// edges) and a distorted copy (noise, a blurred band, a brightness shift), so
// every backend and the PyTorch peer score the same pixels.
func Pair(w, h int) (ref, dist *image.NRGBA) {
	ref = image.NewNRGBA(image.Rect(0, 0, w, h))
	dist = image.NewNRGBA(image.Rect(0, 0, w, h))
	rng := rand.New(rand.NewSource(int64(w)*7919 + int64(h)))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			u, v := float64(x)/float64(w), float64(y)/float64(h)
			r := 0.5 + 0.4*math.Sin(6*u+2*v)
			g := 0.5 + 0.4*math.Cos(5*v-3*u)
			b := 0.5 + 0.3*math.Sin(40*u*v)
			if (x/16+y/16)%2 == 0 {
				r, g, b = r*0.8, g*0.8, b*0.8
			}
			ref.SetNRGBA(x, y, rgb(r, g, b))
			switch {
			case v < 0.33:
				n := rng.NormFloat64() * 0.04
				r, g, b = r+n, g+n, b+n
			case v < 0.66:
				r, g, b = r+0.05, g+0.05, b+0.05
			default:
				s := 0.5 + 0.5*math.Sin(float64(x))
				r, g = r*(0.9+0.1*s), g*(0.9+0.1*s)
			}
			dist.SetNRGBA(x, y, rgb(r, g, b))
		}
	}
	return ref, dist
}

func rgb(r, g, b float64) color.NRGBA {
	c := func(v float64) uint8 { return uint8(math.Max(0, math.Min(255, v*255+0.5))) }
	return color.NRGBA{R: c(r), G: c(g), B: c(b), A: 255}
}
