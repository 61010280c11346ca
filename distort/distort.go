// Package distort applies reproducible image distortions: the families of
// the usual quality benchmarks and of real-time rendering, five strengths
// each. An output depends only on (image, type, level, seed), so a training
// set can be regenerated bit for bit. Images are metric.Image RGB in [0,1];
// outputs are clipped to [0,1].
package distort

import (
	"fmt"
	"hash/fnv"
	"math/rand"
	"sort"

	"github.com/vkpercept/vkpercept/metric"
)

// Levels is the number of strengths per type (1 mildest .. 5 strongest).
const Levels = 5

// apply distorts a copy of im in place at a level (1..Levels) with rng.
type apply func(im *metric.Image, level int, rng *rand.Rand) error

type kind struct {
	family string
	fn     apply
	about  string
}

var registry = map[string]kind{}

func register(name, family, about string, fn apply) { registry[name] = kind{family, fn, about} }

// Types lists the distortion names, sorted.
func Types() []string {
	out := make([]string, 0, len(registry))
	for n := range registry {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Family is the group a type belongs to (blur, noise, compression, colour,
// spatial, enhancement).
func Family(name string) string { return registry[name].family }

// About describes a type in a line.
func About(name string) string { return registry[name].about }

// Apply returns im distorted by type name at level with seed; im is unchanged.
func Apply(im metric.Image, name string, level int, seed int64) (metric.Image, error) {
	k, ok := registry[name]
	if !ok {
		return metric.Image{}, fmt.Errorf("distort: unknown type %q (known: %v)", name, Types())
	}
	if level < 1 || level > Levels {
		return metric.Image{}, fmt.Errorf("distort: level %d outside 1..%d", level, Levels)
	}
	if im.C != 3 || len(im.Data) != 3*im.H*im.W || im.H < 1 || im.W < 1 {
		return metric.Image{}, fmt.Errorf("distort: need a 3-channel image, got %dx%dx%d with %d values", im.C, im.H, im.W, len(im.Data))
	}
	out := metric.Image{C: 3, H: im.H, W: im.W, Data: append([]float32(nil), im.Data...)}
	// The stream depends on the type and the seed only: not on the order of
	// calls, and not on the level, so the levels of one seed share their
	// noise, directions and angles and differ only in strength.
	h := fnv.New64a()
	fmt.Fprintf(h, "%s/%d", name, seed)
	if err := k.fn(&out, level, rand.New(rand.NewSource(int64(h.Sum64())))); err != nil {
		return metric.Image{}, fmt.Errorf("distort %s: %w", name, err)
	}
	clip(out.Data)
	return out, nil
}

func clip(v []float32) {
	for i, x := range v {
		if x < 0 {
			v[i] = 0
		} else if x > 1 {
			v[i] = 1
		}
	}
}

// pick returns the level's parameter from a table of Levels values.
func pick(level int, table [Levels]float64) float64 { return table[level-1] }

// planes returns the three channel planes of im.
func planes(im *metric.Image) [3][]float32 {
	n := im.H * im.W
	return [3][]float32{im.Data[:n], im.Data[n : 2*n], im.Data[2*n:]}
}
