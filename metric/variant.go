package metric

import (
	"fmt"
	"strings"

	"github.com/vkpercept/vkpercept/vk"
)

// Variant is one way of running MILO's pass on Vulkan: a precision, with
// the fused short chain or without. Its text form, which the commands'
// flags take, is the precision with "+fused" for the chain: "fp16+fused".
type Variant struct {
	Precision Precision
	Fused     bool
}

func (v Variant) String() string {
	if v.Fused {
		return string(v.Precision) + "+fused"
	}
	return string(v.Precision)
}

// MarshalText gives JSON and other encoders the text form.
func (v Variant) MarshalText() ([]byte, error) { return []byte(v.String()), nil }

// Apply sets m to run as v.
func (v Variant) Apply(m *MILO) { m.Precision, m.Fused = v.Precision, v.Fused }

// ParseVariant reads a variant's text form; "auto" is not one.
func ParseVariant(s string) (Variant, error) {
	p, fused := strings.CutSuffix(strings.TrimSpace(s), "+fused")
	prec, err := ParsePrecision(p, nil)
	if err != nil || p == "auto" || p == "" {
		return Variant{}, fmt.Errorf("%q is not a variant: a precision (fp32, fp16, fp16-math, fp16-mma, fp16-mma-emu), optionally with +fused", s)
	}
	return Variant{prec, fused}, nil
}

// ParseVariants reads a comma-separated list of variants.
func ParseVariants(list string) ([]Variant, error) {
	var vs []Variant
	for _, s := range strings.Split(list, ",") {
		v, err := ParseVariant(s)
		if err != nil {
			return nil, err
		}
		vs = append(vs, v)
	}
	return vs, nil
}

// Variants lists every variant a device with f runs: fp32 and fp16, each
// plain and fused, fp16-math and fp16-mma. The emulated tiles
// (fp16-mma-emu), a test vehicle, are left out.
func Variants(f vk.Features) []Variant {
	vs := []Variant{{FP32, false}, {FP32, true}}
	if !f.Storage16Bit {
		return vs
	}
	vs = append(vs, Variant{FP16, false}, Variant{FP16, true})
	if f.ShaderFloat16 {
		vs = append(vs, Variant{FP16Math, false})
	}
	if f.MatrixTiles {
		vs = append(vs, Variant{FP16MMA, false})
	}
	return vs
}
