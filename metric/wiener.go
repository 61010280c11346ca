package metric

import (
	"fmt"
	"math"

	"github.com/vkpercept/vkpercept/kernels"
	"github.com/vkpercept/vkpercept/vk"
)

// The stationary prior of the "wiener" denoiser, fitted by tools/fitspectrum
// (make fit-spectrum) to the CC0 and public-domain photographs of Debian's
// python3-skimage 0.19.3 (astronaut, chelsea, coffee, rocket, camera), mapped
// to [-1,1]: power per DFT coefficient S(f) = A (f^2 + f0^2)^(-alpha/2), f in
// cycles per pixel, with f0 chosen so that the per-pixel variance matches
// the photographs'.
const (
	wienerA        = 0.000294038
	wienerAlpha    = 2.7086
	wienerVariance = 0.2134
)

var wienerMean = [3]float64{-0.0131, -0.2261, -0.3004}

// WienerDenoiser approximates the Wiener filter of that prior on a Laplacian
// pyramid (2x2 average pooling, bilinear upsampling): each octave band b of
// y is scaled by P_b / (P_b + N_b sigma^2), where P_b is the prior's variance
// in the band and N_b the band's share of white noise, and the coarsest level
// is shrunk towards the mean. IEM with it is then approximately a
// frequency-weighted Mahalanobis distance.
type WienerDenoiser struct {
	A, Alpha, F0 float64
	Mean         [4]float64
	q            [maxWienerLevels + 2]float64 // q[b] = squareIntegral(0.5 / 2^b)
}

const maxWienerLevels = 8

// NewWienerDenoiser is the fitted prior.
func NewWienerDenoiser() WienerDenoiser {
	d := WienerDenoiser{A: wienerA, Alpha: wienerAlpha}
	copy(d.Mean[:], wienerMean[:])
	// Choose f0 so that Q(0.5), the variance per pixel, matches the photographs'.
	lo, hi := 1e-6, 0.5
	for i := 0; i < 60; i++ {
		mid := math.Sqrt(lo * hi)
		d.F0 = mid
		if d.squareIntegral(0.5) > wienerVariance {
			lo = mid
		} else {
			hi = mid
		}
	}
	for b := range d.q {
		d.q[b] = d.squareIntegral(0.5 / float64(int(1)<<b))
	}
	return d
}

// Name is "wiener".
func (WienerDenoiser) Name() string { return "wiener" }

func (d WienerDenoiser) spectrum(f2 float64) float64 {
	return d.A * math.Pow(f2+d.F0*d.F0, -d.Alpha/2)
}

// squareIntegral is the prior variance at frequencies with max(|fx|,|fy|) <= a:
// nested annuli, each on a 64x64 midpoint grid, down to a core where S is flat.
func (d WienerDenoiser) squareIntegral(a float64) float64 {
	const n = 64
	total := 0.0
	for depth := 0; depth < 60 && a > d.F0*1e-3; depth++ {
		h := a / n
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				fx, fy := (float64(i)+0.5)*h, (float64(j)+0.5)*h
				if fx < a/2 && fy < a/2 {
					continue
				}
				total += 4 * d.spectrum(fx*fx+fy*fy) * h * h
			}
		}
		a /= 2
	}
	return total + 4*a*a*d.spectrum(0)
}

// levels is the number of poolings: the coarsest level keeps at least 4 pixels a side.
func wienerLevels(h, w int) int {
	l := 0
	for l < maxWienerLevels && min(h, w)>>(l+1) >= 4 {
		l++
	}
	return l
}

// bands returns the level ops for an image of h x w, finest first; the last is the low band.
func (d WienerDenoiser) bands(h, w, c, sigOff, period int) []kernels.WienerBand {
	L := wienerLevels(h, w)
	ops := make([]kernels.WienerBand, L+1)
	for b := 0; b <= L; b++ {
		outer := 0.5 / float64(int(1)<<b)
		op := kernels.WienerBand{C: c, Mean: d.Mean, SigOff: sigOff, Period: period}
		if b == L {
			op.Low, op.P, op.N = true, d.q[b], 4*outer*outer
		} else {
			op.P, op.N = d.q[b]-d.q[b+1], 3*outer*outer
		}
		ops[b] = op
	}
	return ops
}

// DenoiseCPU runs the pyramid in float64.
func (d WienerDenoiser) DenoiseCPU(out, in []float64, sigmas []float64, s kernels.Shape) error {
	if s.C > 4 {
		return fmt.Errorf("wiener denoiser: %d channels (at most 4)", s.C)
	}
	if len(sigmas) != s.N || len(in) < s.Len() || len(out) < s.Len() {
		return fmt.Errorf("wiener denoiser: %d sigmas and %d values for %v", len(sigmas), len(in), s)
	}
	ops := d.bands(s.H, s.W, s.C, 0, s.N)
	L := len(ops) - 1
	planes := s.N * s.C
	hs, ws := make([]int, L+1), make([]int, L+1)
	g := make([][]float64, L+1)
	hs[0], ws[0], g[0] = s.H, s.W, in[:s.Len()]
	for b := 1; b <= L; b++ {
		hs[b], ws[b] = hs[b-1]/2, ws[b-1]/2
		g[b] = make([]float64, planes*hs[b]*ws[b])
		kernels.Pool64(g[b], g[b-1], planes, hs[b-1], ws[b-1])
	}
	r := make([]float64, planes*hs[L]*ws[L])
	if L == 0 {
		r = out[:s.Len()]
	}
	if err := ops[L].Ref(r, g[L], nil, nil, sigmas, planes, 0, 0, hs[L], ws[L]); err != nil {
		return err
	}
	for b := L - 1; b >= 0; b-- {
		next := out[:s.Len()]
		if b > 0 {
			next = make([]float64, planes*hs[b]*ws[b])
		}
		if err := ops[b].Ref(next, g[b], g[b+1], r, sigmas, planes, hs[b+1], ws[b+1], hs[b], ws[b]); err != nil {
			return err
		}
		r = next
	}
	return nil
}

// Workspace is the device bytes Record holds for s: the Gaussian levels
// below the finest, and the denoised levels between the coarsest and the
// output (the buffers of one level are released only after the last).
func (d WienerDenoiser) Workspace(s kernels.Shape) int64 {
	L := wienerLevels(s.H, s.W)
	var floats int64
	for b, h, w := 1, s.H/2, s.W/2; b <= L; b, h, w = b+1, h/2, w/2 {
		floats += 2 * int64(s.N*s.C*h*w) // g[b], and the level's result
	}
	return 4 * floats
}

// Record records the pyramid: poolings down, then one dispatch per level up.
func (d WienerDenoiser) Record(gpu kernels.GPU, r *vk.Recorder, out, in, sig *vk.Buffer, sigOff, period int, s kernels.Shape) error {
	if s.C > 4 {
		return fmt.Errorf("wiener denoiser: %d channels (at most 4)", s.C)
	}
	ops := d.bands(s.H, s.W, s.C, sigOff, period)
	L := len(ops) - 1
	planes := s.N * s.C
	ctx := gpu.Ctx
	var held []*vk.Buffer
	defer func() { ctx.Release(held...) }()
	acquire := func(floats int) (*vk.Buffer, error) {
		b, err := ctx.Acquire(uint64(4 * floats))
		if err == nil {
			held = append(held, b)
		}
		return b, err
	}
	hs, ws := make([]int, L+1), make([]int, L+1)
	g := make([]*vk.Buffer, L+1)
	hs[0], ws[0], g[0] = s.H, s.W, in
	for b := 1; b <= L; b++ {
		hs[b], ws[b] = hs[b-1]/2, ws[b-1]/2
		var err error
		if g[b], err = acquire(planes * hs[b] * ws[b]); err != nil {
			return err
		}
		if err := (kernels.AvgPool2{}).Record(gpu, r, g[b], g[b-1], kernels.AvgPool2{}.DenseGeom(planes, 1, hs[b-1], ws[b-1])); err != nil {
			return err
		}
	}
	res := out
	if L > 0 {
		var err error
		if res, err = acquire(planes * hs[L] * ws[L]); err != nil {
			return err
		}
	}
	if err := ops[L].Record(gpu, r, res, g[L], nil, nil, sig, planes, 0, 0, hs[L], ws[L]); err != nil {
		return err
	}
	for b := L - 1; b >= 0; b-- {
		next := out
		if b > 0 {
			var err error
			if next, err = acquire(planes * hs[b] * ws[b]); err != nil {
				return err
			}
		}
		if err := ops[b].Record(gpu, r, next, g[b], g[b+1], res, sig, planes, hs[b+1], ws[b+1], hs[b], ws[b]); err != nil {
			return err
		}
		res = next
	}
	return nil
}
