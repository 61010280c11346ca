package main

import (
	"bytes"
	"encoding/json"
	"image"
	"image/color"
	"image/png"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vkpercept/vkpercept/distort"
)

// Small pictures keep the pipeline test fast: crops are cut at most this
// big, so every pair is 80x64 (not square, and 8 divides both for the
// 4-level pyramid).
const picW, picH = 80, 64

// splitFiles are what run writes into the work directory.
var splitFiles = []string{"train.jsonl", "train.u8", "val.jsonl", "val.u8"}

// synthPicture paints a picture with what masking is about: smooth
// gradients (where banding and contrast show), hard edges and a noisy
// texture (where they hide).
func synthPicture(seed int64) *image.NRGBA {
	rng := rand.New(rand.NewSource(seed))
	img := image.NewNRGBA(image.Rect(0, 0, picW, picH))
	cx, cy, r := rng.Float64()*picW, rng.Float64()*picH, 10+rng.Float64()*15
	tint := [3]float64{rng.Float64(), rng.Float64(), rng.Float64()}
	for y := 0; y < picH; y++ {
		for x := 0; x < picW; x++ {
			var c [3]float64
			for k := range c {
				c[k] = 0.2 + 0.6*tint[k]*float64(x+y)/float64(picW+picH)
			}
			if math.Hypot(float64(x)-cx, float64(y)-cy) < r {
				c = [3]float64{0.9 - 0.5*tint[0], 0.3, 0.2 + 0.6*tint[2]}
			}
			if x > picW/2 && y > picH/2 { // textured quadrant
				n := 0.25 * rng.NormFloat64()
				for k := range c {
					c[k] += n
				}
			}
			var px [3]uint8
			for k := range c {
				px[k] = uint8(math.Round(255 * math.Max(0, math.Min(1, c[k]))))
			}
			img.SetNRGBA(x, y, color.NRGBA{px[0], px[1], px[2], 255})
		}
	}
	return img
}

// synthWork writes five pictures (four for training, one for validation)
// and the manifest tools/train/data would write for them.
func synthWork(t *testing.T) string {
	t.Helper()
	work := t.TempDir()
	var srcs []source
	for i := range 5 {
		path := filepath.Join(work, "pic", string(rune('a'+i))+".png")
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		if err := png.Encode(&buf, synthPicture(int64(i))); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
		split := "train"
		if i == 4 {
			split = "val"
		}
		srcs = append(srcs, source{Path: path, File: filepath.Base(path), Split: split})
	}
	raw, err := json.Marshal(srcs)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(work, "manifest.json"), raw, 0o644); err != nil {
		t.Fatal(err)
	}
	return work
}

func readPairs(t *testing.T, path string) []Pair {
	t.Helper()
	var out []Pair
	for _, line := range strings.Split(strings.TrimSpace(string(readFile(t, path))), "\n") {
		var p Pair
		if err := json.Unmarshal([]byte(line), &p); err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// Labels are a pure function of the pictures and the seed, the splits have
// the documented shape, and the pseudo-MOS is 5 for identical pairs, in
// [0,5] elsewhere and falls with the distortion level.
func TestLabels(t *testing.T) {
	work := synthWork(t)
	if err := run(work, 6, 12, 1, 1); err != nil {
		t.Fatal(err)
	}
	snapshot := map[string][]byte{}
	for _, f := range splitFiles {
		snapshot[f] = readFile(t, filepath.Join(work, f))
	}
	if err := run(work, 6, 12, 1, 1); err != nil {
		t.Fatal(err)
	}
	for f, want := range snapshot {
		if !bytes.Equal(readFile(t, filepath.Join(work, f)), want) {
			t.Errorf("%s differs between two runs with the same seed", f)
		}
	}

	train, val := readPairs(t, filepath.Join(work, "train.jsonl")), readPairs(t, filepath.Join(work, "val.jsonl"))
	if want := 4 * 6 * 13; len(train) != want {
		t.Errorf("train: %d pairs, want %d (4 pictures x 6 crops x (1 identical + 12 distorted))", len(train), want)
	}
	types := distort.Types()
	if want := len(types) * distort.Levels; len(val) != want {
		t.Errorf("val: %d pairs, want %d (every type at every level)", len(val), want)
	}
	for _, p := range append(train, val...) {
		if p.W != picW || p.H != picH {
			t.Fatalf("pair %+v: crop %dx%d, want the whole %dx%d picture", p, p.W, p.H, picW, picH)
		}
		if p.Type == "" && p.PseudoMOS != 5 {
			t.Errorf("identical pair rated %g, want 5", p.PseudoMOS)
		}
		if p.PseudoMOS < 0 || p.PseudoMOS > 5 || len(p.Scores) != len(Teachers) {
			t.Errorf("pair %s/%d: pseudo-MOS %g, %d teacher scores", p.Type, p.Level, p.PseudoMOS, len(p.Scores))
		}
	}
	// On one crop every type comes at five levels: the strongest must rate
	// below the weakest for nearly all of them (a teacher ensemble, not a
	// law, so a few exceptions are allowed).
	first := map[string]float64{}
	wrong := 0
	for _, p := range val {
		switch p.Level {
		case 1:
			first[p.Type] = p.PseudoMOS
		case distort.Levels:
			if p.PseudoMOS >= first[p.Type] {
				wrong++
				t.Logf("%s: level %d rates %.3f, level 1 %.3f", p.Type, p.Level, p.PseudoMOS, first[p.Type])
			}
		}
	}
	if wrong > 2 {
		t.Errorf("%d of %d types rate their strongest level no lower than their weakest", wrong, len(types))
	}
}
