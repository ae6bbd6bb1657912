package ring

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math/bits"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ring/backends"
)

// The near tier (Near): decoded values of a remote storage's entries kept
// in process, in front of it, in the store layer (Cache[V]). A near hit
// returns the V as it is: no round trip, no decoding, no context wrapper.
//
// Its copies are dropped when:
//   - the storage says a key changed (backends.Invalidator: Redis's client
//     tracking), whoever the writer was;
//   - this ring or Cache writes the key (Set, Update, Delete, a fill, a
//     bulk write, Clear): at once, once the storage command has run;
//   - the entry's time left on the storage, read with the value, runs out;
//   - maxStale has passed since the read, in every case.
//
// A read that races an invalidation must not keep the value it read
// before the change: a miss first reserves the key (a pending entry with
// a token of its own), then reads the storage, and keeps the value only if
// its reservation is still there. An invalidation, an own write or a flush
// removes the reservation with the entry. While the storage's
// invalidations are not being delivered (its tracking connection is down)
// nothing is reserved, so nothing read then is kept; the tier is flushed
// when they come back.

// nearPolicy is what Near asked for.
type nearPolicy struct {
	size     int
	maxStale time.Duration
}

// Near puts an in-process tier of decoded values, at most size entries, in
// front of the ring's storage, for Call, Get and a Cache's Get: a value
// read from the storage is kept decoded, and the next read of its key
// returns it without a round trip, as fast as an in-process hit.
//
// On a storage that reports changes (backends.Invalidator: the Redis
// backend, on a node, through Sentinel and on a cluster), every change of
// a key by any writer (another process, another ring, redis-cli, FLUSHDB)
// drops the local copy as soon as Redis's invalidation arrives (about
// 0.1ms on loopback). Own writes drop it at once. A copy never outlives
// the entry's time left on the storage, and never lives longer than
// maxStale: the backstop when invalidations stop arriving unnoticed, and
// the only bound on a storage without invalidations (memcached, whose
// copies may then be up to maxStale old). See docs/near-cache.md.
//
// size must be at least 1 and maxStale positive. Near cannot be combined
// with WithStrategy, RefreshAhead, StaleWhileRevalidate, StaleIfError,
// XFetch or NegativeCache (their reads judge each hit on the storage). Bulk
// forms read the storage (they drop the copies of the keys they write);
// storages picked by Choose have no near tier.
func Near(size int, maxStale time.Duration) Option {
	return newOption(fmt.Sprintf("Near(%d, %v)", size, maxStale), func(c *config) {
		switch {
		case size < 1:
			c.fail(fmt.Errorf("ring: Near(%d, %v): size must be at least 1", size, maxStale))
		case maxStale <= 0:
			c.fail(fmt.Errorf("ring: Near(%d, %v): maxStale must be positive", size, maxStale))
		default:
			c.near = &nearPolicy{size: size, maxStale: maxStale}
		}
	})
}

// attachNear gives c the near tier that cfg asks for (Near), subscribed
// to raw's invalidations when raw reports them.
func (c *Cache[V]) attachNear(cfg *config, raw backends.Storage) error {
	p := cfg.near
	if p == nil {
		return nil
	}
	opt := fmt.Sprintf("Near(%d, %v)", p.size, p.maxStale)
	switch {
	case cfg.strategy != nil:
		return fmt.Errorf("ring: %s: %s: a custom strategy (WithStrategy) reads through its Op, past the near tier", c.name, opt)
	case c.ahead != nil:
		return fmt.Errorf("ring: %s: %s: cannot be combined with RefreshAhead, StaleWhileRevalidate, StaleIfError or XFetch, which judge every hit by its time left on the storage", c.name, opt)
	case c.neg != nil:
		return fmt.Errorf("ring: %s: %s: cannot be combined with NegativeCache", c.name, opt)
	}
	n := newNearTier[V](p.size, p.maxStale, c.policy)
	if inv := invalidatorOf(raw); inv != nil {
		n.setLive(false) // until the first report
		stop, err := inv.Track(c.prefix, n.invalidated)
		switch {
		case errors.Is(err, backends.ErrNotSupported):
			n.setLive(true) // bounded by maxStale alone
		case err != nil:
			return fmt.Errorf("ring: %s: %s: %w", c.name, opt, err)
		default:
			// The subscription ends when the storage closes, or when
			// nothing refers to this Cache any more.
			runtime.AddCleanup(c, func(stop func()) { stop() }, stop)
		}
	}
	c.near = n
	if c.rope != nil {
		c.rope.SetWatcher(n)
	}
	return nil
}

// invalidatorOf returns the Invalidator under s's wrappers, or nil.
func invalidatorOf(s backends.Storage) backends.Invalidator {
	for range 8 { // wrappers of wrappers, but not forever
		if inv, ok := s.(backends.Invalidator); ok {
			return inv
		}
		u, ok := s.(interface{ Unwrap() backends.Storage })
		if !ok {
			return nil
		}
		s = u.Unwrap()
	}
	return nil
}

// nearTier is the near tier of one Cache: a map of decoded values split
// in shards, each under its own lock, bounded in size (a full shard drops
// an arbitrary entry). It sits behind the few methods the store layer
// calls (get, reserve, fill, Wrote, WroteAll, invalidated), so that it can
// move onto another in-process store.
type nearTier[V any] struct {
	shards   []nearShard[V]
	mask     uint64
	perShard int
	seed     maphash.Seed
	base     time.Time // the clock's origin: expiries are monotonic nanoseconds since base
	maxStale time.Duration
	// expire bounds a copy whose time left the storage cannot say
	// (backends.TTLUnknown): the ring's Expire, 0 if none.
	expire time.Duration
	tokens atomic.Uint64
}

type nearShard[V any] struct {
	mu sync.RWMutex
	m  map[string]nearEntry[V]
	// live is false while invalidations are not delivered: nothing is
	// reserved then.
	live bool
	_    [64]byte // keeps shards' locks on cache lines of their own
}

// nearEntry is a copy, or a reservation (tok != 0) made by a read in
// progress.
type nearEntry[V any] struct {
	v   V
	exp int64 // nanoseconds since base
	tok uint64
}

// nearMaxShards bounds the shards of a tier; a small tier has fewer, of
// at least 16 entries each.
const nearMaxShards = 64

func newNearTier[V any](size int, maxStale time.Duration, policy *writePolicy) *nearTier[V] {
	n := min(nearMaxShards, max(1, size/16))
	n = 1 << (bits.Len(uint(n)) - 1) // a power of two
	t := &nearTier[V]{
		shards:   make([]nearShard[V], n),
		mask:     uint64(n - 1),
		perShard: size / n,
		seed:     maphash.MakeSeed(),
		base:     time.Now(),
		maxStale: maxStale,
	}
	if policy != nil && policy.expire > 0 {
		t.expire = policy.full()
	}
	for i := range t.shards {
		t.shards[i].m = make(map[string]nearEntry[V])
		t.shards[i].live = true
	}
	return t
}

func (t *nearTier[V]) shard(key string) *nearShard[V] {
	return &t.shards[maphash.String(t.seed, key)&t.mask]
}

func (t *nearTier[V]) now() int64 { return int64(time.Since(t.base)) }

// get returns the copy of key, if there is a live one.
func (t *nearTier[V]) get(key string) (V, bool) {
	s := t.shard(key)
	s.mu.RLock()
	e, ok := s.m[key]
	s.mu.RUnlock()
	if ok && e.tok == 0 && t.now() < e.exp {
		return e.v, true
	}
	var zero V
	return zero, false
}

// reserve marks key as being read, and returns the reservation's token
// (0: nothing may be kept) and the time of the reservation.
func (t *nearTier[V]) reserve(key string) (uint64, int64) {
	s := t.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.live {
		return 0, 0
	}
	if _, ok := s.m[key]; !ok && len(s.m) >= t.perShard {
		for k := range s.m { // an arbitrary entry
			delete(s.m, k)
			break
		}
	}
	tok := t.tokens.Add(1)
	s.m[key] = nearEntry[V]{tok: tok}
	return tok, t.now()
}

// fill keeps v, read from the storage with the time left ttl after the
// reservation tok made at start, unless the reservation was dropped
// meanwhile. The copy expires at start plus the shortest of maxStale and
// the time left: never after the storage's entry.
func (t *nearTier[V]) fill(key string, tok uint64, start int64, v V, ttl time.Duration) {
	if tok == 0 {
		return
	}
	life := t.maxStale
	switch {
	case ttl > 0:
		life = min(life, ttl)
	case ttl < 0 && t.expire > 0: // backends.TTLUnknown
		life = min(life, t.expire)
	}
	s := t.shard(key)
	s.mu.Lock()
	defer s.mu.Unlock()
	if e, ok := s.m[key]; ok && e.tok == tok {
		s.m[key] = nearEntry[V]{v: v, exp: start + int64(life)}
	}
}

// Wrote drops the copy of key, and any reservation (rope.Watcher).
func (t *nearTier[V]) Wrote(key string) {
	s := t.shard(key)
	s.mu.Lock()
	delete(s.m, key)
	s.mu.Unlock()
}

// WroteAll drops every copy (rope.Watcher).
func (t *nearTier[V]) WroteAll() { t.flush(true, false) }

// invalidated is the tier's backends.Invalidator subscription.
func (t *nearTier[V]) invalidated(keys []string, live bool) {
	if keys == nil {
		t.flush(live, true)
		return
	}
	for _, k := range keys {
		t.Wrote(k)
	}
}

// flush drops every copy and reservation; with setLive it also records
// whether invalidations are delivered, in each shard at the moment it is
// emptied.
func (t *nearTier[V]) flush(live, setLive bool) {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		clear(s.m)
		if setLive {
			s.live = live
		}
		s.mu.Unlock()
	}
}

func (t *nearTier[V]) setLive(live bool) { t.flush(live, true) }

// len returns the number of copies and reservations (tests).
func (t *nearTier[V]) len() int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// isLive reports whether every shard accepts reservations (tests).
func (t *nearTier[V]) isLive() bool {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.RLock()
		live := s.live
		s.mu.RUnlock()
		if !live {
			return false
		}
	}
	return true
}

// nearLoad reads key from the storage after a near miss, and keeps what
// it read unless an invalidation or a write of key came meanwhile.
func (c *Cache[V]) nearLoad(ctx context.Context, key string) (V, bool, error) {
	n := c.near
	tok, start := n.reserve(key)
	v, ttl, ok, err := backends.GetWithTTL(ctx, c.store, key)
	if err != nil || !ok {
		var zero V
		return zero, false, err
	}
	r, ok := c.fromStored(key, v)
	if ok {
		n.fill(key, tok, start, r, ttl)
	}
	return r, ok, nil
}

// readLive is a ring's Get: from the near tier when the ring has one,
// reported to the observer (a near hit with the near tier's labels).
func (c *Cache[V]) readLive(ctx context.Context, key string) (V, bool, error) {
	if c.near == nil {
		r, ok, err := c.loadLive(ctx, key)
		if c.obs != nil {
			c.obs.got(ctx, ok, err, c.neg.ofHit(err) != nil)
		}
		return r, ok, err
	}
	if r, ok := c.near.get(key); ok {
		if c.obs != nil {
			c.obs.nearHit(ctx)
		}
		return r, true, nil
	}
	r, ok, err := c.nearLoad(ctx, key)
	if c.obs != nil {
		c.obs.got(ctx, ok, err, false)
	}
	return r, ok, err
}

// callNear is Call's path on a near miss.
func (c *core[K, R]) callNear(ctx context.Context, st *Cache[R], key string, k K) (R, error) {
	r, ok, err := st.nearLoad(ctx, key)
	if st.obs != nil {
		st.obs.got(ctx, ok, err, false)
	}
	if err != nil {
		st.report("get", key, err)
	} else if ok {
		return r, nil
	}
	return c.fill(ctx, st, key, k, err == nil, nil)
}

// nearWrote drops the copies of keys after a write of a Cache without a
// rope (NewCache's).
func (c *Cache[V]) nearWrote(keys []string) {
	if c.near != nil {
		for _, k := range keys {
			c.near.Wrote(k)
		}
	}
}
