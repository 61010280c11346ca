package main

import (
	"flag"
	"fmt"
	"io"

	"github.com/vkpercept/vkpercept/vk"
)

func cmdDevices(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("devices", flag.ContinueOnError)
	if _, err := parse(fs, args, 0, "no arguments"); err != nil {
		return err
	}
	devs, auto, err := vk.ListDevices()
	if err != nil {
		return err
	}
	if len(devs) == 0 {
		return fmt.Errorf("no Vulkan devices found")
	}
	for _, d := range devs {
		mark := " "
		if d.Index == auto {
			mark = "*"
		}
		compute := ""
		if !d.HasCompute {
			compute = " (no compute queue)"
		}
		fmt.Fprintf(stdout, "%s %d  %s  [%s, Vulkan %s]%s\n", mark, d.Index, d.Name, d.Type, d.APIVersion, compute)
	}
	fmt.Fprintf(stdout, "* = chosen by --backend auto (override with --device N or %s)\n", vk.DeviceEnv)
	return nil
}
