package bench

import (
	"math"
	"strings"
	"testing"

	"github.com/vkpercept/vkpercept/internal/vktest"
	"github.com/vkpercept/vkpercept/metric"
	"github.com/vkpercept/vkpercept/vk"
)

var testCtx *vk.Context

func TestMain(m *testing.M) {
	vktest.Main(m, func(c *vk.Context) { testCtx = c })
}

func TestPeakOf(t *testing.T) {
	for _, c := range []struct {
		device string
		want   peak
	}{
		{"NVIDIA H100 80GB HBM3", peak{66900, 133800, 989400, 3350}},
		{"NVIDIA H200", peak{66900, 133800, 989400, 4800}},
		{"NVIDIA H200 NVL", peak{60000, 120000, 835500, 4800}}, // not the SXM's
		{"NVIDIA A100-SXM4-80GB", peak{19500, 78000, 312000, 2039}},
		{"NVIDIA L40S", peak{91600, 91600, 362000, 864}},
		{"NVIDIA L40", peak{90500, 90500, 181000, 864}}, // not the L40S's or the L4's
		{"NVIDIA L4", peak{30300, 30300, 121000, 300}},
		{"NVIDIA GeForce RTX 4090", peak{82600, 82600, 165200, 1008}},
		{"AMD Radeon RX 7900 XTX (RADV NAVI31)", peak{61400, 122800, 122800, 960}},
		{"NVIDIA GeForce RTX 4080", peak{}},
		{"llvmpipe (LLVM 15.0.6, 256 bits)", peak{}},
	} {
		if got := peakOf(c.device); got != c.want {
			t.Errorf("peakOf(%q) = %+v, want %+v", c.device, got, c.want)
		}
	}
	p := peakOf("NVIDIA H200")
	if p.of("tiles") != 989400 || p.of("fp16") != 133800 || p.of("fp32") != 66900 || p.of("") != 66900 {
		t.Errorf("peak.of picks the wrong figure: %v %v %v", p.of("tiles"), p.of("fp16"), p.of("fp32"))
	}
}

func TestRate(t *testing.T) {
	for _, c := range []struct {
		v, peak float64
		arith   string
		want    string
	}{
		{0, 1000, "fp32", "-"},
		{12.34, 0, "fp32", "12.3"},
		{247350, 989400, "tiles", "247350.0 (25.0% of tensor peak)"},
		{6690, 66900, "fp32", "6690.0 (10.0% of fp32 peak)"},
		{1675, 3350, "", "1675.0 (50%)"},
	} {
		if got := rate(c.v, c.peak, c.arith); got != c.want {
			t.Errorf("rate(%v, %v, %q) = %q, want %q", c.v, c.peak, c.arith, got, c.want)
		}
	}
}

// A profiled pass names each kernel family's arithmetic, and its
// convolutions declare exactly the mask network's work (one band at this
// size): the figures the per-kernel table divides by peaks.
func TestProfileArith(t *testing.T) {
	w, err := metric.DefaultWeights()
	if err != nil {
		t.Fatal(err)
	}
	r, d := Pair(61, 37)
	ref, dist := metric.FromImage(r), metric.FromImage(d)
	variants := []struct {
		prec metric.Precision
		want map[string]string // kernel family: arith
	}{
		{metric.FP32, map[string]string{"conv3x3 7->32": "fp32", "conv3x3 32->64": "fp32"}},
		{metric.FP16Math, map[string]string{"conv3x3 7->32": "fp32", "conv3x3 32->64": "fp16", "conv3x3 16->1": "fp16"}},
		{metric.FP16MMAEmulated, map[string]string{"conv3x3 mma 32->64": "fp32"}},
	}
	if vktest.NativeTiles(t, testCtx) {
		variants = append(variants, struct {
			prec metric.Precision
			want map[string]string
		}{metric.FP16MMA, map[string]string{"conv3x3 mma 32->64": "tiles", "conv3x3 mma 16->1": "tiles"}})
	}
	for _, v := range variants {
		t.Run(string(v.prec), func(t *testing.T) {
			m, err := metric.NewMILO(w, testCtx)
			if err != nil {
				t.Fatal(err)
			}
			defer m.Close()
			m.Precision = v.prec
			ks, err := profileMILO(m, testCtx, ref, dist)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]string{}
			var convFlops float64
			for _, k := range ks {
				got[k.Name] = k.Arith
				if strings.HasPrefix(k.Name, "conv3x3") {
					convFlops += k.flops
				}
			}
			for name, arith := range v.want {
				if got[name] != arith {
					t.Errorf("%s: arith %q, want %q (families: %v)", name, got[name], arith, got)
				}
			}
			if want := metric.Flops(3, 37, 61); math.Abs(convFlops-want) > 1e-9*want {
				t.Errorf("convolutions declare %.0f FLOP, the network has %.0f", convFlops, want)
			}
		})
	}
}
