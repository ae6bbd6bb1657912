package backends

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/hashicorp/golang-lru/v2/simplelru"
)

// DefaultMemorySize is the size of the LRU backend that storeurl.Open makes for memory:// when
// the URL gives none; ring's default LRU has the same size.
const DefaultMemorySize = 1024

// MemoryOption configures an in-process backend (LRU or Dict).
type MemoryOption interface {
	apply(*memoryConfig)
	String() string
}

type memoryConfig struct {
	now func() time.Time
}

// epoch is the origin of the in-process backends' clock readings.
var epoch = time.Now()

// clock returns the reading function: nanoseconds since epoch. The default
// reads only the monotonic clock (time.Since does one clock read, where
// time.Now reads both the wall and the monotonic clock), which halves the
// cost of checking an expiry on every hit.
func (c memoryConfig) clock() func() int64 {
	if c.now == nil {
		return func() int64 { return int64(time.Since(epoch)) }
	}
	now := c.now
	return func() int64 { return int64(now().Sub(epoch)) }
}

type clockOption struct{ now func() time.Time }

func (o clockOption) apply(c *memoryConfig) { c.now = o.now }
func (o clockOption) String() string        { return "WithClock(func)" }

// WithClock makes an in-process backend read the time from now instead of
// time.Now, so that tests can move time forward.
func WithClock(now func() time.Time) MemoryOption { return clockOption{now: now} }

func newMemoryConfig(opts []MemoryOption) memoryConfig {
	var c memoryConfig
	for _, o := range opts {
		if o != nil {
			o.apply(&c)
		}
	}
	return c
}

// entry is what the in-process backends keep per key: the Go value and its
// expiry as a clock reading (0: none). Keeping it a small value type (no
// pointer to a separate record) keeps the memory per entry close to a plain
// golang-lru cache of the same values.
type entry struct {
	value     any
	expiresAt int64
}

// expired reports whether e has expired at now (a clock reading). It is
// only called with a clock reading when e has an expiry, so entries without
// expiry never pay for reading the clock.
func (e entry) expired(now int64) bool { return e.expiresAt != 0 && now >= e.expiresAt }

func expiresAt(now func() int64, ttl time.Duration) int64 {
	if ttl <= 0 {
		return 0
	}
	return now() + int64(ttl)
}

// LRU is an in-process, size-bounded, least-recently-used backend built on
// golang-lru/v2's simplelru, with a per-entry expiry. It stores Go values
// without encoding them, so a value read back is the value stored (not a
// copy). It implements every capability natively. LRU is safe for
// concurrent use.
type LRU struct {
	mu   sync.Mutex
	lru  *simplelru.LRU[string, entry]
	now  func() int64
	size int
	// evict reports the entries dropped (evict.go).
	evict evictHooks
}

// NewLRU returns an LRU backend holding at most size entries; size must be
// positive.
func NewLRU(size int, opts ...MemoryOption) (*LRU, error) {
	if size <= 0 {
		return nil, fmt.Errorf("ring: backend lru: size must be positive, got %d", size)
	}
	l, err := simplelru.NewLRU[string, entry](size, nil)
	if err != nil {
		return nil, fmt.Errorf("ring: backend lru: %w", err)
	}
	c := newMemoryConfig(opts)
	return &LRU{lru: l, now: c.clock(), size: size}, nil
}

// Name returns "lru".
func (*LRU) Name() string { return "lru" }

// Bytes returns false: LRU stores Go values.
func (*LRU) Bytes() bool { return false }

// Raw returns the *simplelru.LRU underneath. It is not safe for concurrent
// use: hold no reference to it while the backend is in use by other
// goroutines.
func (l *LRU) Raw() any { return l.lru }

// Size returns the most entries the LRU holds.
func (l *LRU) Size() int { return l.size }

// Len returns the number of entries held, expired ones included until they
// are read or evicted.
func (l *LRU) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.lru.Len()
}

// Get returns the value under key; an expired entry is a miss and is removed.
func (l *LRU) Get(_ context.Context, key string) (any, bool, error) {
	l.mu.Lock()
	e, ok := l.lru.Get(key)
	if ok && e.expiresAt != 0 && e.expired(l.now()) {
		l.lru.Remove(key)
		l.mu.Unlock()
		l.evict.report(1, true)
		return nil, false, nil
	}
	l.mu.Unlock()
	if !ok {
		return nil, false, nil
	}
	return e.value, true, nil
}

// Set stores value under key with the given expiry (0: none).
func (l *LRU) Set(_ context.Context, key string, value any, ttl time.Duration) error {
	if err := CheckTTL(l, ttl); err != nil {
		return err
	}
	exp := expiresAt(l.now, ttl)
	l.mu.Lock()
	evicted := l.lru.Add(key, entry{value: value, expiresAt: exp})
	l.mu.Unlock()
	if evicted {
		l.evict.report(1, false)
	}
	return nil
}

// Delete removes key.
func (l *LRU) Delete(_ context.Context, key string) error {
	l.mu.Lock()
	l.lru.Remove(key)
	l.mu.Unlock()
	return nil
}

// Remove deletes key and reports whether a live entry was there.
func (l *LRU) Remove(_ context.Context, key string) (bool, error) {
	l.mu.Lock()
	_, ok := l.peekLocked(key)
	l.lru.Remove(key)
	l.mu.Unlock()
	return ok, nil
}

// peekLocked returns the live entry under key without changing its recency.
func (l *LRU) peekLocked(key string) (entry, bool) {
	e, ok := l.lru.Peek(key)
	if ok && e.expiresAt != 0 && e.expired(l.now()) {
		l.lru.Remove(key)
		return entry{}, false
	}
	return e, ok
}

// Has reports whether a live entry is under key, without changing recency.
func (l *LRU) Has(_ context.Context, key string) (bool, error) {
	l.mu.Lock()
	_, ok := l.peekLocked(key)
	l.mu.Unlock()
	return ok, nil
}

// Touch gives the entry under key a new expiry (0: none) and marks it
// recently used. An absent key is left absent.
func (l *LRU) Touch(_ context.Context, key string, ttl time.Duration) error {
	if err := CheckTTL(l, ttl); err != nil {
		return err
	}
	l.mu.Lock()
	if e, ok := l.peekLocked(key); ok {
		e.expiresAt = expiresAt(l.now, ttl)
		l.lru.Add(key, e)
	}
	l.mu.Unlock()
	return nil
}

// SetIfAbsent stores value only when no live entry is under key.
func (l *LRU) SetIfAbsent(_ context.Context, key string, value any, ttl time.Duration) (bool, error) {
	if err := CheckTTL(l, ttl); err != nil {
		return false, err
	}
	l.mu.Lock()
	if _, ok := l.peekLocked(key); ok {
		l.mu.Unlock()
		return false, nil
	}
	evicted := l.lru.Add(key, entry{value: value, expiresAt: expiresAt(l.now, ttl)})
	l.mu.Unlock()
	if evicted {
		l.evict.report(1, false)
	}
	return true, nil
}

// GetMany reads keys under one lock and one clock reading.
func (l *LRU) GetMany(_ context.Context, keys []string) ([]any, []bool, error) {
	values := make([]any, len(keys))
	found := make([]bool, len(keys))
	expired := 0
	l.mu.Lock()
	now := l.now()
	for i, k := range keys {
		e, ok := l.lru.Get(k)
		if ok && e.expired(now) {
			l.lru.Remove(k)
			ok = false
			expired++
		}
		if ok {
			values[i], found[i] = e.value, true
		}
	}
	l.mu.Unlock()
	l.evict.report(expired, true)
	return values, found, nil
}

// SetMany stores entries under one lock.
func (l *LRU) SetMany(_ context.Context, keys []string, values []any, ttl time.Duration) error {
	if err := CheckTTL(l, ttl); err != nil {
		return err
	}
	if len(keys) != len(values) {
		return fmt.Errorf("ring: backend lru: set many: %d keys but %d values", len(keys), len(values))
	}
	exp := expiresAt(l.now, ttl)
	evicted := 0
	l.mu.Lock()
	for i, k := range keys {
		if l.lru.Add(k, entry{value: values[i], expiresAt: exp}) {
			evicted++
		}
	}
	l.mu.Unlock()
	l.evict.report(evicted, false)
	return nil
}

// DeleteMany removes keys under one lock.
func (l *LRU) DeleteMany(_ context.Context, keys []string) error {
	l.mu.Lock()
	for _, k := range keys {
		l.lru.Remove(k)
	}
	l.mu.Unlock()
	return nil
}

// HasMany tests keys under one lock.
func (l *LRU) HasMany(_ context.Context, keys []string) ([]bool, error) {
	out := make([]bool, len(keys))
	l.mu.Lock()
	for i, k := range keys {
		_, out[i] = l.peekLocked(k)
	}
	l.mu.Unlock()
	return out, nil
}

// TouchMany gives every present key a new expiry under one lock.
func (l *LRU) TouchMany(_ context.Context, keys []string, ttl time.Duration) error {
	if err := CheckTTL(l, ttl); err != nil {
		return err
	}
	exp := expiresAt(l.now, ttl)
	l.mu.Lock()
	for _, k := range keys {
		if e, ok := l.peekLocked(k); ok {
			e.expiresAt = exp
			l.lru.Add(k, e)
		}
	}
	l.mu.Unlock()
	return nil
}

// Clear removes every key that starts with prefix (and passes match, when
// it is not nil).
func (l *LRU) Clear(_ context.Context, prefix string, match func(string) bool) error {
	l.mu.Lock()
	for _, k := range l.lru.Keys() {
		if strings.HasPrefix(k, prefix) && matches(match, k) {
			l.lru.Remove(k)
		}
	}
	l.mu.Unlock()
	return nil
}

// Dict is an unbounded in-process backend: a map with a per-entry expiry.
// Expired entries are removed when they are read, and a sweep that runs each
// time the map has doubled since the last one removes the ones never read
// again, so memory stays bounded by the live entries. Dict stores Go values
// without encoding them. It implements every capability natively and is safe
// for concurrent use.
type Dict struct {
	mu        sync.RWMutex
	m         map[string]entry
	now       func() int64
	nextSweep int
	// evict reports the expired entries removed (evict.go).
	evict evictHooks
}

// NewDict returns an empty Dict backend.
func NewDict(opts ...MemoryOption) *Dict {
	c := newMemoryConfig(opts)
	return &Dict{m: make(map[string]entry), now: c.clock(), nextSweep: 1024}
}

// Name returns "dict".
func (*Dict) Name() string { return "dict" }

// Bytes returns false: Dict stores Go values.
func (*Dict) Bytes() bool { return false }

// Raw returns the map underneath. It is guarded by the backend's lock: do not
// touch it while the backend is in use by other goroutines.
func (d *Dict) Raw() any { return d.m }

// Len returns the number of entries held, expired ones included until they
// are read or swept.
func (d *Dict) Len() int {
	d.mu.RLock()
	defer d.mu.RUnlock()
	return len(d.m)
}

func (d *Dict) live(key string, now int64) (entry, bool) {
	e, ok := d.m[key]
	if ok && e.expired(now) {
		return entry{}, false
	}
	return e, ok
}

// lookup returns the entry under key and whether it is live; stale reports
// an expired entry to remove. It reads the clock only when the entry has an
// expiry.
func (d *Dict) lookup(key string) (entry, bool, bool) {
	e, ok := d.m[key]
	if !ok {
		return entry{}, false, false
	}
	if e.expiresAt != 0 && e.expired(d.now()) {
		return entry{}, false, true
	}
	return e, true, false
}

// Get returns the value under key; an expired entry is a miss and is removed.
func (d *Dict) Get(_ context.Context, key string) (any, bool, error) {
	d.mu.RLock()
	e, ok, stale := d.lookup(key)
	d.mu.RUnlock()
	if stale {
		d.removeIfExpired(key)
	}
	return e.value, ok, nil
}

func (d *Dict) removeIfExpired(key string) {
	removed := 0
	d.mu.Lock()
	if e, ok := d.m[key]; ok && e.expired(d.now()) {
		delete(d.m, key)
		removed = 1
	}
	d.mu.Unlock()
	d.evict.report(removed, true)
}

// setLocked stores e under key and returns how many expired entries a
// sweep removed, to report once the lock is released.
func (d *Dict) setLocked(key string, e entry) (swept int) {
	d.m[key] = e
	if len(d.m) >= d.nextSweep {
		now := d.now()
		for k, v := range d.m {
			if v.expired(now) {
				delete(d.m, k)
				swept++
			}
		}
		d.nextSweep = max(2*len(d.m), 1024)
	}
	return swept
}

// Set stores value under key with the given expiry (0: none).
func (d *Dict) Set(_ context.Context, key string, value any, ttl time.Duration) error {
	if err := CheckTTL(d, ttl); err != nil {
		return err
	}
	e := entry{value: value, expiresAt: expiresAt(d.now, ttl)}
	d.mu.Lock()
	swept := d.setLocked(key, e)
	d.mu.Unlock()
	d.evict.report(swept, true)
	return nil
}

// Delete removes key.
func (d *Dict) Delete(_ context.Context, key string) error {
	d.mu.Lock()
	delete(d.m, key)
	d.mu.Unlock()
	return nil
}

// Remove deletes key and reports whether a live entry was there.
func (d *Dict) Remove(_ context.Context, key string) (bool, error) {
	d.mu.Lock()
	_, ok := d.live(key, d.now())
	delete(d.m, key)
	d.mu.Unlock()
	return ok, nil
}

// Has reports whether a live entry is under key.
func (d *Dict) Has(_ context.Context, key string) (bool, error) {
	d.mu.RLock()
	_, ok, _ := d.lookup(key)
	d.mu.RUnlock()
	return ok, nil
}

// Touch gives the entry under key a new expiry (0: none).
func (d *Dict) Touch(_ context.Context, key string, ttl time.Duration) error {
	if err := CheckTTL(d, ttl); err != nil {
		return err
	}
	d.mu.Lock()
	if e, ok := d.live(key, d.now()); ok {
		e.expiresAt = expiresAt(d.now, ttl)
		d.m[key] = e
	}
	d.mu.Unlock()
	return nil
}

// SetIfAbsent stores value only when no live entry is under key.
func (d *Dict) SetIfAbsent(_ context.Context, key string, value any, ttl time.Duration) (bool, error) {
	if err := CheckTTL(d, ttl); err != nil {
		return false, err
	}
	d.mu.Lock()
	if _, ok := d.live(key, d.now()); ok {
		d.mu.Unlock()
		return false, nil
	}
	swept := d.setLocked(key, entry{value: value, expiresAt: expiresAt(d.now, ttl)})
	d.mu.Unlock()
	d.evict.report(swept, true)
	return true, nil
}

// GetMany reads keys under one lock and one clock reading.
func (d *Dict) GetMany(_ context.Context, keys []string) ([]any, []bool, error) {
	values := make([]any, len(keys))
	found := make([]bool, len(keys))
	d.mu.RLock()
	now := d.now()
	for i, k := range keys {
		if e, ok := d.live(k, now); ok {
			values[i], found[i] = e.value, true
		}
	}
	d.mu.RUnlock()
	return values, found, nil
}

// SetMany stores entries under one lock.
func (d *Dict) SetMany(_ context.Context, keys []string, values []any, ttl time.Duration) error {
	if err := CheckTTL(d, ttl); err != nil {
		return err
	}
	if len(keys) != len(values) {
		return fmt.Errorf("ring: backend dict: set many: %d keys but %d values", len(keys), len(values))
	}
	exp := expiresAt(d.now, ttl)
	swept := 0
	d.mu.Lock()
	for i, k := range keys {
		swept += d.setLocked(k, entry{value: values[i], expiresAt: exp})
	}
	d.mu.Unlock()
	d.evict.report(swept, true)
	return nil
}

// DeleteMany removes keys under one lock.
func (d *Dict) DeleteMany(_ context.Context, keys []string) error {
	d.mu.Lock()
	for _, k := range keys {
		delete(d.m, k)
	}
	d.mu.Unlock()
	return nil
}

// HasMany tests keys under one lock.
func (d *Dict) HasMany(_ context.Context, keys []string) ([]bool, error) {
	out := make([]bool, len(keys))
	d.mu.RLock()
	now := d.now()
	for i, k := range keys {
		_, out[i] = d.live(k, now)
	}
	d.mu.RUnlock()
	return out, nil
}

// TouchMany gives every present key a new expiry under one lock.
func (d *Dict) TouchMany(_ context.Context, keys []string, ttl time.Duration) error {
	if err := CheckTTL(d, ttl); err != nil {
		return err
	}
	d.mu.Lock()
	now := d.now()
	exp := int64(0)
	if ttl > 0 {
		exp = now + int64(ttl)
	}
	for _, k := range keys {
		if e, ok := d.live(k, now); ok {
			e.expiresAt = exp
			d.m[k] = e
		}
	}
	d.mu.Unlock()
	return nil
}

// Clear removes every key that starts with prefix (and passes match, when
// it is not nil).
func (d *Dict) Clear(_ context.Context, prefix string, match func(string) bool) error {
	d.mu.Lock()
	for k := range d.m {
		if strings.HasPrefix(k, prefix) && matches(match, k) {
			delete(d.m, k)
		}
	}
	d.mu.Unlock()
	return nil
}

// Dummy stores nothing: every read is a miss and every write succeeds. Use it
// to turn caching off by configuration.
type Dummy struct{}

// NewDummy returns a Dummy backend.
func NewDummy() Dummy { return Dummy{} }

// Name returns "dummy".
func (Dummy) Name() string { return "dummy" }

// Bytes returns false.
func (Dummy) Bytes() bool { return false }

// Raw returns nil: there is no client.
func (Dummy) Raw() any { return nil }

// Get always misses.
func (Dummy) Get(context.Context, string) (any, bool, error) { return nil, false, nil }

// Set forgets value. A negative ttl is an error, as on every backend.
func (d Dummy) Set(_ context.Context, _ string, _ any, ttl time.Duration) error {
	return CheckTTL(d, ttl)
}

// Delete does nothing.
func (Dummy) Delete(context.Context, string) error { return nil }

// Has reports false.
func (Dummy) Has(context.Context, string) (bool, error) { return false, nil }

// Touch does nothing. A negative ttl is an error, as on every backend.
func (d Dummy) Touch(_ context.Context, _ string, ttl time.Duration) error {
	return CheckTTL(d, ttl)
}

// SetIfAbsent reports that the value was written (and forgets it), as a
// cache that is always empty would. A negative ttl is an error.
func (d Dummy) SetIfAbsent(_ context.Context, _ string, _ any, ttl time.Duration) (bool, error) {
	if err := CheckTTL(d, ttl); err != nil {
		return false, err
	}
	return true, nil
}

// Clear does nothing.
func (Dummy) Clear(context.Context, string, func(string) bool) error { return nil }
