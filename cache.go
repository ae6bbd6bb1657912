package ring

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"time"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/internal/rope"
)

// Cache is the typed low-level cache (the analog of cachetory's Cache): a
// backend, a coder and a key prefix, with values of type V. It is the store
// layer a ring uses underneath: a ring builds its keys and runs its
// function, and its Cache turns what the backend holds into typed values
// (or reported misses) and typed values into what the backend stores.
// Every ring's Cache method returns the Cache over its own entries, so
// moving between the high-level ring and the low-level cache is one call.
//
// The prefix is applied to every key on every path, bulk forms included,
// and GetMany returns the keys as the caller gave them. A Cache is safe for
// concurrent use.
type Cache[V any] struct {
	store  backends.Storage
	coder  coders.Coder
	prefix string
	// refactor is set when the backend rewrites keys (memcached).
	refactor bool
	// dec, if set, decodes stored bytes into V (an untyped ring's, through
	// reflection); nil decodes with coder into a V.
	dec func([]byte) (V, error)
	// name names the cache in errors and events: "cache <prefix>", or the
	// ring's name.
	name    string
	onError func(Event)
	// obs reports the events of the store layer (observe.go); nil without
	// Observe and WithStats.
	obs *observer
	// For a ring's Cache: single is set when the ring has one entry (its
	// key is the prefix itself), and match, if set, tells the ring's own
	// keys among those that start with the prefix.
	single bool
	match  func(key string) bool
	// rope is set on the Cache of a ring: its writes are then newer
	// writes of the ring, which the ring's fills in flight do not undo.
	rope *rope.Rope
	// policy is the ring's writes' (nil for a Cache from NewCache).
	policy *writePolicy
	// ahead refreshes the ring's entries ahead of expiry (RefreshAhead,
	// StaleWhileRevalidate, StaleIfError, XFetch; nil without them, and
	// for a Cache from NewCache).
	ahead *refresher
	// lease is the time-to-live of the ring's leases (Lease; 0: none).
	lease time.Duration
	// bg runs the ring's background refreshes: ahead's when set, and
	// Refresh's (nil for a Cache from NewCache).
	bg *refresher
	// neg caches not-found outcomes (NegativeCache; nil without it, and
	// for a Cache from NewCache).
	neg *negativePolicy
	// negZero is what Call returns with a negative entry: the zero value
	// of the function's result type (on the untyped view, not nil).
	negZero V
	// direct is set on a ring's Cache when a stored value of type V is the
	// value itself: no coder, and no negative entry that could pass for a
	// V (NegativeCache with an interface result type). Call's in-process
	// hit then returns it without a call.
	direct bool
	// seen is set when a read of the storage costs more than a count of
	// the rope's writes (a server's storage, and Dummy): Call takes the
	// count before its read, and a miss reads again inside its flight
	// only if a write of the key may have finished since (miss.go).
	seen bool
	// writes, on an LRU or a Dict, is the count of the rope's finished
	// writes that Call takes before its read (miss_count.go); nil where
	// it is not counted, or once another Watcher (Near) replaced it.
	writes *writeCount
	// mem is the storage when it is a typed in-process store
	// (Concurrent): hits read it without boxing (memstore.go).
	mem *backends.Concurrent[V]
	// near is the in-process tier of decoded values (Near: near.go; nil
	// without it).
	near *nearTier[V]
}

// SetOptions are the options of one Cache.Set.
type SetOptions struct {
	// TTL is the entry's time-to-live; 0 means no expiry.
	TTL time.Duration
	// IfNotExists writes only when the key is absent; Set then reports
	// whether it wrote.
	IfNotExists bool
}

// NewCache builds a Cache from ring options: a storage option (LRU, Dict,
// Dummy, or Storage with any backend: redisstore, memcachestore,
// diskstore, storeurl.Open; default an LRU of 1024 entries), a coder (Coder, WithCoder, CoderFuncs; needed by
// backends that store bytes unless V is string or []byte), KeyPrefix
// (prepended to every key as it is: use "app:" for "app:key") and OnError
// (stored values that no longer decode). Other options describe a cached
// function and are an error here.
func NewCache[V any](opts ...Option) (*Cache[V], error) {
	cfg, err := build(opts)
	if err != nil {
		return nil, err
	}
	// In the order options are listed in the docs, so that the error reads
	// the same on every run.
	var bad []error
	for _, o := range []struct {
		name string
		set  bool
	}{
		{"Expire (pass SetOptions.TTL)", cfg.expire != 0},
		{"Ignore", len(cfg.ignore) > 0},
		{"KeyFunc", cfg.keyFunc != nil},
		{"WithStrategy", cfg.strategy != nil},
		{"TTLFunc", cfg.ttl != nil},
		{"ExpireJitter (pass each write's SetOptions.TTL)", cfg.jitter != 0},
		{"Exclude", cfg.exclude != nil},
		{"IfNotExists (pass SetOptions.IfNotExists)", cfg.ifNotExists},
		{"HashKeys", cfg.hashKeys != nil},
		{"Choose", cfg.choose != nil},
		{"BulkConcurrency", cfg.bulk != 0},
		{"RefreshAhead", cfg.ahead != nil},
		{"Lease", cfg.lease != 0},
		{"StaleWhileRevalidate", cfg.fresh.swr != nil},
		{"StaleIfError", cfg.fresh.maxAge > 0},
		{"XFetch", cfg.fresh.xfetch != nil},
		{"BatchWindow", cfg.window != nil},
		{"NegativeCache", cfg.negative != nil},
		{"StorageTimeout (a Cache is not guarded: bound its calls with their context)", cfg.storageTimeout != nil},
		{"CircuitBreaker (a Cache is not guarded)", cfg.breaker != nil},
	} {
		if o.set {
			bad = append(bad, fmt.Errorf("ring: cache: option %s does not apply to a Cache", o.name))
		}
	}
	if len(bad) > 0 {
		return nil, errors.Join(bad...)
	}
	store, mem, err := newStorageOf[V](cfg)
	if err != nil {
		return nil, err
	}
	cd, err := chooseCoder(cfg.coder, store, reflect.TypeFor[V](), "cache")
	if err != nil {
		return nil, err
	}
	prefix := ""
	if cfg.prefix != nil {
		prefix = *cfg.prefix
	}
	_, refactor := store.(backends.KeyRefactorer)
	name := "cache" // as errors and events name it
	if prefix != "" {
		name += " " + strconv.Quote(prefix)
	}
	c := &Cache[V]{store: store, coder: cd, prefix: prefix, refactor: refactor, name: name, onError: cfg.onError,
		obs: newObserver(cfg, name, store), mem: mem}
	if err := c.attachNear(cfg, store); err != nil { // Near: near.go
		return nil, err
	}
	return c, nil
}

// chooseCoder returns the coder a backend needs: the one asked for, or for a
// bytes backend with a string or []byte value type the string or bytes
// coder.
func chooseCoder(cd coders.Coder, store backends.Storage, value reflect.Type, name string) (coders.Coder, error) {
	if cd != nil || !store.Bytes() {
		return cd, nil
	}
	switch {
	case value.Kind() == reflect.String:
		return coders.String{}, nil
	case value.Kind() == reflect.Slice && value.Elem().Kind() == reflect.Uint8:
		return coders.Bytes{}, nil
	}
	return nil, fmt.Errorf("ring: %s: backend %s stores bytes and the value type %v needs a coder: add Coder(name) with one of %v",
		name, store.Name(), value, coders.Default.Names())
}

// Storage returns the backend; its Raw method gives the client underneath.
func (c *Cache[V]) Storage() backends.Storage { return c.store }

// Coder returns the coder, or nil when the backend stores Go values as they
// are.
func (c *Cache[V]) Coder() coders.Coder { return c.coder }

// Prefix returns the prefix applied to every key.
func (c *Cache[V]) Prefix() string { return c.prefix }

// Key returns the backend key for key: the prefix applied, and the key
// rewritten if the backend requires it.
func (c *Cache[V]) Key(key string) string {
	k := c.prefix + key
	if c.refactor {
		k = c.rewrite(k)
	}
	return k
}

// rewrite returns key as a backend that rewrites keys (c.refactor) stores
// it. Its callers check c.refactor first: they are on hit paths, and
// generic code does not inline it.
func (c *Cache[V]) rewrite(key string) string { return backends.RefactorKey(c.store, key) }

func (c *Cache[V]) keys(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		out[i] = c.Key(k)
	}
	return out
}

// Get returns the value under key; found is false on a miss (a stored zero
// value is found). A stored value that does not decode is a miss. On the
// Cache of a ring with NegativeCache, a negative entry is not found and
// err wraps its not-found error, as the ring's Get reports it.
func (c *Cache[V]) Get(ctx context.Context, key string) (value V, found bool, err error) {
	// load, by hand: generic code does not inline it, and this is a hit path.
	k := c.Key(key)
	if c.near != nil { // Near: near.go (reported there)
		return c.readLive(ctx, k)
	}
	if c.mem != nil {
		value, found = c.mem.Load(k)
		if c.obs != nil {
			c.obs.got(ctx, found, nil, false)
		}
		return value, found, nil
	}
	v, ok, err := c.store.Get(ctx, k)
	if err == nil && ok {
		if c.neg != nil {
			if hit, isNeg := c.negativeRead(k, v); isNeg {
				return value, false, hit
			}
		}
		value, found = c.fromStored(k, v)
	}
	if c.obs != nil {
		c.obs.got(ctx, found, err, err != nil && ok)
	}
	return value, found, err
}

// GetMany returns the values found under keys, by the keys as given (without
// the prefix), in one round trip where the backend can. Keys that miss are
// absent from the map, as are negative entries (NegativeCache).
func (c *Cache[V]) GetMany(ctx context.Context, keys ...string) (map[string]V, error) {
	values, found, hits, err := c.loadMany(ctx, c.keys(keys))
	if c.obs != nil {
		c.obs.bulk(ctx, len(keys), found, hits, err)
	}
	if err != nil {
		return nil, err
	}
	out := make(map[string]V, len(keys))
	for i, k := range keys {
		if found[i] {
			out[k] = values[i]
		}
	}
	return out, nil
}

// Has reports whether key is present (and not expired).
func (c *Cache[V]) Has(ctx context.Context, key string) (bool, error) {
	return backends.Has(ctx, c.store, c.Key(key))
}

// Set stores value under key. With IfNotExists it writes only when the key
// is absent and reports whether it wrote; otherwise written is true on
// success.
func (c *Cache[V]) Set(ctx context.Context, key string, value V, o SetOptions) (written bool, err error) {
	sv, err := c.toStored(value)
	if err != nil {
		return false, err
	}
	k := c.Key(key)
	if o.IfNotExists {
		err = c.write([]string{k}, func() (err error) {
			written, err = backends.SetIfAbsent(ctx, c.store, k, sv, o.TTL)
			return err
		})
		return written, err
	}
	if err := c.write([]string{k}, func() error { return c.store.Set(ctx, k, sv, o.TTL) }); err != nil {
		return false, err
	}
	return true, nil
}

// write runs do, a storage command that writes keys: on the Cache of a ring
// as a newer write of the ring (rope.Rope.Write), otherwise as it is.
func (c *Cache[V]) write(keys []string, do func() error) error {
	if c.rope == nil {
		defer c.nearWrote(keys) // Near: near.go
		return do()
	}
	return c.rope.Write(keys, do)
}

// SetMany stores every item with the time-to-live ttl (0: no expiry), in one
// round trip where the backend can.
func (c *Cache[V]) SetMany(ctx context.Context, items map[string]V, ttl time.Duration) error {
	keys := make([]string, 0, len(items))
	values := make([]any, 0, len(items))
	for k, v := range items {
		sv, err := c.toStored(v)
		if err != nil {
			return fmt.Errorf("ring: cache: encode %q: %w", k, err)
		}
		keys = append(keys, c.Key(k))
		values = append(values, sv)
	}
	return c.write(keys, func() error { return backends.SetMany(ctx, c.store, keys, values, ttl) })
}

// ExpireIn gives the entry under key a new time-to-live; 0 makes it
// persistent. An absent key is left absent.
func (c *Cache[V]) ExpireIn(ctx context.Context, key string, ttl time.Duration) error {
	k := c.Key(key)
	defer c.nearWrote([]string{k}) // Near: near.go
	return backends.Touch(ctx, c.store, k, ttl)
}

// Delete removes key and reports whether it was there.
func (c *Cache[V]) Delete(ctx context.Context, key string) (existed bool, err error) {
	k := c.Key(key)
	err = c.write([]string{k}, func() (err error) {
		existed, err = backends.Remove(ctx, c.store, k)
		return err
	})
	return existed, err
}

// DeleteMany removes keys.
func (c *Cache[V]) DeleteMany(ctx context.Context, keys ...string) error {
	ks := c.keys(keys)
	return c.write(ks, func() error { return backends.DeleteMany(ctx, c.store, ks) })
}

// Clear removes every key of this cache and nothing else. For a Cache from
// NewCache, those are the keys that start with its prefix; a cache without a
// prefix refuses, since it would empty the whole backend. For the Cache of a
// ring (a ring's Cache method), those are the ring's own entries: the one
// key of a ring without key arguments, and otherwise the keys made of the
// prefix, ':' and as many key components as the ring has, so that another
// ring whose prefix merely starts with this one's keeps its entries (a ring
// with a KeyFunc, whose keys ring cannot parse, clears every key that starts
// with its prefix and ':'). A backend that cannot enumerate its keys
// (memcached) refuses.
func (c *Cache[V]) Clear(ctx context.Context) error {
	if c.single {
		_, err := c.Delete(ctx, "")
		return err
	}
	if c.prefix == "" {
		return errors.New("ring: cache: Clear needs a key prefix: without one it would remove every key in the backend")
	}
	if c.refactor {
		return fmt.Errorf("ring: cache: Clear: backend %s rewrites long keys, so a prefix cannot find them all: %w", c.store.Name(), backends.ErrNotSupported)
	}
	do := func() error { return backends.ClearMatch(ctx, c.store, c.prefix, c.match) }
	if c.rope != nil {
		return c.rope.WriteAll(do)
	}
	if c.near != nil { // Near: near.go
		defer c.near.WroteAll()
	}
	return do()
}

// keyComponents counts the components of tail, the part of a key after its
// prefix and ':': the components are separated by the ':' that are neither
// escaped by a backslash nor nested inside brackets (the key format of
// package ringkey). It returns -1 for a tail no ring key component
// sequence can be (unbalanced brackets, a trailing backslash).
func keyComponents(tail string) int {
	n, depth := 1, 0
	for i := 0; i < len(tail); i++ {
		switch tail[i] {
		case '\\':
			i++
			if i == len(tail) {
				return -1
			}
		case '[', '{', '(':
			depth++
		case ']', '}', ')':
			if depth--; depth < 0 {
				return -1
			}
		case ':':
			if depth == 0 {
				n++
			}
		}
	}
	if depth != 0 {
		return -1
	}
	return n
}

// isHexDigest reports whether s is what HashKeys puts after the prefix: n
// lower-case hex digits.
func isHexDigest(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Encode encodes value with the coder, into the bytes the backend stores.
// Without a coder (an in-process backend storing Go values) it is an error
// wrapping ErrNoCoder. For a ring's Cache it is the ring's coder.
func (c *Cache[V]) Encode(value V) ([]byte, error) { return c.encodeValue(value) }

// Decode decodes data written by the coder (the stored bytes of an entry,
// read through Storage().Raw() for example) into a V. Without a coder it is
// an error wrapping ErrNoCoder.
func (c *Cache[V]) Decode(data []byte) (V, error) { return c.decodeValue(data) }
