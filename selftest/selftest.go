// Package selftest checks that a Vulkan device computes the metrics right:
// each MILO variant the device runs (and IEM) against the pure-Go CPU
// backend, on rendered pairs of odd sizes, through every way a pass runs
// (whole, in row bands, batched, a session's RGBA8 frames). It is for the
// machine a program is about to trust: a new driver, a new GPU (the
// cooperative-matrix tiles have many), a user's bug report. An engine can
// run it once and keep to the variants that passed.
package selftest

import (
	"fmt"
	"math"

	"github.com/vkpercept/vkpercept/metric"
	"github.com/vkpercept/vkpercept/vk"
)

// Check is one comparison of the device against the CPU backend.
type Check struct {
	Metric  string `json:"metric"`  // "milo" or "iem"
	Variant string `json:"variant"` // MILO's variant (metric.Variant's text form); "fp32" for IEM
	Path    string `json:"path"`    // pass, bands, batch, session; IEM: pass, levels (in batches), batch
	Size    string `json:"size"`    // WxH
	// ScalarErr is the largest relative error of the scalars (MILO's score,
	// loss and MOS; IEM's standard and squared values), MapErr the largest
	// absolute error of MILO's quality map and mask, and MapOver the share
	// of their pixels over MapTol.
	ScalarErr float64 `json:"scalar_rel_err"`
	MapErr    float64 `json:"map_abs_err,omitempty"`
	MapOver   float64 `json:"map_over_tol,omitempty"`
	// The bounds: ScalarTol relative; MapTol absolute, which a share of
	// MapShare of the pixels may exceed up to MapMax.
	ScalarTol float64 `json:"scalar_tol"`
	MapTol    float64 `json:"map_tol,omitempty"`
	MapShare  float64 `json:"map_share,omitempty"`
	MapMax    float64 `json:"map_max,omitempty"`
	Ms        float64 `json:"ms"` // wall time of the device's run, pipeline builds included
	// Error is the error the device's run returned (nothing was compared),
	// Problem what a comparison found wrong (a bound exceeded).
	Error   string `json:"error,omitempty"`
	Problem string `json:"problem,omitempty"`
}

// Passed reports whether the check found nothing wrong.
func (c Check) Passed() bool { return c.Error == "" && c.Problem == "" }

// Options choose what runs.
type Options struct {
	// Variants are MILO's variants to check; nil: every one the device
	// runs (metric.Variants).
	Variants []metric.Variant
	// Weights are MILO's; nil: the built-in ones.
	Weights *metric.Weights
	// NoIEM leaves IEM out.
	NoIEM bool
	// Progress, where set, is called with each check as it ends.
	Progress func(Check)
}

// Run checks ctx's device. It returns an error only where it could not
// check (the weights, the CPU reference); a variant the device fails to run
// is a failed check.
func Run(ctx *vk.Context, opt Options) ([]Check, error) {
	if ctx == nil {
		return nil, fmt.Errorf("selftest: no Vulkan context")
	}
	w := opt.Weights
	if w == nil {
		var err error
		if w, err = metric.DefaultWeights(); err != nil {
			return nil, fmt.Errorf("selftest: %w", err)
		}
	}
	if w.Channels != 3 {
		return nil, fmt.Errorf("selftest: MILO weights for %d-channel inputs (latents); the checks take RGB weights", w.Channels)
	}
	vs := opt.Variants
	if vs == nil {
		vs = metric.Variants(ctx.Info().Features)
	}
	var checks []Check
	keep := func(c Check) {
		checks = append(checks, c)
		if opt.Progress != nil {
			opt.Progress(c)
		}
	}
	if err := checkMILO(ctx, w, vs, keep); err != nil {
		return checks, err
	}
	if !opt.NoIEM {
		if err := checkIEM(ctx, keep); err != nil {
			return checks, err
		}
	}
	return checks, nil
}

// sizeLabel names a check's input: WxH, with "xN" for a batch of N.
func sizeLabel(w, h, n int) string {
	if n > 1 {
		return fmt.Sprintf("%dx%d x%d", w, h, n)
	}
	return fmt.Sprintf("%dx%d", w, h)
}

// relErr is |got - want| relative to want, with a floor of 1e-6 under
// which values count as zero (an identical pair's score).
func relErr(got, want float64) float64 {
	if math.IsNaN(got) {
		return math.Inf(1)
	}
	return math.Abs(got-want) / math.Max(math.Abs(want), 1e-6)
}

// mapErr is the largest absolute difference and the share of values over tol.
func mapErr(got, want []float32, tol float64) (worst, over float64) {
	if len(got) != len(want) {
		return math.Inf(1), 1
	}
	n := 0
	for i := range want {
		d := math.Abs(float64(got[i]) - float64(want[i]))
		if math.IsNaN(d) {
			d = math.Inf(1)
		}
		worst = math.Max(worst, d)
		if d > tol {
			n++
		}
	}
	return worst, float64(n) / float64(max(len(want), 1))
}

// judge fills in Problem from the errors and bounds.
func (c *Check) judge() {
	switch {
	case c.Error != "" || c.Problem != "":
	case !(c.ScalarErr <= c.ScalarTol):
		c.Problem = fmt.Sprintf("scalars off by %.3g relative (bound %.0g)", c.ScalarErr, c.ScalarTol)
	case c.MapTol > 0 && !(c.MapErr <= c.MapMax):
		c.Problem = fmt.Sprintf("maps off by %.3g (bound %.0g)", c.MapErr, c.MapMax)
	case c.MapTol > 0 && c.MapOver > c.MapShare:
		c.Problem = fmt.Sprintf("%.2g%% of the map pixels off by more than %.0g (bound %.2g%%)", 100*c.MapOver, c.MapTol, 100*c.MapShare)
	}
}
