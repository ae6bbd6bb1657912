package ring

import (
	"context"
	"fmt"
	"reflect"

	"github.com/ringcache/ring/descriptor"
	"github.com/ringcache/ring/internal/rope"
	"github.com/ringcache/ring/observe"
)

// Batch caches fn, a batch function: one that answers a list of IDs in one
// call, returning the value of each ID it knows. Each ID is cached under
// its own key, the key Func1 would give a function of one K (the prefix is
// fn's name), so the ring is an ordinary [Ring1] and has every
// sub-function: Call(ctx, id), Get, Delete, Key, Many() and the rest.
//
//   - Many().GetOrUpdate reads every ID in one round trip and calls fn once
//     for all the misses (each distinct ID once), then writes what it
//     returned in one round trip (a pipeline on Redis, slot-grouped on a
//     Cluster; the pipelined batch on memcached; one lock on the LRU; one
//     transaction on disk). Every missed key is in single flight while fn
//     runs: a concurrent Call or Many of the same ID waits for this batch
//     instead of calling fn again, and a newer write of an ID (Set, Delete,
//     Update) made while fn runs is not undone by the batch's write.
//   - Call(ctx, id) on a miss calls fn with the one ID; with BatchWindow,
//     the misses of concurrent Calls share one call and one bulk write.
//   - Many().Update calls fn once for all its IDs and writes in one round
//     trip.
//
// An ID that fn's map does not hold has the outcome ErrNotFound: Call and
// Many().GetOrUpdate return an error wrapping it for that ID. Nothing is
// cached for it, unless the ring has NegativeCache (whose default target is
// ErrNotFound): then it is cached as a negative entry for the policy's TTL,
// in the same bulk write as the values. An error of fn fails every ID of that call and nothing is
// written. IDs in the map that were not asked for are ignored (not
// written): the ring caches only what it asked for.
//
// With a custom strategy (WithStrategy) or a Choose function, the bulk
// forms go ID by ID, as on any ring, and each miss calls fn with one ID.
func Batch[K comparable, V any](fn func(ctx context.Context, ids []K) (map[K]V, error), opts ...Option) (*Ring1[K, V], error) {
	shape, cfg, err := describe(fn, descriptor.Static, opts)
	if err != nil {
		return nil, err
	}
	// The ring's entries are those of a function of one K: its shape is
	// fn's (name, location) with one K for the []K.
	one := *shape
	one.Type = reflect.TypeFor[func(context.Context, K) (V, error)]()
	one.Params = []descriptor.Param{{Index: 0, Type: one.Type.In(0)}, {Index: 1, Type: one.Type.In(1)}}
	one.Keys = one.Params[1:]
	one.Context = 0
	one.Result = reflect.TypeFor[V]()
	name := shape.Name
	type k2 = Args2[struct{}, K]
	fetch := func(ctx context.Context, ks []k2) ([]V, []error) {
		return batchFetch(ctx, name, fn, ks)
	}
	exec := func(ctx context.Context, k k2) (V, error) {
		vs, errs := fetch(ctx, []k2{k})
		return vs[0], errs[0]
	}
	if cfg.window != nil { // BatchWindow: batch_window.go
		co := &coalescer[K, V]{policy: *cfg.window, fetch: fn}
		exec = func(ctx context.Context, k k2) (V, error) {
			var zero V
			m, err := co.load(ctx, k.P2)
			if err != nil {
				return zero, err
			}
			v, ok := m[k.P2]
			if !ok {
				return zero, batchMissing(name, k.P2)
			}
			return v, nil
		}
	}
	pl := plan[k2, V]{
		batched: true,
		exec:    exec,
		toAny:   func(k k2) []any { return []any{k.P2} },
		fromAny: func(s *descriptor.Shape, args []any) (k k2, err error) {
			k.P2, err = arg[K](s, args, 0)
			return k, err
		},
	}.withComps(
		field(&one, func(e func([]byte, K) ([]byte, error)) component[k2] {
			return func(dst []byte, k k2) ([]byte, error) { return e(dst, k.P2) }
		}),
	)
	c, err := newCoreShape(&one, cfg, pl)
	if err != nil {
		return nil, err
	}
	c.batch = fetch
	if cfg.window != nil {
		c.windowFill = windowFiller(c, *cfg.window)
	}
	return &Ring1[K, V]{c: c}, nil
}

// batchFetch calls fn once with the distinct IDs of ks and returns the
// outcome of each item of ks: its value, fn's error, or, for an ID the map
// does not hold, batchMissing's.
func batchFetch[K comparable, V any](ctx context.Context, name string, fn func(context.Context, []K) (map[K]V, error), ks []Args2[struct{}, K]) ([]V, []error) {
	out := make([]V, len(ks))
	errs := make([]error, len(ks))
	ids := make([]K, 0, len(ks))
	if len(ks) == 1 {
		ids = append(ids, ks[0].P2)
	} else {
		seen := make(map[K]struct{}, len(ks))
		for _, k := range ks {
			if _, dup := seen[k.P2]; !dup {
				seen[k.P2] = struct{}{}
				ids = append(ids, k.P2)
			}
		}
	}
	m, err := fn(ctx, ids)
	for i, k := range ks {
		if err != nil {
			errs[i] = err
			continue
		}
		v, ok := m[k.P2]
		if !ok {
			errs[i] = batchMissing(name, k.P2)
			continue
		}
		out[i] = v
	}
	return out, errs
}

// batchMissing is the outcome of an ID that a batch function did not
// return: an error wrapping ErrNotFound, as if a function of that one ID
// had returned it. It is the one place that decides it.
func batchMissing(name string, id any) error {
	return named(name, fmt.Sprintf("the batch function returned no value for ID %v", id), ErrNotFound)
}

// batchGetOrUpdateMany is Many().GetOrUpdate on a batch function's ring:
// one read of every key, then one call of the function for the distinct
// misses, inside the single flight of each of them, and one write of its
// results (batchFill).
func (c *core[K, R]) batchGetOrUpdateMany(ctx context.Context, ks []K) ([]R, error) {
	keys, err := c.keyMany(ks)
	if err != nil {
		return nil, err
	}
	st := c.store
	fctx, mark := st.rope.MarkWrites(ctx)
	var (
		out   []R
		found []bool
		hits  []error
	)
	if st.ahead != nil {
		out, found, hits, err = c.loadManyAhead(ctx, st, keys, ks) // RefreshAhead: batch_refresh.go
	} else {
		out, found, hits, err = st.loadMany(ctx, keys)
	}
	recheck := err == nil
	if err != nil {
		st.report("get many", "", err)
		out, found = make([]R, len(keys)), make([]bool, len(keys))
	}
	if st.obs != nil {
		st.obs.bulk(ctx, len(keys), found, hits, err)
	}
	errs := make([]error, len(ks))
	st.hitsAsCalls(hits, out, found, errs) // NegativeCache: a cached "not found" is an outcome
	missed, first := distinctMisses(keys, found)
	if len(missed) > 0 {
		mkeys := make([]string, len(missed))
		mks := make([]K, len(missed))
		for j, i := range missed {
			mkeys[j], mks[j] = keys[i], ks[i]
		}
		vals, verrs := c.batchFill(fctx, st, mkeys, mks, recheck, mark)
		for j, i := range missed {
			out[i], errs[i] = vals[j], verrs[j]
		}
		copyRepeats(keys, found, first, out, errs)
	}
	return out, joinItems(errs)
}

// batchFill fills the distinct keys of ks in one batch: each key already in
// flight (a concurrent Call's, another batch's) is joined, and the others
// are filled by one call of the batch function, inside their single flight.
// Inside the flight, the keys that a write may have stored since mark are
// read again (one round trip) when recheck is set; the function runs for
// the rest, and what it returned is written in one bulk write, except the
// keys written anew since the batch started (rope.FillMany). A failed
// write is reported, not returned; the function's errors are returned per
// key and not written.
func (c *core[K, R]) batchFill(ctx context.Context, st *Cache[R], keys []string, ks []K, recheck bool, mark *rope.WriteMark) ([]R, []error) {
	vals, errs, joined := st.rope.FlightManyShared(ctx, keys, func(ctx context.Context, lead []int) ([]any, []error) {
		out := make([]any, len(lead))
		oerrs := make([]error, len(lead))
		todo := make([]int, 0, len(lead)) // positions in lead still to fetch
		var again []int
		for j, i := range lead {
			if recheck && (mark == nil || mark.WrittenSince(keys[i])) {
				again = append(again, j)
			} else {
				todo = append(todo, j)
			}
		}
		if len(again) > 0 {
			akeys := make([]string, len(again))
			for t, j := range again {
				akeys[t] = keys[lead[j]]
			}
			rs, fs, hits, err := st.loadMany(ctx, akeys)
			for t, j := range again {
				switch {
				case err == nil && fs[t]:
					out[j] = any(rs[t])
				case err == nil && st.neg.ofHit(hitOf(hits, t)) != nil: // a negative entry landed
					out[j], oerrs[j] = any(st.negResult()), st.neg.ofHit(hits[t]).call
				default:
					todo = append(todo, j)
				}
			}
		}
		if len(todo) == 0 {
			return out, oerrs
		}
		fks := make([]K, len(todo))
		for t, j := range todo {
			fks[t] = ks[lead[j]]
		}
		rs, ferrs := c.batchLoad(rope.Outside(ctx), st, observe.LoadFill, fks)
		wkeys := make([]string, 0, len(todo))
		wvals := make([]any, 0, len(todo))
		for t, j := range todo {
			v := any(rs[t]) // boxed once, for the write and the flight's callers
			out[j], oerrs[j] = v, ferrs[t]
			wkeys = append(wkeys, keys[lead[j]])
			wvals = append(wvals, v)
		}
		if err := st.fillMany(ctx, wkeys, wvals, ferrs); err != nil {
			st.report("set many", "", err)
		}
		return out, oerrs
	})
	if joined > 0 && st.obs != nil {
		st.obs.event(ctx, observe.Event{Kind: observe.EventCoalesced, N: joined})
	}
	out := make([]R, len(keys))
	for i, v := range vals {
		out[i], _ = v.(R)
	}
	return out, errs
}

// hitOf is hits[i], or nil when loadMany found no negative entry at all.
func hitOf(hits []error, i int) error {
	if hits == nil {
		return nil
	}
	return hits[i]
}
