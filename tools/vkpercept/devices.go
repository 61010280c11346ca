package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"

	"github.com/vkpercept/vkpercept/vk"
)

func cmdDevices(args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("devices", flag.ContinueOnError)
	jsonOut := fs.Bool("json", false, "print the devices, their limits and features as JSON")
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
	if *jsonOut {
		return json.NewEncoder(stdout).Encode(map[string]any{"devices": devs, "auto": auto})
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
		f := d.Features
		tiles := "none"
		if f.MatrixTiles {
			api := "NV"
			if f.MatrixTileKHR {
				api = "KHR"
			}
			tiles = fmt.Sprintf("%s %dx%dx%d", api, f.MatrixTile[0], f.MatrixTile[1], f.MatrixTile[2])
			if f.PinnedSubgroups {
				tiles += fmt.Sprintf(" in subgroups of %d", d.Limits.TileSubgroupSize)
			}
		}
		fmt.Fprintf(stdout, "      fp16 arithmetic %v, 16-bit storage %v, cooperative matrix %v (fp16-mma tiles: %s), max workgroup %d, subgroup %d lanes (shuffles %v), timestamps %d bits\n",
			f.ShaderFloat16, f.Storage16Bit, f.CooperativeMatrix, tiles, d.Limits.MaxWorkgroupInvocations,
			d.Limits.SubgroupSize, f.SubgroupShuffle, d.Limits.TimestampValidBits)
	}
	fmt.Fprintf(stdout, "* = chosen by --backend auto (override with --device N or %s)\n", vk.DeviceEnv)
	return nil
}
