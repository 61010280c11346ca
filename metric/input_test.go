package metric

import (
	"bytes"
	"encoding/binary"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/image/bmp"
	"golang.org/x/image/tiff"
)

func TestLoadImageFormats(t *testing.T) {
	dir := t.TempDir()
	src := image.NewNRGBA(image.Rect(0, 0, 3, 2))
	for i := range src.Pix {
		src.Pix[i] = uint8(37 * i)
	}
	for i := 3; i < len(src.Pix); i += 4 {
		src.Pix[i] = 255
	}
	encoders := map[string]func(*bytes.Buffer) error{
		"a.png":  func(b *bytes.Buffer) error { return png.Encode(b, src) },
		"a.bmp":  func(b *bytes.Buffer) error { return bmp.Encode(b, src) },
		"a.tiff": func(b *bytes.Buffer) error { return tiff.Encode(b, src, nil) },
	}
	for name, enc := range encoders {
		var buf bytes.Buffer
		if err := enc(&buf); err != nil {
			t.Fatal(err)
		}
		p := filepath.Join(dir, name)
		os.WriteFile(p, buf.Bytes(), 0o644)
		im, err := LoadImage(p)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if im.C != 3 || im.W != 3 || im.H != 2 {
			t.Fatalf("%s: shape %dx%dx%d", name, im.C, im.H, im.W)
		}
		// Pixel (1,0) green is Pix[5]; channel planes are H*W apart.
		if got, want := im.Data[6+1], float32(src.Pix[5])/255; got != want {
			t.Errorf("%s: green of pixel (1,0) = %g, want %g", name, got, want)
		}
	}
}

func TestLoadImageSixteenBitGrayAndAlpha(t *testing.T) {
	g := image.NewGray16(image.Rect(0, 0, 2, 1))
	g.SetGray16(0, 0, color.Gray16{Y: 65535})
	g.SetGray16(1, 0, color.Gray16{Y: 1000})
	im := FromImage(g)
	if im.Data[0] != 1 || im.Data[2+1] != float32(1000.0/65535) || im.Data[4+1] != im.Data[1] {
		t.Fatalf("16-bit gray to RGB: %v", im.Data)
	}
	// Alpha is ignored: a transparent pixel keeps its colour.
	a := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	a.Pix = []uint8{200, 100, 50, 0}
	im = FromImage(a)
	if im.Data[0] != float32(200)/255 || im.Data[2] != float32(50)/255 {
		t.Fatalf("alpha changed the colour: %v", im.Data)
	}
}

func writeNpy(t *testing.T, path string, shape string, vals []float32) {
	t.Helper()
	hdr := "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }"
	for (10+len(hdr)+1)%64 != 0 {
		hdr += " "
	}
	hdr += "\n"
	var b bytes.Buffer
	b.WriteString("\x93NUMPY\x01\x00")
	binary.Write(&b, binary.LittleEndian, uint16(len(hdr)))
	b.WriteString(hdr)
	binary.Write(&b, binary.LittleEndian, vals)
	if err := os.WriteFile(path, b.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestLoadLatentChecks(t *testing.T) {
	dir := t.TempDir()
	ok := filepath.Join(dir, "ok.npy")
	writeNpy(t, ok, "(4, 2, 3)", make([]float32, 24))
	if im, err := LoadLatent(ok, 4); err != nil || im.C != 4 || im.H != 2 || im.W != 3 {
		t.Fatalf("good latent: %+v %v", im, err)
	}
	nan := make([]float32, 24)
	nan[7] = float32(math.Inf(1))
	cases := map[string]struct {
		shape string
		vals  []float32
		want  string
	}{
		"rank.npy":  {"(4, 6)", make([]float32, 24), "rank 3"},
		"chan.npy":  {"(3, 2, 4)", make([]float32, 24), "channels"},
		"inf.npy":   {"(4, 2, 3)", nan, "NaN or Inf"},
		"short.npy": {"(4, 2, 3)", make([]float32, 5), "truncated"},
	}
	for name, c := range cases {
		p := filepath.Join(dir, name)
		writeNpy(t, p, c.shape, c.vals)
		_, err := LoadLatent(p, 4)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: error %v, want %q", name, err, c.want)
		}
	}
	junk := filepath.Join(dir, "junk.npy")
	os.WriteFile(junk, []byte("nope"), 0o644)
	if _, err := LoadLatent(junk, 4); err == nil || !strings.Contains(err.Error(), "not a .npy") {
		t.Errorf("junk: %v", err)
	}
}

func TestWeightsRejectExtraTensor(t *testing.T) {
	ts := map[string]namedTensor{}
	for name, shape := range expectedShapes(3) {
		n := 1
		for _, d := range shape {
			n *= d
		}
		ts[name] = namedTensor{shape: shape, data: make([]float32, n)}
	}
	if _, err := fromTensors("x", ts); err != nil {
		t.Fatal(err)
	}
	ts["extra.weight"] = namedTensor{shape: []int{1}, data: []float32{0}}
	delete(ts, maskName(3, "bias"))
	_, err := fromTensors("x", ts)
	if err == nil || !strings.Contains(err.Error(), "unexpected extra.weight") || !strings.Contains(err.Error(), "missing "+maskName(3, "bias")) {
		t.Fatalf("error %v", err)
	}
}

func TestCrop(t *testing.T) {
	im := Image{C: 2, H: 3, W: 4, Data: make([]float32, 24)}
	for i := range im.Data {
		im.Data[i] = float32(i)
	}
	c, err := im.Crop(1, 1, 2, 2)
	if err != nil {
		t.Fatal(err)
	}
	// Channel 1, row 2, column 2 of the original is 12 + 2*4 + 2.
	if c.W != 2 || c.H != 2 || c.Data[0] != 5 || c.Data[7] != 22 {
		t.Fatalf("crop %+v", c)
	}
	if _, err := im.Crop(3, 0, 2, 1); err == nil {
		t.Fatal("accepted a window past the right edge")
	}
}

// FromImage's conversions straight from the pixel arrays equal the generic
// one (At and NRGBA64Model) bit for bit, for every type they cover, on
// sub-images (bounds not at the origin, rows shorter than the stride), and
// the types they leave alone still convert.
func TestFromImageFastPaths(t *testing.T) {
	rect := image.Rect(0, 0, 23, 17)
	sub := image.Rect(3, 2, 21, 15)
	fill := func(pix []byte, seed uint32) {
		for i := range pix {
			seed = seed*1664525 + 1013904223
			pix[i] = byte(seed >> 24)
		}
	}
	opaque := func(pix []byte, bytesPer int) {
		for i := bytesPer - 2; i < len(pix); i += bytesPer {
			pix[i], pix[i+1] = 0xff, 0xff
		}
	}
	ycc := image.NewYCbCr(rect, image.YCbCrSubsampleRatio420)
	fill(ycc.Y, 1)
	fill(ycc.Cb, 2)
	fill(ycc.Cr, 3)
	ycc444 := image.NewYCbCr(rect, image.YCbCrSubsampleRatio444)
	fill(ycc444.Y, 4)
	fill(ycc444.Cb, 5)
	fill(ycc444.Cr, 6)
	rgba64 := image.NewRGBA64(rect)
	fill(rgba64.Pix, 7)
	opaque(rgba64.Pix, 8)
	translucent64 := image.NewRGBA64(rect)
	fill(translucent64.Pix, 8)
	nrgba64 := image.NewNRGBA64(rect)
	fill(nrgba64.Pix, 9)
	gray := image.NewGray(rect)
	fill(gray.Pix, 10)
	gray16 := image.NewGray16(rect)
	fill(gray16.Pix, 11)
	pal := image.NewPaletted(rect, color.Palette{color.RGBA{10, 20, 30, 255}, color.NRGBA{200, 100, 50, 128}, color.Gray{77}})
	fill(pal.Pix, 12)
	for i := range pal.Pix {
		pal.Pix[i] %= 3
	}
	cmyk := image.NewCMYK(rect)
	fill(cmyk.Pix, 13)
	type subImager interface {
		SubImage(image.Rectangle) image.Image
	}
	for name, img := range map[string]image.Image{"ycbcr420": ycc, "ycbcr444": ycc444, "rgba64": rgba64, "rgba64 translucent": translucent64,
		"nrgba64": nrgba64, "gray": gray, "gray16": gray16, "paletted": pal, "cmyk": cmyk} {
		for _, im := range []image.Image{img, img.(subImager).SubImage(sub)} {
			got := FromImage(im)
			b := im.Bounds()
			want := make([]float32, 3*b.Dx()*b.Dy())
			n := b.Dx() * b.Dy()
			generic(im, want[:n], want[n:2*n], want[2*n:])
			if got.W != b.Dx() || got.H != b.Dy() {
				t.Fatalf("%s %v: %dx%d", name, b, got.W, got.H)
			}
			for i, v := range want {
				if got.Data[i] != v {
					t.Fatalf("%s %v: value %d is %g, the generic conversion %g", name, b, i, got.Data[i], v)
				}
			}
		}
	}
}
