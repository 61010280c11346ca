package metric

import (
	"strings"

	"github.com/vkpercept/vkpercept/kernels"
	"github.com/vkpercept/vkpercept/vk"
)

const defaultIEMBudget = 256 << 20

// Workspace is optionally implemented by a Denoiser whose Record holds
// device buffers of its own while it runs: the bytes it takes for s. IEM
// counts them in each batch's memory budget.
type Workspace interface {
	Workspace(s kernels.Shape) int64
}

// iemBatch is how many noise levels one batch holds within the budget: per
// level, 2 noisy and 2 denoised images per pair, one increment field, and
// the denoiser's workspace for the level's 2 images per pair. The levels are
// spread evenly over the batches; where the last batch is still shorter,
// its workspace differs in size from the others' and the pool keeps both,
// so the budget holds that twice.
func iemBatch(d Denoiser, s kernels.Shape, pairs, steps int, budget int64) int {
	if budget <= 0 {
		budget = defaultIEMBudget
	}
	numel := int64(s.C * s.H * s.W)
	images := int64(4*pairs+1) * 4 * numel
	work := func(levels int) int64 {
		if w, ok := d.(Workspace); ok {
			s.N = 2 * pairs * levels
			return w.Workspace(s)
		}
		return 0
	}
	for b := int(min(budget/(images+work(1)), int64(steps))); b > 1; b-- {
		batches := (steps + b - 1) / b
		even := (steps + batches - 1) / batches
		need := int64(even)*images + work(even)
		if steps%even != 0 {
			need += work(even)
		}
		if need <= budget {
			return even
		}
	}
	return 1
}

// vulkanSums records every batch of noise levels of all pairs into one
// submission and reads back only the 3 sums per pair and level.
func (m *IEM) vulkanSums(x1s, x2s []Tensor64, g kernels.IEMGrid, opt IEMOptions, ts []*Trajectory) ([][]float64, error) {
	x1 := x1s[0]
	n, P := len(x1.Data), len(x1s)
	K := g.Steps()
	B := iemBatch(m.den, kernels.Shape{C: x1.C, H: x1.H, W: x1.W}, P, K, opt.MemoryBudget)
	gpu := kernels.GPU{Ctx: m.ctx}
	r, err := m.ctx.Begin(opt.Profile)
	if err != nil {
		return nil, err
	}
	var held []*vk.Buffer
	defer func() { m.ctx.Release(held...) }()
	alloc := func(floats int) *vk.Buffer {
		if err != nil {
			return nil
		}
		var b *vk.Buffer
		b, err = m.ctx.Acquire(uint64(4 * max(floats, 1)))
		held = append(held, b)
		return b
	}
	f32 := func(v []float64) []float32 {
		out := make([]float32, len(v))
		for i, x := range v {
			out[i] = float32(x)
		}
		return out
	}
	bx1, bx2, bgrid := alloc(P*n), alloc(P*n), alloc(3*K+1)
	y, den, dw, ws := alloc(2*P*B*n), alloc(2*P*B*n), alloc(B*n), alloc(n)
	stats := kernels.IEMStats{Numel: n, B: B, Pairs: P}
	partials, sums, scratch := alloc(3*P*B*stats.Groups()), alloc(3*P*B), alloc(kernels.RowSum{Rows: 3 * P * B}.PartialLen())
	w0, rdw := bx1, bx1
	if opt.Path != nil {
		w0, rdw = alloc(n), alloc(K*n)
	}
	if err != nil {
		r.Abort()
		return nil, err
	}
	upload := func(b *vk.Buffer, v []float32) {
		if err == nil {
			err = r.Upload(b, v)
		}
	}
	var flat1, flat2 []float32
	for i := range x1s {
		flat1, flat2 = append(flat1, f32(x1s[i].Data)...), append(flat2, f32(x2s[i].Data)...)
	}
	upload(bx1, flat1)
	upload(bx2, flat2)
	upload(bgrid, g.Device())
	if opt.Path != nil {
		upload(w0, f32(opt.Path.W0))
		flat := make([]float32, 0, K*n)
		for _, d := range opt.Path.DW {
			flat = append(flat, f32(d)...)
		}
		upload(rdw, flat)
	}
	// out is laid out per batch: [pair][step in batch][quantity].
	out := make([]float32, 3*P*K)
	shape := kernels.Shape{C: x1.C, H: x1.H, W: x1.W}
	for k0 := 0; k0 < K && err == nil; k0 += B {
		b := min(B, K-k0)
		path := kernels.IEMPath{Numel: n, K0: k0, B: b, K: K, Pairs: P, Seed: opt.Seed, Replay: opt.Path != nil}
		if err = path.Record(gpu, r, y, dw, ws, bx1, bx2, bgrid, w0, rdw); err != nil {
			break
		}
		shape.N = 2 * P * b
		if err = m.den.Record(gpu, r, den, y, bgrid, k0, b, shape); err != nil {
			break
		}
		st := kernels.IEMStats{Numel: n, B: b, Pairs: P}
		if err = st.Record(gpu, r, partials, bx1, bx2, den, dw); err != nil {
			break
		}
		if err = (kernels.RowSum{Rows: 3 * P * b, Len: st.Groups()}).Record(gpu, r, sums, partials, scratch); err != nil {
			break
		}
		err = r.Download(sums, out[3*P*k0:3*P*(k0+b)])
	}
	if err != nil {
		r.Abort()
		return nil, err
	}
	timings, err := r.Submit()
	if err != nil {
		return nil, err
	}
	for _, tm := range timings {
		for _, t := range ts {
			t.TotalNs += tm.Ns / float64(P)
			if strings.HasPrefix(tm.Label, "denoise") {
				t.DenoiserNs += tm.Ns / float64(P)
			}
		}
	}
	res := make([][]float64, P)
	for i := range res {
		res[i] = make([]float64, 3*K)
	}
	for k0 := 0; k0 < K; k0 += B {
		b := min(B, K-k0)
		for q := 0; q < P; q++ {
			for j := 0; j < b; j++ {
				for c := 0; c < 3; c++ {
					res[q][3*(k0+j)+c] = float64(out[3*P*k0+3*(q*b+j)+c])
				}
			}
		}
	}
	return res, nil
}
