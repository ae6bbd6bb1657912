package ring

import (
	"context"
	"fmt"
	"sync"
	"time"
)

// BatchWindow makes the misses of concurrent Calls of a batch function's
// ring (see Batch) share calls of the function (the dataloader pattern):
// the first miss opens a window of d, and every miss of another ID made
// before it closes joins it; the function is then called once with all of
// their IDs. A window also closes, at once, when it holds max IDs (max 0:
// no bound). When the window closes, its misses are filled together, as
// Many().GetOrUpdate fills its misses: each ID enters its single flight
// (joining one already in flight), the window's IDs are read again in one
// round trip (a fill may have landed since the Calls read them), the
// function is called once for those still missing, and its results are
// written in one round trip, except an ID written anew meanwhile.
//
// A Call waits at most d more than the fill takes; a Call whose context
// ends stops waiting at once, and when every Call of a window has gone
// before it closes, the window is dropped and the function not called.
// Once called, the function's context keeps the values of the window's
// first Call and is cancelled when every Call of the window has gone. No
// goroutine nor timer outlives a window: the timer of a window that closed
// early is stopped, and the fill runs on the timer's goroutine (or, for a
// full window, on one of its own), which ends when the fill returns. With
// RefreshAhead, the refreshes that Calls start share windows too (each
// refresh writes its own entry).
//
// Many().GetOrUpdate and Many().Update do not wait for a window: they
// call the function at once with their own IDs. A Call on a storage that
// a Choose function picked fills alone. d must be positive and max not
// negative, and only a ring built by Batch takes the option.
func BatchWindow(d time.Duration, max int) Option {
	return newOption(fmt.Sprintf("BatchWindow(%v, %d)", d, max), func(c *config) {
		if d <= 0 || max < 0 {
			c.fail(fmt.Errorf("ring: BatchWindow(%v, %d): the window must be positive and the bound not negative", d, max))
			return
		}
		c.window = &windowPolicy{d: d, max: max}
	})
}

// windowPolicy is what BatchWindow sets.
type windowPolicy struct {
	d   time.Duration
	max int
}

// coalescer gathers the single-ID loads of a batch ring into windows.
type coalescer[K comparable, V any] struct {
	policy windowPolicy
	fetch  func(ctx context.Context, ids []K) (map[K]V, error)
	mu     sync.Mutex
	open   *window[K, V] // the window taking IDs, or nil
}

// window is one shared call of the batch function.
type window[K comparable, V any] struct {
	ids  []K
	seen map[K]struct{}
	// waiting counts the loads still waiting; guarded by the coalescer's
	// mu until the window closes, then by its own count only.
	waiting int
	closed  bool
	timer   *time.Timer
	ctx     context.Context
	cancel  context.CancelFunc
	done    chan struct{}
	vals    map[K]V
	err     error
	pan     any
}

// load returns the outcome of id from the window it joins.
func (c *coalescer[K, V]) load(ctx context.Context, id K) (map[K]V, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	c.mu.Lock()
	w := c.open
	if w == nil {
		w = &window[K, V]{seen: make(map[K]struct{}), done: make(chan struct{})}
		w.ctx, w.cancel = context.WithCancel(context.WithoutCancel(ctx))
		c.open = w
		w.timer = time.AfterFunc(c.policy.d, func() { c.close(w, true) })
	}
	if _, ok := w.seen[id]; !ok {
		w.seen[id] = struct{}{}
		w.ids = append(w.ids, id)
	}
	w.waiting++
	full := c.policy.max > 0 && len(w.ids) >= c.policy.max && c.open == w
	if full {
		c.open = nil // the next load opens a window of its own
	}
	c.mu.Unlock()
	if full {
		if w.timer.Stop() {
			go c.close(w, false)
		}
	}
	select {
	case <-w.done:
	case <-ctx.Done():
		select {
		case <-w.done:
		default:
			c.leave(w)
			return nil, ctx.Err()
		}
	}
	if w.pan != nil {
		panic(w.pan)
	}
	return w.vals, w.err
}

// leave removes one waiting load; the last to go cancels the window's
// call, or drops the window if it has not closed yet.
func (c *coalescer[K, V]) leave(w *window[K, V]) {
	c.mu.Lock()
	w.waiting--
	last := w.waiting == 0
	drop := last && !w.closed
	if drop && c.open == w {
		c.open = nil
		w.closed = true
	}
	c.mu.Unlock()
	if drop {
		w.timer.Stop()
	}
	if last {
		w.cancel()
	}
}

// close ends w's window and calls the function with its IDs, unless the
// window was dropped (every load gone). timed says the timer fired.
func (c *coalescer[K, V]) close(w *window[K, V], timed bool) {
	c.mu.Lock()
	if c.open == w {
		c.open = nil
	}
	dropped := w.closed && timed
	w.closed = true
	ids := w.ids
	c.mu.Unlock()
	if dropped {
		return
	}
	defer w.cancel()
	defer close(w.done)
	defer func() {
		if p := recover(); p != nil {
			w.pan = p
		}
	}()
	w.vals, w.err = c.fetch(w.ctx, ids)
}

// windowItem is one Call's miss in a window: its key and argument tuple.
type windowItem[K comparable] struct {
	key string
	k   K
}

// windowOutcome is a miss's outcome from its window's fill.
type windowOutcome[R any] struct {
	r   R
	err error
}

// windowFiller returns the fill of a Call's miss with BatchWindow: the
// miss joins the open window, and when the window closes its misses are
// filled together (batchFill): each key read again inside its flight (one
// round trip), one call of the batch function for those still missing,
// one bulk write.
func windowFiller[K comparable, R any](c *core[K, R], p windowPolicy) func(ctx context.Context, key string, k K) (R, error) {
	co := &coalescer[windowItem[K], windowOutcome[R]]{policy: p}
	co.fetch = func(ctx context.Context, items []windowItem[K]) (map[windowItem[K]]windowOutcome[R], error) {
		keys := make([]string, len(items))
		ks := make([]K, len(items))
		for i, it := range items {
			keys[i], ks[i] = it.key, it.k
		}
		vals, errs := c.batchFill(ctx, c.store, keys, ks, true, nil)
		out := make(map[windowItem[K]]windowOutcome[R], len(items))
		for i, it := range items {
			out[it] = windowOutcome[R]{vals[i], errs[i]}
		}
		return out, nil
	}
	return func(ctx context.Context, key string, k K) (R, error) {
		it := windowItem[K]{key, k}
		m, err := co.load(ctx, it)
		if err != nil {
			var zero R
			return zero, err
		}
		o := m[it]
		return o.r, o.err
	}
}
