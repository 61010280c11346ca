package main

import (
	"fmt"
	"math"
	"math/rand"
	"testing"
)

func TestSpearman(t *testing.T) {
	a := []float64{1, 2, 3, 4, 5}
	if r := spearman(a, []float64{10, 20, 30, 40, 50}); math.Abs(r-1) > 1e-12 {
		t.Errorf("monotone increasing: %g", r)
	}
	if r := spearman(a, []float64{5, 4, 3, 2, 1}); math.Abs(r+1) > 1e-12 {
		t.Errorf("monotone decreasing: %g", r)
	}
	// Ties take mid-ranks: ranks of b are 0.5, 0.5, 2, 3, 4.
	got := spearman(a, []float64{1, 1, 2, 3, 4})
	if math.Abs(got-0.9746794344808963) > 1e-12 {
		t.Errorf("with a tie: %.16g", got)
	}
	if r := spearman(a, []float64{7, 7, 7, 7, 7}); !math.IsNaN(r) {
		t.Errorf("constant input: %g, want NaN", r)
	}
}

func TestMeanAbsDiff(t *testing.T) {
	// A 2x1 crop (6 bytes) at offset 0 and its distortion at offset 6.
	pix := []byte{0, 255, 10, 20, 30, 40, 255, 255, 0, 20, 33, 37}
	p := pair{RefOff: 0, DistOff: 6, Width: 2, Height: 1}
	want := float64(255+0+10+0+3+3) / 6 / 255
	if got := meanAbsDiff(pix, p); math.Abs(got-want) > 1e-15 {
		t.Errorf("meanAbsDiff = %g, want %g", got, want)
	}
}

func TestWithinTypes(t *testing.T) {
	// Overall a and b agree (type y sits above type x in both), but within
	// each type they rank in opposite directions: only withinTypes sees it.
	a := []float64{1, 2, 3, 10, 11, 12}
	b := []float64{3, 2, 1, 12, 11, 10}
	byType := map[string][]int{"x": {0, 1, 2}, "y": {3, 4, 5}}
	if r := spearman(a, b); r < 0.5 {
		t.Fatalf("overall %g, want a positive agreement", r)
	}
	got := withinTypes(a, b, byType)
	if len(got) != 2 || math.Abs(got["x"]+1) > 1e-12 || math.Abs(got["y"]+1) > 1e-12 {
		t.Errorf("withinTypes = %v, want -1 for both types", got)
	}
}

func TestClusterInterval(t *testing.T) {
	// Ten clusters of three pairs: b follows a with noise, so the interval
	// must hold the full-sample figure, lie in [-1, 1] and have some width;
	// the same seed gives the same interval.
	rng := rand.New(rand.NewSource(3))
	var a, b []float64
	var cluster []string
	var idx []int
	for c := 0; c < 10; c++ {
		for k := 0; k < 3; k++ {
			x := rng.Float64()
			idx = append(idx, len(a))
			a = append(a, x)
			b = append(b, x+0.3*rng.NormFloat64())
			cluster = append(cluster, fmt.Sprint("crop", c))
		}
	}
	r := spearman(a, b)
	lo, hi := clusterInterval(a, b, idx, cluster, 0.9, 500, 1)
	if !(lo <= r && r <= hi) || lo < -1 || hi > 1 || hi-lo < 0.05 {
		t.Errorf("interval [%g, %g] around %g", lo, hi, r)
	}
	if lo2, hi2 := clusterInterval(a, b, idx, cluster, 0.9, 500, 1); lo2 != lo || hi2 != hi {
		t.Errorf("same seed, other interval: [%g, %g] vs [%g, %g]", lo2, hi2, lo, hi)
	}
	// Perfect agreement has no spread.
	if lo, hi := clusterInterval(a, a, idx, cluster, 0.9, 200, 1); lo != 1 || hi != 1 {
		t.Errorf("a with itself: [%g, %g]", lo, hi)
	}
}
