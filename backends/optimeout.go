package backends

import (
	"context"
	"sync"
	"sync/atomic"
	"time"
)

// Shared operation deadlines. A storage operation on a context that can
// never end (context.Background, or one that only carries values) needs a
// deadline, and context.WithTimeout gives each one a timer and four
// allocations; under many concurrent callers the timers' heap becomes the
// cost of a call. Operations bounded by the same timeout share instead one
// context per window of d/16: an operation started at t gets the window's
// deadline, between t+d and t+d+d/16. Nothing is stopped early; a call is
// at most a sixteenth of its timeout later than context.WithTimeout would
// make it.

// opWindows is the number of windows per timeout: the deadline's slack is
// d/opWindows.
const opWindows = 16

// maxSharedTimeouts bounds the timeouts that share contexts (a program has
// one or a few); an operation with another one gets a context of its own.
const maxSharedTimeouts = 8

// opWindow is the shared context of the operations that start within one
// window.
type opWindow struct {
	ctx    context.Context // context.WithDeadline(context.Background(), end)
	cancel context.CancelFunc
	until  time.Time // operations that start before until may use ctx
	// bg is the context handed out for a parent that is exactly
	// context.Background(): made once, so that such a call allocates
	// nothing.
	bg context.Context
}

// opTimeout holds the current window of one timeout.
type opTimeout struct {
	d   time.Duration
	mu  sync.Mutex // serializes the making of a new window
	cur atomic.Pointer[opWindow]
}

// opTimeouts lists the timeouts with shared contexts, copied on write.
var opTimeouts atomic.Pointer[[]*opTimeout]

var opTimeoutsMu sync.Mutex

// sharedTimeout returns the opTimeout of d, or nil when there are too many.
func sharedTimeout(d time.Duration) *opTimeout {
	if l := opTimeouts.Load(); l != nil {
		for _, t := range *l {
			if t.d == d {
				return t
			}
		}
	}
	opTimeoutsMu.Lock()
	defer opTimeoutsMu.Unlock()
	var list []*opTimeout
	if l := opTimeouts.Load(); l != nil {
		list = *l
	}
	for _, t := range list {
		if t.d == d {
			return t
		}
	}
	if len(list) >= maxSharedTimeouts {
		return nil
	}
	t := &opTimeout{d: d}
	next := append(append(make([]*opTimeout, 0, len(list)+1), list...), t)
	opTimeouts.Store(&next)
	return t
}

// window returns a window whose deadline is between now+d and
// now+d+d/opWindows.
func (t *opTimeout) window(now time.Time) *opWindow {
	if w := t.cur.Load(); w != nil && now.Before(w.until) {
		return w
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if w := t.cur.Load(); w != nil && now.Before(w.until) {
		return w
	}
	slack := t.d / opWindows
	// The context is cancelled by its own timer at its deadline (cancel
	// is kept, never called); nothing holds it once the window has passed.
	ctx, cancel := context.WithDeadline(context.Background(), now.Add(t.d+slack))
	w := &opWindow{ctx: ctx, cancel: cancel, until: now.Add(slack)}
	w.bg = sharedOpCtx{parent: context.Background(), w: w}
	t.cur.Store(w)
	return w
}

// sharedOpCtx is an operation's context: the values of parent (which can
// never end), the deadline and cancellation of a shared window. Like
// deadlineOnly, it ends at its deadline and in no other way.
type sharedOpCtx struct {
	parent context.Context
	w      *opWindow
}

func (c sharedOpCtx) Deadline() (time.Time, bool) { return c.w.ctx.Deadline() }
func (c sharedOpCtx) Done() <-chan struct{}       { return c.w.ctx.Done() }
func (c sharedOpCtx) Err() error                  { return c.w.ctx.Err() }

// Value answers from the window's context first, which holds no value of
// its own but lets package context find its cancellation (a context
// derived from this one is cancelled with the window, with no goroutine),
// then from parent.
func (c sharedOpCtx) Value(key any) any {
	if v := c.w.ctx.Value(key); v != nil {
		return v
	}
	return c.parent.Value(key)
}

func (c sharedOpCtx) String() string { return "backends.WithOpTimeout(shared window)" }

// noopCancel is the cancel of a shared operation context: the window ends
// by itself.
func noopCancel() {}

// sharedOpTimeout returns the shared context of an operation on parent,
// which can never end, bounded by d; ok is false when d has no shared
// windows.
func sharedOpTimeout(parent context.Context, d time.Duration) (context.Context, bool) {
	if d < opWindows*time.Microsecond {
		return nil, false // too short to share
	}
	t := sharedTimeout(d)
	if t == nil {
		return nil, false
	}
	w := t.window(time.Now())
	if parent == context.Background() {
		return w.bg, true
	}
	return sharedOpCtx{parent: parent, w: w}, true
}
