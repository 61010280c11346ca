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
	Arith      string  `json:"arith,omitempty"`    // what its arithmetic runs on (vk.Arith)
	// The work summed in the child; the JSON keeps it as the rates.
	flops, bytes float64
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
		k.flops += t.Flops
		k.bytes += t.Bytes
		if t.Flops > 0 {
			k.Arith = t.Arith.String()
		}
	}
	out := make([]kernelTime, 0, len(order))
	for _, n := range order {
		k := byName[n]
		if k.Ms > 0 {
			k.GFLOPs, k.GBs = k.flops/(k.Ms*1e6), k.bytes/(k.Ms*1e6)
		}
		out = append(out, *k)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].Ms > out[j].Ms })
	return out, nil
}

// peak is a device's published dense peaks: GFLOP/s of float32 FMA,
// binary16 vector arithmetic and binary16 matrix-tile products with fp32
// sums (tensor cores), and memory GB/s.
type peak struct{ fp32, fp16, tiles, gbps float64 }

// of is the peak of the arithmetic a kernel declared (a vk.Arith's name).
func (p peak) of(arith string) float64 {
	switch arith {
	case vk.ArithFP16.String():
		return p.fp16
	case vk.ArithTiles.String():
		return p.tiles
	}
	return p.fp32
}

// peaks are published dense figures (tensor figures without sparsity):
// the H100 and H200 we measure on (NVIDIA's datasheets, and the Hopper
// whitepaper for binary16 vector arithmetic at twice the float32 rate),
// and common GPUs others run on: A100 (its whitepaper: binary16 vector
// arithmetic at 4x float32), Ada's L40S, L40, L4 and RTX 4090 (binary16
// vector at the float32 rate; the GeForce's tensor cores at half rate
// with fp32 sums, which our tiles use), and AMD's RX 7900 XTX (float32
// counting dual issue; its WMMA tiles at the packed binary16 rate). Names
// are as the drivers report them; the first a device's name contains wins,
// so longer names come first (the NVL cards before the H200, L40S and L40
// before L4).
var peaks = []struct {
	name string
	peak
}{
	{"H100 80GB HBM3", peak{66900, 133800, 989400, 3350}}, // SXM5
	{"H100 PCIe", peak{51200, 102400, 756500, 2000}},
	{"H100 NVL", peak{60000, 120000, 835500, 3900}},
	{"H200 NVL", peak{60000, 120000, 835500, 4800}},
	{"H200", peak{66900, 133800, 989400, 4800}}, // SXM
	{"A100-SXM4-80GB", peak{19500, 78000, 312000, 2039}},
	{"A100-SXM4-40GB", peak{19500, 78000, 312000, 1555}},
	{"A100 80GB PCIe", peak{19500, 78000, 312000, 1935}},
	{"A100-PCIE-40GB", peak{19500, 78000, 312000, 1555}},
	{"L40S", peak{91600, 91600, 362000, 864}},
	{"L40", peak{90500, 90500, 181000, 864}},
	{"NVIDIA L4", peak{30300, 30300, 121000, 300}},
	{"RTX 4090", peak{82600, 82600, 165200, 1008}},
	{"RX 7900 XTX", peak{61400, 122800, 122800, 960}},
}

func peakOf(device string) peak {
	for _, p := range peaks {
		if strings.Contains(device, p.name) {
			return p.peak
		}
	}
	return peak{}
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
		pk := peakOf(r.Device)
		fmt.Printf("\nMILO per kernel, %dx%d, %s on %s (timestamps, empty-dispatch overhead subtracted; all pyramid levels):\n\n", r.Width, r.Height, r.Precision, r.Device)
		fmt.Printf("| kernel | dispatches | ms | share | GFLOP/s | GB/s |\n|---|---:|---:|---:|---:|---:|\n")
		var dispatches int
		var total, flops, bytes float64
		ariths := map[string]bool{}
		for _, k := range r.Kernels {
			total += k.Ms
		}
		for _, k := range r.Kernels {
			fmt.Printf("| %s | %d | %.2f | %.0f%% | %s | %s |\n", k.Name, k.Dispatches, k.Ms, 100*k.Ms/total, rate(k.GFLOPs, pk.of(k.Arith), k.Arith), rate(k.GBs, pk.gbps, ""))
			dispatches += k.Dispatches
			// Rates times time: what the JSON keeps of the work.
			flops += k.GFLOPs * k.Ms * 1e6
			bytes += k.GBs * k.Ms * 1e6
			if k.GFLOPs > 0 {
				ariths[k.Arith] = true
			}
		}
		if total > 0 {
			// Against one peak only where every kernel's work ran on the same arithmetic.
			arith, p := "", 0.0
			if len(ariths) == 1 {
				for a := range ariths {
					arith, p = a, pk.of(a)
				}
			}
			fmt.Printf("| all kernels | %d | %.2f | 100%% | %s | %s |\n", dispatches, total, rate(flops/(total*1e6), p, arith), rate(bytes/(total*1e6), pk.gbps, ""))
		}
	}
}

// rate formats an achieved rate with its fraction of peak (of what, where
// arith names it), or "-" where there is none.
func rate(v, peak float64, arith string) string {
	if v <= 0 {
		return "-"
	}
	s := fmt.Sprintf("%.1f", v)
	switch {
	case peak <= 0:
	case arith == vk.ArithTiles.String():
		s += fmt.Sprintf(" (%.1f%% of tensor peak)", 100*v/peak)
	case arith != "":
		s += fmt.Sprintf(" (%.1f%% of %s peak)", 100*v/peak, arith)
	default:
		s += fmt.Sprintf(" (%.0f%%)", 100*v/peak)
	}
	return s
}
