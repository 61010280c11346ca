package kernels

import (
	"fmt"
	"math/rand"
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
		{1, 5, 70, 0, 5, Conv3x3{In: [3]int{3, 3, 1}, Out: 32, Act: ActReLU, OutHalf: true}},
		{2, 9, 17, 0, 9, Conv3x3{In: [3]int{32, 0, 0}, Out: 64, Act: ActReLU, SrcHalf: true, OutHalf: true}},
		{1, 11, 131, 3, 8, Conv3x3{In: [3]int{64, 0, 0}, Out: 32, Act: ActReLU, SrcHalf: true, OutHalf: true}},
		{2, 7, 65, 0, 7, Conv3x3{In: [3]int{16, 0, 0}, Out: 1, Act: ActSigmoid, Residual: true, SrcHalf: true}},
		{1, 6, 9, 1, 6, Conv3x3{In: [3]int{4, 4, 1}, Out: 3, Act: ActSigmoid, Residual: true}},
	}
	// The emulation, then native tiles with the device's choice of pixel
	// tiles a subgroup (0), one and four (edge 16: one subgroup a workgroup).
	type kind struct {
		mma   MMA
		tiles int
	}
	kinds := []kind{{MMAEmulated, 0}}
	if vktest.NativeTiles(t, gpu.Ctx) {
		f := gpu.Ctx.Info().Features
		t.Logf("native tiles: %dx%d, KHR %v, subgroups of %d", f.MatrixTileEdge, f.MatrixTileEdge, f.MatrixTileKHR, gpu.Ctx.Info().Limits.SubgroupSize)
		kinds = append(kinds, kind{MMANative, 0}, kind{MMANative, 1}, kind{MMANative, 4})
	}
	for _, k := range kinds {
		for _, tc := range cases {
			op := tc.op
			op.MMA, op.SubgroupTiles = k.mma, k.tiles
			t.Run(fmt.Sprintf("%s_mt%d_%v_%dx%dx%d_rows%d-%d", op.Shader(), k.tiles, op.In, tc.n, tc.h, tc.w, tc.y0, tc.y1), func(t *testing.T) {
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

func TestConv3x3MMARefusals(t *testing.T) {
	op := Conv3x3{In: [3]int{64, 0, 0}, Out: 65, MMA: MMAEmulated}
	r, err := gpu.Ctx.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Abort()
	rng := rand.New(rand.NewSource(4))
	cw := mustWeights(t, r, op, randVec(rng, op.WeightLen(), -1, 1), randVec(rng, op.Out, -1, 1))
	src := upload(t, r, make([]float32, 64*4))
	out := scratch(t, 65*4)
	if err := op.Record(gpu, r, out, [3]*vk.Buffer{src}, nil, cw, op.DenseGeom(1, 2, 2)); err == nil {
		t.Fatal("accepted 65 output channels (the shader holds 64)")
	}
	if !gpu.Ctx.Info().Features.MatrixTiles {
		op.Out, op.MMA = 64, MMANative
		if err := op.Record(gpu, r, out, [3]*vk.Buffer{src}, nil, cw, op.DenseGeom(1, 2, 2)); err == nil {
			t.Fatal("recorded native tiles on a device without them")
		}
	}
}

// PackMMA's matrices hold weight (oc, ic, ky, kx) in tap ky*3+kx's matrix
// at row ic, column oc, and zeros in the padding.
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
				if got := b[(tap*16+ic)*16+oc]; got != want {
					t.Fatalf("B[%d][%d][%d] = %v, want %v", tap, ic, oc, got, want)
				}
			}
		}
	}
}
