package metric

import (
	"fmt"
	"math"
	"testing"

	"github.com/vkpercept/vkpercept/vk"
)

// A pass in row bands, with the inputs whole on the device or unpacked a
// band at a time (on the CPU, read in place), must equal the untiled pass:
// scalars and maps within 1e-5.
func TestTiledEqualsUntiled(t *testing.T) {
	const h, w = 203, 117 // odd at every level
	ref, dist := randomImage(3, h, w, 11), randomImage(3, h, w, 12)
	wts := randomWeights(3, 13)
	for _, ctx := range []*vk.Context{nil, testCtx} {
		m, err := NewMILO(wts, ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer m.Close()
		t.Run(m.Backend(), func(t *testing.T) {
			m.Budget = 0
			whole, err := m.Evaluate(ref, dist, true)
			if err != nil {
				t.Fatal(err)
			}
			// Budgets that give several bands at every level, resident and not.
			// Each is on top of the weights' device memory, which the plan
			// takes off the budget: a fresh 2 MB block when the test runs
			// alone, nothing when an earlier test left room in a block.
			seen := map[bool]bool{}
			for _, budget := range []int64{5 << 20, 2 << 20, 600 << 10} {
				m.Budget = budget + int64(m.weightBytes)
				ps, err := m.passFor(1, 3, h, w, true)
				if err != nil {
					t.Fatal(err)
				}
				p := ps.p
				if p.band[Levels-1] >= h || (budget < 5<<20 && p.band[Levels-2] >= p.hs[Levels-2]) {
					t.Fatalf("budget %d did not tile: bands %v", budget, p.band)
				}
				seen[p.resident] = true
				tiled, err := m.Evaluate(ref, dist, true)
				if err != nil {
					t.Fatal(err)
				}
				what := fmt.Sprintf("budget %d (bands %v, resident %v)", budget, p.band, p.resident)
				for _, v := range [][3]float64{{tiled.Score, whole.Score}, {tiled.Loss, whole.Loss}, {tiled.MOS, whole.MOS}} {
					if math.Abs(v[0]-v[1]) > 1e-5*math.Max(1, math.Abs(v[1])) {
						t.Fatalf("%s: scalar %g, untiled %g", what, v[0], v[1])
					}
				}
				for _, mp := range [][2][]float32{{tiled.Map, whole.Map}, {tiled.Mask, whole.Mask}} {
					for i := range mp[0] {
						if d := math.Abs(float64(mp[0][i] - mp[1][i])); d > 1e-5 {
							t.Fatalf("%s: map pixel %d is %g, untiled %g", what, i, mp[0][i], mp[1][i])
						}
					}
				}
			}
			if !seen[true] || !seen[false] {
				t.Fatalf("the budgets did not cover inputs both on the device and in place: %v", seen)
			}
		})
	}
}

// The default budget holds a 3840x2160 pair, and device memory follows the
// plan: a pass on its own context allocates no more device-local memory than
// the plan says beyond the weights (what NewMILO left allocated).
func TestBudgetBoundsDeviceMemory(t *testing.T) {
	p, err := newPlan(1, 3, 2160, 3840, false, false, false, DefaultBudget, 0)
	if err != nil {
		t.Fatal(err)
	}
	if p.Bytes() > DefaultBudget {
		t.Fatalf("4K plan needs %d MB", p.Bytes()>>20)
	}
	ctx, err := vk.Open(vk.Options{Device: -1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ctx.Close() }) // after the MILO's (cleanups run last first)
	m := testMILO(t, 14, ctx)
	const h, w, budget = 300, 400, 8 << 20
	m.Budget = budget
	weights := ctx.Stats().DeviceBytesLive
	if _, err := m.Evaluate(randomImage(3, h, w, 15), randomImage(3, h, w, 16), false); err != nil {
		t.Fatal(err)
	}
	ps, _ := m.passFor(1, 3, h, w, false)
	st := ctx.Stats()
	if st.DevicePeakBytes > uint64(ps.p.Bytes())+weights+1<<16 || ps.p.Bytes()+int64(weights) > budget {
		t.Fatalf("device peak %d bytes, plan %d, budget %d, weights %d bands %v", st.DevicePeakBytes, ps.p.Bytes(), budget, weights, ps.p.band)
	}
	if ps.p.band[Levels-1] >= h {
		t.Fatalf("a %d-byte budget did not tile %dx%d", budget, w, h)
	}
}

// A batch is one pass with a batch dimension in every kernel: each pair's
// result equals its own single-pair evaluation.
func TestBatchEqualsSingles(t *testing.T) {
	const h, w = 37, 61
	m := testMILO(t, 17, testCtx)
	var refs, dists []Image
	for i := 0; i < 3; i++ {
		refs, dists = append(refs, randomImage(3, h, w, int64(20+i))), append(dists, randomImage(3, h, w, int64(30+i)))
	}
	var singles []*Result
	for i := range refs {
		one, err := m.Evaluate(refs[i], dists[i], true)
		if err != nil {
			t.Fatal(err)
		}
		singles = append(singles, one)
	}
	// Whole inputs, and inputs unpacked a band of rows at a time for all
	// three pairs (tiled: float sums in another order).
	for _, c := range []struct {
		budget int64
		tol    float64
	}{{DefaultBudget, 1e-6}, {1, 1e-5}} {
		m.Budget = c.budget
		before := testCtx.Stats().Submits
		batch, err := m.EvaluateBatch(refs, dists, true)
		if err != nil {
			t.Fatal(err)
		}
		if s := testCtx.Stats().Submits - before; s != 1 {
			t.Fatalf("a batch of 3 took %d submissions", s)
		}
		if ps, _ := m.passFor(3, 3, h, w, true); ps.p.resident != (c.budget == DefaultBudget) {
			t.Fatalf("budget %d: resident %v", c.budget, ps.p.resident)
		}
		for i, one := range singles {
			if math.Abs(one.Score-batch[i].Score) > c.tol*math.Abs(one.Score) || math.Abs(one.MOS-batch[i].MOS) > c.tol {
				t.Fatalf("budget %d, pair %d: batch %+v, single %+v", c.budget, i, batch[i].Score, one.Score)
			}
			for k := range one.Map {
				if math.Abs(float64(one.Map[k]-batch[i].Map[k])) > c.tol {
					t.Fatalf("budget %d, pair %d map pixel %d: batch %g, single %g", c.budget, i, k, batch[i].Map[k], one.Map[k])
				}
			}
		}
	}
	if _, err := m.EvaluateBatch(refs, append(dists[:2:2], randomImage(3, h, w+1, 1)), false); err == nil {
		t.Fatal("accepted a batch with two sizes")
	}
}

// Band buffers stay within the device's largest storage binding even when
// the budget would allow more (strict drivers refuse larger bindings).
func TestBandsFitTheBindingLimit(t *testing.T) {
	const limit = 128 << 20
	for _, half := range []bool{false, true} {
		p, err := newPlan(4, 3, 2160, 3840, false, false, half, 0, limit)
		if err != nil {
			t.Fatal(err)
		}
		bytes := int64(4 * 64 * p.bandCap)
		if half {
			bytes /= 2
		}
		if bytes > limit || p.band[Levels-1] >= 2160 {
			t.Fatalf("half %v: 64-channel band buffer of %d bytes, bands %v", half, bytes, p.band)
		}
	}
}
