package main

import (
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/vkpercept/vkpercept/distort"
	"github.com/vkpercept/vkpercept/metric"
)

// cmdDistort writes IN distorted by one type at one level as an 8-bit PNG.
func cmdDistort(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("distort", flag.ContinueOnError)
	fs.SetOutput(stderr)
	typ := fs.String("type", "", "distortion type (--list shows them)")
	level := fs.Int("level", 3, fmt.Sprintf("strength, 1 (mildest) to %d", distort.Levels))
	seed := fs.Int64("seed", 0, "seed of the seeded types (noise, jitter, directions)")
	fs.Bool("list", false, "list the types and exit")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: vkpercept distort --type T [--level L] [--seed S] IN OUT.png\n       vkpercept distort --list")
		fs.PrintDefaults()
	}
	for _, a := range args {
		if a == "--list" || a == "-list" {
			if err := fs.Parse(args); err != nil {
				return fmt.Errorf("%w: %v", errUsage, err)
			}
			for _, n := range distort.Types() {
				fmt.Fprintf(stdout, "%-22s %-12s %s\n", n, distort.Family(n), distort.About(n))
			}
			return nil
		}
	}
	pos, err := parse(fs, args, 2, "IN OUT.png")
	if err != nil {
		return err
	}
	if *typ == "" {
		return fmt.Errorf("%w: --type is required (one of %s)", errUsage, strings.Join(distort.Types(), ", "))
	}
	im, err := metric.LoadImage(pos[0])
	if err != nil {
		return err
	}
	out, err := distort.Apply(im, *typ, *level, *seed)
	if err != nil {
		return err
	}
	data, err := encodePNG(out.NRGBA())
	if err != nil {
		return err
	}
	return writeAtomic(pos[1], data)
}
