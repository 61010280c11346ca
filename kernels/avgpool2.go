package kernels

import (
	"fmt"

	"github.com/vkpercept/vkpercept/vk"
)

// AvgPool2 is 2x2 average pooling with stride 2 and floor: the odd last row
// or column is dropped (avg_pool2d(kernel 2, stride 2)).
type AvgPool2 struct{}

// OutSize is the pooled size of an h x w plane.
func (AvgPool2) OutSize(h, w int) (int, int) { return h / 2, w / 2 }

// Ref pools planes (N*C) planes of h x w into out.
func (op AvgPool2) Ref(out, in []float32, planes, h, w int) error {
	oh, ow := op.OutSize(h, w)
	if len(in) < planes*h*w || len(out) < planes*oh*ow {
		return fmt.Errorf("avgpool2: buffers too small for %d planes of %dx%d", planes, w, h)
	}
	ParallelFor(planes, func(c int) {
		src := in[c*h*w:]
		dst := out[c*oh*ow:]
		for y := 0; y < oh; y++ {
			for x := 0; x < ow; x++ {
				s := 2*y*w + 2*x
				dst[y*ow+x] = ((src[s] + src[s+1]) + (src[s+w] + src[s+w+1])) * 0.25
			}
		}
	})
	return nil
}

// Record records the pooling of planes planes of h x w.
func (op AvgPool2) Record(g GPU, r *vk.Recorder, out, in *vk.Buffer, planes, h, w int) error {
	k, err := g.kernel("avgpool2_f32")
	if err != nil {
		return err
	}
	oh, ow := op.OutSize(h, w)
	return r.Dispatch(vk.Dispatch{
		Kernel: k,
		Groups: [3]uint32{groups(ow, 16), groups(oh, 16), uint32(planes)},
		Push:   []uint32{uint32(w), uint32(h), uint32(ow), uint32(oh), uint32(planes)},
		Out:    []*vk.Buffer{out},
		In:     []*vk.Buffer{in},
		Label:  fmt.Sprintf("avgpool2 %dx%d", w, h),
	})
}
