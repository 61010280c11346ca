package main

import (
	"math/rand"
	"sort"
)

// clusterInterval is a percentile bootstrap interval (level, e.g. 0.9) of the
// Spearman of a and b over the pairs idx, resampling whole clusters (pairs
// cut from one crop share its content, so they are not independent draws).
// With 150 pairs (30 crops) a type, a within-type figure moves by 0.05 to 0.1
// with the choice of crops alone: the interval says how far a 0.88 is from a 0.90. Seeded,
// so the figures are reproducible.
func clusterInterval(a, b []float64, idx []int, cluster []string, level float64, draws int, seed int64) (lo, hi float64) {
	groups := map[string][]int{}
	var keys []string
	for _, i := range idx {
		if _, ok := groups[cluster[i]]; !ok {
			keys = append(keys, cluster[i])
		}
		groups[cluster[i]] = append(groups[cluster[i]], i)
	}
	sort.Strings(keys) // map order must not reach the draws
	rng := rand.New(rand.NewSource(seed))
	stats := make([]float64, 0, draws)
	var sample []int
	for d := 0; d < draws; d++ {
		sample = sample[:0]
		for range keys {
			sample = append(sample, groups[keys[rng.Intn(len(keys))]]...)
		}
		if r := spearman(pick(a, sample), pick(b, sample)); r == r { // a draw of constant values has no rank correlation
			stats = append(stats, r)
		}
	}
	if len(stats) == 0 {
		r := spearman(pick(a, idx), pick(b, idx))
		return r, r
	}
	sort.Float64s(stats)
	q := func(p float64) float64 { return stats[min(len(stats)-1, int(p*float64(len(stats))))] }
	return q((1 - level) / 2), q((1 + level) / 2)
}
