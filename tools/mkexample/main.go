// Command mkexample renders the bundled example pair: a procedural scene
// (our own rendering, no third-party pixels) and a distorted copy made by
// blurring one region, adding noise to another and JPEG-compressing the whole.
// Output is deterministic.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"math"
	"math/rand"
	"os"
	"path/filepath"
)

func main() {
	dir := flag.String("dir", "examples", "output directory")
	w := flag.Int("w", 512, "width")
	h := flag.Int("h", 384, "height")
	flag.Parse()
	if err := run(*dir, *w, *h); err != nil {
		fmt.Fprintln(os.Stderr, "mkexample:", err)
		os.Exit(1)
	}
}

func run(dir string, w, h int) error {
	ref := render(w, h)
	dist, err := distort(ref)
	if err != nil {
		return err
	}
	for name, img := range map[string]image.Image{"ref.png": ref, "dist.png": dist} {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// valueNoise is smooth lattice noise in [0,1], a few octaves.
func valueNoise(rng *rand.Rand, size int) func(x, y float64) float64 {
	lat := make([]float64, size*size)
	for i := range lat {
		lat[i] = rng.Float64()
	}
	at := func(i, j int) float64 { return lat[((j%size+size)%size)*size+(i%size+size)%size] }
	smooth := func(t float64) float64 { return t * t * (3 - 2*t) }
	one := func(x, y float64) float64 {
		i, j := int(math.Floor(x)), int(math.Floor(y))
		fx, fy := smooth(x-float64(i)), smooth(y-float64(j))
		a := at(i, j)*(1-fx) + at(i+1, j)*fx
		b := at(i, j+1)*(1-fx) + at(i+1, j+1)*fx
		return a*(1-fy) + b*fy
	}
	return func(x, y float64) float64 {
		s, amp, tot := 0.0, 1.0, 0.0
		for o := 0; o < 5; o++ {
			s += amp * one(x, y)
			tot += amp
			x, y, amp = x*2, y*2, amp*0.5
		}
		return s / tot
	}
}

func render(w, h int) *image.NRGBA {
	rng := rand.New(rand.NewSource(20251123))
	noise := valueNoise(rng, 64)
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	fw, fh := float64(w), float64(h)
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			u, v := float64(x)/fw, float64(y)/fh
			// Sky: vertical gradient with soft clouds.
			cloud := math.Max(0, noise(u*6, v*12)-0.55) * 2
			r, g, b := 0.35+0.3*v+cloud, 0.55+0.25*v+cloud, 0.9+cloud*0.5
			// Sun.
			if d := math.Hypot(u-0.78, v-0.18); d < 0.07 {
				r, g, b = 1, 0.92, 0.6
			}
			// Mountains.
			ridge := 0.45 + 0.08*math.Sin(u*9) + 0.05*math.Sin(u*23+1) + 0.04*(noise(u*8, 3)-0.5)
			if v > ridge {
				t := noise(u*30, v*30)
				r, g, b = 0.35+0.2*t, 0.33+0.18*t, 0.3+0.15*t
				if v < ridge+0.03 {
					r, g, b = 0.95, 0.95, 0.97 // snow line
				}
			}
			// Meadow with grass texture.
			if v > 0.62 {
				t := noise(u*80, v*40)
				r, g, b = 0.2+0.2*t, 0.45+0.3*t, 0.15+0.1*t
			}
			// Brick wall with mortar lines: sharp, regular detail.
			if u > 0.06 && u < 0.36 && v > 0.58 && v < 0.92 {
				bx, by := (u-0.06)*fw/24, (v-0.58)*fh/12
				if int(by)%2 == 1 {
					bx += 0.5
				}
				if bx-math.Floor(bx) < 0.08 || by-math.Floor(by) < 0.15 {
					r, g, b = 0.8, 0.78, 0.74
				} else {
					t := noise(bx*3, by*3)
					r, g, b = 0.62+0.15*t, 0.27+0.1*t, 0.2+0.05*t
				}
			}
			// A fine grating: the kind of detail masking hides least.
			if u > 0.55 && u < 0.92 && v > 0.7 && v < 0.9 {
				s := 0.5 + 0.5*math.Sin(float64(x)*1.3+float64(y)*0.25)
				r, g, b = 0.15+0.7*s, 0.15+0.7*s, 0.2+0.6*s
			}
			img.SetNRGBA(x, y, color.NRGBA{R: u8(r), G: u8(g), B: u8(b), A: 255})
		}
	}
	return img
}

func u8(v float64) uint8 { return uint8(math.Max(0, math.Min(255, v*255+0.5))) }

// distort blurs the left third, adds noise to the sky's right part, and
// JPEG-compresses the result at quality 35.
func distort(src *image.NRGBA) (image.Image, error) {
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	out := image.NewNRGBA(b)
	copy(out.Pix, src.Pix)
	const rad = 3
	for y := 0; y < h; y++ {
		for x := 0; x < w/3; x++ {
			var s [3]float64
			n := 0.0
			for dy := -rad; dy <= rad; dy++ {
				for dx := -rad; dx <= rad; dx++ {
					xx, yy := min(max(x+dx, 0), w-1), min(max(y+dy, 0), h-1)
					o := src.PixOffset(xx, yy)
					for c := 0; c < 3; c++ {
						s[c] += float64(src.Pix[o+c])
					}
					n++
				}
			}
			o := out.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				out.Pix[o+c] = uint8(s[c]/n + 0.5)
			}
		}
	}
	rng := rand.New(rand.NewSource(7))
	for y := 0; y < h/2; y++ {
		for x := 2 * w / 3; x < w; x++ {
			o := out.PixOffset(x, y)
			for c := 0; c < 3; c++ {
				v := float64(out.Pix[o+c]) + rng.NormFloat64()*12
				out.Pix[o+c] = uint8(math.Max(0, math.Min(255, v+0.5)))
			}
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, out, &jpeg.Options{Quality: 35}); err != nil {
		return nil, err
	}
	return jpeg.Decode(&buf)
}
