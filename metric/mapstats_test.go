package metric

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/vkpercept/vkpercept/vk"
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

// closeStats compares statistics counted on the device with the exact ones
// of the same map: quantiles within a bin, the maximum and mean exact.
func closeStats(t *testing.T, what string, got, exact MapStats, mean float64) {
	t.Helper()
	bin := 1.0 / histBins
	for _, v := range [][3]any{{"p50", got.P50, exact.P50}, {"p95", got.P95, exact.P95}, {"p99", got.P99, exact.P99}} {
		if d := math.Abs(v[1].(float64) - v[2].(float64)); d > bin+1e-6 {
			t.Errorf("%s: %s %g, exact %g (off by %.2f bins)", what, v[0], v[1], v[2], d/bin)
		}
	}
	if math.Abs(got.Max-exact.Max) > 1e-6 || got.Mean != mean {
		t.Errorf("%s: counted %+v, exact %+v, score %g", what, got, exact, mean)
	}
}

// MILO.Quantiles counts the quality map on the device (or the CPU
// backend), accumulating band by band and image by image of a batch: its
// statistics match the exact ones of the map, with maps or without.
func TestQuantilesCounted(t *testing.T) {
	w, err := DefaultWeights()
	if err != nil {
		t.Fatal(err)
	}
	const h, wd = 203, 117 // odd at every level
	ref := randomImage(3, h, wd, 21)
	distA, distB := randomImage(3, h, wd, 22), Image{C: 3, H: h, W: wd, Data: append([]float32(nil), ref.Data...)}
	for c := 0; c < 3; c++ {
		for y := 150; y < 170; y++ {
			for x := 10; x < 40; x++ {
				distB.Data[(c*h+y)*wd+x] = 1 - distB.Data[(c*h+y)*wd+x]
			}
		}
	}
	refs, dists := []Image{ref, ref}, []Image{distA, distB}
	for _, ctx := range []*vk.Context{nil, testCtx} {
		m, err := NewMILO(w, ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		m.Quantiles = true
		for _, budget := range []int64{0, 2 << 20} {
			m.Budget = budget
			if budget > 0 {
				m.Budget += int64(m.weightBytes)
			}
			what := fmt.Sprintf("%s, budget %d", m.Backend(), budget)
			ps, err := m.passFor(2, 3, h, wd, false)
			if err != nil {
				t.Fatal(err)
			}
			if budget > 0 && ps.p.band[Levels-1] >= h {
				t.Fatalf("%s: the finest level did not band: %v", what, ps.p.band)
			}
			withMaps, err := m.EvaluateBatch(refs, dists, true)
			if err != nil {
				t.Fatal(err)
			}
			without, err := m.EvaluateBatch(refs, dists, false)
			if err != nil {
				t.Fatal(err)
			}
			for i := range refs {
				exact, err := withMaps[i].Stats()
				if err != nil {
					t.Fatal(err)
				}
				counted, err := without[i].Stats()
				if err != nil {
					t.Fatal(err)
				}
				if *withMaps[i].binned != counted {
					t.Errorf("%s, pair %d: counted %+v with maps, %+v without", what, i, *withMaps[i].binned, counted)
				}
				closeStats(t, fmt.Sprintf("%s, pair %d", what, i), counted, exact, without[i].Score)
			}
			if st, _ := without[1].Stats(); st.P50 > 1.0/histBins || st.P99 < 0.1 {
				t.Errorf("%s: a patch over 2.5%% of the pixels: %+v", what, st)
			}
		}
	}
	m, _ := NewMILO(w, nil)
	if _, err := m.Evaluate(ref, distA, false); err != nil {
		t.Fatal(err)
	} else if res, _ := m.Evaluate(ref, distA, false); res.binned != nil {
		t.Error("counted without Quantiles")
	} else if _, err := res.Stats(); err == nil || !strings.Contains(err.Error(), "MILO.Quantiles") {
		t.Errorf("Stats without maps or Quantiles: %v", err)
	}
}

// A session made with Quantiles carries the map's statistics in every
// frame's Scores, counted on the device, with no allocation per frame.
func TestSessionQuantiles(t *testing.T) {
	const h, w = 40, 52
	m := testMILO(t, 18, testCtx)
	m.Quantiles = true
	f1, im1 := rgba8(h, w, 1)
	f2, im2 := rgba8(h, w, 2)
	want, err := m.Evaluate(im1, im2, true)
	if err != nil {
		t.Fatal(err)
	}
	exact, _ := want.Stats()
	s, err := m.NewSession(h, w, false, RGBA8)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Score(f1, f2)
	if err != nil {
		t.Fatal(err)
	}
	closeScores(t, "frame", got, want)
	closeStats(t, "session", got.Stats, exact, float64(got.Score))
	if got.Stats.Max <= got.Stats.P50 {
		t.Errorf("session statistics %+v", got.Stats)
	}
	allocs := testing.AllocsPerRun(5, func() {
		if _, err := s.Score(f1, f2); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Errorf("%v Go allocations per frame with quantiles", allocs)
	}
}
