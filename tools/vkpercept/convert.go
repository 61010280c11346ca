package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/vkpercept/vkpercept/metric"
)

func cmdConvert(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("convert", flag.ContinueOnError)
	pos, err := parse(fs, args, 2, "IN OUT.safetensors")
	if err != nil {
		return err
	}
	w, err := metric.LoadWeights(pos[0])
	if err != nil {
		return err
	}
	data, err := w.Safetensors()
	if err != nil {
		return err
	}
	if err := writeAtomic(pos[1], data); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "wrote %s (%d-channel MILO, %d bytes)\n", pos[1], w.Channels, len(data))
	return nil
}
