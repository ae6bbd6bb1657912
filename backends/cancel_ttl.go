package backends

import (
	"context"
	"time"
)

// A Cancelable wrapper reads values with their remaining time-to-live
// through GetWithTTL and GetManyWithTTL, natively where the wrapped backend
// can and as those helpers fall back otherwise, and returns as soon as the
// ctx ends, as its other calls do.

var (
	_ TTLGetter     = cancelable{}
	_ BulkTTLGetter = cancelable{}
)

type gotTTL struct {
	v   any
	ttl time.Duration
	ok  bool
}

func (c cancelable) GetWithTTL(ctx context.Context, key string) (any, time.Duration, bool, error) {
	if c.inline(ctx) {
		return GetWithTTL(ctx, c.s, key)
	}
	g, err := interruptible(ctx, func() (gotTTL, error) {
		v, ttl, ok, err := GetWithTTL(ctx, c.s, key)
		return gotTTL{v, ttl, ok}, err
	})
	return g.v, g.ttl, g.ok, err
}

type gotManyTTL struct {
	v   []any
	ttl []time.Duration
	ok  []bool
}

func (c cancelable) GetManyWithTTL(ctx context.Context, keys []string) ([]any, []time.Duration, []bool, error) {
	if c.direct(ctx) {
		return GetManyWithTTL(ctx, c.s, keys)
	}
	g, err := interruptible(ctx, func() (gotManyTTL, error) {
		v, ttl, ok, err := GetManyWithTTL(ctx, c.s, keys)
		return gotManyTTL{v, ttl, ok}, err
	})
	return g.v, g.ttl, g.ok, err
}
