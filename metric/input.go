package metric

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // decoders registered for LoadImage
	_ "image/png"
	"math"
	"os"

	"github.com/sbinet/npyio"
	_ "golang.org/x/image/bmp"
	_ "golang.org/x/image/tiff"
	_ "golang.org/x/image/webp"
)

// LoadImage decodes PNG (8 or 16 bit), JPEG, BMP, TIFF or WebP into a 3 x H x W
// tensor in [0,1]. Grayscale becomes RGB and alpha is ignored (straight colour).
func LoadImage(path string) (Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return Image{}, err
	}
	defer f.Close()
	img, _, err := image.Decode(f)
	if err != nil {
		return Image{}, fmt.Errorf("%s: cannot decode image: %w", path, err)
	}
	return FromImage(img), nil
}

// FromImage converts a decoded image into a 3 x H x W tensor in [0,1].
func FromImage(img image.Image) Image {
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	out := Image{C: 3, H: h, W: w, Data: make([]float32, 3*w*h)}
	r, g, bl := out.Data[:w*h], out.Data[w*h:2*w*h], out.Data[2*w*h:]
	switch src := img.(type) {
	case *image.NRGBA:
		for y := 0; y < h; y++ {
			row := src.Pix[y*src.Stride:]
			for x := 0; x < w; x++ {
				i := y*w + x
				r[i], g[i], bl[i] = u8(row[4*x]), u8(row[4*x+1]), u8(row[4*x+2])
			}
		}
	case *image.RGBA:
		opaque := src.Opaque()
		for y := 0; y < h && opaque; y++ {
			row := src.Pix[y*src.Stride:]
			for x := 0; x < w; x++ {
				i := y*w + x
				r[i], g[i], bl[i] = u8(row[4*x]), u8(row[4*x+1]), u8(row[4*x+2])
			}
		}
		if !opaque {
			generic(img, r, g, bl)
		}
	default:
		if !fromPix(img, r, g, bl) {
			generic(img, r, g, bl)
		}
	}
	return out
}

// NRGBA converts an RGB image in [0,1] back to 8 bits (clamped, rounded to
// nearest), opaque: the inverse of FromImage for writing and re-encoding.
func (im Image) NRGBA() *image.NRGBA {
	img := image.NewNRGBA(image.Rect(0, 0, im.W, im.H))
	n := im.W * im.H
	for i := 0; i < n; i++ {
		for c := 0; c < 3; c++ {
			img.Pix[4*i+c] = uint8(math.Round(float64(min(max(im.Data[c*n+i], 0), 1)) * 255))
		}
		img.Pix[4*i+3] = 255
	}
	return img
}

// u8 is v/255 rounded once, as PyTorch's ToTensor computes it.
func u8(v uint8) float32 { return float32(v) / 255 }

// generic un-premultiplies through NRGBA64, which also covers 16-bit PNGs.
func generic(img image.Image, r, g, bl []float32) {
	b := img.Bounds()
	w := b.Dx()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBA64Model.Convert(img.At(x, y)).(color.NRGBA64)
			i := (y-b.Min.Y)*w + (x - b.Min.X)
			r[i] = float32(float64(c.R) / 65535)
			g[i] = float32(float64(c.G) / 65535)
			bl[i] = float32(float64(c.B) / 65535)
		}
	}
}

// LoadLatent reads a C x H x W float32 .npy tensor (a VAE latent) and checks
// its rank, channel count and values.
func LoadLatent(path string, channels int) (Image, error) {
	f, err := os.Open(path)
	if err != nil {
		return Image{}, err
	}
	defer f.Close()
	rd, err := npyio.NewReader(f)
	if err != nil {
		return Image{}, fmt.Errorf("%s: not a .npy file: %w", path, err)
	}
	shape := rd.Header.Descr.Shape
	if len(shape) != 3 {
		return Image{}, fmt.Errorf("%s: latent has shape %v; want rank 3 (C x H x W)", path, shape)
	}
	if shape[0] != channels {
		return Image{}, fmt.Errorf("%s: latent has %d channels; the latent MILO takes %d", path, shape[0], channels)
	}
	if rd.Header.Descr.Fortran {
		return Image{}, fmt.Errorf("%s: Fortran-ordered arrays are not supported", path)
	}
	if t := rd.Header.Descr.Type; t != "<f4" {
		return Image{}, fmt.Errorf("%s: latent dtype is %s; want float32 (<f4)", path, t)
	}
	// npyio zero-fills a short read, so check the data size against the file.
	if err := checkNpySize(f, 4*shape[0]*shape[1]*shape[2]); err != nil {
		return Image{}, fmt.Errorf("%s: %w", path, err)
	}
	var data []float32
	if err := rd.Read(&data); err != nil {
		return Image{}, fmt.Errorf("%s: reading latent: %w", path, err)
	}
	if len(data) != shape[0]*shape[1]*shape[2] {
		return Image{}, fmt.Errorf("%s: latent holds %d values for shape %v", path, len(data), shape)
	}
	for _, v := range data {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return Image{}, fmt.Errorf("%s: latent holds NaN or Inf", path)
		}
	}
	return Image{C: shape[0], H: shape[1], W: shape[2], Data: data}, nil
}

// checkNpySize compares the bytes after the .npy header (which ends with the
// first newline) with what the shape needs.
func checkNpySize(f *os.File, want int) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	head := make([]byte, min(st.Size(), 1<<16))
	if _, err := f.ReadAt(head, 0); err != nil {
		return err
	}
	end := bytes.IndexByte(head, '\n')
	if end < 0 {
		return fmt.Errorf("corrupt .npy header")
	}
	if got := st.Size() - int64(end+1); got != int64(want) {
		return fmt.Errorf("truncated or padded .npy: %d data bytes, the shape needs %d", got, want)
	}
	return nil
}

// Crop returns the w x h window of im at (x0, y0), which must lie inside it.
func (im Image) Crop(x0, y0, w, h int) (Image, error) {
	if x0 < 0 || y0 < 0 || w < 1 || h < 1 || x0+w > im.W || y0+h > im.H {
		return Image{}, fmt.Errorf("crop %dx%d at (%d,%d) outside a %dx%d image", w, h, x0, y0, im.W, im.H)
	}
	out := Image{C: im.C, H: h, W: w, Data: make([]float32, im.C*h*w)}
	for c := 0; c < im.C; c++ {
		for y := 0; y < h; y++ {
			copy(out.Data[(c*h+y)*w:(c*h+y+1)*w], im.Data[(c*im.H+y0+y)*im.W+x0:])
		}
	}
	return out, nil
}
