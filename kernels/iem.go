package kernels

import (
	"fmt"
	"math"

	"github.com/vkpercept/vkpercept/vk"
)

// PhiloxRaw writes Count raw Philox blocks for counters (First+i, C1, C2, C3).
type PhiloxRaw struct {
	Count, First uint32
	C1, C2, C3   uint32
	Key          [2]uint32
}

// Ref is the Go generator.
func (op PhiloxRaw) Ref() []uint32 {
	out := make([]uint32, 0, 4*op.Count)
	for i := uint32(0); i < op.Count; i++ {
		w := Philox4x32([4]uint32{op.First + i, op.C1, op.C2, op.C3}, op.Key)
		out = append(out, w[:]...)
	}
	return out
}

// Record records the device generator; out holds 4*Count words.
func (op PhiloxRaw) Record(g GPU, r *vk.Recorder, out *vk.Buffer) error {
	k, err := g.kernel("philox_raw_u32")
	if err != nil {
		return err
	}
	return r.Dispatch(vk.Dispatch{
		Kernel: k, Groups: [3]uint32{groups(int(op.Count), 64), 1, 1},
		Push: []uint32{op.Count, op.First, op.C1, op.C2, op.C3, op.Key[0], op.Key[1]},
		Out:  []*vk.Buffer{out}, Label: "philox",
	})
}

// IEMGrid is the noise-level grid: K steps, sigma log-uniform from SigmaMax
// down to SigmaMin over K+1 points, gamma = 1/sigma^2, dgamma its increments.
type IEMGrid struct {
	Sigma  []float64 // K+1
	Gamma  []float64 // K+1
	DGamma []float64 // K
}

// NewIEMGrid builds the grid; steps >= 1 and 0 < sigmaMin < sigmaMax.
func NewIEMGrid(steps int, sigmaMin, sigmaMax float64) (IEMGrid, error) {
	if steps < 1 {
		return IEMGrid{}, fmt.Errorf("iem: steps must be at least 1, not %d", steps)
	}
	if !(sigmaMin > 0) || !(sigmaMin < sigmaMax) || math.IsInf(sigmaMax, 0) {
		return IEMGrid{}, fmt.Errorf("iem: need 0 < sigma_min < sigma_max, got %g and %g", sigmaMin, sigmaMax)
	}
	g := IEMGrid{Sigma: make([]float64, steps+1), Gamma: make([]float64, steps+1), DGamma: make([]float64, steps)}
	lo, hi := math.Log(sigmaMin), math.Log(sigmaMax)
	for i := range g.Sigma {
		g.Sigma[i] = math.Exp(hi + (lo-hi)*float64(i)/float64(steps))
	}
	g.Sigma[0], g.Sigma[steps] = sigmaMax, sigmaMin
	for i, s := range g.Sigma {
		g.Gamma[i] = 1 / (s * s)
	}
	for i := range g.DGamma {
		g.DGamma[i] = g.Gamma[i+1] - g.Gamma[i]
	}
	return g, nil
}

// Steps is K.
func (g IEMGrid) Steps() int { return len(g.DGamma) }

// Device packs the grid as the shaders read it: sigma[K], gamma[K+1], dgamma[K].
func (g IEMGrid) Device() []float32 {
	out := make([]float32, 0, 3*len(g.DGamma)+1)
	for _, s := range g.Sigma[:len(g.DGamma)] {
		out = append(out, float32(s))
	}
	for _, v := range g.Gamma {
		out = append(out, float32(v))
	}
	for _, v := range g.DGamma {
		out = append(out, float32(v))
	}
	return out
}

// IEMPath advances the shared Brownian path over steps [K0, K0+B) and writes
// the noisy inputs of both images (see shaders/iem_path.comp).
type IEMPath struct {
	Numel, K0, B, K int
	Pairs           int // image pairs sharing the path (x1, x2 hold Pairs x Numel)
	Seed            uint64
	Replay          bool // read w0 and dw from buffers instead of generating them
	noTexels        bool // storage buffers even where texel views fit (tests)
}

// Record records the op. y holds 2 Pairs B images, dw B x Numel, wstate Numel.
// w0 and rdw are only read when Replay (pass any buffer otherwise).
func (op IEMPath) Record(g GPU, r *vk.Recorder, y, dw, wstate, x1, x2, grid, w0, rdw *vk.Buffer) error {
	name := "iem_path_f32"
	if op.Numel%4 == 0 && !op.noTexels && texels(x1, x2) {
		name += "_tex" // vector fetches on CPU drivers
	}
	k, err := g.kernel(name)
	if err != nil {
		return err
	}
	rep := uint32(0)
	if op.Replay {
		rep = 1
	}
	key := NoiseKey(op.Seed)
	return r.Dispatch(vk.Dispatch{
		Kernel: k, Groups: [3]uint32{groups((op.Numel+3)/4, 256), 1, 1}, // a Philox block an invocation
		Push: []uint32{uint32(op.Numel), uint32(op.K0), uint32(op.B), uint32(op.K), rep, key[0], key[1], uint32(max(op.Pairs, 1))},
		Out:  []*vk.Buffer{y, dw, wstate}, In: []*vk.Buffer{x1, x2, grid, w0, rdw},
		Label: fmt.Sprintf("iem path %d..%d", op.K0, op.K0+op.B),
	})
}

// IEMStats are the per-step partial sums of one batch of Pairs pairs (shaders/iem_stats.comp).
type IEMStats struct {
	Numel, B, Pairs int
	tree            bool // the workgroup tree sum even where subgroups could sum (tests)
	noTexels        bool // storage buffers even where texel views fit (tests)
}

// Groups is the workgroups per step: the partial sums per quantity. An
// invocation reads four elements at a time where images start on a vec4.
func (op IEMStats) Groups() int {
	if op.Numel%4 == 0 {
		return min(reduceGroups, (op.Numel+1023)/1024)
	}
	return min(reduceGroups, (op.Numel+255)/256)
}

// Record writes partials laid out [pair*B+b][quantity][group] (3*Pairs*B*Groups floats).
func (op IEMStats) Record(g GPU, r *vk.Recorder, partials, x1, x2, den, dw *vk.Buffer) error {
	name := "iem_stats_f32"
	if op.Numel%4 == 0 && !op.noTexels && texels(x1, x2, den, dw) {
		name += "_tex" // vector fetches on CPU drivers
	}
	if g.Ctx.Info().Features.SubgroupArithmetic && !op.tree {
		name += "_sg"
	}
	k, err := g.kernel(name)
	if err != nil {
		return err
	}
	return r.Dispatch(vk.Dispatch{
		Kernel: k, Groups: [3]uint32{uint32(op.Groups()), uint32(op.B * max(op.Pairs, 1)), 1},
		Push: []uint32{uint32(op.Numel), uint32(op.B)},
		Out:  []*vk.Buffer{partials}, In: []*vk.Buffer{x1, x2, den, dw},
		Label: "iem stats",
	})
}

// PixelPrior is the posterior-mean denoiser of a per-pixel Gaussian mixture
// (up to 4 components; one component is a Gaussian prior).
type PixelPrior struct {
	W, Mu, V []float64
}

// Check validates the prior.
func (p PixelPrior) Check() error {
	if len(p.W) == 0 || len(p.W) > 4 || len(p.Mu) != len(p.W) || len(p.V) != len(p.W) {
		return fmt.Errorf("pixel prior: need 1 to 4 components with weight, mean and variance each")
	}
	for i := range p.W {
		if !(p.W[i] > 0) || !(p.V[i] > 0) {
			return fmt.Errorf("pixel prior: component %d has weight %g, variance %g; both must be positive", i, p.W[i], p.V[i])
		}
	}
	return nil
}

// Denoise is the reference posterior mean at one value, in float64.
func (p PixelPrior) Denoise(y, sigma float64) float64 { return p.At(sigma).Mean(y) }

// PixelPosterior is a PixelPrior at one noise level, with the per-level
// constants hoisted out of the per-value work.
type PixelPosterior struct {
	m                   int
	logc, inv, gain, mu [4]float64
}

// At prepares the posterior for noise std sigma.
func (p PixelPrior) At(sigma float64) PixelPosterior {
	s2 := sigma * sigma
	q := PixelPosterior{m: len(p.W)}
	for m := range p.W {
		v := p.V[m] + s2
		q.logc[m] = math.Log(p.W[m]) - 0.5*math.Log(v)
		q.inv[m], q.gain[m], q.mu[m] = 0.5/v, p.V[m]/v, p.Mu[m]
	}
	return q
}

// Mean is the posterior mean of x given y.
func (q PixelPosterior) Mean(y float64) float64 {
	var logr [4]float64
	top := math.Inf(-1)
	for m := 0; m < q.m; m++ {
		d := y - q.mu[m]
		logr[m] = q.logc[m] - q.inv[m]*d*d
		top = math.Max(top, logr[m])
	}
	var num, den float64
	for m := 0; m < q.m; m++ {
		r := math.Exp(logr[m] - top)
		num += r * (q.mu[m] + q.gain[m]*(y-q.mu[m]))
		den += r
	}
	return num / den
}

// Record denoises images images of numel values; image j uses sigma
// sig[sigOff + j%period].
func (p PixelPrior) Record(g GPU, r *vk.Recorder, out, in, sig *vk.Buffer, sigOff, period, images, numel int) error {
	if err := p.Check(); err != nil {
		return err
	}
	k, err := g.kernel("den_pixel_f32")
	if err != nil {
		return err
	}
	push := make([]uint32, 20) // std430: five words, pad to 32 bytes, three vec4
	copy(push, []uint32{uint32(numel), uint32(images), uint32(sigOff), uint32(period), uint32(len(p.W))})
	for m := range p.W {
		push[8+m], push[12+m], push[16+m] = f32bits(float32(p.W[m])), f32bits(float32(p.Mu[m])), f32bits(float32(p.V[m]))
	}
	return r.Dispatch(vk.Dispatch{
		Kernel: k, Groups: [3]uint32{groups(numel, 256), uint32(images), 1},
		Push: push, Out: []*vk.Buffer{out}, In: []*vk.Buffer{in, sig},
		Label: "denoise pixel prior",
	})
}
