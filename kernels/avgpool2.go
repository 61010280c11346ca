package kernels

import (
	"fmt"

	"github.com/vkpercept/vkpercept/vk"
)

// AvgPool2 is 2x2 average pooling with stride 2 and floor: the odd last row
// or column is dropped (avg_pool2d(kernel 2, stride 2)).
type AvgPool2 struct{}

// OutSize is the pooled size of an h x w plane.
func (AvgPool2) OutSize(h, w int) (int, int) { return h / 2, w / 2 }

// PoolGeom is n images of c channels, input width W, output rows [Y0, Y1)
// (input rows 2*Y0 .. 2*Y1-1), with the input and output views.
type PoolGeom struct {
	N, C, W int
	Y0, Y1  int
	In, Out View
}

// DenseGeom pools whole dense tensors of n x c x h x w.
func (op AvgPool2) DenseGeom(n, c, h, w int) PoolGeom {
	oh, ow := op.OutSize(h, w)
	return PoolGeom{N: n, C: c, W: w, Y1: oh, In: Dense(c, h, w), Out: Dense(c, oh, ow)}
}

func (op AvgPool2) check(g PoolGeom, out, in int) error {
	if err := g.In.check("avgpool2 input", in, g.N, g.C, 2*g.Y0, 2*g.Y1, g.W); err != nil {
		return err
	}
	return g.Out.check("avgpool2 output", out, g.N, g.C, g.Y0, g.Y1, g.W/2)
}

// Ref pools the geometry's rows.
func (op AvgPool2) Ref(out, in []float32, g PoolGeom) error {
	if err := op.check(g, len(out), len(in)); err != nil {
		return err
	}
	ow := g.W / 2
	ParallelFor(g.N*g.C, func(p int) {
		n, c := p/g.C, p%g.C
		for y := g.Y0; y < g.Y1; y++ {
			s0, s1 := g.In.At(n, c, 2*y, g.W), g.In.At(n, c, 2*y+1, g.W)
			d := g.Out.At(n, c, y, ow)
			for x := 0; x < ow; x++ {
				out[d+x] = ((in[s0+2*x] + in[s0+2*x+1]) + (in[s1+2*x] + in[s1+2*x+1])) * 0.25
			}
		}
	})
	return nil
}

// quads reports whether every input and output row of g starts on a
// multiple of 4 elements and the output rows are whole groups of 4, as the
// _tex shader (texel fetches, vec4 stores) needs.
func (op AvgPool2) quads(g PoolGeom) bool {
	on4 := func(v View) bool { return v.Off%4 == 0 && v.CS%4 == 0 && v.NS%4 == 0 }
	return g.W%4 == 0 && (g.W/2)%4 == 0 && on4(g.In) && on4(g.Out)
}

// Record records the pooling.
func (op AvgPool2) Record(gpu GPU, r *vk.Recorder, out, in *vk.Buffer, g PoolGeom) error {
	if err := op.check(g, floats(out), floats(in)); err != nil {
		return err
	}
	ow, rows := g.W/2, g.Y1-g.Y0
	name, perX := "avgpool2_f32", 1
	if op.quads(g) && in.FitsTexelView() {
		name, perX = "avgpool2_f32_tex", 4
	}
	k, err := gpu.kernel(name)
	if err != nil {
		return err
	}
	push := []uint32{uint32(g.W), uint32(ow), uint32(g.Y0), uint32(rows), uint32(g.C), uint32(g.N)}
	push = append(append(push, g.In.push()...), g.Out.push()...)
	return r.Dispatch(vk.Dispatch{
		Kernel: k,
		Groups: [3]uint32{groups(ow/perX, 16), groups(rows, 16), uint32(g.N * g.C)},
		Push:   push,
		Out:    []*vk.Buffer{out},
		In:     []*vk.Buffer{in},
		Label:  fmt.Sprintf("avgpool2 %dx%d", g.W, 2*rows),
		Flops:  4 * float64(g.N*g.C*rows*ow),
		Bytes:  4 * 5 * float64(g.N*g.C*rows*ow),
	})
}
