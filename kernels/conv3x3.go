package kernels

import (
	"fmt"

	"github.com/vkpercept/vkpercept/vk"
)

// Conv3x3 is a 3x3 convolution, stride 1, zero padding 1, over the channel
// concatenation of up to three sources, with bias, a fused activation and an
// optional residual (same shape as the output) added after the activation.
type Conv3x3 struct {
	In       [3]int // channels taken from each source; unused sources have 0
	Out      int
	Act      Act
	Residual bool
	// SrcHalf and OutHalf store the sources and the output as binary16
	// (16-bit storage buffers); the arithmetic stays fp32. The residual and
	// the weights are always fp32.
	SrcHalf, OutHalf bool
	// MathHalf computes each input channel's nine taps in binary16 (the
	// device needs shaderFloat16) and sums the channels in fp32. Registered
	// for the storage combinations MILO's fp16 pass uses: f32->f16, f16->f16
	// and f16->f32. The reference multiplies the binary16-rounded inputs and
	// weights exactly; the device's binary16 rounding of the nine-tap sums is
	// what a test's tolerance must allow.
	MathHalf bool
	// MMA computes the layer as an implicit GEMM on binary16 matrix tiles
	// (conv3x3_mma.comp; natively of the device's shape, vk.Features
	// MatrixTile): binary16 inputs and weights, fp32 sums.
	MMA MMA
	// Split, for the matrix-tile kernels, gives the layer fp32 accuracy:
	// each input value and weight enters as the sum of two binary16 values,
	// three products a term, three times the input channels (padded to 16,
	// so a 7-channel layer costs two tiles' depth instead of one). For MILO's
	// first layer, where binary16 inputs and weights moved the scores by up
	// to 1e-3 relative (and by 1e-2 with weights whose ref and dist halves
	// nearly cancel). Float32 sources only (SrcHalf false). The direct
	// kernels compute in fp32; they ignore it.
	Split bool
	// SubgroupTiles, for MMANative, is how many tiles of pixels one
	// subgroup computes (1 to 4, dividing the workgroup's 64 pixels); zero
	// lets the device choose (mmaSubgroupTiles).
	SubgroupTiles int
	// Tile is the register tile of one invocation of the scalar kernel; the
	// zero value lets the device choose (tile).
	Tile ConvTile
}

// ConvTile is what one invocation of conv3x3.comp computes: convPX pixels of
// a row, for Rows rows (the shader's PY) and Channels output channels (OCB).
// Rotate loads each weight of 8 channels in one load, one per lane, and
// shuffles it round the lanes (the _rot shaders; subgroups of 8 or more
// lanes with shuffles, not with MathHalf); it applies where the block is a
// multiple of 8 channels.
type ConvTile struct {
	Channels, Rows int
	Rotate         bool
}

// Shader is the registry variant for the storage types and arithmetic.
func (op Conv3x3) Shader() string {
	t := map[bool]string{false: "f32", true: "f16"}
	if op.MMA != MMAOff {
		return op.mmaShader()
	}
	name := "conv3x3_" + t[op.SrcHalf] + "_" + t[op.OutHalf]
	if op.SrcHalf == op.OutHalf {
		name = "conv3x3_" + t[op.SrcHalf]
	}
	if op.MathHalf {
		name += "_h"
	}
	return name
}

// ConvGeom says which output rows a convolution computes and where its
// tensors lie. The image is H x W (rows outside [0, H) are the zero padding);
// rows [Y0, Y1) are computed, so the sources must hold rows Y0-1 .. Y1 that
// are inside the image.
type ConvGeom struct {
	N, H, W int
	Y0, Y1  int
	Src     [3]View
	Res     View
	Out     View
}

// DenseGeom is the whole-image geometry of op on n dense tensors of h x w.
func (op Conv3x3) DenseGeom(n, h, w int) ConvGeom {
	g := ConvGeom{N: n, H: h, W: w, Y1: h, Res: Dense(op.Out, h, w), Out: Dense(op.Out, h, w)}
	for i, c := range op.In {
		g.Src[i] = Dense(c, h, w)
	}
	return g
}

// Cin is the total number of input channels.
func (op Conv3x3) Cin() int { return op.In[0] + op.In[1] + op.In[2] }

// WeightLen is the OIHW weight count.
func (op Conv3x3) WeightLen() int { return op.Out * op.Cin() * 9 }

// check validates the geometry against the buffer sizes (in floats; res < 0
// when there is no residual).
func (op Conv3x3) check(g ConvGeom, out int, srcs [3]int, res int) error {
	if g.Y0 < 0 || g.Y1 > g.H || g.W < 1 {
		return fmt.Errorf("conv3x3: rows %d..%d of an image %d high", g.Y0, g.Y1, g.H)
	}
	lo, hi := max(g.Y0-1, 0), min(g.Y1+1, g.H)
	for i, c := range op.In {
		if err := g.Src[i].check(fmt.Sprintf("conv3x3 source %d", i), srcs[i], g.N, c, lo, hi, g.W); err != nil {
			return err
		}
	}
	if op.Residual {
		if err := g.Res.check("conv3x3 residual", res, g.N, op.Out, g.Y0, g.Y1, g.W); err != nil {
			return err
		}
	}
	return g.Out.check("conv3x3 output", out, g.N, op.Out, g.Y0, g.Y1, g.W)
}

// Ref computes the geometry's rows of out from srcs, weights (OIHW) and bias.
func (op Conv3x3) Ref(out []float32, srcs [3][]float32, res, weights, bias []float32, g ConvGeom) error {
	cin := op.Cin()
	if len(weights) != op.WeightLen() || len(bias) != op.Out {
		return fmt.Errorf("conv3x3: %d weights and %d biases for %d->%d channels", len(weights), len(bias), cin, op.Out)
	}
	if err := op.check(g, len(out), [3]int{len(srcs[0]), len(srcs[1]), len(srcs[2])}, len(res)); err != nil {
		return err
	}
	store := func(v float32) float32 { return v }
	if op.OutHalf {
		store = RoundHalf
	}
	roundIn := op.MathHalf || op.MMA != MMAOff
	if roundIn {
		// The device multiplies binary16 weights; the inputs are rounded per row below.
		half := make([]float32, len(weights))
		for i, v := range weights {
			half[i] = RoundHalf(v)
		}
		weights = half
	}
	rows, w := g.Y1-g.Y0, g.W
	// One task per (image, output channel, row): the row accumulator stays in cache.
	ParallelFor(g.N*op.Out*rows, func(t int) {
		y := g.Y0 + t%rows
		oc := (t / rows) % op.Out
		b := t / (rows * op.Out)
		acc := make([]float64, w)
		for x := range acc {
			acc[x] = float64(bias[oc])
		}
		var row []float32
		if roundIn {
			row = make([]float32, w)
		}
		icBase := 0
		for s := 0; s < 3; s++ {
			for ic := 0; ic < op.In[s]; ic++ {
				wk := weights[(oc*cin+icBase+ic)*9 : (oc*cin+icBase+ic)*9+9]
				for ky := 0; ky < 3; ky++ {
					yy := y + ky - 1
					if yy < 0 || yy >= g.H {
						continue
					}
					i := g.Src[s].At(b, ic, yy, w)
					src := srcs[s][i : i+w]
					if roundIn {
						for x, v := range src {
							row[x] = RoundHalf(v)
						}
						src = row
					}
					convRow(acc, src, float64(wk[ky*3]), float64(wk[ky*3+1]), float64(wk[ky*3+2]))
				}
			}
			icBase += op.In[s]
		}
		oi, ri := g.Out.At(b, oc, y, w), g.Res.At(b, oc, y, w)
		for x, v64 := range acc {
			v := op.Act.Apply(float32(v64))
			if op.Residual {
				v += res[ri+x]
			}
			out[oi+x] = store(v)
		}
	})
	return nil
}

// convRow adds the three horizontal taps of one kernel row to acc, with zero
// padding. The reference accumulates in float64 so that it is a better oracle
// than the float32 device kernels it checks.
func convRow(acc []float64, row []float32, w0, w1, w2 float64) {
	n := len(acc)
	row = row[:n]
	if n == 1 {
		acc[0] += w1 * float64(row[0])
		return
	}
	acc[0] += w1*float64(row[0]) + w2*float64(row[1])
	for x := 1; x < n-1; x++ {
		acc[x] += w0*float64(row[x-1]) + w1*float64(row[x]) + w2*float64(row[x+1])
	}
	acc[n-1] += w0*float64(row[n-2]) + w1*float64(row[n-1])
}

// viewPush is the push-constant tail of the convolution shaders: the views
// of the three sources, the output and the residual.
func (geo ConvGeom) viewPush() []uint32 {
	var push []uint32
	for _, v := range []View{geo.Src[0], geo.Src[1], geo.Src[2], geo.Out, geo.Res} {
		push = append(push, v.push()...)
	}
	return push
}

// traffic is a dispatch's pixels and its compulsory traffic in float32
// units: the sources with their halo rows and ocs output channels.
func (op Conv3x3) traffic(geo ConvGeom, ocs int) (px, inF, outF float64) {
	rows := geo.Y1 - geo.Y0
	px = float64(geo.N * rows * geo.W)
	inF, outF = float64(op.Cin())*px*(float64(rows+2)/float64(rows)), float64(ocs)*px
	if op.SrcHalf {
		inF /= 2
	}
	if op.OutHalf {
		outF /= 2
	}
	return px, inF, outF
}

// convPX is the pixels along x one invocation computes (the shader's PX).
const convPX = 8

// tile is the invocation's register tile: Tile where set, else by device.
// CPU drivers get 16 channels by 2 rows, rotated where they can: llvmpipe
// runs one invocation per SIMD lane, so every load the shader issues costs a
// scalar load per lane, and a larger tile serves more multiply-adds per load
// (the 1080p pass's two big convolutions run 1.8x faster on lavapipe than
// with 8 by 1, and rotation gains 1.1-1.2x more; the pipelines take seconds
// longer to compile, once per machine with Mesa's shader cache). GPUs get 8
// by 1, which keeps the tile at 64 sums in registers.
func (op Conv3x3) tile(g GPU) (ConvTile, error) {
	info := g.Ctx.Info()
	canRotate := rotates(g) && !op.MathHalf
	t := op.Tile
	if t == (ConvTile{}) {
		t = ConvTile{Channels: 8, Rows: 1}
		if info.Type == "cpu" {
			t = ConvTile{Channels: 16, Rows: 2, Rotate: canRotate}
		}
	}
	// Past these the unrolled shader grows beyond what compiles in seconds.
	if t.Channels < 1 || t.Channels > 32 || t.Rows < 1 || t.Rows > 4 {
		return t, fmt.Errorf("conv3x3: register tile of %d channels by %d rows (1..32 by 1..4)", t.Channels, t.Rows)
	}
	if t.Rotate && !canRotate {
		return t, fmt.Errorf("conv3x3: rotated weights need subgroup shuffles in subgroups of 8 or more lanes, shaderInt64 and fp32 arithmetic (%s: %d lanes, shuffles %v, shaderInt64 %v)",
			info.Name, info.Limits.SubgroupSize, info.Features.SubgroupShuffle, info.Features.ShaderInt64)
	}
	t.Channels = min(t.Channels, op.Out)
	t.Rotate = t.Rotate && t.Channels%8 == 0
	return t, nil
}

// variant is the registered shader that runs op with tile on geo.
func (op Conv3x3) variant(tile ConvTile, geo ConvGeom, srcs [3]*vk.Buffer) string {
	name := op.Shader()
	tex := op.quadRows(geo) && op.texelSources(srcs)
	if !tile.Rotate {
		// Texel fetches serve tiles of several rows (CPU drivers'); GPUs'
		// single-row tiles read single elements.
		if tile.Rows > 1 && !op.MathHalf && tex {
			return name + "_tex"
		}
		return name
	}
	// Texel fetches where the rows allow (each is vector code on llvmpipe),
	// else 64-bit words, else single elements.
	switch {
	case tex:
		return name + "_rot_tex"
	case op.wordRows(geo):
		return name + "_rot_w64"
	}
	return name + "_rot"
}

// wordRows reports whether every source and output row of geo starts on a
// 64-bit word (two fp32 or four binary16 elements), as the _w64 shaders need.
func (op Conv3x3) wordRows(geo ConvGeom) bool {
	return op.rowsOn(geo, wordElems(op.SrcHalf), wordElems(op.OutHalf))
}

// quadRows reports whether every source row of geo starts on a 128-bit
// texel (four fp32 or eight binary16 elements) and every output row on a
// multiple of 8 elements (one invocation's row of outputs, stored at once),
// as the _tex shaders need.
func (op Conv3x3) quadRows(geo ConvGeom) bool {
	return op.rowsOn(geo, 2*wordElems(op.SrcHalf), convPX)
}

func wordElems(half bool) int {
	if half {
		return 4
	}
	return 2
}

// rowsOn reports whether every source row of geo starts on a multiple of
// src elements and every output row on one of out elements.
func (op Conv3x3) rowsOn(geo ConvGeom, src, out int) bool {
	on := func(v View, e int) bool {
		return geo.W%e == 0 && v.Off%e == 0 && v.CS%e == 0 && v.NS%e == 0
	}
	for i, c := range op.In {
		if c > 0 && !on(geo.Src[i], src) {
			return false
		}
	}
	return on(geo.Out, out)
}

// texelSources reports whether one texel view covers each source buffer.
func (op Conv3x3) texelSources(srcs [3]*vk.Buffer) bool {
	for i, c := range op.In {
		if c > 0 && !srcs[i].FitsTexelView() {
			return false
		}
	}
	return true
}

// convGroupRows is the rows of invocations in a workgroup of conv3x3.comp
// (8 wide): 8 on GPUs; 2 on CPU drivers, where smaller workgroups gave the
// big convolutions 1.05-1.07x better best times on lavapipe (best of 3-4
// interleaved runs; 1 row did as well as 2; within the VM's noise at the
// pass level).
func convGroupRows(g GPU) int {
	if g.Ctx.Info().Type == "cpu" {
		return 2
	}
	return 8
}

// rotates reports whether the device runs the rotated-weight shaders:
// subgroup shuffles in subgroups of 8 or more lanes, and 64-bit integers
// for their two-at-a-time loads.
func rotates(g GPU) bool {
	info := g.Ctx.Info()
	return info.Features.SubgroupShuffle && info.Limits.SubgroupSize >= 8 && info.Features.ShaderInt64
}

// ConvWeights are one layer's weights and biases on the device, split by
// output channel into chunks that each fit a uniform buffer.
type ConvWeights struct {
	chunks []convChunk
	vecs   int // the shader's uniform block size in vec4s
	ks     int // floats per output and input channel's nine weights
	mma    mmaWeights
}

type convChunk struct {
	buf      *vk.Buffer
	oc0, ocs int
}

// Free releases the device buffers.
func (cw *ConvWeights) Free() {
	for _, c := range cw.chunks {
		c.buf.Free()
	}
	cw.chunks = nil
	cw.mma.free()
}

// UploadWeights records the upload of weights (OIHW) and bias for op, in
// chunks of whole invocation blocks of output channels.
func (op Conv3x3) UploadWeights(g GPU, r *vk.Recorder, weights, bias []float32) (ConvWeights, error) {
	cin := op.Cin()
	if len(weights) != op.WeightLen() || len(bias) != op.Out {
		return ConvWeights{}, fmt.Errorf("conv3x3: %d weights and %d biases for %d->%d channels", len(weights), len(bias), cin, op.Out)
	}
	tile, err := op.tile(g)
	if err != nil {
		return ConvWeights{}, err
	}
	// The rotated shaders read each nine weights padded to ten, two at a
	// time; on devices that can run them every variant reads that layout, so
	// that one upload serves the binary16-arithmetic ones too.
	ks := 9
	if rotates(g) {
		ks = 10
	}
	limit := g.uniformBytes()
	per := cin*ks + 1
	ocs := limit / 4 / per
	if ocs >= tile.Channels {
		ocs -= ocs % tile.Channels
	}
	if ocs < 1 {
		return ConvWeights{}, fmt.Errorf("conv3x3: one output channel of %d inputs needs %d bytes, uniform buffers hold %d", cin, 4*per, limit)
	}
	cw := ConvWeights{vecs: limit / 16, ks: ks}
	for oc0 := 0; oc0 < op.Out; oc0 += ocs {
		n := min(ocs, op.Out-oc0)
		data := make([]float32, 0, n*cin*ks+n)
		pad := make([]float32, ks-9)
		for g := oc0 * cin; g < (oc0+n)*cin; g++ {
			data = append(append(data, weights[g*9:g*9+9]...), pad...)
		}
		data = append(data, bias[oc0:oc0+n]...)
		buf, err := g.Ctx.NewBuffer(uint64(4 * len(data)))
		if err != nil {
			cw.Free()
			return ConvWeights{}, err
		}
		cw.chunks = append(cw.chunks, convChunk{buf: buf, oc0: oc0, ocs: n})
		if err := r.Upload(buf, data); err != nil {
			cw.Free()
			return ConvWeights{}, err
		}
	}
	if g.Ctx.Info().Features.Storage16Bit {
		// The packed binary16 copy for the MMA variants (a few KB a layer).
		if cw.mma, err = op.uploadMMA(g, r, weights, bias); err != nil {
			cw.Free()
			return ConvWeights{}, err
		}
	}
	return cw, nil
}

// Record records the convolution with weights from UploadWeights (one
// dispatch per chunk); unused sources and res may be nil.
func (op Conv3x3) Record(g GPU, r *vk.Recorder, out *vk.Buffer, srcs [3]*vk.Buffer, res *vk.Buffer, cw ConvWeights, geo ConvGeom) error {
	sizes := [3]int{}
	for i := range srcs {
		sizes[i] = elems(srcs[i], op.SrcHalf)
	}
	if err := op.check(geo, elems(out, op.OutHalf), sizes, floats(res)); err != nil {
		return err
	}
	if len(cw.chunks) == 0 {
		return fmt.Errorf("conv3x3: no weights uploaded")
	}
	if op.MMA != MMAOff {
		return op.recordMMA(g, r, out, srcs, res, cw.mma, geo)
	}
	if op.MathHalf && !g.Ctx.Info().Features.ShaderFloat16 {
		return fmt.Errorf("conv3x3: binary16 arithmetic needs shaderFloat16, which %s lacks", g.Ctx.Info().Name)
	}
	tile, err := op.tile(g)
	if err != nil {
		return err
	}
	if tile.Rotate && cw.ks != 10 {
		return fmt.Errorf("conv3x3: rotated weights need the padded layout; these were uploaded with %d per channel", cw.ks)
	}
	ocb := tile.Channels
	name := op.variant(tile, geo, srcs)
	useRes := uint32(0)
	if op.Residual {
		useRes = 1
	}
	wgy := convGroupRows(g)
	k, err := g.kernel(name, uint32(ocb), convPX, uint32(cw.vecs), uint32(tile.Rows), uint32(cw.ks), uint32(op.Act), useRes, uint32(wgy))
	if err != nil {
		return err
	}
	rows := geo.Y1 - geo.Y0
	arith := vk.ArithFP32
	if op.MathHalf {
		arith = vk.ArithFP16
	}
	for _, c := range cw.chunks {
		// Unused bindings still need a valid buffer: bind the first source.
		in := []*vk.Buffer{c.buf, srcs[0], srcs[1], srcs[2], res}
		for i := range in {
			if in[i] == nil {
				in[i] = srcs[0]
			}
		}
		push := []uint32{uint32(geo.W), uint32(geo.H), uint32(geo.N), uint32(op.In[0]), uint32(op.In[1]), uint32(op.In[2]),
			uint32(c.ocs), uint32(c.oc0), uint32(c.ocs * op.Cin() * cw.ks), uint32(geo.Y0), uint32(rows)}
		push = append(push, geo.viewPush()...)
		blocks := (c.ocs + ocb - 1) / ocb
		px, inF, outF := op.traffic(geo, c.ocs)
		if err := r.Dispatch(vk.Dispatch{
			Kernel: k,
			Groups: [3]uint32{groups(geo.W, 8*convPX) * uint32(blocks), groups(rows, wgy*tile.Rows), uint32(geo.N)},
			Push:   push,
			Out:    []*vk.Buffer{out},
			In:     in,
			Label:  fmt.Sprintf("conv3x3 %d->%d", op.Cin(), op.Out),
			Flops:  2 * 9 * float64(op.Cin()*c.ocs) * px,
			Bytes:  4 * (inF + outF + float64(c.ocs*(op.Cin()*9+1))),
			Arith:  arith,
		}); err != nil {
			return err
		}
	}
	return nil
}
