package kernels

import (
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/vkpercept/vkpercept/vk"
)

// iemSizes are element counts on and off a vec4 (the shaders' wide and
// scalar forms), and past one workgroup of blocks.
var iemSizes = []int{5, 561, 1134, 1024, 4100}

// The device path gives, batch by batch, the noisy inputs and increments of
// the Go generator (generated) or of the given ones (replayed), with the
// images read from texel views or storage buffers, and writes nothing past
// its images.
func TestIEMPathMatchesGo(t *testing.T) {
	const K, B, P, seed = 7, 3, 2, 99
	g, err := NewIEMGrid(K, 0.5, 50)
	if err != nil {
		t.Fatal(err)
	}
	dev := g.Device()
	for _, numel := range iemSizes {
		for _, form := range [][2]bool{{false, false}, {true, false}, {false, true}} {
			replay, noTexels := form[0], form[1]
			t.Run(fmt.Sprintf("%d/replay=%v/texels=%v", numel, replay, !noTexels), func(t *testing.T) {
				rng := rand.New(rand.NewSource(int64(numel)))
				x1, x2 := randVec(rng, P*numel, -1, 1), randVec(rng, P*numel, -1, 1)
				w0, rdw := randVec(rng, numel, -0.5, 0.5), randVec(rng, K*numel, -0.1, 0.1)
				// The reference in float32 steps, with the Go generator's normals.
				w := make([]float32, numel)
				dw := make([]float32, K*numel)
				for e := range w {
					w[e] = float32(math.Sqrt(float64(dev[K])) * NoiseAt(seed, e, 0, 0))
					if replay {
						w[e] = w0[e]
					}
					for k := 0; k < K; k++ {
						dw[k*numel+e] = float32(math.Sqrt(float64(dev[2*K+1+k])) * NoiseAt(seed, e, uint32(k), 1))
						if replay {
							dw[k*numel+e] = rdw[k*numel+e]
						}
					}
				}
				r := begin(t, false)
				bx1, bx2, grid := upload(t, r, x1), upload(t, r, x2), upload(t, r, dev)
				bw0, brdw, ws := upload(t, r, w0), upload(t, r, rdw), scratch(t, numel)
				gotY, gotDW := make([][]float32, K), make([][]float32, K)
				for k0 := 0; k0 < K; k0 += B {
					b := min(B, K-k0)
					y, d := upload(t, r, poison(2*P*b*numel+4)), upload(t, r, poison(b*numel+4))
					op := IEMPath{Numel: numel, K0: k0, B: b, K: K, Pairs: P, Seed: seed, Replay: replay, noTexels: noTexels}
					if err := op.Record(gpu, r, y, d, ws, bx1, bx2, grid, bw0, brdw); err != nil {
						t.Fatal(err)
					}
					gotY[k0], gotDW[k0] = poison(2*P*b*numel+4), poison(b*numel+4)
					if err := r.Download(y, gotY[k0]); err != nil {
						t.Fatal(err)
					}
					if err := r.Download(d, gotDW[k0]); err != nil {
						t.Fatal(err)
					}
				}
				if _, err := r.Submit(); err != nil {
					t.Fatal(err)
				}
				abs, rel := 2e-5, 1e-4 // float32 transcendentals against Go's
				if replay {
					abs, rel = 1e-7, 1e-6
				}
				for k0 := 0; k0 < K; k0 += B {
					b := min(B, K-k0)
					wantY, wantDW := make([]float32, 2*P*b*numel), make([]float32, b*numel)
					for j := 0; j < b; j++ {
						k := k0 + j
						for e := 0; e < numel; e++ {
							for q := 0; q < P; q++ {
								wantY[((2*q)*b+j)*numel+e] = x1[q*numel+e] + w[e]/dev[K+k]
								wantY[((2*q+1)*b+j)*numel+e] = x2[q*numel+e] + w[e]/dev[K+k]
							}
							wantDW[j*numel+e] = dw[k*numel+e]
							w[e] += dw[k*numel+e]
						}
					}
					closeTo(t, fmt.Sprintf("y, steps %d..", k0), gotY[k0][:len(wantY)], wantY, abs, rel)
					closeTo(t, fmt.Sprintf("dw, steps %d..", k0), gotDW[k0][:len(wantDW)], wantDW, abs, rel)
					for i, v := range append(gotY[k0][len(wantY):], gotDW[k0][len(wantDW):]...) {
						if !math.IsNaN(float64(v)) {
							t.Fatalf("steps %d..: wrote %g at %d past the end", k0, v, i)
						}
					}
				}
			})
		}
	}
}

// The per-step sums over each pair's errors, in the subgroup and the tree
// form, from texel views and storage buffers, against float64 sums; at a
// size whose groups each loop twice too.
func TestIEMStatsMatchesReference(t *testing.T) {
	const B, P = 3, 2
	for _, numel := range append(iemSizes, 256*1024+4*37, 256*1024+3) {
		for _, form := range [][2]bool{{false, false}, {true, false}, {false, true}, {true, true}} {
			tree, noTexels := form[0], form[1]
			t.Run(fmt.Sprintf("%d/tree=%v/texels=%v", numel, tree, !noTexels), func(t *testing.T) {
				rng := rand.New(rand.NewSource(int64(numel)))
				x1, x2 := randVec(rng, P*numel, -1, 1), randVec(rng, P*numel, -1, 1)
				den, dw := randVec(rng, 2*P*B*numel, -1, 1), randVec(rng, B*numel, -0.3, 0.3)
				op := IEMStats{Numel: numel, B: B, Pairs: P, tree: tree, noTexels: noTexels}
				sum := RowSum{Rows: 3 * P * B, Len: op.Groups()}
				got := runOne(t, 3*P*B, func(r *vk.Recorder) (*vk.Buffer, error) {
					part, out := scratch(t, 3*P*B*op.Groups()), scratch(t, 3*P*B)
					if err := op.Record(gpu, r, part, upload(t, r, x1), upload(t, r, x2), upload(t, r, den), upload(t, r, dw)); err != nil {
						return nil, err
					}
					return out, sum.Record(gpu, r, out, part, scratch(t, sum.PartialLen()))
				})
				for q := 0; q < P; q++ {
					for b := 0; b < B; b++ {
						var want, mag [3]float64
						for e := 0; e < numel; e++ {
							e1 := float64(x1[q*numel+e]) - float64(den[((2*q)*B+b)*numel+e])
							e2 := float64(x2[q*numel+e]) - float64(den[((2*q+1)*B+b)*numel+e])
							d := e1 - e2
							terms := [3]float64{d * d, d * (e1 + e2), d * float64(dw[b*numel+e])}
							for i, v := range terms {
								want[i] += v
								mag[i] += math.Abs(v)
							}
						}
						for i := range want {
							g := float64(got[3*(q*B+b)+i])
							if math.IsNaN(g) || math.Abs(g-want[i]) > 1e-5*mag[i] {
								t.Fatalf("pair %d step %d quantity %d: %g, want %g", q, b, i, g, want[i])
							}
						}
					}
				}
			})
		}
	}
}

// A level of the Wiener pyramid agrees with the float64 reference, four
// outputs an invocation (rows on vec4s; from texel views or storage
// buffers) and one, which all give the same bits.
func TestWienerBandMatchesReference(t *testing.T) {
	const C, images = 3, 4
	sig := []float32{7, 0.05, 0.7, 4, 1.5} // image j: sig[1 + j%4]
	for _, g := range [][4]int{{3, 4, 7, 8}, {8, 12, 16, 24}, {5, 20, 11, 40}, {3, 5, 6, 10}, {4, 6, 9, 12}} {
		inH, inW, outH, outW := g[0], g[1], g[2], g[3]
		planes := C * images
		rng := rand.New(rand.NewSource(int64(outW)))
		gb, gc, rc := randVec(rng, planes*outH*outW, -1, 1), randVec(rng, planes*inH*inW, -1, 1), randVec(rng, planes*inH*inW, -1, 1)
		op := WienerBand{C: C, P: 0.3, N: 0.8, SigOff: 1, Period: 4}
		want64 := make([]float64, len(gb))
		if err := op.Ref(want64, f64(gb), f64(gc), f64(rc), f64(sig), planes, inH, inW, outH, outW); err != nil {
			t.Fatal(err)
		}
		want := make([]float32, len(want64))
		for i, v := range want64 {
			want[i] = float32(v)
		}
		var first []float32
		for _, form := range [][2]bool{{false, false}, {false, true}, {true, true}} {
			narrow := form[0]
			op.narrow, op.noTexels = form[0], form[1]
			got := runOne(t, len(gb), func(r *vk.Recorder) (*vk.Buffer, error) {
				out := scratch(t, len(gb))
				return out, op.Record(gpu, r, out, upload(t, r, gb), upload(t, r, gc), upload(t, r, rc), upload(t, r, sig), planes, inH, inW, outH, outW)
			})
			closeTo(t, fmt.Sprintf("%v narrow=%v, texels=%v", g, narrow, !form[1]), got, want, 2e-6, 2e-6)
			if first == nil {
				first = got
			}
			for i := range got {
				if got[i] != first[i] {
					t.Fatalf("%v: element %d is %g with narrow=%v, texels=%v; %g from texel views", g, i, got[i], narrow, !form[1], first[i])
				}
			}
		}
	}
}

func f64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}
