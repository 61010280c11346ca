package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"os"

	"github.com/vkpercept/vkpercept/metric"
)

// IEMScoreTol bounds IEM's relative error on Vulkan against the CPU
// backend: the device sums in float32 what the CPU sums in float64.
const IEMScoreTol = 1e-3

// runIEMChild times IEM (default denoiser and grid) on one backend.
func runIEMChild(backend, refPath, distPath string, steps int, t timing) error {
	ref, dist, ctx, dev, err := childSetup(backend, refPath, distPath, "Go CPU float64")
	if err != nil {
		return err
	}
	if ctx != nil {
		defer ctx.Close()
	}
	m := metric.NewIEM(metric.Denoisers()[metric.DefaultDenoiser], ctx)
	a, b := metric.Signed(ref), metric.Signed(dist)
	opt := metric.IEMOptions{Steps: steps, SigmaMin: 1, SigmaMax: 1000, Seed: 42}
	if _, err := m.Evaluate(a, b, metric.IEMOptions{Steps: 2, SigmaMin: 1, SigmaMax: 1000}); err != nil {
		return err // warm-up: pipelines and pool
	}
	var tr *metric.Trajectory
	ms, runs, err := medianMs(t, func() (err error) {
		tr, err = m.Evaluate(a, b, opt)
		return err
	})
	if err != nil {
		return err
	}
	// One more, profiled, for the denoiser's share (timestamps cost a little).
	opt.Profile = true
	prof, err := m.Evaluate(a, b, opt)
	if err != nil {
		return err
	}
	r := result{Metric: "iem", Backend: backend, Device: dev, Width: ref.W, Height: ref.H, Ms: ms,
		Score: tr.Standard(), Repeat: runs, Steps: steps, DenoiserFr: prof.DenoiserNs / prof.TotalNs}
	if ctx != nil {
		st := ctx.Stats()
		r.DevicePeak, r.StagingPeak = st.DevicePeakBytes, st.PeakBytes-st.DevicePeakBytes
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

func runIEMAll(sizes string, steps int, t timing, spawnSelf func(...string) (result, error), rs *runs) error {
	return forEachPair(sizes, func(w, h int, refPath, distPath string) error {
		if !rs.due(fmt.Sprintf("iem %dx%d", w, h)) {
			return nil
		}
		var rows []result
		var cpuScore float64
		for _, backend := range []string{"cpu", "vulkan"} {
			fmt.Fprintf(os.Stderr, "vkbench: iem %s %dx%d ...\n", backend, w, h)
			r, err := spawnSelf(append([]string{"-child", "iem-" + backend, "-ref", refPath, "-dist", distPath,
				"-iem-steps", fmt.Sprint(steps)}, t.args()...)...)
			if err != nil {
				r = result{Metric: "iem", Backend: backend, Width: w, Height: h, Steps: steps, Err: err.Error()}
			}
			if backend == "cpu" {
				cpuScore = r.Score
			} else if r.Err == "" && math.Abs(r.Score-cpuScore) > IEMScoreTol*math.Abs(cpuScore) {
				r.Err = fmt.Sprintf("IEM %.6g disagrees with the CPU backend's %.6g", r.Score, cpuScore)
			}
			rows = append(rows, r)
		}
		return rs.add(rows...)
	})
}

func printIEMTable(all []result, steps int) {
	fmt.Printf("\nIEM, %d noise levels (sigma 1..1000, %s denoiser), both images of a pair:\n\n", steps, metric.DefaultDenoiser)
	printRows(all, "cpu", "CPU backend", "IEM", func(r result) (string, string) {
		return "denoiser share", fmt.Sprintf("%.0f%%", 100*r.DenoiserFr)
	})
}
