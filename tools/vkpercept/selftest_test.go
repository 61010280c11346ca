package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/vkpercept/vkpercept/vk"
)

// selftest prints a row a check and exits 0 when all passed; a variant the
// device cannot run (the native tiles, where it lacks them) exits 3; JSON
// carries every check; bad flags exit 2.
func TestSelftest(t *testing.T) {
	code, out, errs := runCLI(t, "selftest", "-variants", "fp16")
	if code != 0 {
		t.Fatalf("exit %d: %s\n%s", code, errs, out)
	}
	for _, want := range []string{"| milo | fp16 | pass | 203x140 |", "| milo | fp16 | bands |", "| milo | fp16 | session | 61x37 |", "| iem | fp32 | levels | 61x37 |", "all 8 checks passed on"} {
		if !strings.Contains(out, want) {
			t.Errorf("no %q in\n%s", want, out)
		}
	}

	code, out, errs = runCLI(t, "selftest", "-variants", "fp32+fused", "-no-iem", "-json")
	if code != 0 {
		t.Fatalf("-json: exit %d: %s", code, errs)
	}
	var rep struct {
		Device string `json:"device"`
		Failed int    `json:"failed"`
		Checks []struct {
			Variant   string  `json:"variant"`
			Path      string  `json:"path"`
			ScalarErr float64 `json:"scalar_rel_err"`
			ScalarTol float64 `json:"scalar_tol"`
		} `json:"checks"`
	}
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Device == "" || rep.Failed != 0 || len(rep.Checks) != 5 {
		t.Fatalf("JSON report %+v", rep)
	}
	for _, c := range rep.Checks {
		if c.Variant != "fp32+fused" || !(c.ScalarErr > 0 && c.ScalarErr < c.ScalarTol) {
			t.Errorf("check %+v", c)
		}
	}

	devs, auto, err := vk.ListDevices()
	if err != nil {
		t.Fatal(err)
	}
	code, out, errs = runCLI(t, "selftest", "-variants", "fp16-mma", "-no-iem")
	if devs[auto].Features.MatrixTiles {
		if code != 0 {
			t.Errorf("fp16-mma on native tiles: exit %d, stderr %q\n%s", code, errs, out)
		}
	} else if code != 3 || !strings.Contains(out, "ERROR: milo: fp16-mma needs") || !strings.Contains(errs, "self-test failed: 5 of 5 checks") {
		t.Errorf("fp16-mma without tiles: exit %d, stderr %q\n%s", code, errs, out)
	}
	for _, args := range [][]string{{"-variants", "fp9"}, {"-variants", "auto"}, {"extra"}} {
		if code, _, errs := runCLI(t, append([]string{"selftest"}, args...)...); code != 2 {
			t.Errorf("%v: exit %d, want 2 (%s)", args, code, errs)
		}
	}
	if code, _, errs := runCLI(t, "selftest", "-weights", "/no/such.pth"); code != 1 || !strings.Contains(errs, "/no/such.pth") {
		t.Errorf("missing weights: exit %d, stderr %q", code, errs)
	}
	// Latent weights are refused before the device runs anything.
	if code, out, errs := runCLI(t, "selftest", "-weights", sharedWeights(t, "MILO_latent.pth")); code != 1 || out != "" || !strings.Contains(errs, "4-channel inputs (latents)") {
		t.Errorf("latent weights: exit %d, stderr %q\n%s", code, errs, out)
	}
}
