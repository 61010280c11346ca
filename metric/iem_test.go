package metric

import (
	"encoding/json"
	"math"
	"math/rand"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sbinet/npyio"

	"github.com/vkpercept/vkpercept/kernels"
	"github.com/vkpercept/vkpercept/vk"
)

type iemCase struct {
	Name     string            `json:"name"`
	Denoiser string            `json:"denoiser"`
	K        int               `json:"num_gamma"`
	SigmaMin float64           `json:"sigma_min"`
	SigmaMax float64           `json:"sigma_max"`
	Shape    []int             `json:"shape"`
	Files    map[string]string `json:"files"`
	Standard float64           `json:"iem_standard"`
	SquareF  float64           `json:"iem_square_f"`
	TanhF    float64           `json:"iem_tanh_f"`
	Cont     float64           `json:"gauss_continuum_sq"`
}

type iemDoc struct {
	Priors struct {
		Gauss struct{ Mu, V float64 }      `json:"gauss"`
		GMM   struct{ W, Mu, V []float64 } `json:"gmm"`
	} `json:"priors"`
	Cases []iemCase `json:"cases"`
}

func iemGolden(t *testing.T) (string, iemDoc) {
	p := sharedPath(t, "iem/golden/cases.json")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var doc iemDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Cases) == 0 {
		t.Fatalf("%s lists no cases", p)
	}
	return filepath.Dir(p), doc
}

func npy64(t *testing.T, path string) []float64 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var v []float64
	if err := npyio.Read(f, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

func (d iemDoc) denoiser(name string) Denoiser {
	if name == "gauss" {
		return GaussDenoiser(d.Priors.Gauss.Mu, d.Priors.Gauss.V)
	}
	return GMMDenoiser(d.Priors.GMM.W, d.Priors.GMM.Mu, d.Priors.GMM.V)
}

func relClose(t *testing.T, what string, got, want, rel float64) {
	t.Helper()
	if math.IsNaN(got) || math.Abs(got-want) > rel*math.Abs(want)+1e-12 {
		t.Errorf("%s = %.12g, want %.12g (rel %.2g > %.0g)", what, got, want, math.Abs(got-want)/math.Abs(want), rel)
	}
}

// Replaying the stored path reproduces every per-step value and the three variants.
func TestIEMGolden(t *testing.T) {
	dir, doc := iemGolden(t)
	for _, backend := range []string{"cpu", "vulkan"} {
		rel, zabs := 1e-6, 1e-9
		var ctx *vk.Context
		if backend == "vulkan" {
			ctx, rel, zabs = testCtx, 1e-4, 1e-5
		}
		for _, c := range doc.Cases {
			t.Run(backend+"/"+c.Name, func(t *testing.T) {
				file := func(k string) []float64 { return npy64(t, filepath.Join(dir, c.Files[k])) }
				shape := Tensor64{C: c.Shape[0], H: c.Shape[1], W: c.Shape[2]}
				x1, x2 := shape, shape
				x1.Data, x2.Data = file("x1"), file("x2")
				n := len(x1.Data)
				flat := file("dw")
				path := &Path{W0: file("w0")}
				for k := 0; k < c.K; k++ {
					path.DW = append(path.DW, flat[k*n:(k+1)*n])
				}
				m := NewIEM(doc.denoiser(c.Denoiser), ctx)
				tr, err := m.Evaluate(x1, x2, IEMOptions{Steps: c.K, SigmaMin: c.SigmaMin, SigmaMax: c.SigmaMax, Path: path, MemoryBudget: int64(20 * 4 * n * 7)})
				if err != nil {
					t.Fatal(err)
				}
				for k, s := range file("sigma") {
					if math.Abs(tr.Sigma[k]-s) > 1e-12*s {
						t.Fatalf("sigma[%d] = %.17g, golden %.17g", k, tr.Sigma[k], s)
					}
				}
				dqv, z := file("dqv"), file("z")
				zscale := 0.0
				for _, v := range z {
					zscale = math.Max(zscale, math.Abs(v))
				}
				for k := range dqv {
					relClose(t, "dqv", tr.DQV[k], dqv[k], rel)
					// z starts at 0 and crosses zero: compare against its range.
					if math.Abs(tr.Z[k]-z[k]) > rel*zscale+zabs {
						t.Errorf("z[%d] = %.12g, want %.12g", k, tr.Z[k], z[k])
					}
				}
				relClose(t, "iem_standard", tr.Standard(), c.Standard, rel)
				relClose(t, "iem_square_f", tr.SquareF(), c.SquareF, rel)
				relClose(t, "iem_tanh_f", tr.Generalized(math.Tanh), c.TanhF, rel)
			})
		}
	}
}

// With a per-pixel Gaussian prior the squared standard IEM converges to the
// continuum integral as the grid is refined.
func TestIEMGaussConvergence(t *testing.T) {
	dir, doc := iemGolden(t)
	for _, c := range doc.Cases {
		if c.Cont == 0 {
			continue
		}
		x1 := Tensor64{C: c.Shape[0], H: c.Shape[1], W: c.Shape[2], Data: npy64(t, filepath.Join(dir, c.Files["x1"]))}
		x2 := x1
		x2.Data = npy64(t, filepath.Join(dir, c.Files["x2"]))
		for _, backend := range []string{"cpu", "vulkan"} {
			var ctx *vk.Context
			if backend == "vulkan" {
				ctx = testCtx
			}
			tr, err := NewIEM(doc.denoiser(c.Denoiser), ctx).Evaluate(x1, x2, IEMOptions{Steps: 4096, SigmaMin: c.SigmaMin, SigmaMax: c.SigmaMax, Seed: 3})
			if err != nil {
				t.Fatal(err)
			}
			sq := tr.Standard() * tr.Standard()
			if d := math.Abs(sq-c.Cont) / c.Cont; d > 0.003 {
				t.Errorf("%s %s: squared IEM at 4096 steps %.6g, continuum %.6g (%.3g%% off)", backend, c.Name, sq, c.Cont, 100*d)
			}
		}
	}
}

func randTensor(rng *rand.Rand, c, h, w int) Tensor64 {
	t := Tensor64{C: c, H: h, W: w, Data: make([]float64, c*h*w)}
	for i := range t.Data {
		t.Data[i] = rng.Float64()*2 - 1
	}
	return t
}

// Symmetry, identity and the triangle inequality on random pairs with a shared path.
func TestIEMMetricProperties(t *testing.T) {
	gmm := GMMDenoiser([]float64{0.3, 0.7}, []float64{-0.6, 0.4}, []float64{0.02, 0.08})
	for _, backend := range []string{"cpu", "vulkan"} {
		var ctx *vk.Context
		if backend == "vulkan" {
			ctx = testCtx
		}
		m := NewIEM(gmm, ctx)
		rng := rand.New(rand.NewSource(11))
		opt := IEMOptions{Steps: 24, SigmaMin: 0.05, SigmaMax: 50, Seed: 42}
		dist := func(a, b Tensor64) float64 {
			tr, err := m.Evaluate(a, b, opt)
			if err != nil {
				t.Fatal(err)
			}
			return tr.Standard()
		}
		for trial := 0; trial < 3; trial++ {
			a, b, c := randTensor(rng, 3, 9, 13), randTensor(rng, 3, 9, 13), randTensor(rng, 3, 9, 13)
			ab, ba, ac, bc := dist(a, b), dist(b, a), dist(a, c), dist(b, c)
			if ab != ba {
				t.Errorf("%s: IEM(a,b) = %.17g but IEM(b,a) = %.17g", backend, ab, ba)
			}
			if aa := dist(a, a); aa != 0 {
				t.Errorf("%s: IEM(a,a) = %g", backend, aa)
			}
			if ab <= 0 {
				t.Errorf("%s: IEM of different images is %g", backend, ab)
			}
			for _, tri := range [][3]float64{{ac, ab, bc}, {ab, ac, bc}, {bc, ab, ac}} {
				if tri[0] > (tri[1]+tri[2])*(1+1e-6) {
					t.Errorf("%s: triangle inequality fails: %g > %g + %g", backend, tri[0], tri[1], tri[2])
				}
			}
		}
	}
}

// A seed gives one path: the Vulkan result does not depend on how the noise
// levels are batched, and agrees with the float64 CPU backend.
func TestIEMSeedPathIndependentOfBatching(t *testing.T) {
	gmm := GMMDenoiser([]float64{0.3, 0.7}, []float64{-0.6, 0.4}, []float64{0.02, 0.08})
	rng := rand.New(rand.NewSource(5))
	a, b := randTensor(rng, 3, 17, 11), randTensor(rng, 3, 17, 11)
	n := int64(3 * 17 * 11)
	opt := IEMOptions{Steps: 20, SigmaMin: 0.02, SigmaMax: 200, Seed: 7}
	cpu, err := NewIEM(gmm, nil).Evaluate(a, b, opt)
	if err != nil {
		t.Fatal(err)
	}
	var first *Trajectory
	for _, perBatch := range []int64{1, 7, 20} {
		opt.MemoryBudget = perBatch * 20 * n
		tr, err := NewIEM(gmm, testCtx).Evaluate(a, b, opt)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = tr
		}
		for k := range tr.DQV {
			if tr.DQV[k] != first.DQV[k] || tr.Z[k] != first.Z[k] {
				t.Fatalf("%d levels per batch: step %d differs from 1 per batch", perBatch, k)
			}
		}
	}
	relClose(t, "vulkan vs cpu standard", first.Standard(), cpu.Standard(), 1e-4)
	relClose(t, "vulkan vs cpu square_f", first.SquareF(), cpu.SquareF(), 1e-3)
	opt.Seed = 8
	other, _ := NewIEM(gmm, nil).Evaluate(a, b, opt)
	if other.SquareF() == cpu.SquareF() {
		t.Error("another seed gave the same trajectory")
	}
}

func TestIEMBadInput(t *testing.T) {
	g := GaussDenoiser(0, 1)
	rng := rand.New(rand.NewSource(1))
	a, b := randTensor(rng, 3, 4, 4), randTensor(rng, 3, 4, 5)
	ok := IEMOptions{Steps: 4, SigmaMin: 1, SigmaMax: 10}
	nan := randTensor(rng, 3, 4, 4)
	nan.Data[3] = math.Inf(-1)
	for _, tc := range []struct {
		x1, x2 Tensor64
		opt    IEMOptions
		want   string
	}{
		{a, b, ok, "size mismatch"},
		{a, nan, ok, "NaN or Inf"},
		{a, a, IEMOptions{Steps: 0, SigmaMin: 1, SigmaMax: 10}, "steps"},
		{a, a, IEMOptions{Steps: 4, SigmaMin: 0, SigmaMax: 10}, "sigma_min"},
		{a, a, IEMOptions{Steps: 4, SigmaMin: 10, SigmaMax: 10}, "sigma_min"},
		{a, a, IEMOptions{Steps: 4, SigmaMin: 1, SigmaMax: 10, Path: &Path{W0: make([]float64, 48)}}, "replayed path"},
	} {
		for _, ctx := range []*vk.Context{nil, testCtx} {
			_, err := NewIEM(g, ctx).Evaluate(tc.x1, tc.x2, tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		}
	}
}

// A batch of pairs gives each pair's own result, in the same dispatches.
func TestIEMBatchOfPairs(t *testing.T) {
	d := NewWienerDenoiser()
	rng := rand.New(rand.NewSource(9))
	var x1s, x2s []Tensor64
	for i := 0; i < 3; i++ {
		x1s, x2s = append(x1s, randTensor(rng, 3, 21, 18)), append(x2s, randTensor(rng, 3, 21, 18))
	}
	opt := IEMOptions{Steps: 12, SigmaMin: 0.5, SigmaMax: 500, Seed: 1, MemoryBudget: 5 * (4*3 + 1) * 4 * 3 * 21 * 18}
	for _, ctx := range []*vk.Context{nil, testCtx} {
		m := NewIEM(d, ctx)
		batch, err := m.EvaluateBatch(x1s, x2s, opt)
		if err != nil {
			t.Fatal(err)
		}
		for i := range x1s {
			one, err := m.Evaluate(x1s[i], x2s[i], opt)
			if err != nil {
				t.Fatal(err)
			}
			if one.Standard() != batch[i].Standard() || one.SquareF() != batch[i].SquareF() {
				t.Errorf("%s pair %d: batched %g, alone %g", m.Backend(), i, batch[i].Standard(), one.Standard())
			}
		}
	}
	if _, err := NewIEM(d, nil).EvaluateBatch(x1s, x2s[:2], opt); err == nil {
		t.Error("accepted 3 references and 2 distorted tensors")
	}
	if _, err := NewIEM(d, nil).EvaluateBatch([]Tensor64{x1s[0], randTensor(rng, 3, 5, 5)}, []Tensor64{x2s[0], randTensor(rng, 3, 5, 5)}, opt); err == nil {
		t.Error("accepted a batch of two sizes")
	}
}

// The budget holds a batch's images, increments and the denoiser's
// workspace (twice where the last batch is shorter): on a context of its
// own, device memory stays within it (plus the inputs and the path's state,
// a block of small buffers, and the pool's rounding up to an eighth), and
// the levels are spread evenly over the batches.
func TestIEMBudgetBoundsDeviceMemory(t *testing.T) {
	const c, h, w = 3, 192, 160
	d := NewWienerDenoiser()
	s := kernels.Shape{C: c, H: h, W: w}
	n := int64(c * h * w)
	work := d.Workspace(kernels.Shape{N: 2, C: c, H: h, W: w})
	level := 5*4*n + work
	budget := 6*level + level/2
	if b := iemBatch(PixelDenoiser{}, s, 1, 20, 7*5*4*n); b != 7 {
		t.Fatalf("no workspace: %d levels a batch, want 7", b) // 7, 7, 6
	}
	// 20 levels: batches of 5, not 6, 6, 6, 2; 19: 5, 5, 5, 4, the short
	// batch's workspace on top.
	for _, tc := range []struct{ steps, batch, bytes int64 }{{20, 5, 5 * level}, {19, 5, 5*level + 5*work}} {
		if b := iemBatch(d, s, 1, int(tc.steps), budget); b != int(tc.batch) {
			t.Fatalf("%d steps: %d levels a batch, want %d", tc.steps, b, tc.batch)
		}
		ctx, err := vk.Open(vk.Options{Device: -1})
		if err != nil {
			t.Fatal(err)
		}
		defer ctx.Close()
		rng := rand.New(rand.NewSource(3))
		a, b := randTensor(rng, c, h, w), randTensor(rng, c, h, w)
		if _, err := NewIEM(d, ctx).Evaluate(a, b, IEMOptions{Steps: int(tc.steps), SigmaMin: 1, SigmaMax: 100, MemoryBudget: budget}); err != nil {
			t.Fatal(err)
		}
		fixed := 4*(3*n+4096) + 2<<20 // the two images, the path's state, grid and sums; a shared block
		if peak := int64(ctx.Stats().DevicePeakBytes); peak > tc.bytes*9/8+fixed || tc.bytes > budget {
			t.Fatalf("%d steps: device peak %d bytes for batches of %d bytes (budget %d)", tc.steps, peak, tc.bytes, budget)
		}
	}
}
