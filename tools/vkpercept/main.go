// Command vkpercept scores image quality with perceptual metrics on Vulkan.
//
//	vkpercept milo [flags] REF DIST   score a pair with MILO
//	vkpercept iem [flags] REF DIST    the information-estimation metric
//	vkpercept devices                 list Vulkan devices
//	vkpercept convert IN.pth OUT.safetensors
//	vkpercept bench [flags]           time the metrics against their peers
//	vkpercept distort --type T --level L --seed S IN OUT.png
//	vkpercept kernels [flags]         the compiler's statistics of MILO's pipelines
//	vkpercept selftest [flags]        check a device's results against the CPU backend
//	vkpercept ssim|msssim|gmsd|nlpd|haarpsi|deltae [--json] REF DIST
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/vkpercept/vkpercept/bench"
	"github.com/vkpercept/vkpercept/iqa"
)

const usage = `usage: vkpercept <command> [flags] [args]

commands:
  milo      score a reference/distorted pair with MILO
  iem       the information-estimation metric between two images
  devices   list the Vulkan devices and the one "auto" picks
  convert   convert MILO weights (.pth or safetensors) to safetensors
  bench     time MILO and IEM on every variant against the CPU backend and PyTorch
  distort   apply one of the reproducible distortions (--list shows them)
  kernels   build MILO's pipelines and print the device compiler's statistics
  selftest  check that a Vulkan device computes every variant right, against the CPU
  ssim, msssim, gmsd, nlpd, haarpsi, deltae
            classic full-reference metrics (the training teachers), CPU

Run "vkpercept <command> -h" for a command's flags.
`

// errUsage marks errors that should exit with status 2.
var errUsage = errors.New("usage")

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	var err error
	switch args[0] {
	case "milo":
		err = cmdMilo(args[1:], stdout, stderr)
	case "iem":
		err = cmdIEM(args[1:], stdout, stderr)
	case "devices":
		err = cmdDevices(args[1:], stdout)
	case "convert":
		err = cmdConvert(args[1:], stdout)
	case "bench":
		err = bench.Main(args[1:], []string{"bench"})
	case "distort":
		err = cmdDistort(args[1:], stdout, stderr)
	case "kernels":
		err = cmdKernels(args[1:], stdout, stderr)
	case "selftest":
		err = cmdSelftest(args[1:], stdout, stderr)
	case "-h", "--help", "help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		t, ok := iqa.Lookup(args[0])
		if !ok {
			fmt.Fprintf(stderr, "vkpercept: unknown command %q\n%s", args[0], usage)
			return 2
		}
		err = cmdTeacher(t, args[1:], stdout, stderr)
	}
	switch {
	case err == nil:
		return 0
	case errors.Is(err, flag.ErrHelp):
		return 0
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, "vkpercept:", err)
		return 2
	case errors.Is(err, errGate), errors.Is(err, errChecks):
		fmt.Fprintln(stderr, "vkpercept:", err)
		return 3
	default:
		fmt.Fprintln(stderr, "vkpercept:", err)
		return 1
	}
}

// parse parses flags that may come before, between or after the positional
// arguments, and checks the positional count.
func parse(fs *flag.FlagSet, args []string, want int, names string) ([]string, error) {
	pos, err := parseAll(fs, args)
	if err != nil {
		return nil, err
	}
	if len(pos) != want {
		return nil, fmt.Errorf("%w: %s takes %s (got %d arguments)", errUsage, fs.Name(), names, len(pos))
	}
	return pos, nil
}

// parseAll is parse without the count check.
func parseAll(fs *flag.FlagSet, args []string) ([]string, error) {
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return nil, err
			}
			return nil, fmt.Errorf("%w: %v", errUsage, err)
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	return pos, nil
}
