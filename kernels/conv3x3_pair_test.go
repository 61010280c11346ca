package kernels

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/vkpercept/vkpercept/vk"
)

// The fused pair against the two layers run one after the other, whole and
// in a band, in every storage variant.
func TestConv3x3PairMatchesLayers(t *testing.T) {
	const n, h, w = 2, 23, 37
	pairs := []Conv3x3Pair{
		{X: Conv3x3{In: [3]int{3, 3, 1}, Out: 32, Act: ActReLU}, Y: Conv3x3{In: [3]int{32, 0, 0}, Out: 64, Act: ActReLU}},
		{X: Conv3x3{In: [3]int{32, 0, 0}, Out: 16, Act: ActReLU}, Y: Conv3x3{In: [3]int{16, 0, 0}, Out: 1, Act: ActSigmoid, Residual: true}},
	}
	for pi, base := range pairs {
		for _, half := range [][2]bool{{false, false}, {false, true}, {true, false}} {
			op := base
			op.X.SrcHalf, op.Y.OutHalf = half[0], half[1]
			if half[1] && op.Y.Residual || half[0] && pi == 0 {
				continue // the variants MILO uses: f32 -> f16 for the first pair, f16 -> f32 for the last
			}
			for _, rows := range [][2]int{{0, h}, {5, 13}} {
				t.Run(fmt.Sprintf("%s_%d-%d_rows%d-%d", op.Shader(), op.X.Cin(), op.Y.Out, rows[0], rows[1]), func(t *testing.T) {
					testPair(t, op, n, h, w, rows[0], rows[1])
				})
			}
		}
	}
}

func testPair(t *testing.T, op Conv3x3Pair, n, h, w, y0, y1 int) {
	rng := rand.New(rand.NewSource(13))
	var srcs [3][]float32
	for i, c := range op.X.In {
		srcs[i] = randVec(rng, n*c*h*w, 0, 1)
		if op.X.SrcHalf {
			for k := range srcs[i] {
				srcs[i][k] = RoundHalf(srcs[i][k])
			}
		}
	}
	wx, bx := randVec(rng, op.X.WeightLen(), -0.2, 0.2), randVec(rng, op.X.Out, -0.1, 0.1)
	wy, by := randVec(rng, op.Y.WeightLen(), -0.2, 0.2), randVec(rng, op.Y.Out, -0.1, 0.1)
	res := randVec(rng, n*op.Y.Out*h*w, 0, 1)
	// The layers one after the other, whole image, fp32 in between.
	x, y := op.X, op.Y
	x.OutHalf, y.SrcHalf = false, false
	mid := make([]float32, n*x.Out*h*w)
	if err := x.Ref(mid, srcs, nil, wx, bx, x.DenseGeom(n, h, w)); err != nil {
		t.Fatal(err)
	}
	whole := make([]float32, n*y.Out*h*w)
	if err := y.Ref(whole, [3][]float32{mid}, res, wy, by, y.DenseGeom(n, h, w)); err != nil {
		t.Fatal(err)
	}
	// The pair on a band: sources hold rows y0-2 .. y1+1, output and residual rows y0 .. y1-1.
	lo, hi := max(y0-2, 0), min(y1+2, h)
	g := ConvGeom{N: n, H: h, W: w, Y0: y0, Y1: y1, Res: Band(y.Out, y0, y1, w), Out: Band(y.Out, y0, y1, w)}
	var bands [3][]float32
	for i, c := range op.X.In {
		if c > 0 {
			bands[i], g.Src[i] = bandOf(srcs[i], n, c, h, w, lo, hi), Band(c, lo, hi, w)
		}
	}
	resBand, want := bandOf(res, n, y.Out, h, w, y0, y1), bandOf(whole, n, y.Out, h, w, y0, y1)
	if op.Y.OutHalf {
		for i := range want {
			want[i] = RoundHalf(want[i])
		}
	}
	got := make([]float32, len(want))
	if err := op.Ref(got, bands, resBand, wx, bx, wy, by, g); err != nil {
		t.Fatal(err)
	}
	closeTo(t, "pair reference", got, want, 0, 0)
	outFloats := len(want)
	if op.Y.OutHalf {
		outFloats = (len(want) + 1) / 2
	}
	raw := runOne(t, outFloats, func(r *vk.Recorder) (*vk.Buffer, error) {
		pw, err := op.UploadWeights(gpu, r, wx, bx, wy, by)
		if err != nil {
			return nil, err
		}
		t.Cleanup(pw.Free)
		var bufs [3]*vk.Buffer
		for i := range bands {
			if bands[i] != nil {
				data := bands[i]
				if op.X.SrcHalf {
					data = PackHalf(data)
				}
				bufs[i] = upload(t, r, data)
			}
		}
		out := scratch(t, outFloats)
		return out, op.Record(gpu, r, out, bufs, upload(t, r, resBand), pw, g)
	})
	dev := raw
	if op.Y.OutHalf {
		dev = UnpackHalf(raw, len(want))
		closeTo(t, "device pair", dev, want, 2e-3, 2e-3)
		return
	}
	closeTo(t, "device pair", dev, want, 2e-5, 1e-5)
}
