package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/vkpercept/vkpercept/iqa"
)

// cmdTeacher scores a pair with one classic metric, with milo's conventions.
func cmdTeacher(t iqa.Metric, args []string, stdout, stderr io.Writer) error {
	name := t.Name
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	asJSON := fs.Bool("json", false, "print one JSON object")
	fs.Usage = func() {
		fmt.Fprintf(stderr, "usage: vkpercept %s [--json] REF DIST\n%s.\n", name, t.About)
		fs.PrintDefaults()
	}
	pos, err := parse(fs, args, 2, "REF DIST")
	if err != nil {
		return err
	}
	ref, dist, err := loadPair(pos[0], pos[1], false, 3)
	if err != nil {
		return err
	}
	start := time.Now()
	v, err := t.Fn(ref, dist)
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	ms := float64(time.Since(start).Microseconds()) / 1000
	if *asJSON {
		return json.NewEncoder(stdout).Encode(map[string]any{"ref": pos[0], "dist": pos[1], "width": ref.W, "height": ref.H,
			"metric": name, "score": v, "backend": "cpu", "ms": ms})
	}
	fmt.Fprintf(stdout, "%s %s vs %s (%dx%d): %.6f  [cpu, %.1f ms]\n", name, pos[1], pos[0], ref.W, ref.H, v, ms)
	return nil
}
