// Package metric implements the perceptual metrics on the kernels of package
// kernels, on a Vulkan device or on the CPU.
package metric

import (
	"fmt"
	"math"

	"github.com/vkpercept/vkpercept/kernels"
	"github.com/vkpercept/vkpercept/vk"
)

// Image is a C x H x W float32 tensor: RGB in [0,1], or a VAE latent.
type Image struct {
	C, H, W int
	Data    []float32
}

// Result is MILO's reading of one pair.
type Result struct {
	Width, Height int
	Score         float64   // mean of the quality map S(mean_c(mask*|ref-dist|)) - S(0)
	Loss          float64   // mean(mask*|ref-dist|) over channels and pixels
	MOS           float64   // 5*(1-S(loss))
	Map           []float32 // H x W quality map, when asked for
	Mask          []float32 // H x W mask, when asked for
	binned        *MapStats // the map's statistics from the device's histogram (MILO.Quantiles)
}

// MILO evaluates one set of weights on one backend. It is not safe for
// concurrent use; the Vulkan context underneath is.
type MILO struct {
	w       *Weights
	ctx     *vk.Context // nil: CPU backend
	weights *vk.Buffer  // the scaler's table
	conv    [5]kernels.ConvWeights
	pairs   [5]kernels.PairWeights // fused layers 1+2 at 0, 4+5 at 3
	// weightBytes is the device memory NewMILO added: the weights' small
	// buffers share a block (2 MB), whose rest the passes' small buffers
	// fill; approximate when other users of the context allocate
	// concurrently.
	weightBytes uint64
	// Budget is the memory, in bytes, a pass plans for: larger images are
	// processed in row bands of the mask network (see plan). 0 means no limit.
	// Changing it affects passes for sizes not yet seen. LossGrad keeps its
	// network's activations within it too.
	Budget int64
	// Precision is the activations' storage (Vulkan only; default FP32).
	Precision Precision
	// Fused runs the mask network as a short chain: layers 1+2 and 4+5 as
	// fused pairs that keep the 32- and 16-channel activations in shared
	// memory (see kernels.Conv3x3Pair). Results equal the layered pass's.
	Fused bool
	// Quantiles counts each pass's quality map into a histogram on the
	// device (2048 bins; a few KB read back, not the map), so that
	// Result.Stats works without maps and a Session's Scores carry the
	// map's median, p95, p99 and maximum: quantiles to within 1/2048, the
	// maximum exact. Set it before the passes and sessions it is for.
	Quantiles bool
	passes    []*pass // most recent last
	// TilesExact is the device's answer to kernels.TileProductsExact
	// (whether its tiles form binary16 products exactly), asked on the
	// first fp16-mma pass where nil. Setting it skips the probe: for
	// building the pipelines on a device that runs nothing, such as
	// Mesa's no-op DRM shims (vkpercept kernels).
	TilesExact *bool
}

// maxPasses bounds the per-size passes a MILO keeps with their buffers.
const maxPasses = 4

// pass is a plan with its buffers on the MILO's backend.
type pass struct {
	p      plan
	budget int64
	prec   Precision
	cpu    *buffers[[]float32]
	be     *vkBackend
	gpu    *buffers[*vk.Buffer]
}

func (ps *pass) free() {
	if ps.be != nil {
		ps.be.free()
	}
}

// NewMILO prepares w for evaluation on ctx, or on the CPU when ctx is nil.
// On Vulkan the weights are uploaded once, here.
func NewMILO(w *Weights, ctx *vk.Context) (*MILO, error) {
	m := &MILO{w: w, ctx: ctx, Budget: DefaultBudget, Precision: FP32}
	if ctx == nil {
		return m, nil
	}
	flat, err := (kernels.Scaler{Hidden: scalerHidden}).Table(w.Scaler)
	if err != nil {
		return nil, fmt.Errorf("milo: %w", err)
	}
	before := ctx.Stats().DeviceBytesLive
	r, err := ctx.Begin(false)
	if err != nil {
		return nil, err
	}
	if err := m.upload(r, flat); err != nil {
		r.Abort()
		m.Close()
		return nil, fmt.Errorf("milo: uploading weights: %w", err)
	}
	if _, err := r.Submit(); err != nil {
		m.Close()
		return nil, fmt.Errorf("milo: uploading weights: %w", err)
	}
	m.weightBytes = ctx.Stats().DeviceBytesLive - before
	return m, nil
}

// upload records the weights' upload: the scaler in one storage buffer, each
// convolution in uniform-buffer chunks.
func (m *MILO) upload(r *vk.Recorder, scaler []float32) error {
	var err error
	if m.weights, err = m.ctx.NewBuffer(uint64(4 * len(scaler))); err != nil {
		return err
	}
	if err := r.Upload(m.weights, scaler); err != nil {
		return err
	}
	g := kernels.GPU{Ctx: m.ctx}
	in := [3]int{m.w.Channels, m.w.Channels, 1}
	var ops [5]kernels.Conv3x3
	for i, out := range maskOuts {
		// The first layer's tile copy is packed split in two halves (see runPass).
		ops[i] = kernels.Conv3x3{In: in, Out: out, Act: kernels.ActReLU, Split: i == 0}
		if m.conv[i], err = ops[i].UploadWeights(g, r, m.w.Mask[i].W, m.w.Mask[i].B); err != nil {
			return err
		}
		in = [3]int{out, 0, 0}
	}
	for _, i := range []int{0, 3} {
		x, y := m.w.Mask[i], m.w.Mask[i+1]
		if m.pairs[i], err = (kernels.Conv3x3Pair{X: ops[i], Y: ops[i+1]}).UploadWeights(g, r, x.W, x.B, y.W, y.B); err != nil {
			return err
		}
	}
	return nil
}

// Backend names where the metric runs: "vulkan" or "cpu".
func (m *MILO) Backend() string {
	if m.ctx != nil {
		return "vulkan"
	}
	return "cpu"
}

// Channels is the input channel count the weights take.
func (m *MILO) Channels() int { return m.w.Channels }

// Close frees the device weights and every pass's buffers.
func (m *MILO) Close() {
	for _, ps := range m.passes {
		ps.free()
	}
	m.passes = nil
	if m.weights != nil {
		m.weights.Free()
		m.weights = nil
	}
	for i := range m.conv {
		m.conv[i].Free()
		m.pairs[i].Free()
	}
}

func (m *MILO) check(ref, dist Image) error {
	if ref.C != dist.C || ref.H != dist.H || ref.W != dist.W {
		return fmt.Errorf("milo: size mismatch: ref is %dx%dx%d, dist is %dx%dx%d", ref.C, ref.H, ref.W, dist.C, dist.H, dist.W)
	}
	if ref.C != m.w.Channels {
		return fmt.Errorf("milo: inputs have %d channels, the weights take %d", ref.C, m.w.Channels)
	}
	if ref.H < MinSize || ref.W < MinSize {
		return fmt.Errorf("milo: image is %dx%d; the smallest size the pyramid supports is %dx%d", ref.W, ref.H, MinSize, MinSize)
	}
	for _, im := range []Image{ref, dist} {
		if len(im.Data) != im.C*im.H*im.W {
			return fmt.Errorf("milo: tensor holds %d values, shape %dx%dx%d needs %d", len(im.Data), im.C, im.H, im.W, im.C*im.H*im.W)
		}
		for _, v := range im.Data {
			if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
				return fmt.Errorf("milo: input holds NaN or Inf")
			}
		}
	}
	return nil
}

// Evaluate scores one pair; with maps it also returns the quality map and mask.
func (m *MILO) Evaluate(ref, dist Image, maps bool) (*Result, error) {
	res, err := m.EvaluateBatch([]Image{ref}, []Image{dist}, maps)
	if err != nil {
		return nil, err
	}
	return res[0], nil
}

// EvaluateBatch scores pairs of one size in one pass (one submission on
// Vulkan) — or in as few as keep each pass's inputs within the device's
// largest storage binding: refs[i] against dists[i].
func (m *MILO) EvaluateBatch(refs, dists []Image, maps bool) ([]*Result, error) {
	if len(refs) == 0 || len(refs) != len(dists) {
		return nil, fmt.Errorf("milo: %d references and %d distorted images", len(refs), len(dists))
	}
	for i := range refs {
		if err := m.check(refs[i], dists[i]); err != nil {
			return nil, err
		}
		if refs[i].C != refs[0].C || refs[i].H != refs[0].H || refs[i].W != refs[0].W {
			return nil, fmt.Errorf("milo: batch pair %d is %dx%d, pair 0 is %dx%d; a batch has one size", i, refs[i].W, refs[i].H, refs[0].W, refs[0].H)
		}
	}
	n, h, w := len(refs), refs[0].H, refs[0].W
	out := outputs{scalars: make([]float32, 3*n)}
	if maps {
		out.qmap, out.mask = make([]float32, n*h*w), make([]float32, n*h*w)
	}
	var hop kernels.MapHist // read only with Quantiles (its Lo costs a scaler evaluation)
	if m.Quantiles {
		hop = m.histOp()
		out.hist = make([]float32, n*hop.HistLen())
	}
	hl := hop.HistLen()
	// Pairs go in passes whose inputs fit one storage binding of the device.
	chunk := n
	if m.ctx != nil {
		per := int64(4 * refs[0].C * h * w)
		chunk = int(max(1, min(int64(n), int64(m.ctx.Info().Limits.MaxStorageBufferRange)/per)))
	}
	for i := 0; i < n; i += chunk {
		j := min(n, i+chunk)
		part := outputs{scalars: out.scalars[3*i : 3*j]}
		if maps {
			part.qmap, part.mask = out.qmap[i*h*w:j*h*w], out.mask[i*h*w:j*h*w]
		}
		if m.Quantiles {
			part.hist = out.hist[i*hl : j*hl]
		}
		if _, err := m.run(refs[i:j], dists[i:j], maps, &part, false); err != nil {
			return nil, fmt.Errorf("milo: %w", err)
		}
	}
	res := make([]*Result, n)
	for i := range res {
		r := &Result{Width: w, Height: h, Score: float64(out.scalars[3*i]), Loss: float64(out.scalars[3*i+1]), MOS: float64(out.scalars[3*i+2])}
		if maps {
			r.Map, r.Mask = out.qmap[i*h*w:(i+1)*h*w], out.mask[i*h*w:(i+1)*h*w]
		}
		if m.Quantiles {
			st := histStats(hop, out.hist[i*hl:(i+1)*hl], r.Score)
			r.binned = &st
		}
		res[i] = r
	}
	return res, nil
}

// concat joins the images' data (no copy for one image).
func concat(ims []Image) []float32 {
	if len(ims) == 1 {
		return ims[0].Data
	}
	out := make([]float32, 0, len(ims)*len(ims[0].Data))
	for _, im := range ims {
		out = append(out, im.Data...)
	}
	return out
}

// passFor finds or makes the pass for n pairs of c x h x w.
func (m *MILO) passFor(n, c, h, w int, maps bool) (*pass, error) {
	for i, ps := range m.passes {
		if ps.p.n == n && ps.p.c == c && ps.p.h == h && ps.p.w == w && ps.p.maps == maps && ps.p.hist == m.Quantiles && ps.budget == m.Budget && ps.prec == m.Precision && ps.p.fused == m.Fused {
			m.passes = append(append(m.passes[:i:i], m.passes[i+1:]...), ps)
			return ps, nil
		}
	}
	ps, err := m.newPass(n, c, h, w, maps)
	if err != nil {
		return nil, err
	}
	if len(m.passes) == maxPasses {
		m.passes[0].free()
		m.passes = m.passes[1:]
	}
	m.passes = append(m.passes, ps)
	return ps, nil
}

// tilesExact reports (once per MILO) whether the device's tiles form
// binary16 products exactly, so that the first layer can run on them
// split in two halves (see runPass).
func (m *MILO) tilesExact() (bool, error) {
	if m.TilesExact == nil {
		exact, err := kernels.TileProductsExact(kernels.GPU{Ctx: m.ctx})
		if err != nil {
			return false, fmt.Errorf("milo: %w", err)
		}
		m.TilesExact = &exact
	}
	return *m.TilesExact, nil
}

// newPass plans and allocates a pass that the caller owns.
func (m *MILO) newPass(n, c, h, w int, maps bool) (*pass, error) {
	half, mathHalf, mma, splitFirst := false, false, kernels.MMAOff, false
	switch m.Precision {
	case FP32:
	case FP16, FP16Math, FP16MMA, FP16MMAEmulated:
		if m.ctx == nil {
			return nil, fmt.Errorf("%s needs the Vulkan backend", m.Precision)
		}
		if !m.ctx.Info().Features.Storage16Bit {
			return nil, fmt.Errorf("%s needs 16-bit storage buffers, which %s lacks", m.Precision, m.ctx.Info().Name)
		}
		if m.Precision == FP16Math && !m.ctx.Info().Features.ShaderFloat16 {
			return nil, fmt.Errorf("fp16-math needs shaderFloat16 (binary16 arithmetic), which %s lacks", m.ctx.Info().Name)
		}
		if m.Precision == FP16MMA && !m.ctx.Info().Features.MatrixTiles {
			return nil, fmt.Errorf("fp16-mma needs binary16 cooperative-matrix tiles with fp32 sums (VK_KHR_cooperative_matrix with full subgroups, or VK_NV_cooperative_matrix with 32-wide subgroups; and the Vulkan memory model), which %s lacks", m.ctx.Info().Name)
		}
		half, mathHalf = true, m.Precision == FP16Math
		switch m.Precision {
		case FP16MMA:
			mma = kernels.MMANative
			var err error
			if splitFirst, err = m.tilesExact(); err != nil {
				return nil, err
			}
		case FP16MMAEmulated:
			// The emulation multiplies binary16 values in fp32: exactly.
			mma, splitFirst = kernels.MMAEmulated, true
		}
	default:
		return nil, fmt.Errorf("unknown precision %q", m.Precision)
	}
	// The budget covers the weights too (a few hundred KB, in a block of 2 MB).
	budget := m.Budget
	if budget > 0 && m.ctx != nil {
		budget = max(budget-int64(m.weightBytes), 1)
	}
	var maxBinding int64
	if m.ctx != nil {
		maxBinding = int64(m.ctx.Info().Limits.MaxStorageBufferRange)
	}
	p, err := newPlan(n, c, h, w, maps, m.Quantiles, half, budget, maxBinding)
	if err != nil {
		return nil, err
	}
	p.fused, p.mathHalf, p.mma, p.splitFirst = m.Fused, mathHalf, mma, splitFirst
	ps := &pass{p: p, budget: m.Budget, prec: m.Precision}
	if m.ctx == nil {
		ps.cpu, err = allocBuffers[[]float32](cpuBackend{w: m.w}, &ps.p)
	} else {
		ps.be = &vkBackend{g: kernels.GPU{Ctx: m.ctx}, weights: m.weights, convW: &m.conv, pairW: &m.pairs}
		ps.gpu, err = allocBuffers[*vk.Buffer](ps.be, &ps.p)
	}
	if err != nil {
		ps.free()
		return nil, err
	}
	return ps, nil
}

// run evaluates the pairs; on Vulkan it records the whole pass, submits it
// once and waits, and with profile returns every dispatch's time.
func (m *MILO) run(refs, dists []Image, maps bool, out *outputs, profile bool) ([]vk.Timing, error) {
	ps, err := m.passFor(len(refs), refs[0].C, refs[0].H, refs[0].W, maps)
	if err != nil {
		return nil, err
	}
	ref, dist := concat(refs), concat(dists)
	if m.ctx == nil {
		return nil, runPass[[]float32](cpuBackend{w: m.w}, &ps.p, ps.cpu, m.w, ref, dist, out)
	}
	r, err := m.ctx.Begin(profile)
	if err != nil {
		return nil, err
	}
	ps.be.r = r
	defer func() { ps.be.r = nil }()
	if err := runPass[*vk.Buffer](ps.be, &ps.p, ps.gpu, m.w, ref, dist, out); err != nil {
		r.Abort()
		return nil, err
	}
	return r.Submit()
}

// Profile runs one pair on Vulkan with a timestamp after every dispatch.
func (m *MILO) Profile(ref, dist Image) ([]vk.Timing, error) {
	if m.ctx == nil {
		return nil, fmt.Errorf("milo: profiling needs the Vulkan backend")
	}
	if err := m.check(ref, dist); err != nil {
		return nil, err
	}
	out := outputs{scalars: make([]float32, 3)}
	return m.run([]Image{ref}, []Image{dist}, false, &out, true)
}
