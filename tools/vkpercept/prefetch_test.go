package main

import (
	"errors"
	"fmt"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// prefetch hands results back in order whatever order the loads end in,
// loads on several goroutines but never more than ahead past the reader,
// passes errors through in place, and stop ends it early without leaving a
// goroutine behind.
func TestPrefetch(t *testing.T) {
	const n, ahead = 40, 5
	var running, most, loaded atomic.Int32
	var read atomic.Int32
	load := func(k int) (int, error) {
		loaded.Add(1)
		r := running.Add(1)
		defer running.Add(-1)
		for m := most.Load(); r > m && !most.CompareAndSwap(m, r); m = most.Load() {
		}
		if past := int32(k) - read.Load(); past > ahead {
			return 0, fmt.Errorf("item %d loaded %d items past the reader", k, past)
		}
		if k%4 == 1 {
			time.Sleep(2 * time.Millisecond) // loads end out of order
		}
		if k == 33 {
			return 0, errors.New("item 33 is bad")
		}
		return k * k, nil
	}
	before := runtime.NumGoroutine()
	next, stop := prefetch(n, ahead, load)
	for k := 0; ; k++ {
		v, err, ok := next()
		read.Store(int32(k + 1))
		time.Sleep(time.Millisecond) // a reader slower than the loads: they wait for room
		if !ok {
			t.Fatalf("ended at item %d", k)
		}
		if k == 33 {
			if err == nil || err.Error() != "item 33 is bad" {
				t.Fatalf("item 33: %v", err)
			}
			break
		}
		if err != nil || v != k*k {
			t.Fatalf("item %d: %d, %v", k, v, err)
		}
	}
	stop()
	if got := loaded.Load(); got > 34+ahead { // items 0..33 read, ahead more
		t.Errorf("%d items loaded by item 33 with %d ahead", got, ahead)
	}
	if runtime.GOMAXPROCS(0) > 1 && most.Load() < 2 {
		t.Errorf("loads ran one at a time on %d cores", runtime.GOMAXPROCS(0))
	}
	if most.Load() > int32(runtime.GOMAXPROCS(0)) {
		t.Errorf("%d loads at once on %d cores", most.Load(), runtime.GOMAXPROCS(0))
	}
	time.Sleep(10 * time.Millisecond)
	if after := runtime.NumGoroutine(); after > before {
		t.Errorf("%d goroutines before, %d after stop", before, after)
	}

	// To the end, every item once.
	next, stop = prefetch(3, 1, func(k int) (int, error) { return k, nil })
	defer stop()
	for k := 0; k < 3; k++ {
		if v, err, ok := next(); !ok || err != nil || v != k {
			t.Fatalf("item %d: %d, %v, %v", k, v, err, ok)
		}
	}
	if _, _, ok := next(); ok {
		t.Fatal("an item past the end")
	}
}
