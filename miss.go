package ring

import (
	"context"

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
	// (rope.Always: in any case). A mark of the fill's rope is the one the
	// run's context carries: the fill is its own write.
	recheck *rope.WriteMark
}

// Work is the fill, on the run's context: it reads the entry once more
// when recheck says so, runs the function and writes its result
// (core.fill).
func (f *filling[K, R]) Work(ctx context.Context) (any, error) {
	c, st, key, k := f.c, f.st, f.run.Key(), f.k
	if m := f.recheck; m != nil && (m == rope.Always() || m.WrittenSince(key)) {
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
