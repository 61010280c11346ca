package main

import (
	"encoding/json"
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

// iem --pairs integrates a list in batches of one size (here split by a
// size change and by --batch), each pair's value that of the pair alone,
// and closes with the list's mean and largest; a bad line stops it with an
// error naming the line.
func TestIEMPairs(t *testing.T) {
	dir := t.TempDir()
	for name, shade := range map[string]uint8{"a.png": 0, "b.png": 90, "c.png": 30} {
		writePNG(t, filepath.Join(dir, name), 32, 24, shade)
	}
	writePNG(t, filepath.Join(dir, "d.png"), 20, 18, 10)
	writePNG(t, filepath.Join(dir, "e.png"), 20, 18, 200)
	list := filepath.Join(dir, "pairs.txt")
	rows := [][2]string{{"a.png", "b.png"}, {"a.png", "c.png"}, {"d.png", "e.png"}, {"b.png", "c.png"}}
	var text string
	for _, r := range rows {
		text += r[0] + " " + r[1] + "\n"
	}
	os.WriteFile(list, []byte(text), 0o644)
	for _, backend := range []string{"cpu", "vulkan"} {
		common := []string{"iem", "--backend", backend, "--steps", "8"}
		var want []float64
		for _, r := range rows {
			code, out, errs := runCLI(t, append(common, "--json", filepath.Join(dir, r[0]), filepath.Join(dir, r[1]))...)
			var rep map[string]any
			if code != 0 || json.Unmarshal([]byte(out), &rep) != nil {
				t.Fatalf("%s %v: exit %d (%s): %s", backend, r, code, errs, out)
			}
			want = append(want, rep["iem"].(float64))
		}
		code, out, errs := runCLI(t, append(common, "--json", "--batch", "2", "--pairs", list)...)
		lines := strings.Split(strings.TrimSpace(out), "\n")
		if code != 0 || len(lines) != len(rows) {
			t.Fatalf("%s list: exit %d (%s), output:\n%s", backend, code, errs, out)
		}
		top := 0
		for i, line := range lines {
			var rep map[string]any
			if err := json.Unmarshal([]byte(line), &rep); err != nil {
				t.Fatal(err)
			}
			if rep["iem"].(float64) != want[i] || rep["dist"] != filepath.Join(dir, rows[i][1]) {
				t.Errorf("%s pair %d: %v, alone %g", backend, i, rep, want[i])
			}
			if want[i] > want[top] {
				top = i
			}
		}
		code, out, _ = runCLI(t, append(common, "--pairs", list)...)
		lines = strings.Split(strings.TrimSpace(out), "\n")
		var mean float64
		for _, v := range want {
			mean += v / float64(len(want))
		}
		summary := fmt.Sprintf("IEM 4 pairs: mean %.6g  highest %.6g (%s vs %s)", mean, want[top], filepath.Join(dir, rows[top][1]), filepath.Join(dir, rows[top][0]))
		if code != 0 || len(lines) != len(rows)+1 || lines[len(rows)] != summary {
			t.Errorf("%s: exit %d, output:\n%s\nwant the summary %q", backend, code, out, summary)
		}
	}
	os.WriteFile(list, []byte("a.png b.png\n\na.png missing.png\n"), 0o644)
	if code, _, errs := runCLI(t, "iem", "--backend", "cpu", "--steps", "4", "--pairs", list); code != 1 || !strings.Contains(errs, "pairs.txt:3") {
		t.Errorf("a missing image: exit %d, %s", code, errs)
	}
	if code, _, errs := runCLI(t, "iem", "--pairs", list, filepath.Join(dir, "a.png")); code != 2 || !strings.Contains(errs, "not REF DIST") {
		t.Errorf("a list and a pair: exit %d, %s", code, errs)
	}
}
