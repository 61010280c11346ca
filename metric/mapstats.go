package metric

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"github.com/vkpercept/vkpercept/kernels"
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

// Stats summarises r.Map where the evaluation asked for maps, exactly: the
// quantiles interpolate linearly between the sorted values (NumPy's
// default), the p-th of n values at rank p/100·(n−1). Without maps it
// gives what the device counted where MILO.Quantiles was set: the same
// quantiles to within 1/2048, the maximum and the mean (the score) exact.
func (r *Result) Stats() (MapStats, error) {
	if len(r.Map) == 0 && r.binned != nil {
		return *r.binned, nil
	}
	if len(r.Map) == 0 {
		return MapStats{}, errors.New("milo: no quality map to summarise: evaluate with maps, or set MILO.Quantiles")
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

// histOp is the histogram a pass with MILO.Quantiles counts (runPass's).
func (m *MILO) histOp() kernels.MapHist {
	return histFor(kernels.Scaler{Hidden: scalerHidden}.S(m.w.Scaler, 0))
}

// histStats reads one image's histogram (HistLen words, as a pass's float
// buffers hold them) with mean, the score. It allocates nothing.
func histStats(op kernels.MapHist, h []float32, mean float64) MapStats {
	w := wordsOf(h)
	st := MapStats{Mean: mean}
	st.P50, _ = op.Quantile(w, 50)
	st.P95, _ = op.Quantile(w, 95)
	st.P99, _ = op.Quantile(w, 99)
	st.Max, _ = op.Max(w)
	return st
}
