// Package gctest holds test helpers about the garbage collector.
package gctest

import (
	"runtime"
	"sync/atomic"
	"testing"
)

// Collect calls runtime.GC without pause on another goroutine until t ends:
// a collection can then fall inside any call the test makes.
func Collect(t testing.TB) {
	var stop atomic.Bool
	done := make(chan struct{})
	go func() {
		defer close(done)
		for !stop.Load() {
			runtime.GC()
		}
	}()
	t.Cleanup(func() { stop.Store(true); <-done })
}
