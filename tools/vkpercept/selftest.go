package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vkpercept/vkpercept/metric"
	"github.com/vkpercept/vkpercept/selftest"
	"github.com/vkpercept/vkpercept/vk"
)

// errChecks marks a self-test that found a wrong result: exit status 3, as
// for a failed quality gate, so that a script tells it from a run that broke.
var errChecks = errors.New("self-test failed")

func cmdSelftest(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("selftest", flag.ContinueOnError)
	fs.SetOutput(stderr)
	variants := fs.String("variants", "", "comma-separated MILO variants: precisions, each optionally with +fused (e.g. fp16,fp32+fused); default every one the device runs")
	device := fs.Int("device", -1, "Vulkan device index (see vkpercept devices); default automatic")
	weights := fs.String("weights", "", "MILO checkpoint (RGB, .pth or .safetensors); default $VKPERCEPT_MILO_WEIGHTS, else the built-in weights")
	noIEM := fs.Bool("no-iem", false, "leave IEM out")
	jsonOut := fs.Bool("json", false, "print one JSON object: the device and every check")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: vkpercept selftest [flags]

Checks that a Vulkan device computes the metrics right: every MILO variant
against the pure-Go CPU backend on rendered pairs of odd sizes (a whole
pass, row bands, a batch, a session's RGBA8 frames; scores, loss, MOS and
both maps), and IEM with the Wiener denoiser (vector and scalar kernel
forms, levels in several batches, a batch of pairs). Bounds: fp32 1e-4
relative on the scalars and 1e-4 on the maps (0.1% of the pixels may reach
2e-3, as in the golden tests); binary16 variants 5e-3 and 1e-2 (1% may
reach 0.1); IEM 1e-3. Exit status: 0 every check passed, 1 error, 2 bad
usage, 3 a check failed (a wrong result, or a variant the device could not
run) or, under VKPERCEPT_VALIDATION=1, the validation layer said anything.

`)
		fs.PrintDefaults()
	}
	if _, err := parse(fs, args, 0, "no arguments"); err != nil {
		return err
	}
	var opt selftest.Options
	if *variants != "" {
		var err error
		if opt.Variants, err = metric.ParseVariants(*variants); err != nil {
			return fmt.Errorf("%w: --variants: %v", errUsage, err)
		}
	}
	if wpath := miloWeightsPath(*weights); wpath != "" {
		var err error
		if opt.Weights, err = metric.LoadWeights(wpath); err != nil {
			return err
		}
	}
	opt.NoIEM = *noIEM
	ctx, err := vk.Open(vk.Options{Device: *device})
	if err != nil {
		return err
	}
	defer ctx.Close()
	name := ctx.Info().Name
	if !*jsonOut {
		// The table starts with its first row, so that a run refused
		// before any check (latent weights) prints nothing.
		header := false
		opt.Progress = func(c selftest.Check) {
			if !header {
				fmt.Fprintf(stdout, "self-test on %s, against the CPU backend\n\n", name)
				fmt.Fprintln(stdout, "| metric | variant | path | size | scalars, rel. error | maps, abs. error | ms | result |")
				fmt.Fprintln(stdout, "|---|---|---|---|---:|---:|---:|---|")
				header = true
			}
			printCheck(stdout, c)
		}
	}
	checks, err := selftest.Run(ctx, opt)
	if err != nil {
		return err
	}
	failed := 0
	for _, c := range checks {
		if !c.Passed() {
			failed++
		}
	}
	if *jsonOut {
		if err := json.NewEncoder(stdout).Encode(map[string]any{"device": name, "checks": checks, "failed": failed}); err != nil {
			return err
		}
	} else {
		fmt.Fprintln(stdout)
	}
	if failed > 0 {
		return fmt.Errorf("%w: %d of %d checks on %s", errChecks, failed, len(checks), name)
	}
	// Under VKPERCEPT_VALIDATION=1 anything the layer says fails the test.
	if msgs := ctx.ValidationMessages(); len(msgs) > 0 {
		return fmt.Errorf("%w: the validation layer reported %d messages:\n  %s", errChecks, len(msgs), strings.Join(msgs, "\n  "))
	}
	if !*jsonOut {
		fmt.Fprintf(stdout, "all %d checks passed on %s\n", len(checks), name)
	}
	return nil
}

func printCheck(out io.Writer, c selftest.Check) {
	scalars, maps, result := fmt.Sprintf("%.2g", c.ScalarErr), "-", "ok"
	if c.MapTol > 0 {
		maps = fmt.Sprintf("%.2g", c.MapErr)
	}
	switch {
	case c.Error != "":
		scalars, maps, result = "-", "-", "ERROR: "+c.Error
	case c.Problem != "":
		result = "FAILED: " + c.Problem
	}
	fmt.Fprintf(out, "| %s | %s | %s | %s | %s | %s | %.0f | %s |\n", c.Metric, c.Variant, c.Path, c.Size, scalars, maps, c.Ms, result)
}
