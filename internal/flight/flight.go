// Package flight runs one function per key at a time and shares its result
// with every concurrent caller of the same key (single flight), carrying a
// panic to every waiter.
//
// The function runs on a context of its own: it keeps the values of the
// first caller's context (trace spans, for example) but no caller's
// cancellation ends it. Each caller stops waiting as soon as its own context
// ends; the run's context is cancelled only when every caller has gone.
//
// A run can be made stale (Forget, or every caller gone): callers that
// arrive later start a new run, and the code that stores the run's result
// asks Run.Stale before it writes.
package flight

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"sync/atomic"
)

// PanicError is what a panic inside a flight becomes: the leader and every
// waiter panic with the same *PanicError, which carries the original value
// and the stack of the goroutine that panicked.
type PanicError struct {
	Value any
	Stack []byte
}

// Error describes the panic with its stack.
func (p *PanicError) Error() string {
	return fmt.Sprintf("ring: panic in cached function: %v\n\n%s", p.Value, p.Stack)
}

// Unwrap returns the panic value when it is an error.
func (p *PanicError) Unwrap() error {
	if err, ok := p.Value.(error); ok {
		return err
	}
	return nil
}

// ErrGoexit is reported to the callers of a run whose function called
// runtime.Goexit (t.FailNow in a test, for example).
var ErrGoexit = errors.New("ring: cached function called runtime.Goexit")

// Run is one execution of a flight's function. The function receives a
// context that carries its Run (see Group.Running).
type Run struct {
	group *Group
	key   string
	// done is closed when the run has finished. A run of Do on its
	// leader's goroutine makes it only when a waiter joins (under
	// its shard's lock), so that a miss nobody else waits for allocates no
	// channel; finished tells a late joiner (none: a finished run has left
	// the group) apart. Other runs make it when they start.
	done chan struct{}
	// state is the cancellation of a run of Do (runctx.go), whose context
	// is the Run itself as a *runCtx, and Outside of it as an *outsideCtx;
	// ended is its flag, here so that it packs with the other small
	// fields. A run of DoMany has its Batch there instead, as the parent
	// (a *batchParent: batch.go), and no cancellation of its own.
	state runState

	// val and err are the run's outcome; a panic is an err of type
	// panicErr.
	val any
	err error

	hash uint32 // Hash(key)
	// waiters counts the callers still waiting; guarded by the lock of its shard.
	waiters int32
	// stale is set once the run's result must not be stored: a newer
	// write of its key (Forget) or every caller gone.
	stale atomic.Bool
	// ended is set once the run's context is cancelled (runState).
	ended atomic.Bool
}

// panicErr is the err of a run whose function panicked, holding its
// *PanicError: a type of its own, so that a function that returns a
// *PanicError as its error (ring's StaleIfError does) is not taken for
// one that panicked, and one field less in every Run.
type panicErr struct{ pe *PanicError }

func (p panicErr) Error() string { return p.pe.Error() }

// panicked returns the run's *PanicError, or nil.
func (r *Run) panicked() *PanicError {
	if p, ok := r.err.(panicErr); ok {
		return p.pe
	}
	return nil
}

// setPanic makes pe the run's outcome.
func (r *Run) setPanic(pe *PanicError) { r.err = panicErr{pe} }

// Key returns the key of the run.
func (r *Run) Key() string { return r.key }

// Hash returns Hash of the run's key.
func (r *Run) Hash() uint64 { return uint64(r.hash) }

// Stale reports whether the run's result must not be stored any more: its
// key was forgotten (a newer write) or every caller stopped waiting.
func (r *Run) Stale() bool { return r.stale.Load() }

// join counts one more caller waiting for c, and makes c's done channel
// if it has none yet. The caller holds the lock of c's shard.
func (c *Run) join() {
	c.waiters++
	if c.done == nil {
		c.done = make(chan struct{})
	}
}

type runKey struct{}

// Group de-duplicates concurrent calls by key. The zero value is ready to
// use; a Group must not be copied after first use.
type Group struct {
	shards [numShards]shard // table.go
}

// Do runs fn once for all concurrent callers of key and returns its result to
// each. shared reports whether this caller joined another's run.
//
// fn receives a context that keeps the values of the first caller's ctx but
// is cancelled only when every caller has stopped waiting. A caller whose
// ctx ends stops waiting at once and returns ctx.Err(); the run goes on for
// the others. A caller whose ctx is already done returns its error without
// starting or joining a run. If fn panics, every caller still waiting
// panics with the same *PanicError; if it calls runtime.Goexit, they
// receive ErrGoexit.
//
// When the first caller's ctx can end, fn runs on a goroutine of its own,
// which ends when fn returns; otherwise it runs on the caller's goroutine.
func (g *Group) Do(ctx context.Context, key string, fn func(ctx context.Context) (any, error)) (v any, err error, shared bool) {
	return g.DoWork(ctx, key, nil, funcWork(fn))
}

// Work is the function of a run as a value (DoWork).
type Work interface {
	Work(ctx context.Context) (any, error)
}

// funcWork is a function as a Work.
type funcWork func(ctx context.Context) (any, error)

func (f funcWork) Work(ctx context.Context) (any, error) { return f(ctx) }

// DoWork is Do with the function given as w, and run, if not nil, the
// zero Run that the run is made in if this caller starts one: a caller
// that keeps it in the same allocation as w (a field of w's struct) pays
// one allocation for both. run must be new to every call, and is not used
// when the caller joins another's run.
func (g *Group) DoWork(ctx context.Context, key string, run *Run, w Work) (v any, err error, shared bool) {
	return g.DoWorkHash(ctx, key, Hash(key), run, w)
}

// DoWorkHash is DoWork for a caller that has hashed key already: h must
// be Hash(key).
func (g *Group) DoWorkHash(ctx context.Context, key string, h uint64, run *Run, w Work) (v any, err error, shared bool) {
	if err := ctx.Err(); err != nil {
		return nil, err, false
	}
	s := g.shardOf(h)
	s.mu.Lock()
	if c := s.find(key, h); c != nil {
		c.join()
		s.mu.Unlock()
		v, err := g.wait(ctx, c)
		return v, err, true
	}
	c := run
	if c == nil {
		c = new(Run)
	}
	c.group, c.key, c.hash, c.waiters = g, key, uint32(h), 1
	inline := ctx.Done() == nil // this caller never leaves: run on its goroutine
	c.state.parent = ctx
	if !inline {
		// A context that can end must not end the run: keep only its values.
		c.state.parent = context.WithoutCancel(ctx)
		c.done = make(chan struct{})
	}
	s.add(c)
	s.mu.Unlock()

	if inline {
		g.run(c, w)
		return result(c)
	}
	go g.run(c, w)
	v, err = g.wait(ctx, c)
	return v, err, false
}

// end cancels the run's context: a run of Do's own, or its share of its
// batch's (the last run of a batch to end cancels the batch's context).
func (c *Run) end() {
	if b, ok := c.state.parent.(*batchParent); ok {
		if b.live.Add(-1) == 0 {
			b.cancel()
		}
		return
	}
	c.endCtx()
}

// result returns the run's outcome to one caller, panicking with the run's
// *PanicError if fn panicked.
func result(c *Run) (any, error, bool) {
	if pe := c.panicked(); pe != nil {
		panic(pe)
	}
	return c.val, c.err, false
}

func (g *Group) wait(ctx context.Context, c *Run) (any, error) {
	select {
	case <-c.done:
	case <-ctx.Done():
		select {
		case <-c.done: // finished too: the result is better than the error
		default:
			g.leave(c)
			return nil, ctx.Err()
		}
	}
	v, err, _ := result(c)
	return v, err
}

// leave removes one waiter; the last one to go makes the run stale,
// detaches it from its key and cancels its context.
func (g *Group) leave(c *Run) {
	s := g.shardOf(uint64(c.hash))
	s.mu.Lock()
	c.waiters--
	last := c.waiters == 0
	if last {
		c.stale.Store(true)
		s.remove(c)
	}
	s.mu.Unlock()
	if last {
		c.end()
	}
}

// Forget detaches the run in flight for key, if any, and makes it stale:
// callers that arrive later start a new run, callers already waiting still
// receive its result, and Run.Stale reports true from now on.
func (g *Group) Forget(key string) {
	h := Hash(key)
	s := g.shardOf(h)
	s.mu.Lock()
	if c := s.find(key, h); c != nil {
		c.stale.Store(true)
		s.remove(c)
	}
	s.mu.Unlock()
}

// ForgetAll is Forget for every key with a run in flight.
func (g *Group) ForgetAll() {
	for i := range g.shards {
		s := &g.shards[i]
		s.mu.Lock()
		s.each(func(c *Run) { c.stale.Store(true) })
		s.clear()
		s.mu.Unlock()
	}
}

// Running returns the run of this group whose function received ctx (or a
// context derived from it), or nil.
func (g *Group) Running(ctx context.Context) *Run {
	if c, ok := ctx.Value(runKey{}).(*Run); ok && c != nil && c.group == g {
		return c
	}
	return nil
}

// Owns reports whether c is a run of g: Running(ctx) == c for the context
// g handed c's function.
func (g *Group) Owns(c *Run) bool { return c != nil && c.group == g }

// Outside returns ctx such that Running reports nil for it and for every
// context derived from it: the context to hand to code that is not the
// run's own (the wrapped function, whose writes are writes of its own).
// It returns ctx itself when ctx carries no run.
func Outside(ctx context.Context) context.Context {
	if out, ok := OutsideRun(ctx); ok {
		return out
	}
	c, _ := ctx.Value(runKey{}).(*Run)
	if b, _ := ctx.Value(runKey{}).(*Batch); c == nil && b == nil {
		return ctx
	}
	return context.WithValue(ctx, runKey{}, (*Run)(nil))
}

// OutsideRun returns Outside(ctx) and true when ctx is the context a run
// of Do handed its function (not one derived from it): that context
// without the run, and without the value the parent holds under
// HiddenKey. It returns ctx and false for every other context.
func OutsideRun(ctx context.Context) (context.Context, bool) {
	if rc, ok := ctx.(*runCtx); ok {
		return (*outsideCtx)(rc), true // no allocation
	}
	return ctx, false
}

func (g *Group) run(c *Run, w Work) {
	normal := false
	defer func() {
		if !normal {
			if r := recover(); r != nil {
				if pe, ok := r.(*PanicError); ok {
					c.setPanic(pe)
				} else {
					c.setPanic(&PanicError{Value: r, Stack: debug.Stack()})
				}
			} else if c.panicked() == nil {
				c.err = ErrGoexit
			}
		}
		s := g.shardOf(uint64(c.hash))
		s.mu.Lock()
		s.remove(c)
		done := c.done // no waiter can join any more: c has left the group
		s.mu.Unlock()
		if done != nil {
			close(done)
		}
		c.end()
	}()
	c.val, c.err = w.Work((*runCtx)(c))
	normal = true
}
