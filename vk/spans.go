package vk

import "sort"

// span is a byte range [off, off+size) of a memory block.
type span struct{ off, size uint64 }

// freeSpans is the free space of one memory block: disjoint spans sorted by
// offset, never two touching (give merges them), so that a block whose
// buffers are all gone is one span again.
type freeSpans []span

// take places size bytes at an offset that is a multiple of align (a power
// of two), first fit, and reports where; the bytes skipped to align stay free.
func (f *freeSpans) take(size, align uint64) (uint64, bool) {
	if size == 0 {
		return 0, false
	}
	s := *f
	for i, sp := range s {
		off := (sp.off + align - 1) &^ (align - 1)
		end := sp.off + sp.size
		if off < sp.off || off > end || end-off < size {
			continue
		}
		var keep []span
		if off > sp.off {
			keep = append(keep, span{sp.off, off - sp.off})
		}
		if off+size < end {
			keep = append(keep, span{off + size, end - off - size})
		}
		*f = append(s[:i:i], append(keep, s[i+1:]...)...)
		return off, true
	}
	return 0, false
}

// give returns [off, off+size), which take handed out, merging it with the
// free spans it touches.
func (f *freeSpans) give(off, size uint64) {
	s := *f
	i := sort.Search(len(s), func(i int) bool { return s[i].off > off })
	joinPrev := i > 0 && s[i-1].off+s[i-1].size == off
	joinNext := i < len(s) && off+size == s[i].off
	switch {
	case joinPrev && joinNext:
		s[i-1].size += size + s[i].size
		*f = append(s[:i], s[i+1:]...)
	case joinPrev:
		s[i-1].size += size
	case joinNext:
		s[i].off, s[i].size = off, s[i].size+size
	default:
		s = append(s, span{})
		copy(s[i+1:], s[i:])
		s[i] = span{off, size}
		*f = s
	}
}
