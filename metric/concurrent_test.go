package metric

import (
	"fmt"
	"math"
	"sync"
	"testing"
)

// One Vulkan context serves several goroutines, each with its own MILO
// (the documented contract: MILO is not safe for concurrent use, the
// context is) and one with an IEM: passes, batches of another size,
// session frames and IEM's levels interleave, and each result equals what
// it gave alone.
func TestMILOsShareAContext(t *testing.T) {
	const workers, rounds = 3, 4
	type job struct {
		m         *MILO
		ref, dist Image
		want      float64
		f1, f2    Frame
		wantFrame float32
		h, w      int
	}
	jobs := make([]job, workers)
	for i := range jobs {
		h, w := 24+8*i, 40-4*i // a size each: plans, bands and sessions of their own
		m := testMILO(t, int64(30+i), testCtx)
		if i == 1 {
			m.Budget = 1 << 20 // row bands
		}
		f1, ref := rgba8(h, w, int64(2*i))
		f2, dist := rgba8(h, w, int64(2*i+1))
		res, err := m.Evaluate(ref, dist, false)
		if err != nil {
			t.Fatal(err)
		}
		jobs[i] = job{m: m, ref: ref, dist: dist, want: res.Score, f1: f1, f2: f2, h: h, w: w}
		s, err := m.NewSession(h, w, false, RGBA8)
		if err != nil {
			t.Fatal(err)
		}
		sc, err := s.Score(f1, f2)
		s.Close()
		if err != nil {
			t.Fatal(err)
		}
		jobs[i].wantFrame = sc.Score
	}
	// And IEM beside them, with its own kernels.
	iem := NewIEM(NewWienerDenoiser(), testCtx)
	x1, x2 := Signed(jobs[0].ref), Signed(jobs[0].dist)
	iemOpt := IEMOptions{Steps: 8, SigmaMin: 1, SigmaMax: 100, Seed: 5}
	tr, err := iem.Evaluate(x1, x2, iemOpt)
	if err != nil {
		t.Fatal(err)
	}
	wantIEM := tr.Standard()
	var wg sync.WaitGroup
	errs := make(chan error, (workers+1)*rounds)
	wg.Go(func() {
		for r := 0; r < rounds; r++ {
			tr, err := iem.Evaluate(x1, x2, iemOpt)
			if err != nil {
				errs <- err
				return
			}
			if got := tr.Standard(); math.Abs(got-wantIEM) > 1e-9*wantIEM {
				errs <- fmt.Errorf("IEM round %d: %g, alone %g", r, got, wantIEM)
			}
		}
	})
	for i := range jobs {
		wg.Go(func() {
			j := jobs[i]
			s, err := j.m.NewSession(j.h, j.w, false, RGBA8)
			if err != nil {
				errs <- err
				return
			}
			defer s.Close()
			for r := 0; r < rounds; r++ {
				res, err := j.m.Evaluate(j.ref, j.dist, false)
				if err != nil {
					errs <- err
					return
				}
				if !closeTo(res.Score, j.want) {
					errs <- fmt.Errorf("worker %d round %d: score %g, alone %g", i, r, res.Score, j.want)
				}
				sc, err := s.Score(j.f1, j.f2)
				if err != nil {
					errs <- err
					return
				}
				if !closeTo(float64(sc.Score), float64(j.wantFrame)) {
					errs <- fmt.Errorf("worker %d round %d: frame score %g, alone %g", i, r, sc.Score, j.wantFrame)
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func closeTo(a, b float64) bool {
	d := a - b
	return d <= 1e-6 && d >= -1e-6
}
