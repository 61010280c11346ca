package main

import (
	"cmp"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

const sampleIndex = `Package: app
Version: 2.0-1
Depends: libfoo1 (>= 1.2), virt-bar | libmissing, libc6:any
Filename: pool/main/a/app/app_2.0-1_amd64.deb
SHA256: aa
Description: an application
 that spans two lines

Package: libfoo1
Version: 1.3-1
Pre-Depends: libc6 (>= 2.38)
Filename: pool/main/f/foo/libfoo1_1.3-1_amd64.deb
SHA256: bb

Package: libbar-impl
Version: 1
Provides: virt-bar (= 1)
Depends: libc6
Filename: pool/main/b/bar/libbar-impl_1_amd64.deb
SHA256: cc

Package: libc6
Version: 2.41-12
Filename: pool/main/g/glibc/libc6_2.41-12_amd64.deb
SHA256: dd

Package: broken
Version: 1
Depends: libnothere
Filename: pool/main/b/broken/broken_1_amd64.deb
SHA256: ee
`

// The closure follows Depends and Pre-Depends, virtual packages through
// Provides, the first alternative the index holds, and ignores versions
// and architecture qualifiers; a missing dependency names who needs it.
func TestClosure(t *testing.T) {
	ix, err := parseIndex(strings.NewReader(sampleIndex))
	if err != nil {
		t.Fatal(err)
	}
	got, err := ix.closure([]string{"app"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range got {
		names = append(names, p.name+"="+p.version)
	}
	want := []string{"app=2.0-1", "libbar-impl=1", "libc6=2.41-12", "libfoo1=1.3-1"}
	if !reflect.DeepEqual(names, want) {
		t.Fatalf("closure %v, want %v", names, want)
	}
	if got[0].filename != "pool/main/a/app/app_2.0-1_amd64.deb" || got[0].sha256 != "aa" {
		t.Fatalf("app's file %q sha %q", got[0].filename, got[0].sha256)
	}
	if _, err := ix.closure([]string{"broken"}); err == nil || !strings.Contains(err.Error(), "libnothere (needed by broken)") {
		t.Fatalf("missing dependency: %v", err)
	}
	if _, err := parseIndex(strings.NewReader("\n\n")); err == nil {
		t.Fatal("an empty index was accepted")
	}
}

// The wrappers run the root's loader with the root's libraries, drivers and
// layers, pass arguments through intact, and survive spaces and quotes in
// the directory's path. A shell script stands in for the dynamic loader.
func TestWrappers(t *testing.T) {
	final := filepath.Join(t.TempDir(), "my root's dir")
	tmp := final + ".new"
	fakeRoot(t, tmp, []string{"root/usr/share/vulkan/explicit_layer.d"}, map[string]string{
		"root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2": "#!/bin/sh\nprintf '%s|' \"$VK_DRIVER_FILES\" \"$VK_LAYER_PATH\" \"$@\"\n",
		"root/usr/bin/glslc":                       "",
		"root/usr/share/vulkan/icd.d/lvp_icd.json": "{}",
	})
	if err := writeWrappers(tmp, final); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, final); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(filepath.Join(final, "bin", "glslc"), "a b", "-o", "c'd").Output()
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(final, "root")
	want := strings.Join([]string{
		root + "/usr/share/vulkan/icd.d/lvp_icd.json", root + "/usr/share/vulkan/explicit_layer.d",
		"--library-path", root + "/usr/lib/x86_64-linux-gnu:" + root + "/lib/x86_64-linux-gnu",
		root + "/usr/bin/glslc", "a b", "-o", "c'd",
	}, "|") + "|"
	if string(out) != want {
		t.Fatalf("the wrapper ran\n%s\nwant\n%s", out, want)
	}
}

// Where the root has RADV and the no-op amdgpu DRM shim, run-radv runs a
// program on RADV with the shim preloaded, on navi31 unless told; where
// it lacks the shim there is no run-radv.
func TestRADVWrapper(t *testing.T) {
	final := filepath.Join(t.TempDir(), "root's dir")
	tmp := final + ".new"
	fakeRoot(t, tmp, nil, map[string]string{
		"root/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2": "#!/bin/sh\nprintf '%s|' \"$VK_DRIVER_FILES\" \"$AMDGPU_GPU_ID\" \"$@\"\n",
		"root/usr/share/vulkan/icd.d/radeon_icd.json":        "{}",
	})
	if err := writeWrappers(tmp, final); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(tmp, "bin", "run-radv")); err == nil {
		t.Fatal("run-radv written without the shim")
	}
	shim := "root/usr/lib/x86_64-linux-gnu/libamdgpu_noop_drm_shim.so"
	if err := os.WriteFile(filepath.Join(tmp, shim), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := writeWrappers(tmp, final); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, final); err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(final, "root")
	for _, id := range []string{"", "gfx1201"} {
		cmd := exec.Command(filepath.Join(final, "bin", "run-radv"), "prog", "a b")
		cmd.Env = append(os.Environ(), "AMDGPU_GPU_ID="+id)
		out, err := cmd.Output()
		if err != nil {
			t.Fatal(err)
		}
		want := strings.Join([]string{
			root + "/usr/share/vulkan/icd.d/radeon_icd.json", cmp.Or(id, "navi31"),
			"--preload", filepath.Join(final, shim),
			"--library-path", root + "/usr/lib/x86_64-linux-gnu:" + root + "/lib/x86_64-linux-gnu", "prog", "a b",
		}, "|") + "|"
		if string(out) != want {
			t.Errorf("AMDGPU_GPU_ID %q: the wrapper ran\n%s\nwant\n%s", id, out, want)
		}
	}
}

// fakeRoot makes the directories and files (executable) of a root under
// tmp; a shell script that prints its environment and arguments stands in
// for the dynamic loader.
func fakeRoot(t *testing.T, tmp string, dirs []string, files map[string]string) {
	t.Helper()
	for _, d := range dirs {
		if err := os.MkdirAll(filepath.Join(tmp, d), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	for name, body := range files {
		path := filepath.Join(tmp, name)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
	}
}
