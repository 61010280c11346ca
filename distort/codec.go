package distort

import (
	"bytes"
	"image/color"
	"image/jpeg"
	"math"
	"math/rand"

	"github.com/vkpercept/vkpercept/metric"
)

func init() {
	register("jpeg", "compression", "JPEG (Go's encoder) at quality 50, 30, 18, 10 and 5", func(im *metric.Image, l int, _ *rand.Rand) error {
		return jpegRoundTrip(im, int(pick(l, [Levels]float64{50, 30, 18, 10, 5})))
	})
	register("quantization", "compression", "uniform quantisation of each component to 32 .. 4 levels", func(im *metric.Image, l int, _ *rand.Rand) error {
		q := float32(pick(l, [Levels]float64{32, 16, 10, 6, 4}) - 1)
		for i, v := range im.Data {
			im.Data[i] = float32(math.Round(float64(v*q))) / q
		}
		return nil
	})
	register("banding", "compression", "contours in smooth gradients: the smooth part of luminance (Gaussian, sigma 2 px) quantised to 48 .. 8 levels, texture kept", func(im *metric.Image, l int, _ *rand.Rand) error {
		q := float32(pick(l, [Levels]float64{48, 32, 20, 12, 8}) - 1)
		p := planes(im)
		n := len(p[0])
		lum := metric.Image{C: 3, H: im.H, W: im.W, Data: make([]float32, 3*n)}
		for i := 0; i < n; i++ {
			y, _, _ := toYCbCr(p[0][i], p[1][i], p[2][i])
			lum.Data[i] = y
		}
		separable(&lum, gaussian(2)) // all three planes: only the first matters
		for i := 0; i < n; i++ {
			y, cb, cr := toYCbCr(p[0][i], p[1][i], p[2][i])
			smooth := lum.Data[i]
			y += float32(math.Round(float64(smooth*q)))/q - smooth
			p[0][i], p[1][i], p[2][i] = fromYCbCr(y, cb, cr)
		}
		return nil
	})
	register("chroma_subsampling", "compression", "chroma averaged over 2x2 .. 8x8 blocks and replicated, luma kept", func(im *metric.Image, l int, _ *rand.Rand) error {
		chroma(im, int(pick(l, [Levels]float64{2, 3, 4, 6, 8})))
		return nil
	})
}

func jpegRoundTrip(im *metric.Image, quality int) error {
	h, w := im.H, im.W
	p := planes(im)
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, im.NRGBA(), &jpeg.Options{Quality: quality}); err != nil {
		return err
	}
	dec, err := jpeg.Decode(&buf)
	if err != nil {
		return err
	}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.NRGBAModel.Convert(dec.At(x, y)).(color.NRGBA)
			i := y*w + x
			p[0][i], p[1][i], p[2][i] = float32(c.R)/255, float32(c.G)/255, float32(c.B)/255
		}
	}
	return nil
}

// chroma replaces Cb and Cr by their means over b x b blocks.
func chroma(im *metric.Image, b int) {
	h, w := im.H, im.W
	p := planes(im)
	for by := 0; by < h; by += b {
		for bx := 0; bx < w; bx += b {
			var scb, scr float32
			n := 0
			for y := by; y < min(by+b, h); y++ {
				for x := bx; x < min(bx+b, w); x++ {
					i := y*w + x
					_, cb, cr := toYCbCr(p[0][i], p[1][i], p[2][i])
					scb, scr, n = scb+cb, scr+cr, n+1
				}
			}
			scb, scr = scb/float32(n), scr/float32(n)
			for y := by; y < min(by+b, h); y++ {
				for x := bx; x < min(bx+b, w); x++ {
					i := y*w + x
					yy, _, _ := toYCbCr(p[0][i], p[1][i], p[2][i])
					p[0][i], p[1][i], p[2][i] = fromYCbCr(yy, scb, scr)
				}
			}
		}
	}
}
