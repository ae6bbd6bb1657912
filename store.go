package ring

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"time"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/flight"
	"github.com/ringcache/ring/internal/rope"
)

// The store layer: one typed path between values of type V and what a
// backend holds, shared by Cache's own methods, a ring's sub-functions and
// the Op a ring hands to a strategy. Keys here are backend keys (prefix
// applied and rewritten).

// ErrNoCoder is wrapped by the error of Encode and Decode on a ring that
// stores Go values without a coder.
var ErrNoCoder = errors.New("no coder configured")

// report sends an event to the OnError hook.
func (c *Cache[V]) report(op, key string, err error) {
	if err != nil && (c.onError != nil || c.obs != nil) {
		key = strings.Clone(key) // a bulk read's key shares its buffer with the others (keyManyShared)
	}
	if c.onError != nil && err != nil {
		c.onError(Event{Ring: c.name, Op: op, Key: key, Err: err})
	}
	if c.obs != nil && err != nil {
		c.obs.failure(op, key, err) // observe.go
	}
}

// load reads key and converts what is stored to V; a value that does not
// convert is a miss, reported. A negative entry (NegativeCache) is not
// found, with the error Get returns for it.
func (c *Cache[V]) load(ctx context.Context, key string) (value V, found bool, err error) {
	if c.mem != nil {
		value, found = c.mem.Load(key)
		return value, found, nil
	}
	v, ok, err := c.store.Get(ctx, key)
	if err == nil && ok {
		if c.neg != nil {
			if hit, isNeg := c.negativeRead(key, v); isNeg {
				return value, false, hit
			}
		}
		value, found = c.fromStored(key, v)
	}
	return value, found, err
}

// fromStored turns what the storage holds under key into V: the value
// itself on an in-process backend without a coder, decoded bytes
// otherwise. A value that does not convert or decode (another ring wrote
// under the same key, or the type changed) is a miss, reported to OnError.
func (c *Cache[V]) fromStored(key string, v any) (V, bool) {
	if c.coder == nil {
		if v == nil {
			var zero V
			return zero, true
		}
		out, ok := v.(V)
		if !ok {
			c.report("decode", key, fmt.Errorf("stored value is %T, want %v", v, reflect.TypeFor[V]()))
		}
		return out, ok
	}
	b, ok := v.([]byte)
	if !ok {
		c.report("decode", key, fmt.Errorf("stored value is %T, not []byte", v))
		var zero V
		return zero, false
	}
	return c.decodeStored(key, b)
}

// decodeStored decodes the bytes stored under key; apart from fromStored,
// so that the decode target does not escape to the heap on the path
// without a coder.
func (c *Cache[V]) decodeStored(key string, b []byte) (V, bool) {
	out, err := c.decodeBytes(b)
	if err != nil {
		c.report("decode", key, err)
		return out, false
	}
	return out, true
}

// decodeBytes decodes data written by the coder into a V.
func (c *Cache[V]) decodeBytes(data []byte) (V, error) {
	if c.dec != nil {
		return c.dec(data)
	}
	var out V
	err := c.coder.Decode(data, &out)
	return out, err
}

// loadMany reads keys in one round trip where the backend can and converts
// what it finds to V, as load does. A backend that reads bytes in bulk
// (BulkBytesGetter) has its entries decoded straight into V, without boxing
// each one in an interface. hits is nil unless some entries are negative
// (NegativeCache): then hits[i] is the error Get returns for entry i.
func (c *Cache[V]) loadMany(ctx context.Context, keys []string) (out []V, found []bool, hits []error, err error) {
	out = make([]V, len(keys))
	found = make([]bool, len(keys))
	negative := func(i int, v any) bool {
		if c.neg == nil {
			return false
		}
		hit, isNeg := c.negativeRead(keys[i], v)
		if hit != nil {
			if hits == nil {
				hits = make([]error, len(keys))
			}
			hits[i] = hit
		}
		return isNeg
	}
	if _, ok := c.store.(backends.BulkBytesGetter); ok && c.coder != nil {
		bs, err := backends.GetManyBytes(ctx, c.store, keys)
		if err != nil {
			return nil, nil, nil, err
		}
		for i, b := range bs {
			if b != nil && !negative(i, b) {
				found[i] = c.decodeStoredInto(&out[i], keys[i], b)
			}
		}
		return out, found, hits, nil
	}
	values, ok, err := backends.GetMany(ctx, c.store, keys)
	if err != nil {
		return nil, nil, nil, err
	}
	for i := range keys {
		if ok[i] && !negative(i, values[i]) {
			out[i], found[i] = c.fromStored(keys[i], values[i])
		}
	}
	return out, found, hits, nil
}

// toStored turns v into what the backend stores: v itself without a
// coder, its encoding otherwise.
func (c *Cache[V]) toStored(v any) (any, error) {
	if c.coder == nil {
		return v, nil
	}
	b, err := c.coder.Encode(v)
	if err == nil && c.neg != nil {
		err = c.refuseMarker(b)
	}
	return b, err
}

// encodeValue is a ring's Encode.
func (c *Cache[V]) encodeValue(v V) ([]byte, error) {
	if c.coder == nil {
		return nil, fmt.Errorf("ring: %s: encode: %w (backend %s stores Go values)", c.name, ErrNoCoder, c.store.Name())
	}
	return c.coder.Encode(v)
}

// decodeValue is a ring's Decode.
func (c *Cache[V]) decodeValue(data []byte) (V, error) {
	if c.coder == nil {
		var zero V
		return zero, fmt.Errorf("ring: %s: decode: %w (backend %s stores Go values)", c.name, ErrNoCoder, c.store.Name())
	}
	return c.decodeBytes(data)
}

// writePolicy is how a ring writes its entries: the options Expire,
// TTLFunc, ExpireJitter, Exclude and IfNotExists.
type writePolicy struct {
	expire      time.Duration
	ttl         func(key string, value any) time.Duration
	jitter      float64
	exclude     func(key string, value any) bool
	ifNotExists bool
	// grace is added to every entry's time-to-live, after jitter:
	// StaleWhileRevalidate's and StaleIfError's (fresh.go).
	grace time.Duration
}

// full is the time-to-live of an entry written with Expire: Expire and the
// grace.
func (p *writePolicy) full() time.Duration {
	if p.expire <= 0 {
		return p.expire
	}
	return p.expire + p.grace
}

// ttlOf returns the time-to-live of value under key, jittered
// (ExpireJitter).
func (p *writePolicy) ttlOf(key string, v any) time.Duration {
	d := p.expire
	if p.ttl != nil {
		if d = p.ttl(key, v); d < 0 {
			d = 0
		}
	}
	if p.jitter > 0 {
		d = jittered(d, p.jitter)
	}
	if d > 0 {
		d += p.grace
	}
	return d
}

// on returns the store layer of the same ring on storage: c with
// storage in place of c's own, its own rope, and the checks a storage must
// pass for the ring's options.
func (c *Cache[V]) on(storage backends.Storage) (*Cache[V], error) {
	if c.coder == nil && storage.Bytes() {
		return nil, fmt.Errorf("ring: %s: backend %s stores bytes: choose a coder (for example Coder(\"json\"))", c.name, storage.Name())
	}
	if ec, ok := storage.(backends.ExpiryChecker); ok && c.policy.expire > 0 {
		if err := ec.CheckExpiry(c.policy.full()); err != nil {
			return nil, fmt.Errorf("ring: %s: Expire(%v): %w", c.name, c.policy.expire, err)
		}
	}
	s := *c
	s.store = storage
	s.mem = nil
	s.rope = rope.New(storage)
	s.obs = c.obs.on(storage)
	s.near = nil // Near serves the ring's own storage only
	s.seen = seenCounted(storage)
	s.writes = countWrites(storage, s.rope) // miss_count.go
	return &s, nil
}

// The writes of a ring: each is a newer write of its keys, or, under the
// context a flight handed to its function, that fill's own (rope.Commit).

// put writes v under key with the ring's policy.
func (c *Cache[V]) put(ctx context.Context, key string, v any) error {
	return c.putTTL(ctx, key, v, c.policy.ttlOf(key, v))
}

// putTTL writes v under key with the time-to-live ttl (0: none), with the
// ring's Exclude and IfNotExists.
func (c *Cache[V]) putTTL(ctx context.Context, key string, v any, ttl time.Duration) error {
	return c.putRun(ctx, nil, nil, key, v, ttl)
}

// putRun is putTTL; with run not nil, it is the fill of run, a run of
// c's rope that ctx is the context of, and mark the WriteMark ctx
// carries (rope.FillCommit): the write looks neither up in ctx.
func (c *Cache[V]) putRun(ctx context.Context, run *flight.Run, mark *rope.WriteMark, key string, v any, ttl time.Duration) error {
	if c.policy.exclude != nil && c.policy.exclude(key, v) {
		return nil
	}
	sv, err := c.toStored(v)
	if err != nil {
		return fmt.Errorf("ring: %s: encode %q: %w", c.name, key, err)
	}
	do := func() error {
		if c.policy.ifNotExists {
			_, err := backends.SetIfAbsent(ctx, c.store, key, sv, ttl)
			return err
		}
		return c.store.Set(ctx, key, sv, ttl)
	}
	if run != nil {
		return c.rope.FillCommit(run, mark, do)
	}
	return c.rope.Commit(ctx, key, do)
}

// remove deletes key; an absent key is not an error.
func (c *Cache[V]) remove(ctx context.Context, key string) error {
	return c.rope.Commit(ctx, key, func() error { return c.store.Delete(ctx, key) })
}

// putMany writes values under keys in one bulk write where the backend
// has one, a newer write of every key.
func (c *Cache[V]) putMany(ctx context.Context, keys []string, values []any) error {
	if len(keys) == 0 {
		return nil
	}
	if p := c.policy; !p.ifNotExists && (p.exclude != nil || p.ttl != nil || p.jitter > 0) {
		return c.putManyTTL(ctx, keys, values) // Exclude, a ttl per entry: jitter.go
	}
	if c.policy.ifNotExists {
		// Set-if-absent has no bulk form: write one by one.
		for i, k := range keys {
			if err := c.put(ctx, k, values[i]); err != nil {
				return err
			}
		}
		return nil
	}
	stored := make([]any, len(values))
	for i, v := range values {
		sv, err := c.toStored(v)
		if err != nil {
			return fmt.Errorf("ring: %s: encode %q: %w", c.name, keys[i], err)
		}
		stored[i] = sv
	}
	return c.rope.Write(keys, func() error {
		return backends.SetMany(ctx, c.store, keys, stored, c.policy.full())
	})
}

// removeMany deletes keys in one bulk command where the backend has one.
func (c *Cache[V]) removeMany(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	return c.rope.Write(keys, func() error { return backends.DeleteMany(ctx, c.store, keys) })
}

// touch resets key's time-to-live to the ring's Expire. On a ring without
// one it returns an error wrapping ErrNoExpiry and leaves the entry alone.
func (c *Cache[V]) touch(ctx context.Context, key string) error {
	if c.policy.expire <= 0 {
		return c.noExpiry()
	}
	return c.rope.Unordered(func() error { return backends.Touch(ctx, c.store, key, c.policy.full()) })
}

// touchMany is touch for many keys, in one round trip where the backend
// can.
func (c *Cache[V]) touchMany(ctx context.Context, keys []string) error {
	if c.policy.expire <= 0 {
		return c.noExpiry()
	}
	return c.rope.Unordered(func() error { return backends.TouchMany(ctx, c.store, keys, c.policy.full()) })
}

func (c *Cache[V]) noExpiry() error {
	return fmt.Errorf("ring: %s: touch: %w; set Expire, or give an entry a time-to-live through Cache().ExpireIn", c.name, ErrNoExpiry)
}

// entries is the view of a ring's store layer that a strategy's Op works
// on (rope.Entries), with values as any.
type entries[V any] struct{ c *Cache[V] }

func (e entries[V]) Load(ctx context.Context, key string) (any, bool, error) {
	v, ok, err := e.c.load(ctx, key)
	if !ok {
		return nil, false, err
	}
	return v, true, nil
}

func (e entries[V]) Store(ctx context.Context, key string, v any) error {
	return e.c.put(ctx, key, v)
}

func (e entries[V]) StoreTTL(ctx context.Context, key string, v any, ttl time.Duration) error {
	return e.c.putTTL(ctx, key, v, ttl)
}

func (e entries[V]) Delete(ctx context.Context, key string) error { return e.c.remove(ctx, key) }

func (e entries[V]) Has(ctx context.Context, key string) (bool, error) {
	return backends.Has(ctx, e.c.store, key)
}

func (e entries[V]) Touch(ctx context.Context, key string) error { return e.c.touch(ctx, key) }

func (e entries[V]) Report(op, key string, err error) { e.c.report(op, key, err) }

func (e entries[V]) Flight(ctx context.Context, key string, fn func(ctx context.Context) (any, error)) (any, error) {
	return e.c.rope.Flight(ctx, key, fn)
}
