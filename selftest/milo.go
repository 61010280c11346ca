package selftest

import (
	"fmt"
	"image"
	"time"

	"github.com/vkpercept/vkpercept/bench"
	"github.com/vkpercept/vkpercept/metric"
	"github.com/vkpercept/vkpercept/vk"
)

// The pairs: small is under one band and odd at every pyramid level; large
// spans several of the convolutions' workgroups along a row (their middle
// ones take other paths than the edges) and, under bandBudget, row bands.
var (
	small      = [2]int{61, 37}
	large      = [2]int{203, 140}
	bandBudget = int64(1 << 20)
)

// miloCase is one input with the CPU backend's reading of it.
type miloCase struct {
	ref, dist metric.Image
	pix       [2]*image.NRGBA // for sessions
	want      *metric.Result
}

// newCase reads a pair on the CPU backend.
func newCase(cpu *metric.MILO, ref, dist metric.Image) (*miloCase, error) {
	c := &miloCase{ref: ref, dist: dist}
	var err error
	if c.want, err = cpu.Evaluate(ref, dist, true); err != nil {
		return nil, fmt.Errorf("selftest: the CPU backend at %s: %w", sizeLabel(ref.W, ref.H, 1), err)
	}
	return c, nil
}

// rendered is bench.Pair's w x h pair, read on the CPU backend.
func rendered(cpu *metric.MILO, wh [2]int) (*miloCase, error) {
	r, d := bench.Pair(wh[0], wh[1])
	c, err := newCase(cpu, metric.FromImage(r), metric.FromImage(d))
	if err != nil {
		return nil, err
	}
	c.pix = [2]*image.NRGBA{r, d}
	return c, nil
}

// corner is c's top-left corner at the size wh, read on the CPU backend.
func corner(cpu *metric.MILO, c *miloCase, wh [2]int) (*miloCase, error) {
	ref, dist, err := topLeft(c.ref, c.dist, wh[0], wh[1])
	if err != nil {
		return nil, err
	}
	return newCase(cpu, ref, dist)
}

// topLeft cuts a pair's top-left w x h corner.
func topLeft(ref, dist metric.Image, w, h int) (r, d metric.Image, err error) {
	if r, err = ref.Crop(0, 0, w, h); err == nil {
		d, err = dist.Crop(0, 0, w, h)
	}
	if err != nil {
		return r, d, fmt.Errorf("selftest: %w", err)
	}
	return r, d, nil
}

// bounds are a variant's: fp32 as the golden tests hold MILO (a few
// ill-conditioned mask pixels may reach 2e-3; see metric's checkMap), the
// binary16 ones' scalars as the benchmark holds their scores. Their maps
// (the mask up to 1.3 here) measured at most 0.011 on the quality map and
// 0.041 on the mask, with 0.1% of the pixels over 1e-2 (fp16-math on
// lavapipe, the authors' weights, 203x140); a faulty kernel moves far
// more pixels.
func bounds(v metric.Variant) Check {
	if v.Precision == metric.FP32 {
		return Check{ScalarTol: bench.FP32ScoreTol, MapTol: 1e-4, MapShare: 1e-3, MapMax: 2e-3}
	}
	return Check{ScalarTol: bench.Binary16ScoreTol, MapTol: 1e-2, MapShare: 1e-2, MapMax: 0.1}
}

func checkMILO(ctx *vk.Context, w *metric.Weights, vs []metric.Variant, keep func(Check)) error {
	cpu, err := metric.NewMILO(w, nil)
	if err != nil {
		return fmt.Errorf("selftest: %w", err)
	}
	a, err := rendered(cpu, small)
	if err != nil {
		return err
	}
	b, err := rendered(cpu, large)
	if err != nil {
		return err
	}
	// A second, different pair of the small size, for the batch.
	bc, err := corner(cpu, b, small)
	if err != nil {
		return err
	}
	for _, v := range vs {
		m, err := metric.NewMILO(w, ctx)
		if err != nil {
			c := bounds(v)
			c.Metric, c.Variant, c.Path, c.Error = "milo", v.String(), "weights", err.Error()
			keep(c)
			continue
		}
		v.Apply(m)
		for _, run := range []struct {
			path  string
			cases []*miloCase
		}{{"pass", []*miloCase{a}}, {"pass", []*miloCase{b}}, {"bands", []*miloCase{b}}, {"batch", []*miloCase{a, bc}}, {"session", []*miloCase{a}}} {
			c := bounds(v)
			c.Metric, c.Variant, c.Path = "milo", v.String(), run.path
			c.Size = sizeLabel(run.cases[0].ref.W, run.cases[0].ref.H, len(run.cases))
			start := time.Now()
			got, err := runMILO(m, run.path, run.cases)
			c.Ms = float64(time.Since(start).Microseconds()) / 1e3
			if err != nil {
				c.Error = err.Error()
			} else {
				compareMILO(&c, got, run.cases)
			}
			c.judge()
			keep(c)
		}
		m.Close()
	}
	return nil
}

// runMILO runs the cases one way on the device.
func runMILO(m *metric.MILO, path string, cases []*miloCase) ([]*metric.Result, error) {
	m.Budget = metric.DefaultBudget
	switch path {
	case "bands":
		m.Budget = bandBudget
		fallthrough
	case "pass":
		r, err := m.Evaluate(cases[0].ref, cases[0].dist, true)
		return []*metric.Result{r}, err
	case "batch":
		refs, dists := make([]metric.Image, len(cases)), make([]metric.Image, len(cases))
		for i, c := range cases {
			refs[i], dists[i] = c.ref, c.dist
		}
		return m.EvaluateBatch(refs, dists, true)
	case "session":
		c := cases[0]
		s, err := m.NewSession(c.ref.H, c.ref.W, true, metric.RGBA8)
		if err != nil {
			return nil, err
		}
		defer s.Close()
		frame := func(p *image.NRGBA) metric.Frame {
			return metric.Frame{Format: metric.RGBA8, Bytes: p.Pix, Stride: p.Stride} // opaque: NRGBA is RGBA
		}
		sc, err := s.Score(frame(c.pix[0]), frame(c.pix[1]))
		if err != nil {
			return nil, err
		}
		qmap, mask := s.Maps()
		return []*metric.Result{{Score: float64(sc.Score), Loss: float64(sc.Loss), MOS: float64(sc.MOS), Map: qmap, Mask: mask}}, nil
	}
	return nil, fmt.Errorf("selftest: no path %q", path)
}

// compareMILO fills in c's errors: every result against its case's CPU reading.
func compareMILO(c *Check, got []*metric.Result, cases []*miloCase) {
	if len(got) != len(cases) {
		c.Problem = fmt.Sprintf("%d results for %d pairs", len(got), len(cases))
		return
	}
	for i, r := range got {
		want := cases[i].want
		for _, s := range [][2]float64{{r.Score, want.Score}, {r.Loss, want.Loss}, {r.MOS, want.MOS}} {
			c.ScalarErr = max(c.ScalarErr, relErr(s[0], s[1]))
		}
		for _, mp := range [][2][]float32{{r.Map, want.Map}, {r.Mask, want.Mask}} {
			worst, over := mapErr(mp[0], mp[1], c.MapTol)
			c.MapErr, c.MapOver = max(c.MapErr, worst), max(c.MapOver, over)
		}
	}
}
