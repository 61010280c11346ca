// Command label builds MILO's training and validation sets: random crops
// (128 to 256 px, at scales 1, 1/2 and 1/4) of the pictures in the data
// manifest, distorted by package distort, scored by the teacher metrics of
// package iqa, and the teachers' scores turned into a pseudo-MOS. Output,
// per split, in the work directory: <split>.u8 (the crops and their
// distortions, RGB interleaved, back to back) and <split>.jsonl (one pair
// per line: offsets, size, distortion, teacher scores, pseudo-MOS).
//
// The pseudo-MOS: each teacher's score is mapped to a quality in [0,1] by
// its empirical distribution over the training pairs (a monotone map that
// puts the teachers on one scale whatever their units and direction), the
// qualities are averaged, and MOS = 5 x mean quality. Identical pairs get 5.
package main

import (
	"bufio"
	"encoding/json"
	"flag"
	"fmt"
	"math/rand"
	"os"
	"path/filepath"
	"sort"

	"github.com/vkpercept/vkpercept/distort"
	"github.com/vkpercept/vkpercept/iqa"
	"github.com/vkpercept/vkpercept/kernels"
	"github.com/vkpercept/vkpercept/metric"
)

// Teachers are the ensemble behind the pseudo-MOS, named explicitly so that
// a new metric in package iqa does not change the labels. tools/train/eval
// reads the names back from the labels.
var Teachers = func() []iqa.Metric {
	var ts []iqa.Metric
	for _, name := range []string{"msssim", "gmsd", "nlpd", "haarpsi", "deltae"} {
		m, _ := iqa.Lookup(name) // all defined there
		ts = append(ts, m)
	}
	return ts
}()

// Pair is one labelled pair.
type Pair struct {
	RefOff    int64              `json:"ref_off"`  // byte offsets in <split>.u8
	DistOff   int64              `json:"dist_off"` // equal to ref_off for an identical pair
	W         int                `json:"w"`
	H         int                `json:"h"`
	Crop      int                `json:"crop"` // crop index within the split
	Source    string             `json:"source"`
	Type      string             `json:"type"` // "" for an identical pair
	Level     int                `json:"level"`
	Seed      int64              `json:"seed"`
	Scores    map[string]float64 `json:"scores"`
	PseudoMOS float64            `json:"pmos"`
}

func main() {
	work := flag.String("work", ".train", "work directory holding manifest.json")
	trainCrops := flag.Int("train-crops", 8, "crops per training picture")
	trainDists := flag.Int("train-dists", 12, "random distortions per training crop")
	valCrops := flag.Int("val-crops", 2, "crops per validation picture (each gets every type at every level)")
	seed := flag.Int64("seed", 1, "seed of crops and distortions")
	flag.Parse()
	if err := run(*work, *trainCrops, *trainDists, *valCrops, *seed); err != nil {
		fmt.Fprintln(os.Stderr, "label:", err)
		os.Exit(1)
	}
}

type source struct {
	Path  string `json:"path"`
	File  string `json:"file"`
	Split string `json:"split"`
}

func run(work string, trainCrops, trainDists, valCrops int, seed int64) error {
	for _, t := range Teachers {
		if t.Fn == nil {
			return fmt.Errorf("teacher %q is not a metric of package iqa", t.Name)
		}
	}
	raw, err := os.ReadFile(filepath.Join(work, "manifest.json"))
	if err != nil {
		return fmt.Errorf("%w (run go run ./tools/train/data first)", err)
	}
	var srcs []source
	if err := json.Unmarshal(raw, &srcs); err != nil {
		return err
	}
	splits := map[string][]Pair{}
	for _, split := range []string{"train", "val"} {
		pairs, err := build(work, split, srcs, trainCrops, trainDists, valCrops, seed)
		if err != nil {
			return err
		}
		splits[split] = pairs
	}
	cdfs := map[string][]float64{}
	for _, t := range Teachers {
		var v []float64
		for _, p := range splits["train"] {
			if p.Type != "" {
				v = append(v, p.Scores[t.Name])
			}
		}
		sort.Float64s(v)
		cdfs[t.Name] = v
	}
	for split, pairs := range splits {
		for i := range pairs {
			pairs[i].PseudoMOS = pseudoMOS(pairs[i], cdfs)
		}
		if err := writeJSONL(filepath.Join(work, split+".jsonl"), pairs); err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "label: %s: %d pairs\n", split, len(pairs))
	}
	return nil
}

// pseudoMOS averages the teachers' qualities (empirical CDF over the
// training pairs, flipped where lower is better) and scales to 0..5.
func pseudoMOS(p Pair, cdfs map[string][]float64) float64 {
	if p.Type == "" {
		return 5
	}
	var q float64
	for _, t := range Teachers {
		v := cdfs[t.Name]
		// Fraction of training scores below (mid-rank for ties).
		lo := sort.SearchFloat64s(v, p.Scores[t.Name])
		hi := sort.Search(len(v), func(i int) bool { return v[i] > p.Scores[t.Name] })
		f := (float64(lo) + float64(hi)) / 2 / float64(len(v))
		if !t.Higher {
			f = 1 - f
		}
		q += f
	}
	return 5 * q / float64(len(Teachers))
}

// build crops, distorts and scores one split, appending pixels to <split>.u8.
func build(work, split string, srcs []source, trainCrops, trainDists, valCrops int, seed int64) ([]Pair, error) {
	f, err := os.Create(filepath.Join(work, split+".u8"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	w := bufio.NewWriter(f)
	var off int64
	put := func(im metric.Image) int64 {
		at := off
		pix := im.NRGBA().Pix
		buf := make([]byte, 0, 3*im.H*im.W)
		for i := 0; i < len(pix); i += 4 {
			buf = append(buf, pix[i:i+3]...) // RGB, alpha dropped
		}
		w.Write(buf)
		off += int64(len(buf))
		return at
	}
	var pairs []Pair
	crop := 0
	types := distort.Types()
	for si, s := range srcs {
		if s.Split != split {
			continue
		}
		pic, err := metric.LoadImage(s.Path)
		if err != nil {
			return nil, err
		}
		rng := rand.New(rand.NewSource(seed*1_000_003 + int64(si)))
		n := trainCrops
		if split == "val" {
			n = valCrops
		}
		for k := 0; k < n; k++ {
			ref := randomCrop(pic, rng)
			// Crops go through 8 bits as the training script reads them.
			ref = quantise(ref)
			refOff := put(ref)
			var jobs []Pair
			if split == "val" {
				for _, t := range types {
					for l := 1; l <= distort.Levels; l++ {
						jobs = append(jobs, Pair{Type: t, Level: l, Seed: rng.Int63n(1 << 30)})
					}
				}
			} else {
				jobs = append(jobs, Pair{}) // one identical pair per crop anchors MOS 5
				for d := 0; d < trainDists; d++ {
					jobs = append(jobs, Pair{Type: types[rng.Intn(len(types))], Level: 1 + rng.Intn(distort.Levels), Seed: rng.Int63n(1 << 30)})
				}
			}
			dists := make([]metric.Image, len(jobs))
			errs := make([]error, len(jobs))
			kernels.ParallelFor(len(jobs), func(j int) {
				p := &jobs[j]
				d := ref
				if p.Type != "" {
					if d, errs[j] = distort.Apply(ref, p.Type, p.Level, p.Seed); errs[j] != nil {
						return
					}
					d = quantise(d)
				}
				p.Scores = map[string]float64{}
				for _, t := range Teachers {
					v, err := t.Fn(ref, d)
					if err != nil {
						errs[j] = fmt.Errorf("%s on %s: %w", t.Name, s.File, err)
						return
					}
					p.Scores[t.Name] = v
				}
				dists[j] = d
			})
			for j := range jobs {
				if errs[j] != nil {
					return nil, errs[j]
				}
				p := jobs[j]
				p.RefOff, p.DistOff, p.W, p.H, p.Crop, p.Source = refOff, refOff, ref.W, ref.H, crop, s.File
				if p.Type != "" {
					p.DistOff = put(dists[j])
				}
				pairs = append(pairs, p)
			}
			crop++
		}
	}
	return pairs, w.Flush()
}

// randomCrop downscales by 1, 2 or 4 (2x2 box averages) where the picture
// allows, then cuts a square-ish crop of 128 to 256 px (multiples of 16).
func randomCrop(pic metric.Image, rng *rand.Rand) metric.Image {
	im := pic
	for s := rng.Intn(3); s > 0 && min(im.W, im.H)/2 >= 256; s-- {
		im = half(im)
	}
	w, h := 128+16*rng.Intn(9), 128+16*rng.Intn(9)
	w, h = min(w, im.W), min(h, im.H)
	out, _ := im.Crop(rng.Intn(im.W-w+1), rng.Intn(im.H-h+1), w, h) // inside by construction
	return out
}

// half is MILO's own 2x2 average pooling (kernels.AvgPool2) of the picture.
func half(im metric.Image) metric.Image {
	op := kernels.AvgPool2{}
	h, w := op.OutSize(im.H, im.W)
	out := metric.Image{C: im.C, H: h, W: w, Data: make([]float32, im.C*h*w)}
	_ = op.Ref(out.Data, im.Data, op.DenseGeom(1, im.C, im.H, im.W)) // sizes match by construction
	return out
}

// quantise rounds to 8 bits and back, as a PNG of the crop would hold it.
func quantise(im metric.Image) metric.Image { return metric.FromImage(im.NRGBA()) }

func writeJSONL(path string, pairs []Pair) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	enc := json.NewEncoder(w)
	for _, p := range pairs {
		if err := enc.Encode(p); err != nil {
			f.Close()
			return err
		}
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
