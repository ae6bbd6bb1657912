package ring

import (
	"fmt"

	"github.com/ringcache/ring/backends"
)

// Concurrent stores entries in an in-process cache of at most size
// entries built for many goroutines (backends.Concurrent): a hit takes no
// lock and writes nothing shared, so parallel hits scale with the cores,
// and a full cache evicts with the CLOCK policy, an approximation of
// least-recently-used (an entry read since the clock hand last passed is
// kept; use LRU for strict least-recently-used order). Values are kept as
// Go values of the function's result type, not encoded and not boxed in
// an interface. Each ring built with this option gets its own store, also
// when the option comes from a Preset shared by many rings.
func Concurrent(size int) Option {
	return newOption(fmt.Sprintf("Concurrent(%d)", size), func(c *config) {
		c.storageName = "concurrent"
		c.concurrent = size
		c.newStorage = func() (backends.Storage, error) { return backends.NewConcurrent[any](size) }
	})
}

// newStorageOf makes the ring's storage. With Concurrent, and when the
// stored values are the results themselves (no coder, no NegativeCache,
// whose entries are of another type), it is a backends.Concurrent[R],
// also returned as mem: the store layer reads it typed, with no boxing.
// A backends.Concurrent[R] given with Storage is read typed as well.
func newStorageOf[R any](cfg *config) (store backends.Storage, mem *backends.Concurrent[R], err error) {
	if cfg.storageName == "concurrent" && cfg.coder == nil && cfg.negative == nil {
		mem, err = backends.NewConcurrent[R](cfg.concurrent)
		if err != nil {
			return nil, nil, err
		}
		return mem, mem, nil
	}
	if store, err = cfg.newStorage(); err != nil {
		return nil, nil, err
	}
	// Storage(s) with a backends.Concurrent of the result type: read typed too.
	if m, ok := store.(*backends.Concurrent[R]); ok && cfg.coder == nil {
		mem = m
	}
	return store, mem, nil
}

// typedMem returns mem when the ring uses it as it is (not wrapped by a
// StorageTimeout guard), nil otherwise.
func typedMem[R any](store backends.Storage, mem *backends.Concurrent[R]) *backends.Concurrent[R] {
	if mem == nil || store != backends.Storage(mem) {
		return nil
	}
	return mem
}
