package metric

import (
	"strings"

	"github.com/vkpercept/vkpercept/kernels"
	"github.com/vkpercept/vkpercept/vk"
)

const defaultIEMBudget = 256 << 20

// iemBatch is how many noise levels one batch holds within the budget: per
// level, 2 noisy and 2 denoised images and one increment field.
func iemBatch(numel, steps int, budget int64) int {
	if budget <= 0 {
		budget = defaultIEMBudget
	}
	b := int(budget / int64(5*4*numel))
	return max(1, min(b, steps))
}

// vulkanSums records every batch of noise levels into one submission and
// reads back only the 3 sums per level.
func (m *IEM) vulkanSums(x1, x2 Tensor64, g kernels.IEMGrid, opt IEMOptions, t *Trajectory) ([]float64, error) {
	n := len(x1.Data)
	K := g.Steps()
	B := iemBatch(n, K, opt.MemoryBudget)
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
	bx1, bx2, bgrid := alloc(n), alloc(n), alloc(3*K+1)
	y, den, dw, ws := alloc(2*B*n), alloc(2*B*n), alloc(B*n), alloc(n)
	stats := kernels.IEMStats{Numel: n, B: B}
	partials, sums, scratch := alloc(3*B*stats.Groups()), alloc(3*B), alloc(kernels.RowSum{Rows: 3 * B}.PartialLen())
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
	upload(bx1, f32(x1.Data))
	upload(bx2, f32(x2.Data))
	upload(bgrid, g.Device())
	if opt.Path != nil {
		upload(w0, f32(opt.Path.W0))
		flat := make([]float32, 0, K*n)
		for _, d := range opt.Path.DW {
			flat = append(flat, f32(d)...)
		}
		upload(rdw, flat)
	}
	out := make([]float32, 3*K)
	shape := kernels.Shape{C: x1.C, H: x1.H, W: x1.W}
	for k0 := 0; k0 < K && err == nil; k0 += B {
		b := min(B, K-k0)
		path := kernels.IEMPath{Numel: n, K0: k0, B: b, K: K, Seed: opt.Seed, Replay: opt.Path != nil}
		if err = path.Record(gpu, r, y, dw, ws, bx1, bx2, bgrid, w0, rdw); err != nil {
			break
		}
		shape.N = 2 * b
		if err = m.den.Record(gpu, r, den, y, bgrid, k0, b, shape); err != nil {
			break
		}
		st := kernels.IEMStats{Numel: n, B: b}
		if err = st.Record(gpu, r, partials, bx1, bx2, den, dw); err != nil {
			break
		}
		if err = (kernels.RowSum{Rows: 3 * b, Len: st.Groups()}).Record(gpu, r, sums, partials, scratch); err != nil {
			break
		}
		err = r.Download(sums, out[3*k0:3*(k0+b)])
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
		t.TotalNs += tm.Ns
		if strings.HasPrefix(tm.Label, "denoise") {
			t.DenoiserNs += tm.Ns
		}
	}
	res := make([]float64, len(out))
	for i, v := range out {
		res[i] = float64(v)
	}
	return res, nil
}
