package metric

import (
	"fmt"
	"math"
	"time"

	"github.com/vkpercept/vkpercept/kernels"
	"github.com/vkpercept/vkpercept/vk"
)

// Tensor64 is a C x H x W tensor in float64 (IEM's inputs live in [-1,1]).
type Tensor64 struct {
	C, H, W int
	Data    []float64
}

// Signed maps an image in [0,1] to [-1,1], as the IEM authors' code does.
func Signed(im Image) Tensor64 {
	t := Tensor64{C: im.C, H: im.H, W: im.W, Data: make([]float64, len(im.Data))}
	for i, v := range im.Data {
		t.Data[i] = 2*float64(v) - 1
	}
	return t
}

// Path is a replayed Brownian path: the start w0 (numel) and the K increments.
type Path struct {
	W0 []float64
	DW [][]float64
}

// IEMOptions configure one evaluation.
type IEMOptions struct {
	Steps              int     // K, the number of noise levels integrated over
	SigmaMin, SigmaMax float64 // the grid's ends
	Seed               uint64  // keys the Philox noise when Path is nil
	Path               *Path   // replay this path instead of generating one
	// MemoryBudget bounds the device bytes of one batch of noise levels
	// (noisy inputs, denoised outputs, increments and the denoiser's
	// Workspace); 0 means 256 MiB. The images, the path's state and a
	// replayed Path come on top. A batch holds one level at least, so
	// images too large for one level within the budget take more: a 4K
	// pair 940 MB of device memory in all with the Wiener denoiser.
	MemoryBudget int64
	// Profile times the denoiser apart from the rest (device timestamps on Vulkan).
	Profile bool
}

// Trajectory holds IEM's per-step quantities; every variant derives from it.
type Trajectory struct {
	Sigma []float64 // the K+1 grid points
	DQV   []float64 // dqv_k = |eps1 - eps2|^2 dgamma_k
	Z     []float64 // z_k = sum_{j<k} dz_j
	Alpha float64   // 1/numel
	// With Profile: time in the denoiser and in the whole integration.
	DenoiserNs, TotalNs float64
}

// Standard is sqrt(sum dqv).
func (t *Trajectory) Standard() float64 {
	return math.Sqrt(neumaier(t.DQV, func(k int, v float64) float64 { return v }))
}

// SquareF is sqrt(sum (2 alpha z)^2 dqv).
func (t *Trajectory) SquareF() float64 {
	return t.Generalized(func(x float64) float64 { return 2 * x })
}

// Generalized is sqrt(sum f(alpha z)^2 dqv); f(x) = 2x gives SquareF, tanh the authors' bounded form.
func (t *Trajectory) Generalized(f func(float64) float64) float64 {
	return math.Sqrt(neumaier(t.DQV, func(k int, v float64) float64 {
		g := f(t.Alpha * t.Z[k])
		return g * g * v
	}))
}

// neumaier is compensated summation of term(k, v[k]).
func neumaier(v []float64, term func(int, float64) float64) float64 {
	var s, c float64
	for k, x := range v {
		t := term(k, x)
		u := s + t
		if math.Abs(s) >= math.Abs(t) {
			c += (s - u) + t
		} else {
			c += (t - u) + s
		}
		s = u
	}
	return s + c
}

// IEM evaluates the information-estimation metric with one denoiser on the
// Vulkan device, or on the CPU in float64 when ctx is nil.
type IEM struct {
	den Denoiser
	ctx *vk.Context
}

// NewIEM pairs a denoiser with a backend.
func NewIEM(den Denoiser, ctx *vk.Context) *IEM { return &IEM{den: den, ctx: ctx} }

// Backend is "vulkan" or "cpu".
func (m *IEM) Backend() string {
	if m.ctx != nil {
		return "vulkan"
	}
	return "cpu"
}

func (m *IEM) check(x1, x2 Tensor64, opt *IEMOptions, g kernels.IEMGrid) error {
	if x1.C != x2.C || x1.H != x2.H || x1.W != x2.W {
		return fmt.Errorf("iem: size mismatch: %dx%dx%d vs %dx%dx%d", x1.C, x1.H, x1.W, x2.C, x2.H, x2.W)
	}
	n := x1.C * x1.H * x1.W
	if n == 0 || len(x1.Data) != n || len(x2.Data) != n {
		return fmt.Errorf("iem: tensors hold %d and %d values for shape %dx%dx%d", len(x1.Data), len(x2.Data), x1.C, x1.H, x1.W)
	}
	for _, t := range []Tensor64{x1, x2} {
		for _, v := range t.Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return fmt.Errorf("iem: input holds NaN or Inf")
			}
		}
	}
	if p := opt.Path; p != nil {
		if len(p.W0) != n || len(p.DW) != g.Steps() {
			return fmt.Errorf("iem: replayed path has %d start values and %d increments; want %d and %d", len(p.W0), len(p.DW), n, g.Steps())
		}
		for k, d := range p.DW {
			if len(d) != n {
				return fmt.Errorf("iem: replayed increment %d has %d values, want %d", k, len(d), n)
			}
		}
	}
	return nil
}

// Evaluate computes the trajectory of one pair along a shared Brownian path.
func (m *IEM) Evaluate(x1, x2 Tensor64, opt IEMOptions) (*Trajectory, error) {
	ts, err := m.EvaluateBatch([]Tensor64{x1}, []Tensor64{x2}, opt)
	if err != nil {
		return nil, err
	}
	return ts[0], nil
}

// EvaluateBatch computes the trajectories of several pairs of one size, all
// along the same path; on Vulkan every pair is in the same dispatches.
func (m *IEM) EvaluateBatch(x1s, x2s []Tensor64, opt IEMOptions) ([]*Trajectory, error) {
	g, err := kernels.NewIEMGrid(opt.Steps, opt.SigmaMin, opt.SigmaMax)
	if err != nil {
		return nil, err
	}
	if len(x1s) == 0 || len(x1s) != len(x2s) {
		return nil, fmt.Errorf("iem: %d reference and %d distorted tensors", len(x1s), len(x2s))
	}
	for i := range x1s {
		if err := m.check(x1s[i], x2s[i], &opt, g); err != nil {
			return nil, err
		}
		if x1s[i].C != x1s[0].C || x1s[i].H != x1s[0].H || x1s[i].W != x1s[0].W {
			return nil, fmt.Errorf("iem: pair %d is %dx%dx%d, pair 0 %dx%dx%d; a batch holds one size", i, x1s[i].C, x1s[i].H, x1s[i].W, x1s[0].C, x1s[0].H, x1s[0].W)
		}
	}
	n := len(x1s[0].Data)
	ts := make([]*Trajectory, len(x1s))
	for i := range ts {
		ts[i] = &Trajectory{Sigma: g.Sigma, DQV: make([]float64, g.Steps()), Z: make([]float64, g.Steps()), Alpha: 1 / float64(n)}
	}
	var sums [][]float64 // per pair, per step: sum (e1-e2)^2, sum e1^2-e2^2, sum (e1-e2) dw
	if m.ctx == nil {
		for i := range x1s {
			s, err := m.cpuSums(x1s[i], x2s[i], g, opt, ts[i])
			if err != nil {
				return nil, fmt.Errorf("iem (%s denoiser): %w", m.den.Name(), err)
			}
			sums = append(sums, s)
		}
	} else if sums, err = m.vulkanSums(x1s, x2s, g, opt, ts); err != nil {
		return nil, fmt.Errorf("iem (%s denoiser): %w", m.den.Name(), err)
	}
	for i, t := range ts {
		z := 0.0
		for k := range t.DQV {
			t.DQV[k] = sums[i][3*k] * g.DGamma[k]
			t.Z[k] = z
			z += 0.5*sums[i][3*k+1]*g.DGamma[k] + sums[i][3*k+2]
		}
	}
	return ts, nil
}

// cpuSums runs the integration in float64, one noise level at a time, in
// parallel over blocks of elements (each value is computed by one goroutine in
// a fixed order, so the result does not depend on the core count).
func (m *IEM) cpuSums(x1, x2 Tensor64, g kernels.IEMGrid, opt IEMOptions, t *Trajectory) ([]float64, error) {
	start := time.Now()
	n := len(x1.Data)
	w := make([]float64, n)
	dw := make([]float64, n)
	y := make([]float64, 2*n)
	den := make([]float64, 2*n)
	blocks := (n + 3) / 4
	noise := func(dst []float64, k, stream uint32, scale float64) {
		kernels.ParallelFor(blocks, func(b int) {
			seg := dst[4*b : min(4*b+4, n)]
			kernels.NoiseBlock(seg, opt.Seed, b, k, stream)
			for i := range seg {
				seg[i] *= scale
			}
		})
	}
	if opt.Path != nil {
		copy(w, opt.Path.W0)
	} else {
		noise(w, 0, 0, math.Sqrt(g.Gamma[0]))
	}
	shape := kernels.Shape{N: 2, C: x1.C, H: x1.H, W: x1.W}
	sums := make([]float64, 3*g.Steps())
	terms := [3][]float64{make([]float64, n), make([]float64, n), make([]float64, n)}
	for k := 0; k < g.Steps(); k++ {
		if opt.Path != nil {
			copy(dw, opt.Path.DW[k])
		} else {
			noise(dw, uint32(k), 1, math.Sqrt(g.DGamma[k]))
		}
		for e := range w {
			shift := w[e] / g.Gamma[k]
			y[e], y[n+e] = x1.Data[e]+shift, x2.Data[e]+shift
		}
		t0 := time.Now()
		if err := m.den.DenoiseCPU(den, y, []float64{g.Sigma[k], g.Sigma[k]}, shape); err != nil {
			return nil, err
		}
		t.DenoiserNs += float64(time.Since(t0).Nanoseconds())
		for e := range w {
			e1, e2 := x1.Data[e]-den[e], x2.Data[e]-den[n+e]
			d := e1 - e2
			terms[0][e], terms[1][e], terms[2][e] = d*d, d*(e1+e2), d*dw[e]
			w[e] += dw[e]
		}
		for i := range terms {
			sums[3*k+i] = pairwise64(terms[i])
		}
	}
	t.TotalNs = float64(time.Since(start).Nanoseconds())
	return sums, nil
}

func pairwise64(v []float64) float64 {
	if len(v) <= 32 {
		var s float64
		for _, x := range v {
			s += x
		}
		return s
	}
	h := len(v) / 2
	return pairwise64(v[:h]) + pairwise64(v[h:])
}
