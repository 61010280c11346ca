package main

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
)

// writeAtomic writes through a temporary file in the same directory and
// renames it, so a failure never leaves a partial output.
func writeAtomic(path string, data []byte) error {
	dir := filepath.Dir(path)
	f, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	cerr := f.Close()
	if werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("writing %s: %w", path, werr)
	}
	return nil
}

// mapPNG renders a map with values in [0,1] through the magma colour map.
func mapPNG(v []float32, w, h int) ([]byte, error) {
	img := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i, x := range v {
		c := magma[clampByte(x)]
		img.Pix[4*i], img.Pix[4*i+1], img.Pix[4*i+2], img.Pix[4*i+3] = c[0], c[1], c[2], 255
	}
	return encodePNG(img)
}

// maskPNG writes the mask as 16-bit grayscale, scaled by its maximum possible
// value (one sigmoid per pyramid level) so no value clips.
func maskPNG(v []float32, w, h int, levels int) ([]byte, error) {
	img := image.NewGray16(image.Rect(0, 0, w, h))
	for i, x := range v {
		s := float64(x) / float64(levels) * 65535
		s = max(0, min(65535, s+0.5))
		img.SetGray16(i%w, i/w, color.Gray16{Y: uint16(s)})
	}
	return encodePNG(img)
}

func encodePNG(img image.Image) ([]byte, error) {
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func clampByte(x float32) uint8 {
	v := float64(x)*255 + 0.5
	return uint8(max(0, min(255, v)))
}

// npyBytes encodes a C-order float32 array of the given shape (H x W for a
// map, C x H x W for a gradient) as .npy (format 1.0). npyio writes slices
// as 1-D arrays only, so the small header is written here.
func npyBytes(v []float32, shape ...int) []byte {
	dims := make([]string, len(shape))
	for i, d := range shape {
		dims[i] = fmt.Sprint(d)
	}
	tuple := strings.Join(dims, ", ")
	if len(dims) == 1 {
		tuple += "," // a Python 1-tuple
	}
	hdr := fmt.Sprintf("{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", tuple)
	// Magic (6) + version (2) + length (2) + header + newline, padded to 64 bytes.
	pad := 64 - (10+len(hdr)+1)%64
	if pad == 64 {
		pad = 0
	}
	hdr += strings.Repeat(" ", pad) + "\n"
	out := make([]byte, 0, 10+len(hdr)+4*len(v))
	out = append(out, "\x93NUMPY\x01\x00"...)
	out = binary.LittleEndian.AppendUint16(out, uint16(len(hdr)))
	out = append(out, hdr...)
	for _, x := range v {
		out = binary.LittleEndian.AppendUint32(out, math.Float32bits(x))
	}
	return out
}
