// Package gctest holds test helpers about the garbage collector.
package gctest

import (
	"runtime"
	"strings"
	"sync/atomic"
	"testing"
)

// Collect calls runtime.GC without pause on another goroutine until t ends:
// a collection can then fall inside any call the test makes.
func Collect(t testing.TB) { untilEnd(t, runtime.GC) }

// untilEnd calls f without pause on another goroutine until t ends.
func untilEnd(t testing.TB, f func()) {
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			f()
		}
	}()
	t.Cleanup(func() { stop.Store(true); <-done })
}

// churn keeps Churn's allocations reachable for a moment, so that they are
// made on the heap.
var churn atomic.Value

// Churn allocates small strings without pause on another goroutine until t
// ends: memory a collection frees is handed out again at once, so a C call
// still reading Go memory that nothing in Go holds (vulkan-go passes C
// pointers into the Go strings it is given) reads someone else's bytes,
// where with Collect alone it would most often read its own, freed but
// intact.
func Churn(t testing.TB) {
	untilEnd(t, func() {
		for n := 8; n <= 64; n += 8 {
			churn.Store(strings.Repeat("Z", n))
		}
	})
}
