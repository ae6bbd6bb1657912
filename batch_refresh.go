package ring

import (
	"context"
	"fmt"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/rope"
	"github.com/ringcache/ring/observe"
)

// Refresh-ahead in batches: Many().GetOrUpdate on a batch function's ring
// with RefreshAhead reads its entries with their time left (one round
// trip), serves every hit at once, and refreshes the due ones with one
// background call of the batch function and one bulk write.

// loadManyAhead is loadMany with each entry's time left; it starts one
// background batch refresh of the hits that are due (RefreshAhead).
func (c *core[K, R]) loadManyAhead(ctx context.Context, st *Cache[R], keys []string, ks []K) (out []R, found []bool, hits []error, err error) {
	values, ttls, ok, err := backends.GetManyWithTTL(ctx, st.store, keys)
	if err != nil {
		return nil, nil, nil, err
	}
	out = make([]R, len(keys))
	found = make([]bool, len(keys))
	var due []int
	a := st.ahead
	for i := range keys {
		if !ok[i] {
			continue
		}
		if st.neg != nil { // a negative entry: its outcome, never refreshed ahead
			if hit, isNeg := st.negativeRead(keys[i], values[i]); isNeg {
				if hit != nil {
					if hits == nil {
						hits = make([]error, len(keys))
					}
					hits[i] = hit
				}
				continue
			}
		}
		if out[i], found[i] = st.fromStored(keys[i], values[i]); !found[i] {
			continue
		}
		switch ttl := ttls[i]; {
		case ttl == backends.TTLUnknown:
			if a.unknownTTL(st.rope) {
				st.report("refresh", keys[i], fmt.Errorf("ring: backend %s cannot say how long an entry has left (backends.TTLUnknown): its entries are served without refresh-ahead", st.store.Name()))
			}
		case ttl <= 0: // no expiry
		case !a.servable(ttl): // past its expiry and StaleWhileRevalidate's bound: a miss
			var zero R
			out[i], found[i] = zero, false
		case ttl <= a.grace || ttl <= a.fresh || a.xf.due(ttl-a.grace):
			due = append(due, i)
		}
	}
	switch {
	case len(due) == 0:
	case c.batch != nil: // a batch function: one call for all the due IDs
		startBatchRefresh(ctx, c, st, keys, ks, due)
	default: // one refresh per due key, as Call starts it
		for _, i := range due {
			startRefresh(ctx, c, st, keys[i], ks[i], ttls[i])
		}
	}
	return out, found, hits, nil
}

// startBatchRefresh refreshes the due items of keys that no refresh is
// running for, with one call of the batch function, in the background.
// The goroutine belongs to the ring and ends at the refresh's timeout at
// the latest (the function's goroutine when the function returns).
func startBatchRefresh[K, R any](ctx context.Context, c *core[K, R], st *Cache[R], keys []string, ks []K, due []int) {
	a := st.ahead
	dkeys := make([]string, len(due))
	for j, i := range due {
		dkeys[j] = keys[i]
	}
	a.spawn(ctx, st.rope, st.report, dkeys, func(rctx context.Context, claimed []int) {
		rkeys := make([]string, len(claimed))
		rks := make([]K, len(claimed))
		for j, d := range claimed {
			rkeys[j], rks[j] = dkeys[d], ks[due[d]]
		}
		_, errs := st.rope.FlightMany(rctx, rkeys, func(ctx context.Context, lead []int) ([]any, []error) {
			return batchRefreshRun(ctx, rctx, c, st, rkeys, rks, lead)
		})
		for i, err := range errs {
			if err != nil {
				st.report("refresh", rkeys[i], refreshTimedOut(rctx, a.timeout, err))
			}
		}
	})
}

// batchRefreshRun is a batch refresh inside the flights of the keys it
// leads, given the deadline of the refresh (rctx): it reads them again
// with their time left (a refresh elsewhere may have made some fresh), and
// calls the batch function once for the others, writing what it returned
// in one bulk write, except the keys written anew since the refresh began.
func batchRefreshRun[K, R any](ctx, rctx context.Context, c *core[K, R], st *Cache[R], keys []string, ks []K, lead []int) ([]any, []error) {
	if dl, ok := rctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, dl)
		defer cancel()
	}
	out := make([]any, len(lead))
	errs := make([]error, len(lead))
	lkeys := make([]string, len(lead))
	for j, i := range lead {
		lkeys[j] = keys[i]
	}
	var todo []int
	values, ttls, found, err := backends.GetManyWithTTL(ctx, st.store, lkeys)
	for j := range lead {
		if err == nil && found[j] {
			if t := st.negativeLanded(lkeys[j], values[j]); t != nil { // the entity is gone (NegativeCache)
				out[j], errs[j] = any(st.negResult()), t.call
				continue
			}
		}
		if a := st.ahead; err == nil && found[j] && (ttls[j] == 0 || (ttls[j] > a.grace && ttls[j] > a.fresh)) { // refreshed since it was found due
			if r, ok := st.fromStored(lkeys[j], values[j]); ok {
				out[j] = any(r)
				continue
			}
		}
		todo = append(todo, j)
	}
	if len(todo) == 0 {
		return out, errs
	}
	fks := make([]K, len(todo))
	for t, j := range todo {
		fks[t] = ks[lead[j]]
	}
	rs, ferrs := c.batchLoad(rope.Outside(ctx), st, observe.LoadRefresh, fks)
	var wkeys []string
	var wvals []any
	for t, j := range todo {
		v := any(rs[t])
		out[j], errs[j] = v, ferrs[t]
		wkeys = append(wkeys, lkeys[j])
		wvals = append(wvals, v)
	}
	if err := st.fillMany(ctx, wkeys, wvals, ferrs); err != nil {
		st.report("refresh", "", err)
	}
	return out, errs
}
