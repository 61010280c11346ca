// Command debroot unpacks packages of another Debian suite, with everything
// they depend on, C library included, into a directory, and writes wrappers
// that run programs on that userland without installing it: the dynamic
// loader of the suite's glibc with the root's library directories.
//
// It exists for the cooperative-matrix kernels: Debian 12's glslang predates
// GL_KHR_cooperative_matrix and its lavapipe (Mesa 22.3) lacks
// VK_KHR_cooperative_matrix, which Debian 13's shaderc and Debian testing's
// Mesa (26) have. `make coopmat-toolchain` and `make coopmat-driver` call it.
//
//	debroot -suite trixie -dir .debroot/trixie glslc spirv-tools
//
// writes .debroot/trixie/bin/glslc and bin/spirv-val (one per program the
// packages install in usr/bin), and bin/run, which runs any program on the
// root's libraries with the root's Vulkan drivers and layers. Every
// .deb is checked against the suite's SHA256; a root already made from the
// same package versions is reused.
package main

import (
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

func main() {
	suite := flag.String("suite", "trixie", "Debian suite to take the packages from; a comma-separated list is tried in order (the first that holds them all)")
	dir := flag.String("dir", "", "directory for the root (made if missing)")
	mirror := flag.String("mirror", "http://deb.debian.org/debian", "Debian mirror")
	flag.Parse()
	if *dir == "" || flag.NArg() == 0 {
		fmt.Fprintln(os.Stderr, "usage: debroot -suite SUITE -dir DIR PACKAGE...")
		os.Exit(2)
	}
	if err := run(*mirror, *suite, *dir, flag.Args()); err != nil {
		fmt.Fprintln(os.Stderr, "debroot:", err)
		os.Exit(1)
	}
}

func run(mirror, suites, dir string, want []string) error {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	// A package can leave a testing suite for a while (a release-critical
	// bug): the next suite of the list then serves.
	var suite string
	var pkgs []*pkg
	for _, suite = range strings.Split(suites, ",") {
		var index *index
		if index, err = fetchIndex(mirror, suite); err == nil {
			if pkgs, err = index.closure(want); err == nil {
				break
			}
		}
		fmt.Fprintf(os.Stderr, "debroot: %s: %v\n", suite, err)
	}
	if err != nil {
		// Offline, or the suites changed under us: a root made before
		// still serves (make shaders need not reach the mirror).
		if _, serr := os.Stat(filepath.Join(dir, "stamp")); serr == nil {
			fmt.Fprintf(os.Stderr, "debroot: keeping %s as it is\n", dir)
			return nil
		}
		return fmt.Errorf("could not get %s from %s (above, why)", strings.Join(want, ", "), suites)
	}
	stamp := stampOf(suite, pkgs)
	if old, err := os.ReadFile(filepath.Join(dir, "stamp")); err == nil && string(old) == stamp {
		fmt.Printf("debroot: %s is current (%d packages of %s)\n", dir, len(pkgs), suite)
		return nil
	}
	// A new root is built beside the old one and swapped in whole, so a
	// failed run leaves the previous root (or none), never half of one.
	tmp := dir + ".new"
	if err := os.RemoveAll(tmp); err != nil {
		return err
	}
	debs := filepath.Join(filepath.Dir(dir), ".debs")
	for _, d := range []string{debs, filepath.Join(tmp, "root")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	for _, p := range pkgs {
		file, err := fetchDeb(mirror, debs, p)
		if err != nil {
			return err
		}
		if msg, err := exec.Command("dpkg-deb", "-x", file, filepath.Join(tmp, "root")).CombinedOutput(); err != nil {
			return fmt.Errorf("dpkg-deb -x %s: %v\n%s", file, err, msg)
		}
	}
	if err := writeWrappers(tmp, dir); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(tmp, "stamp"), []byte(stamp), 0o644); err != nil {
		return err
	}
	if err := os.RemoveAll(dir); err != nil {
		return err
	}
	if err := os.Rename(tmp, dir); err != nil {
		return err
	}
	fmt.Printf("debroot: %s holds %d packages of %s\n", dir, len(pkgs), suite)
	return nil
}

// stampOf names a root by its suite and exact package versions.
func stampOf(suite string, pkgs []*pkg) string {
	var b strings.Builder
	fmt.Fprintln(&b, suite)
	for _, p := range pkgs {
		fmt.Fprintln(&b, p.name, p.version)
	}
	return b.String()
}

// writeWrappers writes bin/run and one wrapper per program in usr/bin, with
// the final directory's absolute paths.
func writeWrappers(tmp, final string) error {
	root := filepath.Join(final, "root")
	if strings.Contains(root, ":") {
		return fmt.Errorf("%s: the dynamic loader's library path cannot hold a ':'", root)
	}
	libs := strings.Join([]string{
		root + "/usr/lib/x86_64-linux-gnu", root + "/lib/x86_64-linux-gnu",
	}, ":")
	ldso := root + "/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2"
	if _, err := os.Stat(filepath.Join(tmp, "root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2")); err != nil {
		return fmt.Errorf("the packages hold no x86-64 dynamic loader (is libc6 among them?): %w", err)
	}
	bin := filepath.Join(tmp, "bin")
	if err := os.MkdirAll(bin, 0o755); err != nil {
		return err
	}
	// Drivers from the root only (the root's loader would find the
	// system's too, built for another glibc).
	icds, _ := filepath.Glob(filepath.Join(tmp, "root/usr/share/vulkan/icd.d/lvp_icd*.json"))
	var env string
	if len(icds) > 0 {
		env = fmt.Sprintf("export VK_DRIVER_FILES=%s\n", quote(filepath.Join(root, "usr/share/vulkan/icd.d", filepath.Base(icds[0]))))
	}
	// Likewise the root's layers, where it has them (the validation layer
	// must know the SPIR-V the root's tools write).
	if _, err := os.Stat(filepath.Join(tmp, "root/usr/share/vulkan/explicit_layer.d")); err == nil {
		env += fmt.Sprintf("export VK_LAYER_PATH=%s\n", quote(filepath.Join(root, "usr/share/vulkan/explicit_layer.d")))
	}
	runScript := fmt.Sprintf("#!/bin/sh\n# Runs a program on the libraries of %s (tools/debroot).\n%sexec %s --library-path %s \"$@\"\n", root, env, quote(ldso), quote(libs))
	if err := os.WriteFile(filepath.Join(bin, "run"), []byte(runScript), 0o755); err != nil {
		return err
	}
	if err := writeRADVWrapper(tmp, bin, root, ldso, libs, env); err != nil {
		return err
	}
	progs, _ := os.ReadDir(filepath.Join(tmp, "root/usr/bin"))
	for _, p := range progs {
		if p.IsDir() {
			continue
		}
		script := fmt.Sprintf("#!/bin/sh\nexec %s %s \"$@\"\n", quote(filepath.Join(final, "bin/run")), quote(filepath.Join(root, "usr/bin", p.Name())))
		if err := os.WriteFile(filepath.Join(bin, p.Name()), []byte(script), 0o755); err != nil {
			return err
		}
	}
	return nil
}

// writeRADVWrapper writes bin/run-radv where the root has RADV and Mesa's
// no-op amdgpu DRM shim (package mesa-drm-shim): it runs a program on a
// made-up AMD GPU (AMDGPU_GPU_ID, navi31 unless set), whose pipelines the
// real compiler builds but whose submissions do nothing.
func writeRADVWrapper(tmp, bin, root, ldso, libs, env string) error {
	const shim = "usr/lib/x86_64-linux-gnu/libamdgpu_noop_drm_shim.so"
	icds, _ := filepath.Glob(filepath.Join(tmp, "root/usr/share/vulkan/icd.d/radeon_icd*.json"))
	if _, err := os.Stat(filepath.Join(tmp, "root", shim)); err != nil || len(icds) == 0 {
		return nil
	}
	// The layers as in run, the driver RADV's.
	var layers string
	for _, l := range strings.Split(env, "\n") {
		if strings.HasPrefix(l, "export VK_LAYER_PATH=") {
			layers = l + "\n"
		}
	}
	script := fmt.Sprintf("#!/bin/sh\n# Runs a program on the RADV of %s over Mesa's no-op amdgpu DRM shim:\n"+
		"# a made-up AMD GPU whose pipelines compile and whose submissions do nothing (tools/debroot).\n"+
		"export VK_DRIVER_FILES=%s\n%sexport AMDGPU_GPU_ID=\"${AMDGPU_GPU_ID:-navi31}\"\nexec %s --preload %s --library-path %s \"$@\"\n",
		root, quote(filepath.Join(root, "usr/share/vulkan/icd.d", filepath.Base(icds[0]))), layers,
		quote(ldso), quote(filepath.Join(root, shim)), quote(libs))
	return os.WriteFile(filepath.Join(bin, "run-radv"), []byte(script), 0o755)
}

// quote makes s one word for sh.
func quote(s string) string { return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'" }

var client = &http.Client{Timeout: 10 * time.Minute}

// get fetches url, trying three times over a few seconds (mirrors and
// networks hiccup); a 404 is final.
func get(url string) (io.ReadCloser, error) {
	var err error
	for try := 0; try < 3; try++ {
		if try > 0 {
			time.Sleep(time.Duration(try) * 2 * time.Second)
		}
		var resp *http.Response
		if resp, err = client.Get(url); err != nil {
			continue
		}
		if resp.StatusCode == http.StatusOK {
			return resp.Body, nil
		}
		resp.Body.Close()
		err = fmt.Errorf("GET %s: %s", url, resp.Status)
		if resp.StatusCode == http.StatusNotFound {
			break
		}
	}
	return nil, err
}

// fetchDeb downloads p into dir (kept as a cache) and checks its SHA256.
func fetchDeb(mirror, dir string, p *pkg) (string, error) {
	file := filepath.Join(dir, filepath.Base(p.filename))
	if sum, err := fileSHA256(file); err == nil && sum == p.sha256 {
		return file, nil
	}
	body, err := get(mirror + "/" + p.filename)
	if err != nil {
		return "", err
	}
	defer body.Close()
	tmp := file + ".part"
	f, err := os.Create(tmp)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	if _, err := io.Copy(io.MultiWriter(f, h), body); err != nil {
		f.Close()
		os.Remove(tmp)
		return "", fmt.Errorf("%s: %w", p.filename, err)
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != p.sha256 {
		os.Remove(tmp)
		return "", fmt.Errorf("%s: SHA256 %s, the suite's index says %s", p.filename, got, p.sha256)
	}
	return file, os.Rename(tmp, file)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// pkg is one binary package of the suite's index.
type pkg struct {
	name, version, filename, sha256 string
	deps                            [][]string // each a list of alternatives
}

type index struct {
	pkgs     map[string]*pkg
	provides map[string]string // virtual package -> first provider
}

func fetchIndex(mirror, suite string) (*index, error) {
	body, err := get(fmt.Sprintf("%s/dists/%s/main/binary-amd64/Packages.gz", mirror, suite))
	if err != nil {
		return nil, err
	}
	defer body.Close()
	zr, err := gzip.NewReader(body)
	if err != nil {
		return nil, fmt.Errorf("%s's package index: %w", suite, err)
	}
	return parseIndex(zr)
}

// parseIndex reads a Packages file: stanzas of "Field: value" lines.
func parseIndex(r io.Reader) (*index, error) {
	ix := &index{pkgs: map[string]*pkg{}, provides: map[string]string{}}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	fields := map[string]string{}
	flush := func() {
		name := fields["Package"]
		if name != "" && ix.pkgs[name] == nil {
			p := &pkg{name: name, version: fields["Version"], filename: fields["Filename"], sha256: fields["SHA256"]}
			for _, f := range []string{"Pre-Depends", "Depends"} {
				p.deps = append(p.deps, parseDeps(fields[f])...)
			}
			ix.pkgs[name] = p
			for _, alt := range parseDeps(fields["Provides"]) {
				if _, ok := ix.provides[alt[0]]; !ok {
					ix.provides[alt[0]] = name
				}
			}
		}
		clear(fields)
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case line == "":
			flush()
		case line[0] == ' ' || line[0] == '\t':
			// A continuation (descriptions): not needed.
		default:
			if k, v, ok := strings.Cut(line, ": "); ok {
				fields[k] = v
			}
		}
	}
	flush()
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("package index: %w", err)
	}
	if len(ix.pkgs) == 0 {
		return nil, fmt.Errorf("package index: no packages")
	}
	return ix, nil
}

// parseDeps splits "a (>= 1) | b, c:any" into [[a b] [c]]; versions are
// ignored (one suite is self-consistent).
func parseDeps(s string) [][]string {
	var out [][]string
	for _, group := range strings.Split(s, ",") {
		var alts []string
		for _, a := range strings.Split(group, "|") {
			name, _, _ := strings.Cut(strings.TrimSpace(a), " ")
			name, _, _ = strings.Cut(name, ":")
			if name != "" {
				alts = append(alts, name)
			}
		}
		if len(alts) > 0 {
			out = append(out, alts)
		}
	}
	return out
}

// closure is want with everything it depends on, sorted by name: of each
// dependency's alternatives the first the index holds (or provides).
func (ix *index) closure(want []string) ([]*pkg, error) {
	seen := map[string]*pkg{}
	var visit func(name, from string) error
	visit = func(name, from string) error {
		p := ix.lookup(name)
		if p == nil {
			return fmt.Errorf("package %s (needed by %s) is not in the index", name, from)
		}
		if seen[p.name] != nil {
			return nil
		}
		seen[p.name] = p
		for _, alts := range p.deps {
			pick := alts[0]
			for _, a := range alts {
				if ix.lookup(a) != nil {
					pick = a
					break
				}
			}
			if err := visit(pick, p.name); err != nil {
				return err
			}
		}
		return nil
	}
	for _, w := range want {
		if err := visit(w, "the command line"); err != nil {
			return nil, err
		}
	}
	out := make([]*pkg, 0, len(seen))
	for _, p := range seen {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].name < out[j].name })
	return out, nil
}

func (ix *index) lookup(name string) *pkg {
	if p := ix.pkgs[name]; p != nil {
		return p
	}
	return ix.pkgs[ix.provides[name]]
}
