package bench

import (
	"fmt"
	"slices"
	"strings"
	"testing"
)

func TestBudgetLabel(t *testing.T) {
	for mib, want := range map[int]string{-1: "", 256: "", 0: ", no budget", 1024: ", 1024 MiB budget"} {
		if got := budgetLabel(mib); got != want {
			t.Errorf("budgetLabel(%d) = %q, want %q", mib, got, want)
		}
	}
}

// -budget-mb reaches the Vulkan children, not the CPU one, and their rows,
// named by it, are still checked against each other: an fp32 row on
// another budget is the reference where no CPU row is.
func TestBudgetReachesVulkanChildren(t *testing.T) {
	var calls [][]string
	fake := func(args ...string) (result, error) {
		calls = append(calls, args)
		arg := func(name string) string {
			if i := slices.Index(args, name); i >= 0 {
				return args[i+1]
			}
			return ""
		}
		r := result{Metric: "milo", Backend: strings.TrimPrefix(arg("-child"), "milo-"), Width: 40, Height: 24, Batch: 1, Score: 0.05}
		if r.Backend == "vulkan" {
			var mib int
			fmt.Sscan(arg("-budget-mb"), &mib)
			r.Precision = arg("-precision") + budgetLabel(mib)
			if arg("-precision") == "fp16" {
				r.Score = 0.051 // 2% off: over fp16's 0.5%
			}
		}
		return r, nil
	}
	rs := &runs{}
	cfg := miloConfig{sizes: "40x24", batches: "1", precisions: "fp32,fp16", backends: "vulkan", budgetMiB: 0, maxCPU: 2_100_000}
	if err := runMILOAll(cfg, fake, rs); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 2 {
		t.Fatalf("%d children, want 2", len(calls))
	}
	for _, c := range calls {
		if i := slices.Index(c, "-budget-mb"); i < 0 || c[i+1] != "0" {
			t.Errorf("a Vulkan child without -budget-mb 0: %v", c)
		}
	}
	if len(rs.rows) != 2 || rs.rows[0].Precision != "fp32, no budget" || rs.rows[0].Err != "" {
		t.Fatalf("rows %+v", rs.rows)
	}
	if e := rs.rows[1].Err; !strings.Contains(e, "disagrees with the fp32 Vulkan's") {
		t.Errorf("the fp16 row's 2%% error went unflagged: %q", e)
	}

	calls = nil
	cfg.backends, cfg.budgetMiB = "cpu", 0
	if err := runMILOAll(cfg, fake, &runs{}); err != nil {
		t.Fatal(err)
	}
	if len(calls) != 1 || slices.Contains(calls[0], "-budget-mb") {
		t.Errorf("the CPU child: %v", calls)
	}
}
