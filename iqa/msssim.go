package iqa

import (
	"fmt"
	"math"

	"github.com/vkpercept/vkpercept/metric"
)

// MS-SSIM (Wang, Simoncelli and Bovik, 2003) on luminance in [0,1]: SSIM's
// 11x11 Gaussian window (sigma 1.5), K1 = 0.01, K2 = 0.03, five scales
// joined by 2x2 averaging, exponents 0.0448, 0.2856, 0.3001, 0.2363, 0.1333.
// Windows cover only positions where they fit, as the authors' code does.
var msWeights = []float64{0.0448, 0.2856, 0.3001, 0.2363, 0.1333}

const ssimWin, ssimSigma = 11, 1.5

// MSSSIMMinSize is the smallest side with all five scales.
const MSSSIMMinSize = ssimWin << 4

// SSIM is single-scale SSIM on luminance, the mean of the SSIM map.
func SSIM(ref, dist metric.Image) (float64, error) {
	a, b, err := pair(ref, dist)
	if err != nil {
		return 0, err
	}
	if a.w < ssimWin || a.h < ssimWin {
		return 0, fmt.Errorf("ssim: image is %dx%d, the window %d", a.w, a.h, ssimWin)
	}
	ssim, _ := ssimTerms(a, b)
	return ssim, nil
}

// MSSSIM is multi-scale SSIM; images under MSSSIMMinSize use the scales
// that fit, with their exponents renormalised to sum to one.
func MSSSIM(ref, dist metric.Image) (float64, error) {
	a, b, err := pair(ref, dist)
	if err != nil {
		return 0, err
	}
	scales := 0
	for s, w, h := 0, a.w, a.h; s < len(msWeights) && w >= ssimWin && h >= ssimWin; s, w, h = s+1, (w+1)/2, (h+1)/2 {
		scales++
	}
	if scales == 0 {
		return 0, fmt.Errorf("ms-ssim: image is %dx%d, the window %d", a.w, a.h, ssimWin)
	}
	var wsum float64
	for _, w := range msWeights[:scales] {
		wsum += w
	}
	score := 1.0
	for s := 0; s < scales; s++ {
		ssim, cs := ssimTerms(a, b)
		// The coarsest scale contributes full SSIM, the others their
		// contrast-structure term. A negative mean (anticorrelated
		// patches) would make the fractional power undefined; it counts
		// as no similarity.
		v := cs
		if s == scales-1 {
			v = ssim
		}
		score *= math.Pow(math.Max(v, 0), msWeights[s]/wsum)
		a, b = down2Pad(a, false), down2Pad(b, false)
	}
	return score, nil
}

// ssimTerms returns the mean SSIM and the mean contrast-structure term over
// the valid windows.
func ssimTerms(a, b plane) (ssim, cs float64) {
	const c1, c2 = 0.01 * 0.01, 0.03 * 0.03
	k := gaussian1(ssimWin, ssimSigma)
	ma, mb := filterValid(a, k), filterValid(b, k)
	saa, sbb, sab := filterValid(mul(a, a), k), filterValid(mul(b, b), k), filterValid(mul(a, b), k)
	for i := range ma.v {
		mua, mub := ma.v[i], mb.v[i]
		va, vb, cov := saa.v[i]-mua*mua, sbb.v[i]-mub*mub, sab.v[i]-mua*mub
		l := (2*mua*mub + c1) / (mua*mua + mub*mub + c1)
		c := (2*cov + c2) / (va + vb + c2)
		ssim += l * c
		cs += c
	}
	n := float64(len(ma.v))
	return ssim / n, cs / n
}

// gaussian1 is a normalised 1-D Gaussian window of n taps.
func gaussian1(n int, sigma float64) []float64 {
	k := make([]float64, n)
	var s float64
	for i := range k {
		d := float64(i - n/2)
		k[i] = math.Exp(-d * d / (2 * sigma * sigma))
		s += k[i]
	}
	for i := range k {
		k[i] /= s
	}
	return k
}
