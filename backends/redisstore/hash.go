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

// errNoFieldExpiry explains why RedisHash refuses a positive ttl.
var errNoFieldExpiry = fmt.Errorf("per-field expiry needs Redis 7.4 (HPEXPIRE) and this backend does not use it: store with ttl 0, or expire the whole hash through Raw(): %w", backends.ErrNotSupported)

// Hash is a bytes backend that keeps every entry as a field of one
// Redis hash: HGET, HSET, HDEL, HEXISTS, HMGET, HSETNX for SetIfAbsent, one
// HSET with many fields for SetMany, one HDEL with many fields for
// DeleteMany, and HSCAN MATCH with HDEL for Clear.
//
// Redis hashes have no per-field expiry before Redis 7.4 (HPEXPIRE), and
// Debian ships 7.0: every write or touch with a positive ttl returns an error
// that wraps [backends.ErrNotSupported]; a ttl of zero works. To expire the whole
// hash at once, call EXPIRE on the hash key through Raw().
//
// The hash is one key, so on a Redis Cluster all its entries live in one
// slot on one master. RedisHash is safe for concurrent use.
type Hash struct {
	client redis.UniversalClient
	key    string
}

// StopsAtDeadline reports whether the client stops a call at its
// context's deadline by itself (go-redis with ContextTimeoutEnabled).
func (h *Hash) StopsAtDeadline() bool { return redisStopsAtDeadline(h.client) }

// Remote returns true: calls go to a Redis server.
func (*Hash) Remote() bool { return true }

// Unreachable reports whether err means that Redis could not be reached
// (see Store.Unreachable).
func (*Hash) Unreachable(err error) bool { return unreachable(err) }

// NewHash returns a RedisHash backend that stores its entries as fields
// of the hash hashKey.
func NewHash(client redis.UniversalClient, hashKey string) *Hash {
	return &Hash{client: client, key: hashKey}
}

var (
	_ backends.Storage       = (*Hash)(nil)
	_ backends.Haser         = (*Hash)(nil)
	_ backends.Toucher       = (*Hash)(nil)
	_ backends.SetIfAbsenter = (*Hash)(nil)
	_ backends.BulkGetter    = (*Hash)(nil)
	_ backends.BulkSetter    = (*Hash)(nil)
	_ backends.BulkDeleter   = (*Hash)(nil)
	_ backends.BulkHaser     = (*Hash)(nil)
	_ backends.BulkToucher   = (*Hash)(nil)
	_ backends.Clearer       = (*Hash)(nil)
	_ backends.Remover       = (*Hash)(nil)
)

// Name returns "redis-hash".
func (*Hash) Name() string { return "redis-hash" }

// Bytes returns true: RedisHash stores []byte values.
func (*Hash) Bytes() bool { return true }

// Raw returns the redis.UniversalClient given to NewHash.
func (h *Hash) Raw() any { return h.client }

// HashKey returns the key of the hash that holds the entries.
func (h *Hash) HashKey() string { return h.key }

func (h *Hash) ready(ctx context.Context, op string) error {
	return storeutil.Ready(ctx, "redis-hash", op, h.client != nil)
}

// checkTTL refuses a negative ttl and, with errNoFieldExpiry, a positive one.
func (h *Hash) checkTTL(op string, ttl time.Duration) error {
	if err := backends.CheckTTL(h, ttl); err != nil {
		return err
	}
	if ttl > 0 {
		return fmt.Errorf("ring: backend redis-hash: %s with expiry %v: %w", op, ttl, errNoFieldExpiry)
	}
	return nil
}

func (h *Hash) fail(op, field string, err error) error {
	return fmt.Errorf("ring: backend redis-hash: %s %s in hash %s: %w", op, storeutil.QuoteKey(field), storeutil.QuoteKey(h.key), err)
}

func (h *Hash) failN(op string, n int, err error) error {
	return fmt.Errorf("ring: backend redis-hash: %s (%d fields) in hash %s: %w", op, n, storeutil.QuoteKey(h.key), err)
}

// Get returns the bytes of field key with HGET.
func (h *Hash) Get(ctx context.Context, key string) (any, bool, error) {
	if err := h.ready(ctx, "get"); err != nil {
		return nil, false, err
	}
	b, err := h.client.HGet(ctx, h.key, key).Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, h.fail("get", key, err)
	}
	return storeutil.NonNil(b), true, nil
}

// CheckExpiry reports the error a write with ttl would get: a positive ttl
// is not supported.
func (h *Hash) CheckExpiry(ttl time.Duration) error { return h.checkTTL("expire", ttl) }

// Set stores value, which must be a []byte, in field key with HSET. A
// positive ttl is an error wrapping backends.ErrNotSupported.
func (h *Hash) Set(ctx context.Context, key string, value any, ttl time.Duration) error {
	if err := h.ready(ctx, "set"); err != nil {
		return err
	}
	if err := h.checkTTL("set", ttl); err != nil {
		return err
	}
	b, err := storeutil.BytesValue(h.Name(), "set", key, value)
	if err != nil {
		return err
	}
	if err := h.client.HSet(ctx, h.key, key, b).Err(); err != nil {
		return h.fail("set", key, err)
	}
	return nil
}

// Delete removes field key with HDEL.
func (h *Hash) Delete(ctx context.Context, key string) error {
	if err := h.ready(ctx, "delete"); err != nil {
		return err
	}
	if err := h.client.HDel(ctx, h.key, key).Err(); err != nil {
		return h.fail("delete", key, err)
	}
	return nil
}

// Remove deletes field key with HDEL and reports whether it was there.
func (h *Hash) Remove(ctx context.Context, key string) (bool, error) {
	if err := h.ready(ctx, "remove"); err != nil {
		return false, err
	}
	n, err := h.client.HDel(ctx, h.key, key).Result()
	if err != nil {
		return false, h.fail("remove", key, err)
	}
	return n > 0, nil
}

// Has reports whether field key exists, with HEXISTS.
func (h *Hash) Has(ctx context.Context, key string) (bool, error) {
	if err := h.ready(ctx, "has"); err != nil {
		return false, err
	}
	ok, err := h.client.HExists(ctx, h.key, key).Result()
	if err != nil {
		return false, h.fail("has", key, err)
	}
	return ok, nil
}

// Touch with a zero ttl does nothing (fields never expire); a positive ttl
// is an error wrapping backends.ErrNotSupported.
func (h *Hash) Touch(ctx context.Context, key string, ttl time.Duration) error {
	if err := h.ready(ctx, "touch"); err != nil {
		return err
	}
	return h.checkTTL("touch", ttl)
}

// SetIfAbsent stores value in field key with HSETNX and reports whether it
// was written. A positive ttl is an error wrapping backends.ErrNotSupported.
func (h *Hash) SetIfAbsent(ctx context.Context, key string, value any, ttl time.Duration) (bool, error) {
	if err := h.ready(ctx, "set if absent"); err != nil {
		return false, err
	}
	if err := h.checkTTL("set if absent", ttl); err != nil {
		return false, err
	}
	b, err := storeutil.BytesValue(h.Name(), "set if absent", key, value)
	if err != nil {
		return false, err
	}
	ok, err := h.client.HSetNX(ctx, h.key, key, b).Result()
	if err != nil {
		return false, h.fail("set if absent", key, err)
	}
	return ok, nil
}

// GetMany reads the fields with one HMGET.
func (h *Hash) GetMany(ctx context.Context, keys []string) ([]any, []bool, error) {
	if err := h.ready(ctx, "get many"); err != nil {
		return nil, nil, err
	}
	values := make([]any, len(keys))
	found := make([]bool, len(keys))
	if len(keys) == 0 {
		return values, found, nil
	}
	vals, err := h.client.HMGet(ctx, h.key, keys...).Result()
	if err != nil {
		return nil, nil, h.failN("get many", len(keys), err)
	}
	if len(vals) != len(keys) {
		return nil, nil, h.failN("get many", len(keys), fmt.Errorf("HMGET returned %d values", len(vals)))
	}
	for i, v := range vals {
		switch v := v.(type) {
		case nil:
		case string:
			values[i], found[i] = []byte(v), true
		case []byte:
			values[i], found[i] = storeutil.NonNil(v), true
		default:
			return nil, nil, h.failN("get many", len(keys), fmt.Errorf("HMGET returned a %T", v))
		}
	}
	return values, found, nil
}

// SetMany stores the fields with one HSET. A positive ttl is an error
// wrapping backends.ErrNotSupported.
func (h *Hash) SetMany(ctx context.Context, keys []string, values []any, ttl time.Duration) error {
	if err := h.ready(ctx, "set many"); err != nil {
		return err
	}
	if err := h.checkTTL("set many", ttl); err != nil {
		return err
	}
	if len(keys) != len(values) {
		return fmt.Errorf("ring: backend redis-hash: set many: %d keys but %d values", len(keys), len(values))
	}
	if len(keys) == 0 {
		return nil
	}
	args := make([]any, 0, 2*len(keys))
	for i, k := range keys {
		b, err := storeutil.BytesValue(h.Name(), "set many", k, values[i])
		if err != nil {
			return err
		}
		args = append(args, k, b)
	}
	if err := h.client.HSet(ctx, h.key, args...).Err(); err != nil {
		return h.failN("set many", len(keys), err)
	}
	return nil
}

// DeleteMany removes the fields with one HDEL.
func (h *Hash) DeleteMany(ctx context.Context, keys []string) error {
	if err := h.ready(ctx, "delete many"); err != nil {
		return err
	}
	if len(keys) == 0 {
		return nil
	}
	if err := h.client.HDel(ctx, h.key, keys...).Err(); err != nil {
		return h.failN("delete many", len(keys), err)
	}
	return nil
}

// HasMany tests the fields with one HEXISTS per field in one pipeline.
func (h *Hash) HasMany(ctx context.Context, keys []string) ([]bool, error) {
	if err := h.ready(ctx, "has many"); err != nil {
		return nil, err
	}
	out := make([]bool, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	pipe := h.client.Pipeline()
	cmds := make([]*redis.BoolCmd, len(keys))
	for i, k := range keys {
		cmds[i] = pipe.HExists(ctx, h.key, k)
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return nil, h.failN("has many", len(keys), err)
	}
	for i, c := range cmds {
		out[i] = c.Val()
	}
	return out, nil
}

// TouchMany with a zero ttl does nothing; a positive ttl is an error
// wrapping backends.ErrNotSupported.
func (h *Hash) TouchMany(ctx context.Context, _ []string, ttl time.Duration) error {
	if err := h.ready(ctx, "touch many"); err != nil {
		return err
	}
	return h.checkTTL("touch many", ttl)
}

// Clear removes every field that starts with prefix: HSCAN MATCH with the
// prefix glob-escaped, then HDEL of what was found (and match accepts),
// batch by batch. An empty prefix with no match unlinks the whole hash.
func (h *Hash) Clear(ctx context.Context, prefix string, match func(string) bool) error {
	if err := h.ready(ctx, "clear"); err != nil {
		return err
	}
	fail := func(err error) error {
		return fmt.Errorf("ring: backend redis-hash: clear prefix %s in hash %s: %w", storeutil.QuoteKey(prefix), storeutil.QuoteKey(h.key), err)
	}
	if prefix == "" && match == nil {
		if err := h.client.Unlink(ctx, h.key).Err(); err != nil {
			return fail(err)
		}
		return nil
	}
	pattern := globEscape(prefix) + "*"
	var cursor uint64
	for {
		if err := ctx.Err(); err != nil {
			return fail(err)
		}
		kv, next, err := h.client.HScan(ctx, h.key, cursor, pattern, scanCount).Result()
		if err != nil {
			return fail(err)
		}
		if len(kv) > 0 {
			fields := make([]string, 0, len(kv)/2)
			for i := 0; i < len(kv); i += 2 {
				if match == nil || match(kv[i]) {
					fields = append(fields, kv[i])
				}
			}
			if len(fields) > 0 {
				if err := h.client.HDel(ctx, h.key, fields...).Err(); err != nil {
					return fail(err)
				}
			}
		}
		if next == 0 {
			return nil
		}
		cursor = next
	}
}
