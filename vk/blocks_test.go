package vk

import (
	"math/rand"
	"testing"
)

// Small buffers share blocks: a few allocations hold hundreds of them, each
// keeps its own bytes on the device (all are written, then all read back),
// a large buffer still gets memory of its own, and freeing everything frees
// the blocks.
func TestSmallBuffersShareBlocks(t *testing.T) {
	c, err := Open(Options{Device: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := c.Stats()
	rng := rand.New(rand.NewSource(3))
	var bufs []*Buffer
	var data [][]float32
	var bytes uint64
	add := func(floats int) {
		b, err := c.NewBuffer(uint64(4 * floats))
		if err != nil {
			t.Fatal(err)
		}
		d := make([]float32, floats)
		for i := range d {
			d[i] = rng.Float32()
		}
		bufs, data = append(bufs, b), append(data, d)
		bytes += uint64(4 * floats)
	}
	for range 300 {
		add(1 + rng.Intn(sharedMax/4/4)) // up to a quarter of the shared maximum
	}
	// Free a third and refill: the spans they leave are taken again.
	for i := 0; i < len(bufs); i += 3 {
		bufs[i].Free()
		bytes -= uint64(4 * len(data[i]))
		bufs[i] = nil
	}
	for i := 0; i < len(bufs); i += 3 {
		b, err := c.NewBuffer(uint64(4 * len(data[i])))
		if err != nil {
			t.Fatal(err)
		}
		bufs[i] = b
		bytes += uint64(4 * len(data[i]))
	}
	st := c.Stats()
	if allocs, most := st.MemoryAllocations-start.MemoryAllocations, bytes/blockBytes+2; allocs > most {
		t.Fatalf("%d small buffers (%d KB) took %d allocations, want at most %d", len(bufs), bytes>>10, allocs, most)
	}
	if st.Buffers-start.Buffers != uint64(len(bufs)+len(bufs)/3) {
		t.Fatalf("%d buffers counted, %d made", st.Buffers-start.Buffers, len(bufs)+len(bufs)/3)
	}
	roundTrip(t, c, bufs, data)

	// Past the shared maximum: one allocation of its own, given back whole.
	before := c.Stats()
	big, err := c.NewBuffer(sharedMax + 16)
	if err != nil {
		t.Fatal(err)
	}
	if big.blk != nil || c.Stats().MemoryAllocations != before.MemoryAllocations+1 {
		t.Fatalf("a %d-byte buffer was placed in a shared block", sharedMax+16)
	}
	big.Free()
	if c.Stats().BytesLive != before.BytesLive {
		t.Fatalf("freeing a large buffer left %d bytes live, want %d", c.Stats().BytesLive, before.BytesLive)
	}

	for _, b := range bufs {
		b.Free()
	}
	c.Trim() // the uploads' and read-backs' staging
	if len(c.blocks) != 0 || c.Stats().BytesLive != start.BytesLive {
		t.Fatalf("all buffers freed left %d blocks and %d bytes live, want none and %d", len(c.blocks), c.Stats().BytesLive, start.BytesLive)
	}
}

// roundTrip uploads data[i] to bufs[i] for every i in one submission, then
// reads all of them back in another: buffers that shared bytes would read
// back each other's data.
func roundTrip(t *testing.T, c *Context, bufs []*Buffer, data [][]float32) {
	t.Helper()
	r, err := c.Begin(false)
	if err != nil {
		t.Fatal(err)
	}
	for i, b := range bufs {
		if err := r.Upload(b, data[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	if r, err = c.Begin(false); err != nil {
		t.Fatal(err)
	}
	got := make([][]float32, len(bufs))
	for i, b := range bufs {
		got[i] = make([]float32, len(data[i]))
		if err := r.Download(b, got[i]); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := r.Submit(); err != nil {
		t.Fatal(err)
	}
	for i := range data {
		for j := range data[i] {
			if got[i][j] != data[i][j] {
				t.Fatalf("buffer %d element %d read back %g, want %g", i, j, got[i][j], data[i][j])
			}
		}
	}
}
