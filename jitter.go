package ring

import (
	"context"
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/ringcache/ring/backends"
)

// jittered returns d times a random factor in (1-fraction, 1] (see
// ExpireJitter): never longer than d, never 0 (no expiry) when d is not.
func jittered(d time.Duration, fraction float64) time.Duration {
	if d <= 0 {
		return d
	}
	// rand.Float64 is in [0, 1): the cut is in [0, d*fraction).
	j := d - time.Duration(float64(d)*fraction*rand.Float64())
	if j < 1 || j > d {
		return d
	}
	return j
}

// putManyTTL is putMany for a ring with a per-entry policy (Exclude,
// TTLFunc, ExpireJitter): the entries Exclude keeps out are dropped, the
// others written in one bulk write where the backend has one, each with its
// own ttl (backends.SetManyTTL) when the ring gives them one, as a newer
// write of every key.
func (c *Cache[V]) putManyTTL(ctx context.Context, keys []string, values []any) error {
	p := c.policy
	wkeys := keys
	stored := make([]any, 0, len(values))
	ttls := make([]time.Duration, 0, len(values))
	if p.exclude != nil {
		wkeys = make([]string, 0, len(keys))
	}
	for i, v := range values {
		if p.exclude != nil {
			if p.exclude(keys[i], v) {
				continue
			}
			wkeys = append(wkeys, keys[i])
		}
		sv, err := c.toStored(v)
		if err != nil {
			return fmt.Errorf("ring: %s: encode %q: %w", c.name, keys[i], err)
		}
		stored = append(stored, sv)
		ttls = append(ttls, p.ttlOf(keys[i], v))
	}
	if len(wkeys) == 0 {
		return nil
	}
	if p.ttl == nil && p.jitter == 0 { // Exclude alone: one ttl for all
		return c.rope.Write(wkeys, func() error {
			return backends.SetMany(ctx, c.store, wkeys, stored, p.full())
		})
	}
	return c.rope.Write(wkeys, func() error {
		return backends.SetManyTTL(ctx, c.store, wkeys, stored, ttls)
	})
}

// SetManyTTL is SetMany with a ttl per entry, guarded as SetMany is.
func (g *guard) SetManyTTL(ctx context.Context, keys []string, values []any, ttls []time.Duration) error {
	return guardedErr(g, ctx, "set many", "", len(keys), func(ctx context.Context) error {
		return backends.SetManyTTL(ctx, g.s, keys, values, ttls)
	})
}
