// Command shadergen compiles every registered shader variant with glslc
// (optimised), validates it with spirv-val and writes shaders/spv/NAME.spv.
// With -check it compiles to a temporary directory and fails when any
// committed file differs, so CI catches stale SPIR-V.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"

	"github.com/vkpercept/vkpercept/shaders"
)

func main() {
	dir := flag.String("dir", "shaders", "directory holding the GLSL sources and spv/")
	checkOnly := flag.Bool("check", false, "fail if the committed SPIR-V is stale instead of writing it")
	flag.Parse()
	if err := run(*dir, *checkOnly); err != nil {
		fmt.Fprintln(os.Stderr, "shadergen:", err)
		os.Exit(1)
	}
}

func run(dir string, checkOnly bool) error {
	tmp, err := os.MkdirTemp("", "shadergen")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	stale := 0
	for _, v := range shaders.Variants {
		out := filepath.Join(tmp, v.Name+".spv")
		args := []string{"-O", "--target-env=vulkan1.1", "-I", dir, "-fshader-stage=compute", "-o", out}
		for _, d := range v.Defines {
			args = append(args, "-D"+d)
		}
		args = append(args, filepath.Join(dir, v.Source))
		if msg, err := exec.Command("glslc", args...).CombinedOutput(); err != nil {
			return fmt.Errorf("glslc %s: %v\n%s", v.Name, err, msg)
		}
		if msg, err := exec.Command("spirv-val", "--target-env", "vulkan1.1", out).CombinedOutput(); err != nil {
			return fmt.Errorf("spirv-val %s: %v\n%s", v.Name, err, msg)
		}
		code, err := os.ReadFile(out)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, "spv", v.Name+".spv")
		old, _ := os.ReadFile(dst)
		if bytes.Equal(old, code) {
			continue
		}
		if checkOnly {
			fmt.Fprintf(os.Stderr, "stale: %s\n", dst)
			stale++
			continue
		}
		if err := os.WriteFile(dst, code, 0o644); err != nil {
			return err
		}
		fmt.Println("wrote", dst)
	}
	if stale > 0 {
		return fmt.Errorf("%d committed SPIR-V files are stale: run make shaders", stale)
	}
	return nil
}
