package kernels

import (
	"fmt"
	"math/rand"
	"testing"

	"github.com/vkpercept/vkpercept/internal/gctest"
	"github.com/vkpercept/vkpercept/vk"
)

// Pipelines, descriptor sets, copies and barriers made while another
// goroutine collects garbage without pause. vulkan-go's wrappers for these
// calls convert their arrays into C memory freed from a finalizer that a
// collection can run during the call: the driver then read freed memory (a
// rare crash in vkCreateComputePipelines, lavapipe). The vk package builds
// those structs in C instead; this checks the results under collections,
// with another goroutine allocating so that freed memory is reused at once.
func TestVulkanCallsUnderCollection(t *testing.T) {
	gctest.Collect(t)
	gctest.Churn(t) // what a collection frees is reused at once
	rng := rand.New(rand.NewSource(12))
	for i := 0; i < 12; i++ {
		// New pipelines (a conv tile not cached yet: its own specialization)
		// and new buffers (new descriptor sets) each round.
		op := Conv3x3{In: [3]int{3, 0, 0}, Out: 2 + i%3, Act: ActReLU, Tile: ConvTile{Channels: 1 + i, Rows: 1 + i%2}}
		const h, w = 6, 9
		src := randVec(rng, 3*h*w, -1, 1)
		weights, bias := randVec(rng, op.WeightLen(), -0.3, 0.3), randVec(rng, op.Out, -0.2, 0.2)
		want := make([]float32, op.Out*h*w)
		if err := op.Ref(want, [3][]float32{src}, nil, weights, bias, op.DenseGeom(1, h, w)); err != nil {
			t.Fatal(err)
		}
		got := runOne(t, len(want), func(r *vk.Recorder) (*vk.Buffer, error) {
			cw := mustWeights(t, r, op, weights, bias)
			dst := scratch(t, len(want))
			return dst, op.Record(gpu, r, dst, [3]*vk.Buffer{upload(t, r, src)}, nil, cw, op.DenseGeom(1, h, w))
		})
		closeTo(t, fmt.Sprint("round ", i), got, want, 1e-5, 1e-5)
	}
}
