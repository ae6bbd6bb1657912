package ring

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/rope"
	"github.com/ringcache/ring/observe"
)

// RefreshAhead makes Call serve an entry older than after at once and
// refresh it in the background: the entry's age is the ring's Expire less
// the time it has left, which every store reads with the value in the same
// round trip (backends.GetWithTTL: Redis GET and PTTL in one MULTI/EXEC,
// memcached mg with its t flag, the in-process and disk stores their own
// expiry), so the stored bytes stay what the coder wrote.
//
// With Expire(10*time.Minute) and RefreshAhead(time.Minute, 5*time.Second),
// a Call that hits an entry written more than a minute ago returns it and
// starts a refresh; the entry never expires under steady use, and no caller
// waits for the function once the entry exists.
//
// Each refresh:
//   - runs once per key: concurrent hits of the same stale entry start one
//     refresh, and it runs in the key's single flight, so a concurrent miss
//     of the key (a Call after a Delete, say) and the refresh share one
//     execution; inside the flight the entry is read again, and a refresh
//     that finds it already fresh (another process refreshed it) runs
//     nothing;
//   - runs on a context that keeps the values of the Call that started it
//     (trace spans) but not its cancellation, with a deadline timeout from
//     its start: the function's context is cancelled then;
//   - writes through the ring's write path, so it never writes over a newer
//     write of the key (a Set, Update or Delete made while it ran wins);
//   - on failure (the function's error, a panic, the timeout, or the
//     storage's error) keeps the old value and reports an Event with Op
//     "refresh" to OnError; the next hit of the stale entry tries again.
//
// The ring owns the refresh goroutines: one per refreshing key, which ends
// at the refresh's timeout at the latest (the function's own goroutine ends
// when the function returns: a function that ignores its context's
// cancellation outlives the timeout).
//
// It applies to Call (Func and Method rings, wires, the untyped Ring's
// Call) on every storage and on the storages a Choose function picks, and
// to Many().GetOrUpdate: its one bulk read brings each entry's time left,
// and its due hits are served and refreshed as Call's are (a Batch ring
// refreshes them in one batch call); Get never refreshes; Refresh refreshes at once, whatever the
// entry's age. An entry past its expiry is a miss and is filled as usual,
// unless StaleWhileRevalidate or StaleIfError keeps it for a grace: the
// due point stays an age (Expire less after), and the entry's time left
// then includes the grace.
//
// The ring needs Expire (not TTLFunc, whose entries' time-to-live the ring
// cannot know when it reads them), 0 < after < Expire and timeout > 0, and a
// storage that implements backends.TTLGetter; otherwise building the ring
// fails. A storage that cannot say how long an entry has left
// (backends.TTLUnknown: memcached without its server selector) serves its
// hits without refresh-ahead, and the ring reports this once per storage,
// as an Event with Op "refresh". An entry without expiry (made persistent
// through Cache().ExpireIn) is never refreshed. A custom strategy
// (WithStrategy) replaces Call's semantics: the two cannot be combined.
func RefreshAhead(after, timeout time.Duration) Option {
	return newOption(fmt.Sprintf("RefreshAhead(%v, %v)", after, timeout), func(c *config) {
		if after <= 0 || timeout <= 0 {
			c.fail(fmt.Errorf("ring: RefreshAhead(%v, %v): the age and the timeout must be positive", after, timeout))
			return
		}
		c.ahead = &aheadPolicy{after: after, timeout: timeout}
	})
}

// aheadPolicy is what RefreshAhead sets.
type aheadPolicy struct{ after, timeout time.Duration }

// refresher runs the background refreshes of one ring and holds its
// freshness policies (RefreshAhead, and StaleWhileRevalidate, StaleIfError
// and XFetch: fresh.go). Every ring's Cache has one (bg), for Refresh; the
// hit path uses it (ahead) only when a policy is set.
type refresher struct {
	// fresh is the time left above which an entry is not yet due for
	// RefreshAhead: the ring's Expire less RefreshAhead's age, plus grace
	// (0: no RefreshAhead).
	fresh time.Duration
	// grace is how long an entry is kept past its expiry (the largest
	// staleness a policy may serve): the ring writes Expire + grace, and
	// an entry with grace or less left is stale.
	grace time.Duration
	// swr is set by StaleWhileRevalidate: a stale entry at most maxStale
	// past its expiry is served and refreshed in the background.
	swr      bool
	maxStale time.Duration
	// maxAge is StaleIfError's (0: off).
	maxAge time.Duration
	// xf is XFetch's (nil: off).
	xf      *xfetcher
	timeout time.Duration
	// mu guards pending, the keys being refreshed, per storage (rope).
	mu      sync.Mutex
	pending map[refreshKey]struct{}
	// unknown holds the ropes whose storage was reported unable to say an
	// entry's time left (*rope.Rope -> struct{}).
	unknown sync.Map
	// running counts the refresh goroutines (WaitRefreshesForTest).
	running sync.WaitGroup
}

type refreshKey struct {
	rope *rope.Rope
	key  string
}

// newRefresher checks the freshness policies (RefreshAhead,
// StaleWhileRevalidate, StaleIfError, XFetch) against the other options
// and the storage (raw, before the ring guards it) and returns the ring's
// refresher, with policy false when none is set: the refresher then serves
// Refresh alone, with defaultRefreshTimeout.
func newRefresher(name string, cfg *config, raw backends.Storage) (a *refresher, policy bool, err error) {
	p, f := cfg.ahead, cfg.fresh
	var set []string
	if p != nil {
		set = append(set, fmt.Sprintf("RefreshAhead(%v, %v)", p.after, p.timeout))
	}
	set = append(set, f.names()...)
	if len(set) == 0 {
		return &refresher{timeout: defaultRefreshTimeout, pending: make(map[refreshKey]struct{})}, false, nil
	}
	opt := strings.Join(set, ", ")
	switch {
	case cfg.strategy != nil:
		return nil, false, fmt.Errorf("ring: %s: %s: a custom strategy (WithStrategy) gives Call its semantics; refresh ahead in the strategy instead", name, opt)
	case cfg.ttl != nil:
		return nil, false, fmt.Errorf("ring: %s: %s: needs Expire, not TTLFunc: an entry's age is Expire less its time left", name, opt)
	case cfg.expire <= 0:
		return nil, false, fmt.Errorf("ring: %s: %s: needs Expire: an entry's age is Expire less its time left", name, opt)
	case p != nil && p.after >= cfg.expire:
		return nil, false, fmt.Errorf("ring: %s: %s: the age must be less than Expire(%v), or no entry lives to reach it", name, opt, cfg.expire)
	}
	if _, ok := backends.Unwrap(raw).(backends.TTLGetter); !ok {
		return nil, false, fmt.Errorf("ring: %s: %s: backend %s cannot read an entry's time left (it does not implement backends.TTLGetter)", name, opt, raw.Name())
	}
	a = &refresher{pending: make(map[refreshKey]struct{})}
	f.apply(a)
	if p != nil {
		a.fresh = cfg.expire - p.after + a.grace
		a.timeout = max(a.timeout, p.timeout)
	}
	if a.timeout == 0 { // StaleIfError alone: for Refresh
		a.timeout = defaultRefreshTimeout
	}
	return a, true, nil
}

// defaultRefreshTimeout bounds a refresh started by Refresh on a ring
// without a freshness policy that sets a timeout.
const defaultRefreshTimeout = 30 * time.Second

// refreshNow is startRefresh's seen for Refresh: run without reading the
// entry again first.
const refreshNow time.Duration = -2

// callAhead is call's hit path with a freshness policy: the entry and its
// time left in one read; a hit is returned at once, and a refresh started
// when the entry is due. A stale entry (past its expiry, kept for the
// grace) is served and refreshed when StaleWhileRevalidate allows it, and
// is otherwise a miss, which StaleIfError may still answer (fresh.go).
func (c *core[K, R]) callAhead(ctx context.Context, st *Cache[R], key string, k K) (R, error) {
	if st.mem != nil { // the typed in-process hit, unboxed (Concurrent: memstore.go)
		if r, ttl, ok := st.mem.LoadWithTTL(key); ok {
			return c.serveAhead(ctx, st, key, k, r, ttl)
		}
		if st.obs != nil {
			st.obs.request(ctx, observe.Miss, 1)
		}
		return c.fill(ctx, st, key, k, true, nil)
	}
	v, ttl, ok, err := backends.GetWithTTL(ctx, st.store, key)
	recheck := err == nil
	if err != nil {
		st.report("get", key, err)
	} else if ok {
		if st.neg != nil { // a negative entry is served, never refreshed ahead: negative.go
			if t, isNeg := st.negativeStored(key, v); isNeg {
				if t != nil {
					if st.obs != nil {
						st.obs.request(ctx, observe.Negative, 1)
					}
					return st.negResult(), t.call
				}
				if st.obs != nil {
					st.obs.request(ctx, observe.Miss, 1)
				}
				return c.fill(ctx, st, key, k, false, nil)
			}
		}
		var r R
		converted := false
		if st.coder == nil { // the in-process hit, without a call
			r, converted = v.(R)
		}
		if !converted {
			r, converted = st.fromStored(key, v)
		}
		if converted {
			return c.serveAhead(ctx, st, key, k, r, ttl)
		}
		recheck = false // the entry does not decode, or holds another type
	}
	if st.obs != nil {
		st.obs.missOrError(ctx, err)
	}
	return c.fill(ctx, st, key, k, recheck, nil)
}

// serveAhead serves r, the hit of key with ttl left, and starts its
// refresh when it is due (callAhead's hit).
func (c *core[K, R]) serveAhead(ctx context.Context, st *Cache[R], key string, k K, r R, ttl time.Duration) (R, error) {
	a := st.ahead
	switch {
	case ttl == backends.TTLUnknown:
		if a.unknownTTL(st.rope) {
			st.report("refresh", key, fmt.Errorf("ring: backend %s cannot say how long an entry has left (backends.TTLUnknown): its entries are served without refresh-ahead", st.store.Name()))
		}
	case ttl <= 0: // no expiry
	case ttl <= a.grace: // past its expiry
		if !a.swr || a.grace-ttl > a.maxStale {
			if st.obs != nil {
				st.obs.request(ctx, observe.Miss, 1)
			}
			return c.fillStale(ctx, st, key, k, r, a.grace-ttl) // fresh.go
		}
		if st.obs != nil {
			st.obs.request(ctx, observe.Stale, 1)
		}
		startRefresh(ctx, c, st, key, k, ttl)
		return r, nil
	case ttl <= a.fresh || a.xf.due(ttl-a.grace):
		startRefresh(ctx, c, st, key, k, ttl)
	}
	if st.obs != nil {
		st.obs.request(ctx, observe.Hit, 1)
	}
	return r, nil
}

// unknownTTL reports, once per storage (rope), that the storage cannot
// say how long its entries have left.
func (a *refresher) unknownTTL(r *rope.Rope) bool {
	_, seen := a.unknown.LoadOrStore(r, struct{}{})
	return !seen
}

// startRefresh refreshes key in the background unless a refresh of it is
// running already. seen is the entry's time left when it was found due
// (refreshNow: Refresh, which refreshes whatever the entry's state). The
// goroutine belongs to the ring and ends at the refresh's timeout at the
// latest.
func startRefresh[K, R any](ctx context.Context, c *core[K, R], st *Cache[R], key string, k K, seen time.Duration) {
	a := st.bg
	a.spawn(ctx, st.rope, st.report, []string{key}, func(rctx context.Context, _ []int) {
		_, err := st.rope.Flight(rctx, key, func(ctx context.Context) (any, error) {
			return refreshRun(ctx, rctx, c, st, key, k, seen)
		})
		if err != nil {
			st.report("refresh", key, refreshTimedOut(rctx, a.timeout, err))
		}
	})
}

// spawn claims the keys that no refresh is running for and runs body for
// them (claimed: their positions in keys) on a goroutine the ring owns,
// which ends at the refresh's timeout at the latest. body's context keeps
// ctx's values (a trace) but not its cancellation, nor a flight or write
// mark of its own (a Call made from inside another ring's function), and
// has the refresh's timeout. A panic is reported for every claimed key;
// the keys are released when body returns.
func (a *refresher) spawn(ctx context.Context, r *rope.Rope, report func(op, key string, err error), keys []string, body func(rctx context.Context, claimed []int)) {
	var claimed []int
	a.mu.Lock()
	for i, key := range keys {
		rk := refreshKey{r, key}
		if _, busy := a.pending[rk]; busy {
			continue
		}
		a.pending[rk] = struct{}{}
		claimed = append(claimed, i)
	}
	if len(claimed) == 0 {
		a.mu.Unlock()
		return
	}
	a.running.Add(1)
	a.mu.Unlock()
	rctx, cancel := context.WithTimeout(rope.Outside(context.WithoutCancel(ctx)), a.timeout)
	go func() {
		defer a.running.Done()
		defer func() {
			a.mu.Lock()
			for _, i := range claimed {
				delete(a.pending, refreshKey{r, keys[i]})
			}
			a.mu.Unlock()
		}()
		defer cancel()
		defer func() {
			if p := recover(); p != nil {
				err, ok := p.(error)
				if !ok {
					err = fmt.Errorf("ring: panic in cached function: %v", p)
				}
				for _, i := range claimed {
					report("refresh", keys[i], err)
				}
			}
		}()
		body(rctx, claimed)
	}()
}

// refreshTimedOut names the refresh's timeout in err when err is that
// timeout: the function's deadline is the refresh's, and the function may
// report it a moment before rctx does.
func refreshTimedOut(rctx context.Context, timeout time.Duration, err error) error {
	var named *refreshTimeout
	if dl, _ := rctx.Deadline(); errors.Is(err, context.DeadlineExceeded) && !time.Now().Before(dl) && !errors.As(err, &named) {
		return &refreshTimeout{timeout, err}
	}
	return err
}

// refreshTimeout is a refresh's error at its timeout.
type refreshTimeout struct {
	timeout time.Duration
	err     error
}

func (e *refreshTimeout) Error() string {
	return fmt.Sprintf("ring: refresh: no result within the refresh's timeout %v, the cached value is kept: %v", e.timeout, e.err)
}

func (e *refreshTimeout) Unwrap() error { return e.err }

// refreshRun is a refresh inside the key's flight, on the run's context
// given the deadline of the refresh (rctx): it reads the entry again (a
// concurrent refresh, in this process or another, may have made it fresh
// since it was found due with seen left; refreshNow skips this), and
// otherwise runs the function and writes its result as a fill does, unless
// a newer write of the key was made since the flight started. A failed
// write is reported and the result still returned to the callers of the
// flight (a miss of the same key may have joined it). A failed function
// leaves the entry as it is; with StaleIfError, the callers of the flight
// get the stale value (fresh.go).
func refreshRun[K, R any](ctx, rctx context.Context, c *core[K, R], st *Cache[R], key string, k K, seen time.Duration) (any, error) {
	if dl, ok := rctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl)
		defer cancel()
	}
	var got any
	found := false
	if seen != refreshNow {
		v, ttl, ok, err := backends.GetWithTTL(ctx, st.store, key)
		if err == nil && ok {
			if t := st.negativeLanded(key, v); t != nil { // NegativeCache: the entity is gone
				return any(st.negResult()), t.call
			}
			if st.bg.notDue(ttl, seen) {
				if r, ok := st.fromStored(key, v); ok {
					return any(r), nil
				}
			}
		}
		got, found = v, err == nil && ok
	}
	if st.lease > 0 { // Lease: lease.go (it writes under the lease)
		v, err := leasedRefresh(ctx, c, st, key, k, got, found, seen)
		if err != nil {
			return st.staleIfError(ctx, key, v, refreshTimedOut(rctx, st.bg.timeout, err), "refresh")
		}
		return v, nil
	}
	r, err := c.fillExec(ctx, st, observe.LoadRefresh, k)
	v := any(r)
	if t, ok := st.neg.classify(v, err); ok { // NegativeCache: the entity is gone
		st.fillNegative(ctx, key, t)
		return v, err
	}
	if err != nil {
		return st.staleIfError(ctx, key, v, refreshTimedOut(rctx, st.bg.timeout, err), "refresh")
	}
	if err := st.put(ctx, key, v); err != nil {
		st.report("refresh", key, err)
	}
	return v, nil
}
