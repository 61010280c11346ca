package metric

import (
	"github.com/vkpercept/vkpercept/kernels"
	"github.com/vkpercept/vkpercept/vk"
)

// vkEngine records the graph into one command buffer. Buffers come from the
// context's pool and go back as soon as the graph is done with them; the
// recorder's hazard tracking puts a barrier before any reuse.
type vkEngine struct {
	g       kernels.GPU
	r       *vk.Recorder
	weights *vk.Buffer
	maskOff [5][2]int
	sOff    kernels.ScalerOffsets
	held    []*vk.Buffer // in acquisition order, so releases are deterministic
}

func (e *vkEngine) alloc(floats int) (*vk.Buffer, error) {
	b, err := e.g.Ctx.Acquire(uint64(4 * max(floats, 1)))
	if err != nil {
		return nil, err
	}
	e.held = append(e.held, b)
	return b, nil
}

func (e *vkEngine) free(b *vk.Buffer) {
	for i, h := range e.held {
		if h == b {
			e.held = append(e.held[:i], e.held[i+1:]...)
			e.g.Ctx.Release(b)
			return
		}
	}
}

// releaseAll returns whatever the graph still holds (after submit or on error).
func (e *vkEngine) releaseAll() {
	e.g.Ctx.Release(e.held...)
	e.held = e.held[:0]
}

func (e *vkEngine) input(data []float32, s kernels.Shape) (*vk.Buffer, error) {
	b, err := e.alloc(s.Len())
	if err != nil {
		return nil, err
	}
	return b, e.r.Upload(b, data)
}

func (e *vkEngine) zeros(s kernels.Shape) (*vk.Buffer, error) {
	b, err := e.alloc(s.Len())
	if err != nil {
		return nil, err
	}
	return b, e.r.Fill(b, s.Bytes(), 0)
}

func (e *vkEngine) pool(src *vk.Buffer, s kernels.Shape) (*vk.Buffer, error) {
	oh, ow := kernels.AvgPool2{}.OutSize(s.H, s.W)
	out, err := e.alloc(s.N * s.C * oh * ow)
	if err != nil {
		return nil, err
	}
	return out, kernels.AvgPool2{}.Record(e.g, e.r, out, src, s.N*s.C, s.H, s.W)
}

func (e *vkEngine) upsample(src *vk.Buffer, s kernels.Shape, oh, ow int) (*vk.Buffer, error) {
	out, err := e.alloc(s.N * s.C * oh * ow)
	if err != nil {
		return nil, err
	}
	return out, kernels.Upsample2{}.Record(e.g, e.r, out, src, s.N*s.C, s.H, s.W, oh, ow)
}

func (e *vkEngine) conv(op kernels.Conv3x3, layer int, srcs [3]*vk.Buffer, res *vk.Buffer, n, h, w int) (*vk.Buffer, error) {
	out, err := e.alloc(n * op.Out * h * w)
	if err != nil {
		return nil, err
	}
	if !op.Residual {
		res = nil
	}
	off := e.maskOff[layer]
	return out, op.Record(e.g, e.r, out, srcs, res, e.weights, off[0], off[1], n, h, w)
}

func (e *vkEngine) maskdiff(ref, dist, mask *vk.Buffer, n, c, plane int) (*vk.Buffer, error) {
	out, err := e.alloc(n * plane)
	if err != nil {
		return nil, err
	}
	return out, kernels.MaskDiff{Channels: c}.Record(e.g, e.r, out, ref, dist, mask, n, plane)
}

func (e *vkEngine) scaler(src *vk.Buffer, op kernels.Scaler, count int) (*vk.Buffer, error) {
	out, err := e.alloc(count)
	if err != nil {
		return nil, err
	}
	return out, op.Record(e.g, e.r, out, src, e.weights, e.sOff, count)
}

func (e *vkEngine) mean(src *vk.Buffer, rows, length int) (*vk.Buffer, error) {
	op := kernels.Mean{Rows: rows, Len: length}
	part, err := e.alloc(op.PartialLen())
	if err != nil {
		return nil, err
	}
	out, err := e.alloc(rows)
	if err != nil {
		return nil, err
	}
	err = op.Record(e.g, e.r, out, src, part)
	e.free(part)
	return out, err
}

func (e *vkEngine) read(src *vk.Buffer, dst []float32) error { return e.r.Download(src, dst) }
