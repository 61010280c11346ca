package kernels

import (
	"fmt"

	"github.com/vkpercept/vkpercept/vk"
)

// Conv3x3Pair is two chained 3x3 convolutions in one dispatch: X (ReLU, no
// residual) is evaluated per output tile with a one-pixel halo into shared
// memory and Y reads it from there, so X's activation never reaches device
// memory. X.SrcHalf and Y.OutHalf choose the storage of the sources and of
// the output; X's activation stays fp32.
type Conv3x3Pair struct{ X, Y Conv3x3 }

func (op Conv3x3Pair) valid() error {
	if op.X.Act != ActReLU || op.X.Residual || op.Y.In != [3]int{op.X.Out, 0, 0} {
		return fmt.Errorf("conv3x3 pair: X must be a ReLU layer without residual feeding all of Y, got %+v then %+v", op.X, op.Y)
	}
	if op.X.MathHalf || op.Y.MathHalf {
		return fmt.Errorf("conv3x3 pair: the fused pair computes in fp32 only")
	}
	return nil
}

// Shader is the registry variant for the storage types.
func (op Conv3x3Pair) Shader() string {
	t := map[bool]string{false: "f32", true: "f16"}
	if op.X.SrcHalf == op.Y.OutHalf {
		return "conv3x3_pair_" + t[op.X.SrcHalf]
	}
	return "conv3x3_pair_" + t[op.X.SrcHalf] + "_" + t[op.Y.OutHalf]
}

// midGeom is where X's rows live in Ref's temporary: rows y0-1 .. y1 of the image.
func (op Conv3x3Pair) midGeom(g ConvGeom) (ConvGeom, int, int) {
	lo, hi := max(g.Y0-1, 0), min(g.Y1+1, g.H)
	x := g
	x.Y0, x.Y1, x.Out = lo, hi, Band(op.X.Out, lo, hi, g.W)
	return x, lo, hi
}

// Ref computes X into a temporary band and Y from it: the two layers' references.
func (op Conv3x3Pair) Ref(out []float32, srcs [3][]float32, res, wx, bx, wy, by []float32, g ConvGeom) error {
	if err := op.valid(); err != nil {
		return err
	}
	xg, lo, hi := op.midGeom(g)
	x := op.X
	x.OutHalf = false // the shared tile is fp32
	mid := make([]float32, g.N*op.X.Out*(hi-lo)*g.W)
	if err := x.Ref(mid, srcs, nil, wx, bx, xg); err != nil {
		return err
	}
	y := op.Y
	y.SrcHalf = false
	yg := g
	yg.Src = [3]View{xg.Out}
	return y.Ref(out, [3][]float32{mid}, res, wy, by, yg)
}

// PairWeights are X's weights and Y's in at most two chunks of output
// channels, each in its own uniform buffer.
type PairWeights struct {
	x, y0, y1 *vk.Buffer
	split     int // Y's output channels in y0
	vecs      int
}

// Free releases the device buffers.
func (pw *PairWeights) Free() {
	for _, b := range []*vk.Buffer{pw.x, pw.y0, pw.y1} {
		if b != nil {
			b.Free()
		}
	}
	*pw = PairWeights{}
}

// UploadWeights records the upload of both layers' weights (OIHW) and biases.
func (op Conv3x3Pair) UploadWeights(g GPU, r *vk.Recorder, wx, bx, wy, by []float32) (PairWeights, error) {
	if err := op.valid(); err != nil {
		return PairWeights{}, err
	}
	if len(wx) != op.X.WeightLen() || len(bx) != op.X.Out || len(wy) != op.Y.WeightLen() || len(by) != op.Y.Out {
		return PairWeights{}, fmt.Errorf("conv3x3 pair: weights do not match %d->%d->%d", op.X.Cin(), op.X.Out, op.Y.Out)
	}
	limit := g.uniformBytes()
	pw := PairWeights{vecs: limit / 16, split: op.Y.Out}
	per := op.Y.Cin()*9 + 1
	if 4*per*op.Y.Out > limit {
		pw.split = (op.Y.Out + 1) / 2
	}
	if 4*(len(wx)+len(bx)) > limit || 4*per*pw.split > limit {
		return PairWeights{}, fmt.Errorf("conv3x3 pair: %d->%d->%d weights exceed two %d-byte uniform buffers", op.X.Cin(), op.X.Out, op.Y.Out, limit)
	}
	up := func(dst **vk.Buffer, data []float32) error {
		b, err := g.Ctx.NewBuffer(uint64(4 * max(len(data), 1)))
		if err != nil {
			return err
		}
		*dst = b
		return r.Upload(b, data)
	}
	cy := op.Y.Cin() * 9
	err := up(&pw.x, append(append([]float32{}, wx...), bx...))
	if err == nil {
		err = up(&pw.y0, append(append([]float32{}, wy[:pw.split*cy]...), by[:pw.split]...))
	}
	if err == nil {
		err = up(&pw.y1, append(append([]float32{}, wy[pw.split*cy:]...), by[pw.split:]...))
	}
	if err != nil {
		pw.Free()
		return PairWeights{}, err
	}
	return pw, nil
}

// pairTile is the shader's output tile (TW x TH).
const pairTileW, pairTileH = 16, 8

// Record records the pair; unused sources and res may be nil.
func (op Conv3x3Pair) Record(g GPU, r *vk.Recorder, out *vk.Buffer, srcs [3]*vk.Buffer, res *vk.Buffer, pw PairWeights, geo ConvGeom) error {
	if err := op.valid(); err != nil {
		return err
	}
	if pw.x == nil {
		return fmt.Errorf("conv3x3 pair: no weights uploaded")
	}
	// The output and residual are Y's; the sources are X's, with one more row of halo.
	xg, _, _ := op.midGeom(geo)
	sizes := [3]int{}
	for i := range srcs {
		sizes[i] = elems(srcs[i], op.X.SrcHalf)
	}
	if err := op.X.check(xg, 1<<62, sizes, 0); err != nil {
		return err
	}
	if err := op.Y.check(geo, elems(out, op.Y.OutHalf), [3]int{1 << 62}, floats(res)); err != nil {
		return err
	}
	k, err := g.kernel(op.Shader(), uint32(op.X.Out), uint32(op.Y.Out), uint32(pw.vecs))
	if err != nil {
		return err
	}
	in := []*vk.Buffer{pw.x, pw.y0, pw.y1, srcs[0], srcs[1], srcs[2], res}
	for i := range in {
		if in[i] == nil {
			in[i] = srcs[0]
		}
	}
	useRes := uint32(0)
	if op.Y.Residual {
		useRes = 1
	}
	rows := geo.Y1 - geo.Y0
	push := []uint32{uint32(geo.W), uint32(geo.H), uint32(geo.N), uint32(op.X.In[0]), uint32(op.X.In[1]), uint32(op.X.In[2]),
		uint32(op.X.WeightLen()), uint32(pw.split), uint32(pw.split * op.Y.Cin() * 9), uint32((op.Y.Out - pw.split) * op.Y.Cin() * 9),
		uint32(op.Y.Act), useRes, uint32(geo.Y0), uint32(rows)}
	for _, v := range []View{geo.Src[0], geo.Src[1], geo.Src[2], geo.Out, geo.Res} {
		push = append(push, v.push()...)
	}
	px := float64(geo.N * rows * geo.W)
	tiles := float64(geo.N) * float64(groups(geo.W, pairTileW)*groups(rows, pairTileH))
	midPx := tiles * (pairTileW + 2) * (pairTileH + 2) // X evaluated with the halo, per tile
	inF, outF := float64(op.X.Cin())*px*(float64(rows+4)/float64(rows)), float64(op.Y.Out)*px
	if op.X.SrcHalf {
		inF /= 2
	}
	if op.Y.OutHalf {
		outF /= 2
	}
	return r.Dispatch(vk.Dispatch{
		Kernel: k,
		Groups: [3]uint32{groups(geo.W, pairTileW), groups(rows, pairTileH), uint32(geo.N)},
		Push:   push,
		Out:    []*vk.Buffer{out},
		In:     in,
		Label:  fmt.Sprintf("conv3x3 pair %d->%d->%d", op.X.Cin(), op.X.Out, op.Y.Out),
		Flops:  2*9*float64(op.X.Cin()*op.X.Out)*midPx + 2*9*float64(op.Y.Cin()*op.Y.Out)*px,
		Bytes:  4*(inF+outF) + 4*float64(op.X.WeightLen()+op.Y.WeightLen()),
	})
}
