package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/vkpercept/vkpercept/metric"
)

// listedPair is one line of a --pairs file.
type listedPair struct {
	ref, dist string
	where     string // file:line, for errors
}

// readPairs reads a --pairs file: one "REF DIST" a line, split at a tab if
// the line has one, else at a comma, else at white space; blank lines and
// lines starting with # are skipped; relative paths are taken from the
// file's folder, so a list travels with its images.
func readPairs(path string) ([]listedPair, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	dir := filepath.Dir(path)
	var pairs []listedPair
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		var fields []string
		switch {
		case strings.Contains(line, "\t"):
			fields = strings.Split(line, "\t")
		case strings.Contains(line, ","):
			fields = strings.Split(line, ",")
		default:
			fields = strings.Fields(line)
		}
		where := fmt.Sprintf("%s:%d", path, n)
		if len(fields) != 2 || strings.TrimSpace(fields[0]) == "" || strings.TrimSpace(fields[1]) == "" {
			return nil, fmt.Errorf("%s: want REF and DIST, got %q", where, line)
		}
		p := listedPair{where: where}
		for i, dst := range []*string{&p.ref, &p.dist} {
			*dst = strings.TrimSpace(fields[i])
			if !filepath.IsAbs(*dst) {
				*dst = filepath.Join(dir, *dst)
			}
		}
		pairs = append(pairs, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if len(pairs) == 0 {
		return nil, fmt.Errorf("%s lists no pairs", path)
	}
	return pairs, nil
}

// loadedPair is a listed pair with its images decoded.
type loadedPair struct {
	p         listedPair
	ref, dist metric.Image
}

// inBatches hands score the list in order, up to batch consecutive pairs of
// one size at a time. Images are decoded by load on every core, ahead of
// the batch being filled by up to a batch or a pair a core, whichever is
// fewer, so the images in memory are those of a batch and that many pairs
// more. The first pair that cannot be read stops it with an error naming
// its line, as does score's error.
func inBatches(pairs []listedPair, batch int, load func(p listedPair) (ref, dist metric.Image, err error), score func(group []loadedPair) error) error {
	next, stop := prefetch(len(pairs), min(batch, runtime.GOMAXPROCS(0)), func(k int) (loadedPair, error) {
		p := pairs[k]
		ref, dist, err := load(p)
		if err != nil {
			return loadedPair{}, fmt.Errorf("%s: %w", p.where, err)
		}
		return loadedPair{p, ref, dist}, nil
	})
	defer stop()
	var carried *loadedPair // read while filling the last batch, of another size
	for more := true; more || carried != nil; {
		var group []loadedPair
		if carried != nil {
			group, carried = append(group, *carried), nil
		}
		for len(group) < batch {
			l, err, ok := next()
			if more = ok; !ok {
				break
			}
			if err != nil {
				return err
			}
			if len(group) > 0 && (l.ref.H != group[0].ref.H || l.ref.W != group[0].ref.W) {
				carried = &l
				break
			}
			group = append(group, l)
		}
		if len(group) == 0 {
			break
		}
		if err := score(group); err != nil {
			return err
		}
	}
	return nil
}

// scorePairs scores the list with MILO, a batch of pairs a submission
// (EvaluateBatch), and emits each pair's report (its share of the batch's
// time) as its batch completes, with its map's statistics when stats is set.
func scorePairs(m *metric.MILO, pairs []listedPair, batch int, latent bool, channels int, stats bool, emit func(miloReport) error) error {
	load := func(p listedPair) (metric.Image, metric.Image, error) {
		return loadPair(p.ref, p.dist, latent, channels)
	}
	return inBatches(pairs, batch, load, func(group []loadedPair) error {
		refs, dists := make([]metric.Image, len(group)), make([]metric.Image, len(group))
		for k, l := range group {
			refs[k], dists[k] = l.ref, l.dist
		}
		start := time.Now()
		res, err := m.EvaluateBatch(refs, dists, stats)
		if err != nil {
			return fmt.Errorf("%s: %w", group[0].p.where, err)
		}
		ms := float64(time.Since(start).Microseconds()) / 1000 / float64(len(group))
		for k, r := range res {
			rep, err := newReport(group[k].p.ref, group[k].p.dist, r, ms, stats)
			if err != nil {
				return fmt.Errorf("%s: %w", group[k].p.where, err)
			}
			if err := emit(rep); err != nil {
				return err
			}
		}
		return nil
	})
}

// listSummary gathers a list's reports for the closing line of the
// human-readable output: the dataset's mean score and MOS, and its worst pair.
type listSummary struct {
	n          int
	score, mos float64 // sums
	worst      miloReport
}

func (l *listSummary) add(rep miloReport) {
	if l.n == 0 || rep.Score > l.worst.Score {
		l.worst = rep
	}
	l.n++
	l.score += rep.Score
	l.mos += rep.MOS
}

func (l *listSummary) String() string {
	return fmt.Sprintf("MILO %d pairs: mean score %.6f  mean MOS %.3f  highest score %.6f (%s vs %s)",
		l.n, l.score/float64(l.n), l.mos/float64(l.n), l.worst.Score, l.worst.Dist, l.worst.Ref)
}
