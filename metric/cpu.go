package metric

import (
	"github.com/vkpercept/vkpercept/kernels"
)

// cpuEngine runs the graph with the pure-Go reference kernels.
type cpuEngine struct {
	w *Weights
}

func (cpuEngine) input(data []float32, _ kernels.Shape) ([]float32, error) { return data, nil }

func (cpuEngine) zeros(s kernels.Shape) ([]float32, error) { return make([]float32, s.Len()), nil }

func (cpuEngine) pool(src []float32, s kernels.Shape) ([]float32, error) {
	oh, ow := kernels.AvgPool2{}.OutSize(s.H, s.W)
	out := make([]float32, s.N*s.C*oh*ow)
	return out, kernels.AvgPool2{}.Ref(out, src, s.N*s.C, s.H, s.W)
}

func (cpuEngine) upsample(src []float32, s kernels.Shape, oh, ow int) ([]float32, error) {
	out := make([]float32, s.N*s.C*oh*ow)
	return out, kernels.Upsample2{}.Ref(out, src, s.N*s.C, s.H, s.W, oh, ow)
}

func (e cpuEngine) conv(op kernels.Conv3x3, layer int, srcs [3][]float32, res []float32, n, h, w int) ([]float32, error) {
	out := make([]float32, n*op.Out*h*w)
	l := e.w.Mask[layer]
	return out, op.Ref(out, srcs, res, l.W, l.B, n, h, w)
}

func (cpuEngine) maskdiff(ref, dist, mask []float32, n, c, plane int) ([]float32, error) {
	out := make([]float32, n*plane)
	return out, kernels.MaskDiff{Channels: c}.Ref(out, ref, dist, mask, n, plane)
}

func (e cpuEngine) scaler(src []float32, op kernels.Scaler, count int) ([]float32, error) {
	out := make([]float32, count)
	return out, op.Ref(out, src[:count], e.w.Scaler)
}

func (cpuEngine) mean(src []float32, rows, length int) ([]float32, error) {
	out := make([]float32, rows)
	return out, kernels.Mean{Rows: rows, Len: length}.Ref(out, src)
}

func (cpuEngine) read(src, dst []float32) error {
	copy(dst, src)
	return nil
}

func (cpuEngine) free([]float32) {}
