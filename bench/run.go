package bench

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/vkpercept/vkpercept/metric"
	"github.com/vkpercept/vkpercept/vk"
)

// result is one timed configuration, as a child prints it and the tables read it.
type result struct {
	Backend     string       `json:"backend"`
	Precision   string       `json:"precision,omitempty"`
	Device      string       `json:"device"`
	Width       int          `json:"width"`
	Height      int          `json:"height"`
	Batch       int          `json:"batch,omitempty"`
	Ms          float64      `json:"ms"` // per batch
	Score       float64      `json:"score"`
	DevicePeak  uint64       `json:"device_peak_bytes"`  // device-local memory (PyTorch: CUDA allocator)
	StagingPeak uint64       `json:"staging_peak_bytes"` // host-visible Vulkan memory
	HostPeak    uint64       `json:"host_peak_bytes"`    // the process's peak resident set
	Err         string       `json:"error,omitempty"`
	Repeat      int          `json:"repeat"`
	Threads     int          `json:"threads,omitempty"`
	CUDA        bool         `json:"cuda,omitempty"`
	Tol         float64      `json:"-"` // relative score tolerance against the CPU reference
	Metric      string       `json:"metric"`
	Steps       int          `json:"steps,omitempty"`
	DenoiserFr  float64      `json:"denoiser_fraction,omitempty"`
	Kernels     []kernelTime `json:"kernels,omitempty"`
	SessionMs   float64      `json:"session_ms,omitempty"` // one frame through metric.Session
}

// Main runs the benchmarks with command-line args. self is what re-runs this
// program as a child (its arguments before the flags: nil for vkbench,
// ["bench"] for vkpercept): every configuration runs in its own process, so
// that peak memory is its own.
func Main(args, self []string) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	child := fs.String("child", "", "internal: run one configuration (milo-vulkan, milo-cpu, iem-vulkan, iem-cpu)")
	ref := fs.String("ref", "", "internal")
	dist := fs.String("dist", "", "internal")
	prec := fs.String("precision", "fp32", "internal: the Vulkan child's variant")
	batch := fs.Int("batch", 1, "internal: the child's batch")
	budgetMiB := fs.Int("budget-mb", -1, "MILO Vulkan: the device memory a pass plans for, in MiB; larger frames run in row bands (0: no limit, one dispatch a layer and level; default: metric.DefaultBudget); rows on another budget than the default name it beside their precision")
	repeat := fs.Int("repeat", 0, "timed runs per configuration (default: on CPU devices 3, 1 at 1080p and above; on GPUs 20, within -repeat-seconds)")
	repeatS := fs.Float64("repeat-seconds", 0, "stop a configuration's timed runs once they took this long, after 3 (0: no cap; default 2 on GPUs)")
	deadline := fs.Duration("deadline", 0, "start no configuration after this long (0: none); the tables and -json hold what ran and name the rest")
	from := fs.String("from", "", "print the tables of earlier -json files (comma-separated, merged) instead of running")
	metrics := fs.String("metrics", "milo,iem", "which metrics to time")
	sizes := fs.String("sizes", "256x256,512x384,1920x1080,3840x2160", "MILO: comma-separated WxH list")
	batches := fs.String("batches", "1,4,16", "MILO: batch sizes")
	precisions := fs.String("precisions", "all", "MILO Vulkan variants: all the device supports, or a list of fp32, fp16, fp16-math, fp16-mma, fp16-mma-emu, fp32+fused, fp16+fused")
	backends := fs.String("backends", "vulkan,cpu,pytorch", "MILO: which backends to time")
	maxCPU := fs.Int("cpu-max-pixels", 2_100_000, "on CPU devices (lavapipe, the Go and PyTorch CPU backends) skip configurations of more pixels per batch than this; 0: no limit")
	iemSizes := fs.String("iem-sizes", "256x256,512x512", "IEM: comma-separated WxH list")
	iemSteps := fs.Int("iem-steps", 64, "IEM: noise levels")
	weights := fs.String("weights", "", "MILO.pth (default $VKPERCEPT_MILO_WEIGHTS or ../shared/milo/weights/MILO.pth)")
	python := fs.String("python", "/usr/bin/python3", "Python with torch for the PyTorch peer")
	jsonOut := fs.String("json", "", "also write the results as JSON here")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *budgetMiB < -1 {
		return fmt.Errorf("-budget-mb %d: want 0 (no limit) or more", *budgetMiB)
	}
	w := *weights
	if w == "" {
		w = os.Getenv("VKPERCEPT_MILO_WEIGHTS")
	}
	if w == "" {
		w = "../shared/milo/weights/MILO.pth"
	}
	t := timing{runs: max(*repeat, 1), seconds: *repeatS}
	switch {
	case strings.HasPrefix(*child, "milo-"):
		return runMILOChild(strings.TrimPrefix(*child, "milo-"), *prec, w, *ref, *dist, *batch, *budgetMiB, t)
	case strings.HasPrefix(*child, "iem-"):
		return runIEMChild(strings.TrimPrefix(*child, "iem-"), *ref, *dist, *iemSteps, t)
	case *child != "":
		return fmt.Errorf("unknown -child %q", *child)
	case *from != "":
		rows, err := loadRows(*from)
		if err != nil {
			return err
		}
		printAll(rows, nil)
		return nil
	}
	exe, err := os.Executable()
	if err != nil {
		return err
	}
	spawnSelf := func(extra ...string) (result, error) {
		return spawn(exe, append(append([]string{}, self...), extra...)...)
	}
	rs := &runs{jsonOut: *jsonOut}
	if *deadline > 0 {
		rs.deadline = time.Now().Add(*deadline)
	}
	if strings.Contains(*metrics, "milo") {
		cfg := miloConfig{weights: w, sizes: *sizes, batches: *batches, precisions: *precisions, backends: *backends,
			repeat: *repeat, repeatSeconds: *repeatS, python: *python, maxCPU: *maxCPU, budgetMiB: *budgetMiB}
		if err := runMILOAll(cfg, spawnSelf, rs); err != nil {
			return err
		}
	}
	if strings.Contains(*metrics, "iem") {
		if err := runIEMAll(*iemSizes, *iemSteps, timing{max(*repeat, 3), *repeatS}, spawnSelf, rs); err != nil {
			return err
		}
	}
	printAll(rs.rows, rs.skipped)
	return nil
}

// spawn runs a child command and adds its peak resident memory.
func spawn(name string, args ...string) (result, error) {
	return spawnEnv(nil, name, args...)
}

// spawnEnv is spawn with env added to the environment.
func spawnEnv(env []string, name string, args ...string) (result, error) {
	var out, errb bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if env != nil {
		cmd.Env = append(os.Environ(), env...)
	}
	if err := cmd.Run(); err != nil {
		// The whole of it to the log; one line to the table.
		os.Stderr.Write(errb.Bytes())
		return result{}, fmt.Errorf("%s: %v: %s", filepath.Base(name), err, gist(errb.String()))
	}
	var r result
	if err := json.Unmarshal(out.Bytes(), &r); err != nil {
		return result{}, fmt.Errorf("%s printed %q", name, out.String())
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		r.HostPeak = uint64(ru.Maxrss) * 1024
	}
	return r, nil
}

// gist is the line of a failed child's stderr that says why: a Go panic's
// first, else the last (a Python traceback ends with its exception).
func gist(stderr string) string {
	lines := strings.Split(strings.TrimSpace(stderr), "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "panic: ") {
			return l
		}
	}
	return strings.TrimSpace(lines[len(lines)-1])
}

func mb(b uint64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(b)/(1<<20))
}

// printRows prints one markdown row per result with its speed relative to the
// peer backend of the same size, and an optional extra column.
func printRows(all []result, peer, peerName, scoreName string, extra func(result) (string, string)) {
	extraHead, extraSep := "", ""
	if extra != nil {
		h, _ := extra(result{})
		extraHead, extraSep = " "+h+" |", "---:|"
	}
	fmt.Printf("| size | backend | device | ms/pair | vs %s | %s |%s host peak MB | device peak MB |\n", peerName, scoreName, extraHead)
	fmt.Printf("|---|---|---|---:|---:|---:|%s---:|---:|\n", extraSep)
	base := map[[2]int]float64{}
	for _, r := range all {
		if r.Backend == peer && r.Err == "" {
			base[[2]int{r.Width, r.Height}] = r.Ms
		}
	}
	for _, r := range all {
		size := fmt.Sprintf("%dx%d", r.Width, r.Height)
		if r.Err != "" {
			fmt.Printf("| %s | %s | error: %s | | | |%s | |\n", size, r.Backend, r.Err, strings.Repeat(" |", len(extraSep)/5))
			continue
		}
		ratio := "-"
		if t, ok := base[[2]int{r.Width, r.Height}]; ok {
			ratio = fmt.Sprintf("%.2fx", t/r.Ms)
		}
		cell := ""
		if extra != nil {
			_, v := extra(r)
			cell = " " + v + " |"
		}
		fmt.Printf("| %s | %s | %s | %.0f | %s | %.6g |%s %s | %s |\n", size, r.Backend, r.Device, r.Ms, ratio, r.Score, cell, mb(r.HostPeak), mb(r.DevicePeak))
	}
}

// writePair renders bench.Pair(w, h) into dir as two PNG files.
func writePair(dir string, w, h int) (string, string, error) {
	ref, dist := Pair(w, h)
	paths := [2]string{filepath.Join(dir, fmt.Sprintf("%dx%d_ref.png", w, h)), filepath.Join(dir, fmt.Sprintf("%dx%d_dist.png", w, h))}
	for i, img := range []*image.NRGBA{ref, dist} {
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			return "", "", err
		}
		if err := os.WriteFile(paths[i], buf.Bytes(), 0o644); err != nil {
			return "", "", err
		}
	}
	return paths[0], paths[1], nil
}

// childSetup loads a pair and opens the backend a child process times.
func childSetup(backend, refPath, distPath, cpuLabel string) (ref, dist metric.Image, ctx *vk.Context, dev string, err error) {
	if ref, err = metric.LoadImage(refPath); err != nil {
		return
	}
	if dist, err = metric.LoadImage(distPath); err != nil {
		return
	}
	dev = fmt.Sprintf("%s, %d threads", cpuLabel, runtime.GOMAXPROCS(0))
	if backend == "vulkan" {
		if ctx, err = vk.Open(vk.Options{Device: -1}); err != nil {
			return
		}
		dev = ctx.Info().Name
	}
	return
}

// forEachPair renders bench.Pair for each size of a "WxH,..." list into a
// temporary directory and calls run with the two PNG paths.
func forEachPair(sizes string, run func(w, h int, refPath, distPath string) error) error {
	tmp, err := os.MkdirTemp("", "vkbench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	for _, sz := range strings.Split(sizes, ",") {
		var w, h int
		if _, err := fmt.Sscanf(sz, "%dx%d", &w, &h); err != nil {
			return fmt.Errorf("size %q: want WxH", sz)
		}
		refPath, distPath, err := writePair(tmp, w, h)
		if err != nil {
			return err
		}
		if err := run(w, h, refPath, distPath); err != nil {
			return err
		}
	}
	return nil
}

// timing is how many timed runs a child makes: runs, or fewer once they
// have taken seconds (at least 3; 0: no cap), so that a GPU gets many runs
// of a fast configuration and few of a slow one within one lease.
type timing struct {
	runs    int
	seconds float64
}

// args are the child's flags for t.
func (t timing) args() []string {
	return []string{"-repeat", fmt.Sprint(t.runs), "-repeat-seconds", fmt.Sprint(t.seconds)}
}

// medianMs runs run as t says and returns the median wall time in ms and
// how many runs it took.
func medianMs(t timing, run func() error) (float64, int, error) {
	times := make([]float64, 0, t.runs)
	var spent float64
	for i := 0; i < max(t.runs, 1); i++ {
		if t.seconds > 0 && i >= 3 && spent >= t.seconds {
			break
		}
		t0 := time.Now()
		if err := run(); err != nil {
			return 0, 0, err
		}
		d := time.Since(t0)
		spent += d.Seconds()
		times = append(times, float64(d.Microseconds())/1000)
	}
	sort.Float64s(times)
	return times[len(times)/2], len(times), nil
}
