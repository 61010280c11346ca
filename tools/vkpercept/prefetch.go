package main

import (
	"runtime"
	"sync"
)

// prefetch loads items in order on up to GOMAXPROCS goroutines, at most
// ahead items before the consumer: next returns item k's result for
// k = 0, 1, ... (false past the end), waiting for it where it is not in
// yet, and stop ends the reading ahead (loads under way finish and are
// dropped). Decoding a list's images then uses every core and overlaps
// the device's work on the batch before.
func prefetch[T any](n, ahead int, load func(k int) (T, error)) (next func() (T, error, bool), stop func()) {
	type result struct {
		v   T
		err error
	}
	slots := make([]chan result, n)
	for k := range slots {
		slots[k] = make(chan result, 1) // a load never waits for its reader
	}
	room := make(chan struct{}, max(ahead, 1))
	workers := make(chan struct{}, runtime.GOMAXPROCS(0))
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for k := 0; k < n; k++ {
			select {
			case room <- struct{}{}:
			case <-done:
				return
			}
			select {
			case workers <- struct{}{}:
			case <-done:
				return
			}
			wg.Go(func() {
				v, err := load(k)
				<-workers
				slots[k] <- result{v, err}
			})
		}
	})
	k := 0
	next = func() (T, error, bool) {
		var zero T
		if k >= n {
			return zero, nil, false
		}
		r := <-slots[k]
		k++
		<-room
		return r.v, r.err, true
	}
	var once sync.Once
	stop = func() {
		once.Do(func() { close(done) })
		wg.Wait()
	}
	return next, stop
}
