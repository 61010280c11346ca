package metric

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/sbinet/npyio"

	"github.com/vkpercept/vkpercept/internal/vktest"
	"github.com/vkpercept/vkpercept/vk"
)

// SharedEnv overrides where the reference checkpoints and golden files live.
const sharedEnv = "VKPERCEPT_SHARED"

var testCtx *vk.Context

func TestMain(m *testing.M) {
	vktest.Main(m, func(c *vk.Context) { testCtx = c })
}

// sharedPath finds a file under ../shared (beside the repository root) or
// $VKPERCEPT_SHARED. Missing data fails the test under CI and skips it elsewhere.
func sharedPath(t testing.TB, rel string) string {
	t.Helper()
	dir := os.Getenv(sharedEnv)
	if dir == "" {
		dir = "../../shared"
	}
	p := filepath.Join(dir, rel)
	if _, err := os.Stat(p); err != nil {
		if os.Getenv("CI") == "true" {
			t.Fatalf("reference data missing: %s (set %s)", p, sharedEnv)
		}
		t.Skipf("reference data missing: %s (set %s)", p, sharedEnv)
	}
	return p
}

type goldenCase struct {
	Name   string `json:"name"`
	Inputs struct {
		Kind    string `json:"kind"`
		Ref     string `json:"ref"`
		Dist    string `json:"dist"`
		Weights string `json:"weights"`
	} `json:"inputs"`
	Height   int     `json:"height"`
	Width    int     `json:"width"`
	Channels int     `json:"channels"`
	Score    float64 `json:"score"`
	Loss     float64 `json:"loss"`
	MOS      float64 `json:"mos"`
	QMap     string  `json:"qmap"`
	Mask     string  `json:"mask"`
	Grad     string  `json:"loss_grad_dist"` // d loss / d dist, C x H x W (some cases)
}

func goldenCases(t testing.TB) (string, []goldenCase) {
	p := sharedPath(t, "milo/golden/cases.json")
	raw, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Cases []goldenCase `json:"cases"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("%s: %v", p, err)
	}
	if len(doc.Cases) == 0 {
		t.Fatalf("%s lists no cases", p)
	}
	return filepath.Dir(p), doc.Cases
}

func readNpy(t testing.TB, path string) []float32 {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var v []float32
	if err := npyio.Read(f, &v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return v
}

// testMILO is MILO with random RGB weights (seed) on ctx (nil: the CPU),
// closed when the test ends.
func testMILO(t testing.TB, seed int64, ctx *vk.Context) *MILO {
	t.Helper()
	m, err := NewMILO(randomWeights(3, seed), ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(m.Close)
	return m
}
