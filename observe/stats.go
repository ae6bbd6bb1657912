package observe

import (
	"context"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"sync/atomic"
	"time"
)

// Snapshot is a ring's counters at one moment (ring's Stats methods,
// [Stats.Snapshot]). Every count is since the ring was built.
type Snapshot struct {
	// Requests by result (see [Result]).
	Hits, Misses, Stale, Negative, Bypasses, Errors uint64
	// Loads counts the runs of the cached function (each of a batch's
	// calls counts once), LoadErrors those that returned an error,
	// Refreshes those of kind LoadRefresh; LoadTime is their total
	// duration.
	Loads, LoadErrors, Refreshes uint64
	LoadTime                     time.Duration
	// Ops counts the operations on a remote backend, OpErrors those
	// that failed.
	Ops, OpErrors uint64
	// Counts of events (see [EventKind]): callers coalesced, failures
	// absorbed, values that did not decode, breaker openings, lease
	// waits, entries evicted or expired from an in-process store.
	Coalesced, FailOpens, DecodeErrors, BreakerOpens, LeaseWaits, Evictions uint64
}

// Requests is the number of requests, every result included.
func (s Snapshot) Requests() uint64 {
	return s.Hits + s.Misses + s.Stale + s.Negative + s.Bypasses + s.Errors
}

// HitRatio is the share of the requests that looked at the cache which it
// served: (Hits+Stale+Negative) / (Hits+Stale+Negative+Misses). Bypassed
// requests and failed reads are left out. It is 1 before any request.
func (s Snapshot) HitRatio() float64 {
	served := s.Hits + s.Stale + s.Negative
	if served+s.Misses == 0 {
		return 1
	}
	return float64(served) / float64(served+s.Misses)
}

// AverageLoadTime is LoadTime divided by Loads (0 without loads).
func (s Snapshot) AverageLoadTime() time.Duration {
	if s.Loads == 0 {
		return 0
	}
	return s.LoadTime / time.Duration(s.Loads)
}

// Sub returns the counts of s minus those of an earlier snapshot prev of
// the same counters: what happened in between.
func (s Snapshot) Sub(prev Snapshot) Snapshot {
	return Snapshot{
		Hits: s.Hits - prev.Hits, Misses: s.Misses - prev.Misses, Stale: s.Stale - prev.Stale,
		Negative: s.Negative - prev.Negative, Bypasses: s.Bypasses - prev.Bypasses, Errors: s.Errors - prev.Errors,
		Loads: s.Loads - prev.Loads, LoadErrors: s.LoadErrors - prev.LoadErrors, Refreshes: s.Refreshes - prev.Refreshes,
		LoadTime: s.LoadTime - prev.LoadTime,
		Ops:      s.Ops - prev.Ops, OpErrors: s.OpErrors - prev.OpErrors,
		Coalesced: s.Coalesced - prev.Coalesced, FailOpens: s.FailOpens - prev.FailOpens,
		DecodeErrors: s.DecodeErrors - prev.DecodeErrors, BreakerOpens: s.BreakerOpens - prev.BreakerOpens,
		LeaseWaits: s.LeaseWaits - prev.LeaseWaits, Evictions: s.Evictions - prev.Evictions,
	}
}

// Stats is an Observer that counts: the recorder behind a ring's Stats
// method (ring.WithStats), usable on its own with ring.Observe. Its
// counters are striped over cache-line-padded cells, so that goroutines
// counting at once on different cores do not contend for one cache line;
// a Snapshot sums the cells. The zero value is not usable: call NewStats.
// It is safe for concurrent use.
type Stats struct {
	cells []cell
	mask  uint32
}

// counters of a cell.
const (
	cLoads = iota
	cLoadErrors
	cRefreshes
	cLoadTime
	cOps
	cOpErrors
	cCoalesced
	cFailOpens
	cDecode
	cBreakerOpens
	cLeaseWaits
	cEvictions
	numCounters
)

// cell is one stripe of the counters, padded to two cache lines (what
// the adjacent-line prefetcher of x86 pulls in together).
type cell struct {
	requests [NumResults]atomic.Uint64
	counters [numCounters]atomic.Uint64
	_        [128 - (NumResults+numCounters)*8%128]byte
}

// maxCells bounds the stripes of one Stats (8 KiB of counters).
const maxCells = 64

// NewStats returns counters at zero, with a stripe per core up to 64.
func NewStats() *Stats {
	n := 1 << bits.Len(uint(runtime.GOMAXPROCS(0)*2-1))
	n = min(n, maxCells)
	return &Stats{cells: make([]cell, n), mask: uint32(n - 1)}
}

// cell returns a stripe picked at random: a cheap per-thread generator
// spreads concurrent goroutines over the stripes.
func (s *Stats) cell() *cell { return &s.cells[rand.Uint32()&s.mask] }

// Request counts n requests with result r.
func (s *Stats) Request(_ context.Context, _ *Info, r Result, n int) {
	if int(r) < NumResults {
		s.cell().requests[r].Add(uint64(n))
	}
}

// StartLoad returns ctx.
func (s *Stats) StartLoad(ctx context.Context, _ *Info, _ LoadKind) context.Context { return ctx }

// EndLoad counts a load, its error and its duration.
func (s *Stats) EndLoad(_ context.Context, _ *Info, l Load) {
	c := s.cell()
	c.counters[cLoads].Add(1)
	if l.Err != nil {
		c.counters[cLoadErrors].Add(1)
	}
	if l.Kind == LoadRefresh {
		c.counters[cRefreshes].Add(1)
	}
	if l.Duration > 0 {
		c.counters[cLoadTime].Add(uint64(l.Duration))
	}
}

// StartOp returns ctx.
func (s *Stats) StartOp(ctx context.Context, _ *Info, _ Op) context.Context { return ctx }

// EndOp counts an operation and its error.
func (s *Stats) EndOp(_ context.Context, _ *Info, op Op) {
	c := s.cell()
	c.counters[cOps].Add(1)
	if op.Err != nil {
		c.counters[cOpErrors].Add(1)
	}
}

// Event counts an event: N of EventCoalesced and EventEviction, one of
// the other kinds (EventBreakerClosed is not counted).
func (s *Stats) Event(_ context.Context, _ *Info, ev Event) {
	i := -1
	n := uint64(1)
	switch ev.Kind {
	case EventCoalesced:
		i, n = cCoalesced, uint64(max(ev.N, 0))
	case EventFailOpen:
		i = cFailOpens
	case EventDecode:
		i = cDecode
	case EventBreakerOpen:
		i = cBreakerOpens
	case EventLeaseWait:
		i = cLeaseWaits
	case EventEviction:
		i, n = cEvictions, uint64(max(ev.N, 0))
	}
	if i >= 0 {
		s.cell().counters[i].Add(n)
	}
}

// Snapshot sums the counters. Counts made while it runs may be in it or
// not; each count is seen whole.
func (s *Stats) Snapshot() Snapshot {
	var r [NumResults]uint64
	var c [numCounters]uint64
	for i := range s.cells {
		cl := &s.cells[i]
		for j := range r {
			r[j] += cl.requests[j].Load()
		}
		for j := range c {
			c[j] += cl.counters[j].Load()
		}
	}
	return Snapshot{
		Hits: r[Hit], Misses: r[Miss], Stale: r[Stale], Negative: r[Negative], Bypasses: r[Bypass], Errors: r[Error],
		Loads: c[cLoads], LoadErrors: c[cLoadErrors], Refreshes: c[cRefreshes], LoadTime: time.Duration(c[cLoadTime]),
		Ops: c[cOps], OpErrors: c[cOpErrors],
		Coalesced: c[cCoalesced], FailOpens: c[cFailOpens], DecodeErrors: c[cDecode],
		BreakerOpens: c[cBreakerOpens], LeaseWaits: c[cLeaseWaits], Evictions: c[cEvictions],
	}
}

var _ Observer = (*Stats)(nil)
