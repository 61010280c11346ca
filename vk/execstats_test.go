package vk

import (
	"slices"
	"testing"

	"github.com/vkpercept/vkpercept/shaders"
)

func registered(t *testing.T, name string) *Shader {
	t.Helper()
	v, code, err := shaders.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	return &Shader{Name: v.Name, SPIRV: code, Bindings: v.Bindings, Uniform: v.Uniform, Texel: v.Texel, TexelHalf: v.TexelHalf}
}

// KernelStatistics lists every kernel built, ordered, with its
// specialization; where the device reports statistics each has an
// executable with named figures, elsewhere (lavapipe) none.
func TestKernelStatistics(t *testing.T) {
	t.Setenv(StatisticsEnv, "")
	devs, _, err := ListDevices()
	if err != nil {
		t.Fatal(err)
	}
	c, err := Open(Options{Device: -1, Statistics: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if offered := devs[c.Info().Index].Features.PipelineStatistics; c.Info().Features.PipelineStatistics != offered {
		t.Fatalf("statistics enabled %v where the device offers them: %v", c.Info().Features.PipelineStatistics, offered)
	}
	reduce, empty := registered(t, "reduce_sum_f32"), registered(t, "empty")
	for _, k := range []struct {
		s    *Shader
		spec []uint32
	}{{reduce, []uint32{64}}, {empty, nil}, {reduce, []uint32{32}}} {
		if _, err := c.Kernel(k.s, k.spec...); err != nil {
			t.Fatal(err)
		}
	}
	st, err := c.KernelStatistics()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, k := range st {
		got = append(got, k.Shader)
		if k.Shader == "reduce_sum_f32" && len(k.Spec) != 1 {
			t.Errorf("reduce_sum_f32 with specialization %v, want one constant", k.Spec)
		}
		if !c.Info().Features.PipelineStatistics {
			if len(k.Executables) != 0 {
				t.Errorf("%s: executables without statistics enabled: %+v", k.Shader, k.Executables)
			}
			continue
		}
		if len(k.Executables) == 0 || len(k.Executables[0].Statistics) == 0 {
			t.Fatalf("%s: no statistics: %+v", k.Shader, k.Executables)
		}
		for _, s := range k.Executables[0].Statistics {
			if s.Name == "" {
				t.Errorf("%s: a statistic without a name: %+v", k.Shader, s)
			}
		}
	}
	if want := []string{"empty", "reduce_sum_f32", "reduce_sum_f32"}; !slices.Equal(got, want) {
		t.Fatalf("kernels %v, want %v", got, want)
	}
	if st[1].Spec[0] != 32 || st[2].Spec[0] != 64 {
		t.Errorf("specializations %v then %v, want 32 then 64", st[1].Spec, st[2].Spec)
	}

	// Not asked for, they stay off whatever the device offers.
	plain, err := Open(Options{Device: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if plain.Info().Features.PipelineStatistics {
		t.Error("statistics enabled without Options.Statistics")
	}
	c.Close()
	if _, err := c.KernelStatistics(); err == nil {
		t.Error("statistics of a closed context")
	}
}
