package metric

import (
	"fmt"
	"math"
	"slices"
	"unsafe"

	"github.com/vkpercept/vkpercept/kernels"
	"github.com/vkpercept/vkpercept/vk"
)

// Format is how a frame's pixels are laid out in host memory.
type Format int

const (
	// RGBA8 is 8-bit unorm RGBA, 4 bytes per pixel; alpha is ignored.
	RGBA8 Format = iota
	// RGBA16F is binary16 RGBA (little-endian), 8 bytes per pixel; alpha is ignored.
	RGBA16F
	// Planar32 is float32 C x H x W, as Image holds it.
	Planar32
)

func (f Format) String() string {
	switch f {
	case RGBA8:
		return "RGBA8"
	case RGBA16F:
		return "RGBA16F"
	case Planar32:
		return "Planar32"
	}
	return fmt.Sprintf("Format(%d)", int(f))
}

// Frame is one host image for a Session: Bytes for RGBA8 and RGBA16F (rows
// Stride bytes apart; 0 means tightly packed), Floats for Planar32.
type Frame struct {
	Format Format
	Bytes  []byte
	Stride int
	Floats []float32
}

// Scores are MILO's scalars for one frame pair and, where the session's
// MILO had Quantiles set when it was made, its quality map's statistics
// (counted on the device, to within 1/2048; Stats.Mean is Score).
type Scores struct {
	Score, Loss, MOS float32
	Stats            MapStats
}

// Session scores a stream of frame pairs of one size on Vulkan, as a game
// engine or a video tool does every frame. It records the whole pass into two
// command buffers once; a frame copies its pixels as they are, with a format
// word, into the mapped staging memory of a free one (the program unpacks
// them on the device: whole, or a band of rows at a time where the budget
// leaves no room for the whole frames), submits it and, on Wait, reads back
// only the three scalars (and the maps when the session was made with them).
// While frame N computes, frame N+1 can be copied and queued: Submit
// returns at once, Wait returns the oldest frame's scores. After the first
// frame nothing is allocated, in Go or in Vulkan. Not safe for concurrent use.
type Session struct {
	m     *MILO
	ps    *pass
	h, w  int
	progs [2]*vk.Program
	slots [2][2][]float32 // per program: ref and dist staging slots (nil for device frames)
	// formats are the slots' format words, for the program to unpack them.
	formats [2][2][]float32
	outs    [2]outputs
	accept  []Format // the host frames' formats (nil: any)
	queue   [2]int   // programs in flight, oldest first
	busy    int
	next    int
	last    int // program of the last waited frame
	hist    kernels.MapHist
}

// NewSession prepares frames of h x w (RGB) with maps or without, in the
// given formats (none: any). Each frame's staging holds the largest of
// them: at 3840x2160 a planar float frame takes 100 MB, an RGBA8 one 33 MB,
// and a session holds four (two pairs in flight).
func (m *MILO) NewSession(h, w int, maps bool, formats ...Format) (*Session, error) {
	var accept []kernels.FrameFormat
	for _, f := range formats {
		ff, _, err := frameFormat(f, m.w.Channels)
		if err != nil {
			return nil, fmt.Errorf("milo session: %w", err)
		}
		accept = append(accept, ff)
	}
	s, err := m.newSession(h, w, maps, [2]*vk.Buffer{}, kernels.FramePlanar32, accept)
	if err != nil {
		return nil, err
	}
	s.accept = formats
	return s, nil
}

// NewDeviceSession scores frames that already live in device memory: ref
// and dist hold one frame each, laid out as format (Planar32: C x H x W
// float32, bound as they are; RGBA8 or RGBA16F: pixels with rows back to
// back, as vkCmdCopyImageToBuffer writes an image with a zero row length,
// which the program unpacks: whole, or a band of rows at a time where the
// budget leaves no room for the whole frames). The caller rewrites them
// between frames, ordering its writes before Submit. Frame arguments of
// Submit are then ignored.
func (m *MILO) NewDeviceSession(ref, dist *vk.Buffer, format Format, h, w int, maps bool) (*Session, error) {
	if ref == nil || dist == nil {
		return nil, fmt.Errorf("milo session: nil device frame")
	}
	ff, bpp, err := frameFormat(format, m.w.Channels)
	if err != nil {
		return nil, fmt.Errorf("milo session: %w", err)
	}
	need := uint64(bpp * h * w)
	if ref.Size < need || dist.Size < need {
		return nil, fmt.Errorf("milo session: device frames of %d and %d bytes, %dx%d needs %d", ref.Size, dist.Size, w, h, need)
	}
	return m.newSession(h, w, maps, [2]*vk.Buffer{ref, dist}, ff, nil)
}

// frameFormat is format's kernels.FrameFormat and bytes a pixel, for
// weights of c channels.
func frameFormat(format Format, c int) (kernels.FrameFormat, int, error) {
	switch format {
	case Planar32:
		return kernels.FramePlanar32, 4 * c, nil
	case RGBA8, RGBA16F:
		if c != 3 {
			return 0, 0, fmt.Errorf("RGBA frames need RGB weights, these take %d channels", c)
		}
		if format == RGBA8 {
			return kernels.FrameRGBA8, 4, nil
		}
		return kernels.FrameRGBA16F, 8, nil
	}
	return 0, 0, fmt.Errorf("unknown frame format %v", format)
}

func (m *MILO) newSession(h, w int, maps bool, fixed [2]*vk.Buffer, fixedFormat kernels.FrameFormat, accept []kernels.FrameFormat) (*Session, error) {
	if m.ctx == nil {
		return nil, fmt.Errorf("milo session: needs the Vulkan backend")
	}
	ps, err := m.newPass(1, m.w.Channels, h, w, maps)
	if err != nil {
		return nil, fmt.Errorf("milo session: %w", err)
	}
	s := &Session{m: m, ps: ps, h: h, w: w, hist: m.histOp()}
	for k := range s.progs {
		s.outs[k].scalars = make([]float32, 3)
		if ps.p.hist {
			s.outs[k].hist = make([]float32, s.hist.HistLen())
		}
		if maps {
			s.outs[k].qmap, s.outs[k].mask = make([]float32, h*w), make([]float32, h*w)
		}
		r, err := m.ctx.Record()
		if err != nil {
			s.Close()
			return nil, err
		}
		be := ps.be
		be.r, be.frame, be.slots, be.formats = r, kernels.UnpackFrame{C: m.w.Channels, H: h, W: w}, nil, nil
		be.fixed, be.fixedFormat, be.hostFormats = fixed, fixedFormat, accept
		err = runPass[*vk.Buffer](be, &ps.p, ps.gpu, m.w, nil, nil, &s.outs[k])
		be.r, be.frame = nil, kernels.UnpackFrame{}
		if err != nil {
			r.Abort()
			s.Close()
			return nil, fmt.Errorf("milo session: %w", err)
		}
		if fixed[0] == nil {
			copy(s.slots[k][:], be.slots)
			copy(s.formats[k][:], be.formats)
		}
		if s.progs[k], err = r.Program(); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

// Close frees the session's programs and buffers.
func (s *Session) Close() {
	for _, p := range s.progs {
		if p != nil {
			p.Close()
		}
	}
	s.progs = [2]*vk.Program{}
	if s.ps != nil {
		s.ps.free()
		s.ps = nil
	}
}

// Submit converts a frame pair into a free command buffer and queues it.
// With two frames in flight it first waits for the oldest (call Wait to get
// its scores; Submit returns an error rather than drop them).
func (s *Session) Submit(ref, dist Frame) error {
	if s.busy == len(s.progs) {
		return fmt.Errorf("milo session: %d frames in flight; Wait for one first", s.busy)
	}
	k := s.next
	if s.slots[k][0] != nil {
		for j, f := range [2]Frame{ref, dist} {
			if err := s.fill(s.slots[k][j], s.formats[k][j], f, [2]string{"ref", "dist"}[j]); err != nil {
				return err
			}
		}
	}
	if err := s.progs[k].Submit(); err != nil {
		return fmt.Errorf("milo session: %w", err)
	}
	s.queue[s.busy] = k
	s.busy++
	s.next = (k + 1) % len(s.progs)
	return nil
}

// Wait completes the oldest frame in flight and returns its scores; with
// maps, Maps returns its quality map and mask until the next Wait.
func (s *Session) Wait() (Scores, error) {
	if s.busy == 0 {
		return Scores{}, fmt.Errorf("milo session: no frame in flight")
	}
	k := s.queue[0]
	s.queue[0] = s.queue[1]
	s.busy--
	if err := s.progs[k].Wait(); err != nil {
		return Scores{}, fmt.Errorf("milo session: %w", err)
	}
	s.last = k
	o := s.outs[k].scalars
	sc := Scores{Score: o[0], Loss: o[1], MOS: o[2]}
	if h := s.outs[k].hist; h != nil {
		sc.Stats = histStats(s.hist, h, float64(o[0]))
	}
	return sc, nil
}

// Score runs one frame pair synchronously.
func (s *Session) Score(ref, dist Frame) (Scores, error) {
	if err := s.Submit(ref, dist); err != nil {
		return Scores{}, err
	}
	return s.Wait()
}

// Maps returns the last waited frame's quality map and mask (nil without maps).
func (s *Session) Maps() (qmap, mask []float32) { return s.outs[s.last].qmap, s.outs[s.last].mask }

// fill puts a frame into a staging slot, its pixels as they are with rows
// back to back, and its format word, for the program to unpack.
func (s *Session) fill(dst, format []float32, f Frame, what string) error {
	h, w := s.h, s.w
	plane, c := h*w, s.m.w.Channels
	ff, bpp, err := frameFormat(f.Format, c)
	if err != nil {
		return fmt.Errorf("milo session: %s: %w", what, err)
	}
	if s.accept != nil && !slices.Contains(s.accept, f.Format) {
		return fmt.Errorf("milo session: %s is a %v frame; the session was made for %v", what, f.Format, s.accept)
	}
	if ff == kernels.FramePlanar32 {
		if len(f.Floats) != c*plane {
			return fmt.Errorf("milo session: %s holds %d floats, a %dx%dx%d frame needs %d", what, len(f.Floats), c, h, w, c*plane)
		}
		copy(dst, f.Floats)
		setFormat(format, ff)
		return nil
	}
	stride := f.Stride
	if stride == 0 {
		stride = bpp * w
	}
	if stride < bpp*w || len(f.Bytes) < stride*(h-1)+bpp*w {
		return fmt.Errorf("milo session: %s holds %d bytes with stride %d, a %dx%d frame needs %d", what, len(f.Bytes), stride, w, h, stride*(h-1)+bpp*w)
	}
	raw := unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(dst))), 4*len(dst))
	if stride == bpp*w {
		copy(raw, f.Bytes[:bpp*plane])
	} else {
		for y := 0; y < h; y++ {
			copy(raw[y*bpp*w:(y+1)*bpp*w], f.Bytes[y*stride:y*stride+bpp*w])
		}
	}
	setFormat(format, ff)
	return nil
}

// setFormat writes a frame's format word.
func setFormat(word []float32, f kernels.FrameFormat) { word[0] = math.Float32frombits(uint32(f)) }
