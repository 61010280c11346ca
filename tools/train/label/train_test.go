package main

import (
	"bytes"
	"encoding/json"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vkpercept/vkpercept/metric"
	"github.com/vkpercept/vkpercept/tools/train/trainset"
)

// python is the interpreter make train-milo runs: Debian's, where
// python3-torch lives.
const python = "/usr/bin/python3"

// trainScript runs tools/train/train_milo.py on work with a tiny schedule
// (every step, checkpoint and stage of the real one, a few steps each).
func trainScript(t *testing.T, work, out string, extra ...string) (string, error) {
	t.Helper()
	args := append([]string{"../train_milo.py", "--work", work, "--out", out,
		"--steps", "60", "--type-steps", "20", "--batch", "4", "--ckpt-every", "10", "--val-every", "20",
		// One thread: go test runs other packages' tests beside this one.
		"--threads", "1"}, extra...)
	cmd := exec.Command(python, args...)
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.String(), err
}

func needTorch(t *testing.T) {
	t.Helper()
	if err := exec.Command(python, "-c", "import torch, numpy").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%s cannot import torch and numpy (.ci/run installs python3-torch): %v", python, err)
		}
		t.Skipf("%s has no torch (apt-get install python3-torch): the training script is not run", python)
	}
}

// withoutTimes re-encodes a JSON file or JSON lines without the wall-clock
// fields, the only ones two runs may differ in.
func withoutTimes(t *testing.T, raw []byte) string {
	t.Helper()
	var lines []string
	records := strings.Split(strings.TrimSpace(string(raw)), "\n")
	if json.Valid(raw) {
		records = []string{string(raw)} // one indented object, not JSON lines
	}
	for _, line := range records {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("%q: %v", line, err)
		}
		delete(rec, "minutes")
		delete(rec, "scaler_minutes")
		b, _ := json.Marshal(rec) // sorted keys
		lines = append(lines, string(b))
	}
	return strings.Join(lines, "\n")
}

func readFile(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// The training script end to end on real labels: a run stopped after stage
// 1 and resumed writes the same weights, log and figures, byte for byte, as
// an uninterrupted run; a checkpoint of other settings is refused; and the
// exported weights, read by package metric, give on the validation pairs
// the RMSE the script reports for the network it trained.
func TestTrainResume(t *testing.T) {
	needTorch(t)
	work := synthWork(t)
	if err := run(work, 6, 12, 1, 1); err != nil {
		t.Fatal(err)
	}
	// Two work directories over the same labels: checkpoints are per directory.
	dirs := [2]string{filepath.Join(work, "whole"), filepath.Join(work, "resumed")}
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(d, "out"), 0o755); err != nil {
			t.Fatal(err)
		}
		for _, f := range splitFiles {
			if err := os.Symlink(filepath.Join(work, f), filepath.Join(d, f)); err != nil {
				t.Fatal(err)
			}
		}
	}
	whole, resumed := filepath.Join(dirs[0], "out", "milo.safetensors"), filepath.Join(dirs[1], "out", "milo.safetensors")
	if log, err := trainScript(t, dirs[0], whole); err != nil {
		t.Fatalf("training: %v\n%s", err, log)
	}
	// Stage 1 alone (its checkpoint does not depend on stage 1b's settings), then the rest.
	if log, err := trainScript(t, dirs[1], resumed, "--type-steps", "0"); err != nil {
		t.Fatalf("stage 1: %v\n%s", err, log)
	}
	log, err := trainScript(t, dirs[1], resumed)
	if err != nil {
		t.Fatalf("resumed: %v\n%s", err, log)
	}
	if !strings.Contains(log, "resumed at step 60") {
		t.Fatalf("the second run did not resume from stage 1's checkpoint:\n%s", log)
	}
	if !bytes.Equal(readFile(t, whole), readFile(t, resumed)) {
		t.Error("weights of the resumed run differ from the uninterrupted run's")
	}
	for _, f := range []string{"milo.log.jsonl", "milo.val.json"} {
		a := withoutTimes(t, readFile(t, filepath.Join(dirs[0], "out", f)))
		b := withoutTimes(t, readFile(t, filepath.Join(dirs[1], "out", f)))
		if a != b {
			t.Errorf("%s differs after resuming:\n%s\nvs\n%s", f, a, b)
		}
	}

	// Other settings against that (stage 1b) checkpoint: refused, nothing written.
	before := readFile(t, resumed)
	if log, err := trainScript(t, dirs[1], resumed, "--type-lr", "1e-3"); err == nil || !strings.Contains(log, "written by another run") {
		t.Errorf("a checkpoint of other settings was not refused (err %v):\n%s", err, log)
	}
	if !bytes.Equal(readFile(t, resumed), before) {
		t.Error("the refused run changed the weights")
	}

	checkExport(t, work, whole, filepath.Join(dirs[0], "out", "milo.val.json"))
}

// checkExport scores every validation pair with the exported weights on
// vkpercept's CPU backend and compares the RMSE against the pseudo-MOS with
// the figure the script computed in PyTorch on the network it trained.
func checkExport(t *testing.T, work, weights, summary string) {
	t.Helper()
	w, err := metric.LoadWeights(weights)
	if err != nil {
		t.Fatal(err)
	}
	m, err := metric.NewMILO(w, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	var fig struct {
		Pairs int     `json:"val_pairs"`
		RMSE  float64 `json:"val_rmse_pmos"`
	}
	if err := json.Unmarshal(readFile(t, summary), &fig); err != nil {
		t.Fatal(err)
	}
	pix := readFile(t, filepath.Join(work, "val.u8"))
	pairs := readPairs(t, filepath.Join(work, "val.jsonl"))
	var sq float64
	for _, p := range pairs {
		r, err := m.Evaluate(trainset.Image(pix, p.RefOff, p.W, p.H), trainset.Image(pix, p.DistOff, p.W, p.H), false)
		if err != nil {
			t.Fatal(err)
		}
		sq += (r.MOS - p.PseudoMOS) * (r.MOS - p.PseudoMOS)
	}
	rmse := math.Sqrt(sq / float64(len(pairs)))
	if fig.Pairs != len(pairs) || math.Abs(rmse-fig.RMSE) > 1e-4 {
		t.Errorf("exported weights in Go: RMSE %.6f on %d pairs; the script reports %.6f on %d", rmse, len(pairs), fig.RMSE, fig.Pairs)
	}
	t.Logf("validation RMSE against the pseudo-MOS: %.6f in Go, %.6f in PyTorch", rmse, fig.RMSE)
}
