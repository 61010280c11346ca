// Command vkbench times the metrics per pair. MILO: on the Vulkan backend,
// the CPU backend and a PyTorch peer (tools/torchref, Debian's python3-torch)
// on the same machine. IEM: Vulkan against the CPU backend, with the share of
// time spent in the denoiser. Each configuration runs in its own process so
// that peak memory is its own, and every score is checked against the CPU
// backend's.
package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/vkpercept/vkpercept/bench"
	"github.com/vkpercept/vkpercept/metric"
	"github.com/vkpercept/vkpercept/vk"
)

type result struct {
	Backend    string       `json:"backend"`
	Device     string       `json:"device"`
	Width      int          `json:"width"`
	Height     int          `json:"height"`
	Ms         float64      `json:"ms"`
	Score      float64      `json:"score"`
	DevicePeak uint64       `json:"device_peak_bytes"`
	HostPeak   uint64       `json:"host_peak_bytes"`
	Err        string       `json:"error,omitempty"`
	Repeat     int          `json:"repeat"`
	Threads    int          `json:"threads,omitempty"`
	CUDA       bool         `json:"cuda,omitempty"`
	Tol        float64      `json:"-"` // relative score tolerance against the CPU reference
	Metric     string       `json:"metric"`
	Steps      int          `json:"steps,omitempty"`
	DenoiserFr float64      `json:"denoiser_fraction,omitempty"`
	Kernels    []kernelTime `json:"kernels,omitempty"`
}

func main() {
	child := flag.String("child", "", "internal: run one configuration (milo-vulkan, milo-cpu, iem-vulkan, iem-cpu)")
	ref := flag.String("ref", "", "internal")
	dist := flag.String("dist", "", "internal")
	repeat := flag.Int("repeat", 0, "timed runs per configuration (default 3, 1 at 1080p and above)")
	metrics := flag.String("metrics", "milo,iem", "which metrics to time")
	sizes := flag.String("sizes", "512x384,1920x1080", "MILO: comma-separated WxH list")
	iemSizes := flag.String("iem-sizes", "256x256,512x512", "IEM: comma-separated WxH list")
	iemSteps := flag.Int("iem-steps", 64, "IEM: noise levels")
	weights := flag.String("weights", "", "MILO.pth (default $VKPERCEPT_MILO_WEIGHTS or ../shared/milo/weights/MILO.pth)")
	python := flag.String("python", "/usr/bin/python3", "Python with torch for the PyTorch peer")
	jsonOut := flag.String("json", "", "also write the results as JSON here")
	flag.Parse()
	w := *weights
	if w == "" {
		w = os.Getenv("VKPERCEPT_MILO_WEIGHTS")
	}
	if w == "" {
		w = "../shared/milo/weights/MILO.pth"
	}
	var err error
	switch {
	case strings.HasPrefix(*child, "milo-"):
		err = runChild(strings.TrimPrefix(*child, "milo-"), w, *ref, *dist, max(*repeat, 1))
	case strings.HasPrefix(*child, "iem-"):
		err = runIEMChild(strings.TrimPrefix(*child, "iem-"), *ref, *dist, *iemSteps, max(*repeat, 1))
	case *child != "":
		err = fmt.Errorf("unknown -child %q", *child)
	default:
		var all []result
		if strings.Contains(*metrics, "milo") {
			var rows []result
			if rows, err = runAll(w, *sizes, *repeat, *python); err == nil {
				printTable(rows)
				all = append(all, rows...)
			}
		}
		if err == nil {
			printKernels(all)
		}
		if err == nil && strings.Contains(*metrics, "iem") {
			var rows []result
			if rows, err = runIEMAll(*iemSizes, *iemSteps, *repeat); err == nil {
				printIEMTable(rows, *iemSteps)
				all = append(all, rows...)
			}
		}
		if err == nil && *jsonOut != "" {
			data, _ := json.MarshalIndent(all, "", "  ")
			err = os.WriteFile(*jsonOut, data, 0o644)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "vkbench:", err)
		os.Exit(1)
	}
}

// runChild times one backend and prints one JSON result.
func runChild(backend, weights, refPath, distPath string, repeat int) error {
	w, err := metric.LoadWeights(weights)
	if err != nil {
		return err
	}
	ref, dist, ctx, dev, err := childSetup(backend, refPath, distPath, "Go CPU")
	if err != nil {
		return err
	}
	if ctx != nil {
		defer ctx.Close()
	}
	m, err := metric.NewMILO(w, ctx)
	if err != nil {
		return err
	}
	defer m.Close()
	// Warm up on a small crop: pipelines compile here, not in the timed runs.
	small := func(im metric.Image) metric.Image {
		out := metric.Image{C: im.C, H: 32, W: 32, Data: make([]float32, im.C*32*32)}
		for c := 0; c < im.C; c++ {
			for y := 0; y < 32; y++ {
				copy(out.Data[(c*32+y)*32:(c*32+y+1)*32], im.Data[(c*im.H+y)*im.W:(c*im.H+y)*im.W+32])
			}
		}
		return out
	}
	if _, err := m.Evaluate(small(ref), small(dist), false); err != nil {
		return err
	}
	var res *metric.Result
	ms, err := medianMs(repeat, func() (err error) {
		res, err = m.Evaluate(ref, dist, false)
		return err
	})
	if err != nil {
		return err
	}
	r := result{Metric: "milo", Backend: backend, Device: dev, Width: ref.W, Height: ref.H, Ms: ms, Score: res.Score, Repeat: repeat}
	if ctx != nil {
		r.DevicePeak = ctx.Stats().PeakBytes
		if r.Kernels, err = profileMILO(m, ctx, ref, dist); err != nil {
			return err
		}
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// spawn runs a child command and adds its peak resident memory.
func spawn(name string, args ...string) (result, error) {
	var out, errb bytes.Buffer
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return result{}, fmt.Errorf("%s: %v: %s", name, err, strings.TrimSpace(errb.String()))
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

func runAll(weights, sizes string, repeat int, python string) ([]result, error) {
	self, err := os.Executable()
	if err != nil {
		return nil, err
	}
	var all []result
	err = forEachPair(sizes, func(w, h int, refPath, distPath string) error {
		sz := fmt.Sprintf("%dx%d", w, h)
		rep := repeat
		if rep == 0 {
			rep = 3
			if w*h >= 1920*1080 {
				rep = 1
			}
		}
		var cpuScore float64
		for _, backend := range []string{"cpu", "vulkan"} {
			fmt.Fprintf(os.Stderr, "vkbench: %s %s ...\n", backend, sz)
			r, err := spawn(self, "-child", "milo-"+backend, "-weights", weights, "-ref", refPath, "-dist", distPath, "-repeat", fmt.Sprint(rep))
			if err != nil {
				r = result{Metric: "milo", Backend: backend, Width: w, Height: h, Err: err.Error()}
			}
			if backend == "cpu" {
				cpuScore = r.Score
			}
			all = append(all, r)
		}
		peers := [][]string{{}}
		for len(peers) > 0 {
			extra := peers[0]
			peers = peers[1:]
			name := "pytorch"
			if len(extra) > 0 {
				name = "pytorch-tf32"
			}
			fmt.Fprintf(os.Stderr, "vkbench: %s %s ...\n", name, sz)
			args := append([]string{"tools/torchref/milo_torch.py", "--weights", weights, "--ref", refPath, "--dist", distPath, "--repeat", fmt.Sprint(rep)}, extra...)
			r, err := spawn(python, args...)
			if err != nil {
				r = result{Err: err.Error()}
			}
			r.Metric, r.Backend, r.Width, r.Height, r.Repeat = "milo", name, w, h, rep
			if len(extra) > 0 {
				r.Tol = 3e-3 // TF32 keeps 10 mantissa bits
			}
			all = append(all, r)
			if r.CUDA && len(extra) == 0 {
				peers = append(peers, []string{"--tf32"})
			}
		}
		for i := range all {
			if all[i].Width == w && all[i].Height == h && all[i].Err == "" && cpuScore != 0 &&
				math.Abs(all[i].Score-cpuScore) > max(all[i].Tol, 1e-4)*math.Abs(cpuScore) {
				all[i].Err = fmt.Sprintf("score %.6f disagrees with the CPU reference %.6f", all[i].Score, cpuScore)
			}
		}
		return nil
	})
	return all, err
}

func mb(b uint64) string {
	if b == 0 {
		return "-"
	}
	return fmt.Sprintf("%.0f", float64(b)/(1<<20))
}

func printTable(all []result) {
	printRows(all, "pytorch", "PyTorch", "score", nil)
	fmt.Printf("\n'vs PyTorch' is PyTorch's time over this row's (above 1 = faster than PyTorch). Median of the timed runs, after a warm-up.\n")
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
	ref, dist := bench.Pair(w, h)
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

// medianMs runs run repeat times and returns the median wall time in ms.
func medianMs(repeat int, run func() error) (float64, error) {
	times := make([]float64, 0, repeat)
	for i := 0; i < repeat; i++ {
		t0 := time.Now()
		if err := run(); err != nil {
			return 0, err
		}
		times = append(times, float64(time.Since(t0).Microseconds())/1000)
	}
	sort.Float64s(times)
	return times[len(times)/2], nil
}
