package redisstore

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Autopipelining by combining: concurrent single-key commands of a Store
// are run together as one pipeline by one of their callers (the leader),
// on the client's own connections, with no goroutine of the Store's.
//
// A caller that finds no pipeline in flight leads: it takes the commands
// queued so far with its own and runs them (alone, a plain command;
// several, one pipeline), bounded by its own context. When the last
// pipeline carried other callers' commands, a new leader with an empty
// queue yields once first (runtime.Gosched): the callers that pipeline
// woke are about to make their next commands, and waiting for them saves
// a round trip of one command (13% of the time per call under 64
// goroutines, interleaved). A lone caller never yields. The
// other callers queue and wait for their reply, or for their context to
// end. A leader that is done completes the waiters of its batch and hands
// the lead to the oldest queued caller, which wakes up once either way: to
// take its reply, or to lead the next batch. So a lone caller costs a
// plain command and nothing else; under many callers each pays a lock, a
// share of a pipeline and one wake-up.

// maxLeaders is the number of pipelines of one Store in flight at once:
// one measured fastest under 64 goroutines (docs/benchmarks.md); two gave
// about 1.3x its time per call in the same interleaved run.
const maxLeaders = 1

// waiter states.
const (
	waitQueued    int32 = iota // in the queue, or in a batch in flight
	waitDone                   // the reply is in cmd (and err)
	waitLead                   // the caller leads the next batch
	waitAbandoned              // the caller's context ended; nobody waits
)

// waiter is one queued command and its caller's wake-up.
type waiter struct {
	ctx   context.Context
	cmd   redis.Cmder
	err   error
	retry bool // the leader's context ended before the command ran
	state atomic.Int32
	wake  chan struct{} // one send per wait: done or lead
}

var waiters = sync.Pool{New: func() any { return &waiter{wake: make(chan struct{}, 1)} }}

// combiner holds the queued commands of one Store.
type combiner struct {
	client  redis.UniversalClient
	mu      sync.Mutex
	queue   []*waiter
	spare   []*waiter // the previous batch's slice, reused for the queue
	leaders int
	shared  bool // the last lead sent other callers' commands too
}

// do runs cmd with the other callers' commands and returns its error, or
// ctx's error when ctx ends first.
func (c *combiner) do(ctx context.Context, cmd redis.Cmder) error {
	c.mu.Lock()
	if c.leaders < maxLeaders {
		c.leaders++
		if len(c.queue) == 0 && c.shared {
			// The last pipeline carried other callers' commands: they are
			// likely about to make their next ones. Let them queue first,
			// rather than send this one alone.
			c.mu.Unlock()
			runtime.Gosched()
			c.mu.Lock()
		}
		batch := c.take()
		c.mu.Unlock()
		return c.lead(ctx, cmd, nil, batch)
	}
	w := waiters.Get().(*waiter)
	w.ctx, w.cmd, w.err, w.retry = ctx, cmd, nil, false
	w.state.Store(waitQueued)
	c.queue = append(c.queue, w)
	c.mu.Unlock()
	for {
		select {
		case <-w.wake:
		case <-ctx.Done():
			if w.state.CompareAndSwap(waitQueued, waitAbandoned) {
				return ctx.Err() // w stays with the queue or the batch: not reused
			}
			<-w.wake // done or lead a moment ago
		}
		if w.state.Load() == waitLead {
			if ctx.Err() != nil { // pass the lead on
				c.handOff()
				w.release()
				return ctx.Err()
			}
			c.mu.Lock()
			batch := c.take()
			c.mu.Unlock()
			return c.lead(ctx, cmd, w, batch)
		}
		err, retry := w.err, w.retry
		if !retry || ctx.Err() != nil {
			w.release()
			if retry {
				return ctx.Err()
			}
			return err
		}
		// The batch's leader gave up at its own deadline before this
		// command had its reply: queue it again (or lead).
		c.mu.Lock()
		if c.leaders < maxLeaders {
			c.leaders++
			batch := c.take()
			c.mu.Unlock()
			return c.lead(ctx, cmd, w, batch)
		}
		w.err, w.retry = nil, false
		w.state.Store(waitQueued)
		c.queue = append(c.queue, w)
		c.mu.Unlock()
	}
}

func (w *waiter) release() {
	w.ctx, w.cmd, w.err = nil, nil, nil
	waiters.Put(w)
}

// take returns the queued commands (c.mu held); lead skips those whose
// callers gave up.
func (c *combiner) take() []*waiter {
	c.shared = len(c.queue) > 0
	if len(c.queue) == 0 {
		return nil
	}
	batch := c.queue
	c.queue = c.spare[:0]
	c.spare = nil
	return batch
}

// lead runs cmd (of the leader's waiter self, nil when the leader never
// queued) with batch, completes batch's waiters and hands the lead on.
func (c *combiner) lead(ctx context.Context, cmd redis.Cmder, self *waiter, batch []*waiter) error {
	finished := false
	defer func() {
		if !finished { // a panic (in a client hook, say) goes on up: the others go on
			for _, w := range batch {
				if w.state.CompareAndSwap(waitQueued, waitDone) {
					w.err, w.retry = errLeaderPanicked, false // read after the wake
					w.wake <- struct{}{}
				}
			}
			c.handOff()
		}
	}()
	var err error
	if len(batch) == 0 {
		err = c.client.Process(ctx, cmd)
	} else {
		pipe := c.client.Pipeline()
		_ = pipe.Process(ctx, cmd)
		for _, w := range batch {
			if w.state.Load() == waitQueued {
				_ = pipe.Process(ctx, w.cmd)
			}
		}
		_, _ = pipe.Exec(ctx) // each command has its own error
		err = cmd.Err()
		// A command of another caller whose context has not ended failed
		// only because the leader's did: the caller tries again.
		ended := deadlineEnded(ctx)
		for _, w := range batch {
			if w.state.CompareAndSwap(waitQueued, waitDone) {
				e := w.cmd.Err() // the caller reads them after the wake
				w.err, w.retry = e, ended && e != nil && !replied(e)
				w.wake <- struct{}{}
			}
		}
		clear(batch)
		c.mu.Lock()
		if c.spare == nil {
			c.spare = batch[:0]
		}
		c.mu.Unlock()
	}
	finished = true
	c.handOff()
	if self != nil {
		self.release()
	}
	return err
}

// errLeaderPanicked is the error of the commands whose pipeline's sender
// panicked before their replies were read.
var errLeaderPanicked = errors.New("the caller that sent the pipeline panicked")

// handOff ends a lead: the oldest queued caller that still waits leads
// next; with none, one pipeline fewer is in flight.
func (c *combiner) handOff() {
	c.mu.Lock()
	for len(c.queue) > 0 {
		w := c.queue[0]
		c.queue = c.queue[1:]
		if w.state.CompareAndSwap(waitQueued, waitLead) {
			c.mu.Unlock()
			w.wake <- struct{}{}
			return
		}
	}
	c.leaders--
	c.mu.Unlock()
}

// deadlineEnded reports whether ctx has ended, or its deadline has passed:
// the client's i/o deadline, set from the context's, can fail a pipeline
// a moment before the context reports its end, and the other callers'
// commands must then be tried again, not failed with that i/o timeout.
func deadlineEnded(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}

// replied reports whether err is the server's answer (a reply error, or
// nil for a missing key): the command ran.
func replied(err error) bool {
	var re redis.Error
	return errors.Is(err, redis.Nil) || errors.As(err, &re)
}
