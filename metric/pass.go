package metric

import (
	"github.com/vkpercept/vkpercept/kernels"
)

// backend is what a MILO pass needs from a device; T is its buffer handle.
// The CPU backend computes at once, the Vulkan backend records dispatches.
type backend[T any] interface {
	alloc(floats int) (T, error)
	// input places the pass's next finest-level input (ref, then dist). It
	// returns the whole image (whole): copied to the device when resident,
	// or where the device reads it in place (the caller's planar device
	// frame, or host memory for the CPU); or else its raw frames, which
	// unpack then converts a band of rows at a time.
	input(data []float32, resident bool) (t T, whole bool, err error)
	// unpack converts rows [op.Y0, op.Y1) of input k's (0 ref, 1 dist)
	// frames into dst.
	unpack(dst T, k int, op kernels.UnpackFrame) error
	zero(t T, floats int) error
	pool(dst, src T, g kernels.PoolGeom) error
	upsample(dst, src T, g kernels.UpGeom) error
	conv(op kernels.Conv3x3, layer int, out T, srcs [3]T, res T, g kernels.ConvGeom) error
	// pair runs mask layers layer and layer+1 fused.
	pair(op kernels.Conv3x3Pair, layer int, out T, srcs [3]T, res T, g kernels.ConvGeom) error
	tail(op kernels.MiloTail, d, q, parts, ref, dist, mask T, g kernels.TailGeom) error
	final(op kernels.MiloFinal, out, parts T, n int) error
	// hist adds rows of the quality map q to the histogram h (32-bit words).
	hist(op kernels.MapHist, h, q T, g kernels.HistGeom) error
	read(src T, off int, dst []float32) error
}

// buffers are a plan's allocations, made once per session.
type buffers[T any] struct {
	pyr     [2][Levels - 1]T // ref, dist at the coarser levels
	masks   [Levels - 1]T    // each coarser level's mask
	u, a, b T                // band buffers: upsampled mask, 32 and 64 channels
	m, d, q T                // finest band: mask, and the maps when wanted (or counted)
	hist    T                // the quality map's histogram per image, when counted
	in      [2]T             // finest band: ref and dist rows (inputs not resident)
	parts   T                // tail partial sums
	scalars T                // score, loss, MOS per image
}

func allocBuffers[T any](be backend[T], p *plan) (*buffers[T], error) {
	var bs buffers[T]
	var err error
	get := func(dst *T, floats int) {
		if err == nil {
			*dst, err = be.alloc(floats)
		}
	}
	for l := 0; l < Levels-1; l++ {
		plane := p.n * p.hs[l] * p.ws[l]
		get(&bs.pyr[0][l], p.c*plane)
		get(&bs.pyr[1][l], p.c*plane)
		get(&bs.masks[l], plane)
	}
	act := func(ch int) int {
		if p.half {
			return (ch*p.bandCap + 1) / 2
		}
		return ch * p.bandCap
	}
	get(&bs.u, p.bandCap)
	get(&bs.a, act(32))
	get(&bs.b, act(64))
	get(&bs.m, p.bandCap)
	if !p.resident {
		get(&bs.in[0], p.c*p.bandCap)
		get(&bs.in[1], p.c*p.bandCap)
	}
	if p.maps || p.hist {
		get(&bs.d, p.bandCap)
		get(&bs.q, p.bandCap)
	}
	if p.hist {
		get(&bs.hist, p.n*histFor(0).HistLen())
	}
	get(&bs.parts, 2*p.n*p.parts)
	get(&bs.scalars, 3*p.n)
	return &bs, err
}

// outputs are where a pass's results land (after the submission on Vulkan).
type outputs struct {
	scalars    []float32 // score, loss, MOS per image
	qmap, mask []float32 // N x H x W, nil when not wanted
	hist       []float32 // N x MapHist.HistLen words (uint32 bits), when counted
}

// runPass evaluates MILO for the plan's n pairs: pyramid, then every level's
// mask network band by band from coarse to fine, then the tail on the
// finest level's bands, the final reduction, and the read-backs.
func runPass[T any](be backend[T], p *plan, bs *buffers[T], w *Weights, ref, dist []float32, out *outputs) error {
	n, c, top := p.n, p.c, Levels-1
	var in [2]T
	var whole [2]bool
	for k, data := range [2][]float32{ref, dist} {
		var err error
		if in[k], whole[k], err = be.input(data, p.resident); err != nil {
			return err
		}
	}
	// Input k's rows [ys, ye) at the finest level: the whole image, or
	// those rows unpacked into a band buffer.
	finest := func(k, ys, ye int) (T, kernels.View, error) {
		if whole[k] {
			return in[k], kernels.Dense(c, p.h, p.w), nil
		}
		op := kernels.UnpackFrame{N: n, C: c, H: p.h, W: p.w, Y0: ys, Y1: ye}
		return bs.in[k], kernels.Band(c, ys, ye, p.w), be.unpack(bs.in[k], k, op)
	}
	for l := top - 1; l >= 0; l-- {
		for k := 0; k < 2; k++ {
			g := kernels.AvgPool2{}.DenseGeom(n, c, p.hs[l+1], p.ws[l+1])
			if l < top-1 {
				if err := be.pool(bs.pyr[k][l], bs.pyr[k][l+1], g); err != nil {
					return err
				}
				continue
			}
			// From the finest level, in chunks of rows where its inputs
			// come a band at a time.
			rows := g.Y1
			if !whole[k] {
				rows = p.poolRows()
			}
			for y0 := 0; y0 < g.Y1; y0 += rows {
				gc := g
				gc.Y0, gc.Y1 = y0, min(g.Y1, y0+rows)
				src, view, err := finest(k, 2*gc.Y0, 2*gc.Y1)
				if err != nil {
					return err
				}
				gc.In = view
				if err := be.pool(bs.pyr[k][l], src, gc); err != nil {
					return err
				}
			}
		}
	}
	sc := kernels.Scaler{Hidden: scalerHidden}
	sc.Sub = sc.S(w.Scaler, 0)
	tail := kernels.MiloTail{Channels: c, Scaler: sc}
	hop := histFor(sc.Sub)
	if p.hist {
		if err := be.zero(bs.hist, n*hop.HistLen()); err != nil {
			return err
		}
	}
	partBase := 0
	for l := 0; l < Levels; l++ {
		H, W := p.hs[l], p.ws[l]
		for _, bd := range p.bands(l) {
			y0, y1 := bd[0], bd[1]
			ys, ye := max(0, y0-halo), min(H, y1+halo)
			band := func(ch int) kernels.View { return kernels.Band(ch, ys, ye, W) }
			var refT, distT T
			var refV, distV kernels.View
			if l < top {
				refT, distT = bs.pyr[0][l], bs.pyr[1][l]
				refV = kernels.Dense(c, H, W)
				distV = refV
			} else {
				var err error
				if refT, refV, err = finest(0, ys, ye); err != nil {
					return err
				}
				if distT, distV, err = finest(1, ys, ye); err != nil {
					return err
				}
			}
			if l == 0 {
				// The initial mask is zero, and so is its upsampling.
				if err := be.zero(bs.u, n*(ye-ys)*W); err != nil {
					return err
				}
			} else {
				g := kernels.UpGeom{Planes: n, InH: p.hs[l-1], InW: p.ws[l-1], OutH: H, OutW: W, Y0: ys, Y1: ye, Out: band(1)}
				if err := be.upsample(bs.u, bs.masks[l-1], g); err != nil {
					return err
				}
			}
			srcs := [3]T{refT, distT, bs.u}
			views := [3]kernels.View{refV, distV, band(1)}
			inC := [3]int{c, c, 1}
			outs := [5]T{bs.a, bs.b, bs.a, bs.b, bs.m}
			var ops [5]kernels.Conv3x3
			for i, oc := range maskOuts {
				ops[i] = kernels.Conv3x3{In: inC, Out: oc, Act: kernels.ActReLU, SrcHalf: p.half && i > 0, OutHalf: p.half && i < len(maskOuts)-1}
				// The first layer compares ref and dist, and its two halves
				// of weights nearly cancel (in ours |W0+W1| is a twentieth
				// of |W0-W1|): binary16 there moved our weights' loss by
				// 3e-3 (binary16 arithmetic) to 9e-3 (tiles) relative. It
				// runs in fp32, or on the tiles split in two binary16
				// halves (Split: fp32 accuracy, as the weights were packed)
				// where the tiles multiply exactly.
				ops[i].MMA = p.mma
				if i == 0 {
					ops[i].Split = true
					if !p.splitFirst {
						ops[i].MMA = kernels.MMAOff
					}
				} else {
					ops[i].MathHalf = p.mathHalf
				}
				inC = [3]int{oc, 0, 0}
			}
			last := len(maskOuts) - 1
			ops[last].Act, ops[last].Residual = kernels.ActSigmoid, true
			for i := 0; i <= last; i++ {
				// The fused chain runs layers 1+2 and 4+5 as pairs; the pair
				// writes what its second layer would.
				j := i
				if p.fused && (i == 0 || i == 3) {
					j = i + 1
				}
				oc := maskOuts[j]
				g := kernels.ConvGeom{N: n, H: H, W: W, Src: views, Out: band(oc)}
				// Each layer computes one row less of halo than the one before.
				g.Y0, g.Y1 = max(0, y0-(halo-1-j)), min(H, y1+(halo-1-j))
				if j == last {
					g.Res = band(1)
					if l < top {
						outs[j], g.Out = bs.masks[l], kernels.Dense(1, H, W)
					}
				}
				var res T // only the last layer adds the upsampled mask
				if j == last {
					res = bs.u
				}
				var err error
				if j > i {
					x, y := ops[i], ops[j]
					x.MathHalf, y.MathHalf = false, false // pairs compute in fp32
					x.MMA, y.MMA = kernels.MMAOff, kernels.MMAOff
					err = be.pair(kernels.Conv3x3Pair{X: x, Y: y}, i, outs[j], srcs, res, g)
				} else {
					err = be.conv(ops[i], i, outs[i], srcs, res, g)
				}
				if err != nil {
					return err
				}
				srcs, views, i = [3]T{outs[j]}, [3]kernels.View{g.Out}, j
			}
			if l < top {
				continue
			}
			g := kernels.TailGeom{N: n, W: W, Y0: y0, Y1: y1, Ref: refV, Dist: distV, Mask: band(1),
				Maps: p.maps || p.hist, D: band(1), Q: band(1), Parts: p.parts, PartBase: partBase}
			partBase += g.Groups()
			if err := be.tail(tail, bs.d, bs.q, bs.parts, refT, distT, bs.m, g); err != nil {
				return err
			}
			if p.hist {
				if err := be.hist(hop, bs.hist, bs.q, kernels.HistGeom{N: n, W: W, Y0: y0, Y1: y1, In: band(1)}); err != nil {
					return err
				}
			}
			if p.maps {
				for i := 0; i < n; i++ {
					plane := i*p.h*p.w + y0*p.w
					rows := (y1 - y0) * p.w
					if err := be.read(bs.q, band(1).At(i, 0, y0, W), out.qmap[plane:plane+rows]); err != nil {
						return err
					}
					if err := be.read(bs.m, band(1).At(i, 0, y0, W), out.mask[plane:plane+rows]); err != nil {
						return err
					}
				}
			}
		}
	}
	fin := kernels.MiloFinal{Scaler: sc, Parts: p.parts, Plane: p.h * p.w}
	if err := be.final(fin, bs.scalars, bs.parts, n); err != nil {
		return err
	}
	if p.hist {
		if err := be.read(bs.hist, 0, out.hist); err != nil {
			return err
		}
	}
	return be.read(bs.scalars, 0, out.scalars)
}
