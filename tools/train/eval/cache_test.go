package main

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

func TestCachedMOS(t *testing.T) {
	dir := t.TempDir()
	weights := filepath.Join(dir, "w.pth")
	if err := os.WriteFile(weights, []byte("weights v1"), 0o644); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "authors_mos.json")
	calls := 0
	score := func() ([]float64, error) { calls++; return []float64{4.5, 3.25, float64(calls)}, nil }
	get := func(pairs, pix string) ([]float64, bool) {
		t.Helper()
		key, err := cacheKey(weights, []byte(pairs), []byte(pix), 3)
		if err != nil {
			t.Fatal(err)
		}
		mos, cached, err := cachedMOS(path, key, 3, score)
		if err != nil {
			t.Fatal(err)
		}
		return mos, cached
	}
	first, cached := get("pairs", "pixels")
	if cached || calls != 1 {
		t.Fatalf("empty cache: cached %v after %d scorings", cached, calls)
	}
	again, cached := get("pairs", "pixels")
	if !cached || calls != 1 || !reflect.DeepEqual(again, first) {
		t.Fatalf("same labels: cached %v, %d scorings, %v vs %v", cached, calls, again, first)
	}
	// Other pixels, other labels or other weights must be scored afresh.
	if _, cached := get("pairs", "pixelz"); cached || calls != 2 {
		t.Errorf("changed pixels: cached %v after %d scorings", cached, calls)
	}
	if _, cached := get("pairz", "pixelz"); cached || calls != 3 {
		t.Errorf("changed labels: cached %v after %d scorings", cached, calls)
	}
	if err := os.WriteFile(weights, []byte("weights v2"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, cached := get("pairz", "pixelz"); cached || calls != 4 {
		t.Errorf("changed weights: cached %v after %d scorings", cached, calls)
	}
	// A corrupt cache is rescored, not an error.
	if err := os.WriteFile(path, []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, cached := get("pairz", "pixelz"); cached || calls != 5 {
		t.Errorf("corrupt cache: cached %v after %d scorings", cached, calls)
	}
}
