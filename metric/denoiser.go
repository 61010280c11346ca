package metric

import (
	"fmt"

	"github.com/vkpercept/vkpercept/kernels"
	"github.com/vkpercept/vkpercept/vk"
)

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
	for j := 0; j < s.N; j++ {
		for i := j * numel; i < (j+1)*numel; i++ {
			out[i] = d.Prior.Denoise(in[i], sigmas[j])
		}
	}
	return nil
}

// Record records the device kernel.
func (d PixelDenoiser) Record(g kernels.GPU, r *vk.Recorder, out, in, sig *vk.Buffer, sigOff, period int, s kernels.Shape) error {
	return d.Prior.Record(g, r, out, in, sig, sigOff, period, s.N, s.C*s.H*s.W)
}
