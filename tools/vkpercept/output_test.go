package main

import (
	"bytes"
	"encoding/binary"
	"testing"
)

// The .npy header names the shape as a Python tuple (a 1-tuple with its
// comma) and the data starts on a 64-byte boundary.
func TestNpyBytesShapes(t *testing.T) {
	for _, c := range []struct {
		shape []int
		want  string
	}{{[]int{5}, "(5,)"}, {[]int{2, 3}, "(2, 3)"}, {[]int{1, 2, 3}, "(1, 2, 3)"}} {
		n := 1
		for _, d := range c.shape {
			n *= d
		}
		b := npyBytes(make([]float32, n), c.shape...)
		hlen := int(binary.LittleEndian.Uint16(b[8:10]))
		if (10+hlen)%64 != 0 || len(b) != 10+hlen+4*n || b[10+hlen-1] != '\n' {
			t.Errorf("shape %v: header of %d bytes, file of %d", c.shape, hlen, len(b))
		}
		if !bytes.Contains(b[10:10+hlen], []byte("'shape': "+c.want+",")) {
			t.Errorf("shape %v: header %q, want shape %s", c.shape, b[10:10+hlen], c.want)
		}
	}
}
