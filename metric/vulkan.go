package metric

import (
	"fmt"

	"github.com/vkpercept/vkpercept/kernels"
	"github.com/vkpercept/vkpercept/vk"
)

// vkBackend records a pass into one command buffer. Its buffers are the
// session's own, allocated once, so repeated passes allocate nothing and
// find their descriptor sets cached.
type vkBackend struct {
	g       kernels.GPU
	r       *vk.Recorder // set for each pass
	weights *vk.Buffer   // the scaler's
	convW   *[5]kernels.ConvWeights
	pairW   *[5]kernels.PairWeights // at the pairs' first layers (0 and 3)
	owned   []*vk.Buffer
	res     [2]*vk.Buffer // resident inputs, handed out in order by input
	nextIn  int
	// Program recording (sessions): inputs (frame, of c x h x w) come from
	// staging slots the host fills per frame (slots, in input order), or
	// from the caller's own device buffers (fixed). A resident input's slot
	// takes the frame's raw pixels, and its format word (formats, in the
	// same order) says how the program is to unpack them; an input read in
	// place takes planar floats (formats has nil there).
	frame   kernels.UnpackFrame
	slots   [][]float32
	formats [][]float32
	fixed   [2]*vk.Buffer
	// fixedFormat is how the fixed buffers hold their frames: planar ones
	// are bound as they are, RGBA pixels unpacked into the resident inputs.
	fixedFormat kernels.FrameFormat
}

// recording reports whether a session's program is being recorded.
func (e *vkBackend) recording() bool { return e.frame.C > 0 }

func (e *vkBackend) alloc(floats int) (*vk.Buffer, error) {
	b, err := e.g.Ctx.NewBuffer(uint64(4 * max(floats, 1)))
	if err != nil {
		return nil, err
	}
	e.owned = append(e.owned, b)
	return b, nil
}

func (e *vkBackend) free() {
	for _, b := range e.owned {
		b.Free()
	}
	e.owned = nil
}

func (e *vkBackend) input(data []float32, resident bool) (*vk.Buffer, error) {
	i := e.nextIn % 2
	e.nextIn++
	floats := len(data)
	if e.recording() {
		floats = e.frame.C * e.frame.H * e.frame.W
	}
	fixed := e.fixed[i]
	switch {
	case fixed != nil && e.fixedFormat == kernels.FramePlanar32:
		return fixed, nil
	case fixed != nil && !resident:
		return nil, fmt.Errorf("device frames of RGBA pixels are unpacked into device memory, which the memory budget leaves no room for (raise it)")
	case fixed == nil && e.recording() && !resident: // the host fills a slot per frame
		b, slot, err := e.r.StageSlot(floats)
		e.slots, e.formats = append(e.slots, slot), append(e.formats, nil)
		return b, err
	case fixed == nil && !resident:
		return e.r.Stage(data)
	}
	// Resident inputs are the backend's own: allocated on the first pass,
	// reused after (ref first, then dist).
	if e.res[i] == nil {
		b, err := e.alloc(floats)
		if err != nil {
			return nil, err
		}
		e.res[i] = b
	}
	if !e.recording() {
		return e.res[i], e.r.Upload(e.res[i], data)
	}
	// The program unpacks the frame: the caller's device buffer in a fixed
	// format, or a staging slot that the host fills with a frame's raw
	// pixels and its format word.
	word, format, err := e.r.StageSlot(1)
	if err != nil {
		return nil, err
	}
	if fixed != nil {
		setFormat(format, e.fixedFormat)
		return e.res[i], e.frame.Record(e.g, e.r, e.res[i], fixed, word, e.fixedFormat)
	}
	raw, slot, err := e.r.StageSlot(e.frame.Words())
	if err != nil {
		return nil, err
	}
	e.slots, e.formats = append(e.slots, slot), append(e.formats, format)
	return e.res[i], e.frame.Record(e.g, e.r, e.res[i], raw, word)
}

func (e *vkBackend) zero(t *vk.Buffer, floats int) error { return e.r.Fill(t, uint64(4*floats), 0) }

func (e *vkBackend) pool(dst, src *vk.Buffer, g kernels.PoolGeom) error {
	return kernels.AvgPool2{}.Record(e.g, e.r, dst, src, g)
}

func (e *vkBackend) upsample(dst, src *vk.Buffer, g kernels.UpGeom) error {
	return kernels.Upsample2{}.Record(e.g, e.r, dst, src, g)
}

func (e *vkBackend) conv(op kernels.Conv3x3, layer int, out *vk.Buffer, srcs [3]*vk.Buffer, res *vk.Buffer, g kernels.ConvGeom) error {
	return op.Record(e.g, e.r, out, srcs, res, e.convW[layer], g)
}

func (e *vkBackend) tail(op kernels.MiloTail, d, q, parts, ref, dist, mask *vk.Buffer, g kernels.TailGeom) error {
	return op.Record(e.g, e.r, d, q, parts, e.weights, ref, dist, mask, 0, g)
}

func (e *vkBackend) final(op kernels.MiloFinal, out, parts *vk.Buffer, n int) error {
	return op.Record(e.g, e.r, out, parts, e.weights, 0, n)
}

func (e *vkBackend) read(src *vk.Buffer, off int, dst []float32) error {
	return e.r.DownloadAt(src, off, dst)
}

func (e *vkBackend) pair(op kernels.Conv3x3Pair, layer int, out *vk.Buffer, srcs [3]*vk.Buffer, res *vk.Buffer, g kernels.ConvGeom) error {
	return op.Record(e.g, e.r, out, srcs, res, e.pairW[layer], g)
}
