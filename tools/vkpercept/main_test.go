package main

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"image"
	"image/png"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/vkpercept/vkpercept/metric"
)

func runCLI(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

// sharedWeights finds the authors' checkpoint beside the repository.
func sharedWeights(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("VKPERCEPT_SHARED")
	if dir == "" {
		dir = "../../../shared"
	}
	p := filepath.Join(dir, "milo", "weights", name)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("reference weights missing: %s", p)
		}
		t.Skipf("reference weights missing: %s", p)
	}
	return p
}

func writePNG(t *testing.T, path string, w, h int, shade uint8) {
	t.Helper()
	img := image.NewGray(image.Rect(0, 0, w, h))
	for i := range img.Pix {
		img.Pix[i] = shade + uint8(i%7)
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestMiloJSONOnExample(t *testing.T) {
	w := sharedWeights(t, "MILO.pth")
	dir := t.TempDir()
	mapPath, maskPath, npyPath := filepath.Join(dir, "map.png"), filepath.Join(dir, "mask.png"), filepath.Join(dir, "map.npy")
	code, out, errs := runCLI(t, "milo", "--weights", w, "--backend", "cpu", "--json",
		"--map", mapPath, "--mask", maskPath, "--map-npy", npyPath, "../../examples/ref.png", "../../examples/dist.png")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var rep map[string]any
	if err := json.Unmarshal([]byte(out), &rep); err != nil {
		t.Fatalf("not JSON: %q", out)
	}
	for _, k := range []string{"ref", "dist", "width", "height", "score", "loss", "mos", "backend", "device", "ms"} {
		if _, ok := rep[k]; !ok {
			t.Errorf("JSON lacks %q", k)
		}
	}
	if rep["width"].(float64) != 512 || rep["height"].(float64) != 384 || rep["backend"] != "cpu" {
		t.Errorf("report %v", rep)
	}
	score := rep["score"].(float64)
	if score <= 0 || score >= 1 {
		t.Errorf("score %g out of (0,1)", score)
	}
	for _, p := range []string{mapPath, maskPath} {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := png.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != 512 || cfg.Height != 384 {
			t.Errorf("%s: %v %+v", p, err, cfg)
		}
	}
	raw, err := os.ReadFile(npyPath)
	if err != nil || !bytes.Contains(raw[:128], []byte("'shape': (384, 512)")) || len(raw) < 4*384*512 {
		t.Fatalf("map .npy wrong: %v", err)
	}
	// The mean of the written map is the score.
	body := raw[len(raw)-4*384*512:]
	var sum float64
	for i := 0; i < len(body); i += 4 {
		sum += float64(math.Float32frombits(uint32(body[i]) | uint32(body[i+1])<<8 | uint32(body[i+2])<<16 | uint32(body[i+3])<<24))
	}
	if mean := sum / (384 * 512); math.Abs(mean-score) > 1e-6 {
		t.Errorf("map mean %g, score %g", mean, score)
	}
}

func TestMiloHumanLineOnVulkan(t *testing.T) {
	w := sharedWeights(t, "MILO.pth")
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png")
	writePNG(t, a, 24, 20, 10)
	writePNG(t, b, 24, 20, 40) // grayscale input becomes RGB
	code, out, errs := runCLI(t, "milo", "--backend", "vulkan", a, b, "--weights", w)
	if code != 0 || !strings.Contains(out, "score") || !strings.Contains(out, "vulkan") {
		t.Fatalf("exit %d, out %q, err %q", code, out, errs)
	}
}

// The variants score the example as the default does: fp16 within 1e-3,
// tiled (a 2 MiB budget) and fused at the fp32 tolerance.
func TestMiloVariantsOnVulkan(t *testing.T) {
	w := sharedWeights(t, "MILO.pth")
	score := func(extra ...string) float64 {
		args := append([]string{"milo", "--weights", w, "--backend", "vulkan", "--json"}, extra...)
		code, out, errs := runCLI(t, append(args, "../../examples/ref.png", "../../examples/dist.png")...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", extra, code, errs)
		}
		var rep struct{ Score float64 }
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("not JSON: %q", out)
		}
		return rep.Score
	}
	base := score()
	for _, v := range []struct {
		args []string
		tol  float64
	}{{[]string{"--precision", "fp16"}, 1e-3}, {[]string{"--budget-mb", "2"}, 1e-5}, {[]string{"--fused"}, 1e-5}} {
		if got := score(v.args...); math.Abs(got-base) > v.tol*base {
			t.Errorf("%v: score %.7f, default %.7f", v.args, got, base)
		}
	}
}

func TestMiloBadInput(t *testing.T) {
	dir := t.TempDir()
	good := randomWeightsFile(t, dir, 3)
	latentW := randomWeightsFile(t, dir, 4)
	a, small, other := filepath.Join(dir, "a.png"), filepath.Join(dir, "small.png"), filepath.Join(dir, "other.png")
	writePNG(t, a, 32, 32, 0)
	writePNG(t, small, 15, 32, 0)
	writePNG(t, other, 32, 33, 0)
	garbage := filepath.Join(dir, "garbage.png")
	os.WriteFile(garbage, []byte("not an image"), 0o644)
	notWeights := filepath.Join(dir, "w.pth")
	os.WriteFile(notWeights, []byte("nonsense"), 0o644)
	mapOut := filepath.Join(dir, "out.png")
	t.Setenv(weightsEnv, "")
	cases := []struct {
		args []string
		code int
		want string
	}{
		{[]string{"milo", "--latent", a, a}, 1, "no built-in weights for latents"},
		{[]string{"milo", "--weights", good, a, filepath.Join(dir, "missing.png")}, 1, "no such file"},
		{[]string{"milo", "--weights", good, a, garbage}, 1, "cannot decode"},
		{[]string{"milo", "--weights", good, a, other}, 1, "size mismatch"},
		{[]string{"milo", "--weights", good, small, small}, 1, "at least 16x16"},
		{[]string{"milo", "--weights", notWeights, a, a}, 1, "not a checkpoint"},
		{[]string{"milo", "--weights", latentW, a, a}, 1, "--latent"},
		{[]string{"milo", "--weights", good, "--latent", a, a}, 1, "latent checkpoint"},
		{[]string{"milo", "--weights", latentW, "--latent", a, a}, 1, "not a .npy"},
		{[]string{"milo", "--weights", good, "--backend", "gpu", a, a}, 2, "--backend"},
		{[]string{"milo", "--weights", good, a}, 2, "REF DIST"},
		{[]string{"milo", "--weights", good, "--map", mapOut, a, other}, 1, "size mismatch"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"milo", "--weights", good, "--precision", "fp8", a, a}, 2, "--precision"},
		{[]string{"milo", "--weights", good, "--backend", "cpu", "--precision", "fp16", a, a}, 1, "needs the Vulkan backend"},
		{[]string{"milo", "--weights", good, "--budget-mb", "-1", a, a}, 2, "--budget-mb"},
	}
	for _, tc := range cases {
		code, _, errs := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, errs, tc.code, tc.want)
		}
		if strings.Count(strings.TrimSpace(errs), "\n") > 0 && tc.code == 1 {
			t.Errorf("%v: error is not one line: %q", tc.args, errs)
		}
	}
	if _, err := os.Stat(mapOut); err == nil {
		t.Error("a failed run left an output map behind")
	}
}

func TestMiloVulkanUnavailable(t *testing.T) {
	dir := t.TempDir()
	good := randomWeightsFile(t, dir, 3)
	a := filepath.Join(dir, "a.png")
	writePNG(t, a, 16, 16, 0)
	t.Setenv("VKPERCEPT_DEVICE", "99")
	code, _, errs := runCLI(t, "milo", "--weights", good, "--backend", "vulkan", a, a)
	if code != 1 || !strings.Contains(errs, "device 99") {
		t.Errorf("--backend vulkan without the device: exit %d, %q", code, errs)
	}
	code, out, errs := runCLI(t, "milo", "--weights", good, a, a)
	if code != 0 || !strings.Contains(errs, "using the CPU backend") || !strings.Contains(out, "cpu") {
		t.Errorf("auto without the device: exit %d, out %q, err %q", code, out, errs)
	}
}

func TestConvertRoundTrip(t *testing.T) {
	w := sharedWeights(t, "MILO_latent.pth")
	out := filepath.Join(t.TempDir(), "latent.safetensors")
	code, msg, errs := runCLI(t, "convert", w, out)
	if code != 0 || !strings.Contains(msg, "4-channel") {
		t.Fatalf("exit %d: %s %s", code, msg, errs)
	}
	a, err := metric.LoadWeights(w)
	if err != nil {
		t.Fatal(err)
	}
	b, err := metric.LoadWeights(out)
	if err != nil {
		t.Fatal(err)
	}
	if a.Channels != b.Channels || a.Mask[1].W[100] != b.Mask[1].W[100] || a.Scaler.W1[5] != b.Scaler.W1[5] {
		t.Fatal("converted weights differ")
	}
}

func TestDevicesListsAuto(t *testing.T) {
	code, out, errs := runCLI(t, "devices")
	if code != 0 || !strings.Contains(out, "* ") {
		t.Fatalf("exit %d, %q %q", code, out, errs)
	}
}

func randomWeightsFile(t *testing.T, dir string, channels int) string {
	t.Helper()
	w := &metric.Weights{Channels: channels}
	in := 2*channels + 1
	for i, out := range []int{32, 64, 32, 16, 1} {
		w.Mask[i] = metric.Layer{W: fill(out*in*9, 0.01), B: fill(out, 0.01)}
		in = out
	}
	w.Scaler.W0, w.Scaler.B0, w.Scaler.W1 = fill(32, 0.1), fill(32, 0.1), fill(32*32, 0.01)
	w.Scaler.B1, w.Scaler.W2, w.Scaler.B2 = fill(32, 0.1), fill(32, 0.1), fill(1, 0.1)
	data, err := w.Safetensors()
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "w"+string(rune('0'+channels))+".safetensors")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func fill(n int, v float32) []float32 {
	s := make([]float32, n)
	for i := range s {
		s[i] = v * float32(i%5-2)
	}
	return s
}

// TestMain lets a test run the command in a fresh process (for settings that
// are fixed per process, such as which Vulkan loader is loaded).
func TestMain(m *testing.M) {
	if args := os.Getenv("VKPERCEPT_CLI_ARGS"); args != "" {
		os.Exit(run(strings.Split(args, "\x1f"), os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

func runFresh(t *testing.T, env []string, args ...string) (int, string, string) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(append(os.Environ(), "VKPERCEPT_CLI_ARGS="+strings.Join(args, "\x1f")), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code := 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatal(err)
	}
	return code, out.String(), errb.String()
}

func TestNoVulkanLoader(t *testing.T) {
	dir := t.TempDir()
	w := randomWeightsFile(t, dir, 3)
	a := filepath.Join(dir, "a.png")
	writePNG(t, a, 16, 16, 0)
	noLoader := []string{"VKPERCEPT_VULKAN_LIB=" + filepath.Join(dir, "libvulkan.so.1")}
	code, _, errs := runFresh(t, noLoader, "milo", "--backend", "vulkan", "--weights", w, a, a)
	if code != 1 || !strings.Contains(errs, "loader") {
		t.Errorf("--backend vulkan without a loader: exit %d, %q", code, errs)
	}
	code, out, errs := runFresh(t, noLoader, "milo", "--weights", w, "--json", a, a)
	if code != 0 || !strings.Contains(errs, "using the CPU backend") || !strings.Contains(out, `"backend":"cpu"`) {
		t.Errorf("auto without a loader: exit %d, out %q, err %q", code, out, errs)
	}
	code, _, errs = runFresh(t, noLoader, "devices")
	if code != 1 || !strings.Contains(errs, "loader") {
		t.Errorf("devices without a loader: exit %d, %q", code, errs)
	}
}

func TestIEMCommand(t *testing.T) {
	dir := t.TempDir()
	a, b, c := filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png"), filepath.Join(dir, "c.png")
	writePNG(t, a, 20, 12, 10)
	writePNG(t, b, 20, 12, 60)
	writePNG(t, c, 21, 12, 60)
	var got [2]float64
	for i, backend := range []string{"cpu", "vulkan"} {
		code, out, errs := runCLI(t, "iem", "--json", "--backend", backend, "--steps", "16", a, b)
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", backend, code, errs)
		}
		var rep map[string]any
		if err := json.Unmarshal([]byte(out), &rep); err != nil {
			t.Fatalf("not JSON: %q", out)
		}
		for _, k := range []string{"iem", "variant", "steps", "sigma_min", "sigma_max", "seed", "denoiser", "backend", "ms"} {
			if _, ok := rep[k]; !ok {
				t.Errorf("JSON lacks %q", k)
			}
		}
		if rep["steps"].(float64) != 16 || rep["sigma_min"].(float64) != 1 || rep["sigma_max"].(float64) != 1000 || rep["seed"].(float64) != 42 || rep["backend"] != backend {
			t.Errorf("report %v", rep)
		}
		got[i] = rep["iem"].(float64)
	}
	if got[0] <= 0 || math.Abs(got[0]-got[1]) > 1e-4*got[0] {
		t.Errorf("cpu %g, vulkan %g", got[0], got[1])
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"iem", a, c}, 1, "size mismatch"},
		{[]string{"iem", "--steps", "0", a, b}, 1, "steps"},
		{[]string{"iem", "--sigma-min", "0", a, b}, 1, "sigma_min"},
		{[]string{"iem", "--sigma-min", "2000", a, b}, 1, "sigma_min"},
		{[]string{"iem", "--denoiser", "bm3d", a, b}, 2, "unknown denoiser"},
		{[]string{"iem", "--variant", "cubic", a, b}, 2, "--variant"},
		{[]string{"iem", "--weights", "x.pth", a, b}, 1, "not supported"},
	} {
		code, _, errs := runCLI(t, tc.args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, %q; want %d mentioning %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}

func TestDistortWritesDeterministicPNG(t *testing.T) {
	dir := t.TempDir()
	a, b := filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png")
	args := []string{"distort", "--type", "jpeg", "--level", "4", "--seed", "3", "../../examples/ref.png"}
	for _, out := range []string{a, b} {
		if code, _, errs := runCLI(t, append(args, out)...); code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
	}
	da, _ := os.ReadFile(a)
	db, _ := os.ReadFile(b)
	if len(da) == 0 || !bytes.Equal(da, db) {
		t.Fatal("two runs wrote different files")
	}
	code, out, _ := runCLI(t, "distort", "--list")
	if code != 0 || !strings.Contains(out, "chroma_subsampling") || strings.Count(out, "\n") < 20 {
		t.Fatalf("--list: exit %d, %q", code, out)
	}
	for _, bad := range [][]string{
		{"distort", "--type", "nope", "../../examples/ref.png", a},
		{"distort", "--type", "jpeg", "--level", "9", "../../examples/ref.png", a},
		{"distort", "../../examples/ref.png", a},
	} {
		if code, _, errs := runCLI(t, bad...); code == 0 || errs == "" {
			t.Errorf("%v: exit %d, stderr %q", bad, code, errs)
		}
	}
}

func TestTeacherCommands(t *testing.T) {
	for _, name := range []string{"ssim", "msssim", "gmsd", "nlpd", "haarpsi", "deltae"} {
		code, out, errs := runCLI(t, name, "--json", "../../iqa/testdata/a_ref.png", "../../iqa/testdata/a_jpeg.png")
		if code != 0 {
			t.Fatalf("%s: exit %d: %s", name, code, errs)
		}
		var rep struct {
			Score  float64
			Metric string
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Metric != name || rep.Score <= 0 || (name != "deltae" && rep.Score >= 1) {
			t.Errorf("%s: %q (%v)", name, out, err)
		}
		if code, _, errs := runCLI(t, name, "../../iqa/testdata/a_ref.png", "../../iqa/testdata/b_ref.png"); code != 1 || !strings.Contains(errs, "size mismatch") {
			t.Errorf("%s on a size mismatch: exit %d, %q", name, code, errs)
		}
	}
}

// With no --weights and no environment variable the built-in weights score
// the example: the report names them, and the distorted pair rates below an
// identical one.
func TestMiloBuiltinWeights(t *testing.T) {
	t.Setenv(weightsEnv, "")
	mos := func(dist string) float64 {
		code, out, errs := runCLI(t, "milo", "--backend", "vulkan", "--json", "../../examples/ref.png", dist)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var rep struct {
			MOS     float64
			Weights string
		}
		if err := json.Unmarshal([]byte(out), &rep); err != nil || rep.Weights != "built-in" {
			t.Fatalf("report %q (%v)", out, err)
		}
		return rep.MOS
	}
	same, dist := mos("../../examples/ref.png"), mos("../../examples/dist.png")
	if same < 3.5 || dist >= same-0.5 || dist < 0 {
		t.Errorf("built-in MOS: identical pair %.3f, example pair %.3f", same, dist)
	}
}

// --pairs scores a list in order, batching consecutive pairs of one size,
// with the scores the one-pair command gives; a bad list names its line.
func TestMiloPairs(t *testing.T) {
	dir := t.TempDir()
	good := randomWeightsFile(t, dir, 3)
	for _, im := range []struct {
		name  string
		w, h  int
		shade uint8
	}{{"a.png", 32, 32, 0}, {"b.png", 32, 32, 40}, {"c.png", 40, 36, 10}, {"d.png", 40, 36, 60}} {
		writePNG(t, filepath.Join(dir, im.name), im.w, im.h, im.shade)
	}
	list := filepath.Join(dir, "pairs.txt")
	os.WriteFile(list, []byte("# ref dist\n\na.png b.png\na.png,a.png\nc.png\td.png\n  a.png   b.png  \n"), 0o644)
	want := [][2]string{{"a.png", "b.png"}, {"a.png", "a.png"}, {"c.png", "d.png"}, {"a.png", "b.png"}}
	code, out, errs := runCLI(t, "milo", "--weights", good, "--backend", "vulkan", "--json", "--batch", "2", "--pairs", list)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != len(want) {
		t.Fatalf("%d reports for %d pairs:\n%s", len(lines), len(want), out)
	}
	for i, line := range lines {
		var got miloReport
		if err := json.Unmarshal([]byte(line), &got); err != nil {
			t.Fatal(err)
		}
		ref, dist := filepath.Join(dir, want[i][0]), filepath.Join(dir, want[i][1])
		if got.Ref != ref || got.Dist != dist {
			t.Fatalf("report %d is for %s, %s; want %s, %s", i, got.Ref, got.Dist, ref, dist)
		}
		code, one, errs := runCLI(t, "milo", "--weights", good, "--backend", "vulkan", "--json", ref, dist)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		var single miloReport
		if err := json.Unmarshal([]byte(one), &single); err != nil {
			t.Fatal(err)
		}
		if math.Abs(got.Score-single.Score) > 1e-6 || math.Abs(got.MOS-single.MOS) > 1e-5 {
			t.Errorf("pair %d: listed %+v, alone %+v", i, got, single)
		}
	}
	bad := func(name, text string) string {
		p := filepath.Join(dir, name)
		os.WriteFile(p, []byte(text), 0o644)
		return p
	}
	for _, tc := range []struct {
		args []string
		code int
		want string
	}{
		{[]string{"--pairs", bad("one.txt", "a.png b.png\nc.png\n")}, 1, "one.txt:2: want REF and DIST"},
		{[]string{"--pairs", bad("missing.txt", "a.png nope.png\n")}, 1, "missing.txt:1"},
		{[]string{"--pairs", bad("mismatch.txt", "a.png b.png\na.png c.png\n")}, 1, "mismatch.txt:2: size mismatch"},
		{[]string{"--pairs", bad("empty.txt", "# nothing\n")}, 1, "lists no pairs"},
		{[]string{"--pairs", list, "a.png", "b.png"}, 2, "not REF DIST"},
		{[]string{"--pairs", list, "--map", filepath.Join(dir, "m.png")}, 2, "one pair"},
		{[]string{"--pairs", list, "--batch", "0"}, 2, "--batch"},
	} {
		args := append([]string{"milo", "--weights", good, "--backend", "vulkan"}, tc.args...)
		code, _, errs := runCLI(t, args...)
		if code != tc.code || !strings.Contains(errs, tc.want) {
			t.Errorf("%v: exit %d, stderr %q; want exit %d mentioning %q", tc.args, code, errs, tc.code, tc.want)
		}
	}
}

// --grad writes the library's gradient as a 3 x H x W .npy, only for one pair.
func TestMiloGradFile(t *testing.T) {
	dir := t.TempDir()
	a, b, g := filepath.Join(dir, "a.png"), filepath.Join(dir, "b.png"), filepath.Join(dir, "g.npy")
	writePNG(t, a, 24, 20, 10)
	writePNG(t, b, 24, 20, 40)
	if code, _, errs := runCLI(t, "milo", "--backend", "cpu", "--grad", g, a, b); code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	raw, err := os.ReadFile(g)
	if err != nil || !bytes.Contains(raw[:128], []byte("'shape': (3, 20, 24)")) || len(raw) < 4*3*20*24 {
		t.Fatalf("gradient .npy wrong: %v", err)
	}
	body := raw[len(raw)-4*3*20*24:]
	w, err := metric.DefaultWeights()
	if err != nil {
		t.Fatal(err)
	}
	m, err := metric.NewMILO(w, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ref, dist, err := loadPair(a, b, false, 3)
	if err != nil {
		t.Fatal(err)
	}
	_, want, err := m.LossGrad(ref, dist)
	if err != nil {
		t.Fatal(err)
	}
	nonzero := 0
	for i, v := range want {
		if got := math.Float32frombits(binary.LittleEndian.Uint32(body[4*i:])); got != v {
			t.Fatalf("value %d: file %g, library %g", i, got, v)
		}
		if v != 0 {
			nonzero++
		}
	}
	if nonzero == 0 {
		t.Error("the gradient is zero everywhere")
	}
	list := filepath.Join(dir, "pairs.txt")
	if err := os.WriteFile(list, []byte("a.png b.png\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, _, errs := runCLI(t, "milo", "--grad", g, "--pairs", list); code != 2 || !strings.Contains(errs, "--grad") {
		t.Errorf("--grad with --pairs: exit %d, %q", code, errs)
	}
}
