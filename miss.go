package ring

import (
	"context"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/flight"
	"github.com/ringcache/ring/internal/rope"
	"github.com/ringcache/ring/observe"
)

// The miss path (core.fill): one allocation holds the fill's arguments and
// the flight's Run, and the run's context is made only if the function
// looks at its cancellation (internal/flight).

// filling is one fill: the work of its flight (flight.Work), with the Run
// the flight makes if this caller starts it. Work runs only then, so the
// key is the run's.
//
// The struct is one allocation per miss, scanned by the GC: keep it within
// the 160-byte size class (TestFillingSize).
type filling[K, R any] struct {
	run flight.Run
	c   *core[K, R]
	st  *Cache[R]
	k   K
	// recheck is nil when the entry is not read again; otherwise it is
	// read again if a write of key may have finished since the mark
	// (rope.Always: in any case, unless seen says otherwise). A mark of
	// the fill's rope is the one the run's context carries: the fill is
	// its own write.
	recheck *rope.WriteMark
	// seen is the count of the writes of key's stripe taken before the
	// caller's read (rope.Seen.Count; 0: none): with rope.Always, the
	// entry is read again only if a write finished since.
	seen uint64
}

// seenCounted reports whether Call takes a count of the rope's writes
// before it reads storage (Cache.seen): a storage that talks to a server
// (backends.Remote, which counts one the options guard with a circuit
// breaker too, whose hits already pay the guard), where the count spares
// a miss its second round trip, and Dummy, which
// holds nothing to read again (and whose misses then measure the path of
// a server's, BenchmarkCallMiss). In-process storages are read again as
// before: their hits must not pay for the count, and their reads cost
// less than it. An LRU or a Dict counts the ring's writes of the whole
// storage instead, without a hash (miss_count.go).
func seenCounted(s backends.Storage) bool {
	switch s.(type) {
	case backends.Dummy, *backends.Dummy:
		return true
	}
	return backends.Remote(s)
}

// fillSeen is fill (core.go) with seen, the count of the writes of key's
// stripe taken before the read that missed (rope.See; the zero Seen:
// none): with recheck and no mark, the entry is read again inside the
// flight only if a write of key's stripe finished since.
func (c *core[K, R]) fillSeen(ctx context.Context, st *Cache[R], key string, k K, recheck bool, mark *rope.WriteMark, seen rope.Seen) (R, error) {
	if c.windowFill != nil && st == c.store {
		return c.windowFill(ctx, key, k) // BatchWindow: batch_window.go
	}
	f := &filling[K, R]{c: c, st: st, k: k}
	if recheck { // else the mark is nobody's concern: only rechecks ask it
		f.recheck = mark
		if mark == nil {
			f.recheck = rope.Always()
			f.seen = seen.Count()
		}
	}
	if f.seen != 0 && st.writes == nil { // the key is hashed already (rope.See)
		return result[R](st.flightWorkHash(ctx, key, seen.Hash(), &f.run, f)) // filling.Work
	}
	return result[R](st.flightWork(ctx, key, &f.run, f)) // filling.Work
}

// Work is the fill, on the run's context: it reads the entry once more
// when recheck says so, runs the function and writes its result
// (core.fill).
func (f *filling[K, R]) Work(ctx context.Context) (any, error) {
	c, st, key, k := f.c, f.st, f.run.Key(), f.k
	if m := f.recheck; m != nil && f.writtenSince(m, key) {
		r, ok, err := st.loadLive(ctx, key)
		if err == nil && ok {
			return r, nil
		}
		if t := st.neg.ofHit(err); t != nil { // a negative entry landed
			return st.negResult(), t.call
		}
	}
	if st.lease > 0 { // Lease: lease.go (it writes under the lease)
		v, err := leased(ctx, c, st, key, k, nil, false, "set", 0)
		if err != nil {
			return st.staleIfError(ctx, key, v, err, "stale-if-error") // StaleIfError: fresh.go
		}
		return v, nil
	}
	var (
		r   R
		err error
	)
	if st.obs == nil && st.ahead == nil {
		r, err = c.exec(rope.Outside(ctx), k) // fillExec and fillRun would do just this
	} else {
		r, err = c.fillExec(ctx, st, observe.LoadFill, k) // the function, observed, timed for XFetch: fresh.go
	}
	v := any(r) // boxed once, for the write and the flight's callers
	if st.neg != nil {
		if t, ok := st.neg.classify(v, err); ok {
			st.fillNegative(ctx, key, t)
			return v, err
		}
	}
	if err != nil {
		return st.staleIfError(ctx, key, v, err, "stale-if-error") // StaleIfError: fresh.go
	}
	// The fill's write, as st.put with the run's context, but without
	// looking the run and the mark up in it (rope.FillCommit).
	if err := st.putRun(ctx, &f.run, f.recheck, key, v, st.policy.ttlOf(key, v)); err != nil {
		st.report("set", key, err)
	}
	return v, nil
}

// writtenSince reports whether a write of key may have finished since the
// caller's read: since m was made, or, for rope.Always, since the count in
// f.seen was taken (always, without one).
func (f *filling[K, R]) writtenSince(m *rope.WriteMark, key string) bool {
	if m != rope.Always() {
		return m.WrittenSince(key)
	}
	if w := f.st.writes; w != nil { // an LRU or a Dict: miss_count.go
		return w.writtenSince(f.seen)
	}
	return f.st.rope.WrittenSinceCount(f.run.Hash(), f.seen)
}

// flightWork is flight (observe.go) for a fill: w runs in key's single
// flight, its Run made in run; a caller that joins a run already going is
// reported as coalesced.
func (c *Cache[V]) flightWork(ctx context.Context, key string, run *flight.Run, w flight.Work) (any, error) {
	v, err, shared := c.rope.FlightWork(ctx, key, run, w)
	if shared && c.obs != nil {
		c.obs.event(ctx, observe.Event{Kind: observe.EventCoalesced, N: 1})
	}
	return v, err
}

// flightWorkHash is flightWork for a key already hashed: h is its
// flight.Hash.
func (c *Cache[V]) flightWorkHash(ctx context.Context, key string, h uint64, run *flight.Run, w flight.Work) (any, error) {
	v, err, shared := c.rope.FlightWorkHash(ctx, key, h, run, w)
	if shared && c.obs != nil {
		c.obs.event(ctx, observe.Event{Kind: observe.EventCoalesced, N: 1})
	}
	return v, err
}
