package ring

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/ringcache/ring/internal/flight"
)

// DefaultBulkConcurrency is how many functions the bulk forms
// [Bulk.GetOrUpdate] and [Bulk.Update] run at once when BulkConcurrency is
// not given.
const DefaultBulkConcurrency = 8

// ErrNoExpiry is wrapped by the error that Touch and Many().Touch return on a
// ring without an expiry (no Expire, or Expire(0)), on every backend:
// touching resets an entry's time-to-live to the ring's, and without one it
// would silently make the entry persistent, dropping a time-to-live that
// was set some other way. The entry is left as it is. To change one entry's
// time-to-live, use Cache().ExpireIn.
var ErrNoExpiry = errors.New("the ring has no expiry (Expire): Touch would make the entry persistent")

// BulkConcurrency bounds how many functions one Many().GetOrUpdate or
// Many().Update call runs at once (default DefaultBulkConcurrency; 1 runs them
// one after another). Each miss of Many().GetOrUpdate runs inside its key's
// single flight, as Call does. The goroutines belong to the call: it
// returns when all of them have finished, and a panic in one of the
// functions is raised again on the calling goroutine.
func BulkConcurrency(n int) Option {
	return newOption(fmt.Sprintf("BulkConcurrency(%d)", n), func(c *config) {
		if n < 1 {
			c.fail(fmt.Errorf("ring: BulkConcurrency(%d): the bound must be at least 1", n))
			return
		}
		c.bulk = n
	})
}

// bulkLimit returns the ring's BulkConcurrency.
func (c *core[K, R]) bulkLimit() int {
	if c.bulk > 0 {
		return c.bulk
	}
	return DefaultBulkConcurrency
}

// parallel runs fn(0) .. fn(n-1) on at most limit goroutines at once and
// returns when every call has returned. With one item or a limit of 1 it
// runs them on the caller's goroutine. A panic in fn stops the goroutine it
// happened on (the others finish their items) and is raised again here,
// after all of them have stopped.
func parallel(n, limit int, fn func(i int)) {
	if n <= 1 || limit <= 1 {
		for i := range n {
			fn(i)
		}
		return
	}
	var (
		next  atomic.Int64
		wg    sync.WaitGroup
		once  sync.Once
		first any
	)
	for range min(n, limit) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					once.Do(func() { first = r })
				}
			}()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				fn(i)
			}
		}()
	}
	wg.Wait()
	if first != nil {
		panic(first)
	}
}

// eachParallel is each with the items run concurrently, at most limit at
// once.
func eachParallel[K, T any](limit int, ks []K, fn func(K) (T, error)) ([]T, error) {
	out := make([]T, len(ks))
	errs := make([]error, len(ks))
	parallel(len(ks), limit, func(i int) {
		errs[i] = flight.ErrGoexit // stays if the function calls runtime.Goexit
		out[i], errs[i] = fn(ks[i])
	})
	return out, joinItems(errs)
}
