package kernels

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/vkpercept/vkpercept/vk"
)

// runOne records build, reads n floats back from the buffer it returns, and submits.
func runOne(t *testing.T, n int, build func(r *vk.Recorder) (*vk.Buffer, error)) []float32 {
	t.Helper()
	r, err := gpu.Ctx.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	out, err := build(r)
	if err != nil {
		r.Abort()
		t.Fatal(err)
	}
	got := poison(n)
	if err := r.Download(out, got); err != nil {
		r.Abort()
		t.Fatal(err)
	}
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	return got
}

var oddSizes = [][2]int{{1, 1}, {2, 2}, {5, 7}, {33, 17}, {17, 33}, {64, 48}}

func TestAvgPool2MatchesReference(t *testing.T) {
	for _, hw := range oddSizes {
		for _, planes := range []int{1, 3, 7} {
			h, w := hw[0], hw[1]
			oh, ow := AvgPool2{}.OutSize(h, w)
			if oh == 0 || ow == 0 {
				continue
			}
			t.Run(fmt.Sprintf("%dx%dx%d", planes, h, w), func(t *testing.T) {
				rng := rand.New(rand.NewSource(2))
				in := randVec(rng, planes*h*w, 0, 1)
				want := make([]float32, planes*oh*ow)
				if err := (AvgPool2{}).Ref(want, in, planes, h, w); err != nil {
					t.Fatal(err)
				}
				// Spot-check the reference itself against the definition.
				if got := (in[0] + in[1] + in[w] + in[w+1]) / 4; abs32(got-want[0]) > 1e-6 {
					t.Fatalf("reference pool[0] = %g, want %g", want[0], got)
				}
				got := runOne(t, len(want), func(r *vk.Recorder) (*vk.Buffer, error) {
					src, dst := upload(t, r, in), scratch(t, len(want))
					return dst, AvgPool2{}.Record(gpu, r, dst, src, planes, h, w)
				})
				closeTo(t, "avgpool2", got, want, 1e-6, 1e-6)
			})
		}
	}
}

func abs32(v float32) float32 {
	if v < 0 {
		return -v
	}
	return v
}

func TestUpsample2MatchesReference(t *testing.T) {
	for _, hw := range oddSizes {
		for _, pad := range [][2]int{{0, 0}, {1, 0}, {0, 1}, {1, 1}} {
			h, w := hw[0], hw[1]
			oh, ow := 2*h+pad[0], 2*w+pad[1]
			t.Run(fmt.Sprintf("%dx%d_to_%dx%d", h, w, oh, ow), func(t *testing.T) {
				rng := rand.New(rand.NewSource(3))
				planes := 2
				in := randVec(rng, planes*h*w, -1, 1)
				want := make([]float32, planes*oh*ow)
				if err := (Upsample2{}).Ref(want, in, planes, h, w, oh, ow); err != nil {
					t.Fatal(err)
				}
				// align_corners=True keeps the corners exactly.
				if want[0] != in[0] || want[(2*h-1)*ow+2*w-1] != in[h*w-1] {
					t.Fatalf("reference does not keep the corners")
				}
				got := runOne(t, len(want), func(r *vk.Recorder) (*vk.Buffer, error) {
					src, dst := upload(t, r, in), scratch(t, len(want))
					return dst, Upsample2{}.Record(gpu, r, dst, src, planes, h, w, oh, ow)
				})
				closeTo(t, "upsample2", got, want, 1e-6, 1e-6)
			})
		}
	}
}

func TestUpsample2RejectsBadTarget(t *testing.T) {
	if err := (Upsample2{}).Ref(make([]float32, 100), make([]float32, 4), 1, 2, 2, 6, 4); err == nil {
		t.Fatal("accepted 2x2 -> 4x6")
	}
}

func TestMaskDiffMatchesReference(t *testing.T) {
	for _, c := range []int{1, 3, 4} {
		for _, hw := range oddSizes {
			n, plane := 2, hw[0]*hw[1]
			t.Run(fmt.Sprintf("c%d_%dpx", c, plane), func(t *testing.T) {
				rng := rand.New(rand.NewSource(4))
				a, b := randVec(rng, n*c*plane, 0, 1), randVec(rng, n*c*plane, 0, 1)
				m := randVec(rng, n*plane, 0, 3)
				want := make([]float32, n*plane)
				if err := (MaskDiff{Channels: c}).Ref(want, a, b, m, n, plane); err != nil {
					t.Fatal(err)
				}
				got := runOne(t, len(want), func(r *vk.Recorder) (*vk.Buffer, error) {
					ab, bb, mb, dst := upload(t, r, a), upload(t, r, b), upload(t, r, m), scratch(t, len(want))
					return dst, MaskDiff{Channels: c}.Record(gpu, r, dst, ab, bb, mb, n, plane)
				})
				closeTo(t, "maskdiff", got, want, 1e-6, 1e-6)
			})
		}
	}
}

func TestScalerMatchesReference(t *testing.T) {
	for _, hidden := range []int{3, 32} {
		for _, op := range []Scaler{{Hidden: hidden, Sub: 0.25, Scale: 1}, {Hidden: hidden, Scale: -5, Bias: 5}} {
			t.Run(fmt.Sprintf("%+v", op), func(t *testing.T) {
				rng := rand.New(rand.NewSource(5))
				h := hidden
				w := ScalerWeights{W0: randVec(rng, h, -1, 1), B0: randVec(rng, h, -1, 1), W1: randVec(rng, h*h, -1, 1),
					B1: randVec(rng, h, -1, 1), W2: randVec(rng, h, -1, 1), B2: randVec(rng, 1, -1, 1)}
				in := randVec(rng, 1037, -0.5, 2)
				in[0] = 0
				want := make([]float32, len(in))
				if err := op.Ref(want, in, w); err != nil {
					t.Fatal(err)
				}
				if want[0] != op.Scale*(op.S(w, 0)-op.Sub)+op.Bias {
					t.Fatalf("reference at 0 is %g", want[0])
				}
				flat, off := packScaler(w)
				got := runOne(t, len(want), func(r *vk.Recorder) (*vk.Buffer, error) {
					wb, src, dst := upload(t, r, flat), upload(t, r, in), scratch(t, len(want))
					return dst, op.Record(gpu, r, dst, src, wb, off, len(in))
				})
				closeTo(t, "scaler", got, want, 2e-6, 1e-5)
			})
		}
	}
}

func packScaler(w ScalerWeights) ([]float32, ScalerOffsets) {
	var flat []float32
	put := func(v []float32) int { o := len(flat) + 1; flat = append(flat, 0); flat = append(flat, v...); return o }
	off := ScalerOffsets{W0: put(w.W0), B0: put(w.B0), W1: put(w.W1), B1: put(w.B1), W2: put(w.W2), B2: put(w.B2)}
	return flat, off
}

func TestMeanMatchesReference(t *testing.T) {
	for _, tc := range []Mean{{1, 1}, {1, 255}, {3, 1000}, {2, 65536 + 17}, {1, 1 << 21}} {
		t.Run(fmt.Sprintf("%dx%d", tc.Rows, tc.Len), func(t *testing.T) {
			rng := rand.New(rand.NewSource(6))
			in := randVec(rng, tc.Rows*tc.Len, 0, 1)
			want := make([]float32, tc.Rows)
			if err := tc.Ref(want, in); err != nil {
				t.Fatal(err)
			}
			var naive float64
			for _, v := range in[:tc.Len] {
				naive += float64(v)
			}
			if d := float64(want[0]) - naive/float64(tc.Len); d > 1e-6 || d < -1e-6 {
				t.Fatalf("reference mean %g, float64 mean %g", want[0], naive/float64(tc.Len))
			}
			got := runOne(t, tc.Rows, func(r *vk.Recorder) (*vk.Buffer, error) {
				src, part, dst := upload(t, r, in), scratch(t, tc.PartialLen()), scratch(t, tc.Rows)
				return dst, tc.Record(gpu, r, dst, src, part)
			})
			closeTo(t, "mean", got, want, 1e-7, 2e-6)
		})
	}
}
