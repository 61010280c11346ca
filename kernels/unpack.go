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

// UnpackFrame converts an H x W frame's raw pixels into a planar float32
// C x H x W image (RGBA formats: C is 3, alpha dropped, unorm bytes scaled
// by 1/255). The format is read from a one-word buffer at run time, so a
// recorded program takes whichever format the host wrote with the frame.
type UnpackFrame struct{ C, H, W int }

// Words is the raw buffer's size in 32-bit words for frames of the given
// formats (none: every format).
func (op UnpackFrame) Words(formats ...FrameFormat) int {
	if len(formats) == 0 {
		formats = []FrameFormat{FrameRGBA8, FrameRGBA16F, FramePlanar32}
	}
	per := 0 // words a pixel
	for _, f := range formats {
		switch f {
		case FrameRGBA8:
			per = max(per, 1)
		case FrameRGBA16F:
			per = max(per, 2)
		default:
			per = max(per, op.C)
		}
	}
	return per * op.H * op.W
}

// Ref converts raw (words, as the host wrote them) as the shader does.
func (op UnpackFrame) Ref(out []float32, raw []uint32, format FrameFormat) error {
	plane := op.H * op.W
	if len(out) < op.C*plane || len(raw) < op.Words(format) {
		return fmt.Errorf("unpack frame: %d floats out and %d words in for %dx%dx%d", len(out), len(raw), op.C, op.H, op.W)
	}
	switch format {
	case FramePlanar32:
		for i := range op.C * plane {
			out[i] = math.Float32frombits(raw[i])
		}
		return nil
	case FrameRGBA8, FrameRGBA16F:
		if op.C != 3 {
			return fmt.Errorf("unpack frame: RGBA pixels into %d channels", op.C)
		}
		// The words of a row as the bytes the host wrote (little-endian).
		per := op.Words(format) / plane
		row := make([]byte, 4*per*op.W)
		for y := range op.H {
			for k := range per * op.W {
				binary.LittleEndian.PutUint32(row[4*k:], raw[y*per*op.W+k])
			}
			at := y * op.W
			format.UnpackRow(out[at:at+op.W], out[plane+at:plane+at+op.W], out[2*plane+at:2*plane+at+op.W], row)
		}
		return nil
	}
	return fmt.Errorf("unpack frame: unknown format %d", format)
}

// UnpackRow converts one row of RGBA pixels, as the host holds them (4
// bytes a pixel for RGBA8, unorm; 8 for RGBA16F, binary16 little-endian),
// into its rows of the red, green and blue planes (len(r) pixels), as the
// shader does; alpha is dropped. The host converts with it where a frame
// cannot be unpacked on the device.
func (f FrameFormat) UnpackRow(r, g, b []float32, px []byte) {
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
	if op.C < 1 || op.H < 1 || op.W < 1 {
		return fmt.Errorf("unpack frame: %dx%dx%d", op.C, op.H, op.W)
	}
	for _, f := range formats {
		if f > FramePlanar32 || (f != FramePlanar32 && op.C != 3) {
			return fmt.Errorf("unpack frame: format %d into %d channels", f, op.C)
		}
	}
	plane, words := op.H*op.W, op.Words(formats...)
	if floats(out) < op.C*plane || floats(raw) < words || floats(fmtWord) < 1 {
		return fmt.Errorf("unpack frame: buffers of %d, %d and %d words for %dx%dx%d (need %d, %d and 1)",
			floats(out), floats(raw), floats(fmtWord), op.C, op.H, op.W, op.C*plane, words)
	}
	k, err := g.kernel("unpack_frame")
	if err != nil {
		return err
	}
	return r.Dispatch(vk.Dispatch{
		Kernel: k,
		Groups: [3]uint32{groups(op.W, 64), uint32(op.H), 1},
		Push:   []uint32{uint32(op.W), uint32(op.H), uint32(op.C)},
		Out:    []*vk.Buffer{out},
		In:     []*vk.Buffer{raw, fmtWord},
		Label:  fmt.Sprintf("unpack frame %dx%d", op.W, op.H),
		Bytes:  4 * float64(op.C*plane) * 2,
	})
}
