package ring

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"time"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/observe"
)

// Observe gives the ring's events to o (package observe): requests by
// result, loads, operations on a remote backend, coalesced callers,
// absorbed failures, decode failures, breaker changes, lease waits and
// evictions from an in-process store (docs/observability.md lists them
// all). It may be given more than once: every observer sees every event,
// in the order of the options. A nil o is ignored. Observers run on the
// goroutine that saw the event, never while the ring holds a lock; a ring
// without any (and without WithStats) pays one nil check per request.
func Observe(o observe.Observer) Option {
	name := "<nil>"
	if o != nil {
		name = reflect.TypeOf(o).String()
	}
	return newOption(fmt.Sprintf("Observe(%s)", name), func(c *config) {
		if o != nil {
			c.observers = append(c.observers, o)
		}
	})
}

// WithStats makes the ring count its events for its Stats method:
// requests by result, loads and their time, operations, coalesced
// callers, absorbed failures, evictions (observe.Snapshot). The counters
// are striped across cores: a hit costs a few nanoseconds more and no
// allocation. Without it, Stats returns zeros and costs nothing.
func WithStats() Option {
	return newOption("WithStats()", func(c *config) { c.stats = true })
}

// Stats returns the ring's counters (see observe.Snapshot) when it was
// built with WithStats, zeros otherwise. The counts cover every storage
// the ring uses (Choose) and, for a method ring, every receiver. It
// allocates nothing and may be called at any time, concurrently with the
// ring's use.
func (r *Ring) Stats() observe.Snapshot { return r.c.stats() }

// Stats returns the Cache's counters when it was built with WithStats
// (see [Ring.Stats]); a ring's Cache shares the ring's.
func (c *Cache[V]) Stats() observe.Snapshot {
	if c.obs == nil || c.obs.stats == nil {
		return observe.Snapshot{}
	}
	return c.obs.stats.Snapshot()
}

// stats is the ring's Stats.
func (c *core[K, R]) stats() observe.Snapshot { return c.store.Stats() }

// observer is the observation state of one store layer (Cache[V]): the
// labels of its events, the ring's counters (shared by the store layers
// of every storage the ring uses) and its observers. A store layer without
// WithStats and without Observe has none (nil): its paths then check one
// pointer.
type observer struct {
	info observe.Info
	// nearInfo is info with the near tier: the labels of a hit that the
	// ring's near tier answered (Near: near.go).
	nearInfo observe.Info
	stats    *observe.Stats   // WithStats; nil without
	o        observe.Observer // the Observe options' (observe.Multi); nil without
}

// newObserver returns the observer of a ring named ring on store, or nil
// when cfg asks for none.
func newObserver(cfg *config, ring string, store backends.Storage) *observer {
	if !cfg.stats && len(cfg.observers) == 0 {
		return nil
	}
	o := &observer{o: observe.Multi(cfg.observers...)}
	if cfg.stats {
		o.stats = observe.NewStats()
	}
	o.info = observe.Info{Ring: ring, Backend: store.Name(), Tier: tierOf(store)}
	o.nearInfo = o.info
	o.nearInfo.Tier = observe.TierNear
	o.watchEvictions(store)
	return o
}

// tierOf is the tier label of a storage.
func tierOf(s backends.Storage) string {
	if backends.Remote(s) {
		return observe.TierRemote
	}
	return observe.TierLocal
}

// on returns the observer of the same ring on another storage: its
// counters and observers, that storage's labels.
func (o *observer) on(store backends.Storage) *observer {
	if o == nil {
		return nil
	}
	n := *o
	n.info.Backend = store.Name()
	n.info.Tier = tierOf(store)
	n.nearInfo = n.info
	n.nearInfo.Tier = observe.TierNear
	return &n
}

// nearHit reports a hit that the near tier answered, labelled with the
// near tier.
func (o *observer) nearHit(ctx context.Context) {
	if o.stats != nil {
		o.stats.Request(ctx, &o.nearInfo, observe.Hit, 1)
	}
	if o.o != nil {
		o.o.Request(ctx, &o.nearInfo, observe.Hit, 1)
	}
}

// request reports n requests with result r.
func (o *observer) request(ctx context.Context, r observe.Result, n int) {
	if n <= 0 {
		return
	}
	if o.stats != nil {
		o.stats.Request(ctx, &o.info, r, n)
	}
	if o.o != nil {
		o.o.Request(ctx, &o.info, r, n)
	}
}

// missOrError reports the request of a Call that fills: a miss, or an
// error when the read failed (err).
func (o *observer) missOrError(ctx context.Context, err error) {
	if err != nil {
		o.request(ctx, observe.Error, 1)
		return
	}
	o.request(ctx, observe.Miss, 1)
}

// startLoad opens a load: the context it runs with and its start.
func (o *observer) startLoad(ctx context.Context, kind observe.LoadKind) (context.Context, time.Time) {
	if o.o != nil {
		ctx = o.o.StartLoad(ctx, &o.info, kind)
	}
	return ctx, time.Now()
}

// errLoadPanicked is the Err of a load whose function panicked (the
// callers get the panic).
var errLoadPanicked = errors.New("ring: the function panicked")

// endLoad closes a load of n entries started at start; returned is false
// when the function did not return (it panicked).
func (o *observer) endLoad(ctx context.Context, kind observe.LoadKind, n int, start time.Time, err error, returned bool) {
	if !returned {
		err = errLoadPanicked
	}
	l := observe.Load{Kind: kind, Keys: n, Duration: time.Since(start), Err: err}
	if o.stats != nil {
		o.stats.EndLoad(ctx, &o.info, l)
	}
	if o.o != nil {
		o.o.EndLoad(ctx, &o.info, l)
	}
}

// startOp opens an operation on the storage.
func (o *observer) startOp(ctx context.Context, name string, keys int) (context.Context, time.Time) {
	if o.o != nil {
		ctx = o.o.StartOp(ctx, &o.info, observe.Op{Name: name, Keys: keys})
	}
	return ctx, time.Now()
}

// endOp closes an operation.
func (o *observer) endOp(ctx context.Context, name string, keys, found int, start time.Time, err error) {
	op := observe.Op{Name: name, Keys: keys, Found: found, Duration: time.Since(start), Err: err}
	if o.stats != nil {
		o.stats.EndOp(ctx, &o.info, op)
	}
	if o.o != nil {
		o.o.EndOp(ctx, &o.info, op)
	}
}

// event reports ev.
func (o *observer) event(ctx context.Context, ev observe.Event) {
	if ev.N == 0 {
		ev.N = 1
	}
	if o.stats != nil {
		o.stats.Event(ctx, &o.info, ev)
	}
	if o.o != nil {
		o.o.Event(ctx, &o.info, ev)
	}
}

// failure reports what the store layer sends to OnError: a value that
// does not decode, or a failure the ring absorbed. Operations skipped
// while the breaker is open are not reported one by one (as for OnError:
// the breaker's opening was, and the requests count as errors).
func (o *observer) failure(op, key string, err error) {
	kind := observe.EventFailOpen
	switch {
	case op == "decode":
		kind = observe.EventDecode
	case errors.Is(err, ErrStorageUnavailable):
		return
	}
	o.event(context.Background(), observe.Event{Kind: kind, Op: op, Key: key, Err: keyless{err, key}})
}

// keyless is an error whose message hides a key: what observers get, so
// that a key never reaches a metric or a log record through an error's
// text (Event.Key carries it, for an observer that asks for it). errors.Is
// and errors.As see the error underneath.
type keyless struct {
	err error
	key string
}

func (e keyless) Error() string { return redactKey(e.err.Error(), e.key) }
func (e keyless) Unwrap() error { return e.err }

// hideKey returns err with key hidden from its message (nil stays nil).
func hideKey(err error, key string) error {
	if err == nil || key == "" {
		return err
	}
	return keyless{err, key}
}

// redactKey replaces key, quoted or not, with <key> in s.
func redactKey(s, key string) string {
	if key == "" {
		return s
	}
	if q := strconv.Quote(key); q != `"`+key+`"` {
		s = strings.ReplaceAll(s, q, `"<key>"`)
	}
	return strings.ReplaceAll(s, key, "<key>")
}

// breaker reports an OnError event of the guard (OpBreakerOpen,
// OpBreakerClosed) to the observer.
// lastKey is the key of the ring's last failed operation, which the
// breaker's last failure may name: it is hidden from the observer.
func (o *observer) breaker(e Event, lastKey string) {
	kind := observe.EventBreakerOpen
	if e.Op == OpBreakerClosed {
		kind = observe.EventBreakerClosed
	}
	o.event(context.Background(), observe.Event{Kind: kind, Op: e.Op, Err: keyless{e.Err, lastKey}})
}

// fillExec runs the function for a fill or a refresh (fillRun, fresh.go),
// observed as a load of kind.
func (c *core[K, R]) fillExec(ctx context.Context, st *Cache[R], kind observe.LoadKind, k K) (r R, err error) {
	o := st.obs
	if o == nil {
		return c.fillRun(ctx, st, k)
	}
	ctx, start := o.startLoad(ctx, kind)
	returned := false
	defer func() { o.endLoad(ctx, kind, 1, start, err, returned) }()
	r, err = c.fillRun(ctx, st, k)
	returned = true
	return r, err
}

// execLoad runs the function with ctx (Update's), observed as a load of
// kind.
func (c *core[K, R]) execLoad(ctx context.Context, st *Cache[R], kind observe.LoadKind, k K) (r R, err error) {
	o := st.obs
	if o == nil {
		return c.exec(ctx, k)
	}
	ctx, start := o.startLoad(ctx, kind)
	returned := false
	defer func() { o.endLoad(ctx, kind, 1, start, err, returned) }()
	r, err = c.exec(ctx, k)
	returned = true
	return r, err
}

// batchLoad runs a batch function's one call for ks, observed as a load of
// len(ks) entries.
func (c *core[K, R]) batchLoad(ctx context.Context, st *Cache[R], kind observe.LoadKind, ks []K) (rs []R, errs []error) {
	o := st.obs
	if o == nil {
		return c.batch(ctx, ks)
	}
	ctx, start := o.startLoad(ctx, kind)
	returned := false
	defer func() { o.endLoad(ctx, kind, len(ks), start, errors.Join(errs...), returned) }()
	rs, errs = c.batch(ctx, ks)
	returned = true
	return rs, errs
}

// leaseWait reports the wait of a caller for another process's lease on
// key, begun at since (zero: it did not wait).
func (o *observer) leaseWait(ctx context.Context, key string, since time.Time) {
	if since.IsZero() {
		return
	}
	o.event(ctx, observe.Event{Kind: observe.EventLeaseWait, Op: "lease", Key: key, Duration: time.Since(since)})
}

// got reports a Get: found, not found (a miss), a negative entry
// (negative: err is its error), or a failed read.
func (o *observer) got(ctx context.Context, found bool, err error, negative bool) {
	switch {
	case found:
		o.request(ctx, observe.Hit, 1)
	case err == nil:
		o.request(ctx, observe.Miss, 1)
	case negative:
		o.request(ctx, observe.Negative, 1)
	default:
		o.request(ctx, observe.Error, 1)
	}
}

// bulk reports the requests of a bulk read of n keys: found[i] a hit,
// hits[i] (if set) a negative entry, the others misses; every one an
// error when the read failed (err).
func (o *observer) bulk(ctx context.Context, n int, found []bool, hits []error, err error) {
	if err != nil {
		o.request(ctx, observe.Error, n)
		return
	}
	var count [observe.NumResults]int
	for i, f := range found {
		switch {
		case f:
			count[observe.Hit]++
		case hits != nil && hits[i] != nil:
			count[observe.Negative]++
		default:
			count[observe.Miss]++
		}
	}
	for r, c := range count {
		o.request(ctx, observe.Result(r), c)
	}
}

// guardedObserved is the end of guarded (guard.go) with an observer: the
// operation, on n keys (0: one), reported.
func guardedObserved[T any](g *guard, ctx, octx context.Context, br *backends.Breaker, probe bool, op, key string, n int, fn func(ctx context.Context) (T, error)) (T, error) {
	keys := max(n, 1)
	sctx, start := g.obs.startOp(octx, op, keys)
	v, err := fn(sctx)
	g.obs.endOp(sctx, op, keys, 0, start, hideKey(err, key))
	return v, g.finish(ctx, octx, br, probe, op, key, n, err)
}

// foundCount is 1 for a key found, 0 otherwise.
func foundCount(ok bool) int {
	if ok {
		return 1
	}
	return 0
}

// watchEvictions registers the observer with an in-process store that
// reports its evictions (backends.EvictionReporter).
func (o *observer) watchEvictions(store backends.Storage) {
	if o == nil {
		return
	}
	if r, ok := backends.Unwrap(store).(backends.EvictionReporter); ok {
		r.OnEvict(func(n int, expired bool) {
			op := "evict"
			if expired {
				op = "expire"
			}
			o.event(context.Background(), observe.Event{Kind: observe.EventEviction, Op: op, N: n})
		})
	}
}
