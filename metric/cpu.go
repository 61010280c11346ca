package metric

import (
	"fmt"
	"unsafe"

	"github.com/vkpercept/vkpercept/kernels"
)

// cpuBackend runs a pass with the pure-Go reference kernels.
type cpuBackend struct{ w *Weights }

func (cpuBackend) alloc(floats int) ([]float32, error) { return make([]float32, floats), nil }

// input uses the caller's slice in place: the CPU reads host memory anyway.
func (cpuBackend) input(data []float32, _ bool) ([]float32, bool, error) { return data, true, nil }

func (cpuBackend) unpack([]float32, int, kernels.UnpackFrame) error {
	return fmt.Errorf("milo: the CPU backend reads its inputs whole")
}

func (cpuBackend) zero(t []float32, floats int) error {
	clear(t[:floats])
	return nil
}

func (cpuBackend) pool(dst, src []float32, g kernels.PoolGeom) error {
	return kernels.AvgPool2{}.Ref(dst, src, g)
}

func (cpuBackend) upsample(dst, src []float32, g kernels.UpGeom) error {
	return kernels.Upsample2{}.Ref(dst, src, g)
}

func (b cpuBackend) conv(op kernels.Conv3x3, layer int, out []float32, srcs [3][]float32, res []float32, g kernels.ConvGeom) error {
	l := b.w.Mask[layer]
	return op.Ref(out, srcs, res, l.W, l.B, g)
}

func (b cpuBackend) tail(op kernels.MiloTail, d, q, parts, ref, dist, mask []float32, g kernels.TailGeom) error {
	return op.Ref(d, q, parts, ref, dist, mask, b.w.Scaler, g)
}

func (b cpuBackend) final(op kernels.MiloFinal, out, parts []float32, n int) error {
	return op.Ref(out, parts, b.w.Scaler, n)
}

func (cpuBackend) hist(op kernels.MapHist, h, q []float32, g kernels.HistGeom) error {
	return op.Ref(wordsOf(h), q, g)
}

// wordsOf is f's memory as uint32 words: the histogram's counts live in
// float buffers, as every buffer of a pass does, and are read back as bits.
func wordsOf(f []float32) []uint32 {
	return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(f))), len(f))
}

func (cpuBackend) read(src []float32, off int, dst []float32) error {
	copy(dst, src[off:off+len(dst)])
	return nil
}

func (b cpuBackend) pair(op kernels.Conv3x3Pair, layer int, out []float32, srcs [3][]float32, res []float32, g kernels.ConvGeom) error {
	x, y := b.w.Mask[layer], b.w.Mask[layer+1]
	return op.Ref(out, srcs, res, x.W, x.B, y.W, y.B, g)
}
