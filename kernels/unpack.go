package kernels

import (
	"encoding/binary"
	"fmt"
	"math"

	"github.com/vkpercept/vkpercept/vk"
)

// FrameFormat is how a frame's pixels lie in the raw buffer UnpackFrame
// reads; its value is the word the host writes beside them.
type FrameFormat uint32

const (
	// FrameRGBA8 is 8-bit unorm RGBA, a word a pixel, rows back to back.
	FrameRGBA8 FrameFormat = iota
	// FrameRGBA16F is binary16 RGBA, two little-endian words a pixel.
	FrameRGBA16F
	// FramePlanar32 is float32 C x H x W, copied as it is.
	FramePlanar32
)

// UnpackFrame converts rows [Y0, Y1) of N frames of H x W, their raw pixels
// back to back (each as its format packs it), into planar float32 images of
// C channels laid out as Band(C, Y0, Y1, W) per image (RGBA formats: C is
// 3, alpha dropped, unorm bytes scaled by 1/255). Y1 0 means the whole
// frame (then the layout is Dense); N 0 means one frame. The format is read
// from a one-word buffer at run time, so a recorded program takes whichever
// format the host wrote with the frame. A MILO pass whose inputs do not fit
// its memory budget unpacks them band by band.
type UnpackFrame struct{ N, C, H, W, Y0, Y1 int }

func (op UnpackFrame) n() int { return max(op.N, 1) }

// rows is the row range converted.
func (op UnpackFrame) rows() (int, int) {
	if op.Y1 == 0 {
		return 0, op.H
	}
	return op.Y0, op.Y1
}

// perPixel is how many 32-bit words a pixel of format takes.
func (op UnpackFrame) perPixel(f FrameFormat) int {
	switch f {
	case FrameRGBA8:
		return 1
	case FrameRGBA16F:
		return 2
	}
	return op.C
}

// Words is the raw buffer's size in 32-bit words for N frames of the given
// formats (none: every format).
func (op UnpackFrame) Words(formats ...FrameFormat) int {
	if len(formats) == 0 {
		formats = []FrameFormat{FrameRGBA8, FrameRGBA16F, FramePlanar32}
	}
	per := 0
	for _, f := range formats {
		per = max(per, op.perPixel(f))
	}
	return op.n() * per * op.H * op.W
}

// Floats is the output's size.
func (op UnpackFrame) Floats() int {
	y0, y1 := op.rows()
	return op.n() * op.C * (y1 - y0) * op.W
}

func (op UnpackFrame) check() error {
	y0, y1 := op.rows()
	if op.N < 0 || op.C < 1 || op.H < 1 || op.W < 1 || y0 < 0 || y1 > op.H || y0 >= y1 {
		return fmt.Errorf("unpack frame: %d frames of %dx%dx%d, rows %d..%d", op.n(), op.C, op.H, op.W, y0, y1)
	}
	return nil
}

// Ref converts raw (words, as the host wrote them) as the shader does.
func (op UnpackFrame) Ref(out []float32, raw []uint32, format FrameFormat) error {
	if err := op.check(); err != nil {
		return err
	}
	if len(out) < op.Floats() || len(raw) < op.Words(format) {
		return fmt.Errorf("unpack frame: %d floats out and %d words in for %d frames of %dx%dx%d", len(out), len(raw), op.n(), op.C, op.H, op.W)
	}
	if format > FramePlanar32 || (format != FramePlanar32 && op.C != 3) {
		return fmt.Errorf("unpack frame: format %d into %d channels", format, op.C)
	}
	y0, y1 := op.rows()
	plane, band := op.H*op.W, (y1-y0)*op.W
	per := op.perPixel(format)
	row := make([]byte, 4*per*op.W)
	for i := range op.n() {
		src, dst := raw[i*per*plane:], out[i*op.C*band:]
		for y := y0; y < y1; y++ {
			at := (y - y0) * op.W
			if format == FramePlanar32 {
				for c := range op.C {
					for x := range op.W {
						dst[c*band+at+x] = math.Float32frombits(src[c*plane+y*op.W+x])
					}
				}
				continue
			}
			// The words of a row as the bytes the host wrote (little-endian).
			for k := range per * op.W {
				binary.LittleEndian.PutUint32(row[4*k:], src[y*per*op.W+k])
			}
			format.unpackRow(dst[at:at+op.W], dst[band+at:band+at+op.W], dst[2*band+at:2*band+at+op.W], row)
		}
	}
	return nil
}

// unpackRow converts one row of RGBA pixels, as the host holds them (4
// bytes a pixel for RGBA8, unorm; 8 for RGBA16F, binary16 little-endian),
// into its rows of the red, green and blue planes (len(r) pixels), as the
// shader does; alpha is dropped.
func (f FrameFormat) unpackRow(r, g, b []float32, px []byte) {
	if f == FrameRGBA8 {
		for x := range r {
			p := px[4*x : 4*x+3]
			r[x], g[x], b[x] = float32(p[0])/255, float32(p[1])/255, float32(p[2])/255
		}
		return
	}
	for x := range r {
		p := px[8*x : 8*x+6]
		r[x] = HalfValue(binary.LittleEndian.Uint16(p[0:]))
		g[x] = HalfValue(binary.LittleEndian.Uint16(p[2:]))
		b[x] = HalfValue(binary.LittleEndian.Uint16(p[4:]))
	}
}

// Record converts raw into out with the format in fmtWord (one word),
// which holds one of formats (none: any; raw must hold the largest).
func (op UnpackFrame) Record(g GPU, r *vk.Recorder, out, raw, fmtWord *vk.Buffer, formats ...FrameFormat) error {
	if err := op.check(); err != nil {
		return err
	}
	for _, f := range formats {
		if f > FramePlanar32 || (f != FramePlanar32 && op.C != 3) {
			return fmt.Errorf("unpack frame: format %d into %d channels", f, op.C)
		}
	}
	if floats(out) < op.Floats() || floats(raw) < op.Words(formats...) || floats(fmtWord) < 1 {
		return fmt.Errorf("unpack frame: buffers of %d, %d and %d words for %d frames of %dx%dx%d (need %d, %d and 1)",
			floats(out), floats(raw), floats(fmtWord), op.n(), op.C, op.H, op.W, op.Floats(), op.Words(formats...))
	}
	k, err := g.kernel("unpack_frame")
	if err != nil {
		return err
	}
	y0, y1 := op.rows()
	return r.Dispatch(vk.Dispatch{
		Kernel: k,
		Groups: [3]uint32{groups(op.W, 64), uint32(y1 - y0), uint32(op.n())},
		Push:   []uint32{uint32(op.W), uint32(op.H), uint32(op.C), uint32(y0), uint32(y1 - y0)},
		Out:    []*vk.Buffer{out},
		In:     []*vk.Buffer{raw, fmtWord},
		Label:  fmt.Sprintf("unpack frame %dx%d", op.W, y1-y0),
		Bytes:  4 * float64(op.Floats()) * 2,
	})
}
