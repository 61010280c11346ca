package bench

import (
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"

	"github.com/vkpercept/vkpercept/metric"
	"github.com/vkpercept/vkpercept/vk"
)

type miloConfig struct {
	weights, sizes, batches, precisions, backends, python string
	repeat, maxCPU                                        int
	budgetMiB                                             int // -1: the default
	repeatSeconds                                         float64
}

// runMILOChild times one backend (and precision) on a batch of copies of one
// pair and prints one JSON result.
func runMILOChild(backend, prec, weights, refPath, distPath string, batch, budgetMiB int, t timing) error {
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
	if ctx != nil {
		v, err := metric.ParseVariant(prec)
		if err != nil {
			return err
		}
		v.Apply(m)
		if budgetMiB >= 0 {
			m.Budget = int64(budgetMiB) << 20
		}
	}
	refs, dists := make([]metric.Image, batch), make([]metric.Image, batch)
	for i := range refs {
		refs[i], dists[i] = ref, dist
	}
	// Warm up at full size: pipelines compile and buffers are allocated here.
	res, err := m.EvaluateBatch(refs, dists, false)
	if err != nil {
		return err
	}
	ms, runs, err := medianMs(t, func() (err error) {
		res, err = m.EvaluateBatch(refs, dists, false)
		return err
	})
	if err != nil {
		return err
	}
	r := result{Metric: "milo", Backend: backend, Device: dev, Width: ref.W, Height: ref.H, Batch: batch, Ms: ms, Score: res[0].Score, Repeat: runs}
	if ctx == nil {
		return json.NewEncoder(os.Stdout).Encode(r)
	}
	r.Precision = prec + budgetLabel(budgetMiB)
	st := ctx.Stats()
	r.DevicePeak, r.StagingPeak = st.DevicePeakBytes, st.PeakBytes-st.DevicePeakBytes
	if batch == 1 {
		if r.Kernels, err = profileMILO(m, ctx, ref, dist); err != nil {
			return err
		}
		if r.SessionMs, err = timeSession(m, ref, dist, t); err != nil {
			return err
		}
	}
	return json.NewEncoder(os.Stdout).Encode(r)
}

// timeSession times frames through a Session as an engine sends them:
// RGBA8 pixels in (the bench pairs are 8-bit), three scalars out, nothing
// recorded per frame, two frames in flight (frame N+1 copied and queued
// while frame N computes): a timed run submits one frame and waits for the
// one before it, so its time is the steady frame period.
func timeSession(m *metric.MILO, ref, dist metric.Image, t timing) (float64, error) {
	s, err := m.NewSession(ref.H, ref.W, false, metric.RGBA8)
	if err != nil {
		return 0, err
	}
	defer s.Close()
	rgba := func(im metric.Image) metric.Frame {
		n := im.NRGBA()
		return metric.Frame{Format: metric.RGBA8, Bytes: n.Pix, Stride: n.Stride}
	}
	fr, fd := rgba(ref), rgba(dist)
	if _, err := s.Score(fr, fd); err != nil {
		return 0, err
	}
	if err := s.Submit(fr, fd); err != nil {
		return 0, err
	}
	t.runs = max(t.runs, 3)
	ms, _, err := medianMs(t, func() error {
		if err := s.Submit(fr, fd); err != nil {
			return err
		}
		_, err := s.Wait()
		return err
	})
	if _, werr := s.Wait(); err == nil {
		err = werr
	}
	return ms, err
}

// budgetLabel names a budget other than the default, for a row's precision
// column: on a GPU the fastest pass may be one that does not band (fewer
// dispatches and barriers), which an engine may choose to afford.
func budgetLabel(mib int) string {
	switch {
	case mib < 0 || int64(mib)<<20 == metric.DefaultBudget:
		return ""
	case mib == 0:
		return ", no budget"
	default:
		return fmt.Sprintf(", %d MiB budget", mib)
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// runMILOAll runs every size x batch x backend (x precision) in a child.
func runMILOAll(cfg miloConfig, spawnSelf func(...string) (result, error), rs *runs) error {
	precs := splitList(cfg.precisions)
	cpuDevice := true // lavapipe: the Vulkan device is the CPU too
	if ctx, err := vk.Open(vk.Options{Device: -1}); err == nil {
		info := ctx.Info()
		cpuDevice = info.Type == "cpu"
		if cfg.precisions == "all" {
			precs = precs[:0]
			for _, v := range metric.Variants(info.Features) {
				precs = append(precs, v.String())
			}
		}
		ctx.Close()
	}
	var batches []int
	for _, b := range splitList(cfg.batches) {
		var n int
		if _, err := fmt.Sscan(b, &n); err != nil || n < 1 {
			return fmt.Errorf("batch %q: want a positive integer", b)
		}
		batches = append(batches, n)
	}
	return forEachPair(cfg.sizes, func(w, h int, refPath, distPath string) error {
		var refScore float64
		var refName string
		for _, batch := range batches {
			if !rs.due(fmt.Sprintf("milo %dx%d batch %d", w, h, batch)) {
				continue
			}
			// On a CPU a large configuration's run takes seconds, so few
			// runs; on a GPU, many within a time cap.
			onCPU := cfg.timing(true, batch*w*h)
			onDevice := cfg.timing(cpuDevice, batch*w*h)
			tooBig := cfg.maxCPU > 0 && batch*w*h > cfg.maxCPU
			common := []string{"-weights", cfg.weights, "-ref", refPath, "-dist", distPath, "-batch", fmt.Sprint(batch)}
			vkArgs := onDevice.args()
			if cfg.budgetMiB >= 0 {
				vkArgs = append(vkArgs, "-budget-mb", fmt.Sprint(cfg.budgetMiB))
			}
			var rows []result
			// keep adds a child's rows and saves what ran so far, should the
			// run be cut short.
			keep := func(r ...result) error {
				rows = append(rows, r...)
				return rs.save(rows)
			}
			for _, backend := range splitList(cfg.backends) {
				var err error
				switch backend {
				case "cpu":
					if tooBig {
						continue
					}
					err = keep(child(spawnSelf, "cpu", "", "", w, h, batch, slices.Concat(common, onCPU.args())))
				case "vulkan":
					if tooBig && cpuDevice {
						continue
					}
					for _, p := range precs {
						if err = keep(child(spawnSelf, "vulkan", p, budgetLabel(cfg.budgetMiB), w, h, batch, slices.Concat(common, vkArgs))); err != nil {
							break
						}
					}
				case "pytorch":
					// Without a GPU for Vulkan there is none for CUDA either.
					if tooBig && cpuDevice {
						continue
					}
					err = keep(torchRows(cfg, refPath, distPath, w, h, batch, onDevice)...)
				default:
					return fmt.Errorf("unknown backend %q", backend)
				}
				if err != nil {
					return err
				}
			}
			// Every score against the CPU backend's (the fp32 Vulkan one where
			// the CPU backend was skipped): the same pair, batched or not.
			for _, r := range rows {
				if r.Err != "" {
					continue
				}
				if refName == "" && r.Backend == "cpu" {
					refScore, refName = r.Score, "CPU backend"
				}
			}
			for _, r := range rows {
				if base, _, _ := strings.Cut(r.Precision, ","); r.Err == "" && refName == "" && r.Backend == "vulkan" && base == "fp32" {
					refScore, refName = r.Score, "fp32 Vulkan"
				}
			}
			for i := range rows {
				r := &rows[i]
				tol := FP32ScoreTol
				if strings.HasPrefix(r.Precision, "fp16") {
					tol = Binary16ScoreTol
				}
				tol = max(tol, r.Tol)
				if r.Err == "" && refName != "" && math.Abs(r.Score-refScore) > tol*math.Abs(refScore) {
					r.Err = fmt.Sprintf("score %.6f disagrees with the %s's %.6f", r.Score, refName, refScore)
				}
			}
			if err := rs.add(rows...); err != nil {
				return err
			}
		}
		return nil
	})
}

// FP32ScoreTol and Binary16ScoreTol bound the relative error of a MILO
// score computed in fp32 or in a binary16 variant, against the CPU backend
// or fp32 Vulkan.
const (
	FP32ScoreTol     = 1e-4
	Binary16ScoreTol = 5e-3
)

// timing is how a configuration of px pixels a batch is timed on a CPU
// device or a GPU, unless -repeat (and -repeat-seconds) say otherwise.
func (cfg miloConfig) timing(cpu bool, px int) timing {
	t := timing{runs: cfg.repeat, seconds: cfg.repeatSeconds}
	switch {
	case t.runs > 0:
	case cpu && px >= 1920*1080:
		t.runs = 1
	case cpu:
		t.runs = 3
	default:
		t.runs = 20
		if t.seconds == 0 {
			t.seconds = 2
		}
	}
	return t
}

// child runs one configuration; label names a non-default budget in the row
// it makes when the child fails.
func child(spawnSelf func(...string) (result, error), backend, prec, label string, w, h, batch int, common []string) result {
	fmt.Fprintf(os.Stderr, "bench: milo %s %s %dx%d batch %d ...\n", backend, prec, w, h, batch)
	args := append([]string{"-child", "milo-" + backend}, common...)
	if prec != "" {
		args = append(args, "-precision", prec)
	}
	r, err := spawnSelf(args...)
	if err != nil {
		r = result{Metric: "milo", Backend: backend, Precision: prec + label, Width: w, Height: h, Batch: batch, Err: err.Error()}
	}
	return r
}

// torchEnv preloads tcmalloc for the PyTorch peer where it is installed, as
// PyTorch's CPU tuning guide recommends: on glibc malloc every op's output
// is page-faulted in afresh, which made MILO at 1080p 9x slower on our VM
// (12.8 s against 1.4 s). The rows' device column names the allocator.
func torchEnv() []string {
	for _, pattern := range []string{"/usr/lib/*/libtcmalloc_minimal.so.4", "/usr/lib/*/libtcmalloc.so.4", "/usr/lib/libtcmalloc_minimal.so.4", "/usr/lib64/libtcmalloc_minimal.so.4"} {
		if m, _ := filepath.Glob(pattern); len(m) > 0 {
			return []string{"LD_PRELOAD=" + m[0]}
		}
	}
	torchMallocOnce.Do(func() {
		fmt.Fprintln(os.Stderr, "bench: no tcmalloc found; PyTorch runs on glibc malloc, which page-faults every activation in afresh (tools/setup.sh --bench installs libtcmalloc-minimal4)")
	})
	return nil
}

var torchMallocOnce sync.Once

// torchRows runs the PyTorch peer: fp32 eager in both memory layouts, and
// on CUDA also TF32 and bf16 autocast (the table compares against the fastest).
func torchRows(cfg miloConfig, refPath, distPath string, w, h, batch int, t timing) []result {
	var rows []result
	// Both memory layouts: channels_last is PyTorch's fast path on the CPU.
	peers := [][]string{{}, {"--channels-last"}}
	for len(peers) > 0 {
		extra := peers[0]
		peers = peers[1:]
		name := "pytorch"
		if len(extra) > 0 {
			name = "pytorch " + strings.TrimPrefix(extra[len(extra)-1], "--")
		}
		fmt.Fprintf(os.Stderr, "bench: milo %s %dx%d batch %d ...\n", name, w, h, batch)
		args := append([]string{"tools/torchref/milo_torch.py", "--weights", cfg.weights, "--ref", refPath, "--dist", distPath,
			"--repeat", fmt.Sprint(t.runs), "--max-seconds", fmt.Sprint(t.seconds), "--batch", fmt.Sprint(batch)}, extra...)
		r, err := spawnEnv(torchEnv(), cfg.python, args...)
		if err != nil {
			r = result{Err: err.Error()}
		}
		r.Metric, r.Backend, r.Width, r.Height, r.Batch = "milo", name, w, h, batch
		switch {
		case strings.Contains(name, "tf32"):
			r.Tol = 3e-3 // TF32 keeps 10 mantissa bits
		case strings.Contains(name, "bf16"):
			r.Tol = 3e-2 // bf16 keeps 7
		}
		rows = append(rows, r)
		if r.CUDA && len(extra) == 0 {
			peers = append(peers, []string{"--tf32"}, []string{"--bf16"})
		}
	}
	return rows
}

// printMILOTable prints every row with its speed against the fastest PyTorch
// row of the same size and batch.
func printMILOTable(all []result) {
	fmt.Printf("| size | batch | backend | precision | device | ms/batch | ms/pair | GFLOP/s | session ms | vs PyTorch | score | device MB | staging MB | host MB |\n")
	fmt.Printf("|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n")
	best := map[[3]int]float64{}
	for _, r := range all {
		k := [3]int{r.Width, r.Height, r.Batch}
		if strings.HasPrefix(r.Backend, "pytorch") && r.Err == "" && (best[k] == 0 || r.Ms < best[k]) {
			best[k] = r.Ms
		}
	}
	for _, r := range all {
		size := fmt.Sprintf("%dx%d", r.Width, r.Height)
		if r.Err != "" {
			fmt.Printf("| %s | %d | %s | %s | error: %s | | | | | | | | | |\n", size, r.Batch, r.Backend, r.Precision, r.Err)
			continue
		}
		ratio, sess := "-", "-"
		if t := best[[3]int{r.Width, r.Height, r.Batch}]; t > 0 {
			ratio = fmt.Sprintf("%.2fx", t/r.Ms)
		}
		if r.SessionMs > 0 {
			sess = fmt.Sprintf("%.1f", r.SessionMs)
		}
		gflops := metric.Flops(3, r.Height, r.Width) * float64(max(r.Batch, 1)) / (r.Ms * 1e6)
		fmt.Printf("| %s | %d | %s | %s | %s | %.1f | %.1f | %.0f | %s | %s | %.6g | %s | %s | %s |\n", size, r.Batch, r.Backend, r.Precision, r.Device,
			r.Ms, r.Ms/float64(max(r.Batch, 1)), gflops, sess, ratio, r.Score, mb(r.DevicePeak), mb(r.StagingPeak), mb(r.HostPeak))
	}
	fmt.Printf("\n'vs PyTorch' is the fastest PyTorch row's time over this row's, same size and batch (above 1 = faster). " +
		"Median of the timed runs after a full-size warm-up; GFLOP/s is the mask network's arithmetic (metric.Flops: 240 GFLOP a 1080p pair) over that time; 'session ms' is the frame period of RGBA8 frame pairs through metric.Session, two in flight. " +
		"Device MB is device-local memory, staging MB host-visible Vulkan memory (uploads, read-backs, inputs unpacked from there a band at a time), host MB the process's peak RSS.\n")
}
