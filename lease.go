package ring

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/observe"
)

// Lease makes one process among all those that share the ring's storage
// run the function of a key at a time: a fill of a missing entry (Call)
// and a background refresh (RefreshAhead) first take the key's lease, a
// short-lived lock that the storage keeps beside the entry (see
// backends.Leaser) and that expires by itself after ttl.
//
//   - A refresh that cannot take the lease does nothing: another process is
//     refreshing the entry, and every process keeps serving the stale value
//     meanwhile.
//   - A fill that cannot take the lease waits for the holder's value,
//     reading the entry again with a backoff (5 ms doubling to 100 ms); it
//     takes the lease itself, and runs the function, if the lease is freed
//     with no value (the holder's function failed) or expires (the holder
//     died). Waiting ends with the caller's context, as every Call does,
//     and at the latest two seconds past ttl (the most a memcached lease
//     outlives it), when it runs the function without the lease.
//   - The holder reads the entry once more after taking the lease (another
//     process may have just written it and let the lease go), then runs the
//     function and writes its result only if it still holds the lease,
//     releasing it in the same step; a lease lost meanwhile (it expired, or
//     a Delete of the entry cleared it) leaves the entry alone and is
//     reported to OnError with Op "lease". The callers get the result
//     either way. A function error releases the lease and writes nothing.
//
// ttl bounds how long a dead holder blocks the others: take it above the
// function's usual time (a lease that expires while its holder still runs
// lets a second process run the function too, and the first one's write is
// then dropped). On memcached a lease lasts ttl rounded up to whole
// seconds, and up to one second more.
//
// Storages: Redis (redisstore.Store: a key of its own in the entry's hash
// slot, SET NX PX, and a Lua script that writes the value if the lease
// still holds), memcached (memcachestore.Store with its server selector:
// an add of a lease key, and a compare-and-set write of the entry). On a
// storage without leases (the in-process LRU and Dict, disk, a Redis hash)
// the option changes nothing: the ring's single flight per key already
// runs one function per key in the process, and there is no other process
// to share with. A failure to take a lease is reported with Op "lease" and
// the function runs without it (fail-open).
//
// Lease needs a positive ttl, and cannot be combined with WithStrategy (a
// custom strategy fills entries itself) nor with IfNotExists (the holder's
// write replaces the entry).
func Lease(ttl time.Duration) Option {
	return newOption(fmt.Sprintf("Lease(%v)", ttl), func(c *config) {
		if ttl <= 0 {
			c.fail(fmt.Errorf("ring: Lease(%v): the lease's time-to-live must be positive", ttl))
			return
		}
		c.lease = ttl
	})
}

// leaseOf checks Lease against the other options and returns the lease
// time-to-live of a ring on raw: 0 without the option, and on a storage
// that cannot lease (whose single flight is the lease).
func leaseOf(name string, cfg *config, raw backends.Storage) (time.Duration, error) {
	if cfg.lease == 0 {
		return 0, nil
	}
	opt := fmt.Sprintf("Lease(%v)", cfg.lease)
	switch {
	case cfg.strategy != nil:
		return 0, fmt.Errorf("ring: %s: %s: a custom strategy (WithStrategy) fills entries itself; take a lease in the strategy instead", name, opt)
	case cfg.ifNotExists:
		return 0, fmt.Errorf("ring: %s: %s: cannot be combined with IfNotExists: the lease holder's write replaces the entry", name, opt)
	}
	if _, ok := backends.Unwrap(raw).(backends.Leaser); !ok {
		return 0, nil
	}
	return cfg.lease, nil
}

// The backoff of a fill waiting for a lease holder's value, and how long
// past the lease's ttl it waits at most (a memcached lease lasts up to
// ttl rounded up to seconds, plus one).
const (
	leaseFirstWait = 5 * time.Millisecond
	leaseMaxWait   = 100 * time.Millisecond
	leaseSlack     = 2 * time.Second
)

// leased runs the function of key under the key's lease, inside the key's
// flight (ctx is the run's context), and returns what the flight's
// callers get. stale, when haveStale is set, is the value of an entry
// due for refresh (RefreshAhead): when another process holds the lease it
// is returned as it is, and the holder reads the entry again as a refresh
// does; otherwise this is a fill, and a waiter returns the first value it
// finds. op names the failures reported ("set" for a fill, "refresh").
func leased[K, R any](ctx context.Context, c *core[K, R], st *Cache[R], key string, k K, stale any, haveStale bool, op string, seen time.Duration) (any, error) {
	giveUp := time.Now().Add(st.lease + leaseSlack)
	wait := leaseFirstWait
	var waited time.Time // when this caller began to wait for another process's lease
	if st.obs != nil {
		defer func() { st.obs.leaseWait(ctx, key, waited) }()
	}
	for {
		token, ok, err := backends.TakeLease(ctx, st.store, key, st.lease)
		switch {
		case err != nil:
			if !errors.Is(err, backends.ErrNotSupported) && ctx.Err() == nil {
				st.report("lease", key, err)
			}
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return leaseHeld(ctx, c, st, key, k, "", haveStale, op, seen) // fail-open: without the lease
		case ok:
			return leaseHeld(ctx, c, st, key, k, token, haveStale, op, seen)
		case haveStale:
			return stale, nil // another process refreshes the entry
		}
		if waited.IsZero() {
			waited = time.Now()
		}
		r, ok, err := st.load(ctx, key)
		if err == nil && ok {
			return any(r), nil // the holder's value
		}
		if t := st.neg.ofHit(err); t != nil {
			return any(st.negResult()), t.call // the holder's "not found" (NegativeCache)
		}
		left := time.Until(giveUp)
		if left <= 0 {
			return leaseHeld(ctx, c, st, key, k, "", false, op, seen) // the lease outlived its ttl: run without it
		}
		t := time.NewTimer(min(wait, left))
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		wait = min(2*wait, leaseMaxWait)
	}
}

// leasedRefresh is a refresh under the key's lease: got, when found, is
// the entry found due, which the callers get when another process holds
// the lease.
func leasedRefresh[K, R any](ctx context.Context, c *core[K, R], st *Cache[R], key string, k K, got any, found bool, seen time.Duration) (any, error) {
	var stale any
	if found {
		r, ok := st.fromStored(key, got)
		stale, found = any(r), ok
	}
	return leased(ctx, c, st, key, k, stale, found, "refresh", seen)
}

// leaseHeld runs the function as the lease holder (token; "" runs it
// without a lease): it reads the entry once more, runs the function and
// writes its result if the lease still holds.
func leaseHeld[K, R any](ctx context.Context, c *core[K, R], st *Cache[R], key string, k K, token string, refresh bool, op string, seen time.Duration) (any, error) {
	if token != "" {
		if v, ok := st.settled(ctx, key, refresh, seen); ok {
			st.releaseLease(ctx, key, token)
			return v, nil
		}
	}
	kind := observe.LoadFill
	if op == "refresh" {
		kind = observe.LoadRefresh
	}
	r, err := c.fillExec(ctx, st, kind, k) // the function, timed for XFetch: fresh.go
	v := any(r)
	if t, ok := st.neg.classify(v, err); ok { // NegativeCache: negative.go
		st.releaseLease(ctx, key, token)
		st.fillNegative(ctx, key, t)
		return v, err
	}
	if err != nil || (st.policy.exclude != nil && st.policy.exclude(key, v)) {
		st.releaseLease(ctx, key, token)
		return v, err
	}
	if token == "" {
		if err := st.put(ctx, key, v); err != nil {
			st.report(op, key, err)
		}
		return v, nil
	}
	sv, err := st.toStored(v)
	if err != nil {
		st.releaseLease(ctx, key, token)
		st.report(op, key, fmt.Errorf("ring: %s: encode %q: %w", st.name, key, err))
		return v, nil
	}
	ran, written := false, false
	err = st.rope.Commit(ctx, key, func() error {
		ran = true
		var err error
		written, err = backends.SetLeased(ctx, st.store, key, token, sv, st.policy.ttlOf(key, v))
		return err
	})
	switch {
	case err != nil:
		st.report(op, key, err)
		st.releaseLease(ctx, key, token)
	case !ran: // a newer write of the key in this process wins
		st.releaseLease(ctx, key, token)
	case !written:
		st.report("lease", key, fmt.Errorf("ring: %s: the lease on %q was lost (it expired after Lease(%v), or a delete cleared it) before the value was written: the entry is left as it is", st.name, key, st.lease))
	}
	return v, nil
}

// settled reads key again under a fresh lease: a fill takes any value it
// finds, a refresh only one that is no longer due (found with seen left;
// refreshNow, the Refresh sub-function's, takes none).
func (c *Cache[V]) settled(ctx context.Context, key string, refresh bool, seen time.Duration) (any, bool) {
	if !refresh {
		r, ok, err := c.load(ctx, key)
		return any(r), err == nil && ok
	}
	v, ttl, ok, err := backends.GetWithTTL(ctx, c.store, key)
	if seen == refreshNow || err != nil || !ok || c.bg == nil || !c.bg.notDue(ttl, seen) {
		return nil, false
	}
	r, ok := c.fromStored(key, v)
	return any(r), ok
}

// releaseLease gives the lease up (if token is one), on a context that
// outlives the flight's cancellation; a failure is reported.
func (c *Cache[V]) releaseLease(ctx context.Context, key, token string) {
	if token == "" {
		return
	}
	if err := backends.ReleaseLease(context.WithoutCancel(ctx), c.store, key, token); err != nil {
		c.report("lease", key, err)
	}
}

// The guard takes, writes and releases leases guarded as its other
// operations are.

var _ backends.Leaser = (*guard)(nil)

func (g *guard) TakeLease(ctx context.Context, key string, ttl time.Duration) (string, bool, error) {
	type took struct {
		token string
		ok    bool
	}
	t, err := guarded(g, ctx, "take lease", key, 0, func(ctx context.Context) (took, error) {
		token, ok, err := backends.TakeLease(ctx, g.s, key, ttl)
		return took{token, ok}, err
	})
	g.FlushEvents() // the ring holds no write lock here
	return t.token, t.ok, err
}

func (g *guard) SetLeased(ctx context.Context, key, token string, value any, ttl time.Duration) (bool, error) {
	return guarded(g, ctx, "set leased", key, 0, func(ctx context.Context) (bool, error) {
		return backends.SetLeased(ctx, g.s, key, token, value, ttl)
	})
}

func (g *guard) ReleaseLease(ctx context.Context, key, token string) error {
	defer g.FlushEvents() // the ring holds no write lock here
	return guardedErr(g, ctx, "release lease", key, 0, func(ctx context.Context) error {
		return backends.ReleaseLease(ctx, g.s, key, token)
	})
}
