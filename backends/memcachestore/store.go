package memcachestore

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/storeutil"
)

// memcacheRelativeLimit is the longest expiry memcached takes as a number of
// seconds from now: a larger number is read as an absolute Unix time.
const memcacheRelativeLimit = 30 * 24 * 60 * 60

// KeyPrefix starts every key that Memcache rewrites (see
// [Memcache.RefactorKey]). It is Python Ring's format.
const KeyPrefix = "ring-sha1:"

// Memcache is a bytes backend on a gomemcache client, which spreads keys over
// one or more memcached servers.
//
// Keys: memcached takes keys of at most 250 bytes with no control or space
// bytes. Memcache implements [KeyRefactorer]: a key of 250 bytes or more, an
// empty key, or a key with any byte outside '!'..'~' is stored as
// "ring-sha1:" + hex(sha1(key)), as Python Ring does (Ring leaves the empty
// key as it is, which memcached rejects). Every method applies RefactorKey
// itself, so calling the backend directly with any key works; refactoring a
// refactored key changes nothing.
//
// Expiry: memcached counts in whole seconds, so a ttl is rounded up to the
// next second; a ttl over 30 days is sent as an absolute Unix time (as
// memcached requires), and one past the year 2038 is an error.
//
// Capabilities: Get, Set, Delete, Touch and Add (SetIfAbsent) are native.
// The bulk forms depend on whether the backend knows the client's server
// selector (see [WithSelector]; storeurl.Open passes it). With it, they talk
// to the servers on connections of the backend's own, every request
// written from the calling goroutine before any answer is read: GetMany
// and HasMany send one get per server, SetMany, DeleteMany and TouchMany a
// pipeline of set, delete or touch, one round trip in all. Without it,
// GetMany and HasMany use the client's GetMulti (one get per server, from
// a goroutine per server: about twice as slow on loopback,
// docs/benchmarks.md), and SetMany, DeleteMany and TouchMany are loops of
// single calls that stop at the first error (gomemcache has no multi-key
// form for them). Has is a Get (memcached has no command that tests a key
// without reading it). Clear is not supported: memcached cannot list its
// keys, so Memcache does not implement [Clearer] and [Clear] returns an
// error wrapping [backends.ErrNotSupported].
//
// Values: memcached refuses an item over its size limit (1 MiB by default,
// key and about 50 bytes of item header included); Set returns that error
// naming the key and the size.
//
// Concurrent Gets: with the selector, the Gets that many goroutines make at
// once are read together, one get per server carrying every waiting key
// (see [AutoPipeline], on by default).
//
// Context: gomemcache takes no ctx. A cancelled ctx is checked before each
// call and between the steps of a loop; a call in flight is bounded by the
// client's Timeout (500ms by default). The bulk forms with a selector are
// the exception: they stop as soon as ctx ends, and end by its deadline.
//
// Memcache is safe for concurrent use.
type Store struct {
	client *memcache.Client
	pipe   *mcPipe // the bulk forms, when the selector is known
	now    func() time.Time
	owned  bool // made by Own: Close closes client

	autoPipeline *bool // AutoPipeline, when given (the default is on)
}

// A Option configures [New]. Like the other options of the
// project, it prints itself (String), so that options can be shown in
// errors and logs.
type Option interface {
	applyMemcache(*Store)
	String() string
}

type memcacheSelectorOption struct{ ss memcache.ServerSelector }

func (o memcacheSelectorOption) applyMemcache(m *Store) {
	if o.ss != nil && m.client != nil {
		m.pipe = &mcPipe{client: m.client, ss: o.ss}
	}
}

func (o memcacheSelectorOption) String() string {
	if o.ss == nil {
		return "WithSelector(nil)"
	}
	return fmt.Sprintf("WithSelector(%T)", o.ss)
}

// WithSelector gives New the server selector that client was
// made with by memcache.NewFromSelector, so that the bulk forms can talk to
// the servers themselves: one get per server for GetMany and HasMany, a
// pipeline of set, delete or touch for SetMany, DeleteMany and TouchMany,
// all written before any answer is read, from the calling goroutine, on
// connections the backend keeps (at most the client's MaxIdleConns idle
// per server, with its Timeout and DialContext) and closes in
// [Memcache.Close]. These calls stop as soon as their ctx ends. An idle
// connection found dead (the server restarted) is replaced, and the call
// repeated once, within the call.
//
// ss must be the client's own selector: keys are placed by it, and a
// different one would read other servers than the client writes.
//
//	ss, err := memcachestore.NewServers("cache1:11211", "cache2:11211") // resolved at each dial
//	if err != nil { ... }
//	m := memcachestore.New(memcache.NewFromSelector(ss), memcachestore.WithSelector(ss))
func WithSelector(ss memcache.ServerSelector) Option {
	return memcacheSelectorOption{ss: ss}
}

// New returns a Memcache backend on client. The client stays the
// caller's: [Memcache.Close] leaves it open.
func New(client *memcache.Client, opts ...Option) *Store {
	m := &Store{client: client, now: time.Now}
	for _, o := range opts {
		if o != nil {
			o.applyMemcache(m)
		}
	}
	if m.pipe != nil {
		m.pipe.combine = m.autoPipeline == nil || *m.autoPipeline
	}
	return m
}

// Own is New, and the Store owns client: [Store.Close] closes its idle
// connections too (storeurl.Open makes its backends so).
func Own(client *memcache.Client, opts ...Option) *Store {
	m := New(client, opts...)
	m.owned = true
	return m
}

var (
	_ backends.Storage       = (*Store)(nil)
	_ backends.Haser         = (*Store)(nil)
	_ backends.Toucher       = (*Store)(nil)
	_ backends.SetIfAbsenter = (*Store)(nil)
	_ backends.BulkGetter    = (*Store)(nil)
	_ backends.BulkSetter    = (*Store)(nil)
	_ backends.BulkDeleter   = (*Store)(nil)
	_ backends.BulkHaser     = (*Store)(nil)
	_ backends.BulkToucher   = (*Store)(nil)
	_ backends.KeyRefactorer = (*Store)(nil)
	_ backends.Closer        = (*Store)(nil)
	_ backends.Remover       = (*Store)(nil)
)

// Name returns "memcache".
func (*Store) Name() string { return "memcache" }

// Bytes returns true: Memcache stores []byte values.
func (*Store) Bytes() bool { return true }

// Raw returns the *memcache.Client given to New.
func (m *Store) Raw() any { return m.client }

// RefactorKey returns key as memcached stores it: unchanged when it is 1 to
// 249 bytes long and every byte is in '!'..'~', and "ring-sha1:" followed by
// the hex SHA-1 of key otherwise.
func (*Store) RefactorKey(key string) string {
	if memcacheKeyOK(key) {
		return key
	}
	sum := sha1.Sum([]byte(key))
	return KeyPrefix + hex.EncodeToString(sum[:])
}

func memcacheKeyOK(key string) bool {
	if len(key) == 0 || len(key) >= 250 {
		return false
	}
	for i := 0; i < len(key); i++ {
		if key[i] < '!' || key[i] > '~' {
			return false
		}
	}
	return true
}

// Close closes the connections of the bulk forms (see [WithSelector]),
// and the client's idle connections when storeurl.Open made it; a client given to
// New stays open for its owner to close. With a selector, the bulk
// forms fail after Close.
func (m *Store) Close() error {
	if m.pipe != nil {
		m.pipe.close()
	}
	if !m.owned || m.client == nil {
		return nil
	}
	if err := m.client.Close(); err != nil {
		return fmt.Errorf("ring: backend memcache: close: %w", err)
	}
	return nil
}

func (m *Store) ready(ctx context.Context, op string) error {
	return storeutil.Ready(ctx, "memcache", op, m.client != nil)
}

func (m *Store) fail(op, key string, err error) error {
	return fmt.Errorf("ring: backend memcache: %s %s: %w", op, storeutil.QuoteKey(key), err)
}

// expiration converts ttl to memcached's expiration field.
func (m *Store) expiration(ttl time.Duration) (int32, error) {
	if err := backends.CheckTTL(m, ttl); err != nil {
		return 0, err
	}
	return memcacheExpiration(ttl, m.now)
}

// memcacheExpiration returns the expiration memcached needs for ttl: 0 for
// none, whole seconds rounded up for up to 30 days, an absolute Unix time
// beyond that.
func memcacheExpiration(ttl time.Duration, now func() time.Time) (int32, error) {
	if ttl <= 0 {
		return 0, nil
	}
	secs := int64((ttl + time.Second - 1) / time.Second)
	if secs <= memcacheRelativeLimit {
		return int32(secs), nil
	}
	abs := now().Unix() + secs
	if abs > math.MaxInt32 {
		return 0, fmt.Errorf("ring: backend memcache: expiry %v ends after %s, past the last time memcached can store (2038-01-19)",
			ttl, time.Unix(abs, 0).UTC().Format(time.DateOnly))
	}
	return int32(abs), nil
}

// Get returns the bytes under key; a missing key is a miss. With the
// selector (WithSelector) it reads on the bulk path's connections and stops
// when ctx ends; otherwise it is gomemcache's Get.
func (m *Store) Get(ctx context.Context, key string) (any, bool, error) {
	if err := m.ready(ctx, "get"); err != nil {
		return nil, false, err
	}
	if m.pipe != nil {
		return m.getPiped(ctx, key)
	}
	it, err := m.client.Get(m.RefactorKey(key))
	if errors.Is(err, memcache.ErrCacheMiss) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, m.fail("get", key, err)
	}
	return storeutil.NonNil(it.Value), true, nil
}

// Set stores value, which must be a []byte, under key.
func (m *Store) Set(ctx context.Context, key string, value any, ttl time.Duration) error {
	if err := m.ready(ctx, "set"); err != nil {
		return err
	}
	exp, err := m.expiration(ttl)
	if err != nil {
		return err
	}
	b, err := storeutil.BytesValue(m.Name(), "set", key, value)
	if err != nil {
		return err
	}
	return m.set(key, b, exp)
}

func (m *Store) set(key string, b []byte, exp int32) error {
	err := m.client.Set(&memcache.Item{Key: m.RefactorKey(key), Value: b, Expiration: exp})
	if err != nil {
		return fmt.Errorf("ring: backend memcache: set %s (%d bytes): %w", storeutil.QuoteKey(key), len(b), err)
	}
	return nil
}

// Delete removes key; an absent key is not an error.
func (m *Store) Delete(ctx context.Context, key string) error {
	if err := m.ready(ctx, "delete"); err != nil {
		return err
	}
	return m.delete(key)
}

func (m *Store) delete(key string) error {
	err := m.client.Delete(m.RefactorKey(key))
	if err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
		return m.fail("delete", key, err)
	}
	return nil
}

// Remove deletes key and reports whether it was there (memcached answers
// NOT_FOUND for an absent key), in one round trip.
func (m *Store) Remove(ctx context.Context, key string) (bool, error) {
	if err := m.ready(ctx, "remove"); err != nil {
		return false, err
	}
	err := m.client.Delete(m.RefactorKey(key))
	if errors.Is(err, memcache.ErrCacheMiss) {
		return false, nil
	}
	if err != nil {
		return false, m.fail("remove", key, err)
	}
	return true, nil
}

// Has reports whether key is present. memcached has no command that tests a
// key without reading it, so Has is a Get that drops the value.
func (m *Store) Has(ctx context.Context, key string) (bool, error) {
	if err := m.ready(ctx, "has"); err != nil {
		return false, err
	}
	_, err := m.client.Get(m.RefactorKey(key))
	if errors.Is(err, memcache.ErrCacheMiss) {
		return false, nil
	}
	if err != nil {
		return false, m.fail("has", key, err)
	}
	return true, nil
}

// Touch gives key a new expiry with memcached's touch; a zero ttl makes it
// persistent. An absent key stays absent.
func (m *Store) Touch(ctx context.Context, key string, ttl time.Duration) error {
	if err := m.ready(ctx, "touch"); err != nil {
		return err
	}
	exp, err := m.expiration(ttl)
	if err != nil {
		return err
	}
	return m.touch(key, exp)
}

func (m *Store) touch(key string, exp int32) error {
	err := m.client.Touch(m.RefactorKey(key), exp)
	if err != nil && !errors.Is(err, memcache.ErrCacheMiss) {
		return m.fail("touch", key, err)
	}
	return nil
}

// SetIfAbsent stores value under key with memcached's add and reports whether
// it was written.
func (m *Store) SetIfAbsent(ctx context.Context, key string, value any, ttl time.Duration) (bool, error) {
	if err := m.ready(ctx, "set if absent"); err != nil {
		return false, err
	}
	exp, err := m.expiration(ttl)
	if err != nil {
		return false, err
	}
	b, err := storeutil.BytesValue(m.Name(), "set if absent", key, value)
	if err != nil {
		return false, err
	}
	err = m.client.Add(&memcache.Item{Key: m.RefactorKey(key), Value: b, Expiration: exp})
	if errors.Is(err, memcache.ErrNotStored) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("ring: backend memcache: set if absent %s (%d bytes): %w", storeutil.QuoteKey(key), len(b), err)
	}
	return true, nil
}

// getMulti reads keys into out (a miss stays nil), each hit a slice of its
// own: on the backend's connections when it has the selector, with
// GetMulti otherwise.
func (m *Store) getMulti(ctx context.Context, op string, keys []string, out [][]byte) error {
	rk := m.refactorAll(keys)
	if m.pipe != nil {
		if err := m.pipe.getMany(ctx, rk, out); err != nil {
			return fmt.Errorf("ring: backend memcache: %s (%d keys): %w", op, len(keys), err)
		}
		return nil
	}
	items, err := m.client.GetMulti(rk)
	if err != nil {
		return fmt.Errorf("ring: backend memcache: %s (%d keys): %w", op, len(keys), err)
	}
	// The items are ours: hand each value out as it is, and copy it only
	// for a key asked for more than once, so the caller owns every slice.
	given := make(map[string]struct{}, len(items))
	for i, k := range rk {
		it, ok := items[k]
		if !ok {
			continue
		}
		if _, dup := given[k]; dup {
			out[i] = append([]byte{}, it.Value...)
			continue
		}
		given[k] = struct{}{}
		out[i] = storeutil.NonNil(it.Value)
	}
	return nil
}

// CancelsBulk reports whether the bulk forms stop by themselves when their
// ctx ends (they do with a selector: WithSelector), so that
// backends.Cancelable calls them directly (see backends.BulkCanceler).
func (m *Store) CancelsBulk() bool { return m.pipe != nil }

// Remote returns true: calls go to memcached servers (see
// backends.RemoteStorage).
func (*Store) Remote() bool { return true }

// Unreachable reports whether err means that memcached could not be
// reached, beyond the network errors backends.Unreachable knows:
// gomemcache's connect timeout and "no servers" (see
// backends.ErrorClassifier).
func (*Store) Unreachable(err error) bool {
	var cte *memcache.ConnectTimeoutError
	return errors.As(err, &cte) || errors.Is(err, memcache.ErrNoServers)
}

// Nodes names the server a key goes to, when the selector is known (see
// WithSelector and backends.NodeLocator); refresh is nil.
func (m *Store) Nodes() (func(ctx context.Context, key string) (string, error), func()) {
	if m.pipe == nil {
		return nil, nil
	}
	ss := m.pipe.ss
	return func(_ context.Context, key string) (string, error) {
		addr, err := ss.PickServer(m.RefactorKey(key))
		if err != nil {
			return "", err
		}
		return addr.String(), nil
	}, nil
}

// GetMany reads keys with one request per server.
func (m *Store) GetMany(ctx context.Context, keys []string) ([]any, []bool, error) {
	bs, err := m.GetManyBytes(ctx, keys)
	if err != nil {
		return nil, nil, err
	}
	values := make([]any, len(keys))
	found := make([]bool, len(keys))
	for i, b := range bs {
		if b != nil {
			values[i], found[i] = b, true
		}
	}
	return values, found, nil
}

// GetManyBytes is GetMany without boxing: a nil element is a miss.
func (m *Store) GetManyBytes(ctx context.Context, keys []string) ([][]byte, error) {
	if err := m.ready(ctx, "get many"); err != nil {
		return nil, err
	}
	out := make([][]byte, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	if err := m.getMulti(ctx, "get many", keys, out); err != nil {
		return nil, err
	}
	return out, nil
}

// SetMany stores the entries: pipelined with the selector (every set sent
// before any answer is read; a value the server refuses does not stop the
// others, and the error counts the refusals and names the first), by a loop
// of Set without it (memcached has no multi-key set), which stops at the
// first error. Every value must be a []byte; a wrong type is reported
// before anything is written.
func (m *Store) SetMany(ctx context.Context, keys []string, values []any, ttl time.Duration) error {
	if err := m.ready(ctx, "set many"); err != nil {
		return err
	}
	exp, err := m.expiration(ttl)
	if err != nil {
		return err
	}
	if len(keys) != len(values) {
		return fmt.Errorf("ring: backend memcache: set many: %d keys but %d values", len(keys), len(values))
	}
	bs := make([][]byte, len(values))
	for i, v := range values {
		if bs[i], err = storeutil.BytesValue(m.Name(), "set many", keys[i], v); err != nil {
			return err
		}
	}
	if m.pipe != nil && len(keys) > 0 {
		return m.pipelined("set many", keys, func(rk []string) error {
			return m.pipe.setMany(ctx, rk, keys, bs, exp)
		})
	}
	for i, k := range keys {
		if err := m.ready(ctx, "set many"); err != nil {
			return err
		}
		if err := m.set(k, bs[i], exp); err != nil {
			return err
		}
	}
	return nil
}

// refactorAll returns keys as memcached stores them.
func (m *Store) refactorAll(keys []string) []string {
	rk := make([]string, len(keys))
	for i, k := range keys {
		rk[i] = m.RefactorKey(k)
	}
	return rk
}

// pipelined runs a bulk write of the pipe on the refactored keys.
func (m *Store) pipelined(op string, keys []string, fn func(rk []string) error) error {
	if err := fn(m.refactorAll(keys)); err != nil {
		return fmt.Errorf("ring: backend memcache: %s (%d keys): %w", op, len(keys), err)
	}
	return nil
}

// DeleteMany removes keys: pipelined with the selector, by a loop of Delete
// (stopping at the first error) without it.
func (m *Store) DeleteMany(ctx context.Context, keys []string) error {
	if m.pipe != nil && len(keys) > 0 {
		if err := m.ready(ctx, "delete many"); err != nil {
			return err
		}
		return m.pipelined("delete many", keys, func(rk []string) error {
			return m.pipe.deleteMany(ctx, rk, keys)
		})
	}
	for _, k := range keys {
		if err := m.ready(ctx, "delete many"); err != nil {
			return err
		}
		if err := m.delete(k); err != nil {
			return err
		}
	}
	return nil
}

// HasMany tests keys as GetMany reads them (memcached has no command that
// tests a key without reading it).
func (m *Store) HasMany(ctx context.Context, keys []string) ([]bool, error) {
	if err := m.ready(ctx, "has many"); err != nil {
		return nil, err
	}
	out := make([]bool, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	values := make([][]byte, len(keys))
	if err := m.getMulti(ctx, "has many", keys, values); err != nil {
		return nil, err
	}
	for i, v := range values {
		out[i] = v != nil
	}
	return out, nil
}

// TouchMany gives every present key a new expiry: pipelined with the
// selector, by a loop of Touch (stopping at the first error) without it.
func (m *Store) TouchMany(ctx context.Context, keys []string, ttl time.Duration) error {
	if err := m.ready(ctx, "touch many"); err != nil {
		return err
	}
	exp, err := m.expiration(ttl)
	if err != nil {
		return err
	}
	if m.pipe != nil && len(keys) > 0 {
		return m.pipelined("touch many", keys, func(rk []string) error {
			return m.pipe.touchMany(ctx, rk, keys, exp)
		})
	}
	for _, k := range keys {
		if err := m.ready(ctx, "touch many"); err != nil {
			return err
		}
		if err := m.touch(k, exp); err != nil {
			return err
		}
	}
	return nil
}
