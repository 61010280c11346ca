package iqa

import (
	"fmt"
	"math"

	"github.com/vkpercept/vkpercept/metric"
)

// DeltaE2000 is the mean CIEDE2000 colour difference (Sharma, Wu and Dalal,
// 2005) between the pixels of two sRGB images in [0,1], converted to CIELAB
// under D65. 0 for identical images, larger is worse; about 1 is a just
// noticeable difference between flat patches. It is the ensemble's colour
// member: the other teachers read luminance (HaarPSI chroma only weakly), so
// without it saturation and hue changes would barely lower the pseudo-MOS.
func DeltaE2000(ref, dist metric.Image) (float64, error) {
	if err := sameSize(ref, dist); err != nil {
		return 0, err
	}
	n := ref.H * ref.W
	if ref.C != 3 || len(ref.Data) != 3*n || len(dist.Data) != 3*n || n == 0 {
		return 0, fmt.Errorf("deltae: need two non-empty RGB images, got %dx%dx%d", ref.C, ref.H, ref.W)
	}
	px := func(im metric.Image, i int) Lab {
		return SRGBToLab(float64(im.Data[i]), float64(im.Data[n+i]), float64(im.Data[2*n+i]))
	}
	var sum float64
	for i := 0; i < n; i++ {
		sum += CIEDE2000(px(ref, i), px(dist, i))
	}
	return sum / float64(n), nil
}

// Lab is a CIELAB colour.
type Lab struct{ L, A, B float64 }

// SRGBToLab converts gamma-encoded sRGB in [0,1] to CIELAB (D65 white).
func SRGBToLab(r, g, b float64) Lab {
	lin := func(v float64) float64 {
		if v <= 0.04045 {
			return v / 12.92
		}
		return math.Pow((v+0.055)/1.055, 2.4)
	}
	r, g, b = lin(r), lin(g), lin(b)
	// IEC 61966-2-1 primaries; XYZ relative to the D65 white point.
	x := (0.4124564*r + 0.3575761*g + 0.1804375*b) / 0.95047
	y := 0.2126729*r + 0.7151522*g + 0.0721750*b
	z := (0.0193339*r + 0.1191920*g + 0.9503041*b) / 1.08883
	f := func(t float64) float64 {
		const d = 6.0 / 29
		if t > d*d*d {
			return math.Cbrt(t)
		}
		return t/(3*d*d) + 4.0/29
	}
	fx, fy, fz := f(x), f(y), f(z)
	return Lab{116*fy - 16, 500 * (fx - fy), 200 * (fy - fz)}
}

// CIEDE2000 is the colour difference of two CIELAB colours with
// kL = kC = kH = 1, following Sharma et al.'s implementation notes (hue
// angles in degrees, the mean-hue and hue-difference cases at 180 degrees).
func CIEDE2000(c1, c2 Lab) float64 {
	deg := math.Pi / 180
	cab := (math.Hypot(c1.A, c1.B) + math.Hypot(c2.A, c2.B)) / 2
	c7 := math.Pow(cab, 7)
	g := 0.5 * (1 - math.Sqrt(c7/(c7+math.Pow(25, 7))))
	a1, a2 := (1+g)*c1.A, (1+g)*c2.A
	cp1, cp2 := math.Hypot(a1, c1.B), math.Hypot(a2, c2.B)
	hue := func(b, a float64) float64 {
		if a == 0 && b == 0 {
			return 0
		}
		h := math.Atan2(b, a) / deg
		if h < 0 {
			h += 360
		}
		return h
	}
	hp1, hp2 := hue(c1.B, a1), hue(c2.B, a2)

	dL := c2.L - c1.L
	dC := cp2 - cp1
	var dh float64
	if cp1*cp2 != 0 {
		dh = hp2 - hp1
		if dh > 180 {
			dh -= 360
		} else if dh < -180 {
			dh += 360
		}
	}
	dH := 2 * math.Sqrt(cp1*cp2) * math.Sin(dh/2*deg)

	lm := (c1.L + c2.L) / 2
	cm := (cp1 + cp2) / 2
	hm := hp1 + hp2
	if cp1*cp2 != 0 {
		switch {
		// 1e-9: a pair exactly 180 degrees apart must take this case
		// (Sharma's pair 14), whatever atan2's last bit says.
		case math.Abs(hp1-hp2) <= 180+1e-9:
			hm /= 2
		case hp1+hp2 < 360:
			hm = (hm + 360) / 2
		default:
			hm = (hm - 360) / 2
		}
	}
	t := 1 - 0.17*math.Cos((hm-30)*deg) + 0.24*math.Cos(2*hm*deg) + 0.32*math.Cos((3*hm+6)*deg) - 0.20*math.Cos((4*hm-63)*deg)
	dTheta := 30 * math.Exp(-math.Pow((hm-275)/25, 2))
	cm7 := math.Pow(cm, 7)
	rc := 2 * math.Sqrt(cm7/(cm7+math.Pow(25, 7)))
	l50 := (lm - 50) * (lm - 50)
	sl := 1 + 0.015*l50/math.Sqrt(20+l50)
	sc := 1 + 0.045*cm
	sh := 1 + 0.015*cm*t
	rt := -math.Sin(2*dTheta*deg) * rc
	tl, tc, th := dL/sl, dC/sc, dH/sh
	return math.Sqrt(tl*tl + tc*tc + th*th + rt*tc*th)
}
