package selftest

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

// Every variant the device runs, and the emulated tiles, passes every path;
// an unknown precision fails its checks without stopping the others.
func TestRunChecksEveryVariantAndPath(t *testing.T) {
	vs := append(metric.Variants(testCtx.Info().Features), metric.Variant{Precision: metric.FP16MMAEmulated}, metric.Variant{Precision: "fp8"})
	var seen []Check
	checks, err := Run(testCtx, Options{Variants: vs, Progress: func(c Check) { seen = append(seen, c) }})
	if err != nil {
		t.Fatal(err)
	}
	if len(checks) != 5*len(vs)+3 || len(seen) != len(checks) {
		t.Fatalf("%d checks, %d reported; want %d", len(checks), len(seen), 5*len(vs)+3)
	}
	paths := map[string]int{}
	for _, c := range checks {
		paths[c.Metric+" "+c.Path]++
		if c.Variant == "fp8" {
			if c.Passed() || c.Problem != "" || !strings.Contains(c.Error, "unknown precision") {
				t.Errorf("fp8 %s: error %q, problem %q; want the unknown precision named", c.Path, c.Error, c.Problem)
			}
			continue
		}
		if !c.Passed() {
			t.Errorf("%s %s %s %s: %s%s", c.Metric, c.Variant, c.Path, c.Size, c.Error, c.Problem)
		}
		// A check that compared nothing would pass too.
		if c.Metric == "milo" && (c.ScalarErr == 0 || c.MapErr == 0) || c.Ms <= 0 {
			t.Errorf("%s %s %s: errors %g and %g in %g ms: nothing compared?", c.Metric, c.Variant, c.Path, c.ScalarErr, c.MapErr, c.Ms)
		}
	}
	for p, n := range map[string]int{"milo pass": 2 * len(vs), "milo bands": len(vs), "milo batch": len(vs), "milo session": len(vs), "iem pass": 1, "iem levels": 1, "iem batch": 1} {
		if paths[p] != n {
			t.Errorf("%d %s checks, want %d", paths[p], p, n)
		}
	}
}

// The bounds catch what a faulty kernel does: a scalar off, one map pixel
// far off, many a little off, a NaN.
func TestCompareCatchesErrors(t *testing.T) {
	want := &metric.Result{Score: 0.1, Loss: 0.02, MOS: 4, Map: make([]float32, 2000), Mask: make([]float32, 2000)}
	cases := []*miloCase{{want: want}}
	for _, tc := range []struct {
		name  string
		v     metric.Variant
		bend  func(r *metric.Result)
		fails string
	}{
		{"equal", metric.Variant{Precision: metric.FP32}, func(r *metric.Result) {}, ""},
		{"within", metric.Variant{Precision: metric.FP32}, func(r *metric.Result) { r.Score *= 1 + 5e-5; r.Map[3] = 1e-3; r.Mask[9] = 5e-5 }, ""},
		{"score", metric.Variant{Precision: metric.FP32}, func(r *metric.Result) { r.Score *= 1 + 2e-4 }, "scalars"},
		{"mos", metric.Variant{Precision: metric.FP16}, func(r *metric.Result) { r.MOS *= 1.01 }, "scalars"},
		{"nan", metric.Variant{Precision: metric.FP16}, func(r *metric.Result) { r.Loss = math.NaN() }, "scalars"},
		{"pixel", metric.Variant{Precision: metric.FP32}, func(r *metric.Result) { r.Mask[7] = 3e-3 }, "maps off"},
		{"within fp16", metric.Variant{Precision: metric.FP16Math}, func(r *metric.Result) { r.Mask[7] = 0.09; r.Map[8] = 0.02; r.MOS *= 1 + 4e-3 }, ""},
		{"pixel fp16", metric.Variant{Precision: metric.FP16Math}, func(r *metric.Result) { r.Map[7] = 0.12 }, "maps off"},
		{"many fp16", metric.Variant{Precision: metric.FP16}, func(r *metric.Result) {
			for i := range 30 {
				r.Mask[i*50] = 0.02
			}
		}, "of the map pixels"},
		{"many", metric.Variant{Precision: metric.FP32}, func(r *metric.Result) {
			for i := range 3 {
				r.Map[i*100] = 2e-4
			}
		}, "of the map pixels"},
		{"nan pixel", metric.Variant{Precision: metric.FP32}, func(r *metric.Result) { r.Map[0] = float32(math.NaN()) }, "maps off"},
		{"short", metric.Variant{Precision: metric.FP32}, func(r *metric.Result) { r.Map = r.Map[:10] }, "maps off"},
	} {
		got := *want
		got.Map, got.Mask = append([]float32(nil), want.Map...), append([]float32(nil), want.Mask...)
		tc.bend(&got)
		c := bounds(tc.v)
		compareMILO(&c, []*metric.Result{&got}, cases)
		c.judge()
		if tc.fails == "" && !c.Passed() || tc.fails != "" && !strings.Contains(c.Problem, tc.fails) {
			t.Errorf("%s: problem %q, want %q", tc.name, c.Problem, tc.fails)
		}
	}
	c := bounds(metric.Variant{Precision: metric.FP32})
	if compareMILO(&c, nil, cases); c.Passed() {
		t.Error("no results for a pair passed")
	}
}
