package main

import (
	"errors"
	"flag"
	"fmt"
	"math"
	"strconv"
)

// errGate marks a quality gate that failed. It exits with status 3, so
// that a CI script can tell a regression from a run that broke (1) or was
// called wrongly (2).
var errGate = errors.New("quality gate failed")

// gate holds the bounds --max-score, --min-mos and --max-p99 set for every
// pair scored, and counts the pairs that broke them.
type gate struct {
	maxScore, minMOS, maxP99 *float64
	scored, failed           int
	first                    string // the first failure, named
}

func (g *gate) flags(fs *flag.FlagSet) {
	fs.Func("max-score", "quality gate: exit with status 3 when a pair's score is above `X` (0 for identical images; higher is more visible)", func(s string) error {
		v, err := gateBound(s, math.Inf(-1), math.Inf(1))
		g.maxScore = &v
		return err
	})
	fs.Func("max-p99", "quality gate: exit with status 3 when a pair's quality map has its 99th percentile above `Z` (a local artefact over 1% of the pixels; implies --stats)", func(s string) error {
		v, err := gateBound(s, math.Inf(-1), math.Inf(1))
		g.maxP99 = &v
		return err
	})
	fs.Func("min-mos", "quality gate: exit with status 3 when a pair's MOS is below `Y` (0 to 5; higher is better)", func(s string) error {
		v, err := gateBound(s, 0, 5)
		g.minMOS = &v
		return err
	})
}

// gateBound parses a bound that must lie in [lo, hi].
func gateBound(s string, lo, hi float64) (float64, error) {
	v, err := strconv.ParseFloat(s, 64)
	switch {
	case err != nil:
		return 0, fmt.Errorf("%q is not a number", s)
	case math.IsNaN(v) || math.IsInf(v, 0):
		return 0, fmt.Errorf("%s is not a finite number", s)
	case v < lo || v > hi:
		return 0, fmt.Errorf("%s is outside %g to %g", s, lo, hi)
	}
	return v, nil
}

func (g *gate) set() bool { return g.maxScore != nil || g.minMOS != nil || g.maxP99 != nil }

// check marks rep with the gate's verdict (nothing when no gate is set) and
// counts it.
func (g *gate) check(rep *miloReport) {
	if !g.set() {
		return
	}
	g.scored++
	var why string
	switch {
	case g.maxScore != nil && !(rep.Score <= *g.maxScore): // a NaN score fails too
		why = fmt.Sprintf("score %.6f above --max-score %g", rep.Score, *g.maxScore)
	case g.minMOS != nil && !(rep.MOS >= *g.minMOS):
		why = fmt.Sprintf("MOS %.3f below --min-mos %g", rep.MOS, *g.minMOS)
	case g.maxP99 != nil && (rep.Stats == nil || !(rep.Stats.P99 <= *g.maxP99)):
		p99 := math.NaN()
		if rep.Stats != nil {
			p99 = rep.Stats.P99
		}
		why = fmt.Sprintf("map p99 %.6f above --max-p99 %g", p99, *g.maxP99)
	}
	pass := why == ""
	rep.Pass, rep.Failed = &pass, why
	if !pass {
		g.failed++
		if g.first == "" {
			g.first = fmt.Sprintf("%s vs %s: %s", rep.Dist, rep.Ref, why)
		}
	}
}

// err is errGate, explained, when any pair failed.
func (g *gate) err() error {
	switch {
	case g.failed == 0:
		return nil
	case g.scored == 1:
		return fmt.Errorf("%w: %s", errGate, g.first)
	}
	return fmt.Errorf("%w: %d of %d pairs (the first: %s)", errGate, g.failed, g.scored, g.first)
}
