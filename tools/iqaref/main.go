// Command iqaref writes the image pairs of iqa/testdata: crops of the
// bundled example, distorted by the distort package and saved as 8-bit PNG,
// so that tools/iqaref/reference.py (numpy/scipy, written from the papers'
// reference code) and the Go metrics read the same pixels.
package main

import (
	"bytes"
	"fmt"
	"image/png"
	"os"
	"path/filepath"

	"github.com/vkpercept/vkpercept/distort"
	"github.com/vkpercept/vkpercept/metric"
)

func main() {
	if err := run("examples/ref.png", "iqa/testdata"); err != nil {
		fmt.Fprintln(os.Stderr, "iqaref:", err)
		os.Exit(1)
	}
}

func run(src, dir string) error {
	full, err := metric.LoadImage(src)
	if err != nil {
		return err
	}
	crops := []struct {
		name         string
		x0, y0, w, h int
	}{{"a", 140, 90, 200, 180}, {"b", 20, 200, 97, 61}}
	dists := []struct {
		typ   string
		level int
	}{{"jpeg", 4}, {"gaussian_blur", 3}, {"white_noise", 3}, {"contrast", 4}}
	for _, c := range crops {
		ref, err := full.Crop(c.x0, c.y0, c.w, c.h)
		if err != nil {
			return err
		}
		if err := write(filepath.Join(dir, c.name+"_ref.png"), ref); err != nil {
			return err
		}
		for _, d := range dists {
			out, err := distort.Apply(ref, d.typ, d.level, 1)
			if err != nil {
				return err
			}
			if err := write(filepath.Join(dir, fmt.Sprintf("%s_%s.png", c.name, d.typ)), out); err != nil {
				return err
			}
		}
	}
	return nil
}

func write(path string, im metric.Image) error {
	img := im.NRGBA()
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return err
	}
	return os.WriteFile(path, buf.Bytes(), 0o644)
}
