// Command shadergen compiles every registered shader variant with glslc
// (optimised), validates it with spirv-val and writes shaders/spv/NAME.spv.
// With -check it compiles to a temporary directory and fails when any
// committed file differs, so CI catches stale SPIR-V.
//
// Variants marked Coopmat need GL_KHR_cooperative_matrix, newer than
// Debian 12's glslang: they are compiled and validated by the tools that
// -coopmat-tools names (make coopmat-toolchain fetches Debian 13's). The
// compiler's version is kept in spv/coopmat.glslc; where the local one
// differs, -check compiles and validates those variants but cannot expect
// the same bytes, and says so.
package main

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/vkpercept/vkpercept/shaders"
)

func main() {
	dir := flag.String("dir", "shaders", "directory holding the GLSL sources and spv/")
	checkOnly := flag.Bool("check", false, "fail if the committed SPIR-V is stale instead of writing it")
	coopTools := flag.String("coopmat-tools", ".debroot/trixie/bin", "directory of the glslc and spirv-val for the Coopmat variants")
	flag.Parse()
	if err := run(*dir, *coopTools, *checkOnly); err != nil {
		fmt.Fprintln(os.Stderr, "shadergen:", err)
		os.Exit(1)
	}
}

// toolchain is a glslc and spirv-val pair.
type toolchain struct{ glslc, val string }

func (t toolchain) version() (string, error) {
	out, err := exec.Command(t.glslc, "--version").Output()
	if err != nil {
		return "", err
	}
	// "shaderc ...", "spirv-tools ...", "glslang ...", then the target.
	lines := strings.Split(strings.TrimSpace(string(out)), "\n")
	return strings.Join(lines[:min(3, len(lines))], "\n") + "\n", nil
}

func run(dir, coopTools string, checkOnly bool) error {
	tmp, err := os.MkdirTemp("", "shadergen")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)
	system := toolchain{"glslc", "spirv-val"}
	coop := toolchain{filepath.Join(coopTools, "glslc"), filepath.Join(coopTools, "spirv-val")}
	coopVersion, err := coop.version()
	if err != nil {
		return fmt.Errorf("the cooperative-matrix variants need glslang 13 or newer at %s (make coopmat-toolchain): %v", coop.glslc, err)
	}
	stampFile := filepath.Join(dir, "spv", "coopmat.glslc")
	stamp, _ := os.ReadFile(stampFile)
	coopSame := string(stamp) == coopVersion
	if checkOnly && !coopSame {
		fmt.Fprintf(os.Stderr, "shadergen: the Coopmat variants were compiled by\n%sand are checked here with\n%sso they are compiled and validated, not compared\n", stamp, coopVersion)
	}
	stale := 0
	for _, v := range shaders.Variants {
		tc := system
		if v.Coopmat {
			tc = coop
		}
		out := filepath.Join(tmp, v.Name+".spv")
		args := []string{"-O", "--target-env=vulkan1.1", "-I", dir, "-fshader-stage=compute", "-o", out}
		for _, d := range v.Defines {
			args = append(args, "-D"+d)
		}
		args = append(args, filepath.Join(dir, v.Source))
		if msg, err := exec.Command(tc.glslc, args...).CombinedOutput(); err != nil {
			return fmt.Errorf("glslc %s: %v\n%s", v.Name, err, msg)
		}
		if msg, err := exec.Command(tc.val, "--target-env", "vulkan1.1", out).CombinedOutput(); err != nil {
			return fmt.Errorf("spirv-val %s: %v\n%s", v.Name, err, msg)
		}
		code, err := os.ReadFile(out)
		if err != nil {
			return err
		}
		dst := filepath.Join(dir, "spv", v.Name+".spv")
		old, _ := os.ReadFile(dst)
		if bytes.Equal(old, code) || (checkOnly && v.Coopmat && !coopSame && len(old) > 0) {
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
	if !checkOnly && !coopSame {
		if err := os.WriteFile(stampFile, []byte(coopVersion), 0o644); err != nil {
			return err
		}
		fmt.Println("wrote", stampFile)
	}
	return nil
}
