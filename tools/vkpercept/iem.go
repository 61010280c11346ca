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
	asJSON := fs.Bool("json", false, "print one JSON object")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: vkpercept iem [flags] REF DIST")
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args, 2, "REF DIST")
	if err != nil {
		return err
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
	ref, err := metric.LoadImage(pos[0])
	if err != nil {
		return err
	}
	dist, err := metric.LoadImage(pos[1])
	if err != nil {
		return err
	}
	if ref.H != dist.H || ref.W != dist.W {
		return fmt.Errorf("size mismatch: %s is %dx%d, %s is %dx%d", pos[0], ref.W, ref.H, pos[1], dist.W, dist.H)
	}
	ctx, devName, err := openBackend(*backend, *device, stderr)
	if err != nil {
		return err
	}
	if ctx != nil {
		defer ctx.Close()
	}
	m := metric.NewIEM(d, ctx)
	start := time.Now()
	tr, err := m.Evaluate(metric.Signed(ref), metric.Signed(dist), metric.IEMOptions{
		Steps: *steps, SigmaMin: *sigmaMin, SigmaMax: *sigmaMax, Seed: *seed, MemoryBudget: *budget})
	if err != nil {
		return err
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	v := tr.Standard()
	if *variant == "square_f" {
		v = tr.SquareF()
	}
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return fmt.Errorf("iem: the integral is not finite (%g); check --sigma-min", v)
	}
	rep := iemReport{Ref: pos[0], Dist: pos[1], Width: ref.W, Height: ref.H, IEM: v, Variant: *variant, Steps: *steps,
		SigmaMin: *sigmaMin, SigmaMax: *sigmaMax, Seed: *seed, Denoiser: d.Name(), Backend: m.Backend(), Device: devName, Ms: ms}
	if *asJSON {
		return json.NewEncoder(stdout).Encode(rep)
	}
	fmt.Fprintf(stdout, "IEM (%s, %s denoiser, %d steps, sigma %g..%g) %s vs %s (%dx%d): %.6g  [%s on %s, %.1f ms]\n",
		*variant, d.Name(), *steps, *sigmaMin, *sigmaMax, pos[1], pos[0], ref.W, ref.H, v, rep.Backend, devName, ms)
	return nil
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
