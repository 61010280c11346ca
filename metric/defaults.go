package metric

import (
	_ "embed"
)

// defaultMILO are vkpercept's own MILO weights: the network trained by
// `make train-milo` on pseudo-MOS labels from classic metrics (tools/train),
// never from the authors' checkpoint. A few hundred KB, so they ship inside
// the binary and MILO works with no file on disk.
//
//go:embed defaultweights/milo.safetensors
var defaultMILO []byte

// DefaultWeightsName names the built-in weights in outputs and errors.
const DefaultWeightsName = "built-in"

// DefaultWeights returns the built-in MILO weights for RGB images. Each call
// returns a fresh copy the caller may keep or change.
func DefaultWeights() (*Weights, error) {
	return ParseSafetensors(DefaultWeightsName, defaultMILO)
}

// DefaultWeightsFile is the built-in weights' safetensors file, for tools
// that want to write it out or read its metadata.
func DefaultWeightsFile() []byte {
	return append([]byte(nil), defaultMILO...)
}
