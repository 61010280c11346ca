package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/vkpercept/vkpercept/vk"
)

// Each format on odd sizes, whole frames and a band of rows of two frames,
// one recorded kernel per case, against Ref: the RGBA8 bytes to 1 ulp
// (unpackUnorm4x8's division), the rest exactly.
func TestUnpackFrameMatchesReference(t *testing.T) {
	for _, hw := range oddSizes {
		for _, tc := range []struct {
			format FrameFormat
			c      int
		}{{FrameRGBA8, 3}, {FrameRGBA16F, 3}, {FramePlanar32, 3}, {FramePlanar32, 4}} {
			y0 := hw[0] / 3
			for _, op := range []UnpackFrame{
				{C: tc.c, H: hw[0], W: hw[1]},
				{N: 2, C: tc.c, H: hw[0], W: hw[1], Y0: y0, Y1: y0 + max(1, hw[0]/2)},
			} {
				t.Run(fmt.Sprintf("%d_%dx%dx%dx%d_rows%d-%d", tc.format, op.N, tc.c, hw[0], hw[1], op.Y0, op.Y1), func(t *testing.T) {
					rng := rand.New(rand.NewSource(int64(hw[0]*100 + hw[1])))
					raw := make([]uint32, op.Words(tc.format))
					for i := range raw {
						switch tc.format {
						case FrameRGBA8:
							raw[i] = rng.Uint32()
						case FrameRGBA16F:
							raw[i] = uint32(HalfBits(2*rng.Float32()-0.5)) | uint32(HalfBits(rng.Float32()))<<16
						default:
							raw[i] = math.Float32bits(rng.Float32())
						}
					}
					want := make([]float32, op.Floats())
					if err := op.Ref(want, raw, tc.format); err != nil {
						t.Fatal(err)
					}
					words := make([]float32, len(raw))
					for i, w := range raw {
						words[i] = math.Float32frombits(w)
					}
					got := runOne(t, len(want), func(r *vk.Recorder) (*vk.Buffer, error) {
						out := scratch(t, len(want))
						return out, op.Record(gpu, r, out, upload(t, r, words), upload(t, r, []float32{math.Float32frombits(uint32(tc.format))}), tc.format)
					})
					closeTo(t, "unpack", got, want, 0, 1.2e-7)
				})
			}
		}
	}
}

// The band form of Ref picks the same values as the whole form: the
// reference of the shader's band indexing.
func TestUnpackFrameBandIsWholeRows(t *testing.T) {
	op := UnpackFrame{N: 2, C: 3, H: 9, W: 5}
	raw := make([]uint32, op.Words(FrameRGBA16F))
	for i := range raw {
		raw[i] = uint32(HalfBits(float32(i))) | uint32(HalfBits(float32(i)+0.5))<<16
	}
	whole := make([]float32, op.Floats())
	if err := op.Ref(whole, raw, FrameRGBA16F); err != nil {
		t.Fatal(err)
	}
	band := op
	band.Y0, band.Y1 = 4, 7
	got := make([]float32, band.Floats())
	if err := band.Ref(got, raw, FrameRGBA16F); err != nil {
		t.Fatal(err)
	}
	v := Band(3, 4, 7, 5)
	for n := range 2 {
		for c := range 3 {
			for y := 4; y < 7; y++ {
				for x := range 5 {
					w, g := whole[n*3*45+c*45+y*5+x], got[v.At(n, c, y, 5)+x]
					if w != g {
						t.Fatalf("frame %d channel %d pixel (%d,%d): band %g, whole %g", n, c, x, y, g, w)
					}
				}
			}
		}
	}
}

func TestUnpackFrameRefusals(t *testing.T) {
	r := begin(t, false)
	defer r.Abort()
	op := UnpackFrame{C: 3, H: 4, W: 5}
	small := scratch(t, 3*4*5-1)
	ok, word := scratch(t, op.Words()), scratch(t, 1)
	if err := op.Record(gpu, r, small, ok, word); err == nil {
		t.Fatal("unpacked into a buffer one float short")
	}
	if err := op.Record(gpu, r, ok, small, word); err == nil {
		t.Fatal("unpacked from a raw buffer too small for RGBA16F")
	}
	if err := (UnpackFrame{C: 4, H: 1, W: 1}).Ref(make([]float32, 4), make([]uint32, 4), FrameRGBA8); err == nil {
		t.Fatal("unpacked RGBA into 4 channels")
	}
	for _, rows := range [][2]int{{2, 2}, {3, 5}, {-1, 2}} {
		band := op
		band.Y0, band.Y1 = rows[0], rows[1]
		if err := band.Record(gpu, r, ok, ok, word); err == nil {
			t.Fatalf("unpacked rows %d..%d of %d", rows[0], rows[1], op.H)
		}
	}
}
