package kernels

import (
	"fmt"

	"github.com/vkpercept/vkpercept/vk"
)

// MMA selects how a Conv3x3 runs on matrix tiles.
type MMA int

const (
	// MMAOff is the direct convolution (conv3x3.comp).
	MMAOff MMA = iota
	// MMAEmulated runs the tiled GEMM with scalar arithmetic: any device with
	// 16-bit storage. It is how the tiling, packing and epilogue that the
	// native variant shares are tested where no tensor cores exist.
	MMAEmulated
	// MMANative multiplies the tiles with VK_KHR_cooperative_matrix (tiles
	// of the shape the device offers) or, where a driver has only that,
	// VK_NV_cooperative_matrix; the device must report
	// vk.Features.MatrixTiles.
	MMANative
)

// mmaTile is what channels are padded to, the emulation's tile edge and
// the largest native side; mmaPixels the pixels of one workgroup.
const mmaTile, mmaPixels = 16, 64

// mmaBase is the emulated variant's name, which the native ones extend.
func (op Conv3x3) mmaBase() string {
	t := map[bool]string{false: "f32", true: "f16"}
	if op.SrcHalf == op.OutHalf {
		return "conv3x3_mma_" + t[op.SrcHalf]
	}
	return "conv3x3_mma_" + t[op.SrcHalf] + "_" + t[op.OutHalf]
}

// mmaShader is the variant's name; native tiles depend on the device
// (mmaNative picks _khr or _nv), so Shader names them _native.
func (op Conv3x3) mmaShader() string {
	if op.MMA == MMANative {
		return op.mmaBase() + "_native"
	}
	return op.mmaBase()
}

// mmaSubgroupTiles is how many tiles of pixels a subgroup computes unless
// an op says otherwise: two, so that each weight tile it loads serves two
// products (on a GPU, a 16x16 binary16 B tile costs about as many cycles to
// load as two 16x16x16 products take).
const mmaSubgroupTiles = 2

// Test hooks. forceTile, when set, replaces the device's tile shape: the
// tests run shapes lavapipe computes but does not list. idleSubgroups are
// added to a workgroup with no tiles of their own, as where a driver runs
// smaller subgroups than it reports.
var (
	forceTile     [3]uint32
	idleSubgroups uint32
)

// mmaNative is the native shader for the device's extension, and its
// specialization: the padded output channels, the tile's M (pixels), the
// workgroup's invocations, the tiles of pixels a subgroup computes (64 /
// (M * tiles) subgroups a workgroup), the tile's N and K (channels), and
// the channels whose staging loads an invocation holds at once.
func (op Conv3x3) mmaNative(info vk.DeviceInfo, coutp int) (string, []uint32, error) {
	f := info.Features
	name, tile := op.mmaBase()+"_khr", f.MatrixTile
	if !f.MatrixTileKHR {
		name, tile = op.mmaBase()+"_nv", [3]uint32{mmaTile, mmaTile, mmaTile}
	} else if forceTile[0] > 0 {
		tile = forceTile
	}
	m := int(tile[0])
	mt := op.SubgroupTiles
	if mt == 0 {
		mt = mmaSubgroupTiles
	}
	if m == 0 || mt < 1 || mt > 4 || mmaPixels%(m*mt) != 0 {
		return "", nil, fmt.Errorf("conv3x3 mma: %d tiles of %d pixels a subgroup (1..4) do not divide a workgroup's %d pixels", mt, m, mmaPixels)
	}
	// Channels are padded to 16 and staged 32 at a time.
	if tile[1] == 0 || tile[2] == 0 || mmaTile%tile[1] != 0 || mmaTile%tile[2] != 0 {
		return "", nil, fmt.Errorf("conv3x3 mma: %dx%dx%d tiles: the channels (N, K) must divide %d", tile[0], tile[1], tile[2], mmaTile)
	}
	sg, groups := info.Limits.TileSubgroupSize, uint32(mmaPixels/(m*mt))
	inv := (groups + idleSubgroups) * sg
	if most := info.Limits.MaxWorkgroupSubgroups; most > 0 && groups > most {
		return "", nil, fmt.Errorf("conv3x3 mma: %s's %dx%dx%d tiles, %d a subgroup, need %d subgroups a workgroup; it allows %d",
			info.Name, tile[0], tile[1], tile[2], mt, groups, most)
	}
	// The staging takes the invocations eight at a time.
	if inv == 0 || inv%8 != 0 || inv > info.Limits.MaxWorkgroupInvocations {
		return "", nil, fmt.Errorf("conv3x3 mma: %s's %dx%dx%d tiles, %d a subgroup of %d, need %d invocations a workgroup (a multiple of 8, at most %d)",
			info.Name, tile[0], tile[1], tile[2], mt, sg, inv, info.Limits.MaxWorkgroupInvocations)
	}
	// The staging's loads held at once, in channels (the shader's HOLD).
	hold := uint32(4)
	if sg < 32 {
		hold = 2
	}
	return name, []uint32{uint32(coutp), tile[0], inv, uint32(mt), tile[1], tile[2], hold}, nil
}

// mmaDims are the input and output channels, padded to tiles (with Split,
// the input channels three times over).
func (op Conv3x3) mmaDims() (cinp, coutp int) {
	up := func(v int) int { return (v + mmaTile - 1) / mmaTile * mmaTile }
	if op.Split {
		return up(3 * op.Cin()), up(op.Out)
	}
	return up(op.Cin()), up(op.Out)
}

// PackMMA lays OIHW weights out as the binary16 matrices B[tap][ic][oc] the
// MMA shader reads, tap = ky*3 + kx, one cinp x coutp matrix a tap stored
// column by column ([tap][oc][ic]: the tiles' lanes load consecutive input
// channels), zero in the padding. With Split the rows are [wh | wh | wl] for the staged
// channels [xh | xl | xh]: w rounded to binary16, twice, then what that
// rounding left.
func (op Conv3x3) PackMMA(weights []float32) []float32 {
	cinp, coutp := op.mmaDims()
	cin := op.Cin()
	parts := 1
	if op.Split {
		parts = 3
	}
	b := make([]float32, 9*cinp*coutp)
	for oc := 0; oc < op.Out; oc++ {
		for ic := 0; ic < cin; ic++ {
			for tap := 0; tap < 9; tap++ {
				v := weights[(oc*cin+ic)*9+tap]
				for part := 0; part < parts; part++ {
					w := v
					if part == 2 {
						w = v - RoundHalf(v)
					}
					b[(tap*coutp+oc)*cinp+part*cin+ic] = w
				}
			}
		}
	}
	return PackHalf(b)
}

// mmaWeights are a layer's packed binary16 weights and its fp32 biases;
// split says how they were packed.
type mmaWeights struct {
	w, b  *vk.Buffer
	split bool
}

func (m *mmaWeights) free() {
	if m.w != nil {
		m.w.Free()
		m.b.Free()
	}
	*m = mmaWeights{}
}

func (op Conv3x3) uploadMMA(g GPU, r *vk.Recorder, weights, bias []float32) (mmaWeights, error) {
	packed := op.PackMMA(weights)
	wb, err := g.Ctx.NewBuffer(uint64(4 * len(packed)))
	if err != nil {
		return mmaWeights{}, err
	}
	bb, err := g.Ctx.NewBuffer(uint64(4 * len(bias)))
	if err != nil {
		wb.Free()
		return mmaWeights{}, err
	}
	m := mmaWeights{w: wb, b: bb, split: op.Split}
	if err := r.Upload(wb, packed); err != nil {
		m.free()
		return mmaWeights{}, err
	}
	if err := r.Upload(bb, bias); err != nil {
		m.free()
		return mmaWeights{}, err
	}
	return m, nil
}

func (op Conv3x3) recordMMA(g GPU, r *vk.Recorder, out *vk.Buffer, srcs [3]*vk.Buffer, res *vk.Buffer, mw mmaWeights, geo ConvGeom) error {
	f := g.Ctx.Info().Features
	switch {
	case mw.w == nil:
		return fmt.Errorf("conv3x3 mma: no packed weights (%s lacks 16-bit storage)", g.Ctx.Info().Name)
	case op.MathHalf:
		return fmt.Errorf("conv3x3 mma: MathHalf is the direct kernel's; the tiles already take binary16")
	case op.MMA == MMANative && !f.MatrixTiles:
		return fmt.Errorf("conv3x3 mma: %s offers no binary16 cooperative-matrix tiles with fp32 sums", g.Ctx.Info().Name)
	case op.Split && op.SrcHalf:
		// The shader stages binary16 sources as they are, unsplit.
		return fmt.Errorf("conv3x3 mma: Split takes float32 sources; these are binary16")
	case op.Split != mw.split:
		return fmt.Errorf("conv3x3 mma: weights packed with Split %v, recorded with %v", mw.split, op.Split)
	}
	cinp, coutp := op.mmaDims()
	if coutp > 4*mmaTile {
		return fmt.Errorf("conv3x3 mma: %d output channels; the shader holds at most %d", op.Out, 4*mmaTile)
	}
	name, spec := op.Shader(), []uint32{uint32(coutp)}
	if op.MMA == MMANative {
		var err error
		if name, spec, err = op.mmaNative(g.Ctx.Info(), coutp); err != nil {
			return err
		}
	}
	k, err := g.kernel(name, spec...)
	if err != nil {
		return err
	}
	useRes, split := uint32(0), uint32(0)
	if op.Residual {
		useRes = 1
	}
	if op.Split {
		split = uint32(op.Cin())
	}
	in := []*vk.Buffer{mw.w, mw.b, srcs[0], srcs[1], srcs[2], res}
	for i := range in {
		if in[i] == nil {
			in[i] = srcs[0]
		}
	}
	rows := geo.Y1 - geo.Y0
	push := []uint32{uint32(geo.W), uint32(geo.H), uint32(geo.N), uint32(op.In[0]), uint32(op.In[1]), uint32(op.In[2]),
		uint32(op.Out), uint32(cinp), uint32(op.Act), useRes, split, uint32(geo.Y0), uint32(rows)}
	push = append(push, geo.viewPush()...)
	px, inF, outF := op.traffic(geo, op.Out)
	arith := vk.ArithFP32 // the emulation's scalar products
	if op.MMA == MMANative {
		arith = vk.ArithTiles
	}
	return r.Dispatch(vk.Dispatch{
		Kernel: k,
		Groups: [3]uint32{groups(geo.W, mmaPixels), uint32(rows), uint32(geo.N)},
		Push:   push,
		Out:    []*vk.Buffer{out},
		In:     in,
		Label:  fmt.Sprintf("conv3x3 mma %d->%d", op.Cin(), op.Out),
		// Useful work, not the padded tiles'.
		Flops: 2 * 9 * float64(op.Cin()*op.Out) * px,
		Bytes: 4*(inF+outF+float64(op.Out)) + 2*float64(9*cinp*coutp),
		Arith: arith,
	})
}
