package metric

import (
	"math"
	"strings"
	"testing"
)

func TestMapStatsQuantiles(t *testing.T) {
	r := &Result{Width: 5, Height: 1, Map: []float32{4, 1, 5, 3, 2}}
	got, err := r.Stats()
	if err != nil {
		t.Fatal(err)
	}
	// Sorted 1..5: the p-th quantile at rank p/100*4, interpolated.
	want := MapStats{Mean: 3, P50: 3, P95: 4.8, P99: 4.96, Max: 5}
	for _, c := range [][3]any{{"mean", got.Mean, want.Mean}, {"p50", got.P50, want.P50}, {"p95", got.P95, want.P95}, {"p99", got.P99, want.P99}, {"max", got.Max, want.Max}} {
		if math.Abs(c[1].(float64)-c[2].(float64)) > 1e-6 {
			t.Errorf("%s = %g, want %g", c[0], c[1], c[2])
		}
	}
	if r.Map[0] != 4 || r.Map[2] != 5 {
		t.Error("Stats sorted the map in place")
	}
	one, _ := (&Result{Width: 1, Height: 1, Map: []float32{0.25}}).Stats()
	if one != (MapStats{0.25, 0.25, 0.25, 0.25, 0.25}) {
		t.Errorf("one pixel: %+v", one)
	}
	if same, err := SummariseMap(r.Map); err != nil || same != got {
		t.Errorf("SummariseMap %+v (%v), Stats %+v", same, err, got)
	}
	if _, err := SummariseMap(nil); err == nil {
		t.Error("SummariseMap(nil) succeeded")
	}
	for _, bad := range []struct {
		r    *Result
		want string
	}{
		{&Result{Width: 4, Height: 4}, "evaluate with maps"},
		{&Result{Width: 4, Height: 4, Map: make([]float32, 15)}, "15 values for 4x4"},
		{&Result{Width: 2, Height: 1, Map: []float32{0, float32(math.NaN())}}, "NaN"},
	} {
		if _, err := bad.r.Stats(); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: %v, want an error with %q", bad.r, err, bad.want)
		}
	}
}

// A distortion confined to 1% of the pixels: the mean (the score) stays
// low while p99 and the maximum show it; the mean is the score.
func TestMapStatsLocalDistortion(t *testing.T) {
	w, err := DefaultWeights()
	if err != nil {
		t.Fatal(err)
	}
	m, err := NewMILO(w, testCtx)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	const h, wd = 80, 120
	ref := randomImage(3, h, wd, 7)
	dist := Image{C: 3, H: h, W: wd, Data: append([]float32(nil), ref.Data...)}
	for c := 0; c < 3; c++ {
		for y := 40; y < 50; y++ {
			for x := 60; x < 70; x++ {
				dist.Data[(c*h+y)*wd+x] = 1 - dist.Data[(c*h+y)*wd+x]
			}
		}
	}
	res, err := m.Evaluate(ref, dist, true)
	if err != nil {
		t.Fatal(err)
	}
	s, err := res.Stats()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%+v", s)
	if math.Abs(s.Mean-res.Score) > 1e-6+1e-5*math.Abs(res.Score) {
		t.Errorf("map mean %g, score %g", s.Mean, res.Score)
	}
	if !(s.P50 <= s.P95 && s.P95 <= s.P99 && s.P99 <= s.Max) {
		t.Errorf("quantiles out of order: %+v", s)
	}
	if s.P99 < 10*s.Mean || s.P50 > s.Mean {
		t.Errorf("a 10x10 patch of 80x120 pixels: %+v; want p99 far above the mean and the median below it", s)
	}
}
