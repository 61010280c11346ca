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
	r := begin(t, false)
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
				if err := (AvgPool2{}).Ref(want, in, AvgPool2{}.DenseGeom(planes, 1, h, w)); err != nil {
					t.Fatal(err)
				}
				// Spot-check the reference itself against the definition.
				if got := (in[0] + in[1] + in[w] + in[w+1]) / 4; abs32(got-want[0]) > 1e-6 {
					t.Fatalf("reference pool[0] = %g, want %g", want[0], got)
				}
				got := runOne(t, len(want), func(r *vk.Recorder) (*vk.Buffer, error) {
					src, dst := upload(t, r, in), scratch(t, len(want))
					return dst, AvgPool2{}.Record(gpu, r, dst, src, AvgPool2{}.DenseGeom(planes, 1, h, w))
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
				if err := (Upsample2{}).Ref(want, in, Upsample2{}.DenseGeom(planes, h, w, oh, ow)); err != nil {
					t.Fatal(err)
				}
				// align_corners=True keeps the corners exactly.
				if want[0] != in[0] || want[(2*h-1)*ow+2*w-1] != in[h*w-1] {
					t.Fatalf("reference does not keep the corners")
				}
				got := runOne(t, len(want), func(r *vk.Recorder) (*vk.Buffer, error) {
					src, dst := upload(t, r, in), scratch(t, len(want))
					return dst, Upsample2{}.Record(gpu, r, dst, src, Upsample2{}.DenseGeom(planes, h, w, oh, ow))
				})
				closeTo(t, "upsample2", got, want, 1e-6, 1e-6)
			})
		}
	}
}

func TestUpsample2RejectsBadTarget(t *testing.T) {
	if err := (Upsample2{}).Ref(make([]float32, 100), make([]float32, 4), Upsample2{}.DenseGeom(1, 2, 2, 6, 4)); err == nil {
		t.Fatal("accepted 2x2 -> 4x6")
	}
}

// The texel form (rows on multiples of 4, whole vec4s of outputs) over bands
// of rows through views, in a partial workgroup, against the reference; the
// odd sizes above take the scalar form, and 64x48 this one too.
func TestAvgPool2TexelBand(t *testing.T) {
	const n, c = 2, 3
	_, inBand, want, g := pooledBand(t, 11, n, c, 37, 72, 4, 17)
	if !(AvgPool2{}).quads(g) || (AvgPool2{}).quads(PoolGeom{N: n, C: c, W: 20, Y1: 2, In: Dense(c, 4, 20), Out: Dense(c, 2, 10)}) {
		t.Fatal("quads: wrong choice of form")
	}
	dev := runOne(t, len(want), func(r *vk.Recorder) (*vk.Buffer, error) {
		dst := scratch(t, len(want))
		return dst, AvgPool2{}.Record(gpu, r, dst, upload(t, r, inBand), g)
	})
	closeTo(t, "texel pool band", dev, want, 0, 0)
}

// pooledBand pools random n x c x h x w planes whole (the reference) and
// returns that result, the input band of rows 2*y0 .. 2*y1, the geometry
// that pools it into output rows [y0, y1) through band views, and those rows
// of the whole result.
func pooledBand(t *testing.T, seed int64, n, c, h, w, y0, y1 int) (whole, inBand, want []float32, g PoolGeom) {
	t.Helper()
	in := randVec(rand.New(rand.NewSource(seed)), n*c*h*w, 0, 1)
	oh, ow := AvgPool2{}.OutSize(h, w)
	whole = make([]float32, n*c*oh*ow)
	if err := (AvgPool2{}).Ref(whole, in, AvgPool2{}.DenseGeom(n, c, h, w)); err != nil {
		t.Fatal(err)
	}
	g = PoolGeom{N: n, C: c, W: w, Y0: y0, Y1: y1, In: Band(c, 2*y0, 2*y1, w), Out: Band(c, y0, y1, ow)}
	return whole, bandOf(in, n, c, h, w, 2*y0, 2*y1), bandOf(whole, n, c, oh, ow, y0, y1), g
}

// Pooling and upsampling a band of rows through views equals the same rows of
// the whole-tensor result.
func TestPoolAndUpsampleBands(t *testing.T) {
	const n, c, h, w = 2, 3, 21, 10
	oh, ow := AvgPool2{}.OutSize(h, w)
	// Output rows 3..7 from an input band of rows 6..14 into an output band.
	whole, inBand, want, g := pooledBand(t, 9, n, c, h, w, 3, 7)
	got := make([]float32, len(want))
	if err := (AvgPool2{}).Ref(got, inBand, g); err != nil {
		t.Fatal(err)
	}
	closeTo(t, "pool band reference", got, want, 0, 0)
	dev := runOne(t, len(want), func(r *vk.Recorder) (*vk.Buffer, error) {
		dst := scratch(t, len(want))
		return dst, AvgPool2{}.Record(gpu, r, dst, upload(t, r, inBand), g)
	})
	closeTo(t, "pool band", dev, want, 1e-6, 1e-6)

	uh, uw := 2*oh+1, 2*ow
	upWhole := make([]float32, n*uh*uw)
	if err := (Upsample2{}).Ref(upWhole, whole[:n*oh*ow], Upsample2{}.DenseGeom(n, oh, ow, uh, uw)); err != nil {
		t.Fatal(err)
	}
	ug := Upsample2{}.DenseGeom(n, oh, ow, uh, uw)
	ug.Y0, ug.Y1, ug.Out = 15, uh, Band(1, 15, uh, uw)
	upWant := bandOf(upWhole, n, 1, uh, uw, 15, uh)
	upGot := make([]float32, len(upWant))
	if err := (Upsample2{}).Ref(upGot, whole[:n*oh*ow], ug); err != nil {
		t.Fatal(err)
	}
	closeTo(t, "upsample band reference", upGot, upWant, 0, 0)
	upDev := runOne(t, len(upWant), func(r *vk.Recorder) (*vk.Buffer, error) {
		dst := scratch(t, len(upWant))
		return dst, Upsample2{}.Record(gpu, r, dst, upload(t, r, whole[:n*oh*ow]), ug)
	})
	closeTo(t, "upsample band", upDev, upWant, 1e-6, 1e-6)
}

// The tail and final reduction against a direct evaluation of their formulas,
// with the rows split into two bands as a tiled pass does.
func TestMiloTailAndFinal(t *testing.T) {
	for _, hidden := range []int{3, 32} {
		for _, c := range []int{1, 3, 4} {
			t.Run(fmt.Sprintf("hidden%d_c%d", hidden, c), func(t *testing.T) {
				const n, h, w = 2, 37, 29
				rng := rand.New(rand.NewSource(5))
				sw := ScalerWeights{W0: randVec(rng, hidden, -1, 1), B0: randVec(rng, hidden, -1, 1), W1: randVec(rng, hidden*hidden, -1, 1),
					B1: randVec(rng, hidden, -1, 1), W2: randVec(rng, hidden, -1, 1), B2: randVec(rng, 1, -1, 1)}
				sc := Scaler{Hidden: hidden}
				sc.Sub = sc.S(sw, 0)
				op := MiloTail{Channels: c, Scaler: sc}
				a, b := randVec(rng, n*c*h*w, 0, 1), randVec(rng, n*c*h*w, 0, 1)
				m := randVec(rng, n*h*w, 0, 3)
				// Direct formulas.
				wantD, wantQ := make([]float32, n*h*w), make([]float32, n*h*w)
				wantS := make([]float32, 3*n)
				for i := 0; i < n; i++ {
					var sd, sq float64
					for p := 0; p < h*w; p++ {
						var ad float32
						for k := 0; k < c; k++ {
							ad += abs32(a[(i*c+k)*h*w+p] - b[(i*c+k)*h*w+p])
						}
						d := m[i*h*w+p] * (ad / float32(c))
						wantD[i*h*w+p], wantQ[i*h*w+p] = d, sc.S(sw, d)-sc.Sub
						sd += float64(d)
						sq += float64(wantQ[i*h*w+p])
					}
					loss := float32(sd / float64(h*w))
					wantS[3*i], wantS[3*i+1], wantS[3*i+2] = float32(sq/float64(h*w)), loss, 5*(1-sc.S(sw, loss))
				}
				bands := [][2]int{{0, 11}, {11, h}}
				geoms := make([]TailGeom, len(bands))
				parts := 0
				for k, bd := range bands {
					geoms[k] = TailGeom{N: n, W: w, Y0: bd[0], Y1: bd[1], Ref: Dense(c, h, w), Dist: Dense(c, h, w), Mask: Dense(1, h, w),
						Maps: true, D: Dense(1, h, w), Q: Dense(1, h, w), PartBase: parts}
					parts += geoms[k].Groups()
				}
				fin := MiloFinal{Scaler: sc, Parts: parts, Plane: h * w}
				d, q, pr, s := make([]float32, n*h*w), make([]float32, n*h*w), make([]float32, 2*n*parts), make([]float32, 3*n)
				for k := range geoms {
					geoms[k].Parts = parts
					if err := op.Ref(d, q, pr, a, b, m, sw, geoms[k]); err != nil {
						t.Fatal(err)
					}
				}
				if err := fin.Ref(s, pr, sw, n); err != nil {
					t.Fatal(err)
				}
				closeTo(t, "reference d", d, wantD, 0, 0)
				closeTo(t, "reference q", q, wantQ, 0, 0)
				closeTo(t, "reference scalars", s, wantS, 1e-7, 1e-6)
				flat, err := sc.Table(sw)
				if err != nil {
					t.Fatal(err)
				}
				// The table at offset 3 checks the indexing.
				flat, off := append(make([]float32, 3), flat...), 3
				// The subgroup sums where the device has them, and the barrier tree.
				for _, tree := range []bool{false, true} {
					op.tree = tree
					r := begin(t, false)
					wb, ab, bb, mb := upload(t, r, flat), upload(t, r, a), upload(t, r, b), upload(t, r, m)
					db, qb, pb, sb := scratch(t, n*h*w), scratch(t, n*h*w), scratch(t, 2*n*parts), scratch(t, 3*n)
					for _, g := range geoms {
						if err := op.Record(gpu, r, db, qb, pb, wb, ab, bb, mb, off, g); err != nil {
							r.Abort()
							t.Fatal(err)
						}
					}
					if err := fin.Record(gpu, r, sb, pb, wb, off, n); err != nil {
						r.Abort()
						t.Fatal(err)
					}
					gd, gq, gs := poison(n*h*w), poison(n*h*w), poison(3*n)
					for _, rd := range []struct {
						b *vk.Buffer
						v []float32
					}{{db, gd}, {qb, gq}, {sb, gs}} {
						if err := r.Download(rd.b, rd.v); err != nil {
							t.Fatal(err)
						}
					}
					if _, err := r.Submit(); err != nil {
						t.Fatal(err)
					}
					closeTo(t, fmt.Sprint("device d, tree ", tree), gd, wantD, 1e-6, 1e-6)
					closeTo(t, fmt.Sprint("device q, tree ", tree), gq, wantQ, 2e-6, 1e-5)
					closeTo(t, fmt.Sprint("device scalars, tree ", tree), gs, wantS, 1e-6, 1e-5)
				}
			})
		}
	}
}

func TestRowSumMatchesReference(t *testing.T) {
	for _, tc := range []RowSum{{1, 1}, {1, 255}, {3, 1000}, {2, 65536 + 17}, {1, 1 << 21}} {
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
			if d := float64(want[0]) - naive; d > 1e-6*naive || d < -1e-6*naive {
				t.Fatalf("reference sum %g, float64 sum %g", want[0], naive)
			}
			got := runOne(t, tc.Rows, func(r *vk.Recorder) (*vk.Buffer, error) {
				src, part, dst := upload(t, r, in), scratch(t, tc.PartialLen()), scratch(t, tc.Rows)
				return dst, tc.Record(gpu, r, dst, src, part)
			})
			closeTo(t, "rowsum", got, want, 1e-7, 2e-6)
		})
	}
}

// The piecewise-linear table is the same function as the MLP: evaluated the
// shaders' way at points on both sides of every bend and far out.
func TestScalerTableIsExact(t *testing.T) {
	rng := rand.New(rand.NewSource(14))
	const h = 32
	sw := ScalerWeights{W0: randVec(rng, h, -1, 1), B0: randVec(rng, h, -1, 1), W1: randVec(rng, h*h, -1, 1),
		B1: randVec(rng, h, -1, 1), W2: randVec(rng, h, -1, 1), B2: randVec(rng, 1, -1, 1)}
	sw.W0[5] = 0 // a unit that never bends
	sc := Scaler{Hidden: h}
	tab, err := sc.Table(sw)
	if err != nil {
		t.Fatal(err)
	}
	if len(tab) != sc.TableLen() {
		t.Fatalf("table of %d floats, TableLen %d", len(tab), sc.TableLen())
	}
	eval := func(x float32) float32 {
		i := 0
		for j := 0; j < h; j++ {
			if x >= tab[j] {
				i++
			}
		}
		c, w2 := h+2*h*i, h+2*h*(h+1)
		y := tab[w2+h]
		for k := 0; k < h; k++ {
			y += tab[w2+k] * ActLeaky02.Apply(tab[c+2*k]*x+tab[c+2*k+1])
		}
		return ActSigmoid.Apply(y)
	}
	xs := []float32{0, -100, 100, 1e-3, 2.5}
	for j := 0; j < h; j++ {
		if sw.W0[j] != 0 {
			b := -sw.B0[j] / sw.W0[j]
			xs = append(xs, b*(1-1e-6), b, b*(1+1e-6), b+0.01, b-0.01)
		}
	}
	for _, x := range xs {
		if got, want := eval(x), sc.S(sw, x); abs32(got-want) > 2e-6 {
			t.Fatalf("S(%g): table %g, MLP %g", x, got, want)
		}
	}
}
