package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
)

// mosCache is the authors' MOS on one label set, stored in the work
// directory: the authors' weights never change, so scoring them (half of the
// evaluation's time on lavapipe) runs once per label set, not once per trial.
type mosCache struct {
	Key string    `json:"key"`
	MOS []float64 `json:"mos"`
}

// cacheKey identifies what the scores depend on: the weights file, the
// labelled pairs and their pixels, and how many pairs were scored.
func cacheKey(weightsPath string, pairs, pix []byte, n int) (string, error) {
	w, err := os.ReadFile(weightsPath)
	if err != nil {
		return "", err
	}
	h := sha256.New()
	for _, b := range [][]byte{w, pairs, pix} {
		s := sha256.Sum256(b)
		h.Write(s[:])
	}
	fmt.Fprintf(h, "%d", n)
	return hex.EncodeToString(h.Sum(nil)), nil
}

// cachedMOS returns the cache's MOS when its key matches and it holds n
// scores; otherwise it calls score and stores the result. A missing,
// unreadable or stale cache only costs the scoring: it is never an error.
func cachedMOS(path, key string, n int, score func() ([]float64, error)) ([]float64, bool, error) {
	if data, err := os.ReadFile(path); err == nil {
		var c mosCache
		if json.Unmarshal(data, &c) == nil && c.Key == key && len(c.MOS) == n {
			return c.MOS, true, nil
		}
	}
	mos, err := score()
	if err != nil {
		return nil, false, err
	}
	data, err := json.Marshal(mosCache{Key: key, MOS: mos})
	if err != nil {
		return nil, false, err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		return nil, false, err
	}
	return mos, false, os.Rename(tmp, path)
}
