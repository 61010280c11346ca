package metric

import (
	"errors"
	"fmt"
	"math"
	"slices"
)

// MapStats summarises a quality map beyond its mean, the score. A
// distortion confined to a small region (a flickering light, one broken
// texture) barely moves the mean, while the upper quantiles and the
// maximum show it: what a gate on localised artefacts reads.
type MapStats struct {
	Mean float64 `json:"mean"`
	P50  float64 `json:"p50"`
	P95  float64 `json:"p95"`
	P99  float64 `json:"p99"`
	Max  float64 `json:"max"`
}

// Stats summarises r.Map, which the evaluation must have asked for. The
// quantiles interpolate linearly between the sorted values (NumPy's
// default): the p-th of n values lies at rank p/100·(n−1).
func (r *Result) Stats() (MapStats, error) {
	if len(r.Map) == 0 {
		return MapStats{}, errors.New("milo: no quality map to summarise: evaluate with maps")
	}
	if len(r.Map) != r.Width*r.Height {
		return MapStats{}, fmt.Errorf("milo: quality map of %d values for %dx%d", len(r.Map), r.Width, r.Height)
	}
	return SummariseMap(r.Map)
}

// SummariseMap is Result.Stats for any quality map, such as a Session's
// (Maps). It sorts a copy: one allocation of the map's size.
func SummariseMap(qmap []float32) (MapStats, error) {
	if len(qmap) == 0 {
		return MapStats{}, errors.New("milo: no quality map to summarise")
	}
	s := slices.Clone(qmap)
	var sum float64
	for _, v := range s {
		if math.IsNaN(float64(v)) {
			return MapStats{}, errors.New("milo: the quality map holds NaN")
		}
		sum += float64(v)
	}
	slices.Sort(s)
	n := len(s)
	q := func(p float64) float64 {
		pos := p / 100 * float64(n-1)
		lo := int(pos)
		if lo >= n-1 {
			return float64(s[n-1])
		}
		return float64(s[lo]) + (pos-float64(lo))*float64(s[lo+1]-s[lo])
	}
	return MapStats{Mean: sum / float64(n), P50: q(50), P95: q(95), P99: q(99), Max: float64(s[n-1])}, nil
}
