package kernels

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/vkpercept/vkpercept/vk"
)

func TestConv3x3MatchesReference(t *testing.T) {
	cases := []struct {
		n, h, w int
		op      Conv3x3
	}{
		{1, 1, 1, Conv3x3{In: [3]int{3, 0, 0}, Out: 7, Act: ActNone}},
		{1, 5, 7, Conv3x3{In: [3]int{3, 3, 1}, Out: 32, Act: ActReLU}},
		{2, 33, 17, Conv3x3{In: [3]int{32, 0, 0}, Out: 64, Act: ActReLU}},
		{1, 17, 33, Conv3x3{In: [3]int{64, 0, 0}, Out: 32, Act: ActReLU}},
		{1, 9, 2, Conv3x3{In: [3]int{16, 0, 0}, Out: 1, Act: ActSigmoid, Residual: true}},
		{3, 2, 9, Conv3x3{In: [3]int{4, 4, 1}, Out: 3, Act: ActSigmoid, Residual: true}},
	}
	for _, tc := range cases {
		t.Run(fmt.Sprintf("%v_%dx%dx%d", tc.op, tc.n, tc.h, tc.w), func(t *testing.T) {
			rng := rand.New(rand.NewSource(1))
			plane := tc.h * tc.w
			var srcs [3][]float32
			for i, c := range tc.op.In {
				srcs[i] = randVec(rng, tc.n*c*plane, -1, 1)
			}
			weights := randVec(rng, tc.op.WeightLen(), -0.3, 0.3)
			bias := randVec(rng, tc.op.Out, -0.2, 0.2)
			res := randVec(rng, tc.n*tc.op.Out*plane, 0, 1)
			want := make([]float32, tc.n*tc.op.Out*plane)
			if err := tc.op.Ref(want, srcs, res, weights, bias, tc.n, tc.h, tc.w); err != nil {
				t.Fatal(err)
			}
			r, err := gpu.Ctx.Begin(false)
			if err != nil {
				t.Fatal(err)
			}
			// Weights and bias share one buffer at offsets, as a model's do; offset 5 checks the indexing.
			wb := append(append(make([]float32, 5), weights...), bias...)
			wbuf := upload(t, r, wb)
			var bufs [3]*vk.Buffer
			for i, c := range tc.op.In {
				if c > 0 {
					bufs[i] = upload(t, r, srcs[i])
				}
			}
			rbuf := upload(t, r, res)
			out := scratch(t, len(want))
			if err := tc.op.Record(gpu, r, out, bufs, rbuf, wbuf, 5, 5+len(weights), tc.n, tc.h, tc.w); err != nil {
				r.Abort()
				t.Fatal(err)
			}
			got := poison(len(want))
			if err := r.Download(out, got); err != nil {
				t.Fatal(err)
			}
			if _, err := r.Submit(); err != nil {
				t.Fatal(err)
			}
			closeTo(t, "conv3x3", got, want, 1e-5, 1e-5)
		})
	}
}

func TestConv3x3RejectsWrongWeights(t *testing.T) {
	op := Conv3x3{In: [3]int{3, 0, 0}, Out: 4}
	err := op.Ref(make([]float32, 16), [3][]float32{make([]float32, 12)}, nil, make([]float32, 10), make([]float32, 4), 1, 2, 2)
	if err == nil {
		t.Fatal("accepted 10 weights for a 3->4 convolution")
	}
}
