package bench

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
	GBs        float64 `json:"gb_per_s,omitempty"` // compulsory traffic over time
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
	flops, bytes := map[string]float64{}, map[string]float64{}
	var order []string
	for _, t := range ts {
		name := t.Label
		if i := strings.LastIndexByte(name, ' '); i > 0 && strings.Contains(name[i:], "x") {
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
		flops[name] += t.Flops
		bytes[name] += t.Bytes
	}
	out := make([]kernelTime, 0, len(order))
	for _, n := range order {
		k := byName[n]
		if k.Ms > 0 {
			k.GFLOPs, k.GBs = flops[n]/(k.Ms*1e6), bytes[n]/(k.Ms*1e6)
		}
		out = append(out, *k)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Ms > out[j].Ms })
	return out, nil
}

// peaks are published dense peaks of devices we have measured on: float32
// FMA and HBM bandwidth (NVIDIA's H100 and H200 datasheets).
var peaks = []struct {
	name       string
	fp32, gbps float64 // GFLOP/s, GB/s
}{
	{"H100 80GB HBM3", 66900, 3350},
	{"H100 PCIe", 51200, 2000},
	{"H200", 66900, 4800},
}

func peakOf(device string) (fp32, gbps float64) {
	for _, p := range peaks {
		if strings.Contains(device, p.name) {
			return p.fp32, p.gbps
		}
	}
	return 0, 0
}

// printKernels prints the per-kernel table of each Vulkan variant's largest
// profiled size.
func printKernels(all []result) {
	largest := map[string]result{}
	var order []string
	for _, r := range all {
		if len(r.Kernels) == 0 {
			continue
		}
		old, ok := largest[r.Precision]
		if !ok {
			order = append(order, r.Precision)
		}
		if !ok || r.Width*r.Height > old.Width*old.Height {
			largest[r.Precision] = r
		}
	}
	for _, v := range order {
		r := largest[v]
		fp32, gbps := peakOf(r.Device)
		var total float64
		for _, k := range r.Kernels {
			total += k.Ms
		}
		fmt.Printf("\nMILO per kernel, %dx%d, %s on %s (timestamps, empty-dispatch overhead subtracted; all pyramid levels):\n\n", r.Width, r.Height, r.Precision, r.Device)
		fmt.Printf("| kernel | dispatches | ms | share | GFLOP/s | GB/s |\n|---|---:|---:|---:|---:|---:|\n")
		for _, k := range r.Kernels {
			g, b := "-", "-"
			if k.GFLOPs > 0 {
				g = fmt.Sprintf("%.1f", k.GFLOPs)
				if fp32 > 0 {
					g += fmt.Sprintf(" (%.0f%% of fp32 peak)", 100*k.GFLOPs/fp32)
				}
			}
			if k.GBs > 0 {
				b = fmt.Sprintf("%.1f", k.GBs)
				if gbps > 0 {
					b += fmt.Sprintf(" (%.0f%%)", 100*k.GBs/gbps)
				}
			}
			fmt.Printf("| %s | %d | %.2f | %.0f%% | %s | %s |\n", k.Name, k.Dispatches, k.Ms, 100*k.Ms/total, g, b)
		}
	}
}
