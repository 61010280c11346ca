package vk

import "testing"

func TestPickTile(t *testing.T) {
	for _, c := range []struct {
		name   string
		shapes [][3]uint32
		want   [3]uint32
	}{
		{"NVIDIA", [][3]uint32{{16, 8, 16}, {16, 8, 8}, {16, 16, 16}, {32, 8, 16}}, [3]uint32{16, 16, 16}},
		{"AMD", [][3]uint32{{16, 16, 16}}, [3]uint32{16, 16, 16}},
		{"Intel Xe-HPG", [][3]uint32{{8, 8, 16}}, [3]uint32{8, 8, 16}},
		{"Intel Xe2", [][3]uint32{{8, 8, 16}, {8, 16, 16}}, [3]uint32{8, 16, 16}},
		{"lavapipe", [][3]uint32{{8, 8, 8}}, [3]uint32{8, 8, 8}},
		{"ties: longer K, then wider N", [][3]uint32{{16, 16, 8}, {16, 8, 16}, {8, 16, 16}}, [3]uint32{8, 16, 16}},
		{"nothing usable", [][3]uint32{{32, 8, 16}, {4, 4, 4}, {16, 16, 32}}, [3]uint32{}},
		{"none offered", nil, [3]uint32{}},
	} {
		if got := pickTile(usableTiles(c.shapes)); got != c.want {
			t.Errorf("%s: %v from %v, want %v", c.name, got, c.shapes, c.want)
		}
	}
}

func TestUsableTiles(t *testing.T) {
	got := usableTiles([][3]uint32{{16, 8, 16}, {32, 8, 16}, {16, 8, 8}, {8, 8, 4}, {16, 16, 16}})
	want := [][3]uint32{{16, 8, 16}, {16, 8, 8}, {16, 16, 16}}
	if len(got) != len(want) {
		t.Fatalf("usable %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("usable %v, want %v", got, want)
		}
	}
}
