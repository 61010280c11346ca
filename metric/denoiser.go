package metric

import (
	"fmt"

	"github.com/vkpercept/vkpercept/kernels"
	"github.com/vkpercept/vkpercept/vk"
)

// DefaultDenoiser is the denoiser vkpercept iem uses unless told otherwise.
const DefaultDenoiser = "wiener"

// Denoisers returns the built-in closed-form denoisers by name: "wiener", the
// stationary 1/f^alpha prior fitted to photographs, and the per-pixel priors
// of the golden vectors (../shared/iem/golden), for data in [-1,1].
func Denoisers() map[string]Denoiser {
	return map[string]Denoiser{
		"gauss":  GaussDenoiser(0.1, 0.25),
		"gmm":    GMMDenoiser([]float64{0.3, 0.7}, []float64{-0.6, 0.4}, []float64{0.02, 0.08}),
		"wiener": NewWienerDenoiser(),
	}
}

// Denoiser is what IEM needs from a denoiser: a batch of noisy images with
// their noise levels in, posterior-mean estimates out, on the CPU (float64)
// and recorded on the device (float32). Learned networks implement the same.
type Denoiser interface {
	Name() string
	// DenoiseCPU denoises s.N images of s.C x s.H x s.W; image j has noise std sigmas[j].
	DenoiseCPU(out, in []float64, sigmas []float64, s kernels.Shape) error
	// Record records the device form; image j uses std sig[sigOff + j%period].
	Record(g kernels.GPU, r *vk.Recorder, out, in, sig *vk.Buffer, sigOff, period int, s kernels.Shape) error
}

// PixelDenoiser is the exact posterior mean under an i.i.d. per-pixel
// Gaussian or Gaussian-mixture prior: the closed-form oracle of the tests.
type PixelDenoiser struct {
	Label string
	Prior kernels.PixelPrior
}

// GaussDenoiser is the per-pixel Gaussian prior N(mu, v).
func GaussDenoiser(mu, v float64) PixelDenoiser {
	return PixelDenoiser{Label: "gauss", Prior: kernels.PixelPrior{W: []float64{1}, Mu: []float64{mu}, V: []float64{v}}}
}

// GMMDenoiser is the per-pixel Gaussian mixture sum_m w_m N(mu_m, v_m).
func GMMDenoiser(w, mu, v []float64) PixelDenoiser {
	return PixelDenoiser{Label: "gmm", Prior: kernels.PixelPrior{W: w, Mu: mu, V: v}}
}

// Name is the denoiser's name.
func (d PixelDenoiser) Name() string { return d.Label }

// DenoiseCPU applies the posterior mean to every value.
func (d PixelDenoiser) DenoiseCPU(out, in []float64, sigmas []float64, s kernels.Shape) error {
	if err := d.Prior.Check(); err != nil {
		return err
	}
	numel := s.C * s.H * s.W
	if len(sigmas) != s.N || len(in) < s.N*numel || len(out) < s.N*numel {
		return fmt.Errorf("%s denoiser: %d sigmas and %d values for %d images of %d", d.Label, len(sigmas), len(in), s.N, numel)
	}
	const chunk = 4096
	per := (numel + chunk - 1) / chunk
	kernels.ParallelFor(s.N*per, func(t int) {
		j, c := t/per, t%per
		q := d.Prior.At(sigmas[j])
		for i := j*numel + c*chunk; i < j*numel+min((c+1)*chunk, numel); i++ {
			out[i] = q.Mean(in[i])
		}
	})
	return nil
}

// Record records the device kernel.
func (d PixelDenoiser) Record(g kernels.GPU, r *vk.Recorder, out, in, sig *vk.Buffer, sigOff, period int, s kernels.Shape) error {
	return d.Prior.Record(g, r, out, in, sig, sigOff, period, s.N, s.C*s.H*s.W)
}
