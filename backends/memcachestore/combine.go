package memcachestore

import (
	"context"
	"errors"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
)

// Autopipelining of single-key reads by combining (AutoPipeline): the
// concurrent Gets of a Store that go to one server are read together, as
// one "get k1 k2 ... kn" sent by one of their callers (the leader) on the
// bulk path's connections, with no goroutine of the Store's. It is the
// scheme of backends/redisstore/combine.go, on memcached's own multi-key
// get: the answers of a get come back in the order of its keys, so each
// caller's value is found by position, never by a lookup.
//
// A caller that finds no get of its server in flight leads: it takes the
// keys queued so far with its own and reads them (alone, the get of one
// key that Get sends without the option), bounded by its own context. When
// the last get carried other callers' keys, a new leader with an empty
// queue yields once first (runtime.Gosched): the callers that get woke are
// about to make their next calls, and waiting for them saves a round trip
// of one key. A lone caller never yields. The other callers queue and wait
// for their value, or for their context to end. A leader that is done
// completes the waiters of its batch and hands the lead to the oldest
// queued caller, which wakes up once either way: to take its value, or to
// lead the next batch.

// mcMaxLeaders is the number of combined gets of one server in flight at
// once (docs/backends.md has the measurement that chose it).
const mcMaxLeaders = 1

// mcWaiter states.
const (
	mcQueued    int32 = iota // in the queue, or in a batch in flight
	mcDone                   // the value is in val (and err)
	mcLead                   // the caller leads the next batch
	mcAbandoned              // the caller's context ended; nobody waits
)

// mcWaiter is one queued key and its caller's wake-up.
type mcWaiter struct {
	key   string
	val   []byte
	err   error
	retry bool // the leader's context ended before the value was read
	state atomic.Int32
	wake  chan struct{} // one send per wait: done or lead
}

var mcWaiters = sync.Pool{New: func() any { return &mcWaiter{wake: make(chan struct{}, 1)} }}

func (w *mcWaiter) release() {
	w.key, w.val, w.err = "", nil, nil
	mcWaiters.Put(w)
}

// mcCombiner holds the queued reads of one server of a Store.
type mcCombiner struct {
	p       *mcPipe
	addr    net.Addr
	mu      sync.Mutex
	queue   []*mcWaiter
	spare   []*mcWaiter // the previous batch's slice, reused for the queue
	leaders int
	shared  bool         // the last lead read other callers' keys too
	batches atomic.Int64 // gets that carried other callers' keys (tests read it)
}

// combiner returns the combiner of addr's server.
func (p *mcPipe) combiner(addr net.Addr) *mcCombiner {
	a := addr.String()
	if c, ok := p.combs.Load(a); ok {
		return c.(*mcCombiner)
	}
	c, _ := p.combs.LoadOrStore(a, &mcCombiner{p: p, addr: addr})
	return c.(*mcCombiner)
}

// getCombined reads key (already refactored) with the concurrent reads of
// the same server: the value (nil for a miss), or the error of the get
// that carried it, or ctx's error when ctx ends first.
func (p *mcPipe) getCombined(ctx context.Context, key string) ([]byte, error) {
	addr, err := p.ss.PickServer(key)
	if err != nil {
		return nil, err
	}
	return p.combiner(addr).get(ctx, key)
}

func (c *mcCombiner) get(ctx context.Context, key string) ([]byte, error) {
	c.mu.Lock()
	if c.leaders < mcMaxLeaders {
		c.leaders++
		if len(c.queue) == 0 && c.shared {
			// The last get carried other callers' keys: they are likely
			// about to make their next calls. Let them queue first,
			// rather than send this key alone.
			c.mu.Unlock()
			runtime.Gosched()
			c.mu.Lock()
		}
		batch := c.take()
		c.mu.Unlock()
		return c.lead(ctx, key, nil, batch)
	}
	w := mcWaiters.Get().(*mcWaiter)
	w.key, w.val, w.err, w.retry = key, nil, nil, false
	w.state.Store(mcQueued)
	c.queue = append(c.queue, w)
	c.mu.Unlock()
	for {
		select {
		case <-w.wake:
		case <-ctx.Done():
			if w.state.CompareAndSwap(mcQueued, mcAbandoned) {
				return nil, ctx.Err() // w stays with the queue or the batch: not reused
			}
			<-w.wake // done or lead a moment ago
		}
		if w.state.Load() == mcLead {
			if ctx.Err() != nil { // pass the lead on
				c.handOff()
				w.release()
				return nil, ctx.Err()
			}
			c.mu.Lock()
			batch := c.take()
			c.mu.Unlock()
			return c.lead(ctx, key, w, batch)
		}
		val, err, retry := w.val, w.err, w.retry
		if !retry || ctx.Err() != nil {
			w.release()
			if retry {
				return nil, ctx.Err()
			}
			return val, err
		}
		// The batch's leader gave up at its own deadline or cancel before
		// this value was read: queue it again (or lead).
		c.mu.Lock()
		if c.leaders < mcMaxLeaders {
			c.leaders++
			batch := c.take()
			c.mu.Unlock()
			return c.lead(ctx, key, w, batch)
		}
		w.val, w.err, w.retry = nil, nil, false
		w.state.Store(mcQueued)
		c.queue = append(c.queue, w)
		c.mu.Unlock()
	}
}

// take returns the queued waiters (c.mu held); lead skips those whose
// callers gave up.
func (c *mcCombiner) take() []*mcWaiter {
	c.shared = len(c.queue) > 0
	if len(c.queue) == 0 {
		return nil
	}
	batch := c.queue
	c.queue = c.spare[:0]
	c.spare = nil
	return batch
}

// lead reads key (of the leader's waiter self, nil when the leader never
// queued) with the keys of batch in one get, completes batch's waiters and
// hands the lead on.
func (c *mcCombiner) lead(ctx context.Context, key string, self *mcWaiter, batch []*mcWaiter) (val []byte, err error) {
	finished := false
	defer func() {
		if !finished { // a panic (in the client's DialContext, say) goes on up: the others go on
			for _, w := range batch {
				if w.state.CompareAndSwap(mcQueued, mcDone) {
					w.val, w.err, w.retry = nil, errLeaderPanicked, false // read after the wake
					w.wake <- struct{}{}
				}
			}
			c.handOff()
		}
	}()
	if len(batch) == 0 {
		keys, out, idx := [1]string{key}, [1][]byte{}, [1]int{}
		groups := [1]mcGroup{{addr: c.addr, idx: idx[:]}}
		err = c.p.getGroups(ctx, groups[:], keys[:], out[:])
		if err == nil {
			val = out[0]
		}
	} else {
		c.batches.Add(1)
		keys := make([]string, 1, 1+len(batch))
		keys[0] = key
		sent := make([]*mcWaiter, 0, len(batch))
		for _, w := range batch {
			if w.state.Load() == mcQueued {
				keys = append(keys, w.key)
				sent = append(sent, w)
			}
		}
		out := make([][]byte, len(keys))
		idx := make([]int, len(keys))
		for i := range idx {
			idx[i] = i
		}
		groups := [1]mcGroup{{addr: c.addr, idx: idx}}
		err = c.p.getGroups(ctx, groups[:], keys, out)
		if err != nil {
			clear(out) // a get that failed gives no value, not even those read before
		}
		val = out[0]
		// A read of another caller whose context has not ended failed
		// only because the leader's did: that caller tries again.
		retry := err != nil && (ctx.Err() != nil ||
			errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded))
		for i, w := range sent {
			if w.state.CompareAndSwap(mcQueued, mcDone) {
				w.val, w.err, w.retry = out[i+1], err, retry // read after the wake
				w.wake <- struct{}{}
			}
		}
		// The waiters that gave up before the get was written are left
		// as they are: their callers returned, and nobody reuses them.
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
	return val, err
}

// errLeaderPanicked is the error of the reads whose get's sender panicked
// before their values were read.
var errLeaderPanicked = errors.New("the caller that sent the get panicked")

// handOff ends a lead: the oldest queued caller that still waits leads
// next; with none, one get fewer is in flight.
func (c *mcCombiner) handOff() {
	c.mu.Lock()
	for len(c.queue) > 0 {
		w := c.queue[0]
		c.queue = c.queue[1:]
		if w.state.CompareAndSwap(mcQueued, mcLead) {
			c.mu.Unlock()
			w.wake <- struct{}{}
			return
		}
	}
	c.leaders--
	c.mu.Unlock()
}
