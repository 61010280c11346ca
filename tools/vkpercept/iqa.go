package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/vkpercept/vkpercept/iqa"
	"github.com/vkpercept/vkpercept/metric"
)

// teachers are the classic metrics with a subcommand each.
var teachers = map[string]struct {
	fn    func(a, b metric.Image) (float64, error)
	about string
}{
	"ssim":    {iqa.SSIM, "SSIM on luminance (1 = identical)"},
	"msssim":  {iqa.MSSSIM, "multi-scale SSIM on luminance (1 = identical)"},
	"gmsd":    {iqa.GMSD, "gradient-magnitude similarity deviation (0 = identical)"},
	"nlpd":    {iqa.NLPD, "normalised Laplacian pyramid distance (0 = identical)"},
	"haarpsi": {iqa.HaarPSI, "Haar wavelet-based perceptual similarity index (1 = identical)"},
	"deltae":  {iqa.DeltaE2000, "mean CIEDE2000 colour difference in CIELAB (0 = identical)"},
}

// cmdTeacher scores a pair with one classic metric, with milo's conventions.
func cmdTeacher(name string, args []string, stdout, stderr io.Writer) error {
	t := teachers[name]
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: vkpercept %s [--json] REF DIST\n%s.\n", name, t.about)
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args, 2, "REF DIST")
	if err != nil {
		return err
	}
	ref, dist, err := loadPair(pos[0], pos[1], false, 3)
	if err != nil {
		return err
	}
	start := time.Now()
	v, err := t.fn(ref, dist)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{"ref": pos[0], "dist": pos[1], "width": ref.W, "height": ref.H,
			"metric": name, "score": v, "backend": "cpu", "ms": ms})
	}
	fmt.Fprintf(stdout, "%s %s vs %s (%dx%d): %.6f  [cpu, %.1f ms]\n", name, pos[1], pos[0], ref.W, ref.H, v, ms)
	return nil
}
