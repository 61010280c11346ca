package metric

import (
	"image"
	"image/color"
)

// fromPix converts the decoders' other common types straight from their
// pixel arrays, with exactly what generic computes through At and
// NRGBA64Model (TestFromImageFastPaths), and reports whether it did: JPEG's
// YCbCr, 16-bit PNGs' RGBA64 and NRGBA64, gray and paletted PNGs. generic
// costs an interface call and a conversion a pixel, 1 s for a 4K JPEG here,
// where decoding it took a tenth of that. Premultiplied types with alpha
// and the rest stay with generic.
func fromPix(img image.Image, r, g, bl []float32) bool {
	b := img.Bounds()
	w := b.Dx()
	set := func(fn func(x, y int) (float32, float32, float32)) {
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				i := (y-b.Min.Y)*w + (x - b.Min.X)
				r[i], g[i], bl[i] = fn(x, y)
			}
		}
	}
	switch src := img.(type) {
	case *image.YCbCr:
		set(func(x, y int) (float32, float32, float32) {
			ci := src.COffset(x, y)
			cr, cg, cb, _ := color.YCbCr{Y: src.Y[src.YOffset(x, y)], Cb: src.Cb[ci], Cr: src.Cr[ci]}.RGBA()
			return u16(cr), u16(cg), u16(cb)
		})
	case *image.RGBA64:
		if !src.Opaque() {
			return false // premultiplied: generic divides by alpha
		}
		set(func(x, y int) (float32, float32, float32) {
			p := src.Pix[src.PixOffset(x, y):]
			return be16(p[0:]), be16(p[2:]), be16(p[4:])
		})
	case *image.NRGBA64:
		set(func(x, y int) (float32, float32, float32) {
			p := src.Pix[src.PixOffset(x, y):]
			return be16(p[0:]), be16(p[2:]), be16(p[4:])
		})
	case *image.Gray:
		set(func(x, y int) (float32, float32, float32) {
			v := u8(src.Pix[src.PixOffset(x, y)])
			return v, v, v
		})
	case *image.Gray16:
		set(func(x, y int) (float32, float32, float32) {
			v := be16(src.Pix[src.PixOffset(x, y):])
			return v, v, v
		})
	case *image.Paletted:
		var table [256][3]float32
		for k, c := range src.Palette {
			n := color.NRGBA64Model.Convert(c).(color.NRGBA64)
			table[k] = [3]float32{u16(uint32(n.R)), u16(uint32(n.G)), u16(uint32(n.B))}
		}
		for _, k := range src.Pix {
			if int(k) >= len(src.Palette) {
				return false // as At would (an index past the palette)
			}
		}
		set(func(x, y int) (float32, float32, float32) {
			c := &table[src.Pix[src.PixOffset(x, y)]]
			return c[0], c[1], c[2]
		})
	default:
		return false
	}
	return true
}

// u16 is a 16-bit channel value in [0,1], as generic computes it.
func u16(v uint32) float32 { return float32(float64(v) / 65535) }

// be16 is u16 of a big-endian 16-bit value (the 16-bit image types' Pix).
func be16(p []byte) float32 { return u16(uint32(p[0])<<8 | uint32(p[1])) }
