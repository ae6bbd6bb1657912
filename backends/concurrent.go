package backends

import (
	"context"
	"fmt"
	"hash/maphash"
	"math/bits"
	"reflect"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Concurrent is an in-process, size-bounded backend built for many
// goroutines: a read takes no lock and writes nothing shared (a hit on a
// hot key is a few loads; an expiry is checked against the coarse clock
// of ClockBefore, exact within 50ms of the deadline, unless WithClock
// gives a clock), writes take the lock of one shard of the keys.
// When a shard is full, a write evicts with the CLOCK policy (second
// chance), an approximation of least-recently-used: an entry read since
// the clock hand last passed it is kept, the first one not read is
// evicted, and the expired entries the hand meets go before any live one. Use LRU where
// strict least-recently-used order matters.
//
// Values of type V are kept as they are, without boxing them in an
// interface: one allocation per entry (the entry; the key string is the
// caller's), and [Concurrent.Load] reads a V with no allocation. Through
// the Storage interface a value must be a V (Set of another type is an
// error); Concurrent[any] takes any value. Like the other in-process
// backends it stores Go values without encoding them and implements every
// capability natively. Concurrent is safe for concurrent use.
type Concurrent[V any] struct {
	// Every field is written at construction only (hooks when a ring
	// registers): a hit reads them, and no write of another goroutine
	// takes their cache line away from it. What writes change (the
	// counts, the clock hand) lives in the shards, under their locks.
	shards []cshard[V]
	shift  uint // a hash's top bits pick the shard
	seed   maphash.Seed
	now    func() int64
	// coarse: now is the default clock (ClockNow), and a read judges
	// expiries by ClockBefore, the coarse clock.
	coarse bool
	size   int
	// onEvict, if set, is told of every entry the policy evicts (not of
	// deletions or expired entries removed on read), outside the lock.
	onEvict func(key string)
	// hooks are the EvictionReporter's functions (ring.Observe, WithStats).
	hooks evictHooks
}

// cshard is one lock's worth of keys: a chained hash table whose buckets
// readers walk without the lock (every link is an atomic pointer and an
// entry's key and value never change once it is published), and the CLOCK
// hand over its buckets.
//
// The fields a read loads (the table, which changes only when it grows)
// and those the writes under the lock change are a cache line apart, and
// so are the latter from the next shard's table, wherever the shards'
// array starts (a pointerful array may start off a line's boundary): a
// write of a shard never evicts the line the reads of its keys, or of the
// next shard's, load from the other cores' caches
// (TestConcurrentShardLayout).
type cshard[V any] struct {
	table atomic.Pointer[ctable[V]]
	_     [cacheLine]byte
	mu    sync.Mutex
	n     int // entries held
	limit int // most entries held
	hand  int // the next bucket the clock hand visits
	// evictions counts the entries the policy evicted; written under mu,
	// read by Evictions without it.
	evictions atomic.Uint64
	_         [cacheLine]byte
}

// cacheLine is the size the shards are laid out for: 64 bytes on amd64
// and arm64 alike (a larger line only shares more).
const cacheLine = 64

type ctable[V any] struct {
	buckets []atomic.Pointer[cnode[V]]
	mask    uint64
}

// cnode is one entry. key and value are written before the node is
// published and never after; expiresAt (Touch) and ref are atomic.
type cnode[V any] struct {
	key       string
	value     V
	expiresAt atomic.Int64 // clock reading; 0: none
	next      atomic.Pointer[cnode[V]]
	ref       atomic.Uint32 // read since the clock hand last passed
}

// minBuckets is a shard's first table size; tables double as entries
// arrive, up to one bucket per entry the shard may hold.
const minBuckets = 16

// NewConcurrent returns a Concurrent backend holding at most size entries;
// size must be positive. The keys are spread over shards (a few per CPU, and
// at least 32 entries per shard), each bounded to its share of size.
func NewConcurrent[V any](size int, opts ...MemoryOption) (*Concurrent[V], error) {
	if size <= 0 {
		return nil, fmt.Errorf("ring: backend concurrent: size must be positive, got %d", size)
	}
	c := newMemoryConfig(opts)
	var onEvict func(string)
	for _, o := range opts {
		if e, ok := o.(evictOption); ok {
			onEvict = e.fn
		}
	}
	n := 1 << bits.Len(uint(4*runtime.GOMAXPROCS(0)-1)) // a power of two >= 4 per CPU
	for n > 1 && size/n < 32 {
		n /= 2
	}
	s := &Concurrent[V]{
		shards:  make([]cshard[V], n),
		shift:   uint(64 - bits.TrailingZeros(uint(n))),
		seed:    maphash.MakeSeed(),
		now:     c.clock(),
		coarse:  c.now == nil,
		size:    size,
		onEvict: onEvict,
	}
	for i := range s.shards {
		sh := &s.shards[i]
		sh.limit = size / n
		if i < size%n {
			sh.limit++
		}
		sh.table.Store(newCTable[V](min(minBuckets, ceilPow2(sh.limit))))
	}
	return s, nil
}

func ceilPow2(n int) int {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(n-1))
}

func newCTable[V any](n int) *ctable[V] {
	return &ctable[V]{buckets: make([]atomic.Pointer[cnode[V]], n), mask: uint64(n - 1)}
}

// Name returns "concurrent".
func (*Concurrent[V]) Name() string { return "concurrent" }

// Bytes returns false: Concurrent stores Go values.
func (*Concurrent[V]) Bytes() bool { return false }

// Raw returns the backend itself: it has no client underneath.
func (s *Concurrent[V]) Raw() any { return s }

// Size returns the most entries the backend holds.
func (s *Concurrent[V]) Size() int { return s.size }

// Evictions returns how many entries the policy has evicted to make room
// (deletions and expired entries do not count).
func (s *Concurrent[V]) Evictions() uint64 {
	var n uint64
	for i := range s.shards {
		n += s.shards[i].evictions.Load()
	}
	return n
}

// Len returns the number of entries held, expired ones included until they
// are read or evicted.
func (s *Concurrent[V]) Len() int {
	n := 0
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		n += sh.n
		sh.mu.Unlock()
	}
	return n
}

func (s *Concurrent[V]) shard(key string) (*cshard[V], uint64) {
	h := maphash.String(s.seed, key)
	return &s.shards[h>>s.shift&uint64(len(s.shards)-1)], h
}

// find returns the node under key in sh, without the lock.
func (sh *cshard[V]) find(key string, h uint64) *cnode[V] {
	t := sh.table.Load()
	for n := t.buckets[h&t.mask].Load(); n != nil; n = n.next.Load() {
		if n.key == key {
			return n
		}
	}
	return nil
}

// lookup returns the live node under key and marks it read. It judges
// an expiry by the coarse clock (ClockBefore: no system clock read unless
// the deadline is near), or by one reading of the clock WithClock gave;
// an entry without expiry reads no clock.
func (s *Concurrent[V]) lookup(key string) *cnode[V] {
	sh, h := s.shard(key)
	n := sh.find(key, h)
	if n == nil {
		return nil
	}
	if exp := n.expiresAt.Load(); exp != 0 && !s.before(exp) {
		s.removeNode(sh, h, n)
		return nil
	}
	if n.ref.Load() == 0 { // a hot key's entry is written once, not on every hit
		n.ref.Store(1)
	}
	return n
}

// before reports whether the clock has not reached exp.
func (s *Concurrent[V]) before(exp int64) bool {
	if s.coarse {
		return ClockBefore(exp)
	}
	return s.now() < exp
}

// Load returns the value under key: the typed read, which allocates nothing.
// An expired entry is a miss and is removed. Load keeps nothing of key: it
// may be a view of a buffer the caller reuses once Load has returned.
func (s *Concurrent[V]) Load(key string) (V, bool) {
	// lookup, written out: the hit of a typed ring, one call deep.
	h := maphash.String(s.seed, key)
	sh := &s.shards[h>>s.shift&uint64(len(s.shards)-1)]
	t := sh.table.Load()
	for n := t.buckets[h&t.mask].Load(); n != nil; n = n.next.Load() {
		if n.key != key {
			continue
		}
		if exp := n.expiresAt.Load(); exp != 0 && !s.before(exp) {
			s.removeNode(sh, h, n)
			break
		}
		if n.ref.Load() == 0 { // a hot key's entry is written once, not on every hit
			n.ref.Store(1)
		}
		return n.value, true
	}
	var zero V
	return zero, false
}

// LoadWithTTL returns the value under key and the time it has left (0: no
// expiry), from one exact clock reading.
func (s *Concurrent[V]) LoadWithTTL(key string) (V, time.Duration, bool) {
	sh, h := s.shard(key)
	n := sh.find(key, h)
	if n == nil {
		var zero V
		return zero, 0, false
	}
	var ttl time.Duration
	if exp := n.expiresAt.Load(); exp != 0 {
		now := s.now()
		if now >= exp {
			s.removeNode(sh, h, n)
			var zero V
			return zero, 0, false
		}
		ttl = time.Duration(exp - now)
	}
	if n.ref.Load() == 0 {
		n.ref.Store(1)
	}
	return n.value, ttl, true
}

// Store stores value under key with the given expiry (0: none): the typed
// write. A negative ttl is an error.
func (s *Concurrent[V]) Store(key string, value V, ttl time.Duration) error {
	if err := CheckTTL(s, ttl); err != nil {
		return err
	}
	s.store(key, value, expiresAt(s.now, ttl), false)
	return nil
}

// store writes key under its shard's lock; with ifAbsent it leaves a live
// entry in place and reports false.
func (s *Concurrent[V]) store(key string, value V, exp int64, ifAbsent bool) bool {
	sh, h := s.shard(key)
	n := &cnode[V]{key: key, value: value}
	n.expiresAt.Store(exp)
	var (
		evicted          []string
		nEvicted, nExpir int
	)
	sh.mu.Lock()
	t := sh.table.Load()
	b := &t.buckets[h&t.mask]
	var prev *cnode[V]
	for old := b.Load(); old != nil; prev, old = old, old.next.Load() {
		if old.key != key {
			continue
		}
		if ifAbsent {
			if e := old.expiresAt.Load(); e == 0 || s.now() < e {
				sh.mu.Unlock()
				return false
			}
		}
		n.next.Store(old.next.Load())
		n.ref.Store(old.ref.Load())
		if prev == nil {
			b.Store(n)
		} else {
			prev.next.Store(n)
		}
		sh.mu.Unlock()
		return true
	}
	if sh.n >= sh.limit {
		evicted, nEvicted, nExpir = s.evictLocked(sh)
	}
	if sh.n >= len(t.buckets) && len(t.buckets) < ceilPow2(sh.limit) {
		t = s.growLocked(sh, t)
		b = &t.buckets[h&t.mask]
	}
	n.next.Store(b.Load())
	b.Store(n)
	sh.n++
	sh.mu.Unlock()
	if s.onEvict != nil {
		for _, k := range evicted {
			s.onEvict(k)
		}
	}
	s.hooks.report(nEvicted, false)
	s.hooks.report(nExpir, true)
	return true
}

// OnEvict adds fn to the functions told of the entries the backend drops
// on its own: evicted to make room, or expired entries its sweep removed
// (backends.EvictionReporter).
func (s *Concurrent[V]) OnEvict(fn func(n int, expired bool)) { s.hooks.add(fn) }

// growLocked doubles sh's table. Readers may still walk the old one, so
// the old nodes are left as they are and the new table gets copies.
func (s *Concurrent[V]) growLocked(sh *cshard[V], old *ctable[V]) *ctable[V] {
	t := newCTable[V](2 * len(old.buckets))
	for i := range old.buckets {
		for o := old.buckets[i].Load(); o != nil; o = o.next.Load() {
			n := &cnode[V]{key: o.key, value: o.value}
			n.expiresAt.Store(o.expiresAt.Load())
			n.ref.Store(o.ref.Load())
			b := &t.buckets[maphash.String(s.seed, o.key)&t.mask]
			n.next.Store(b.Load())
			b.Store(n)
		}
	}
	sh.table.Store(t)
	return t
}

// evictLocked makes room in sh for one entry: the clock hand sweeps the
// buckets; in each it removes the expired entries, clears the mark of the
// entries read since its last pass, and, unless the expired ones made
// room, evicts the first entry that was not read. It returns the keys it
// evicted (not the expired ones) when the backend has an eviction
// callback, and how many entries it evicted and how many expired ones it
// removed.
func (s *Concurrent[V]) evictLocked(sh *cshard[V]) (keys []string, evicted, expired int) {
	t := sh.table.Load()
	var clock sweepClock
	// Two passes over every bucket find an entry: the first clears every mark.
	for range 2*len(t.buckets) + 1 {
		b := &t.buckets[sh.hand]
		sh.hand = (sh.hand + 1) & int(t.mask)
		var prev, victim, victimPrev *cnode[V]
		for n := b.Load(); n != nil; n = n.next.Load() {
			if exp := n.expiresAt.Load(); exp != 0 && s.passed(exp, &clock) {
				unlink(b, prev, n)
				sh.n--
				expired++
				continue
			}
			if victim == nil {
				if n.ref.Load() == 0 {
					victim, victimPrev = n, prev
				} else {
					n.ref.Store(0)
				}
			}
			prev = n
		}
		if sh.n < sh.limit {
			return nil, 0, expired // expired entries made room
		}
		if victim != nil {
			// victimPrev is live (not unlinked): only expired entries were.
			unlink(b, victimPrev, victim)
			sh.n--
			sh.evictions.Add(1)
			if s.onEvict != nil {
				return []string{victim.key}, 1, expired
			}
			return nil, 1, expired
		}
	}
	return nil, 0, expired
}

// sweepClock is the one reading of a WithClock clock that a sweep judges
// its entries by, taken when the first entry with an expiry needs it.
type sweepClock struct {
	now  int64
	read bool
}

// passed reports whether the expiry exp (not 0) has passed. With the
// default clock it asks the coarse clock, as reads do (ClockBefore: no
// clock reading unless exp is near); with a WithClock clock it reads that
// clock once per sweep, into c.
func (s *Concurrent[V]) passed(exp int64, c *sweepClock) bool {
	if s.coarse {
		return !ClockBefore(exp)
	}
	if !c.read {
		c.now, c.read = s.now(), true
	}
	return c.now >= exp
}

// unlink removes n, which follows prev (nil: n heads the bucket) in
// bucket b. n keeps its link, so that a reader standing on it walks on.
func unlink[V any](b *atomic.Pointer[cnode[V]], prev, n *cnode[V]) {
	if prev == nil {
		b.Store(n.next.Load())
	} else {
		prev.next.Store(n.next.Load())
	}
}

// remove deletes key and reports whether a live entry was there.
func (s *Concurrent[V]) remove(key string) bool {
	sh, h := s.shard(key)
	n := s.unlinkWhere(sh, h, func(n *cnode[V]) bool { return n.key == key })
	if n == nil {
		return false
	}
	exp := n.expiresAt.Load()
	return exp == 0 || s.now() < exp
}

// removeNode deletes n, found under key without the lock, if it is still
// there.
func (s *Concurrent[V]) removeNode(sh *cshard[V], h uint64, target *cnode[V]) {
	s.unlinkWhere(sh, h, func(n *cnode[V]) bool { return n == target })
}

// unlinkWhere deletes, under sh's lock, the first node of hash h's bucket
// that match accepts, and returns it (nil: none).
func (s *Concurrent[V]) unlinkWhere(sh *cshard[V], h uint64, match func(*cnode[V]) bool) *cnode[V] {
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t := sh.table.Load()
	b := &t.buckets[h&t.mask]
	var prev *cnode[V]
	for n := b.Load(); n != nil; prev, n = n, n.next.Load() {
		if match(n) {
			unlink(b, prev, n)
			sh.n--
			return n
		}
	}
	return nil
}

// value converts what the Storage interface was given into a V.
func (s *Concurrent[V]) value(v any) (V, error) {
	if x, ok := v.(V); ok {
		return x, nil
	}
	var zero V
	if v == nil {
		// A nil interface is the zero V when V is an interface type.
		if t := reflect.TypeFor[V](); t.Kind() == reflect.Interface {
			return zero, nil
		}
	}
	return zero, fmt.Errorf("ring: backend concurrent: value is %T, this store holds %v", v, reflect.TypeFor[V]())
}

// Get returns the value under key; an expired entry is a miss and is removed.
func (s *Concurrent[V]) Get(_ context.Context, key string) (any, bool, error) {
	if n := s.lookup(key); n != nil {
		return n.value, true, nil
	}
	return nil, false, nil
}

// Set stores value, which must be a V, under key with the given expiry (0:
// none).
func (s *Concurrent[V]) Set(_ context.Context, key string, value any, ttl time.Duration) error {
	if err := CheckTTL(s, ttl); err != nil {
		return err
	}
	v, err := s.value(value)
	if err != nil {
		return err
	}
	s.store(key, v, expiresAt(s.now, ttl), false)
	return nil
}

// Delete removes key.
func (s *Concurrent[V]) Delete(_ context.Context, key string) error {
	s.remove(key)
	return nil
}

// Remove deletes key and reports whether a live entry was there.
func (s *Concurrent[V]) Remove(_ context.Context, key string) (bool, error) {
	return s.remove(key), nil
}

// Has reports whether a live entry is under key; it does not mark the
// entry read.
func (s *Concurrent[V]) Has(_ context.Context, key string) (bool, error) {
	sh, h := s.shard(key)
	n := sh.find(key, h)
	if n == nil {
		return false, nil
	}
	exp := n.expiresAt.Load()
	return exp == 0 || s.now() < exp, nil
}

// Touch gives the entry under key a new expiry (0: none) and marks it
// read. An absent key is left absent.
func (s *Concurrent[V]) Touch(_ context.Context, key string, ttl time.Duration) error {
	if err := CheckTTL(s, ttl); err != nil {
		return err
	}
	s.touch(key, expiresAt(s.now, ttl))
	return nil
}

func (s *Concurrent[V]) touch(key string, exp int64) {
	sh, h := s.shard(key)
	sh.mu.Lock()
	if n := sh.find(key, h); n != nil {
		if e := n.expiresAt.Load(); e == 0 || s.now() < e {
			n.expiresAt.Store(exp)
			n.ref.Store(1)
		}
	}
	sh.mu.Unlock()
}

// SetIfAbsent stores value only when no live entry is under key.
func (s *Concurrent[V]) SetIfAbsent(_ context.Context, key string, value any, ttl time.Duration) (bool, error) {
	if err := CheckTTL(s, ttl); err != nil {
		return false, err
	}
	v, err := s.value(value)
	if err != nil {
		return false, err
	}
	return s.store(key, v, expiresAt(s.now, ttl), true), nil
}

// GetMany reads keys.
func (s *Concurrent[V]) GetMany(_ context.Context, keys []string) ([]any, []bool, error) {
	values := make([]any, len(keys))
	found := make([]bool, len(keys))
	for i, k := range keys {
		if n := s.lookup(k); n != nil {
			values[i], found[i] = n.value, true
		}
	}
	return values, found, nil
}

// GetWithTTL returns the value under key and the time it has left, to the
// nanosecond (0: no expiry), from one clock reading; an expired entry is a
// miss and is removed.
func (s *Concurrent[V]) GetWithTTL(_ context.Context, key string) (any, time.Duration, bool, error) {
	v, ttl, ok := s.LoadWithTTL(key)
	if !ok {
		return nil, 0, false, nil
	}
	return v, ttl, true, nil
}

// GetManyWithTTL reads keys and the time each has left.
func (s *Concurrent[V]) GetManyWithTTL(_ context.Context, keys []string) ([]any, []time.Duration, []bool, error) {
	values := make([]any, len(keys))
	ttls := make([]time.Duration, len(keys))
	found := make([]bool, len(keys))
	for i, k := range keys {
		if v, ttl, ok := s.LoadWithTTL(k); ok {
			values[i], ttls[i], found[i] = v, ttl, true
		}
	}
	return values, ttls, found, nil
}

// SetMany stores entries, every value a V, all with the expiry ttl.
func (s *Concurrent[V]) SetMany(_ context.Context, keys []string, values []any, ttl time.Duration) error {
	if err := CheckTTL(s, ttl); err != nil {
		return err
	}
	if len(keys) != len(values) {
		return fmt.Errorf("ring: backend concurrent: set many: %d keys but %d values", len(keys), len(values))
	}
	vs := make([]V, len(values))
	for i, v := range values {
		x, err := s.value(v)
		if err != nil {
			return fmt.Errorf("ring: backend concurrent: set many: key %q: %w", keys[i], err)
		}
		vs[i] = x
	}
	exp := expiresAt(s.now, ttl)
	for i, k := range keys {
		s.store(k, vs[i], exp, false)
	}
	return nil
}

// DeleteMany removes keys.
func (s *Concurrent[V]) DeleteMany(_ context.Context, keys []string) error {
	for _, k := range keys {
		s.remove(k)
	}
	return nil
}

// HasMany tests keys.
func (s *Concurrent[V]) HasMany(ctx context.Context, keys []string) ([]bool, error) {
	out := make([]bool, len(keys))
	for i, k := range keys {
		out[i], _ = s.Has(ctx, k)
	}
	return out, nil
}

// TouchMany gives every present key a new expiry.
func (s *Concurrent[V]) TouchMany(_ context.Context, keys []string, ttl time.Duration) error {
	if err := CheckTTL(s, ttl); err != nil {
		return err
	}
	exp := expiresAt(s.now, ttl)
	for _, k := range keys {
		s.touch(k, exp)
	}
	return nil
}

// Clear removes every key that starts with prefix (and passes match, when
// it is not nil), one shard at a time.
func (s *Concurrent[V]) Clear(_ context.Context, prefix string, match func(string) bool) error {
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		t := sh.table.Load()
		for j := range t.buckets {
			b := &t.buckets[j]
			var prev *cnode[V]
			for n := b.Load(); n != nil; n = n.next.Load() {
				if strings.HasPrefix(n.key, prefix) && matches(match, n.key) {
					unlink(b, prev, n)
					sh.n--
					continue
				}
				prev = n
			}
		}
		sh.mu.Unlock()
	}
	return nil
}

type evictOption struct{ fn func(key string) }

func (evictOption) apply(*memoryConfig) {}
func (evictOption) String() string      { return "OnEvictKey(func)" }

// OnEvictKey tells fn the key of every entry a Concurrent backend evicts to
// make room (not deletions, nor expired entries). fn runs after the shard's
// lock is released, on the goroutine whose write made the room; it must
// not block. Other backends ignore it.
func OnEvictKey(fn func(key string)) MemoryOption { return evictOption{fn: fn} }
