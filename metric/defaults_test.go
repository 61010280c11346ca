package metric_test

import (
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand"
	"testing"

	"github.com/vkpercept/vkpercept/distort"
	"github.com/vkpercept/vkpercept/metric"
)

// The built-in weights are ours (the training tool's metadata, never the
// authors' checkpoint) and behave as a quality metric: an identical pair
// rates highest and, for each of several distortion types, a stronger level
// rates lower than a weaker one. (MOS of an identical pair is 5(1-S(0)),
// below 5 for any smooth scaler: the authors' weights give 4.35.)
func TestDefaultWeights(t *testing.T) {
	file := metric.DefaultWeightsFile()
	n := binary.LittleEndian.Uint64(file)
	var header struct {
		Meta map[string]string `json:"__metadata__"`
	}
	if err := json.Unmarshal(file[8:8+n], &header); err != nil {
		t.Fatal(err)
	}
	if header.Meta["format"] != "vkpercept-milo" || header.Meta["trained"] == "" {
		t.Fatalf("built-in weights are not from tools/train: metadata %v", header.Meta)
	}
	m, ref := defaultMILO(t)
	mos := func(d metric.Image) float64 {
		r, err := m.Evaluate(ref, d, false)
		if err != nil {
			t.Fatal(err)
		}
		return r.MOS
	}
	same := mos(ref)
	if same < 3.5 || same > 5 {
		t.Errorf("identical pair: MOS %.3f", same)
	}
	for _, typ := range []string{"gaussian_blur", "white_noise", "jpeg", "saturation"} {
		prev := same
		for _, level := range []int{1, 3, 5} {
			d, err := distort.Apply(ref, typ, level, 7)
			if err != nil {
				t.Fatal(err)
			}
			v := mos(d)
			if v >= prev {
				t.Errorf("%s level %d: MOS %.3f, not below the weaker level's %.3f", typ, level, v, prev)
			}
			prev = v
		}
	}
}

// The built-in mask must do what a mask is for: weigh the same absolute
// difference by what it does to the picture. A uniform brightness offset and
// random +-offset noise have the same mean |ref-dist|, yet every teacher
// rates the offset far better; weights whose mask is constant (a network that
// reduced to L1, as a collapsed training run once shipped) rate them equal.
func TestDefaultWeightsMask(t *testing.T) {
	m, ref := defaultMILO(t)
	const offset = 0.04
	shifted := metric.Image{C: ref.C, H: ref.H, W: ref.W, Data: make([]float32, len(ref.Data))}
	noisy := metric.Image{C: ref.C, H: ref.H, W: ref.W, Data: make([]float32, len(ref.Data))}
	rng := rand.New(rand.NewSource(3))
	for i, v := range ref.Data {
		// Move away from the nearer bound so that nothing clips and both
		// distortions change every value by exactly the offset.
		dir := float32(1)
		if v > 0.5 {
			dir = -1
		}
		shifted.Data[i] = v + dir*offset
		n := v - dir*offset
		if rng.Intn(2) == 0 || n < 0 || n > 1 {
			n = v + dir*offset
		}
		noisy.Data[i] = n
	}
	a, err := m.Evaluate(ref, shifted, true)
	if err != nil {
		t.Fatal(err)
	}
	b, err := m.Evaluate(ref, noisy, true)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("offset MOS %.3f, noise MOS %.3f", a.MOS, b.MOS)
	if a.MOS-b.MOS < 0.3 {
		t.Errorf("offset MOS %.3f, noise MOS %.3f at equal mean |ref-dist|: the mask does not tell them apart", a.MOS, b.MOS)
	}
	var mean, sq float64
	for _, v := range b.Mask {
		mean += float64(v)
		sq += float64(v) * float64(v)
	}
	mean /= float64(len(b.Mask))
	if cv := math.Sqrt(sq/float64(len(b.Mask))-mean*mean) / mean; cv < 0.05 {
		t.Errorf("mask over the noisy picture: mean %.3f, coefficient of variation %.4f: nearly constant", mean, cv)
	}
}

// defaultMILO opens the built-in weights on the CPU backend (closed when the
// test ends) and cuts a 192x160 crop of the example picture.
func defaultMILO(t *testing.T) (*metric.MILO, metric.Image) {
	t.Helper()
	w, err := metric.DefaultWeights()
	if err != nil || w.Channels != 3 {
		t.Fatalf("%v (channels %v)", err, w)
	}
	m, err := metric.NewMILO(w, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	pic, err := metric.LoadImage("../examples/ref.png")
	if err != nil {
		t.Fatal(err)
	}
	ref, err := pic.Crop(100, 80, 192, 160)
	if err != nil {
		t.Fatal(err)
	}
	return m, ref
}
