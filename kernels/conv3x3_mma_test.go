package kernels

import (
	"fmt"
	"math/rand"
	"os"
	"strings"
	"testing"

	"github.com/vkpercept/vkpercept/internal/vktest"
	"github.com/vkpercept/vkpercept/vk"
)

// The MMA convolution against the reference with binary16 inputs and
// weights, on odd shapes: k and channel padding (7 -> 32, 16 -> 1), widths
// that end mid-workgroup, several k chunks (64 -> 32), every storage pair,
// residuals and row bands. The emulated tiles run everywhere; the native
// ones where the device has them (it then runs the same cases).
func TestConv3x3MMAMatchesReference(t *testing.T) {
	if !gpu.Ctx.Info().Features.Storage16Bit {
		t.Fatal("lavapipe and every target device offer 16-bit storage; this one does not")
	}
	cases := []struct {
		n, h, w, y0, y1 int
		op              Conv3x3
	}{
		{1, 1, 1, 0, 1, Conv3x3{In: [3]int{3, 0, 0}, Out: 7}},
		// Widths of 140 and 203 give the staging workgroups whose pixels
		// all lie inside the row (x0 = 64 and 128), which skip the zeroing.
		{1, 5, 140, 0, 5, Conv3x3{In: [3]int{3, 3, 1}, Out: 32, Act: ActReLU, OutHalf: true}},
		{2, 9, 17, 0, 9, Conv3x3{In: [3]int{32, 0, 0}, Out: 64, Act: ActReLU, SrcHalf: true, OutHalf: true}},
		{1, 11, 203, 3, 8, Conv3x3{In: [3]int{64, 0, 0}, Out: 32, Act: ActReLU, SrcHalf: true, OutHalf: true}},
		{2, 7, 65, 0, 7, Conv3x3{In: [3]int{16, 0, 0}, Out: 1, Act: ActSigmoid, Residual: true, SrcHalf: true}},
		{1, 6, 9, 1, 6, Conv3x3{In: [3]int{4, 4, 1}, Out: 3, Act: ActSigmoid, Residual: true}},
	}
	// The emulation, then native tiles with the device's choice of pixel
	// tiles a subgroup (0), one and four (16 pixels a tile: one subgroup a
	// workgroup), with three subgroups more than tiles, then any shapes
	// asked for (tileShapes).
	type kind struct {
		mma   MMA
		tiles int
		shape [3]uint32
		idle  uint32 // subgroups with no tiles (idleSubgroups)
	}
	kinds := []kind{{mma: MMAEmulated}}
	if vktest.NativeTiles(t, gpu.Ctx) {
		f := gpu.Ctx.Info().Features
		t.Logf("native tiles: %dx%dx%d, KHR %v, subgroups of %d (required: %v)", f.MatrixTile[0], f.MatrixTile[1], f.MatrixTile[2], f.MatrixTileKHR, gpu.Ctx.Info().Limits.TileSubgroupSize, f.PinnedSubgroups)
		kinds = append(kinds, kind{mma: MMANative}, kind{mma: MMANative, tiles: 1}, kind{mma: MMANative, tiles: 4}, kind{mma: MMANative, idle: 3})
	}
	for _, sh := range tileShapes(t) {
		kinds = append(kinds, kind{mma: MMANative, shape: sh}, kind{mma: MMANative, tiles: 1, shape: sh})
	}
	for _, k := range kinds {
		for _, tc := range cases {
			op := tc.op
			op.MMA, op.SubgroupTiles = k.mma, k.tiles
			name := fmt.Sprintf("%s_mt%d_%v_%dx%dx%d_rows%d-%d", op.Shader(), k.tiles, op.In, tc.n, tc.h, tc.w, tc.y0, tc.y1)
			if k.shape[0] > 0 {
				name = fmt.Sprintf("%s_tile%dx%dx%d", name, k.shape[0], k.shape[1], k.shape[2])
			}
			if k.idle > 0 {
				name = fmt.Sprintf("%s_idle%d", name, k.idle)
			}
			t.Run(name, func(t *testing.T) {
				forceTile, idleSubgroups = k.shape, k.idle
				defer func() { forceTile, idleSubgroups = [3]uint32{}, 0 }()
				rng := rand.New(rand.NewSource(3))
				plane := tc.h * tc.w
				g := op.DenseGeom(tc.n, tc.h, tc.w)
				g.Y0, g.Y1 = tc.y0, tc.y1
				var srcs [3][]float32
				var bufs [3]*vk.Buffer
				want := make([]float32, tc.n*op.Out*plane)
				weights := randVec(rng, op.WeightLen(), -0.3, 0.3)
				bias := randVec(rng, op.Out, -0.2, 0.2)
				res := randVec(rng, len(want), 0, 1)
				for i, c := range op.In {
					srcs[i] = randVec(rng, tc.n*c*plane, -1, 1)
					if op.SrcHalf {
						for j := range srcs[i] {
							srcs[i][j] = RoundHalf(srcs[i][j])
						}
					}
				}
				if err := op.Ref(want, srcs, res, weights, bias, g); err != nil {
					t.Fatal(err)
				}
				outFloats := len(want)
				if op.OutHalf {
					outFloats = (len(want) + 1) / 2
				}
				raw := runOne(t, outFloats, func(r *vk.Recorder) (*vk.Buffer, error) {
					for i, c := range op.In {
						if c > 0 {
							data := srcs[i]
							if op.SrcHalf {
								data = PackHalf(data)
							}
							bufs[i] = upload(t, r, data)
						}
					}
					out := scratch(t, outFloats)
					return out, op.Record(gpu, r, out, bufs, upload(t, r, res), mustWeights(t, r, op, weights, bias), g)
				})
				got := raw
				if op.OutHalf {
					got = UnpackHalf(raw, len(want))
				}
				// Only rows y0..y1 are written; the rest must stay as the scratch left them.
				lo, hi := tc.y0*tc.w, tc.y1*tc.w
				for b := 0; b < tc.n*op.Out; b++ {
					closeTo(t, op.Shader(), got[b*plane+lo:b*plane+hi], want[b*plane+lo:b*plane+hi], 1e-4, 1e-3)
				}
			})
		}
	}
}

// Split on a layer like MILO's first: two close images (b = a + 0.01
// noise) under weights that nearly cancel (W1 = -W0 + 0.01 noise), fp32
// out. The output is small and the bar (2e-5 + 1e-4 relative) near fp32's:
// binary16 tiles fed the images and weights as they are miss it by far
// (the rounding of each image alone is 2.4e-4 of a pixel). Tiles that round
// their products to binary16 (TileProductsExact false) get a looser bar.
func TestConv3x3MMASplit(t *testing.T) {
	const n, h, w = 1, 5, 70
	op := Conv3x3{In: [3]int{3, 3, 1}, Out: 32, Act: ActReLU, Split: true}
	rng := rand.New(rand.NewSource(5))
	plane := h * w
	a := randVec(rng, n*3*plane, 0, 1)
	b := make([]float32, len(a))
	for i := range b {
		b[i] = a[i] + 0.01*(rng.Float32()-0.5)
	}
	m := randVec(rng, n*plane, 0, 0.1)
	weights := make([]float32, op.WeightLen())
	for oc := 0; oc < op.Out; oc++ {
		for ic := 0; ic < 3; ic++ {
			for k := 0; k < 9; k++ {
				w0 := 0.6 * (rng.Float32() - 0.5)
				weights[(oc*7+ic)*9+k] = w0
				weights[(oc*7+3+ic)*9+k] = -w0 + 0.01*(rng.Float32()-0.5)
				weights[(oc*7+6)*9+k] = 0.1 * (rng.Float32() - 0.5)
			}
		}
	}
	bias := randVec(rng, op.Out, 0, 0.01)
	g := op.DenseGeom(n, h, w)
	want := make([]float32, n*op.Out*plane)
	if err := op.Ref(want, [3][]float32{a, b, m}, nil, weights, bias, g); err != nil {
		t.Fatal(err)
	}
	kinds := []MMA{MMAEmulated}
	exact := true // the emulation multiplies in fp32
	if vktest.NativeTiles(t, gpu.Ctx) {
		kinds = append(kinds, MMANative)
		var err error
		if exact, err = TileProductsExact(gpu); err != nil {
			t.Fatal(err)
		}
		t.Logf("native tiles multiply exactly: %v", exact)
	}
	for _, kind := range kinds {
		op := op
		op.MMA = kind
		got := runOne(t, len(want), func(r *vk.Recorder) (*vk.Buffer, error) {
			srcs := [3]*vk.Buffer{upload(t, r, a), upload(t, r, b), upload(t, r, m)}
			out := scratch(t, len(want))
			return out, op.Record(gpu, r, out, srcs, nil, mustWeights(t, r, op, weights, bias), g)
		})
		abs, rel := 2e-5, 1e-4
		if kind == MMANative && !exact {
			// Products rounded to binary16 (which is why MILO keeps its
			// first layer off such tiles): the split's layout still holds.
			abs, rel = 5e-4, 2e-2
		}
		closeTo(t, op.Shader()+" split", got, want, abs, rel)
	}
}

func TestConv3x3MMARefusals(t *testing.T) {
	op := Conv3x3{In: [3]int{64, 0, 0}, Out: 65, MMA: MMAEmulated}
	r := begin(t, false)
	defer r.Abort()
	rng := rand.New(rand.NewSource(4))
	cw := mustWeights(t, r, op, randVec(rng, op.WeightLen(), -1, 1), randVec(rng, op.Out, -1, 1))
	src := upload(t, r, make([]float32, 64*4))
	out := scratch(t, 65*4)
	if err := op.Record(gpu, r, out, [3]*vk.Buffer{src}, nil, cw, op.DenseGeom(1, 2, 2)); err == nil {
		t.Fatal("accepted 65 output channels (the shader holds 64)")
	}
	plain := Conv3x3{In: [3]int{3, 3, 0}, Out: 8, MMA: MMAEmulated}
	pw := mustWeights(t, r, plain, make([]float32, plain.WeightLen()), make([]float32, 8))
	plain.Split = true
	src6 := upload(t, r, make([]float32, 3*4))
	if err := plain.Record(gpu, r, scratch(t, 8*4), [3]*vk.Buffer{src6, src6}, nil, pw, plain.DenseGeom(1, 2, 2)); err == nil {
		t.Fatal("recorded Split with weights packed without it")
	}
	half := Conv3x3{In: [3]int{3, 3, 0}, Out: 8, MMA: MMAEmulated, Split: true, SrcHalf: true, OutHalf: true}
	hw := mustWeights(t, r, half, make([]float32, half.WeightLen()), make([]float32, 8))
	if err := half.Record(gpu, r, scratch(t, 8*4), [3]*vk.Buffer{src6, src6}, nil, hw, half.DenseGeom(1, 2, 2)); err == nil || !strings.Contains(err.Error(), "float32 sources") {
		t.Fatalf("Split on binary16 sources (the shader stages them unsplit): %v", err)
	}
	op.Out, op.MMA = 64, MMANative
	if !gpu.Ctx.Info().Features.MatrixTiles {
		if err := op.Record(gpu, r, out, [3]*vk.Buffer{src}, nil, cw, op.DenseGeom(1, 2, 2)); err == nil {
			t.Fatal("recorded native tiles on a device without them")
		}
		return
	}
	// Three tiles of pixels a subgroup do not divide a workgroup's 64.
	op.SubgroupTiles = 3
	if err := op.Record(gpu, r, out, [3]*vk.Buffer{src}, nil, cw, op.DenseGeom(1, 2, 2)); err == nil || !strings.Contains(err.Error(), "3 tiles of") {
		t.Fatalf("3 tiles of pixels a subgroup: %v", err)
	}
}

// PackMMA's matrices hold weight (oc, ic, ky, kx) in tap ky*3+kx's matrix
// at row ic, column oc (stored column by column), and zeros in the padding.
func TestPackMMALayout(t *testing.T) {
	op := Conv3x3{In: [3]int{2, 0, 0}, Out: 3}
	w := make([]float32, op.WeightLen())
	for i := range w {
		w[i] = float32(i + 1)
	}
	b := UnpackHalf(op.PackMMA(w), 9*16*16) // cin 2 -> 16, cout 3 -> 16
	for tap := 0; tap < 9; tap++ {
		for ic := 0; ic < 16; ic++ {
			for oc := 0; oc < 16; oc++ {
				want := float32(0)
				if ic < 2 && oc < 3 {
					want = float32((oc*2+ic)*9 + tap + 1)
				}
				if got := b[(tap*16+oc)*16+ic]; got != want {
					t.Fatalf("B[%d][%d][%d] = %v, want %v", tap, ic, oc, got, want)
				}
			}
		}
	}
}

// With Split, input channel ic's weights fill rows ic and cin+ic rounded
// to binary16 (wh) and row 2cin+ic with what that rounding left (wl).
func TestPackMMASplit(t *testing.T) {
	op := Conv3x3{In: [3]int{2, 2, 1}, Out: 2, Split: true}
	w := make([]float32, op.WeightLen())
	for i := range w {
		w[i] = float32(i%37)/8 + 1e-4*float32(i) // not exact in binary16
	}
	b := UnpackHalf(op.PackMMA(w), 9*16*16) // 3 x 5 -> 16 rows, 2 -> 16 columns
	for tap := 0; tap < 9; tap++ {
		for oc := 0; oc < 16; oc++ {
			for row := 0; row < 16; row++ {
				want := float32(0)
				if oc < 2 && row < 15 {
					v := w[(oc*5+row%5)*9+tap]
					want = RoundHalf(v)
					if row >= 10 {
						want = RoundHalf(v - RoundHalf(v))
					}
				}
				if got := b[(tap*16+oc)*16+row]; got != want {
					t.Fatalf("B[%d][%d][%d] = %v, want %v", tap, row, oc, got, want)
				}
			}
		}
	}
}

// The probe answers on devices with tiles (and a result that is neither
// exact nor rounded fails it); without tiles it refuses.
func TestTileProductsExact(t *testing.T) {
	exact, err := TileProductsExact(gpu)
	if !gpu.Ctx.Info().Features.MatrixTiles {
		if err == nil {
			t.Fatal("probed tiles on a device without them")
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%s: tile products exact: %v", gpu.Ctx.Info().Name, exact)
}

// tileShapes are the tile shapes VKPERCEPT_TILE_SHAPES asks for
// ("8x8x16,16x16x16"), run natively in place of the device's own. lavapipe
// 26 computes any shape of sides 8 and 16 but lists only 8x8x8, so `make
// test-mesa26` runs Intel's and the GPUs' shapes on it this way, without
// the validation layer (which rightly rejects shapes a device does not list).
func tileShapes(t testing.TB) [][3]uint32 {
	env := os.Getenv("VKPERCEPT_TILE_SHAPES")
	if env == "" {
		return nil
	}
	f := gpu.Ctx.Info().Features
	if !f.MatrixTiles || !f.MatrixTileKHR {
		t.Fatalf("VKPERCEPT_TILE_SHAPES=%s needs KHR matrix tiles, which %s lacks", env, gpu.Ctx.Info().Name)
	}
	var out [][3]uint32
	for _, s := range strings.Split(env, ",") {
		var sh [3]uint32
		if n, err := fmt.Sscanf(s, "%dx%dx%d", &sh[0], &sh[1], &sh[2]); n != 3 || err != nil {
			t.Fatalf("VKPERCEPT_TILE_SHAPES: %q is not MxNxK", s)
		}
		out = append(out, sh)
	}
	return out
}
