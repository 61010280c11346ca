package metric

import (
	"math"

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
	// src are the inputs' raw frames and format words where the program
	// unpacks them (whole into res, or a band at a time), with the formats
	// they may hold (nil: any).
	src [2]struct {
		raw, word *vk.Buffer
		formats   []kernels.FrameFormat
	}
	// Program recording (sessions): inputs (frame, of c x h x w) come from
	// staging slots the host fills per frame with its raw pixels (slots, in
	// input order) and their format words (formats, in the same order), or
	// from the caller's own device buffers (fixed).
	frame   kernels.UnpackFrame
	slots   [][]float32
	formats [][]float32
	fixed   [2]*vk.Buffer
	// fixedFormat is how the fixed buffers hold their frames: planar ones
	// are bound as they are, RGBA pixels unpacked.
	fixedFormat kernels.FrameFormat
	// hostFormats are the formats the host's frames may take (nil: any).
	hostFormats []kernels.FrameFormat
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

func (e *vkBackend) input(data []float32, resident bool) (*vk.Buffer, bool, error) {
	i := e.nextIn % 2
	e.nextIn++
	fixed := e.fixed[i]
	if fixed != nil && e.fixedFormat == kernels.FramePlanar32 {
		return fixed, true, nil // the caller's device memory, read in place
	}
	// Resident inputs are the backend's own: allocated on the first pass,
	// reused after (ref first, then dist).
	if resident && e.res[i] == nil {
		floats := len(data)
		if e.recording() {
			floats = e.frame.Floats()
		}
		b, err := e.alloc(floats)
		if err != nil {
			return nil, false, err
		}
		e.res[i] = b
	}
	if resident && !e.recording() {
		return e.res[i], true, e.r.Upload(e.res[i], data)
	}
	// The raw frame and its format word, for the program to unpack: the
	// caller's device buffer, a staging slot the host fills with a frame's
	// pixels as they are, or this pass's planar floats staged.
	src := &e.src[i]
	var err error
	var word []float32
	switch {
	case fixed != nil:
		src.raw, src.formats = fixed, []kernels.FrameFormat{e.fixedFormat}
		if src.word, word, err = e.r.StageSlot(1); err != nil {
			return nil, false, err
		}
		setFormat(word, e.fixedFormat)
	case e.recording():
		src.formats = e.hostFormats // the host writes the format with the frame
		if src.word, word, err = e.r.StageSlot(1); err != nil {
			return nil, false, err
		}
		var slot []float32
		if src.raw, slot, err = e.r.StageSlot(e.frame.Words(src.formats...)); err != nil {
			return nil, false, err
		}
		e.slots, e.formats = append(e.slots, slot), append(e.formats, word)
	default:
		src.formats = []kernels.FrameFormat{kernels.FramePlanar32}
		if src.raw, err = e.r.Stage(data); err != nil {
			return nil, false, err
		}
		if src.word, err = e.r.Stage([]float32{math.Float32frombits(uint32(kernels.FramePlanar32))}); err != nil {
			return nil, false, err
		}
	}
	if !resident {
		return src.raw, false, nil
	}
	return e.res[i], true, e.unpack(e.res[i], i, e.frame)
}

func (e *vkBackend) unpack(dst *vk.Buffer, k int, op kernels.UnpackFrame) error {
	s := e.src[k]
	return op.Record(e.g, e.r, dst, s.raw, s.word, s.formats...)
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

func (e *vkBackend) hist(op kernels.MapHist, h, q *vk.Buffer, g kernels.HistGeom) error {
	return op.Record(e.g, e.r, h, q, g)
}

func (e *vkBackend) read(src *vk.Buffer, off int, dst []float32) error {
	return e.r.DownloadAt(src, off, dst)
}

func (e *vkBackend) pair(op kernels.Conv3x3Pair, layer int, out *vk.Buffer, srcs [3]*vk.Buffer, res *vk.Buffer, g kernels.ConvGeom) error {
	return op.Record(e.g, e.r, out, srcs, res, e.pairW[layer], g)
}
