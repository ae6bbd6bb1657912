package backends

import (
	"sync"
	"sync/atomic"
)

// EvictionReporter is an in-process store that reports the entries it drops
// on its own: evicted to make room (LRU), or removed because they expired
// (LRU and Dict, when an expired entry is read or swept). A ring observed
// with ring.Observe or ring.WithStats registers with its store, which
// reports to every ring registered: a store shared by several rings
// reports each of its evictions to each of them.
type EvictionReporter interface {
	// OnEvict adds fn to the functions called with n entries dropped,
	// expired telling why. They run after the store has released its
	// lock, on the goroutine of the operation that dropped the entries;
	// they must be safe for concurrent use and return quickly.
	OnEvict(fn func(n int, expired bool))
}

// evictHooks holds the functions of OnEvict; the zero value has none and
// costs one atomic load per report.
type evictHooks struct {
	mu  sync.Mutex
	fns atomic.Pointer[[]func(n int, expired bool)]
}

func (h *evictHooks) add(fn func(n int, expired bool)) {
	if fn == nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	var fns []func(int, bool)
	if p := h.fns.Load(); p != nil {
		fns = append(fns, *p...)
	}
	fns = append(fns, fn)
	h.fns.Store(&fns)
}

// report calls the functions with n entries dropped (none when n is 0).
func (h *evictHooks) report(n int, expired bool) {
	if n == 0 {
		return
	}
	if p := h.fns.Load(); p != nil {
		for _, fn := range *p {
			fn(n, expired)
		}
	}
}

var (
	_ EvictionReporter = (*LRU)(nil)
	_ EvictionReporter = (*Dict)(nil)
	_ EvictionReporter = (*Concurrent[int])(nil)
)

// OnEvict adds fn to the functions told of the entries the LRU evicts to
// make room (expired false) and of the expired entries it removes when they
// are read (expired true). See EvictionReporter.
func (l *LRU) OnEvict(fn func(n int, expired bool)) { l.evict.add(fn) }

// OnEvict adds fn to the functions told of the expired entries the Dict
// removes, when they are read or swept (expired true). See
// EvictionReporter.
func (d *Dict) OnEvict(fn func(n int, expired bool)) { d.evict.add(fn) }
