package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/vkpercept/vkpercept/metric"
)

// WeightsEnv names the MILO checkpoint when --weights is not given.
const weightsEnv = "VKPERCEPT_MILO_WEIGHTS"

type miloReport struct {
	Ref     string  `json:"ref"`
	Dist    string  `json:"dist"`
	Width   int     `json:"width"`
	Height  int     `json:"height"`
	Score   float64 `json:"score"`
	Loss    float64 `json:"loss"`
	MOS     float64 `json:"mos"`
	Backend string  `json:"backend"`
	Device  string  `json:"device"`
	Weights string  `json:"weights"`
	Latent  bool    `json:"latent"`
	Ms      float64 `json:"ms"`
	// With a gate (--max-score, --min-mos, --max-p99): whether the pair
	// passed, and if not why.
	Pass   *bool  `json:"pass,omitempty"`
	Failed string `json:"failed,omitempty"`
	// With --stats or --max-p99: the quality map's distribution.
	Stats *metric.MapStats `json:"map_stats,omitempty"`
}

func cmdMilo(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("milo", flag.ContinueOnError)
	fs.SetOutput(stderr)
	weights := fs.String("weights", "", "MILO checkpoint (.pth or .safetensors); default $"+weightsEnv+", else the built-in weights (RGB)")
	latent := fs.Bool("latent", false, "REF and DIST are C x H x W float32 .npy VAE latents (MILO_latent weights)")
	backend := fs.String("backend", "auto", "auto, vulkan or cpu")
	device := fs.Int("device", -1, "Vulkan device index (see vkpercept devices); default automatic")
	asJSON := fs.Bool("json", false, "print one JSON object")
	mapOut := fs.String("map", "", "write the quality map as a magma PNG")
	maskOut := fs.String("mask", "", "write the mask as a 16-bit grayscale PNG (value/4)")
	mapNpy := fs.String("map-npy", "", "write the quality map as an H x W float32 .npy")
	gradOut := fs.String("grad", "", "write d loss / d DIST, the loss's gradient with respect to DIST, as a C x H x W float32 .npy (on the CPU whatever the backend)")
	precision := fs.String("precision", "fp32", "Vulkan precision: fp32, fp16 (binary16 activations), fp16-math (binary16 activations and arithmetic), fp16-mma (binary16 activations, convolutions on cooperative-matrix tiles: tensor cores), fp16-mma-emu (the same tiles emulated, for testing) or auto (fp16 where the device has 16-bit storage)")
	fused := fs.Bool("fused", false, "run the mask network as the fused short chain (Vulkan)")
	budget := fs.Int("budget-mb", metric.DefaultBudget>>20, "memory a pass plans for, in MiB: the device's, and --grad's working memory; larger images run in row bands (0: no limit)")
	pairsFile := fs.String("pairs", "", "score the pairs listed in `FILE` instead of REF DIST: one 'REF DIST' a line (split at a tab, else a comma, else spaces; # comments; paths relative to FILE's folder), a result line (or JSON object) a pair")
	batch := fs.Int("batch", 8, "with --pairs: consecutive pairs of one size scored in one submission")
	stats := fs.Bool("stats", false, "also report the quality map's median, p95, p99 and maximum (map_stats in the JSON): an artefact confined to a small region shows there while the mean, the score, hides it")
	var g gate
	g.flags(fs)
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: vkpercept milo [flags] REF DIST\n       vkpercept milo [flags] --pairs FILE\n"+
			"exit status: 0 done (every pair within the gate's bounds, where set), 1 error, 2 bad usage, 3 a pair failed the gate")
		fs.PrintDefaults()
	}
	pos, err := parseAll(fs, args)
	if err != nil {
		return err
	}
	maps := *mapOut != "" || *maskOut != "" || *mapNpy != ""
	withStats := *stats || g.maxP99 != nil
	switch {
	case *pairsFile == "" && len(pos) != 2:
		return fmt.Errorf("%w: milo takes REF DIST or --pairs FILE (got %d arguments)", errUsage, len(pos))
	case *pairsFile != "" && len(pos) != 0:
		return fmt.Errorf("%w: --pairs takes its pairs from the file, not REF DIST", errUsage)
	case *pairsFile != "" && (maps || *gradOut != ""):
		return fmt.Errorf("%w: --map, --mask, --map-npy and --grad are for one pair, not --pairs", errUsage)
	case *batch < 1:
		return fmt.Errorf("%w: --batch must be 1 or more", errUsage)
	}
	if *backend != "auto" && *backend != "vulkan" && *backend != "cpu" {
		return fmt.Errorf("%w: --backend must be auto, vulkan or cpu, not %q", errUsage, *backend)
	}
	wpath := miloWeightsPath(*weights)
	var w *metric.Weights
	switch {
	case wpath == "" && *latent:
		return fmt.Errorf("no built-in weights for latents: pass --weights MILO_latent.pth (the authors', Apache-2.0, GitHub ugurcogalan06/MILO, folder weights/) or set %s", weightsEnv)
	case wpath == "":
		wpath = metric.DefaultWeightsName
		w, err = metric.DefaultWeights()
	default:
		w, err = metric.LoadWeights(wpath)
	}
	if err != nil {
		return err
	}
	if *latent && w.Channels != 4 {
		return fmt.Errorf("%s: weights take %d-channel images; --latent needs the latent checkpoint (MILO_latent.pth)", wpath, w.Channels)
	}
	if !*latent && w.Channels != 3 {
		return fmt.Errorf("%s: weights are for %d-channel latents; pass --latent with .npy inputs", wpath, w.Channels)
	}
	var pairs []listedPair
	var ref, dist metric.Image
	if *pairsFile != "" {
		pairs, err = readPairs(*pairsFile)
	} else {
		ref, dist, err = loadPair(pos[0], pos[1], *latent, w.Channels)
	}
	if err != nil {
		return err
	}

	ctx, devName, err := openBackend(*backend, *device, stderr)
	if err != nil {
		return err
	}
	if ctx != nil {
		defer ctx.Close()
	}
	if *budget < 0 {
		return fmt.Errorf("%w: --budget-mb must be 0 or more", errUsage)
	}
	prec, err := metric.ParsePrecision(*precision, ctx)
	if err != nil {
		return fmt.Errorf("%w: --precision: %v", errUsage, err)
	}
	m, err := metric.NewMILO(w, ctx)
	if err != nil {
		return err
	}
	defer m.Close()
	m.Budget = int64(*budget) << 20
	if ctx != nil {
		m.Precision, m.Fused = prec, *fused
	} else if prec != metric.FP32 {
		return fmt.Errorf("--precision %s needs the Vulkan backend", prec)
	}
	emit := func(rep miloReport) error {
		rep.Backend, rep.Device, rep.Weights, rep.Latent = m.Backend(), devName, wpath, *latent
		g.check(&rep)
		if *asJSON {
			return json.NewEncoder(stdout).Encode(rep)
		}
		verdict := ""
		if st := rep.Stats; st != nil {
			verdict = fmt.Sprintf("  map p50 %.4f p95 %.4f p99 %.4f max %.4f", st.P50, st.P95, st.P99, st.Max)
		}
		switch {
		case rep.Failed != "":
			verdict += "  FAIL: " + rep.Failed
		case rep.Pass != nil:
			verdict += "  pass"
		}
		_, err := fmt.Fprintf(stdout, "MILO %s vs %s (%dx%d): score %.6f  loss %.6g  MOS %.3f  [%s on %s, %.1f ms]%s\n",
			rep.Dist, rep.Ref, rep.Width, rep.Height, rep.Score, rep.Loss, rep.MOS, rep.Backend, devName, rep.Ms, verdict)
		return err
	}
	if *pairsFile != "" {
		var sum listSummary
		each := func(rep miloReport) error {
			sum.add(rep)
			return emit(rep)
		}
		if err := scorePairs(m, pairs, *batch, *latent, w.Channels, withStats, each); err != nil {
			return err
		}
		if !*asJSON { // JSON lines stay one object a pair
			fmt.Fprintln(stdout, sum.String())
		}
		return g.err()
	}
	start := time.Now()
	res, err := m.Evaluate(ref, dist, maps || withStats)
	if err != nil {
		return err
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	var grad []float32
	if *gradOut != "" {
		if _, grad, err = m.LossGrad(ref, dist); err != nil {
			return err
		}
	}
	// The maps are written whatever the gate says: a failed CI run keeps them.
	if err := writeMaps(res, *mapOut, *maskOut, *mapNpy, *gradOut, grad, ref.C); err != nil {
		return err
	}
	rep, err := newReport(pos[0], pos[1], res, ms, withStats)
	if err == nil {
		err = emit(rep)
	}
	if err != nil {
		return err
	}
	return g.err()
}

// newReport is a pair's report, with its map's statistics when stats is set.
func newReport(ref, dist string, r *metric.Result, ms float64, stats bool) (miloReport, error) {
	rep := miloReport{Ref: ref, Dist: dist, Width: r.Width, Height: r.Height, Score: r.Score, Loss: r.Loss, MOS: r.MOS, Ms: ms}
	if stats {
		st, err := r.Stats()
		if err != nil {
			return rep, err
		}
		rep.Stats = &st
	}
	return rep, nil
}

// decodePair decodes a pair (images, or latents when latent) and checks
// that their sizes match.
func decodePair(refPath, distPath string, latent bool, channels int) (metric.Image, metric.Image, error) {
	load := func(p string) (metric.Image, error) {
		if latent {
			return metric.LoadLatent(p, channels)
		}
		return metric.LoadImage(p)
	}
	// The two decode at once (a CI gate's single pair waits on both).
	var dist metric.Image
	var distErr error
	done := make(chan struct{})
	go func() {
		defer close(done)
		dist, distErr = load(distPath)
	}()
	ref, err := load(refPath)
	<-done
	if err != nil {
		return ref, ref, err
	}
	if distErr != nil {
		return ref, dist, distErr
	}
	if ref.C != dist.C || ref.H != dist.H || ref.W != dist.W {
		return ref, dist, fmt.Errorf("size mismatch: %s is %dx%d, %s is %dx%d", refPath, ref.W, ref.H, distPath, dist.W, dist.H)
	}
	return ref, dist, nil
}

// loadPair is decodePair for MILO, which needs images of at least MinSize a side.
func loadPair(refPath, distPath string, latent bool, channels int) (metric.Image, metric.Image, error) {
	ref, dist, err := decodePair(refPath, distPath, latent, channels)
	if err != nil {
		return ref, dist, err
	}
	if ref.H < metric.MinSize || ref.W < metric.MinSize {
		return ref, dist, fmt.Errorf("%s is %dx%d; MILO needs at least %dx%d", refPath, ref.W, ref.H, metric.MinSize, metric.MinSize)
	}
	return ref, dist, nil
}

// writeMaps encodes every requested output first (grad: the C-channel
// gradient, when gradOut is set) and writes them only when all encoded.
func writeMaps(res *metric.Result, mapOut, maskOut, mapNpy, gradOut string, grad []float32, c int) error {
	type file struct {
		path string
		data []byte
	}
	var files []file
	if mapOut != "" {
		data, err := mapPNG(res.Map, res.Width, res.Height)
		if err != nil {
			return err
		}
		files = append(files, file{mapOut, data})
	}
	if maskOut != "" {
		data, err := maskPNG(res.Mask, res.Width, res.Height, metric.Levels)
		if err != nil {
			return err
		}
		files = append(files, file{maskOut, data})
	}
	if mapNpy != "" {
		files = append(files, file{mapNpy, npyBytes(res.Map, res.Height, res.Width)})
	}
	if gradOut != "" {
		files = append(files, file{gradOut, npyBytes(grad, c, res.Height, res.Width)})
	}
	for _, f := range files {
		if err := writeAtomic(f.path, f.data); err != nil {
			return err
		}
	}
	return nil
}

// miloWeightsPath is the checkpoint --weights names, else
// $VKPERCEPT_MILO_WEIGHTS; "" for the built-in weights.
func miloWeightsPath(flag string) string {
	if flag != "" {
		return flag
	}
	return os.Getenv(weightsEnv)
}
