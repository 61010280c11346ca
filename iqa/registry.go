package iqa

import "github.com/vkpercept/vkpercept/metric"

// Metric is one of the package's metrics with what callers need to use it
// by name: the CLI's subcommands, the training labels and their evaluation.
type Metric struct {
	Name   string
	Fn     func(ref, dist metric.Image) (float64, error)
	Higher bool // larger scores mean better quality
	About  string
}

// Metrics lists every metric of the package in a fixed order.
var Metrics = []Metric{
	{"ssim", SSIM, true, "SSIM on luminance (1 = identical)"},
	{"msssim", MSSSIM, true, "multi-scale SSIM on luminance (1 = identical)"},
	{"gmsd", GMSD, false, "gradient-magnitude similarity deviation (0 = identical)"},
	{"nlpd", NLPD, false, "normalised Laplacian pyramid distance (0 = identical)"},
	{"haarpsi", HaarPSI, true, "Haar wavelet-based perceptual similarity index (1 = identical)"},
	{"deltae", DeltaE2000, false, "mean CIEDE2000 colour difference in CIELAB (0 = identical)"},
}

// Lookup finds a metric by name.
func Lookup(name string) (Metric, bool) {
	for _, m := range Metrics {
		if m.Name == name {
			return m, true
		}
	}
	return Metric{}, false
}
