package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vkpercept/vkpercept/metric"
	"github.com/vkpercept/vkpercept/vk"
)

// kernelsVariant is one way of running MILO whose pipelines the command builds.
type kernelsVariant struct {
	Variant metric.Variant        `json:"variant"` // in its text form
	Kernels []vk.KernelStatistics `json:"kernels"`
}

// cmdKernels builds the pipelines MILO passes use and prints what the
// device's compiler reports of each: nothing needs to run, so it works on
// a device that runs nothing (Mesa's no-op DRM shims: make test-gpu-compile).
func cmdKernels(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("kernels", flag.ContinueOnError)
	fs.SetOutput(stderr)
	variants := fs.String("variants", "", "comma-separated precisions, each optionally with +fused (e.g. fp16,fp32+fused); default every one the device runs, fp32 and fp16 fused too")
	sizes := fs.String("size", "1920x1080", "comma-separated frame sizes WxH the passes are planned for (the budget bands larger frames)")
	budget := fs.Int("budget-mb", int(metric.DefaultBudget>>20), "device memory a pass plans for, in MiB (0: no limit)")
	device := fs.Int("device", -1, "Vulkan device index (see vkpercept devices)")
	jsonOut := fs.Bool("json", false, "print the statistics as JSON")
	noSpills := fs.Bool("no-spills", false, "fail if a kernel spills registers or uses scratch memory (a statistic named for spills or scratch above 0)")
	fs.Usage = func() {
		fmt.Fprint(stderr, `usage: vkpercept kernels [flags]

Builds the compute pipelines of MILO passes at the given sizes in each
variant, without running them, and prints what the device's compiler
reports of each (VK_KHR_pipeline_executable_properties: registers, spills,
scratch and shared memory, occupancy, instructions, under the driver's own
names). Devices without that extension get the list of pipelines built.

`)
		fs.PrintDefaults()
	}
	if _, err := parse(fs, args, 0, "no arguments"); err != nil {
		return err
	}
	dims, err := parseSizes(*sizes)
	if err != nil {
		return err
	}
	if *budget < 0 {
		return fmt.Errorf("%w: --budget-mb must be 0 or more", errUsage)
	}
	w, err := metric.DefaultWeights()
	if err != nil {
		return err
	}
	// The device's features decide the default variants: one context to ask.
	info, err := deviceInfo(*device)
	if err != nil {
		return err
	}
	vs, err := kernelVariants(*variants, info.Features)
	if err != nil {
		return err
	}
	for i := range vs {
		if vs[i].Kernels, err = buildVariant(w, *device, vs[i], dims, int64(*budget)<<20); err != nil {
			return fmt.Errorf("%s: %w", vs[i].Variant, err)
		}
	}
	if *jsonOut {
		if err := json.NewEncoder(stdout).Encode(map[string]any{"device": info.Name, "variants": vs}); err != nil {
			return err
		}
	} else {
		printKernels(stdout, info.Name, vs)
		if !info.Features.PipelineStatistics {
			fmt.Fprintf(stderr, "vkpercept: %s reports no compiler statistics (VK_KHR_pipeline_executable_properties); every pipeline above was built\n", info.Name)
		}
	}
	if *noSpills {
		return checkSpills(vs)
	}
	return nil
}

// deviceInfo describes the device a context on index would open, with the
// features such a context enables.
func deviceInfo(index int) (vk.DeviceInfo, error) {
	ctx, err := vk.Open(vk.Options{Device: index, Statistics: true})
	if err != nil {
		return vk.DeviceInfo{}, err
	}
	defer ctx.Close()
	return ctx.Info(), nil
}

// kernelVariants parses the variant list, or picks every one f runs.
func kernelVariants(list string, f vk.Features) ([]kernelsVariant, error) {
	vs := metric.Variants(f)
	if list != "" {
		var err error
		if vs, err = metric.ParseVariants(list); err != nil {
			return nil, fmt.Errorf("%w: --variants: %v", errUsage, err)
		}
	}
	out := make([]kernelsVariant, len(vs))
	for i, v := range vs {
		out[i].Variant = v
	}
	return out, nil
}

// buildVariant records one session per size in a context of its own (so
// that the kernels listed are the variant's) and returns the statistics.
func buildVariant(w *metric.Weights, device int, v kernelsVariant, dims [][2]int, budget int64) ([]vk.KernelStatistics, error) {
	ctx, err := vk.Open(vk.Options{Device: device, Statistics: true})
	if err != nil {
		return nil, err
	}
	defer ctx.Close()
	m, err := metric.NewMILO(w, ctx)
	if err != nil {
		return nil, err
	}
	defer m.Close()
	v.Variant.Apply(m)
	m.Budget = budget
	m.Quantiles = true // the map's histogram (map_hist) is built too
	// The split first layer is the tile kernel's hardest form: build it
	// without the probe, which would need the device to compute.
	exact := true
	m.TilesExact = &exact
	for _, d := range dims {
		s, err := m.NewSession(d[1], d[0], false)
		if err != nil {
			return nil, fmt.Errorf("%dx%d: %w", d[0], d[1], err)
		}
		s.Close()
	}
	// Under VKPERCEPT_VALIDATION=1 what the layer says of the pipelines
	// fails the variant: a check against a real GPU's limits.
	if msgs := ctx.ValidationMessages(); len(msgs) > 0 {
		return nil, fmt.Errorf("the validation layer reported %d messages:\n  %s", len(msgs), strings.Join(msgs, "\n  "))
	}
	return ctx.KernelStatistics()
}

// parseSizes reads "WxH[,WxH...]".
func parseSizes(s string) ([][2]int, error) {
	var out [][2]int
	for _, f := range strings.Split(s, ",") {
		var w, h int
		if _, err := fmt.Sscanf(strings.TrimSpace(f), "%dx%d", &w, &h); err != nil || w < 1 || h < 1 {
			return nil, fmt.Errorf("%w: --size %q: want WxH", errUsage, f)
		}
		out = append(out, [2]int{w, h})
	}
	return out, nil
}

// statColumns are the statistic names of every kernel in first-seen order,
// less hashes.
func statColumns(vs []kernelsVariant) []string {
	var cols []string
	seen := map[string]bool{}
	for _, v := range vs {
		for _, k := range v.Kernels {
			for _, e := range k.Executables {
				for _, s := range e.Statistics {
					if !seen[s.Name] && !strings.Contains(strings.ToLower(s.Name), "hash") {
						seen[s.Name] = true
						cols = append(cols, s.Name)
					}
				}
			}
		}
	}
	return cols
}

// printKernels writes a markdown table: a row per variant and kernel.
func printKernels(out io.Writer, device string, vs []kernelsVariant) {
	cols := statColumns(vs)
	fmt.Fprintf(out, "Pipelines of MILO passes on %s, as its compiler reports them:\n\n", device)
	fmt.Fprintf(out, "| variant | kernel | specialization | subgroup |")
	for _, c := range cols {
		fmt.Fprintf(out, " %s |", c)
	}
	fmt.Fprintf(out, "\n|---|---|---|---:|%s\n", strings.Repeat("---:|", len(cols)))
	for _, v := range vs {
		for _, k := range v.Kernels {
			spec := strings.Trim(fmt.Sprint(k.Spec), "[]")
			if len(k.Executables) == 0 {
				fmt.Fprintf(out, "| %s | %s | %s | - |%s\n", v.Variant, k.Shader, spec, strings.Repeat(" - |", len(cols)))
				continue
			}
			for _, e := range k.Executables {
				vals := map[string]float64{}
				for _, s := range e.Statistics {
					vals[s.Name] = s.Value
				}
				fmt.Fprintf(out, "| %s | %s | %s | %d |", v.Variant, k.Shader, spec, e.SubgroupSize)
				for _, c := range cols {
					if x, ok := vals[c]; ok {
						fmt.Fprintf(out, " %g |", x)
					} else {
						fmt.Fprint(out, " - |")
					}
				}
				fmt.Fprintln(out)
			}
		}
	}
}

// checkSpills fails on any statistic named for spills or scratch memory
// above 0: on a GPU each spilled register is a trip to memory.
func checkSpills(vs []kernelsVariant) error {
	var bad []string
	for _, v := range vs {
		for _, k := range v.Kernels {
			for _, e := range k.Executables {
				for _, s := range e.Statistics {
					n := strings.ToLower(s.Name)
					if (strings.Contains(n, "spill") || strings.Contains(n, "scratch")) && s.Value > 0 {
						bad = append(bad, fmt.Sprintf("%s %s %v: %s %g", v.Variant, k.Shader, k.Spec, s.Name, s.Value))
					}
				}
			}
		}
	}
	if len(bad) > 0 {
		return fmt.Errorf("%d kernels spill registers or use scratch memory:\n  %s", len(bad), strings.Join(bad, "\n  "))
	}
	return nil
}
