package flight

import (
	"context"
	"sync/atomic"
	"time"
)

// runState is the cancellation of a run of Do, kept in its Run: the run's
// context is cancelled when the run ends or every caller has gone, as if
// made by context.WithCancel, but that context is made only when someone
// looks at the cancellation (Done, or package context deriving a context
// from the run's). A run whose function does not costs no allocation, and
// an atomic store and load to end.
type runState struct {
	// parent gives the run's values and deadline: the first caller's
	// context, or, when that one can end, context.WithoutCancel of it.
	parent context.Context
	// The flag that the run's context is cancelled is Run.ended.
	//
	// inner is the cancellable context, once made.
	inner atomic.Pointer[cancellable]
}

// cancellable is context.WithCancel of a run's parent.
type cancellable struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// endCtx cancels the run's context: Err reports context.Canceled from now
// on, and the contexts derived from it are cancelled.
func (r *Run) endCtx() {
	s := &r.state
	r.ended.Store(true)
	if in := s.inner.Load(); in != nil {
		in.cancel()
	}
}

// cancellable returns the run's cancellable context, made on the first
// call (cancelled if the run has ended).
func (r *Run) cancellable() context.Context {
	s := &r.state
	in := s.inner.Load()
	if in == nil {
		in = new(cancellable)
		in.ctx, in.cancel = context.WithCancel(s.parent)
		if !s.inner.CompareAndSwap(nil, in) {
			in.cancel() // another caller made it first: use that one
			in = s.inner.Load()
		}
	}
	// endCtx stores ended before it loads inner, and this loads ended after
	// inner was stored: one of the two cancels.
	if r.ended.Load() {
		in.cancel()
	}
	return in.ctx
}

func (r *Run) deadline() (time.Time, bool) { return r.state.parent.Deadline() }

// ctxErr is the run's context's Err: once the cancellable context exists,
// its own, so that Err is never set while Done is still open.
func (r *Run) ctxErr() error {
	if in := r.state.inner.Load(); in != nil {
		return in.ctx.Err()
	}
	if r.ended.Load() {
		return context.Canceled
	}
	return nil
}

func (r *Run) doneChan() <-chan struct{} { return r.cancellable().Done() }

// value is what the run's context holds under key, the run aside. Package
// context finds the cancellable context it derives from by asking for a
// key of type *int (context.cancelCtxKey): that one is answered by the
// cancellable context, so that a context derived from the run's, even
// through values, is cancelled with it without a goroutine that waits for
// it; every other key by the parent (the cancellable context answers the
// same for keys that are not its own).
func (r *Run) value(key any) any {
	if _, ok := key.(*int); ok {
		return r.cancellable().Value(key)
	}
	return r.state.parent.Value(key)
}

// runCtx is the context a run of Do hands its function: the run's
// cancellation (runState), its values (the parent's, and the run as the
// value of runKey). It is the Run itself under another type: a run's
// context is (*runCtx)(run), with no allocation nor field of its own.
type runCtx Run

func (c *runCtx) Deadline() (time.Time, bool) { return (*Run)(c).deadline() }
func (c *runCtx) Done() <-chan struct{}       { return (*Run)(c).doneChan() }
func (c *runCtx) Err() error                  { return (*Run)(c).ctxErr() }

// Value returns the run for runKey, and otherwise what the parent holds.
func (c *runCtx) Value(key any) any {
	if _, ok := key.(runKey); ok {
		return (*Run)(c)
	}
	return (*Run)(c).value(key)
}

// String names the context, as the contexts of package context do.
func (c *runCtx) String() string { return "flight.run(" + c.key + ")" }

// outsideCtx is the context Outside returns for a run's own context: the
// same cancellation and values, but runKey holds no run.
type outsideCtx Run

func (c *outsideCtx) Deadline() (time.Time, bool) { return (*Run)(c).deadline() }
func (c *outsideCtx) Done() <-chan struct{}       { return (*Run)(c).doneChan() }
func (c *outsideCtx) Err() error                  { return (*Run)(c).ctxErr() }

// Value returns a nil *Run for runKey, nil for HiddenKey, and otherwise
// what the parent holds.
func (c *outsideCtx) Value(key any) any {
	switch key.(type) {
	case runKey:
		return (*Run)(nil)
	case HiddenKey:
		return nil
	}
	return (*Run)(c).value(key)
}

// HiddenKey is a context key that the context Outside returns for a run's
// own context answers nil for, whatever the run's parent holds under it,
// as it does for the run itself: the key of a value that belongs to the
// run's callers and must not reach the function (package rope keys its
// WriteMark with it). The run's own context answers the parent's value.
type HiddenKey struct{}

// String names the context, as the contexts of package context do.
func (c *outsideCtx) String() string { return "flight.outside(" + c.key + ")" }
