package main

import (
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A list's human-readable output ends in a line with the mean score and
// MOS of its pairs and the pair that scored highest; its JSON stays one
// object a pair.
func TestMiloPairsSummary(t *testing.T) {
	t.Setenv(weightsEnv, "")
	dir := t.TempDir()
	writePNG(t, filepath.Join(dir, "a.png"), 32, 24, 0)
	writePNG(t, filepath.Join(dir, "b.png"), 32, 24, 60)
	writePNG(t, filepath.Join(dir, "c.png"), 32, 24, 20)
	list := filepath.Join(dir, "pairs.txt")
	os.WriteFile(list, []byte("a.png a.png\na.png c.png\na.png b.png\nb.png c.png\n"), 0o644)
	code, out, errs := runCLI(t, "milo", "--backend", "vulkan", "--pairs", list)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 0 || len(lines) != 5 {
		t.Fatalf("exit %d (%s), output:\n%s", code, errs, out)
	}
	var sum, mos, top float64
	var worst string
	for _, line := range lines[:4] {
		var dist, ref string
		var w, h int
		var score, loss, m float64
		if _, err := fmt.Sscanf(line, "MILO %s vs %s (%dx%d): score %g  loss %g  MOS %g", &dist, &ref, &w, &h, &score, &loss, &m); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		sum, mos = sum+score, mos+m
		if score > top {
			top, worst = score, dist+" vs "+ref
		}
	}
	var n int
	var gotScore, gotMOS, gotTop float64
	if _, err := fmt.Sscanf(lines[4], "MILO %d pairs: mean score %g  mean MOS %g  highest score %g", &n, &gotScore, &gotMOS, &gotTop); err != nil {
		t.Fatalf("summary %q: %v", lines[4], err)
	}
	if n != 4 || math.Abs(gotScore-sum/4) > 2e-6 || math.Abs(gotMOS-mos/4) > 2e-3 || gotTop != top || !strings.HasSuffix(lines[4], "("+worst+")") {
		t.Errorf("summary %q; want 4 pairs, mean score %.6f, mean MOS %.3f, highest %.6f (%s)", lines[4], sum/4, mos/4, top, worst)
	}
	if top == 0 || worst == filepath.Join(dir, "a.png")+" vs "+filepath.Join(dir, "a.png") {
		t.Errorf("the pairs did not score apart: %s", out)
	}
	code, out, _ = runCLI(t, "milo", "--backend", "vulkan", "--json", "--pairs", list)
	if lines := strings.Split(strings.TrimSpace(out), "\n"); code != 0 || len(lines) != 4 || strings.Contains(out, "mean score") {
		t.Errorf("JSON list: exit %d, output:\n%s", code, out)
	}
}
