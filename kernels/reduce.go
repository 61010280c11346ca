package kernels

import (
	"fmt"

	"github.com/vkpercept/vkpercept/vk"
)

// pairwise sums in float64 halving recursively: the references' summation.
func pairwise(v []float32) float64 {
	if len(v) <= 64 {
		var s float64
		for _, x := range v {
			s += float64(x)
		}
		return s
	}
	h := len(v) / 2
	return pairwise(v[:h]) + pairwise(v[h:])
}

// reduceGroups bounds the first pass's workgroups per row.
const reduceGroups = 256

// RowSum sums each of Rows rows of Len values (pairwise in the reference).
type RowSum struct{ Rows, Len int }

// Ref writes the Rows sums into out.
func (op RowSum) Ref(out, in []float32) error {
	if len(in) < op.Rows*op.Len || len(out) < op.Rows {
		return fmt.Errorf("rowsum: buffers too small for %d rows of %d", op.Rows, op.Len)
	}
	for r := 0; r < op.Rows; r++ {
		out[r] = float32(pairwise(in[r*op.Len : (r+1)*op.Len]))
	}
	return nil
}

// PartialLen is the scratch floats Record needs.
func (op RowSum) PartialLen() int { return op.Rows * reduceGroups }

// Record writes the Rows sums into out, using partial as scratch.
func (op RowSum) Record(g GPU, r *vk.Recorder, out, in, partial *vk.Buffer) error {
	return recordRowReduce(g, r, out, in, partial, op.Rows, op.Len, "rowsum")
}

// recordRowReduce is the two-pass tree: up to reduceGroups partial sums per
// row, then one workgroup per row sums those.
func recordRowReduce(g GPU, r *vk.Recorder, out, in, partial *vk.Buffer, rows, length int, label string) error {
	k, err := g.kernel("reduce_sum_f32")
	if err != nil {
		return err
	}
	n := min(reduceGroups, (length+255)/256)
	if err := r.Dispatch(vk.Dispatch{
		Kernel: k, Groups: [3]uint32{uint32(n), uint32(rows), 1},
		Push: []uint32{uint32(length), uint32(rows), f32bits(1)},
		Out:  []*vk.Buffer{partial}, In: []*vk.Buffer{in}, Label: label + " pass 1",
	}); err != nil {
		return err
	}
	return r.Dispatch(vk.Dispatch{
		Kernel: k, Groups: [3]uint32{1, uint32(rows), 1},
		Push: []uint32{uint32(n), uint32(rows), f32bits(1)},
		Out:  []*vk.Buffer{out}, In: []*vk.Buffer{partial}, Label: label + " pass 2",
	})
}
