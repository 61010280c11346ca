package kernels

import (
	"fmt"

	"github.com/vkpercept/vkpercept/vk"
)

// TileProductsExact reports whether the device's native matrix tiles form
// the products of binary16 values exactly before summing them in fp32, as
// tensor cores do, rather than rounding each product to binary16 (as
// lavapipe 26 does): only then does Conv3x3.Split reach fp32 accuracy. It
// runs one 1x1 convolution of x = w = 1 + 2^-10, whose product
// 1 + 2^-9 + 2^-20 binary16 cannot hold; a result that is neither that nor
// its binary16 rounding is an error.
func TileProductsExact(g GPU) (bool, error) {
	if !g.Ctx.Info().Features.MatrixTiles {
		return false, fmt.Errorf("tile products: %s has no matrix tiles", g.Ctx.Info().Name)
	}
	const v = float32(1 + 1.0/1024)
	exact, rounded := float32(float64(v)*float64(v)), RoundHalf(v*v)
	op := Conv3x3{In: [3]int{1, 0, 0}, Out: 1, MMA: MMANative}
	weights := make([]float32, 9)
	weights[4] = v // the centre tap: the others fall on the zero padding
	bufs := make([]*vk.Buffer, 0, 2)
	defer func() { g.Ctx.Release(bufs...) }()
	for range 2 {
		b, err := g.Ctx.Acquire(16)
		if err != nil {
			return false, err
		}
		bufs = append(bufs, b)
	}
	src, out := bufs[0], bufs[1]
	r, err := g.Ctx.Begin(false)
	if err != nil {
		return false, err
	}
	cw, err := op.UploadWeights(g, r, weights, []float32{0})
	if err != nil {
		r.Abort()
		return false, err
	}
	defer cw.Free()
	got := []float32{-1}
	if err = r.Upload(src, []float32{v}); err == nil {
		if err = op.Record(g, r, out, [3]*vk.Buffer{src}, nil, cw, op.DenseGeom(1, 1, 1)); err == nil {
			err = r.Download(out, got)
		}
	}
	if err != nil {
		r.Abort()
		return false, err
	}
	if _, err := r.Submit(); err != nil {
		return false, err
	}
	switch got[0] {
	case exact:
		return true, nil
	case rounded:
		return false, nil
	}
	return false, fmt.Errorf("tile products: (1+2^-10)^2 came out %.9g, neither %.9g nor its binary16 rounding %.9g", got[0], exact, rounded)
}
