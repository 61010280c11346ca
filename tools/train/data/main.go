// Command data fetches the training photographs from Debian packages (apt-get
// download, unpacked with dpkg-deb: nothing is installed), keeps the images
// of at least 256 px on their shorter side, assigns each to the training or
// validation split by a hash of its name (so every crop of one photograph
// lands in the same split), and writes the manifest the labelling and
// training steps read, plus tools/train/DATA.md with package, file, licence.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"hash/fnv"
	"image"
	_ "image/jpeg"
	_ "image/png"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"

	_ "golang.org/x/image/webp"
)

// packages are the sources: photographs and desktop artwork under free licences.
var packages = []string{"python3-skimage", "mate-backgrounds", "ukui-wallpapers", "gnome-backgrounds", "plasma-workspace-wallpapers"}

// fallbackLicence is a package's licence where its copyright file is not
// machine-readable (gnome-backgrounds states CC BY-SA 3.0 in prose).
var fallbackLicence = map[string]string{"gnome-backgrounds": "CC-BY-SA-3.0"}

// synthetic are images of the packages that are not pictures (text, binary
// masks, test charts); MILO is for natural and rendered images.
var synthetic = map[string]bool{"bw_text.png": true, "horse.png": true, "logo.png": true, "text.png": true,
	"checker_bilevel.png": true, "chessboard_GRAY.png": true, "chessboard_RGB.png": true}

// minSide is the smallest shorter side kept: crops are up to 256 px.
const minSide = 256

// Entry is one source image.
type Entry struct {
	Package string `json:"package"`
	Version string `json:"version"`
	Path    string `json:"path"` // under the work directory
	File    string `json:"file"` // as installed
	Width   int    `json:"width"`
	Height  int    `json:"height"`
	License string `json:"license"`
	Split   string `json:"split"` // train or val
}

func main() {
	work := flag.String("work", ".train", "work directory (downloads, unpacked packages, manifest)")
	doc := flag.String("doc", "tools/train/DATA.md", "where to write the data sheet")
	flag.Parse()
	if err := run(*work, *doc); err != nil {
		fmt.Fprintln(os.Stderr, "data:", err)
		os.Exit(1)
	}
}

func run(work, doc string) error {
	debs := filepath.Join(work, "debs")
	if err := os.MkdirAll(debs, 0o755); err != nil {
		return err
	}
	var all []Entry
	for _, pkg := range packages {
		deb, version, err := fetch(debs, pkg)
		if err != nil {
			return err
		}
		root := filepath.Join(work, "pkgs", pkg)
		if _, err := os.Stat(root); err != nil {
			if err := os.MkdirAll(root, 0o755); err != nil {
				return err
			}
			if out, err := exec.Command("dpkg-deb", "-x", deb, root).CombinedOutput(); err != nil {
				return fmt.Errorf("dpkg-deb -x %s: %v: %s", deb, err, out)
			}
		}
		licences, err := readCopyright(filepath.Join(root, "usr/share/doc", pkg, "copyright"))
		if err != nil {
			return err
		}
		entries, err := scan(root, pkg, version, licences)
		if err != nil {
			return err
		}
		all = append(all, entries...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].Path < all[j].Path })
	data, _ := json.MarshalIndent(all, "", " ")
	if err := os.WriteFile(filepath.Join(work, "manifest.json"), data, 0o644); err != nil {
		return err
	}
	return writeDoc(doc, all)
}

// fetch downloads a package's .deb once and returns its path and version.
func fetch(dir, pkg string) (string, string, error) {
	if m, _ := filepath.Glob(filepath.Join(dir, pkg+"_*.deb")); len(m) == 1 {
		return m[0], version(m[0]), nil
	}
	cmd := exec.Command("apt-get", "download", pkg)
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", "", fmt.Errorf("apt-get download %s: %v: %s", pkg, err, out)
	}
	m, _ := filepath.Glob(filepath.Join(dir, pkg+"_*.deb"))
	if len(m) != 1 {
		return "", "", fmt.Errorf("apt-get download %s left %d files", pkg, len(m))
	}
	return m[0], version(m[0]), nil
}

func version(deb string) string {
	parts := strings.Split(strings.TrimSuffix(filepath.Base(deb), ".deb"), "_")
	if len(parts) < 2 {
		return "?"
	}
	return parts[1]
}

// scan lists the package's images of at least minSide.
func scan(root, pkg, version string, licences []stanza) ([]Entry, error) {
	var out []Entry
	err := filepath.Walk(root, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		switch strings.ToLower(filepath.Ext(path)) {
		case ".jpg", ".jpeg", ".png", ".webp":
		default:
			return nil
		}
		f, err := os.Open(path)
		if err != nil {
			return err
		}
		cfg, _, err := image.DecodeConfig(f)
		f.Close()
		if err != nil || min(cfg.Width, cfg.Height) < minSide || synthetic[filepath.Base(path)] {
			return nil // not decodable here, too small to crop, or not a picture
		}
		file := strings.TrimPrefix(path, root)
		lic := licenceOf(file, licences)
		if lic == "" {
			lic = fallbackLicence[pkg]
		}
		e := Entry{Package: pkg, Version: version, Path: path, File: file, Width: cfg.Width, Height: cfg.Height,
			License: lic, Split: split(pkg + source(file))}
		// One picture may come in several resolutions (KDE's
		// contents/images/WxH): keep the largest, once.
		for i, o := range out {
			if source(o.File) == source(file) {
				if e.Width*e.Height > o.Width*o.Height {
					out[i] = e
				}
				return nil
			}
		}
		out = append(out, e)
		return nil
	})
	return out, err
}

// source names the picture a file shows: its wallpaper directory for KDE's
// per-resolution layout, else the file without extension and without a
// "_WxH" resolution suffix (MATE's Elephants_3840x2160.jpg).
func source(file string) string {
	if i := strings.Index(file, "/contents/images/"); i >= 0 {
		return file[:i]
	}
	stem := strings.TrimSuffix(file, filepath.Ext(file))
	if i := strings.LastIndexByte(stem, '_'); i >= 0 {
		var w, h int
		if n, _ := fmt.Sscanf(stem[i+1:], "%dx%d", &w, &h); n == 2 {
			stem = stem[:i]
		}
	}
	return stem
}

// split puts about 15% of the source images in validation, by name.
func split(name string) string {
	h := fnv.New32a()
	h.Write([]byte(name))
	if h.Sum32()%100 < 15 {
		return "val"
	}
	return "train"
}

// stanza is one Files/License paragraph of a machine-readable copyright file.
type stanza struct {
	files   []string
	license string
}

func readCopyright(path string) ([]stanza, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("copyright: %w", err)
	}
	var out []stanza
	for _, para := range strings.Split(string(raw), "\n\n") {
		var st stanza
		field := ""
		for _, line := range strings.Split(para, "\n") {
			switch {
			case strings.HasPrefix(line, "Files:"):
				field = "files"
				st.files = append(st.files, strings.Fields(strings.TrimPrefix(line, "Files:"))...)
			case strings.HasPrefix(line, "License:"):
				field = "license"
				st.license = strings.TrimSpace(strings.TrimPrefix(line, "License:"))
			case strings.HasPrefix(line, " ") && field == "files":
				st.files = append(st.files, strings.Fields(line)...)
			case !strings.HasPrefix(line, " "):
				field = ""
			}
		}
		if len(st.files) > 0 && st.license != "" {
			out = append(out, st)
		}
	}
	return out, nil
}

// licenceOf is the licence of the last stanza whose pattern matches the end
// of the installed path (copyright patterns are relative to the source tree).
func licenceOf(file string, sts []stanza) string {
	lic := ""
	for _, st := range sts {
		for _, pat := range st.files {
			if pat == "*" || strings.HasSuffix(file, "/"+pat) || matchSuffix(pat, file) {
				lic = st.license
			}
		}
	}
	return lic
}

func matchSuffix(pat, file string) bool {
	parts := strings.Split(file, "/")
	for i := range parts {
		if ok, _ := filepath.Match(pat, strings.Join(parts[i:], "/")); ok {
			return true
		}
	}
	return false
}

func writeDoc(path string, all []Entry) error {
	var b strings.Builder
	b.WriteString("# Training data\n\nGenerated by `go run ./tools/train/data` (run by `make train-milo`): the images below are unpacked\n")
	b.WriteString("from Debian 12 packages with `apt-get download` and `dpkg-deb -x` (nothing is installed), kept when\n")
	fmt.Fprintf(&b, "their shorter side is at least %d px, and split into training and validation by a hash of the\n", minSide)
	b.WriteString("picture's name, so every crop of one picture stays in one split (of a picture shipped in several\n")
	b.WriteString("resolutions only the largest is kept). Licences are those of the packages'\n")
	b.WriteString("machine-readable copyright files for each path. The images are not in this repository.\n\n")
	counts := map[string]int{}
	for _, e := range all {
		counts[e.Split]++
	}
	fmt.Fprintf(&b, "%d images: %d training, %d validation.\n\n", len(all), counts["train"], counts["val"])
	b.WriteString("| package | version | file | size | licence | split |\n|---|---|---|---|---|---|\n")
	for _, e := range all {
		fmt.Fprintf(&b, "| %s | %s | %s | %dx%d | %s | %s |\n", e.Package, e.Version, e.File, e.Width, e.Height, e.License, e.Split)
	}
	b.WriteString("\nThe built-in MILO weights (`metric/defaultweights/milo.safetensors`) are learned from crops of\n")
	b.WriteString("these pictures; the pictures themselves are neither in the repository nor in the weights.\n")
	return os.WriteFile(path, []byte(b.String()), 0o644)
}
