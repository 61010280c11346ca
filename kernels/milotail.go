package kernels

import (
	"fmt"

	"github.com/vkpercept/vkpercept/vk"
)

// tailGroup is the pixels one milo_tail workgroup sums.
const tailGroup = 256

// MiloTail is MILO's per-pixel end on rows of the finest level:
// d = mask * mean_c |ref - dist| and the quality map q = S(d) - Sub, plus one
// partial sum of d and of q per group of tailGroup pixels of each image, so
// that a pass over row bands reduces without a full-size map.
type MiloTail struct {
	Channels int
	Scaler   Scaler // Sub is subtracted from S
	// tree sums a workgroup's pixels with a barrier a halving step even on
	// devices with subgroup sums (tests check both forms).
	tree bool
}

// TailGeom is n images of width W, rows [Y0, Y1), the views of ref, dist and
// mask and, when Maps, of the d and q outputs. Partials of image i land at
// pairs i*Parts + PartBase + group.
type TailGeom struct {
	N, W, Y0, Y1    int
	Ref, Dist, Mask View
	Maps            bool
	D, Q            View
	Parts, PartBase int
}

// Groups is the partial pairs per image the rows produce.
func (g TailGeom) Groups() int { return ((g.Y1-g.Y0)*g.W + tailGroup - 1) / tailGroup }

func (op MiloTail) check(g TailGeom, d, q, parts, ref, dist, mask int) error {
	if g.PartBase+g.Groups() > g.Parts {
		return fmt.Errorf("milo tail: %d partials from %d do not fit in %d", g.Groups(), g.PartBase, g.Parts)
	}
	if 2*g.N*g.Parts > parts {
		return fmt.Errorf("milo tail: partials buffer holds %d of %d floats", parts, 2*g.N*g.Parts)
	}
	c := op.Channels
	for _, v := range []struct {
		name    string
		v       View
		size, c int
	}{{"ref", g.Ref, ref, c}, {"dist", g.Dist, dist, c}, {"mask", g.Mask, mask, 1}} {
		if err := v.v.check("milo tail "+v.name, v.size, g.N, v.c, g.Y0, g.Y1, g.W); err != nil {
			return err
		}
	}
	if g.Maps {
		if err := g.D.check("milo tail d", d, g.N, 1, g.Y0, g.Y1, g.W); err != nil {
			return err
		}
		return g.Q.check("milo tail q", q, g.N, 1, g.Y0, g.Y1, g.W)
	}
	return nil
}

// Ref computes the maps (when g.Maps) and the partials.
func (op MiloTail) Ref(d, q, parts, ref, dist, mask []float32, w ScalerWeights, g TailGeom) error {
	if err := op.Scaler.check(w); err != nil {
		return err
	}
	if err := op.check(g, len(d), len(q), len(parts), len(ref), len(dist), len(mask)); err != nil {
		return err
	}
	groups := g.Groups()
	count := (g.Y1 - g.Y0) * g.W
	ParallelFor(g.N*groups, func(t int) {
		n, grp := t/groups, t%groups
		var sd, sq float64
		for i := grp * tailGroup; i < min((grp+1)*tailGroup, count); i++ {
			y, x := g.Y0+i/g.W, i%g.W
			var ad float32
			for c := 0; c < op.Channels; c++ {
				diff := ref[g.Ref.At(n, c, y, g.W)+x] - dist[g.Dist.At(n, c, y, g.W)+x]
				if diff < 0 {
					diff = -diff
				}
				ad += diff
			}
			dv := mask[g.Mask.At(n, 0, y, g.W)+x] * (ad / float32(op.Channels))
			qv := op.Scaler.S(w, dv) - op.Scaler.Sub
			if g.Maps {
				d[g.D.At(n, 0, y, g.W)+x] = dv
				q[g.Q.At(n, 0, y, g.W)+x] = qv
			}
			sd += float64(dv)
			sq += float64(qv)
		}
		k := 2 * (n*g.Parts + g.PartBase + grp)
		parts[k], parts[k+1] = float32(sd), float32(sq)
	})
	return nil
}

// Record records the tail; d and q may be nil when g.Maps is false. weights
// holds the scaler's Table at float offset table.
func (op MiloTail) Record(gpu GPU, r *vk.Recorder, d, q, parts, weights, ref, dist, mask *vk.Buffer, table int, g TailGeom) error {
	if err := op.check(g, floats(d), floats(q), floats(parts), floats(ref), floats(dist), floats(mask)); err != nil {
		return err
	}
	// The table is read from a uniform buffer.
	if end, limit := 4*(table+op.Scaler.TableLen()), gpu.uniformBytes(); table < 0 || end > limit || end > int(weights.Size) {
		return fmt.Errorf("milo tail: a scaler table at float %d of a %d-byte buffer does not lie in its first %d bytes", table, weights.Size, limit)
	}
	name := "milo_tail_f32"
	if gpu.Ctx.Info().Features.SubgroupArithmetic && !op.tree {
		name += "_sg"
	}
	k, err := gpu.kernel(name, uint32(op.Scaler.Hidden))
	if err != nil {
		return err
	}
	maps := uint32(0)
	if g.Maps {
		maps = 1
	} else {
		d, q = parts, parts // bound but never written
	}
	push := []uint32{uint32(g.W), uint32(g.Y0), uint32(g.Y1 - g.Y0), uint32(op.Channels), uint32(g.N), maps,
		uint32(g.Parts), uint32(g.PartBase), f32bits(op.Scaler.Sub)}
	push = append(push, uint32(table))
	for _, v := range []View{g.Ref, g.Dist, g.Mask, g.D, g.Q} {
		push = append(push, v.push()...)
	}
	return r.Dispatch(vk.Dispatch{
		Kernel: k,
		Groups: [3]uint32{uint32(g.Groups()), uint32(g.N), 1},
		Push:   push,
		Out:    []*vk.Buffer{d, q, parts},
		In:     []*vk.Buffer{weights, ref, dist, mask},
		Label:  "milo tail",
		Flops:  float64(g.N*(g.Y1-g.Y0)*g.W) * float64(3*op.Channels+5*op.Scaler.Hidden),
		Bytes:  4 * float64(g.N*(g.Y1-g.Y0)*g.W) * float64(2*op.Channels+1+2*int(maps)),
	})
}

// MiloFinal turns the tail's partials into score, loss and MOS per image:
// out[3i .. 3i+2].
type MiloFinal struct {
	Scaler Scaler
	Parts  int // partial pairs per image
	Plane  int // pixels per image
}

// Ref computes the scalars of n images.
func (op MiloFinal) Ref(out, parts []float32, w ScalerWeights, n int) error {
	if len(parts) < 2*n*op.Parts || len(out) < 3*n {
		return fmt.Errorf("milo final: buffers too small for %d images", n)
	}
	for i := 0; i < n; i++ {
		var sd, sq float64
		for j := 0; j < op.Parts; j++ {
			k := 2 * (i*op.Parts + j)
			sd += float64(parts[k])
			sq += float64(parts[k+1])
		}
		loss := float32(sd / float64(op.Plane))
		out[3*i], out[3*i+1] = float32(sq/float64(op.Plane)), loss
		out[3*i+2] = 5 * (1 - op.Scaler.S(w, loss))
	}
	return nil
}

// Record records the reduction for n images.
func (op MiloFinal) Record(gpu GPU, r *vk.Recorder, out, parts, weights *vk.Buffer, table int, n int) error {
	if floats(parts) < 2*n*op.Parts || floats(out) < 3*n {
		return fmt.Errorf("milo final: buffers too small for %d images", n)
	}
	k, err := gpu.kernel("milo_final_f32", uint32(op.Scaler.Hidden))
	if err != nil {
		return err
	}
	push := []uint32{uint32(op.Parts), f32bits(1 / float32(op.Plane)), uint32(table)}
	return r.Dispatch(vk.Dispatch{
		Kernel: k,
		Groups: [3]uint32{uint32(n), 1, 1},
		Push:   push,
		Out:    []*vk.Buffer{out},
		In:     []*vk.Buffer{weights, parts},
		Label:  "milo final",
	})
}
