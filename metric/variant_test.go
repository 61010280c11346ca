package metric

import (
	"fmt"
	"testing"

	"github.com/vkpercept/vkpercept/vk"
)

// A device's variants follow its features; each text form parses back.
func TestVariants(t *testing.T) {
	for _, tc := range []struct {
		f    vk.Features
		want string
	}{
		{vk.Features{}, "[fp32 fp32+fused]"},
		{vk.Features{ShaderFloat16: true, MatrixTiles: true}, "[fp32 fp32+fused]"}, // no 16-bit storage: no binary16 variant
		{vk.Features{Storage16Bit: true}, "[fp32 fp32+fused fp16 fp16+fused]"},
		{vk.Features{Storage16Bit: true, ShaderFloat16: true}, "[fp32 fp32+fused fp16 fp16+fused fp16-math]"},
		{vk.Features{Storage16Bit: true, ShaderFloat16: true, MatrixTiles: true}, "[fp32 fp32+fused fp16 fp16+fused fp16-math fp16-mma]"},
	} {
		vs := Variants(tc.f)
		if got := fmt.Sprint(vs); got != tc.want {
			t.Errorf("%+v: %s, want %s", tc.f, got, tc.want)
		}
		for _, v := range vs {
			if back, err := ParseVariant(v.String()); err != nil || back != v {
				t.Errorf("%s parses as %v, %v", v, back, err)
			}
		}
	}
	vs, err := ParseVariants("fp16-mma-emu, fp16+fused")
	if err != nil || fmt.Sprint(vs) != "[fp16-mma-emu fp16+fused]" || !vs[1].Fused || vs[0].Precision != FP16MMAEmulated {
		t.Errorf("list: %v, %v", vs, err)
	}
	for _, bad := range []string{"auto", "", "+fused", "fp9", "fp32,", "fp16+fused+fused"} {
		if v, err := ParseVariants(bad); err == nil {
			t.Errorf("%q parsed as %v", bad, v)
		}
	}
}
