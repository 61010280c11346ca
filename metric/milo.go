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
}

// MILO evaluates one set of weights on one backend. It is not safe for
// concurrent use; the Vulkan context underneath is.
type MILO struct {
	w       *Weights
	ctx     *vk.Context // nil: CPU backend
	weights *vk.Buffer
	maskOff [5][2]int
	sOff    kernels.ScalerOffsets
}

// NewMILO prepares w for evaluation on ctx, or on the CPU when ctx is nil.
// On Vulkan the weights are uploaded once, here.
func NewMILO(w *Weights, ctx *vk.Context) (*MILO, error) {
	m := &MILO{w: w, ctx: ctx}
	if ctx == nil {
		return m, nil
	}
	flat, maskOff, sOff := w.flat()
	m.maskOff, m.sOff = maskOff, sOff
	buf, err := ctx.NewBuffer(uint64(4 * len(flat)))
	if err != nil {
		return nil, fmt.Errorf("milo: weights buffer: %w", err)
	}
	r, err := ctx.Begin(false)
	if err != nil {
		buf.Free()
		return nil, err
	}
	if err := r.Upload(buf, flat); err != nil {
		r.Abort()
		buf.Free()
		return nil, err
	}
	if _, err := r.Submit(); err != nil {
		buf.Free()
		return nil, fmt.Errorf("milo: uploading weights: %w", err)
	}
	m.weights = buf
	return m, nil
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

// Close frees the device weights.
func (m *MILO) Close() {
	if m.weights != nil {
		m.weights.Free()
		m.weights = nil
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
	if err := m.check(ref, dist); err != nil {
		return nil, err
	}
	h, w := ref.H, ref.W
	out := outputs{score: make([]float32, 1), loss: make([]float32, 1), mos: make([]float32, 1)}
	if maps {
		out.qmap, out.mask = make([]float32, h*w), make([]float32, h*w)
	}
	var err error
	if m.ctx == nil {
		err = graph[[]float32](cpuEngine{w: m.w}, m.w, ref.Data, dist.Data, 1, h, w, &out)
	} else {
		_, err = m.runVulkan(ref.Data, dist.Data, 1, h, w, &out, false)
	}
	if err != nil {
		return nil, fmt.Errorf("milo: %w", err)
	}
	return &Result{Width: w, Height: h, Score: float64(out.score[0]), Loss: float64(out.loss[0]),
		MOS: float64(out.mos[0]), Map: out.qmap, Mask: out.mask}, nil
}

// runVulkan records the whole pass, submits it once and waits; with profile it
// returns every dispatch's time.
func (m *MILO) runVulkan(ref, dist []float32, n, h, w int, out *outputs, profile bool) ([]vk.Timing, error) {
	r, err := m.ctx.Begin(profile)
	if err != nil {
		return nil, err
	}
	e := &vkEngine{g: kernels.GPU{Ctx: m.ctx}, r: r, weights: m.weights, maskOff: m.maskOff, sOff: m.sOff}
	defer e.releaseAll()
	if err := graph[*vk.Buffer](e, m.w, ref, dist, n, h, w, out); err != nil {
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
	out := outputs{score: make([]float32, 1), loss: make([]float32, 1), mos: make([]float32, 1)}
	return m.runVulkan(ref.Data, dist.Data, 1, ref.H, ref.W, &out, true)
}
