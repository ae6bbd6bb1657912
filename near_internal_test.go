package ring

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// racingStore runs onGet between a Get's read and its return: a write by
// another client lands while the value read is on its way.
type racingStore struct {
	backends.Storage
	inner backends.Storage
	onGet func()
}

func (s *racingStore) Get(ctx context.Context, key string) (any, bool, error) {
	v, ok, err := s.Storage.Get(ctx, key)
	if s.onGet != nil {
		s.onGet()
	}
	return v, ok, err
}

func (s *racingStore) Unwrap() backends.Storage { return s.inner }

// reserved reports whether key has a reservation or a copy (tests).
func (t *nearTier[V]) reserved(key string) bool {
	lk, ok := t.local(key)
	if !ok {
		return false
	}
	s, h := t.shard(lk)
	s.mu.Lock()
	defer s.mu.Unlock()
	tb := s.table.Load()
	n, _ := s.find(&tb.buckets[h&tb.mask], lk)
	return n != nil
}

// TestNearReadRacingInvalidation: a read that returns a value changed by
// another client meanwhile, the invalidation having arrived before the
// read's value, must not be kept: the reservation made before the read is
// gone, so the old value is returned to this caller only.
func TestNearReadRacingInvalidation(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	defer rdb.Close()
	st := redisstore.New(rdb)
	defer st.Close()
	race := &racingStore{Storage: st, inner: st}
	c, err := NewCache[string](Storage(race), KeyPrefix("race:"), Near(100, time.Minute))
	require.NoError(t, err)
	ctx := context.Background()
	for !c.near.isLive() {
		time.Sleep(time.Millisecond)
	}
	exercised := 0
	for round := range 20 {
		old, changed := fmt.Sprint("old", round), fmt.Sprint("new", round)
		_, err = c.Set(ctx, "k", old, SetOptions{})
		require.NoError(t, err)
		key := c.Key("k")
		// The invalidation of that own write drops the reservations made
		// before it arrives: read until a copy is kept, then drop the copy.
		for _, kept := c.near.get(key); !kept; _, kept = c.near.get(key) {
			_, _, err = c.Get(ctx, "k")
			require.NoError(t, err)
		}
		c.near.Wrote(key)
		race.onGet = func() {
			race.onGet = nil
			if c.near.reserved(key) {
				exercised++
			} // else a late invalidation of the own write dropped it: still nothing may be kept
			require.NoError(t, rdb.Set(ctx, key, changed, 0).Err())
			deadline := time.Now().Add(2 * time.Second)
			for c.near.reserved(key) { // until the invalidation has arrived
				require.True(t, time.Now().Before(deadline), "no invalidation for the racing write, round %d", round)
				time.Sleep(100 * time.Microsecond)
			}
		}
		v, ok, err := c.Get(ctx, "k")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, old, v) // what the read saw
		_, kept := c.near.get(key)
		require.False(t, kept, "the value read before the invalidation was kept")
		v, _, err = c.Get(ctx, "k")
		require.NoError(t, err)
		require.Equal(t, changed, v)
	}
	require.Greater(t, exercised, 10, "too few reads had a reservation when the racing write landed")
}

// TestNearTierBounded: the tier never holds more than size entries,
// copies and reservations together, under concurrent fills.
func TestNearTierBounded(t *testing.T) {
	for _, size := range []int{1, 10, 100, 1000, 5000} {
		n := newNearTier[int](size, time.Minute, nil)
		var wg sync.WaitGroup
		for g := range 4 {
			wg.Go(func() {
				for i := range 3 * size {
					k := fmt.Sprint(g, ":", i)
					tok, start := n.reserve(k)
					n.fill(k, tok, start, i, backends.TTLUnknown)
				}
			})
		}
		wg.Wait()
		require.LessOrEqual(t, n.len(), size, "size %d", size)
		require.Greater(t, n.len(), size/2, "size %d", size)
	}
}

// TestNearTierExpiry: a copy lives the shortest of maxStale, the time left
// read with it, and, when the storage cannot say, the ring's Expire.
func TestNearTierExpiry(t *testing.T) {
	n := newNearTier[int](100, 50*time.Millisecond, &writePolicy{expire: 20 * time.Millisecond})
	keep := func(k string, ttl time.Duration) {
		tok, start := n.reserve(k)
		n.fill(k, tok, start, 1, ttl)
	}
	keep("maxStale", 0)
	keep("ttl", 10*time.Millisecond)
	keep("unknown", backends.TTLUnknown)
	keep("long", time.Hour)
	for _, k := range []string{"maxStale", "ttl", "unknown", "long"} {
		_, ok := n.get(k)
		require.True(t, ok, k)
	}
	time.Sleep(12 * time.Millisecond)
	_, ok := n.get("ttl")
	require.False(t, ok, "outlived its time left")
	time.Sleep(10 * time.Millisecond)
	_, ok = n.get("unknown")
	require.False(t, ok, "outlived Expire")
	_, ok = n.get("long")
	require.True(t, ok)
	time.Sleep(30 * time.Millisecond)
	for _, k := range []string{"maxStale", "long"} {
		_, ok := n.get(k)
		require.False(t, ok, "%s outlived maxStale", k)
	}
	// A reservation dropped by a write, an invalidation or a flush keeps
	// nothing; one made while invalidations are not live is none.
	for name, drop := range map[string]func(k string){
		"write": n.Wrote, "invalidation": func(k string) { n.invalidated([]string{k}, true) },
		"flush": func(string) { n.invalidated(nil, true) }, "writeAll": func(string) { n.WroteAll() },
	} {
		tok, start := n.reserve(name)
		drop(name)
		n.fill(name, tok, start, 1, 0)
		_, ok := n.get(name)
		require.False(t, ok, name)
	}
	n.invalidated(nil, false)
	tok, start := n.reserve("down")
	require.Zero(t, tok)
	n.fill("down", tok, start, 1, 0)
	_, ok = n.get("down")
	require.False(t, ok)
}
