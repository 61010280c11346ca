package main

import (
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
