package redisstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/storeutil"
)

// Reading a value with its remaining time-to-live (backends.TTLGetter): the
// value stays the bytes the coder wrote, readable by redis-cli and by
// Python Ring, and the age comes from the key's own expiry.

var (
	_ backends.TTLGetter     = (*Store)(nil)
	_ backends.BulkTTLGetter = (*Store)(nil)
	_ backends.TTLGetter     = (*Hash)(nil)
	_ backends.BulkTTLGetter = (*Hash)(nil)
)

// pttl converts a PTTL reply as go-redis gives it: -2 (no such key) is a
// miss, -1 (no expiry) is 0, and a remaining time is kept, at least 1ns: a
// key with under a millisecond left reads PTTL 0, which must not be taken
// for "no expiry".
func pttl(d time.Duration) (time.Duration, bool) {
	switch {
	case d == -2:
		return 0, false
	case d == -1:
		return 0, true
	case d <= 0:
		return time.Nanosecond, true
	}
	return d, true
}

// GetWithTTL returns the bytes under key and the time the key has left (0:
// no expiry), to the millisecond, with GET and PTTL sent together in one
// MULTI/EXEC transaction: one round trip, and the two replies describe the
// same write even while other clients write the key (a plain pipeline could
// pair one write's value with a later write's expiry). A key that expires
// or is deleted at the moment of the read is a miss, never a value with a
// negative time left.
func (r *Store) GetWithTTL(ctx context.Context, key string) (any, time.Duration, bool, error) {
	if err := r.ready(ctx, "get with ttl"); err != nil {
		return nil, 0, false, err
	}
	pipe := r.client.TxPipeline()
	get := pipe.Get(ctx, key)
	ttl := pipe.PTTL(ctx, key)
	_, err := pipe.Exec(ctx)
	b, left, ok, err := paired(err, get, ttl)
	if err != nil {
		return nil, 0, false, r.fail("get with ttl", key, err)
	}
	if !ok {
		return nil, 0, false, nil
	}
	return b, left, true, nil
}

// paired turns the replies of a read and a PTTL sent in one MULTI/EXEC
// (execErr is Exec's error) into GetWithTTL's answer: the bytes, the time
// left and whether the entry was found, or the error to report.
func paired(execErr error, get *redis.StringCmd, ttl *redis.DurationCmd) ([]byte, time.Duration, bool, error) {
	if execErr != nil && !errors.Is(execErr, redis.Nil) {
		return nil, 0, false, execErr
	}
	v, err := get.Result()
	if errors.Is(err, redis.Nil) {
		return nil, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	d, err := ttl.Result()
	if err != nil {
		return nil, 0, false, err
	}
	left, ok := pttl(d)
	if !ok {
		return nil, 0, false, nil
	}
	return ownedBytes(v), left, true, nil
}

// GetManyWithTTL reads keys and the time each has left: per group of keys
// that one command may address (see GetMany: one on a single node, one per
// hash slot on a cluster), an MGET and a PTTL per key, every group in one
// pipeline, so one round trip per node. The pipeline is a MULTI/EXEC
// transaction (each value paired with its own write's expiry, as in
// GetWithTTL) except on a cluster when the keys span several hash slots:
// Redis Cluster runs no transaction across slots, so there it is a plain
// pipeline, and a write of a key that lands between its MGET and its PTTL
// pairs the value read with that newer write's expiry (a delete or an
// expiry in between still reads as a miss). Redis runs the commands of one
// connection's buffer back to back, so such a tear is rare with short keys
// and common with keys of 100 KiB (docs/backends.md).
func (r *Store) GetManyWithTTL(ctx context.Context, keys []string) ([]any, []time.Duration, []bool, error) {
	const op = "get many with ttl"
	if err := r.ready(ctx, op); err != nil {
		return nil, nil, nil, err
	}
	values, ttls, found := ttlResults(len(keys))
	if len(keys) == 0 {
		return values, ttls, found, nil
	}
	groups := r.groups(keys)
	mgets := make([]*redis.SliceCmd, len(groups))
	pttls := make([]*redis.DurationCmd, len(keys))
	var pipe redis.Pipeliner
	if r.cluster != nil && len(groups) > 1 {
		pipe = r.client.Pipeline() // a transaction cannot span slots
	} else {
		pipe = r.client.TxPipeline()
	}
	for i, g := range groups {
		mgets[i] = pipe.MGet(ctx, storeutil.Pick(keys, g)...)
		for _, j := range g {
			pttls[j] = pipe.PTTL(ctx, keys[j])
		}
	}
	if _, err := pipe.Exec(ctx); err != nil && !errors.Is(err, redis.Nil) {
		return nil, nil, nil, r.failN(op, len(keys), err)
	}
	for i, g := range groups {
		vals, err := mgets[i].Result()
		if err != nil {
			return nil, nil, nil, r.failN(op, len(keys), err)
		}
		if len(vals) != len(g) {
			return nil, nil, nil, r.failN(op, len(keys), fmt.Errorf("MGET returned %d values for %d keys", len(vals), len(g)))
		}
		for n, v := range vals {
			j := g[n]
			var b []byte
			switch v := v.(type) {
			case nil:
				continue
			case string:
				b = ownedBytes(v)
			case []byte:
				b = storeutil.NonNil(v)
			default:
				return nil, nil, nil, r.failN(op, len(keys), fmt.Errorf("MGET returned a %T", v))
			}
			d, err := pttls[j].Result()
			if err != nil {
				return nil, nil, nil, r.failN(op, len(keys), err)
			}
			if left, ok := pttl(d); ok {
				values[j], ttls[j], found[j] = b, left, true
			}
		}
	}
	return values, ttls, found, nil
}

// GetWithTTL returns the bytes of field key and the time the hash key has
// left (0: no expiry), with HGET and PTTL of the hash in one MULTI/EXEC
// transaction. This backend never gives a field an expiry of its own (Redis
// before 7.4 has none), so a field lives as long as its hash: the hash's
// PTTL is the field's time left, including an EXPIRE set on the hash
// through Raw(). A field expiry set by another client with HPEXPIRE (Redis
// 7.4 and later) is not seen.
func (h *Hash) GetWithTTL(ctx context.Context, key string) (any, time.Duration, bool, error) {
	if err := h.ready(ctx, "get with ttl"); err != nil {
		return nil, 0, false, err
	}
	pipe := h.client.TxPipeline()
	get := pipe.HGet(ctx, h.key, key)
	ttl := pipe.PTTL(ctx, h.key)
	_, err := pipe.Exec(ctx)
	b, left, ok, err := paired(err, get, ttl)
	if err != nil {
		return nil, 0, false, h.fail("get with ttl", key, err)
	}
	if !ok {
		return nil, 0, false, nil
	}
	return b, left, true, nil
}

// GetManyWithTTL reads fields with HMGET and the hash's PTTL in one
// MULTI/EXEC transaction; every hit reports the hash's time left (see
// GetWithTTL).
func (h *Hash) GetManyWithTTL(ctx context.Context, keys []string) ([]any, []time.Duration, []bool, error) {
	const op = "get many with ttl"
	if err := h.ready(ctx, op); err != nil {
		return nil, nil, nil, err
	}
	values, ttls, found := ttlResults(len(keys))
	if len(keys) == 0 {
		return values, ttls, found, nil
	}
	pipe := h.client.TxPipeline()
	get := pipe.HMGet(ctx, h.key, keys...)
	ttl := pipe.PTTL(ctx, h.key)
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, nil, nil, h.failN(op, len(keys), err)
	}
	vals, err := get.Result()
	if err != nil {
		return nil, nil, nil, h.failN(op, len(keys), err)
	}
	if len(vals) != len(keys) {
		return nil, nil, nil, h.failN(op, len(keys), fmt.Errorf("HMGET returned %d values for %d fields", len(vals), len(keys)))
	}
	d, err := ttl.Result()
	if err != nil {
		return nil, nil, nil, h.failN(op, len(keys), err)
	}
	left, ok := pttl(d)
	if !ok {
		return values, ttls, found, nil // the hash is gone: every field is a miss
	}
	for i, v := range vals {
		var b []byte
		switch v := v.(type) {
		case nil:
			continue
		case string:
			b = ownedBytes(v)
		case []byte:
			b = storeutil.NonNil(v)
		default:
			return nil, nil, nil, h.failN(op, len(keys), fmt.Errorf("HMGET returned a %T", v))
		}
		values[i], ttls[i], found[i] = b, left, true
	}
	return values, ttls, found, nil
}

// ttlResults are the result slices of a GetManyWithTTL of n keys.
func ttlResults(n int) ([]any, []time.Duration, []bool) {
	return make([]any, n), make([]time.Duration, n), make([]bool, n)
}
