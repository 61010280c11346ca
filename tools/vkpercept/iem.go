package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/vkpercept/vkpercept/metric"
	"github.com/vkpercept/vkpercept/vk"
)

type iemReport struct {
	Ref      string  `json:"ref"`
	Dist     string  `json:"dist"`
	Width    int     `json:"width"`
	Height   int     `json:"height"`
	IEM      float64 `json:"iem"`
	Variant  string  `json:"variant"`
	Steps    int     `json:"steps"`
	SigmaMin float64 `json:"sigma_min"`
	SigmaMax float64 `json:"sigma_max"`
	Seed     uint64  `json:"seed"`
	Denoiser string  `json:"denoiser"`
	Backend  string  `json:"backend"`
	Device   string  `json:"device"`
	Ms       float64 `json:"ms"`
}

// denoisers are the built-in closed-form denoisers, by name.
func denoiserByName(name string) (metric.Denoiser, error) {
	d, ok := metric.Denoisers()[name]
	if !ok {
		var names []string
		for n := range metric.Denoisers() {
			names = append(names, n)
		}
		return nil, fmt.Errorf("%w: unknown denoiser %q (have %s)", errUsage, name, strings.Join(sortedStrings(names), ", "))
	}
	return d, nil
}

func cmdIEM(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("iem", flag.ContinueOnError)
	fs.SetOutput(stderr)
	den := fs.String("denoiser", metric.DefaultDenoiser, "built-in denoiser: "+strings.Join(sortedStrings(keys(metric.Denoisers())), ", "))
	weights := fs.String("weights", "", "a learned denoiser's weights (not supported yet)")
	steps := fs.Int("steps", 64, "noise levels integrated over")
	sigmaMin := fs.Float64("sigma-min", 1, "smallest noise std (images in [-1,1])")
	sigmaMax := fs.Float64("sigma-max", 1000, "largest noise std")
	variant := fs.String("variant", "standard", "standard or square_f")
	seed := fs.Uint64("seed", 42, "seed of the shared Brownian path")
	backend := fs.String("backend", "auto", "auto, vulkan or cpu")
	device := fs.Int("device", -1, "Vulkan device index; default automatic")
	budget := fs.Int64("memory-budget", 0, "device bytes for one batch of noise levels (0: 256 MiB)")
	asJSON := fs.Bool("json", false, "print one JSON object (with --pairs, one a pair)")
	pairsFile := fs.String("pairs", "", "integrate the pairs listed in `FILE` instead of REF DIST: one 'REF DIST' a line (as for milo --pairs), a result line (or JSON object) a pair")
	batch := fs.Int("batch", 4, "with --pairs: consecutive pairs of one size integrated in one submission, on one noise path")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: vkpercept iem [flags] REF DIST\n       vkpercept iem [flags] --pairs FILE")
		fs.PrintDefaults()
	}
	pos, err := parseAll(fs, args)
	if err != nil {
		return err
	}
	switch {
	case *pairsFile == "" && len(pos) != 2:
		return fmt.Errorf("%w: iem takes REF DIST or --pairs FILE (got %d arguments)", errUsage, len(pos))
	case *pairsFile != "" && len(pos) != 0:
		return fmt.Errorf("%w: --pairs takes its pairs from the file, not REF DIST", errUsage)
	case *batch < 1:
		return fmt.Errorf("%w: --batch must be at least 1, not %d", errUsage, *batch)
	}
	if *variant != "standard" && *variant != "square_f" {
		return fmt.Errorf("%w: --variant must be standard or square_f, not %q", errUsage, *variant)
	}
	if *backend != "auto" && *backend != "vulkan" && *backend != "cpu" {
		return fmt.Errorf("%w: --backend must be auto, vulkan or cpu, not %q", errUsage, *backend)
	}
	if *weights != "" {
		return fmt.Errorf("--weights: learned denoisers are not supported yet; use --denoiser (%s)", strings.Join(sortedStrings(keys(metric.Denoisers())), ", "))
	}
	d, err := denoiserByName(*den)
	if err != nil {
		return err
	}
	// A list is read whole, and a single pair decoded, before any device is opened.
	var pairs []listedPair
	var one loadedPair
	if *pairsFile != "" {
		if pairs, err = readPairs(*pairsFile); err != nil {
			return err
		}
	} else {
		one.p = listedPair{ref: pos[0], dist: pos[1]}
		if one.ref, one.dist, err = decodePair(pos[0], pos[1], false, 0); err != nil {
			return err
		}
	}
	ctx, devName, err := openBackend(*backend, *device, stderr)
	if err != nil {
		return err
	}
	if ctx != nil {
		defer ctx.Close()
	}
	m := metric.NewIEM(d, ctx)
	opt := metric.IEMOptions{Steps: *steps, SigmaMin: *sigmaMin, SigmaMax: *sigmaMax, Seed: *seed, MemoryBudget: *budget}
	var sum iemSummary
	score := func(group []loadedPair) error {
		x1s, x2s := make([]metric.Tensor64, len(group)), make([]metric.Tensor64, len(group))
		for k, l := range group {
			x1s[k], x2s[k] = metric.Signed(l.ref), metric.Signed(l.dist)
		}
		start := time.Now()
		trs, err := m.EvaluateBatch(x1s, x2s, opt)
		if err != nil {
			return inList(group[0].p, err)
		}
		ms := float64(time.Since(start).Microseconds()) / 1000 / float64(len(group))
		for k, tr := range trs {
			v := tr.Standard()
			if *variant == "square_f" {
				v = tr.SquareF()
			}
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return inList(group[k].p, fmt.Errorf("iem: the integral is not finite (%g); check --sigma-min", v))
			}
			l := group[k]
			rep := iemReport{Ref: l.p.ref, Dist: l.p.dist, Width: l.ref.W, Height: l.ref.H, IEM: v, Variant: *variant, Steps: *steps,
				SigmaMin: *sigmaMin, SigmaMax: *sigmaMax, Seed: *seed, Denoiser: d.Name(), Backend: m.Backend(), Device: devName, Ms: ms}
			sum.add(rep.IEM, rep.Dist+" vs "+rep.Ref)
			if *asJSON {
				if err := json.NewEncoder(stdout).Encode(rep); err != nil {
					return err
				}
				continue
			}
			fmt.Fprintf(stdout, "IEM (%s, %s denoiser, %d steps, sigma %g..%g) %s vs %s (%dx%d): %.6g  [%s on %s, %.1f ms]\n",
				*variant, d.Name(), *steps, *sigmaMin, *sigmaMax, rep.Dist, rep.Ref, rep.Width, rep.Height, v, rep.Backend, devName, ms)
		}
		return nil
	}
	if pairs == nil {
		return score([]loadedPair{one})
	}
	load := func(p listedPair) (metric.Image, metric.Image, error) { return decodePair(p.ref, p.dist, false, 0) }
	if err := inBatches(pairs, *batch, load, score); err != nil {
		return err
	}
	if !*asJSON {
		fmt.Fprintf(stdout, "IEM %d pairs: mean %.6g  highest %.6g (%s)\n", sum.n, sum.total/float64(sum.n), sum.top, sum.topName)
	}
	return nil
}

// inList names a listed pair's line in its error (a single pair's has none).
func inList(p listedPair, err error) error {
	if p.where == "" {
		return err
	}
	return fmt.Errorf("%s: %w", p.where, err)
}

// iemSummary gathers a list's values for the closing line: their mean and
// the pair of the largest.
type iemSummary struct {
	n          int
	total, top float64
	topName    string
}

func (s *iemSummary) add(v float64, name string) {
	if s.n == 0 || v > s.top {
		s.top, s.topName = v, name
	}
	s.n++
	s.total += v
}

// openBackend opens the Vulkan context for auto or vulkan; auto falls back to
// the CPU (nil context) and says so on stderr.
func openBackend(backend string, device int, stderr io.Writer) (*vk.Context, string, error) {
	if backend == "cpu" {
		return nil, "cpu", nil
	}
	ctx, err := vk.Open(vk.Options{Device: device})
	switch {
	case err != nil && backend == "vulkan":
		return nil, "", err
	case err != nil:
		fmt.Fprintf(stderr, "vkpercept: Vulkan unavailable (%v); using the CPU backend\n", err)
		return nil, "cpu", nil
	}
	return ctx, ctx.Info().Name, nil
}

func keys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	return out
}

func sortedStrings(s []string) []string {
	sort.Strings(s)
	return s
}
