// Command fitspectrum fits the stationary 1/f^alpha prior of the "wiener"
// IEM denoiser to photographs: images mapped to [-1,1], each channel's mean
// removed, a Hann window, a 2-D FFT, the power per coefficient |F|^2/(HW)
// averaged in log-spaced radial bins, and a least-squares line through
// log P = log A - alpha log f over 4/min(H,W) <= f <= 0.4 cycles per pixel.
// It prints the parameters that metric/wiener.go records.
//
//	make fit-spectrum   (downloads python3-skimage's CC0/public-domain photos)
package main

import (
	"flag"
	"fmt"
	"math"
	"math/cmplx"
	"os"

	"gonum.org/v1/gonum/dsp/fourier"

	"github.com/vkpercept/vkpercept/metric"
)

func main() {
	flag.Parse()
	if flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: fitspectrum PHOTO...")
		os.Exit(2)
	}
	var sx, sy, sxx, sxy, n float64
	var means [3]float64
	var variance float64
	for _, p := range flag.Args() {
		im, err := metric.LoadImage(p)
		if err != nil {
			fmt.Fprintln(os.Stderr, "fitspectrum:", err)
			os.Exit(1)
		}
		x := metric.Signed(im)
		bins := map[int][2]float64{}
		for c := 0; c < 3; c++ {
			plane := x.Data[c*x.H*x.W : (c+1)*x.H*x.W]
			m, v := meanVar(plane)
			means[c] += m / float64(flag.NArg())
			variance += v / float64(3*flag.NArg())
			for f, pw := range radialPower(plane, x.H, x.W, m) {
				b := bins[f]
				bins[f] = [2]float64{b[0] + pw[0], b[1] + pw[1]}
			}
		}
		for f, b := range bins {
			freq := math.Exp(float64(f) / 8) // bins are eighths of a natural-log unit
			if freq < 4/float64(min(x.H, x.W)) || freq > 0.4 {
				continue
			}
			lx, ly := math.Log(freq), math.Log(b[0]/b[1])
			sx, sy, sxx, sxy, n = sx+lx, sy+ly, sxx+lx*lx, sxy+lx*ly, n+1
		}
		fmt.Printf("%s: %dx%d\n", p, x.W, x.H)
	}
	slope := (n*sxy - sx*sy) / (n*sxx - sx*sx)
	icept := (sy - slope*sx) / n
	fmt.Printf("alpha = %.4f\nA = %.6g (power per coefficient at f = 1 cycle/px)\n", -slope, math.Exp(icept))
	fmt.Printf("channel means = %.4f %.4f %.4f\nvariance per pixel = %.4f\n", means[0], means[1], means[2], variance)
}

func meanVar(v []float64) (float64, float64) {
	var s, ss float64
	for _, x := range v {
		s += x
	}
	m := s / float64(len(v))
	for _, x := range v {
		ss += (x - m) * (x - m)
	}
	return m, ss / float64(len(v))
}

// radialPower returns, per log-frequency bin, the summed power and the count.
func radialPower(plane []float64, h, w int, mean float64) map[int][2]float64 {
	buf := make([]complex128, h*w)
	var wsum float64
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			win := hann(y, h) * hann(x, w)
			wsum += win * win
			buf[y*w+x] = complex((plane[y*w+x]-mean)*win, 0)
		}
	}
	rows, cols := fourier.NewCmplxFFT(w), fourier.NewCmplxFFT(h)
	for y := 0; y < h; y++ {
		rows.Coefficients(buf[y*w:(y+1)*w], buf[y*w:(y+1)*w])
	}
	col := make([]complex128, h)
	for x := 0; x < w; x++ {
		for y := 0; y < h; y++ {
			col[y] = buf[y*w+x]
		}
		cols.Coefficients(col, col)
		for y := 0; y < h; y++ {
			buf[y*w+x] = col[y]
		}
	}
	out := map[int][2]float64{}
	for y := 0; y < h; y++ {
		fy := float64(min(y, h-y)) / float64(h)
		for x := 0; x < w; x++ {
			fx := float64(min(x, w-x)) / float64(w)
			f := math.Hypot(fx, fy)
			if f == 0 {
				continue
			}
			b := int(math.Floor(8 * math.Log(f)))
			p := cmplx.Abs(buf[y*w+x])
			o := out[b]
			// The window's energy normalises the power to an unwindowed field's.
			out[b] = [2]float64{o[0] + p*p/wsum, o[1] + 1}
		}
	}
	return out
}

func hann(i, n int) float64 { return 0.5 - 0.5*math.Cos(2*math.Pi*(float64(i)+0.5)/float64(n)) }
