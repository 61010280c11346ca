package vk

import (
	"math/rand"
	"testing"
)

// Random takes and gives against a byte map of the block: every placement
// is aligned, inside the block and over free bytes only; what take refuses
// has no aligned free run of that size; and with everything given back the
// block is one span again.
func TestFreeSpansAgainstByteMap(t *testing.T) {
	const total = 4096
	rng := rand.New(rand.NewSource(1))
	for round := 0; round < 20; round++ {
		f := freeSpans{{0, total}}
		used := make([]bool, total)
		var live []span
		for op := 0; op < 400; op++ {
			if len(live) > 0 && rng.Intn(5) < 2 {
				k := rng.Intn(len(live))
				sp := live[k]
				live = append(live[:k], live[k+1:]...)
				for i := sp.off; i < sp.off+sp.size; i++ {
					used[i] = false
				}
				f.give(sp.off, sp.size)
			} else {
				size, align := uint64(1+rng.Intn(300)), uint64(1)<<rng.Intn(8)
				off, ok := f.take(size, align)
				if !ok {
					if fits(used, size, align) {
						t.Fatalf("round %d op %d: refused %d bytes at alignment %d with room for them", round, op, size, align)
					}
					continue
				}
				if off%align != 0 || off+size > total {
					t.Fatalf("placed %d bytes at %d (alignment %d)", size, off, align)
				}
				for i := off; i < off+size; i++ {
					if used[i] {
						t.Fatalf("round %d op %d: %d bytes at %d overlap a live span", round, op, size, off)
					}
					used[i] = true
				}
				live = append(live, span{off, size})
			}
			checkSpans(t, f, used)
		}
		for _, sp := range live {
			f.give(sp.off, sp.size)
		}
		if len(f) != 1 || f[0] != (span{0, total}) {
			t.Fatalf("round %d: everything given back left %v", round, f)
		}
	}
}

// fits reports whether size free bytes start somewhere at a multiple of align.
func fits(used []bool, size, align uint64) bool {
	for off := uint64(0); off+size <= uint64(len(used)); off += align {
		free := true
		for i := off; i < off+size && free; i++ {
			free = !used[i]
		}
		if free {
			return true
		}
	}
	return false
}

// checkSpans compares the free list with the byte map: sorted, disjoint,
// never touching, and covering exactly the free bytes.
func checkSpans(t *testing.T, f freeSpans, used []bool) {
	t.Helper()
	free := make([]bool, len(used))
	for i, sp := range f {
		if sp.size == 0 || (i > 0 && f[i-1].off+f[i-1].size >= sp.off) {
			t.Fatalf("free list %v is not sorted, disjoint and merged", f)
		}
		for j := sp.off; j < sp.off+sp.size; j++ {
			free[j] = true
		}
	}
	for i := range used {
		if free[i] == used[i] {
			t.Fatalf("byte %d: used %v, on the free list %v", i, used[i], free[i])
		}
	}
}
