package bench

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
)

// runs collects a benchmark's results. Each row is written to the -json
// file as it comes (the file whole, through a rename), so a run cut short,
// as by a lent GPU's time limit, keeps what it measured; past the deadline
// configurations are listed as not run instead of started.
type runs struct {
	rows     []result
	skipped  []string
	deadline time.Time // zero: none
	jsonOut  string
}

// due reports whether a configuration may start, and records it as not run
// where the deadline has passed.
func (r *runs) due(what string) bool {
	if !r.deadline.IsZero() && time.Now().After(r.deadline) {
		r.skipped = append(r.skipped, what)
		return false
	}
	return true
}

// add keeps a configuration's rows and rewrites the JSON file.
func (r *runs) add(rows ...result) error {
	r.rows = append(r.rows, rows...)
	return r.save(nil)
}

// save writes the kept rows and a configuration's rows so far (not yet
// checked against each other) to the JSON file, whole, through a rename.
func (r *runs) save(pending []result) error {
	if r.jsonOut == "" {
		return nil
	}
	data, err := json.MarshalIndent(slices.Concat([]result{}, r.rows, pending), "", "  ")
	if err != nil {
		return err
	}
	tmp := r.jsonOut + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return err
	}
	return os.Rename(tmp, r.jsonOut)
}

// loadRows reads and concatenates the rows of earlier -json files
// (comma-separated), for tables of runs made apart.
func loadRows(files string) ([]result, error) {
	var all []result
	for _, f := range strings.Split(files, ",") {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var rows []result
		if err := json.Unmarshal(data, &rows); err != nil {
			return nil, fmt.Errorf("%s: not a bench -json file: %v", filepath.Base(f), err)
		}
		all = append(all, rows...)
	}
	return all, nil
}

// printAll prints the tables of whatever rows there are, then what the
// deadline left out.
func printAll(all []result, skipped []string) {
	var milo, iem []result
	for _, r := range all {
		switch r.Metric {
		case "milo":
			milo = append(milo, r)
		case "iem":
			iem = append(iem, r)
		}
	}
	if len(milo) > 0 {
		printMILOTable(milo)
		printKernels(milo)
	}
	if len(iem) > 0 {
		printIEMTable(iem, iem[0].Steps)
	}
	if len(milo)+len(iem) == 0 {
		fmt.Println("No results.")
	}
	if len(skipped) > 0 {
		fmt.Printf("\nNot run (past the deadline): %s.\n", strings.Join(skipped, ", "))
	}
}
