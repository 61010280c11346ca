package kernels

import (
	"fmt"

	"github.com/vkpercept/vkpercept/vk"
)

// MaskDiff is the mask-weighted absolute difference averaged over channels:
// out[n,y,x] = mask[n,y,x] * mean_c |a[n,c,y,x] - b[n,c,y,x]|.
type MaskDiff struct{ Channels int }

// Ref computes the per-pixel values for n images of plane pixels.
func (op MaskDiff) Ref(out, a, b, mask []float32, n, plane int) error {
	c := op.Channels
	if len(a) < n*c*plane || len(b) < n*c*plane || len(mask) < n*plane || len(out) < n*plane {
		return fmt.Errorf("maskdiff: buffers too small for %d images of %d channels x %d pixels", n, c, plane)
	}
	for img := 0; img < n; img++ {
		for i := 0; i < plane; i++ {
			var s float32
			for ch := 0; ch < c; ch++ {
				k := (img*c+ch)*plane + i
				d := a[k] - b[k]
				if d < 0 {
					d = -d
				}
				s += d
			}
			out[img*plane+i] = mask[img*plane+i] * (s / float32(c))
		}
	}
	return nil
}

// Record records the op.
func (op MaskDiff) Record(g GPU, r *vk.Recorder, out, a, b, mask *vk.Buffer, n, plane int) error {
	k, err := g.kernel("maskdiff_f32")
	if err != nil {
		return err
	}
	return r.Dispatch(vk.Dispatch{
		Kernel: k,
		Groups: [3]uint32{groups(plane, 256), uint32(n), 1},
		Push:   []uint32{uint32(plane), uint32(op.Channels), uint32(n)},
		Out:    []*vk.Buffer{out},
		In:     []*vk.Buffer{a, b, mask},
		Label:  "maskdiff",
	})
}
