package metric

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand"
	"strings"
	"testing"

	"github.com/vkpercept/vkpercept/kernels"
	"github.com/vkpercept/vkpercept/vk"
)

// rgba8 makes a random RGBA8 frame with a padded stride and its float image.
func rgba8(h, w int, seed int64) (Frame, Image) {
	rng := rand.New(rand.NewSource(seed))
	stride := 4*w + 12
	f := Frame{Format: RGBA8, Bytes: make([]byte, stride*h), Stride: stride}
	im := Image{C: 3, H: h, W: w, Data: make([]float32, 3*h*w)}
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			for c := 0; c < 4; c++ {
				v := byte(rng.Intn(256))
				f.Bytes[y*stride+4*x+c] = v
				if c < 3 {
					im.Data[c*h*w+y*w+x] = float32(v) / 255
				}
			}
		}
	}
	return f, im
}

func closeScores(t *testing.T, what string, got Scores, want *Result) {
	t.Helper()
	for _, v := range [][2]float64{{float64(got.Score), want.Score}, {float64(got.Loss), want.Loss}, {float64(got.MOS), want.MOS}} {
		if math.Abs(v[0]-v[1]) > 1e-6*math.Max(1, math.Abs(v[1])) {
			t.Fatalf("%s: session %+v, Evaluate %+v", what, got, *want)
		}
	}
}

// Frames after the first allocate nothing, in Go or in Vulkan, and score as
// Evaluate does; two frames may be in flight, answered in order.
func TestSessionFramesAllocateNothing(t *testing.T) {
	const h, w = 40, 52
	m := testMILO(t, 18, testCtx)
	f1, im1 := rgba8(h, w, 1)
	f2, im2 := rgba8(h, w, 2)
	want, err := m.EvaluateBatch([]Image{im1, im1}, []Image{im2, im1}, true)
	if err != nil {
		t.Fatal(err)
	}
	s, err := m.NewSession(h, w, true)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Score(f1, f2)
	if err != nil {
		t.Fatal(err)
	}
	closeScores(t, "first frame", got, want[0])
	qmap, _ := s.Maps()
	for i := range qmap {
		if math.Abs(float64(qmap[i]-want[0].Map[i])) > 1e-6 {
			t.Fatalf("map pixel %d: %g, Evaluate %g", i, qmap[i], want[0].Map[i])
		}
	}
	before := testCtx.Stats()
	allocs := testing.AllocsPerRun(5, func() {
		if err := s.Submit(f1, f2); err != nil {
			t.Fatal(err)
		}
		if err := s.Submit(f1, f1); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			if _, err := s.Wait(); err != nil {
				t.Fatal(err)
			}
		}
	})
	after := testCtx.Stats()
	if allocs != 0 {
		t.Fatalf("%v Go allocations per frame pair", allocs)
	}
	if after.MemoryAllocations != before.MemoryAllocations || after.Buffers != before.Buffers || after.DescriptorSets != before.DescriptorSets || after.Pipelines != before.Pipelines {
		t.Fatalf("frames created Vulkan objects: before %+v, after %+v", before, after)
	}
	// In-flight order: the second frame's scores come second.
	if err := s.Submit(f1, f2); err != nil {
		t.Fatal(err)
	}
	if err := s.Submit(f1, f1); err != nil {
		t.Fatal(err)
	}
	if err := s.Submit(f1, f1); err == nil {
		t.Fatal("accepted a third frame in flight")
	}
	a, err := s.Wait()
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Wait()
	if err != nil {
		t.Fatal(err)
	}
	closeScores(t, "frame 1 of 2", a, want[0])
	closeScores(t, "frame 2 of 2", b, want[1])
	if math.Abs(float64(b.Score)) > 1e-6 {
		t.Fatalf("identical frames scored %g", b.Score)
	}
}

// RGBA16F frames, planar frames and frames already in device memory score
// like RGBA8; bad frames are refused with the reason.
func TestSessionFormats(t *testing.T) {
	const h, w = 33, 29
	m := testMILO(t, 19, testCtx)
	_, im1 := rgba8(h, w, 3)
	_, im2 := rgba8(h, w, 4)
	want, err := m.Evaluate(im1, im2, false)
	if err != nil {
		t.Fatal(err)
	}
	half := func(im Image) Frame {
		f := Frame{Format: RGBA16F, Bytes: make([]byte, 8*h*w)}
		for p := 0; p < h*w; p++ {
			for c := 0; c < 3; c++ {
				binary.LittleEndian.PutUint16(f.Bytes[8*p+2*c:], kernels.HalfBits(im.Data[c*h*w+p]))
			}
		}
		return f
	}
	s, err := m.NewSession(h, w, false)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	got, err := s.Score(Frame{Format: Planar32, Floats: im1.Data}, Frame{Format: Planar32, Floats: im2.Data})
	if err != nil {
		t.Fatal(err)
	}
	closeScores(t, "planar", got, want)
	// binary16 rounds x/255 by up to 2.4e-4: the scores move by less than 1e-3.
	got, err = s.Score(half(im1), half(im2))
	if err != nil {
		t.Fatal(err)
	}
	if math.Abs(float64(got.Score)-want.Score) > 1e-3 {
		t.Fatalf("RGBA16F score %g, want %g", got.Score, want.Score)
	}
	if _, err := s.Score(Frame{Format: RGBA8, Bytes: make([]byte, 10)}, half(im2)); err == nil {
		t.Fatal("accepted a 10-byte frame")
	}
	if _, err := s.Score(Frame{Format: Planar32, Floats: im1.Data[:10]}, half(im2)); err == nil {
		t.Fatal("accepted a short planar frame")
	}
	// Device frames: the caller's buffers, bound as they are.
	r, err := testCtx.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Abort() // a no-op once submitted; else it frees the context for the next test
	rb, err := testCtx.NewBuffer(uint64(4 * len(im1.Data)))
	if err != nil {
		t.Fatal(err)
	}
	defer rb.Free()
	db, err := testCtx.NewBuffer(uint64(4 * len(im2.Data)))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Free()
	if err := r.Upload(rb, im1.Data); err != nil {
		t.Fatal(err)
	}
	if err := r.Upload(db, im2.Data); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	ds, err := m.NewDeviceSession(rb, db, Planar32, h, w, false)
	if err != nil {
		t.Fatal(err)
	}
	defer ds.Close()
	got, err = ds.Score(Frame{}, Frame{})
	if err != nil {
		t.Fatal(err)
	}
	closeScores(t, "device frames", got, want)
	if _, err := m.NewDeviceSession(rb, db, Planar32, h+1, w, false); err == nil {
		t.Fatal("accepted device frames too small for the size")
	}
}

// Frames go to staging as their raw pixels with a format word, and one
// recorded program unpacks them on the device: whole into resident inputs,
// or a band of rows at a time (and the first pooling in chunks) where the
// budget leaves no room for them. Both score RGBA8 with a padded stride,
// RGBA16F and planar frames, mixed in flight, as Evaluate scores the same
// pixels.
func TestSessionUnpacksOnTheDevice(t *testing.T) {
	const h, w = 36, 45
	m := testMILO(t, 20, testCtx)
	f1, im1 := rgba8(h, w, 5)
	f2, im2 := rgba8(h, w, 6)
	// RGBA16F holds im2 rounded to binary16, which Evaluate is given too.
	h2 := Frame{Format: RGBA16F, Bytes: make([]byte, 8*h*w)}
	im2h := Image{C: 3, H: h, W: w, Data: make([]float32, len(im2.Data))}
	for p := 0; p < h*w; p++ {
		for c := 0; c < 3; c++ {
			v := kernels.HalfBits(im2.Data[c*h*w+p])
			binary.LittleEndian.PutUint16(h2.Bytes[8*p+2*c:], v)
			im2h.Data[c*h*w+p] = kernels.HalfValue(v)
		}
	}
	want, err := m.EvaluateBatch([]Image{im1, im1, im1}, []Image{im2, im2h, im2}, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, budget := range []int64{DefaultBudget, 1} {
		m.Budget = budget
		s, err := m.NewSession(h, w, false)
		if err != nil {
			t.Fatal(err)
		}
		p := s.ps.p
		if p.resident != (budget == DefaultBudget) || (!p.resident && (p.band[Levels-1] >= h || p.poolRows() >= h/2)) {
			t.Fatalf("budget %d: resident %v, bands %v, pooling %d rows at a time", budget, p.resident, p.band, p.poolRows())
		}
		if err := s.Submit(f1, f2); err != nil {
			t.Fatal(err)
		}
		if err := s.Submit(f1, h2); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 2; i++ {
			got, err := s.Wait()
			if err != nil {
				t.Fatal(err)
			}
			closeScores(t, [2]string{"RGBA8", "RGBA16F"}[i], got, want[i])
		}
		got, err := s.Score(Frame{Format: Planar32, Floats: im1.Data}, Frame{Format: Planar32, Floats: im2.Data})
		if err != nil {
			t.Fatal(err)
		}
		closeScores(t, "planar", got, want[2])
		s.Close()
	}
}

// A session made for RGBA8 frames stages a word a pixel, not planar
// floats' three, scores them as Evaluate does (whole and a band at a
// time), and refuses frames of another format by name.
func TestSessionForOneFormat(t *testing.T) {
	const h, w = 29, 38
	m := testMILO(t, 22, testCtx)
	f1, im1 := rgba8(h, w, 9)
	f2, im2 := rgba8(h, w, 10)
	want, err := m.Evaluate(im1, im2, false)
	if err != nil {
		t.Fatal(err)
	}
	for _, budget := range []int64{DefaultBudget, 1} {
		m.Budget = budget
		s, err := m.NewSession(h, w, false, RGBA8)
		if err != nil {
			t.Fatal(err)
		}
		if n := len(s.slots[0][0]); n != h*w {
			t.Fatalf("budget %d: a frame's staging holds %d words, want %d", budget, n, h*w)
		}
		got, err := s.Score(f1, f2)
		if err != nil {
			t.Fatal(err)
		}
		closeScores(t, fmt.Sprintf("budget %d", budget), got, want)
		_, err = s.Score(f1, Frame{Format: Planar32, Floats: im2.Data})
		if err == nil || !strings.Contains(err.Error(), "Planar32 frame; the session was made for [RGBA8]") {
			t.Fatalf("budget %d: a planar frame in an RGBA8 session: %v", budget, err)
		}
		s.Close()
	}
	if _, err := m.NewSession(h, w, false, Format(7)); err == nil {
		t.Fatal("made a session for an unknown format")
	}
}

// Device frames of RGBA8 and RGBA16F pixels (as an engine copies an image
// into a buffer) are unpacked by the program, whole or (under a budget too
// small for whole frames) a band at a time, and score as Evaluate does; too
// small a buffer is refused.
func TestDeviceSessionRGBA(t *testing.T) {
	const h, w = 21, 34
	m := testMILO(t, 21, testCtx)
	f1, im1 := rgba8(h, w, 7)
	f2, im2 := rgba8(h, w, 8)
	// RGBA16F frames hold the images rounded to binary16.
	round := func(im Image) Image {
		out := Image{C: im.C, H: im.H, W: im.W, Data: make([]float32, len(im.Data))}
		for i, v := range im.Data {
			out.Data[i] = kernels.RoundHalf(v)
		}
		return out
	}
	want, err := m.EvaluateBatch([]Image{im1, round(im1)}, []Image{im2, round(im2)}, false)
	if err != nil {
		t.Fatal(err)
	}
	// The frames' pixels as words, rows back to back (rgba8 pads its rows).
	words := func(f Frame, half bool) []float32 {
		n := 1
		if half {
			n = 2
		}
		out := make([]float32, n*h*w)
		for y := 0; y < h; y++ {
			for x := 0; x < w; x++ {
				p := f.Bytes[y*f.Stride+4*x:]
				if !half {
					out[y*w+x] = math.Float32frombits(binary.LittleEndian.Uint32(p))
					continue
				}
				var v [4]uint16
				for c := range v {
					v[c] = kernels.HalfBits(float32(p[c]) / 255)
				}
				out[2*(y*w+x)] = math.Float32frombits(uint32(v[0]) | uint32(v[1])<<16)
				out[2*(y*w+x)+1] = math.Float32frombits(uint32(v[2]) | uint32(v[3])<<16)
			}
		}
		return out
	}
	for i, tc := range []struct {
		format Format
		half   bool
	}{{RGBA8, false}, {RGBA16F, true}} {
		r, err := testCtx.Begin(false)
		if err != nil {
			t.Fatal(err)
		}
		defer r.Abort() // a no-op once submitted; else it frees the context for the next test
		var bufs [2]*vk.Buffer
		for j, f := range []Frame{f1, f2} {
			data := words(f, tc.half)
			if bufs[j], err = testCtx.NewBuffer(uint64(4 * len(data))); err != nil {
				t.Fatal(err)
			}
			defer bufs[j].Free()
			if err := r.Upload(bufs[j], data); err != nil {
				t.Fatal(err)
			}
		}
		if _, err := r.Submit(); err != nil {
			t.Fatal(err)
		}
		for _, budget := range []int64{DefaultBudget, 1} {
			m.Budget = budget
			s, err := m.NewDeviceSession(bufs[0], bufs[1], tc.format, h, w, false)
			if err != nil {
				t.Fatal(err)
			}
			if s.ps.p.resident != (budget == DefaultBudget) {
				t.Fatalf("budget %d: resident %v", budget, s.ps.p.resident)
			}
			got, err := s.Score(Frame{}, Frame{})
			s.Close()
			if err != nil {
				t.Fatal(err)
			}
			closeScores(t, fmt.Sprintf("device frames of format %d, budget %d", tc.format, budget), got, want[i])
		}
		if _, err := m.NewDeviceSession(bufs[0], bufs[1], tc.format, h, w+1, false); err == nil {
			t.Fatalf("format %d: accepted device frames too small for the size", tc.format)
		}
		m.Budget = DefaultBudget
	}
}
