// Command eval measures trained MILO weights on the validation pairs of
// tools/train/label: Spearman rank correlation of their MOS with the authors'
// weights' MOS (overall and per distortion type), each teacher's correlation
// with the pseudo-MOS and with the authors' MILO, and ours with each
// teacher. It prints a markdown table and writes it as JSON beside the weights.
// The authors' weights are only read here, never used to make labels.
package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/vkpercept/vkpercept/iqa"
	"github.com/vkpercept/vkpercept/metric"
	"github.com/vkpercept/vkpercept/tools/train/trainset"
	"github.com/vkpercept/vkpercept/vk"
)

type pair struct {
	RefOff  int64              `json:"ref_off"`
	DistOff int64              `json:"dist_off"`
	Width   int                `json:"w"`
	Height  int                `json:"h"`
	Source  string             `json:"source"`
	Crop    int                `json:"crop"`
	Type    string             `json:"type"`
	Scores  map[string]float64 `json:"scores"`
	PMOS    float64            `json:"pmos"`
}

func main() {
	work := flag.String("work", ".train", "work directory of tools/train/label")
	ours := flag.String("weights", "metric/defaultweights/milo.safetensors", "the trained weights")
	authors := flag.String("authors", "../shared/milo/weights/MILO.pth", "the authors' MILO.pth (evaluation only)")
	limit := flag.Int("limit", 0, "evaluate only the first N pairs (0: all)")
	out := flag.String("json", "", "write the figures here (default: beside the weights, .eval.json)")
	flag.Parse()
	if *out == "" {
		*out = strings.TrimSuffix(*ours, filepath.Ext(*ours)) + ".eval.json"
	}
	if err := run(*work, *ours, *authors, *limit, *out); err != nil {
		fmt.Fprintln(os.Stderr, "eval:", err)
		os.Exit(1)
	}
}

func run(work, oursPath, authorsPath string, limit int, out string) error {
	// Read once: parsed here, and hashed with the pixels for the authors' cache.
	jsonl, err := os.ReadFile(filepath.Join(work, "val.jsonl"))
	if err != nil {
		return fmt.Errorf("%w (run go run ./tools/train/label first)", err)
	}
	pairs, err := readPairs(jsonl, limit)
	if err != nil {
		return err
	}
	teachers, err := teachersOf(pairs)
	if err != nil {
		return err
	}
	pix, err := os.ReadFile(filepath.Join(work, "val.u8"))
	if err != nil {
		return err
	}
	ctx, err := vk.Open(vk.Options{Device: -1})
	if err != nil {
		ctx = nil // the CPU backend gives the same scores, slower
	}
	if ctx != nil {
		defer ctx.Close()
	}
	score := func(path string) ([]float64, error) {
		w, err := metric.LoadWeights(path)
		if err != nil {
			return nil, err
		}
		m, err := metric.NewMILO(w, ctx)
		if err != nil {
			return nil, err
		}
		defer m.Close()
		mos := make([]float64, len(pairs))
		for i, p := range pairs {
			r, err := m.Evaluate(trainset.Image(pix, p.RefOff, p.Width, p.Height), trainset.Image(pix, p.DistOff, p.Width, p.Height), false)
			if err != nil {
				return nil, err
			}
			mos[i] = r.MOS
		}
		return mos, nil
	}
	key, err := cacheKey(authorsPath, jsonl, pix, len(pairs))
	if err != nil {
		return err
	}
	cache := filepath.Join(work, "authors_mos.json")
	if limit > 0 {
		// A quick partial run must not evict the full run's cache (15 minutes of scoring).
		cache = filepath.Join(work, fmt.Sprintf("authors_mos.first%d.json", limit))
	}
	authMOS, cached, err := cachedMOS(cache, key, len(pairs), func() ([]float64, error) { return score(authorsPath) })
	if err != nil {
		return err
	}
	if cached {
		fmt.Fprintln(os.Stderr, "eval: the authors' MOS from", cache)
	}
	ourMOS, err := score(oursPath)
	if err != nil {
		return err
	}
	res := map[string]any{"pairs": len(pairs), "weights": oursPath}
	res["ours_vs_authors"] = spearman(ourMOS, authMOS)
	pmos := col(pairs, func(p pair) float64 { return p.PMOS })
	res["ours_vs_pseudo_mos"] = spearman(ourMOS, pmos)
	byType := map[string][]int{}
	for i, p := range pairs {
		byType[p.Type] = append(byType[p.Type], i)
	}
	// Per type, the three references against each other: where ours trails
	// the authors', these say whether the labels or the fit to them is short.
	perType := map[string]map[string]float64{
		"ours_vs_authors":       withinTypes(ourMOS, authMOS, byType),
		"pseudo_mos_vs_authors": withinTypes(pmos, authMOS, byType),
		"ours_vs_pseudo_mos":    withinTypes(ourMOS, pmos, byType),
	}
	// Plain mean |ref-dist|: what the network reduces to when its mask is
	// constant, so the baseline that says whether the mask learnt anything
	// (overall and within each type).
	l1 := make([]float64, len(pairs))
	for i, p := range pairs {
		l1[i] = -meanAbsDiff(pix, p)
	}
	perType["l1_vs_authors"] = withinTypes(l1, authMOS, byType)
	for k, v := range perType {
		res[k+"_per_type"] = v
	}
	crops := make([]string, len(pairs))
	for i, p := range pairs {
		crops[i] = fmt.Sprintf("%s#%d", p.Source, p.Crop)
	}
	ci := map[string][2]float64{}
	for t, idx := range byType {
		lo, hi := clusterInterval(ourMOS, authMOS, idx, crops, 0.9, 1000, 1)
		ci[t] = [2]float64{lo, hi}
	}
	res["ours_vs_authors_per_type_interval90"] = ci
	// agreement is one table row: a score's Spearman with the three references.
	agreement := func(v []float64) map[string]float64 {
		return map[string]float64{"vs_pseudo_mos": spearman(v, pmos), "vs_authors": spearman(v, authMOS), "vs_ours": spearman(v, ourMOS)}
	}
	tt := map[string]map[string]float64{}
	for _, t := range teachers {
		v := col(pairs, func(p pair) float64 {
			if t.Higher {
				return p.Scores[t.Name]
			}
			return -p.Scores[t.Name]
		})
		tt[t.Name] = agreement(v)
	}
	res["teachers"] = tt
	res["l1"] = agreement(l1)
	res["pseudo_mos_vs_authors"] = spearman(pmos, authMOS)
	data, _ := json.MarshalIndent(res, "", " ")
	if err := os.WriteFile(out, data, 0o644); err != nil {
		return err
	}
	printTable(res, teachers, perType, ci, tt)
	return nil
}

// teachersOf are the metrics that scored the labels (the keys of their
// scores), in package iqa's order, with their directions.
func teachersOf(pairs []pair) ([]iqa.Metric, error) {
	if len(pairs) == 0 {
		return nil, fmt.Errorf("no distorted validation pairs")
	}
	var out []iqa.Metric
	for _, m := range iqa.Metrics {
		if _, ok := pairs[0].Scores[m.Name]; ok {
			out = append(out, m)
		}
	}
	if len(out) != len(pairs[0].Scores) {
		return nil, fmt.Errorf("labels were scored by %d teachers, %d of them metrics of package iqa", len(pairs[0].Scores), len(out))
	}
	return out, nil
}

// withinTypes is the Spearman of a and b within each distortion type.
func withinTypes(a, b []float64, byType map[string][]int) map[string]float64 {
	out := map[string]float64{}
	for t, idx := range byType {
		out[t] = spearman(pick(a, idx), pick(b, idx))
	}
	return out
}

func printTable(res map[string]any, teachers []iqa.Metric, perType map[string]map[string]float64, ci map[string][2]float64, tt map[string]map[string]float64) {
	fmt.Printf("%d validation pairs. Spearman of our MILO's MOS with the authors' weights: %.3f (with the pseudo-MOS: %.3f)\n\n",
		res["pairs"], res["ours_vs_authors"], res["ours_vs_pseudo_mos"])
	fmt.Println("| teacher | vs pseudo-MOS | vs authors' MILO | vs our MILO |\n|---|---:|---:|---:|")
	row := func(name string, r map[string]float64) {
		fmt.Printf("| %s | %.3f | %.3f | %.3f |\n", name, r["vs_pseudo_mos"], r["vs_authors"], r["vs_ours"])
	}
	for _, t := range teachers {
		row(t.Name, tt[t.Name])
	}
	row("pseudo-MOS (the ensemble)", map[string]float64{"vs_pseudo_mos": 1, "vs_authors": res["pseudo_mos_vs_authors"].(float64), "vs_ours": res["ours_vs_pseudo_mos"].(float64)})
	row("mean abs difference (baseline)", res["l1"].(map[string]float64))
	fmt.Println("\n| distortion | ours vs authors | 90% interval | pseudo-MOS vs authors | ours vs pseudo-MOS | mean abs difference vs authors |\n|---|---:|---:|---:|---:|---:|")
	var types []string
	for t := range perType["ours_vs_authors"] {
		types = append(types, t)
	}
	sort.Strings(types)
	for _, t := range types {
		fmt.Printf("| %s | %.3f | %.3f–%.3f | %.3f | %.3f | %.3f |\n", t, perType["ours_vs_authors"][t], ci[t][0], ci[t][1],
			perType["pseudo_mos_vs_authors"][t], perType["ours_vs_pseudo_mos"][t], perType["l1_vs_authors"][t])
	}
}

func readPairs(jsonl []byte, limit int) ([]pair, error) {
	var out []pair
	sc := bufio.NewScanner(bytes.NewReader(jsonl))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var p pair
		if err := json.Unmarshal(sc.Bytes(), &p); err != nil {
			return nil, err
		}
		if p.Type == "" {
			continue // identical pairs carry no ranking information
		}
		out = append(out, p)
		if limit > 0 && len(out) == limit {
			break
		}
	}
	return out, sc.Err()
}

// meanAbsDiff is mean |ref-dist| of a pair's 8-bit crops, in [0,1] units.
func meanAbsDiff(pix []byte, p pair) float64 {
	n := int64(3 * p.Width * p.Height)
	var sum int64
	for i := int64(0); i < n; i++ {
		d := int64(pix[p.RefOff+i]) - int64(pix[p.DistOff+i])
		if d < 0 {
			d = -d
		}
		sum += d
	}
	return float64(sum) / float64(n) / 255
}

func col(ps []pair, f func(pair) float64) []float64 {
	out := make([]float64, len(ps))
	for i, p := range ps {
		out[i] = f(p)
	}
	return out
}

func pick(v []float64, idx []int) []float64 {
	out := make([]float64, len(idx))
	for i, j := range idx {
		out[i] = v[j]
	}
	return out
}

// spearman is the Pearson correlation of mid-ranks.
func spearman(a, b []float64) float64 {
	ra, rb := ranks(a), ranks(b)
	var ma, mb float64
	for i := range ra {
		ma += ra[i]
		mb += rb[i]
	}
	ma /= float64(len(ra))
	mb /= float64(len(rb))
	var sab, saa, sbb float64
	for i := range ra {
		sab += (ra[i] - ma) * (rb[i] - mb)
		saa += (ra[i] - ma) * (ra[i] - ma)
		sbb += (rb[i] - mb) * (rb[i] - mb)
	}
	if saa == 0 || sbb == 0 {
		return math.NaN()
	}
	return sab / math.Sqrt(saa*sbb)
}

func ranks(v []float64) []float64 {
	idx := make([]int, len(v))
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(i, j int) bool { return v[idx[i]] < v[idx[j]] })
	r := make([]float64, len(v))
	for i := 0; i < len(idx); {
		j := i
		for j+1 < len(idx) && v[idx[j+1]] == v[idx[i]] {
			j++
		}
		for k := i; k <= j; k++ {
			r[idx[k]] = float64(i+j) / 2
		}
		i = j + 1
	}
	return r
}
