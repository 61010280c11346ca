package bench

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"
)

// Rows reach the JSON file as each configuration ends, and read back
// merged; past the deadline nothing starts and what did not is named.
func TestRunsSaveAndDeadline(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.json"), filepath.Join(dir, "b.json")
	rs := &runs{jsonOut: a}
	if !rs.due("milo 64x48 batch 1") {
		t.Fatal("no deadline, yet a configuration may not start")
	}
	one := result{Metric: "milo", Backend: "vulkan", Precision: "fp32", Width: 64, Height: 48, Batch: 1, Ms: 30, Score: 0.05, Repeat: 3}
	if err := rs.add(one); err != nil {
		t.Fatal(err)
	}
	if got, err := loadRows(a); err != nil || !reflect.DeepEqual(got, []result{one}) {
		t.Fatalf("after one configuration the file holds %+v (%v)", got, err)
	}
	two := result{Metric: "iem", Backend: "cpu", Width: 64, Height: 64, Ms: 14, Score: 7.1, Steps: 8, Repeat: 3}
	if err := rs.add(two); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(a + ".tmp"); !os.IsNotExist(err) {
		t.Errorf("the temporary file stayed: %v", err)
	}
	other := &runs{jsonOut: b}
	if err := other.add(one); err != nil {
		t.Fatal(err)
	}
	got, err := loadRows(a + "," + b)
	if err != nil || !reflect.DeepEqual(got, []result{one, two, one}) {
		t.Fatalf("merged: %+v (%v)", got, err)
	}
	rs.deadline = time.Now().Add(-time.Second)
	if rs.due("milo 96x64 batch 1") || rs.due("iem 64x64") {
		t.Error("a configuration starts past the deadline")
	}
	if want := []string{"milo 96x64 batch 1", "iem 64x64"}; !reflect.DeepEqual(rs.skipped, want) {
		t.Errorf("skipped %v, want %v", rs.skipped, want)
	}
	if err := os.WriteFile(b, []byte("{"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadRows(b); err == nil {
		t.Error("a truncated file reads without error")
	}
}

func TestMedianMsCap(t *testing.T) {
	n := 0
	slow := func() error { n++; time.Sleep(20 * time.Millisecond); return nil }
	// 0.05 s: three runs pass it, and at least three always run.
	if _, runs, err := medianMs(timing{runs: 20, seconds: 0.05}, slow); err != nil || runs != 3 || n != 3 {
		t.Errorf("capped: %d runs (%d calls, %v), want 3", runs, n, err)
	}
	n = 0
	if _, runs, _ := medianMs(timing{runs: 5}, slow); runs != 5 || n != 5 {
		t.Errorf("uncapped: %d runs, want 5", runs)
	}
}

func TestTimingDefaults(t *testing.T) {
	cfg := miloConfig{}
	for _, c := range []struct {
		cpu  bool
		px   int
		want timing
	}{
		{true, 256 * 256, timing{3, 0}},
		{true, 1920 * 1080, timing{1, 0}},
		{false, 1920 * 1080 * 16, timing{20, 2}},
	} {
		if got := cfg.timing(c.cpu, c.px); got != c.want {
			t.Errorf("timing(cpu %v, %d px) = %+v, want %+v", c.cpu, c.px, got, c.want)
		}
	}
	cfg.repeat = 7
	if got := cfg.timing(false, 64); got != (timing{7, 0}) {
		t.Errorf("-repeat 7 on a GPU: %+v", got)
	}
}

func TestGist(t *testing.T) {
	for in, want := range map[string]string{
		"Traceback (most recent call last):\n  File \"x.py\", line 17\nModuleNotFoundError: No module named 'numpy'\n": "ModuleNotFoundError: No module named 'numpy'",
		"panic: runtime error: index out of range\n\ngoroutine 1 [running]:\nmain.main()\n":                            "panic: runtime error: index out of range",
		"vkpercept: vulkan: vkCreateInstance: VK_ERROR_INCOMPATIBLE_DRIVER\n":                                          "vkpercept: vulkan: vkCreateInstance: VK_ERROR_INCOMPATIBLE_DRIVER",
		"": "",
	} {
		if got := gist(in); got != want {
			t.Errorf("gist(%q) = %q, want %q", in, got, want)
		}
	}
}

// A configuration's rows so far reach the file before it ends.
func TestRunsSavePending(t *testing.T) {
	f := filepath.Join(t.TempDir(), "a.json")
	rs := &runs{jsonOut: f}
	one := result{Metric: "milo", Backend: "cpu", Width: 64, Height: 48, Batch: 1, Ms: 70}
	two := result{Metric: "milo", Backend: "vulkan", Precision: "fp32", Width: 64, Height: 48, Batch: 1, Ms: 20}
	if err := rs.add(one); err != nil {
		t.Fatal(err)
	}
	if err := rs.save([]result{two}); err != nil {
		t.Fatal(err)
	}
	if got, err := loadRows(f); err != nil || !reflect.DeepEqual(got, []result{one, two}) {
		t.Fatalf("with a pending row the file holds %+v (%v)", got, err)
	}
	if len(rs.rows) != 1 {
		t.Errorf("save kept the pending row: %d rows", len(rs.rows))
	}
}
