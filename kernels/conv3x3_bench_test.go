package kernels

import (
	"flag"
	"fmt"
	"math"
	"sort"
	"testing"

	"github.com/vkpercept/vkpercept/vk"
)

var convBenchSize = flag.String("conv.size", "1920x1080", "BenchmarkConv3x3Layers: the layers' image size, WxH")

// convBenchLayers are MILO's mask-network layers, stored as its fp16 pass
// stores them (the first takes fp32 ref, dist and mask, and runs on the
// tiles split in two halves).
var convBenchLayers = []Conv3x3{
	{In: [3]int{3, 3, 1}, Out: 32, Act: ActReLU, OutHalf: true, Split: true},
	{In: [3]int{32, 0, 0}, Out: 64, Act: ActReLU, SrcHalf: true, OutHalf: true},
	{In: [3]int{64, 0, 0}, Out: 32, Act: ActReLU, SrcHalf: true, OutHalf: true},
	{In: [3]int{32, 0, 0}, Out: 16, Act: ActReLU, SrcHalf: true, OutHalf: true},
	{In: [3]int{16, 0, 0}, Out: 1, Act: ActSigmoid, Residual: true, SrcHalf: true},
}

// BenchmarkConv3x3Layers times each of those layers at one size (-conv.size)
// in every form the device runs: the direct kernel (fp32 arithmetic, and
// binary16 where the device has shaderFloat16), and the matrix-tile kernel
// with one, two and four tiles of pixels a subgroup, and with two on each
// other tile shape the device lists (or its emulation where the device has
// no tiles). Each run's time is the dispatch's timestamps less
// the empty-dispatch baseline, the median of b.N runs; 'x-direct' is the
// direct kernel's time over this one's. Every form's output is checked
// against the reference on three rows.
//
//	go test ./kernels -run '^$' -bench Conv3x3Layers -benchtime 5x -args -conv.size 1920x1080
func BenchmarkConv3x3Layers(b *testing.B) {
	var w, h int
	if _, err := fmt.Sscanf(*convBenchSize, "%dx%d", &w, &h); err != nil || w < 1 || h < 3 {
		b.Fatalf("-conv.size %q: want WxH, at least 1x3", *convBenchSize)
	}
	base, err := DispatchOverhead(gpu, 64)
	if err != nil {
		b.Fatal(err)
	}
	forms := benchForms(b)
	for _, layer := range convBenchLayers {
		// The forms share the layer's storage, so its tensors are made once.
		src, res := benchLayerTensors(layer, w, h)
		direct := 0.0
		for _, fm := range forms {
			op := layer
			fm.set(&op)
			b.Run(fmt.Sprintf("%d-%d/%dx%d/%s", op.Cin(), op.Out, w, h, fm.name), func(b *testing.B) {
				forceTile = fm.tile
				defer func() { forceTile = [3]uint32{} }()
				ns := benchConv(b, op, w, h, src, res, base, b.N)
				if fm.name == "direct" {
					direct = ns
				} else if direct > 0 {
					b.ReportMetric(direct/ns, "x-direct")
				}
				b.ReportMetric(ns/1e6, "gpu-ms")
				b.ReportMetric(2*9*float64(op.Cin()*op.Out)*float64(w*h)/ns/1e3, "TFLOP/s")
			})
		}
	}
}

// benchForm is one way of running a layer: set on the op, and a tile
// shape in place of the device's choice (forceTile) where not zero.
type benchForm struct {
	name string
	set  func(op *Conv3x3)
	tile [3]uint32
}

// benchForms are the forms this device runs: direct, binary16 math where
// it has shaderFloat16, and the tiles with 1, 2 and 4 tiles of pixels a
// subgroup, then with 2 on each other shape the device lists or
// VKPERCEPT_TILE_SHAPES asks for (the emulation where it has no tiles).
func benchForms(tb testing.TB) []benchForm {
	forms := []benchForm{{name: "direct", set: func(*Conv3x3) {}}}
	f := gpu.Ctx.Info().Features
	if f.ShaderFloat16 {
		forms = append(forms, benchForm{name: "direct-f16math", set: func(op *Conv3x3) { op.MathHalf = true }})
	}
	if !f.MatrixTiles {
		return append(forms, benchForm{name: "mma-emu", set: func(op *Conv3x3) { op.MMA = MMAEmulated }})
	}
	for _, mt := range []int{1, 2, 4} {
		forms = append(forms, benchForm{name: fmt.Sprintf("mma-%dtiles", mt), set: func(op *Conv3x3) { op.MMA, op.SubgroupTiles = MMANative, mt }})
	}
	seen := map[[3]uint32]bool{f.MatrixTile: true}
	for _, sh := range append(append([][3]uint32{}, f.MatrixTileShapes...), tileShapes(tb)...) {
		if seen[sh] {
			continue
		}
		seen[sh] = true
		forms = append(forms, benchForm{name: fmt.Sprintf("mma-2tiles-%dx%dx%d", sh[0], sh[1], sh[2]),
			set: func(op *Conv3x3) { op.MMA, op.SubgroupTiles = MMANative, 2 }, tile: sh})
	}
	return forms
}

// The benchmark's code runs in the suite too, once per layer and form on a
// small image, so that it works when a GPU is there to time.
func TestConv3x3LayersBenchRuns(t *testing.T) {
	const w, h = 70, 5
	for _, layer := range convBenchLayers {
		src, res := benchLayerTensors(layer, w, h)
		for _, fm := range benchForms(t) {
			op := layer
			fm.set(&op)
			forceTile = fm.tile
			benchConv(t, op, w, h, src, res, 0, 1) // it checks three rows
			forceTile = [3]uint32{}
		}
	}
}

// The seeds of the benchmark's residual and first source tensors (the
// others follow).
const benchResSeed, benchSrcSeed = 0, 1

// benchValue is element i of a benchmark tensor: reproducible without
// storing it (a 1080p 64-channel input is 530 MB in fp32), in [-1, 1),
// exact in binary16.
func benchValue(seed uint64, i int) float32 {
	z := (uint64(i) + seed) * 0x9e3779b97f4a7c15
	z ^= z >> 31
	z *= 0xbf58476d1ce4e5b9
	z ^= z >> 29
	return RoundHalf(float32(z>>40)/float32(1<<23) - 1)
}

// benchLayerTensors are a layer's sources and, with a residual, its
// residual, over one w x h image.
func benchLayerTensors(layer Conv3x3, w, h int) (src [3][]float32, res []float32) {
	for i, c := range layer.In {
		if c > 0 {
			src[i] = benchTensor(benchSrcSeed+uint64(i), c*w*h, layer.SrcHalf)
		}
	}
	if layer.Residual {
		res = benchTensor(benchResSeed, layer.Out*w*h, false)
	}
	return src, res
}

// benchTensor is n values from seed, packed as binary16 pairs when half
// (straight into the words, not through PackHalf: a 1080p 64-channel
// input would need a 530 MB fp32 copy first).
func benchTensor(seed uint64, n int, half bool) []float32 {
	if !half {
		v := make([]float32, n)
		for i := range v {
			v[i] = benchValue(seed, i)
		}
		return v
	}
	v := make([]float32, (n+1)/2)
	for i := 0; i < n; i++ {
		word := math.Float32bits(v[i/2]) | uint32(HalfBits(benchValue(seed, i)))<<(16*uint(i%2))
		v[i/2] = math.Float32frombits(word)
	}
	return v
}

// benchConv runs op over one w x h image (benchTensor's sources, and res
// for a residual) b.N times and returns the median dispatch time in ns,
// baseline subtracted, after checking three rows.
func benchConv(b testing.TB, op Conv3x3, w, h int, srcData [3][]float32, resData []float32, base float64, runs int) float64 {
	plane := w * h
	// Weights exact in binary16, as the tiles take them.
	weights := make([]float32, op.WeightLen())
	for i := range weights {
		weights[i] = RoundHalf(0.1 * benchValue(3, i))
	}
	bias := make([]float32, op.Out)
	for i := range bias {
		bias[i] = 0.1 * benchValue(4, i)
	}
	r := begin(b, false)
	var srcs [3]*vk.Buffer
	for i, d := range srcData {
		if d != nil {
			srcs[i] = upload(b, r, d)
		}
	}
	var res *vk.Buffer
	if op.Residual {
		res = upload(b, r, resData)
	}
	outFloats := op.Out * plane
	if op.OutHalf {
		outFloats = (outFloats + 1) / 2
	}
	out := scratch(b, outFloats)
	cw := mustWeights(b, r, op, weights, bias)
	if _, err := r.Submit(); err != nil {
		b.Fatal(err)
	}
	g := op.DenseGeom(1, h, w)
	times := make([]float64, 0, runs)
	bench, _ := b.(*testing.B)
	if bench != nil {
		bench.ResetTimer()
	}
	for i := -1; i < runs; i++ { // i = -1: the warm-up
		r := begin(b, true)
		if err := op.Record(gpu, r, out, srcs, res, cw, g); err != nil {
			r.Abort()
			b.Fatal(err)
		}
		ts, err := r.Submit()
		if err != nil || len(ts) == 0 {
			b.Fatalf("%d timings, %v", len(ts), err)
		}
		// The direct kernel runs in chunks of output channels where the
		// weights exceed a uniform buffer: one dispatch each.
		raw := 0.0
		for _, t := range ts {
			raw += t.Ns
		}
		ns := raw - base*float64(len(ts))
		if ns <= 0 {
			b.Fatalf("%s: %d dispatches took %.0f ns, within the empty-dispatch baseline (%.0f ns each): time a larger -conv.size", op.Shader(), len(ts), raw, base)
		}
		if i >= 0 {
			times = append(times, ns)
		}
	}
	if bench != nil {
		bench.StopTimer()
	}
	got := poison(outFloats)
	r = begin(b, false)
	err := r.Download(out, got)
	if err == nil {
		_, err = r.Submit()
	}
	if err != nil {
		b.Fatal(err)
	}
	for _, y := range []int{0, h / 2, h - 1} {
		checkBenchRow(b, op, w, h, y, weights, bias, got)
	}
	sort.Float64s(times)
	return times[len(times)/2]
}

// checkBenchRow compares output row y with the reference computed from
// the input rows around it.
func checkBenchRow(b testing.TB, op Conv3x3, w, h, y int, weights, bias, got []float32) {
	ys, ye := max(0, y-1), min(h, y+2)
	plane := w * h
	var bands [3][]float32
	var views [3]View
	for i, cin := range op.In {
		bands[i], views[i] = make([]float32, cin*(ye-ys)*w), Band(cin, ys, ye, w)
		for c := 0; c < cin; c++ {
			for yy := ys; yy < ye; yy++ {
				for x := 0; x < w; x++ {
					bands[i][(c*(ye-ys)+yy-ys)*w+x] = benchValue(benchSrcSeed+uint64(i), c*plane+yy*w+x)
				}
			}
		}
	}
	res := make([]float32, op.Out*w)
	for c := range op.Out {
		for x := 0; x < w; x++ {
			res[c*w+x] = benchValue(benchResSeed, c*plane+y*w+x)
		}
	}
	g := ConvGeom{N: 1, H: h, W: w, Y0: y, Y1: y + 1, Src: views,
		Res: Band(op.Out, y, y+1, w), Out: Band(op.Out, y, y+1, w)}
	want := make([]float32, op.Out*w)
	if err := op.Ref(want, bands, res, weights, bias, g); err != nil {
		b.Fatal(err)
	}
	row := make([]float32, op.Out*w)
	for c := range op.Out {
		for x := 0; x < w; x++ {
			e := c*plane + y*w + x
			if op.OutHalf {
				row[c*w+x] = HalfValue(uint16(math.Float32bits(got[e/2]) >> (16 * uint(e%2))))
			} else {
				row[c*w+x] = got[e]
			}
		}
	}
	// Binary16 outputs round to 5e-4 relative; binary16 nine-tap sums
	// (MathHalf) add their own rounding, once per input channel.
	tol := 2e-3
	if op.MathHalf {
		tol = 1e-2
	}
	closeTo(b, fmt.Sprintf("%s row %d", op.Shader(), y), row, want, tol, tol)
}
