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
	"github.com/ringcache/ring/internal/rope"
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
	if !c.refactor {
		// Every key of this Cache starts with its prefix (a rewritten
		// key may not): the tier hashes and compares what follows it.
		n.pre = c.prefix
	}
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

// nearTier is the near tier of one Cache: a chained hash table of
// decoded values split in shards, bounded in size (a full shard drops an
// expired copy, or else an arbitrary entry). It has the read structure of
// backends.Concurrent: a hit takes no lock and writes nothing shared, it
// walks a bucket of immutable nodes linked by atomic pointers; every
// change (a reservation, a fill, a drop, a flush) takes the shard's lock
// and publishes new nodes. A reader standing on a node that a change
// unlinks walks on along its link: its read overlaps the change and may
// return either side of it, and a read that starts once the change has
// returned sees only the new state. It sits behind the few methods the
// store layer calls (get, reserve, fill, Wrote, WroteAll, invalidated).
type nearTier[V any] struct {
	shards []nearShard[V]
	shift  uint // a hash's top bits pick the shard
	// pre is the prefix every key of the tier starts with (the Cache's):
	// the tier keys, hashes and compares a key's local part, what follows
	// pre (nearTier.local); a key without it is never kept.
	pre      string
	hasher   nearHasher
	maxStale time.Duration
	size     int // most copies and reservations (Near's size)
	// expire bounds a copy whose time left the storage cannot say
	// (backends.TTLUnknown): the ring's Expire, 0 if none.
	expire time.Duration
	tokens atomic.Uint64
}

type nearShard[V any] struct {
	mu    sync.Mutex
	table atomic.Pointer[nearTable[V]]
	n     int // nodes held, copies and reservations
	limit int // most nodes held
	hand  int // the next bucket eviction looks at
	// live is false while invalidations are not delivered: nothing is
	// reserved then.
	live bool
	_    [64]byte // keeps shards' locks on cache lines of their own
}

type nearTable[V any] struct {
	buckets []atomic.Pointer[nearNode[V]]
	mask    uint64
}

// nearNode is a copy, or a reservation (tok != 0) made by a read in
// progress. Everything but next and dead is written before the node is
// published and never after: a fill replaces the reservation's node with
// a new one. key is the local part of the backend key (nearTier.local).
// dead is set, with the shard's lock held, when the node leaves its table
// (unlinked, replaced, copied to a grown table, flushed): the typed front
// (near_front.go), which may still point at it, then no longer returns it.
type nearNode[V any] struct {
	key  string
	v    V
	exp  int64 // a backends.ClockNow reading
	tok  uint64
	next atomic.Pointer[nearNode[V]]
	dead atomic.Bool
}

// nearMaxShards bounds the shards of a tier; a small tier has fewer, of
// at least 16 entries each.
const nearMaxShards = 64

// nearMinBuckets is a shard's first table size; tables double as entries
// arrive, up to one bucket per entry the shard may hold.
const nearMinBuckets = 16

func newNearTier[V any](size int, maxStale time.Duration, policy *writePolicy) *nearTier[V] {
	n := min(nearMaxShards, max(1, size/16))
	n = 1 << (bits.Len(uint(n)) - 1) // a power of two
	t := &nearTier[V]{
		shards:   make([]nearShard[V], n),
		shift:    uint(64 - bits.TrailingZeros(uint(n))),
		hasher:   newNearHasher(),
		maxStale: maxStale,
		size:     size,
	}
	if policy != nil && policy.expire > 0 {
		t.expire = policy.full()
	}
	for i := range t.shards {
		s := &t.shards[i]
		s.limit = size / n
		s.live = true
		s.table.Store(s.newTable(0))
	}
	return t
}

// newTable returns an empty table of n buckets (0: the first size).
func (s *nearShard[V]) newTable(n int) *nearTable[V] {
	if n == 0 {
		n = min(nearMinBuckets, nearCeilPow2(s.limit))
	}
	return &nearTable[V]{buckets: make([]atomic.Pointer[nearNode[V]], n), mask: uint64(n - 1)}
}

func nearCeilPow2(n int) int {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len(uint(n-1))
}

// local returns the local part of key, what follows the tier's prefix;
// ok is false when key does not start with it (no copy of it is kept).
func (t *nearTier[V]) local(key string) (lk string, ok bool) {
	if len(key) < len(t.pre) || key[:len(t.pre)] != t.pre {
		return "", false
	}
	return key[len(t.pre):], true
}

// shard returns the shard of the local key lk and lk's hash.
func (t *nearTier[V]) shard(lk string) (*nearShard[V], uint64) {
	h := t.hasher.hash(lk)
	return &t.shards[h>>t.shift&uint64(len(t.shards)-1)], h
}

// nearHasher hashes a tier's local keys with secret keys of its own
// (random per tier, never shown).
type nearHasher struct {
	seed       maphash.Seed
	k0, k1, k2 uint64
}

func newNearHasher() nearHasher {
	h := nearHasher{seed: maphash.MakeSeed()}
	h.k0 = maphash.String(h.seed, "k0")
	h.k1 = maphash.String(h.seed, "k1")
	h.k2 = maphash.String(h.seed, "k2")
	return h
}

// hash is the hash of a local key: for up to 16 bytes (a ring's arguments,
// typically) wyhash's mixing of the key's bytes with the tier's secret
// keys, two multiplications; longer keys go to maphash (AES where the CPU
// has it). Its quality decides only how long a bucket's chain gets: a node
// is found by comparing its key (get, find), so two keys with one hash
// share a bucket and are never taken for each other, and a shard holds at
// most its limit of nodes, so even keys chosen to collide (which needs the
// tier's random keys, never shown) cost a walk of at most that many nodes,
// never a wrong value. Its inputs are injective for each length (the
// length is mixed in): 1-3 bytes by the first, middle and last byte, 4-16
// by two overlapping words that cover every byte.
func (t *nearHasher) hash(lk string) uint64 {
	n := len(lk)
	var a, b uint64
	switch {
	case n > 16:
		return maphash.String(t.seed, lk)
	case n >= 8:
		a, b = nearLE64(lk), nearLE64(lk[n-8:])
	case n >= 4:
		a, b = nearLE32(lk), nearLE32(lk[n-4:])
	case n > 0:
		a = uint64(lk[0])<<16 | uint64(lk[n>>1])<<8 | uint64(lk[n-1])
	}
	hi, lo := bits.Mul64(a^t.k1, b^t.k2)
	hi, lo = bits.Mul64(hi^t.k0^uint64(n), lo^t.k1)
	return hi ^ lo
}

// nearLE64 reads the first 8 bytes of s, little-endian (one load where
// the CPU allows it).
func nearLE64(s string) uint64 {
	_ = s[7]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24 |
		uint64(s[4])<<32 | uint64(s[5])<<40 | uint64(s[6])<<48 | uint64(s[7])<<56
}

// nearLE32 reads the first 4 bytes of s, little-endian.
func nearLE32(s string) uint64 {
	_ = s[3]
	return uint64(s[0]) | uint64(s[1])<<8 | uint64(s[2])<<16 | uint64(s[3])<<24
}

// now reads the exact clock (reservations, eviction); a hit judges a
// copy's expiry by the coarse clock (backends.ClockBefore: exact unless
// its ticker is kept off the CPU for more than 50ms).
func (t *nearTier[V]) now() int64 { return backends.ClockNow() }

// get returns the copy of key (a backend key), if there is a live one.
func (t *nearTier[V]) get(key string) (V, bool) {
	if lk, ok := t.local(key); ok {
		return t.getLocal(lk)
	}
	var zero V
	return zero, false
}

// getLocal returns the copy of the key whose local part is lk, if there
// is a live one. It takes no lock and writes nothing (the coarse clock's
// read writes once per idle period at most); it does not keep lk, which
// may be a view of a buffer its caller reuses (hitkey.go).
func (t *nearTier[V]) getLocal(lk string) (V, bool) {
	if n := t.getNode(lk); n != nil {
		return n.v, true
	}
	var zero V
	return zero, false
}

// getNode is getLocal, returning the live copy's node (nil: none).
func (t *nearTier[V]) getNode(lk string) *nearNode[V] {
	h := t.hasher.hash(lk)
	s := &t.shards[h>>t.shift&uint64(len(t.shards)-1)] // shard, by hand: generic code does not inline it
	tb := s.table.Load()
	for n := tb.buckets[h&tb.mask].Load(); n != nil; n = n.next.Load() {
		if n.key == lk {
			if n.tok == 0 && backends.ClockBefore(n.exp) {
				return n
			}
			break
		}
	}
	return nil
}

// find returns the node under the local key lk and the one before it in
// its bucket (nil: it heads the bucket), with s's lock held.
func (s *nearShard[V]) find(b *atomic.Pointer[nearNode[V]], lk string) (n, prev *nearNode[V]) {
	for n = b.Load(); n != nil; prev, n = n, n.next.Load() {
		if n.key == lk {
			return n, prev
		}
	}
	return nil, nil
}

// replace puts n in the place of old, which follows prev in bucket b.
func nearReplace[V any](b *atomic.Pointer[nearNode[V]], prev, old, n *nearNode[V]) {
	n.next.Store(old.next.Load())
	if prev == nil {
		b.Store(n)
	} else {
		prev.next.Store(n)
	}
	old.dead.Store(true)
}

// nearUnlink removes n, which follows prev (nil: n heads the bucket) in
// bucket b. n keeps its link, so that a reader standing on it walks on.
func nearUnlink[V any](b *atomic.Pointer[nearNode[V]], prev, n *nearNode[V]) {
	if prev == nil {
		b.Store(n.next.Load())
	} else {
		prev.next.Store(n.next.Load())
	}
	n.dead.Store(true)
}

// reserve marks key as being read, and returns the reservation's token
// (0: nothing may be kept) and the time of the reservation.
func (t *nearTier[V]) reserve(key string) (uint64, int64) {
	lk, ok := t.local(key)
	if !ok {
		return 0, 0
	}
	s, h := t.shard(lk)
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.live {
		return 0, 0
	}
	tok := t.tokens.Add(1)
	r := &nearNode[V]{key: lk, tok: tok}
	tb := s.table.Load()
	b := &tb.buckets[h&tb.mask]
	if old, prev := s.find(b, lk); old != nil {
		nearReplace(b, prev, old, r)
		return tok, t.now()
	}
	if s.n >= s.limit {
		t.evictLocked(s)
	}
	if s.n >= len(tb.buckets) && len(tb.buckets) < nearCeilPow2(s.limit) {
		tb = t.growLocked(s, tb)
		b = &tb.buckets[h&tb.mask]
	}
	r.next.Store(b.Load())
	b.Store(r)
	s.n++
	return tok, t.now()
}

// growLocked doubles s's table. Readers may still walk the old one, so
// its nodes are left as they are and the new table gets copies.
func (t *nearTier[V]) growLocked(s *nearShard[V], old *nearTable[V]) *nearTable[V] {
	tb := s.newTable(2 * len(old.buckets))
	for i := range old.buckets {
		for o := old.buckets[i].Load(); o != nil; o = o.next.Load() {
			n := &nearNode[V]{key: o.key, v: o.v, exp: o.exp, tok: o.tok}
			b := &tb.buckets[t.hasher.hash(o.key)&tb.mask]
			n.next.Store(b.Load())
			b.Store(n)
			o.dead.Store(true) // the front finds the copy through the tier again
		}
	}
	s.hand = 0
	s.table.Store(tb)
	return tb
}

// evictLocked makes room in s for one node: from the hand on, it drops
// the expired copies of each bucket it looks at, and unless they made
// room, the first node of the first bucket that has one (an arbitrary
// entry: a hit marks nothing, it writes no shared memory).
func (t *nearTier[V]) evictLocked(s *nearShard[V]) {
	tb := s.table.Load()
	now := t.now()
	for range len(tb.buckets) {
		b := &tb.buckets[s.hand]
		s.hand = (s.hand + 1) & int(tb.mask)
		var prev *nearNode[V]
		for n := b.Load(); n != nil; n = n.next.Load() {
			if n.tok == 0 && now >= n.exp {
				nearUnlink(b, prev, n)
				s.n--
				continue
			}
			prev = n
		}
		if s.n < s.limit {
			return
		}
		if n := b.Load(); n != nil {
			nearUnlink(b, nil, n)
			s.n--
			return
		}
	}
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
	lk, _ := t.local(key) // a token was given: key has the prefix
	s, h := t.shard(lk)
	s.mu.Lock()
	defer s.mu.Unlock()
	tb := s.table.Load()
	b := &tb.buckets[h&tb.mask]
	if old, prev := s.find(b, lk); old != nil && old.tok == tok {
		nearReplace(b, prev, old, &nearNode[V]{key: lk, v: v, exp: start + int64(life)})
	}
}

// Wrote drops the copy of key, and any reservation (rope.Watcher).
func (t *nearTier[V]) Wrote(key string) {
	lk, ok := t.local(key)
	if !ok {
		return // never kept
	}
	s, h := t.shard(lk)
	s.mu.Lock()
	tb := s.table.Load()
	b := &tb.buckets[h&tb.mask]
	if n, prev := s.find(b, lk); n != nil {
		nearUnlink(b, prev, n)
		s.n--
	}
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
// emptied. A shard gets a new, empty table: a read that starts once its
// flush has returned finds nothing.
func (t *nearTier[V]) flush(live, setLive bool) {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		if s.n > 0 {
			old := s.table.Load()
			s.table.Store(s.newTable(0))
			s.n, s.hand = 0, 0
			nearKill(old)
		}
		if setLive {
			s.live = live
		}
		s.mu.Unlock()
	}
}

// nearKill marks every node of tb dead (a flushed table).
func nearKill[V any](tb *nearTable[V]) {
	for i := range tb.buckets {
		for n := tb.buckets[i].Load(); n != nil; n = n.next.Load() {
			n.dead.Store(true)
		}
	}
}

func (t *nearTier[V]) setLive(live bool) { t.flush(live, true) }

// len returns the number of copies and reservations (tests).
func (t *nearTier[V]) len() int {
	n := 0
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		n += s.n
		s.mu.Unlock()
	}
	return n
}

// isLive reports whether every shard accepts reservations (tests).
func (t *nearTier[V]) isLive() bool {
	for i := range t.shards {
		s := &t.shards[i]
		s.mu.Lock()
		live := s.live
		s.mu.Unlock()
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
	var seen rope.Seen
	if st.seen { // a server's storage: its miss reads once unless a write came since (miss.go)
		seen = st.rope.See(key)
	}
	r, ok, err := st.nearLoad(ctx, key)
	if st.obs != nil {
		st.obs.got(ctx, ok, err, false)
	}
	if err != nil {
		st.report("get", key, err)
	} else if ok {
		return r, nil
	}
	return c.fillSeen(ctx, st, key, k, err == nil, nil, seen)
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
