package kernels

import (
	"sort"

	"github.com/vkpercept/vkpercept/vk"
)

// DispatchOverhead is the median device time of an empty dispatch (one
// workgroup), measured with n timestamped dispatches: the baseline that
// per-kernel benchmark figures subtract.
func DispatchOverhead(g GPU, n int) (float64, error) {
	k, err := g.kernel("empty")
	if err != nil {
		return 0, err
	}
	buf, err := g.Ctx.Acquire(256)
	if err != nil {
		return 0, err
	}
	defer g.Ctx.Release(buf)
	r, err := g.Ctx.Begin(true)
	if err != nil {
		return 0, err
	}
	for i := 0; i < n; i++ {
		if err := r.Dispatch(vk.Dispatch{Kernel: k, Groups: [3]uint32{1, 1, 1}, Out: []*vk.Buffer{buf}, Label: "empty"}); err != nil {
			r.Abort()
			return 0, err
		}
	}
	ts, err := r.Submit()
	if err != nil || len(ts) == 0 {
		return 0, err
	}
	ns := make([]float64, len(ts))
	for i, t := range ts {
		ns[i] = t.Ns
	}
	sort.Float64s(ns)
	return ns[len(ns)/2], nil
}
