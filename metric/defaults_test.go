package metric_test

import (
	"encoding/binary"
	"encoding/json"
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
	w, err := metric.DefaultWeights()
	if err != nil || w.Channels != 3 {
		t.Fatalf("%v (channels %v)", err, w)
	}
	m, err := metric.NewMILO(w, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	pic, err := metric.LoadImage("../examples/ref.png")
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := pic.Crop(100, 80, 192, 160)
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
