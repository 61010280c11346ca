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

// --max-score, --min-mos and --max-p99 fail a pair past a bound with exit
// status 3 and say which and why, in the line, the JSON and the error; the
// maps are written all the same, and a list fails when any of its pairs
// does. --stats reports the map's quantiles, which --max-p99 reads.
func TestMiloGate(t *testing.T) {
	t.Setenv(weightsEnv, "") // the built-in weights, whose scaler rises with the loss
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png")
	writePNG(t, a, 32, 24, 0)
	writePNG(t, b, 32, 24, 60)
	milo := func(args ...string) (int, string, string) {
		return runCLI(t, append([]string{"milo", "--backend", "vulkan"}, args...)...)
	}
	report := func(out string) miloReport {
		t.Helper()
		var rep miloReport
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("not JSON: %q", out)
		}
		return rep
	}
	code, out, errs := milo("--json", a, b)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	plain := report(out)
	if plain.Pass != nil || plain.Stats != nil || strings.Contains(out, "pass") {
		t.Errorf("no gate or --stats, yet the report has a verdict or statistics: %s", out)
	}
	if plain.Score <= 0 || plain.MOS <= 0 || plain.MOS >= 5 {
		t.Fatalf("pair scores %g, MOS %g: no room for the bounds below", plain.Score, plain.MOS)
	}
	score, mos := plain.Score, plain.MOS
	// --stats: the map's distribution, whose mean is the score.
	code, out, errs = milo("--json", "--stats", a, b)
	st := report(out).Stats
	if code != 0 || st == nil || math.Abs(st.Mean-score) > 1e-6 || !(st.P50 <= st.P95 && st.P95 <= st.P99 && st.P99 <= st.Max) || st.P99 <= 0 {
		t.Fatalf("--stats: exit %d (%s), report %s", code, errs, out)
	}
	if _, line, _ := milo("--stats", a, b); !strings.Contains(line, fmt.Sprintf("p99 %.4f max %.4f", st.P99, st.Max)) {
		t.Errorf("--stats line %q lacks p99 %.4f", line, st.P99)
	}
	p99 := st.P99
	f := func(v float64) string { return fmt.Sprintf("%.9g", v) }

	for _, tc := range []struct {
		args []string
		code int
		why  string
	}{
		{[]string{"--max-score", f(score * 1.01)}, 0, ""},
		{[]string{"--max-score", f(score * 0.99)}, 3, "above --max-score"},
		{[]string{"--min-mos", f(mos * 0.99)}, 0, ""},
		{[]string{"--min-mos", f(mos * 1.01)}, 3, "below --min-mos"},
		{[]string{"--max-score", f(score * 1.01), "--min-mos", f(mos * 1.01)}, 3, "below --min-mos"},
		{[]string{"--max-p99", f(p99 * 1.01)}, 0, ""},
		{[]string{"--max-p99", f(p99 * 0.99)}, 3, "above --max-p99"},
	} {
		code, out, errs := milo(append(tc.args, "--json", a, b)...)
		rep := report(out)
		if code != tc.code || rep.Pass == nil || *rep.Pass != (tc.code == 0) || !strings.Contains(rep.Failed, tc.why) {
			t.Errorf("%v: exit %d, report %s; want exit %d, failed %q", tc.args, code, out, tc.code, tc.why)
		}
		if tc.code == 3 && !strings.Contains(errs, "quality gate failed") {
			t.Errorf("%v: stderr %q", tc.args, errs)
		}
		code, line, _ := milo(append(tc.args, a, b)...)
		if want := map[int]string{0: "  pass\n", 3: "  FAIL: "}[tc.code]; code != tc.code || !strings.Contains(line, want) {
			t.Errorf("%v: exit %d, line %q; want %q", tc.args, code, line, want)
		}
	}

	// A failed pair still writes its maps: a CI run keeps them.
	mapPath := filepath.Join(dir, "map.png")
	if code, _, errs := milo("--max-score", "0", "--map", mapPath, a, b); code != 3 {
		t.Errorf("--max-score 0 on a distorted pair: exit %d (%s)", code, errs)
	}
	if _, err := os.Stat(mapPath); err != nil {
		t.Errorf("no map after a failed gate: %v", err)
	}
	// Identical images score 0 and pass the strictest bound.
	if code, _, errs := milo("--max-score", "0", a, a); code != 0 {
		t.Errorf("identical pair against --max-score 0: exit %d (%s)", code, errs)
	}

	list := filepath.Join(dir, "pairs.txt")
	os.WriteFile(list, []byte("a.png b.png\na.png a.png\nb.png a.png\nb.png b.png\n"), 0o644)
	code, out, errs = milo("--pairs", list, "--max-score", "0", "--json")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != 3 || len(lines) != 4 || !strings.Contains(errs, "2 of 4 pairs (the first: "+b+" vs "+a) {
		t.Errorf("list: exit %d, %d reports, stderr %q", code, len(lines), errs)
	}
	for i, line := range lines {
		if rep := report(line); rep.Pass == nil || *rep.Pass != (i%2 == 1) {
			t.Errorf("list pair %d: %s", i, line)
		}
	}
	// A list's --max-p99 reads each pair's own map: the first pair's
	// statistics are the single pair's.
	code, out, errs = milo("--pairs", list, "--max-p99", f(p99*0.99), "--json")
	lines = strings.Split(strings.TrimSpace(out), "\n")
	if code != 3 || len(lines) != 4 || !strings.Contains(errs, "2 of 4 pairs") {
		t.Errorf("list with --max-p99: exit %d, %d reports, stderr %q", code, len(lines), errs)
	} else if got := report(lines[0]).Stats; got == nil || math.Abs(got.P99-p99) > 1e-6 || math.Abs(got.Mean-score) > 1e-6 {
		t.Errorf("list pair 0's statistics %+v, alone %+v", got, st)
	}

	for _, bad := range [][]string{{"--max-score", "Inf"}, {"--max-score", "NaN"}, {"--max-p99", "x"}, {"--min-mos", "5.5"}, {"--min-mos", "good"}} {
		if code, _, errs := milo(append(bad, a, b)...); code != 2 || !strings.Contains(errs, bad[0][2:]) {
			t.Errorf("%v: exit %d, stderr %q; want exit 2 naming the flag", bad, code, errs)
		}
	}
}
