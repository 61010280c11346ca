package kernels

import (
	"fmt"
	"math/rand"
	"strings"
	"testing"

	"github.com/vkpercept/vkpercept/vk"
)

func TestConv3x3MatchesReference(t *testing.T) {
	cases := []struct {
		n, h, w int
		op      Conv3x3
	}{
		{1, 1, 1, Conv3x3{In: [3]int{3, 0, 0}, Out: 7, Act: ActNone}},
		{1, 5, 7, Conv3x3{In: [3]int{3, 3, 1}, Out: 32, Act: ActReLU}},
		{2, 33, 17, Conv3x3{In: [3]int{32, 0, 0}, Out: 64, Act: ActReLU}},
		{1, 17, 33, Conv3x3{In: [3]int{64, 0, 0}, Out: 32, Act: ActReLU}},
		{1, 9, 2, Conv3x3{In: [3]int{16, 0, 0}, Out: 1, Act: ActSigmoid, Residual: true}},
		{3, 2, 9, Conv3x3{In: [3]int{4, 4, 1}, Out: 3, Act: ActSigmoid, Residual: true}},
		{1, 9, 13, Conv3x3{In: [3]int{5, 0, 0}, Out: 24, Act: ActNone}}, // a partial block of 16
		// An odd number of channels, so an odd number of floats in the
		// weights' chunk: the last bias shares its 64-bit pair with the padding.
		{1, 9, 16, Conv3x3{In: [3]int{5, 0, 0}, Out: 17, Act: ActNone}},
		// Rows of whole texels and tile rows (the _tex shaders on CPU
		// drivers) and rows on 64-bit words only (_w64), each in a partial
		// workgroup.
		{2, 11, 24, Conv3x3{In: [3]int{3, 3, 1}, Out: 16, Act: ActReLU}},
		{2, 11, 22, Conv3x3{In: [3]int{3, 3, 1}, Out: 16, Act: ActReLU}},
		// Texel rows over three workgroups along x (64 pixels each, the last
		// partial): the rotated texel shaders take a tile's halo from the
		// neighbouring lanes, and a row's end lanes fetch it across workgroups.
		{1, 7, 136, Conv3x3{In: [3]int{16, 0, 0}, Out: 16, Act: ActReLU}},
	}
	// The GPUs' register tile, CPU drivers' (rotated and not), and an odd one
	// (partial row tiles).
	var all []struct {
		n, h, w int
		op      Conv3x3
	}
	tiles := []ConvTile{{Channels: 8, Rows: 1}, {Channels: 16, Rows: 2}, {Channels: 4, Rows: 3}}
	if rotates(gpu) {
		tiles = append(tiles, ConvTile{Channels: 16, Rows: 2, Rotate: true})
	} else { // subgroups of 4 lanes (llvmpipe on 128-bit vectors) and others
		t.Logf("%s runs no rotated shaders: %d-lane subgroups", gpu.Ctx.Info().Name, gpu.Ctx.Info().Limits.SubgroupSize)
	}
	for _, tile := range tiles {
		for _, tc := range cases {
			tc.op.Tile = tile
			all = append(all, tc)
		}
	}
	for _, tc := range all {
		t.Run(fmt.Sprintf("%v_%dx%dx%d", tc.op, tc.n, tc.h, tc.w), func(t *testing.T) {
			rng := rand.New(rand.NewSource(1))
			plane := tc.h * tc.w
			var srcs [3][]float32
			for i, c := range tc.op.In {
				srcs[i] = randVec(rng, tc.n*c*plane, -1, 1)
			}
			weights := randVec(rng, tc.op.WeightLen(), -0.3, 0.3)
			bias := randVec(rng, tc.op.Out, -0.2, 0.2)
			res := randVec(rng, tc.n*tc.op.Out*plane, 0, 1)
			want := make([]float32, tc.n*tc.op.Out*plane)
			if err := tc.op.Ref(want, srcs, res, weights, bias, tc.op.DenseGeom(tc.n, tc.h, tc.w)); err != nil {
				t.Fatal(err)
			}
			r := begin(t, false)
			cw := mustWeights(t, r, tc.op, weights, bias)
			var bufs [3]*vk.Buffer
			for i, c := range tc.op.In {
				if c > 0 {
					bufs[i] = upload(t, r, srcs[i])
				}
			}
			rbuf := upload(t, r, res)
			out := scratch(t, len(want))
			if err := tc.op.Record(gpu, r, out, bufs, rbuf, cw, tc.op.DenseGeom(tc.n, tc.h, tc.w)); err != nil {
				r.Abort()
				t.Fatal(err)
			}
			got := poison(len(want))
			if err := r.Download(out, got); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Submit(); err != nil {
				t.Fatal(err)
			}
			closeTo(t, "conv3x3", got, want, 1e-5, 1e-5)
		})
	}
}

func TestConv3x3RejectsWrongWeights(t *testing.T) {
	op := Conv3x3{In: [3]int{3, 0, 0}, Out: 4}
	err := op.Ref(make([]float32, 16), [3][]float32{make([]float32, 12)}, nil, make([]float32, 10), make([]float32, 4), op.DenseGeom(1, 2, 2))
	if err == nil {
		t.Fatal("accepted 10 weights for a 3->4 convolution")
	}
	g := op.DenseGeom(1, 2, 2)
	g.Src[0].Off = -1 // a view reaching before the buffer
	if err := op.Ref(make([]float32, 16), [3][]float32{make([]float32, 12)}, nil, make([]float32, 36*4), make([]float32, 4), g); err == nil {
		t.Fatal("accepted a view outside its buffer")
	}
}

// The _w64 shaders run only where every source and output row starts on a
// 64-bit word (two fp32 or four binary16 elements), the _tex ones where
// every source row starts on a 128-bit texel and every output row on a
// multiple of 8 elements.
func TestConv3x3WordRows(t *testing.T) {
	op := Conv3x3{In: [3]int{3, 3, 1}, Out: 16}
	for _, tc := range []struct {
		w, h       int
		src, out   bool // binary16 storage
		word, quad bool
	}{
		{20, 11, false, false, true, false}, // sources on texels, outputs not on rows of 8
		{16, 11, false, false, true, true},
		{21, 11, false, false, false, false},
		{22, 11, false, false, true, false}, // fp32 rows of 22 start on words, not on texels
		{22, 11, true, false, false, false}, // binary16 rows of 22 start on half-words
		{24, 11, true, true, true, true},
		{22, 11, false, true, false, false},
	} {
		op.SrcHalf, op.OutHalf = tc.src, tc.out
		g := op.DenseGeom(2, tc.h, tc.w)
		if got := op.wordRows(g); got != tc.word {
			t.Errorf("%dx%d half %v/%v: wordRows %v, want %v", tc.w, tc.h, tc.src, tc.out, got, tc.word)
		}
		if got := op.quadRows(g); got != tc.quad {
			t.Errorf("%dx%d half %v/%v: quadRows %v, want %v", tc.w, tc.h, tc.src, tc.out, got, tc.quad)
		}
	}
	// A band that starts on an odd row of an even width still starts on words;
	// a view offset by one element does not.
	g := op.DenseGeom(1, 11, 20)
	g.Src[2] = Band(1, 3, 9, 20)
	if !op.wordRows(g) {
		t.Error("a band of an even width is not on words")
	}
	g.Src[2].Off++
	if op.wordRows(g) {
		t.Error("a view offset by one element is on words")
	}
	// A source offset by four elements starts on an fp32 texel, not on a
	// binary16 one (eight elements).
	op.SrcHalf, op.OutHalf = false, false
	g = op.DenseGeom(1, 11, 16)
	g.Src[0].Off += 4
	if !op.quadRows(g) {
		t.Error("fp32 rows offset by four are not on texels")
	}
	op.SrcHalf = true
	if op.quadRows(g) {
		t.Error("binary16 rows offset by four are on texels")
	}
}

func TestConv3x3RejectsHugeTiles(t *testing.T) {
	for _, tile := range []ConvTile{{Channels: 64, Rows: 1}, {Channels: 8, Rows: 5}, {Rows: 2}} {
		op := Conv3x3{In: [3]int{3, 0, 0}, Out: 64, Tile: tile}
		r := begin(t, false)
		_, err := op.UploadWeights(gpu, r, make([]float32, op.WeightLen()), make([]float32, op.Out))
		r.Abort()
		if err == nil || !strings.Contains(err.Error(), "register tile") {
			t.Fatalf("tile %v: got %v, want a register-tile error", tile, err)
		}
	}
}

// bandOf copies rows [y0, y1) of n dense c x h x w images into a band buffer.
func bandOf(src []float32, n, c, h, w, y0, y1 int) []float32 {
	var out []float32
	for i := 0; i < n*c; i++ {
		out = append(out, src[(i*h+y0)*w:(i*h+y1)*w]...)
	}
	return out
}

// A band of rows computed from band buffers must equal the same rows of the
// whole-image result: that is what makes a tiled MILO pass exact.
func TestConv3x3BandEqualsWhole(t *testing.T) {
	const n, h, w = 2, 23, 13
	op := Conv3x3{In: [3]int{3, 3, 1}, Out: 9, Act: ActSigmoid, Residual: true}
	rng := rand.New(rand.NewSource(8))
	var srcs [3][]float32
	for i, c := range op.In {
		srcs[i] = randVec(rng, n*c*h*w, -1, 1)
	}
	weights := randVec(rng, op.WeightLen(), -0.3, 0.3)
	bias := randVec(rng, op.Out, -0.2, 0.2)
	res := randVec(rng, n*op.Out*h*w, 0, 1)
	whole := make([]float32, n*op.Out*h*w)
	if err := op.Ref(whole, srcs, res, weights, bias, op.DenseGeom(n, h, w)); err != nil {
		t.Fatal(err)
	}
	for _, rows := range [][2]int{{0, 4}, {5, 11}, {19, 23}, {0, 23}} {
		t.Run(fmt.Sprintf("rows%d-%d", rows[0], rows[1]), func(t *testing.T) {
			y0, y1 := rows[0], rows[1]
			lo, hi := max(y0-1, 0), min(y1+1, h)
			g := ConvGeom{N: n, H: h, W: w, Y0: y0, Y1: y1, Res: Band(op.Out, y0, y1, w), Out: Band(op.Out, y0, y1, w)}
			var bands [3][]float32
			for i, c := range op.In {
				bands[i], g.Src[i] = bandOf(srcs[i], n, c, h, w, lo, hi), Band(c, lo, hi, w)
			}
			// The first source stays whole: views of both kinds mix.
			bands[0], g.Src[0] = srcs[0], Dense(op.In[0], h, w)
			resBand := bandOf(res, n, op.Out, h, w, y0, y1)
			want := bandOf(whole, n, op.Out, h, w, y0, y1)
			got := make([]float32, len(want))
			if err := op.Ref(got, bands, resBand, weights, bias, g); err != nil {
				t.Fatal(err)
			}
			closeTo(t, "reference band", got, want, 0, 0)
			r := begin(t, false)
			var bufs [3]*vk.Buffer
			for i := range bands {
				bufs[i] = upload(t, r, bands[i])
			}
			out := scratch(t, len(want))
			if err := op.Record(gpu, r, out, bufs, upload(t, r, resBand), mustWeights(t, r, op, weights, bias), g); err != nil {
				r.Abort()
				t.Fatal(err)
			}
			dev := poison(len(want))
			if err := r.Download(out, dev); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Submit(); err != nil {
				t.Fatal(err)
			}
			closeTo(t, "device band", dev, want, 1e-5, 1e-5)
		})
	}
}

// The 16-bit storage variants against the reference with binary16 rounding
// of what they store: within one half ulp of rounding either way.
func TestConv3x3HalfVariants(t *testing.T) {
	if !gpu.Ctx.Info().Features.Storage16Bit {
		t.Fatal("lavapipe and every target device offer 16-bit storage; this one does not")
	}
	const n, h = 2, 19
	probe := [3]*vk.Buffer{scratch(t, 64)} // a small buffer, for the choice of shader
	for i := 0; i < 27; i++ {
		// Every variant with the GPUs' tile (12 output channels: a full block
		// of 8 and a partial one) and CPU drivers' (16 by 2 rows: one block
		// of 16, rotated except with binary16 arithmetic), the latter also on
		// rows of whole texels and tile rows (the _tex shaders) and of whole
		// 64-bit words only (_w64); last, an unrotated CPU tile (layers of
		// few channels: 4 by 2 rows) on texels.
		group := i / 6
		hv := [][3]bool{{false, true}, {true, true}, {true, false}, {false, true, true}, {true, true, true}, {true, false, true}}[i%6]
		tile := []ConvTile{{Channels: 8, Rows: 1}, {Channels: 16, Rows: 2, Rotate: !hv[2]}}[min(group, 1)]
		if group == 4 {
			tile = ConvTile{Channels: 4, Rows: 2}
		}
		w := []int{27, 27, 136, 28, 32}[group] // _rot_tex: three workgroups along x
		op := Conv3x3{In: [3]int{16, 0, 0}, Out: 12 + 4*min(group, 1), Act: ActReLU, SrcHalf: hv[0], OutHalf: hv[1], MathHalf: hv[2], Tile: tile}
		suffix := ""
		if tile.Rotate {
			suffix = []string{"", "_rot", "_rot_tex", "_rot_w64"}[group]
		} else if group == 4 {
			suffix = "_tex"
		}
		name := op.variant(tile, op.DenseGeom(n, h, w), probe)
		if name != op.Shader()+suffix {
			t.Errorf("case %d: shader %s, want %s", i, name, op.Shader()+suffix)
		}
		if tile.Rotate && !rotates(gpu) { // the choice above is checked; the device cannot run it
			t.Logf("%s: not run on %d-lane subgroups", name, gpu.Ctx.Info().Limits.SubgroupSize)
			continue
		}
		t.Run(fmt.Sprintf("%s_w%d", name, w), func(t *testing.T) {
			rng := rand.New(rand.NewSource(10))
			src := randVec(rng, n*16*h*w, -1, 1)
			if op.SrcHalf {
				for i := range src {
					src[i] = RoundHalf(src[i])
				}
			}
			weights := randVec(rng, op.WeightLen(), -0.3, 0.3)
			bias := randVec(rng, op.Out, -0.2, 0.2)
			want := make([]float32, n*op.Out*h*w)
			if err := op.Ref(want, [3][]float32{src}, nil, weights, bias, op.DenseGeom(n, h, w)); err != nil {
				t.Fatal(err)
			}
			data := src
			if op.SrcHalf {
				data = PackHalf(src)
			}
			outFloats := len(want)
			if op.OutHalf {
				outFloats = (len(want) + 1) / 2
			}
			raw := runOne(t, outFloats, func(r *vk.Recorder) (*vk.Buffer, error) {
				out := scratch(t, outFloats)
				return out, op.Record(gpu, r, out, [3]*vk.Buffer{upload(t, r, data)}, nil, mustWeights(t, r, op, weights, bias), op.DenseGeom(n, h, w))
			})
			got := raw
			if op.OutHalf {
				got = UnpackHalf(raw, len(want))
			}
			abs := 1e-4
			if op.MathHalf {
				// Each channel's nine-tap sum (up to ~2.7 here) is rounded to
				// binary16 up to nine times (half an ulp: 1e-3 at 2..4); 16
				// channels add such errors.
				abs = 8e-3
			}
			closeTo(t, op.Shader(), got, want, abs, 1e-3)
		})
	}
}

// mustWeights uploads a layer's weights, freed when the test ends.
func mustWeights(t testing.TB, r *vk.Recorder, op Conv3x3, weights, bias []float32) ConvWeights {
	t.Helper()
	cw, err := op.UploadWeights(gpu, r, weights, bias)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(cw.Free)
	return cw
}

// Layers whose weights exceed one uniform buffer run in chunks of output
// channels: 64 -> 64 needs 147 KB, three chunks on a 64 KB device.
func TestConv3x3WeightChunks(t *testing.T) {
	const n, h, w = 1, 9, 21
	op := Conv3x3{In: [3]int{64, 0, 0}, Out: 64, Act: ActReLU}
	rng := rand.New(rand.NewSource(12))
	src := randVec(rng, n*64*h*w, -1, 1)
	weights, bias := randVec(rng, op.WeightLen(), -0.1, 0.1), randVec(rng, op.Out, -0.2, 0.2)
	want := make([]float32, n*op.Out*h*w)
	if err := op.Ref(want, [3][]float32{src}, nil, weights, bias, op.DenseGeom(n, h, w)); err != nil {
		t.Fatal(err)
	}
	var chunks int
	got := runOne(t, len(want), func(r *vk.Recorder) (*vk.Buffer, error) {
		cw := mustWeights(t, r, op, weights, bias)
		chunks = len(cw.chunks)
		out := scratch(t, len(want))
		return out, op.Record(gpu, r, out, [3]*vk.Buffer{upload(t, r, src)}, nil, cw, op.DenseGeom(n, h, w))
	})
	if limit := gpu.Ctx.Info().Limits.MaxUniformBufferRange; limit <= 65536 && chunks < 3 {
		t.Fatalf("%d chunks for 147 KB of weights under a %d-byte limit", chunks, limit)
	}
	closeTo(t, "chunked conv3x3", got, want, 1e-5, 1e-5)
}
