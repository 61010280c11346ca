package vk

// usableTiles keeps the shapes (M pixels, N output channels, K input
// channels) the MMA kernels can run on: each side 8 or 16, since they
// stage channels 32 at a time, pad them to 16 and tile 64 pixels a
// workgroup.
func usableTiles(shapes [][3]uint32) [][3]uint32 {
	var out [][3]uint32
	for _, s := range shapes {
		ok := true
		for _, d := range s {
			ok = ok && (d == 8 || d == 16)
		}
		if ok {
			out = append(out, s)
		}
	}
	return out
}

// pickTile chooses the tile shape the MMA kernels run on among usable
// ones: the most products a tile wins (fewer loads and instructions per
// product); between equals, the longer K, then the wider N. GPUs offer
// 16x16x16 (NVIDIA, AMD), Intel 8x8x16 or 8x16x16, lavapipe 8x8x8. Zeros
// when there are none.
func pickTile(usable [][3]uint32) [3]uint32 {
	var best [3]uint32
	better := func(a, b [3]uint32) bool {
		va, vb := a[0]*a[1]*a[2], b[0]*b[1]*b[2]
		if va != vb {
			return va > vb
		}
		if a[2] != b[2] {
			return a[2] > b[2]
		}
		return a[1] > b[1]
	}
	for _, s := range usable {
		if better(s, best) {
			best = s
		}
	}
	return best
}
