package metric

import (
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// randomWeights makes a well-formed model with small random parameters.
func randomWeights(c int, seed int64) *Weights {
	rng := rand.New(rand.NewSource(seed))
	vec := func(n int, s float32) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = (rng.Float32()*2 - 1) * s
		}
		return v
	}
	w := &Weights{Channels: c}
	in := 2*c + 1
	for i, out := range maskOuts {
		w.Mask[i] = Layer{W: vec(out*in*9, 0.2), B: vec(out, 0.1)}
		in = out
	}
	h := scalerHidden
	w.Scaler.W0, w.Scaler.B0 = vec(h, 1), vec(h, 0.5)
	w.Scaler.W1, w.Scaler.B1 = vec(h*h, 0.3), vec(h, 0.5)
	w.Scaler.W2, w.Scaler.B2 = vec(h, 0.5), vec(1, 0.5)
	return w
}

func randomImage(c, h, w int, seed int64) Image {
	rng := rand.New(rand.NewSource(seed))
	im := Image{C: c, H: h, W: w, Data: make([]float32, c*h*w)}
	for i := range im.Data {
		im.Data[i] = rng.Float32()
	}
	return im
}

func TestVulkanMatchesCPUOnOddSizes(t *testing.T) {
	w := randomWeights(3, 1)
	gpu, err := NewMILO(w, testCtx)
	if err != nil {
		t.Fatal(err)
	}
	defer gpu.Close()
	cpu, _ := NewMILO(w, nil)
	for _, hw := range [][2]int{{16, 16}, {16, 47}, {31, 16}, {33, 65}} {
		ref, dist := randomImage(3, hw[0], hw[1], 2), randomImage(3, hw[0], hw[1], 3)
		a, err := gpu.Evaluate(ref, dist, true)
		if err != nil {
			t.Fatal(err)
		}
		b, err := cpu.Evaluate(ref, dist, true)
		if err != nil {
			t.Fatal(err)
		}
		for _, p := range [][2]float64{{a.Score, b.Score}, {a.Loss, b.Loss}, {a.MOS, b.MOS}} {
			if math.Abs(p[0]-p[1]) > 1e-5*math.Abs(p[1])+1e-7 {
				t.Errorf("%v: vulkan %g, cpu %g", hw, p[0], p[1])
			}
		}
		if d := maxAbsDiff(a.Mask, b.Mask); d > 1e-4 {
			t.Errorf("%v: mask differs by %g", hw, d)
		}
	}
}

// The second call on the same size must create no Vulkan objects at all,
// with the inputs on the device or unpacked a band at a time from staging.
func TestSteadyStateAllocatesNothing(t *testing.T) {
	m := testMILO(t, 4, testCtx)
	ref, dist := randomImage(3, 40, 52, 5), randomImage(3, 40, 52, 6)
	for _, budget := range []int64{DefaultBudget, 1} {
		m.Budget = budget
		first, err := m.Evaluate(ref, dist, true)
		if err != nil {
			t.Fatal(err)
		}
		before := testCtx.Stats()
		second, err := m.Evaluate(ref, dist, true)
		if err != nil {
			t.Fatal(err)
		}
		after := testCtx.Stats()
		if after.MemoryAllocations != before.MemoryAllocations || after.Buffers != before.Buffers || after.DescriptorSets != before.DescriptorSets || after.Pipelines != before.Pipelines {
			t.Fatalf("budget %d: second call allocated: before %+v, after %+v", budget, before, after)
		}
		if after.Submits != before.Submits+1 {
			t.Fatalf("budget %d: a forward pass took %d submissions, want 1", budget, after.Submits-before.Submits)
		}
		if first.Score != second.Score || first.Loss != second.Loss {
			t.Fatalf("budget %d: repeat call changed the result: %v vs %v", budget, first.Score, second.Score)
		}
		if ps, _ := m.passFor(1, 3, 40, 52, true); ps.p.resident != (budget == DefaultBudget) {
			t.Fatalf("budget %d: resident %v", budget, ps.p.resident)
		}
	}
}

func TestIdenticalImagesScoreZero(t *testing.T) {
	m := testMILO(t, 7, testCtx)
	im := randomImage(3, 20, 24, 8)
	res, err := m.Evaluate(im, im, false)
	if err != nil {
		t.Fatal(err)
	}
	if res.Loss != 0 || math.Abs(res.Score) > 1e-7 {
		t.Fatalf("identical images: loss %g, score %g", res.Loss, res.Score)
	}
}

func TestBadInputs(t *testing.T) {
	m := testMILO(t, 9, nil)
	ok := randomImage(3, 16, 16, 1)
	nan := randomImage(3, 16, 16, 1)
	nan.Data[5] = float32(math.NaN())
	cases := []struct {
		name      string
		ref, dist Image
		want      string
	}{
		{"size mismatch", ok, randomImage(3, 16, 17, 1), "size mismatch"},
		{"too small", randomImage(3, 15, 40, 1), randomImage(3, 15, 40, 1), "smallest size"},
		{"channels", randomImage(4, 16, 16, 1), randomImage(4, 16, 16, 1), "channels"},
		{"nan", ok, nan, "NaN"},
		{"short data", Image{C: 3, H: 16, W: 16, Data: make([]float32, 10)}, Image{C: 3, H: 16, W: 16, Data: make([]float32, 10)}, "holds 10"},
	}
	for _, tc := range cases {
		if _, err := m.Evaluate(tc.ref, tc.dist, false); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want one mentioning %q", tc.name, err, tc.want)
		}
	}
}

func TestWeightsValidation(t *testing.T) {
	dir := t.TempDir()
	good := randomWeights(3, 1)
	data, err := good.Safetensors()
	if err != nil {
		t.Fatal(err)
	}
	back, err := ParseSafetensors("mem", data)
	if err != nil {
		t.Fatal(err)
	}
	if back.Channels != 3 || back.Mask[2].W[17] != good.Mask[2].W[17] || back.Scaler.B2[0] != good.Scaler.B2[0] {
		t.Fatal("safetensors round trip changed the weights")
	}
	write := func(name string, b []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	missing := randomWeights(3, 1)
	missing.Scaler.B1 = nil // serialises as an empty tensor of the wrong shape
	mdata, err := missing.Safetensors()
	if err == nil {
		_, err = ParseSafetensors("missing", mdata)
	}
	if err == nil || !strings.Contains(err.Error(), "scaler_network.model.2.bias") {
		t.Errorf("misshapen bias: %v", err)
	}
	cases := map[string]string{
		write("text.pth", []byte("hello, not a checkpoint")):     "not a checkpoint",
		write("trunc.safetensors", data[:len(data)/2]):           "corrupt",
		write("zip.pth", []byte("PK\x03\x04garbage garbage")):    "",
		write("latent.safetensors", mustST(randomWeights(4, 2))): "-",
	}
	for p, want := range cases {
		_, err := LoadWeights(p)
		switch want {
		case "-":
			if err != nil {
				t.Errorf("%s: %v", p, err)
			}
		case "":
			if err == nil {
				t.Errorf("%s: accepted", p)
			}
		default:
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("%s: error %v, want %q", p, err, want)
			}
		}
	}
	if _, err := LoadWeights(filepath.Join(dir, "absent.pth")); err == nil {
		t.Error("a missing file loaded")
	}
}

func mustST(w *Weights) []byte {
	b, err := w.Safetensors()
	if err != nil {
		panic(err)
	}
	return b
}

func TestLatentRejectsWrongShape(t *testing.T) {
	dir, cases := goldenCases(t)
	for _, c := range cases {
		if c.Inputs.Kind != "latent" {
			continue
		}
		if _, err := LoadLatent(filepath.Join(dir, c.Inputs.Ref), 3); err == nil || !strings.Contains(err.Error(), "channels") {
			t.Errorf("4-channel latent accepted as 3-channel: %v", err)
		}
		if _, err := LoadLatent(filepath.Join(dir, c.QMap), 4); err == nil || !strings.Contains(err.Error(), "rank 3") {
			t.Errorf("rank-2 array accepted as a latent: %v", err)
		}
	}
}
