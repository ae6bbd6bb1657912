package flight

import (
	"context"
	"errors"
	"runtime/debug"
	"sync/atomic"
	"time"
)

// errNoOutcome ends a run whose batch function returned fewer outcomes
// than it leads keys.
var errNoOutcome = errors.New("ring: internal error: the batch returned no outcome for the key")

// Batch is one execution of a function for many keys at once (DoMany):
// one run per key that had none in flight, all ended by the same function
// call. The function receives a context that carries its Batch (see
// Group.RunningBatch).
type Batch struct {
	group *Group
	// runs holds the batch's run of each key it leads; never changed once
	// the function has started.
	runs map[string]*Run
	// live counts the runs that still have a caller waiting; the batch's
	// context is cancelled when it reaches zero.
	live   atomic.Int64
	ctx    context.Context
	cancel context.CancelFunc
}

// batchParent is the parent (runState.parent) of a run of a batch: the
// batch, which Run.end finds there, as a context (the batch's own). A
// field of its own in every Run would cost every miss 8 bytes.
type batchParent Batch

func (p *batchParent) Deadline() (time.Time, bool) { return p.ctx.Deadline() }
func (p *batchParent) Done() <-chan struct{}       { return p.ctx.Done() }
func (p *batchParent) Err() error                  { return p.ctx.Err() }
func (p *batchParent) Value(key any) any           { return p.ctx.Value(key) }

// Run returns the batch's run of key, or nil if the batch does not lead
// key.
func (b *Batch) Run(key string) *Run { return b.runs[key] }

// RunningBatch returns the batch of this group whose function received
// ctx (or a context derived from it), or nil.
func (g *Group) RunningBatch(ctx context.Context) *Batch {
	if b, ok := ctx.Value(runKey{}).(*Batch); ok && b != nil && b.group == g {
		return b
	}
	return nil
}

// DoMany is Do for many distinct keys with one function call: each key
// that has a run in flight (a Do's or another DoMany's) is joined, and the
// others get a run each, all of which fn ends in one call. fn receives the
// indices in keys of the keys it leads and returns a value and an error for
// each of them, in the same order. It returns the outcome of every key.
//
// fn's context keeps the values of ctx and is cancelled only when every
// caller of every one of its runs has stopped waiting (a Do that joined
// one of them counts). A run is made stale by Forget as any other; fn
// asks Run.Stale (through RunningBatch) before it writes a key's result.
// When ctx ends, DoMany stops waiting at once: the keys not yet done get
// ctx's error. A panic in fn reaches every waiter of its runs; DoMany
// panics with the first *PanicError among the runs it waited for, after
// it has stopped waiting for all of them. When fn calls runtime.Goexit,
// its runs end with ErrGoexit.
//
// When ctx can end, fn runs on a goroutine of its own; otherwise on the
// caller's.
func (g *Group) DoMany(ctx context.Context, keys []string, fn func(ctx context.Context, lead []int) ([]any, []error)) ([]any, []error) {
	return g.doMany(ctx, keys, fn, nil)
}

// DoManyShared is DoMany that also returns how many of keys joined a run
// another caller had started (single flight coalesced them).
func (g *Group) DoManyShared(ctx context.Context, keys []string, fn func(ctx context.Context, lead []int) ([]any, []error)) ([]any, []error, int) {
	var joined int
	vals, errs := g.doMany(ctx, keys, fn, &joined)
	return vals, errs, joined
}

// doMany is DoMany; joined, if set, receives the number of keys joined.
func (g *Group) doMany(ctx context.Context, keys []string, fn func(ctx context.Context, lead []int) ([]any, []error), joined *int) ([]any, []error) {
	vals := make([]any, len(keys))
	errs := make([]error, len(keys))
	if err := ctx.Err(); err != nil {
		for i := range errs {
			errs[i] = err
		}
		return vals, errs
	}
	runs := make([]*Run, len(keys))
	var lead []int
	b := &Batch{group: g}
	// Each key is looked up and put in flight under its shard's lock, one
	// shard at a time.
	for i, k := range keys {
		h := Hash(k)
		s := g.shardOf(h)
		s.mu.Lock()
		if c := s.find(k, h); c != nil {
			c.join()
			s.mu.Unlock()
			runs[i] = c
			continue
		}
		if b.runs == nil {
			b.runs = make(map[string]*Run)
			rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
			b.ctx, b.cancel = context.WithValue(rctx, runKey{}, b), cancel
		}
		// The last waiter of a run to leave releases it; the last run
		// released cancels the batch (Run.end).
		c := &Run{group: g, key: k, hash: uint32(h), done: make(chan struct{}), waiters: 1}
		c.state.parent = (*batchParent)(b)
		b.runs[k] = c
		b.live.Add(1) // before c is in flight, where a waiter may leave it
		s.add(c)
		s.mu.Unlock()
		runs[i] = c
		lead = append(lead, i)
	}
	if joined != nil {
		*joined = len(keys) - len(lead)
	}

	if len(lead) > 0 {
		leadRuns := make([]*Run, len(lead))
		for j, i := range lead {
			leadRuns[j] = runs[i]
		}
		if ctx.Done() == nil {
			g.runBatch(b, leadRuns, lead, fn)
		} else {
			go g.runBatch(b, leadRuns, lead, fn)
		}
	}
	var pan *PanicError
	for i, c := range runs {
		var p *PanicError
		vals[i], p, errs[i] = g.waitQuiet(ctx, c)
		if p != nil && pan == nil {
			pan = p
		}
	}
	if pan != nil {
		panic(pan)
	}
	return vals, errs
}

// waitQuiet is wait that returns a panic of the run instead of raising it.
func (g *Group) waitQuiet(ctx context.Context, c *Run) (any, *PanicError, error) {
	select {
	case <-c.done:
	case <-ctx.Done():
		select {
		case <-c.done:
		default:
			g.leave(c)
			return nil, nil, ctx.Err()
		}
	}
	if pe := c.panicked(); pe != nil {
		return nil, pe, nil
	}
	return c.val, nil, c.err
}

// runBatch runs fn for the batch's runs and ends each with its outcome.
func (g *Group) runBatch(b *Batch, runs []*Run, lead []int, fn func(ctx context.Context, lead []int) ([]any, []error)) {
	var (
		vals   []any
		errs   []error
		normal bool
	)
	defer func() {
		var pan *PanicError
		var err error
		if !normal {
			if r := recover(); r != nil {
				if pe, ok := r.(*PanicError); ok {
					pan = pe
				} else {
					pan = &PanicError{Value: r, Stack: debug.Stack()}
				}
			} else {
				err = ErrGoexit
			}
		}
		for j, c := range runs {
			s := g.shardOf(uint64(c.hash))
			s.mu.Lock()
			s.remove(c)
			switch {
			case !normal:
				if pan != nil {
					c.setPanic(pan)
				} else {
					c.err = err
				}
			case j < len(vals) && j < len(errs):
				c.val, c.err = vals[j], errs[j]
			default:
				c.err = errNoOutcome
			}
			s.mu.Unlock()
		}
		for _, c := range runs {
			close(c.done)
		}
		b.cancel()
	}()
	vals, errs = fn(b.ctx, lead)
	normal = true
}
