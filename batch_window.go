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
// no bound). Each ID keeps its own single flight, and each Call writes its
// own entry when the shared call returns.
//
// A Call waits at most d more than the function takes; a Call whose
// context ends stops waiting at once, and when every Call of a window has
// gone before it closes, the window is dropped and the function not
// called. Once called, the function's context keeps the values of the
// window's first Call and is cancelled when every Call of the window has
// gone. No goroutine nor timer outlives a window: the timer of a window
// that closed early is stopped, and the function runs on the timer's
// goroutine (or, for a full window, on one of its own), which ends when the
// function returns.
//
// Many().GetOrUpdate and Many().Update do not wait for a window: they
// call the function at once with their own IDs. d must be positive and max
// not negative, and only a ring built by Batch takes the option.
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
