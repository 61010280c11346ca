package selftest

import (
	"fmt"
	"time"

	"github.com/vkpercept/vkpercept/bench"
	"github.com/vkpercept/vkpercept/metric"
	"github.com/vkpercept/vkpercept/vk"
)

// iemPair is a rendered pair's top-left w x h corner in IEM's [-1,1].
func iemPair(wh [2]int, w, h int) (x1, x2 metric.Tensor64, err error) {
	r, d := bench.Pair(wh[0], wh[1])
	ref, dist, err := topLeft(metric.FromImage(r), metric.FromImage(d), w, h)
	if err != nil {
		return x1, x2, err
	}
	return metric.Signed(ref), metric.Signed(dist), nil
}

// checkIEM runs IEM with the default (Wiener) denoiser on the device and on
// the CPU: a pair whose rows start on 4-element vectors (the kernels' vector
// forms), one whose rows do not (their scalar forms) with the noise levels
// in several batches, and a batch of two such pairs on one noise path.
func checkIEM(ctx *vk.Context, keep func(Check)) error {
	den, ok := metric.Denoisers()[metric.DefaultDenoiser]
	if !ok {
		return fmt.Errorf("selftest: no denoiser %q", metric.DefaultDenoiser)
	}
	opt := metric.IEMOptions{Steps: 24, SigmaMin: 1, SigmaMax: 1000, Seed: 42}
	vec1, vec2, err := iemPair([2]int{64, 40}, 64, 40)
	if err != nil {
		return err
	}
	odd1, odd2, err := iemPair(small, small[0], small[1])
	if err != nil {
		return err
	}
	// The same size cut from the larger pair: another pair for the batch.
	cut1, cut2, err := iemPair([2]int{64, 40}, small[0], small[1])
	if err != nil {
		return err
	}
	few := opt
	// 160 bytes an element: six levels a batch, four batches (the path's
	// buffers and the Wiener pyramid's take about 27 an element and level).
	few.MemoryBudget = int64(160 * len(odd1.Data))
	for _, run := range []struct {
		path   string
		opt    metric.IEMOptions
		x1, x2 []metric.Tensor64
	}{
		{"pass", opt, []metric.Tensor64{vec1}, []metric.Tensor64{vec2}},
		{"levels", few, []metric.Tensor64{odd1}, []metric.Tensor64{odd2}},
		{"batch", opt, []metric.Tensor64{odd1, cut1}, []metric.Tensor64{odd2, cut2}},
	} {
		c := Check{Metric: "iem", Variant: "fp32", Path: run.path, Size: sizeLabel(run.x1[0].W, run.x1[0].H, len(run.x1)), ScalarTol: bench.IEMScoreTol}
		want, err := metric.NewIEM(den, nil).EvaluateBatch(run.x1, run.x2, run.opt)
		if err != nil {
			return fmt.Errorf("selftest: IEM on the CPU backend: %w", err)
		}
		start := time.Now()
		got, err := metric.NewIEM(den, ctx).EvaluateBatch(run.x1, run.x2, run.opt)
		c.Ms = float64(time.Since(start).Microseconds()) / 1e3
		switch {
		case err != nil:
			c.Error = err.Error()
		case len(got) != len(want):
			c.Problem = fmt.Sprintf("%d results for %d pairs", len(got), len(want))
		default:
			for i := range got {
				c.ScalarErr = max(c.ScalarErr, relErr(got[i].Standard(), want[i].Standard()), relErr(got[i].SquareF(), want[i].SquareF()))
			}
		}
		c.judge()
		keep(c)
	}
	return nil
}
