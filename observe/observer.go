package observe

import (
	"context"
	"time"
)

// Tiers of a ring's storage, in [Info.Tier].
const (
	// TierLocal is an in-process store (LRU, Dict, Dummy).
	TierLocal = "local"
	// TierRemote is a store across the network (Redis, memcached) or
	// outside the process (a disk store).
	TierRemote = "remote"
	// TierNear is an in-process copy of a remote store's entries.
	TierNear = "near"
)

// Info labels the events of one ring on one storage. A ring builds it once
// and passes the same pointer with every event; an observer must not
// modify it. It never holds a key.
type Info struct {
	// Ring is the ring's name: its definition name, or "cache" followed by
	// the quoted prefix for a Cache from ring.NewCache.
	Ring string
	// Backend is the storage's name (backends.Storage.Name): "lru",
	// "dict", "redis", "memcache", ...
	Backend string
	// Tier is TierLocal, TierRemote or TierNear.
	Tier string
}

// Result is what a request got from the cache.
type Result uint8

// The results of a request.
const (
	// Hit: a fresh entry was served.
	Hit Result = iota
	// Miss: no usable entry; the request loaded the value (or joined the
	// load of another caller), or, for Get and Has, found nothing.
	Miss
	// Stale: an entry past its freshness was served while it is
	// refreshed (StaleWhileRevalidate, RefreshAhead, StaleIfError).
	Stale
	// Negative: a cached "not found" was served (NegativeCache).
	Negative
	// Bypass: the ring did not use a cache for this request (Choose
	// returned nil).
	Bypass
	// Error: the storage read failed; Call then ran the function
	// (fail-open), the other sub-functions returned the error.
	Error
)

// NumResults is the number of Result values, for arrays indexed by Result.
const NumResults = int(Error) + 1

var resultNames = [NumResults]string{"hit", "miss", "stale", "negative", "bypass", "error"}

// String returns the result's lower-case name ("hit", "miss", ...), the
// value of a result label.
func (r Result) String() string {
	if int(r) < NumResults {
		return resultNames[r]
	}
	return "unknown"
}

// LoadKind says why the cached function ran.
type LoadKind uint8

// The kinds of load.
const (
	// LoadFill fills a miss (Call, a bulk Call, a batch).
	LoadFill LoadKind = iota
	// LoadRefresh replaces an entry ahead of or after its expiry
	// (RefreshAhead, StaleWhileRevalidate, XFetch, Refresh), mostly in
	// the background.
	LoadRefresh
	// LoadUpdate runs the function on request (Update) and writes the
	// result.
	LoadUpdate
)

var loadNames = [...]string{"fill", "refresh", "update"}

// String returns the kind's lower-case name: "fill", "refresh", "update".
func (k LoadKind) String() string {
	if int(k) < len(loadNames) {
		return loadNames[k]
	}
	return "unknown"
}

// Load describes a finished load, for [Observer.EndLoad].
type Load struct {
	// Kind says why the function ran.
	Kind LoadKind
	// Keys is the number of entries loaded: 1, or the size of a batch
	// (Batch, BatchWindow).
	Keys int
	// Duration is how long the function ran, the writes of its result
	// excluded.
	Duration time.Duration
	// Err is the function's error, nil on success. A "not found" that
	// NegativeCache caches is an error here.
	Err error
}

// Op describes an operation on a remote backend, for [Observer.StartOp]
// and [Observer.EndOp].
type Op struct {
	// Name is the operation: "get", "set", "delete", "has", "touch",
	// "get_many", "set_many", "delete_many", "touch_many", "clear", ...
	Name string
	// Keys is the number of keys the operation carries (1 for the
	// single-key operations).
	Keys int
	// Found, for reads when they end, is how many of the keys were found.
	Found int
	// Duration is the operation's duration (set for EndOp).
	Duration time.Duration
	// Err is the operation's error (for EndOp), nil on success.
	Err error
}

// EventKind is the kind of an [Event].
type EventKind uint8

// The kinds of event.
const (
	// EventCoalesced: N callers joined a load already running for their
	// key (single flight) instead of running the function themselves.
	EventCoalesced EventKind = iota
	// EventFailOpen: the ring absorbed a failure instead of returning it:
	// a storage failure during Call (Op "get", "set", ...), a failed
	// background refresh (Op "refresh"), a function failure served with
	// the stale entry (Op "stale-if-error"), a lease failure (Op "lease").
	// Key and Err are set.
	EventFailOpen
	// EventDecode: a stored value no longer decodes (or holds another
	// type); it was treated as a miss. Key and Err are set.
	EventDecode
	// EventBreakerOpen: the circuit breaker of the ring's storage opened;
	// Err says why.
	EventBreakerOpen
	// EventBreakerClosed: the breaker closed again; Err says for how long
	// it was open.
	EventBreakerClosed
	// EventLeaseWait: a caller waited for the lease of another process
	// (Lease) for Duration; Key is set.
	EventLeaseWait
	// EventEviction: N entries left an in-process store to make room (Op
	// "evict") or because they expired (Op "expire").
	EventEviction
)

var eventNames = [...]string{"coalesced", "fail-open", "decode", "breaker open", "breaker closed", "lease wait", "eviction"}

// String returns the kind's name: "coalesced", "fail-open", "decode",
// "breaker open", "breaker closed", "lease wait", "eviction".
func (k EventKind) String() string {
	if int(k) < len(eventNames) {
		return eventNames[k]
	}
	return "unknown"
}

// Event is one of the events that are neither a request, a load nor an
// operation.
type Event struct {
	Kind EventKind
	// Op is the operation involved (see the kinds).
	Op string
	// Key is the backend key involved, where there is one. It is there
	// for logs (Slog writes it only when asked): never use it as a metric
	// label.
	Key string
	// N counts what the event is about: callers coalesced, entries
	// evicted; 1 for the other kinds.
	N int
	// Duration is the time waited (EventLeaseWait).
	Duration time.Duration
	// Err is the error involved.
	Err error
}

// Observer receives the events of the rings it is given to (ring.Observe).
// Its methods are called concurrently and must be safe for it; they must
// not block. Embed [Base] to implement only some of them.
type Observer interface {
	// Request reports n requests with the same result: 1 for a single
	// request, the count per result for a bulk one.
	Request(ctx context.Context, info *Info, result Result, n int)
	// StartLoad is called when the cached function is about to run; the
	// function runs with the context it returns, which EndLoad receives.
	StartLoad(ctx context.Context, info *Info, kind LoadKind) context.Context
	// EndLoad is called when the function returned.
	EndLoad(ctx context.Context, info *Info, load Load)
	// StartOp is called before an operation on a remote backend; the
	// operation runs with the context it returns, which EndOp receives.
	StartOp(ctx context.Context, info *Info, op Op) context.Context
	// EndOp is called when the operation returned.
	EndOp(ctx context.Context, info *Info, op Op)
	// Event reports any other event.
	Event(ctx context.Context, info *Info, ev Event)
}

// Base implements Observer with methods that do nothing: embed it and
// override what you need.
type Base struct{}

// Request does nothing.
func (Base) Request(context.Context, *Info, Result, int) {}

// StartLoad returns ctx.
func (Base) StartLoad(ctx context.Context, _ *Info, _ LoadKind) context.Context { return ctx }

// EndLoad does nothing.
func (Base) EndLoad(context.Context, *Info, Load) {}

// StartOp returns ctx.
func (Base) StartOp(ctx context.Context, _ *Info, _ Op) context.Context { return ctx }

// EndOp does nothing.
func (Base) EndOp(context.Context, *Info, Op) {}

// Event does nothing.
func (Base) Event(context.Context, *Info, Event) {}

var _ Observer = Base{}

// Multi returns an Observer that passes every event to each of obs in
// order; nil ones are skipped. The Start methods thread the context
// through them, so that each sees the context the one before returned.
// With no observer it returns nil; with one, that observer.
func Multi(obs ...Observer) Observer {
	var list multi
	for _, o := range obs {
		switch o := o.(type) {
		case nil:
		case multi:
			list = append(list, o...)
		default:
			list = append(list, o)
		}
	}
	switch len(list) {
	case 0:
		return nil
	case 1:
		return list[0]
	}
	return list
}

type multi []Observer

func (m multi) Request(ctx context.Context, info *Info, r Result, n int) {
	for _, o := range m {
		o.Request(ctx, info, r, n)
	}
}

func (m multi) StartLoad(ctx context.Context, info *Info, kind LoadKind) context.Context {
	for _, o := range m {
		ctx = o.StartLoad(ctx, info, kind)
	}
	return ctx
}

func (m multi) EndLoad(ctx context.Context, info *Info, load Load) {
	for i := len(m) - 1; i >= 0; i-- {
		m[i].EndLoad(ctx, info, load)
	}
}

func (m multi) StartOp(ctx context.Context, info *Info, op Op) context.Context {
	for _, o := range m {
		ctx = o.StartOp(ctx, info, op)
	}
	return ctx
}

func (m multi) EndOp(ctx context.Context, info *Info, op Op) {
	for i := len(m) - 1; i >= 0; i-- {
		m[i].EndOp(ctx, info, op)
	}
}

func (m multi) Event(ctx context.Context, info *Info, ev Event) {
	for _, o := range m {
		o.Event(ctx, info, ev)
	}
}
