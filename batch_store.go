package ring

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/ringcache/ring/backends"
)

// fillMany is the write of a batch's results (rope.FillMany): values under
// keys with the ring's policy (Expire, TTLFunc, ExpireJitter, Exclude,
// IfNotExists), in one bulk write where the backend has one, leaving out
// every key written anew since the batch started. Called with a context
// that is not a batch's, it is putMany.
//
// errs, when not nil, holds the function's outcome of each key: a key with
// an error is not written, unless NegativeCache calls the outcome "not
// found" (an error it lists, or a zero result with ErrZeroResult): then its
// negative entry is written in the same bulk write, for the policy's TTL.
func (c *Cache[V]) fillMany(ctx context.Context, keys []string, values []any, errs []error) error {
	if len(keys) == 0 {
		return nil
	}
	p := c.policy
	perEntry := p.ttl != nil || p.jitter > 0
	wkeys := make([]string, 0, len(keys))
	stored := make([]any, 0, len(values))
	var ttls []time.Duration
	var negs []int // positions in wkeys of negative entries
	for i, v := range values {
		var err error
		if errs != nil {
			err = errs[i]
		}
		if t, ok := c.neg.classify(v, err); ok { // NegativeCache: negative.go
			if negs == nil {
				negs = make([]int, 0, len(keys))
			}
			negs = append(negs, len(wkeys))
			var sv any = t.entry
			if c.coder != nil {
				sv = []byte(t.marker) // a copy per write: a store may keep the slice
			}
			wkeys = append(wkeys, keys[i])
			stored = append(stored, sv)
			ttls = append(ttls, c.neg.ttl)
			continue
		}
		if err != nil || (p.exclude != nil && p.exclude(keys[i], v)) {
			continue
		}
		sv, err := c.toStored(v)
		if err != nil {
			return fmt.Errorf("ring: %s: encode %q: %w", c.name, keys[i], err)
		}
		wkeys = append(wkeys, keys[i])
		stored = append(stored, sv)
		ttls = append(ttls, p.ttlOf(keys[i], v))
	}
	perEntry = perEntry || negs != nil // a negative entry has its own TTL
	if len(wkeys) == 0 {
		return nil
	}
	return c.rope.FillMany(ctx, wkeys, func(keep []int) error {
		ks, vs := wkeys, stored
		if len(keep) < len(wkeys) {
			ks, vs = make([]string, len(keep)), make([]any, len(keep))
			for t, i := range keep {
				ks[t], vs[t] = wkeys[i], stored[i]
			}
		}
		switch {
		case p.ifNotExists: // set-if-absent has no bulk form
			var errs []error
			for t, i := range keep {
				if _, err := backends.SetIfAbsent(ctx, c.store, ks[t], vs[t], ttls[i]); err != nil {
					errs = append(errs, err)
				}
			}
			return errors.Join(errs...)
		case perEntry:
			ts := make([]time.Duration, len(keep))
			for t, i := range keep {
				ts[t] = ttls[i]
			}
			return backends.SetManyTTL(ctx, c.store, ks, vs, ts)
		}
		return backends.SetMany(ctx, c.store, ks, vs, p.expire)
	})
}
