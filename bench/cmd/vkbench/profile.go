package main

import (
	"fmt"
	"sort"
	"strings"

	"github.com/vkpercept/vkpercept/kernels"
	"github.com/vkpercept/vkpercept/metric"
	"github.com/vkpercept/vkpercept/vk"
)

// kernelTime is one kernel family's share of a profiled MILO pass.
type kernelTime struct {
	Name       string  `json:"name"`
	Dispatches int     `json:"dispatches"`
	Ms         float64 `json:"ms"` // timestamps, empty-dispatch overhead subtracted
	GFLOPs     float64 `json:"gflop_per_s,omitempty"`
}

// profileMILO times every dispatch of one pass with timestamps, subtracts the
// empty-dispatch baseline, and sums by kernel family (conv layers by their
// channel counts, over all pyramid levels).
func profileMILO(m *metric.MILO, ctx *vk.Context, ref, dist metric.Image) ([]kernelTime, error) {
	base, err := kernels.DispatchOverhead(kernels.GPU{Ctx: ctx}, 64)
	if err != nil {
		return nil, err
	}
	ts, err := m.Profile(ref, dist)
	if err != nil {
		return nil, err
	}
	byName := map[string]*kernelTime{}
	flops := map[string]float64{}
	var order []string
	for _, t := range ts {
		name, f := t.Label, 0.0
		var cin, cout, w, h int
		if n, _ := fmt.Sscanf(t.Label, "conv3x3 %d->%d %dx%d", &cin, &cout, &w, &h); n == 4 {
			name, f = fmt.Sprintf("conv3x3 %d->%d", cin, cout), 2*9*float64(cin*cout*w*h)
		} else if i := strings.LastIndexByte(name, ' '); i > 0 && strings.Contains(name[i:], "x") {
			name = name[:i] // drop the size: one row per op over all levels
		}
		k := byName[name]
		if k == nil {
			k = &kernelTime{Name: name}
			byName[name] = k
			order = append(order, name)
		}
		k.Dispatches++
		k.Ms += max(t.Ns-base, 0) / 1e6
		flops[name] += f
	}
	out := make([]kernelTime, 0, len(order))
	for _, n := range order {
		k := byName[n]
		if flops[n] > 0 && k.Ms > 0 {
			k.GFLOPs = flops[n] / (k.Ms * 1e6)
		}
		out = append(out, *k)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Ms > out[j].Ms })
	return out, nil
}

// printKernels prints the per-kernel table of every profiled Vulkan MILO row.
func printKernels(all []result) {
	for _, r := range all {
		if len(r.Kernels) == 0 {
			continue
		}
		var total float64
		for _, k := range r.Kernels {
			total += k.Ms
		}
		fmt.Printf("\nMILO per kernel, %dx%d on %s (timestamps, empty-dispatch overhead subtracted; all pyramid levels):\n\n", r.Width, r.Height, r.Device)
		fmt.Printf("| kernel | dispatches | ms | share | GFLOP/s |\n|---|---:|---:|---:|---:|\n")
		for _, k := range r.Kernels {
			g := "-"
			if k.GFLOPs > 0 {
				g = fmt.Sprintf("%.0f", k.GFLOPs)
			}
			fmt.Printf("| %s | %d | %.2f | %.0f%% | %s |\n", k.Name, k.Dispatches, k.Ms, 100*k.Ms/total, g)
		}
	}
}
