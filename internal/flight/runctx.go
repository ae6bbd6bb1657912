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
	// ended is set once the run's context is cancelled.
	ended atomic.Bool
	// inner is the cancellable context, once made.
	inner atomic.Pointer[cancellable]
}

// cancellable is context.WithCancel of a run's parent.
type cancellable struct {
	ctx    context.Context
	cancel context.CancelFunc
}

// end cancels the run's context: Err reports context.Canceled from now
// on, and the contexts derived from it are cancelled.
func (s *runState) end() {
	s.ended.Store(true)
	if in := s.inner.Load(); in != nil {
		in.cancel()
	}
}

// cancellable returns the run's cancellable context, made on the first
// call (cancelled if the run has ended).
func (s *runState) cancellable() context.Context {
	in := s.inner.Load()
	if in == nil {
		in = new(cancellable)
		in.ctx, in.cancel = context.WithCancel(s.parent)
		if !s.inner.CompareAndSwap(nil, in) {
			in.cancel() // another caller made it first: use that one
			in = s.inner.Load()
		}
	}
	// end stores ended before it loads inner, and this loads ended after
	// inner was stored: one of the two cancels.
	if s.ended.Load() {
		in.cancel()
	}
	return in.ctx
}

func (s *runState) deadline() (time.Time, bool) { return s.parent.Deadline() }

// err is the run's context's Err: once the cancellable context exists,
// its own, so that Err is never set while Done is still open.
func (s *runState) err() error {
	if in := s.inner.Load(); in != nil {
		return in.ctx.Err()
	}
	if s.ended.Load() {
		return context.Canceled
	}
	return nil
}

func (s *runState) doneChan() <-chan struct{} { return s.cancellable().Done() }

// value is what the run's context holds under key, the run aside. Package
// context finds the cancellable context it derives from by asking for a
// key of type *int (context.cancelCtxKey): that one is answered by the
// cancellable context, so that a context derived from the run's, even
// through values, is cancelled with it without a goroutine that waits for
// it; every other key by the parent (the cancellable context answers the
// same for keys that are not its own).
func (s *runState) value(key any) any {
	if _, ok := key.(*int); ok {
		return s.cancellable().Value(key)
	}
	return s.parent.Value(key)
}

// runCtx is the context a run of Do hands its function: the run's
// cancellation (runState), its values (the parent's, and the run as the
// value of runKey). It is the Run itself under another type: a run's
// context is (*runCtx)(run), with no allocation nor field of its own.
type runCtx Run

func (c *runCtx) Deadline() (time.Time, bool) { return c.state.deadline() }
func (c *runCtx) Done() <-chan struct{}       { return c.state.doneChan() }
func (c *runCtx) Err() error                  { return c.state.err() }

// Value returns the run for runKey, and otherwise what the parent holds.
func (c *runCtx) Value(key any) any {
	if _, ok := key.(runKey); ok {
		return (*Run)(c)
	}
	return c.state.value(key)
}

// String names the context, as the contexts of package context do.
func (c *runCtx) String() string { return "flight.run(" + c.key + ")" }

// outsideCtx is the context Outside returns for a run's own context: the
// same cancellation and values, but runKey holds no run.
type outsideCtx Run

func (c *outsideCtx) Deadline() (time.Time, bool) { return c.state.deadline() }
func (c *outsideCtx) Done() <-chan struct{}       { return c.state.doneChan() }
func (c *outsideCtx) Err() error                  { return c.state.err() }

// Value returns a nil *Run for runKey, nil for HiddenKey, and otherwise
// what the parent holds.
func (c *outsideCtx) Value(key any) any {
	switch key.(type) {
	case runKey:
		return (*Run)(nil)
	case HiddenKey:
		return nil
	}
	return c.state.value(key)
}

// HiddenKey is a context key that the context Outside returns for a run's
// own context answers nil for, whatever the run's parent holds under it,
// as it does for the run itself: the key of a value that belongs to the
// run's callers and must not reach the function (package rope keys its
// WriteMark with it). The run's own context answers the parent's value.
type HiddenKey struct{}

// String names the context, as the contexts of package context do.
func (c *outsideCtx) String() string { return "flight.outside(" + c.key + ")" }
