package main

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/vkpercept/vkpercept/metric"
	"github.com/vkpercept/vkpercept/vk"
)

// The kernels command builds MILO's pipelines for each variant and size
// without running them, and lists them with what the compiler reported
// (lavapipe reports nothing, and the command says so).
func TestKernelsListsPipelines(t *testing.T) {
	devs, auto, err := vk.ListDevices()
	if err != nil {
		t.Fatal(err)
	}
	stats := devs[auto].Features.PipelineStatistics
	code, out, errs := runCLI(t, "kernels", "-variants", "fp32,fp16+fused", "-size", "64x48,30x17")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"| fp32 | conv3x3_f32", "| fp32 | milo_tail_f32", "| fp32 | map_hist_f32", "| fp16+fused | conv3x3_pair_f32_f16 |", "| fp16+fused | unpack_frame |"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}
	if said := strings.Contains(errs, "reports no compiler statistics"); said == stats {
		t.Errorf("device statistics %v, stderr %q", stats, errs)
	}

	code, out, errs = runCLI(t, "kernels", "-variants", "fp16", "-size", "40x24", "-json")
	if code != 0 {
		t.Fatalf("-json: exit %d: %s", code, errs)
	}
	var rep struct {
		Device   string `json:"device"`
		Variants []struct {
			Variant string                `json:"variant"`
			Kernels []vk.KernelStatistics `json:"kernels"`
		} `json:"variants"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Device == "" || len(rep.Variants) != 1 || rep.Variants[0].Variant != "fp16" || len(rep.Variants[0].Kernels) < 5 {
		t.Fatalf("JSON report %+v", rep)
	}
	var names []string
	for _, k := range rep.Variants[0].Kernels {
		names = append(names, k.Shader)
		if (len(k.Executables) > 0) != stats {
			t.Errorf("%s: %d executables, device statistics %v", k.Shader, len(k.Executables), stats)
		}
	}
	if !slices.IsSorted(names) || !slices.ContainsFunc(names, func(n string) bool { return strings.HasPrefix(n, "conv3x3_f16") }) {
		t.Errorf("kernels %v: unsorted, or no binary16 convolution", names)
	}

	for _, bad := range [][]string{{"-variants", "fp8"}, {"-variants", "auto"}, {"-size", "0x5"}, {"-size", "64"}, {"-budget-mb", "-1"}, {"extra"}} {
		if code, _, _ := runCLI(t, append([]string{"kernels"}, bad...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2", bad, code)
		}
	}
}

// -no-spills fails on any statistic named for spills or scratch memory
// above 0, naming the kernel; the table leaves hashes out.
func TestKernelsSpillCheck(t *testing.T) {
	stat := func(name string, v float64) vk.Statistic { return vk.Statistic{Name: name, Value: v} }
	vs := []kernelsVariant{{Variant: metric.Variant{Precision: metric.FP16}, Kernels: []vk.KernelStatistics{
		{Shader: "conv3x3_f16", Spec: []uint32{8, 8}, Executables: []vk.Executable{{Name: "compute", SubgroupSize: 64,
			Statistics: []vk.Statistic{stat("Driver pipeline hash", 7), stat("VGPRs", 84), stat("Spilled VGPRs", 0), stat("Scratch size", 0)}}}},
		{Shader: "upsample2_f32", Executables: []vk.Executable{{Name: "compute", SubgroupSize: 64,
			Statistics: []vk.Statistic{stat("VGPRs", 24), stat("Spilled VGPRs", 0)}}}},
	}}}
	if err := checkSpills(vs); err != nil {
		t.Fatal(err)
	}
	if cols := statColumns(vs); !slices.Equal(cols, []string{"VGPRs", "Spilled VGPRs", "Scratch size"}) {
		t.Errorf("columns %v", cols)
	}
	var b strings.Builder
	printKernels(&b, "a GPU", vs)
	if !strings.Contains(b.String(), "| fp16 | conv3x3_f16 | 8 8 | 64 | 84 | 0 | 0 |") || !strings.Contains(b.String(), "| fp16 | upsample2_f32 |  | 64 | 24 | 0 | - |") {
		t.Errorf("table:\n%s", b.String())
	}
	vs[0].Kernels[1].Executables[0].Statistics[1].Value = 4
	vs[0].Kernels[0].Executables[0].Statistics[3].Value = 1024
	err := checkSpills(vs)
	if err == nil || !strings.Contains(err.Error(), "upsample2_f32 []: Spilled VGPRs 4") || !strings.Contains(err.Error(), "conv3x3_f16 [8 8]: Scratch size 1024") {
		t.Fatalf("spills reported as %v", err)
	}
}
