// Command vkbench times the metrics: MILO on every Vulkan precision the
// device supports, the CPU backend and a PyTorch peer (tools/torchref,
// Debian's python3-torch) on the same machine, at several sizes and batches;
// IEM on Vulkan against the CPU backend. Each configuration runs in its own
// process so that peak memory is its own, and every score is checked against
// the CPU backend's. `vkpercept bench` runs the same code.
package main

import (
	"fmt"
	"os"

	"github.com/vkpercept/vkpercept/bench"
)

func main() {
	if err := bench.Main(os.Args[1:], nil); err != nil {
		fmt.Fprintln(os.Stderr, "vkbench:", err)
		os.Exit(1)
	}
}
