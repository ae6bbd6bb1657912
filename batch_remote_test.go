package ring_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// batchFillCheck fills 100 misses of a batch ring with Many().GetOrUpdate
// and checks the outcome: one call of the function with the 100 IDs, every
// value right and cached (a second Many calls nothing). trips, called
// around the fill, returns the round trips it took.
func batchFillCheck(t *testing.T, storage ring.Option, reset func(), trips func() int, wantTrips int) {
	t.Helper()
	src := &batchSource{}
	prefix := fmt.Sprintf("ring-test:batch:%d", time.Now().UnixNano())
	r := ring.Must(ring.Batch(src.fn(), storage, ring.Coder("json"), ring.KeyPrefix(prefix), ring.Expire(time.Minute),
		ring.StorageTimeout(2*time.Second)))
	all := ids(0, 100)
	t.Cleanup(func() { _ = r.Many().Delete(context.Background(), all) })
	reset()
	got, err := r.Many().GetOrUpdate(t.Context(), all)
	require.NoError(t, err)
	n := trips()
	for i, id := range all {
		require.Equal(t, fmt.Sprintf("v%d", id), got[i])
	}
	require.Equal(t, 1, src.n(), "calls of the batch function")
	require.Equal(t, all, src.asked())
	require.Equal(t, wantTrips, n, "round trips of a batch fill of %d misses", len(all))

	got, err = r.Many().GetOrUpdate(t.Context(), all)
	require.NoError(t, err)
	require.Equal(t, "v42", got[42])
	require.Equal(t, 1, src.n(), "the entries were cached")
}

// TestBatchFillRedisTwoTrips: on one Redis node, 100 misses cost one read
// (MGET) and one pipeline of 100 SETs.
func TestBatchFillRedisTwoTrips(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t)})
	t.Cleanup(func() { _ = rdb.Close() })
	hook := &redisTrips{}
	rdb.AddHook(hook)
	batchFillCheck(t, ring.Storage(redisstore.New(rdb)), hook.reset, func() int {
		n, sizes := hook.trips()
		hook.mu.Lock()
		defer hook.mu.Unlock()
		// The write is one pipeline of 100 SETs.
		require.Equal(t, []int{100}, sizes, "pipelines (commands %v)", hook.cmds)
		require.Equal(t, []string{"mget"}, hook.cmds)
		return n
	}, 2)
}

// TestBatchFillRedisClusterTrips: on a Cluster, the read and the write are
// each one pipeline, slot-grouped, that go-redis sends to each master once:
// at most one read and one write per node, and no CROSSSLOT error.
func TestBatchFillRedisClusterTrips(t *testing.T) {
	var mu sync.Mutex
	perNode := map[string]*redisTrips{}
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: servertest.RedisClusterAddrs(t)})
	rdb.OnNewNode(func(c *redis.Client) {
		h := &redisTrips{}
		c.AddHook(h)
		mu.Lock()
		perNode[c.Options().Addr] = h
		mu.Unlock()
	})
	t.Cleanup(func() { _ = rdb.Close() })
	top := &redisTrips{}
	rdb.AddHook(top)
	require.NoError(t, rdb.ForEachShard(t.Context(), func(ctx context.Context, c *redis.Client) error { return c.Ping(ctx).Err() }))
	reset := func() {
		top.reset()
		mu.Lock()
		for _, h := range perNode {
			h.reset()
		}
		mu.Unlock()
	}
	batchFillCheck(t, ring.Storage(redisstore.New(rdb)), reset, func() int {
		n, sizes := top.trips()
		require.Len(t, sizes, 2, "the client's pipelines: one read, one write")
		mu.Lock()
		defer mu.Unlock()
		nodes := 0
		for addr, h := range perNode {
			k, _ := h.trips()
			require.LessOrEqual(t, k, 2, "node %s: round trips", addr)
			if k > 0 {
				nodes++
			}
		}
		require.GreaterOrEqual(t, nodes, 2, "100 keys span the masters")
		return n
	}, 2)
}

// TestBatchFillMemcacheTwoTurns: on memcached with its server selector,
// 100 misses cost one turn to read and one pipelined turn to write.
func TestBatchFillMemcacheTwoTurns(t *testing.T) {
	addr := servertest.MemcacheAddrs(t)[0]
	proxy := newTurnCounter(t, addr)
	ss := new(memcache.ServerList)
	require.NoError(t, ss.SetServers(proxy.ln.Addr().String()))
	mc := memcache.NewFromSelector(ss)
	store := memcachestore.New(mc, memcachestore.WithSelector(ss))
	t.Cleanup(func() { _ = store.Close(); _ = mc.Close() })
	batchFillCheck(t, ring.Storage(store), func() { proxy.turns.Store(0) }, func() int {
		return int(proxy.turns.Load())
	}, 2)
}

// TestBatchRedisNewerDeleteWins: on Redis, a Delete of an ID made while its
// batch runs is not undone by the batch's pipelined write.
func TestBatchRedisNewerDeleteWins(t *testing.T) {
	rdb := sharedRedis(t)
	src := &batchSource{gate: make(chan struct{}), started: make(chan struct{})}
	r := ring.Must(ring.Batch(src.fn(), ring.Storage(redisstore.New(rdb)), ring.Coder("json"),
		ring.KeyPrefix(fmt.Sprintf("ring-test:batchdel:%d", time.Now().UnixNano())), ring.StorageTimeout(2*time.Second)))
	ctx := t.Context()
	all := ids(0, 20)
	t.Cleanup(func() { _ = r.Many().Delete(context.Background(), all) })
	done := make(chan error)
	go func() {
		_, err := r.Many().GetOrUpdate(ctx, all)
		done <- err
	}()
	<-src.started
	require.NoError(t, r.Delete(ctx, 5))
	require.NoError(t, r.Set(ctx, "newer", 6))
	close(src.gate)
	require.NoError(t, <-done)
	found, err := r.Many().Has(ctx, all)
	require.NoError(t, err)
	want := slices.Repeat([]bool{true}, len(all))
	want[5] = false
	require.Equal(t, want, found)
	v, _, err := r.Get(ctx, 6)
	require.NoError(t, err)
	require.Equal(t, "newer", v)
}

// TestBatchWindowRedisOneWrite: 50 concurrent Calls of 50 IDs within one
// BatchWindow on Redis cost one GET each, then one MGET (the window's
// misses read again inside their flights), one call of the function and
// one pipeline of 50 SETs.
func TestBatchWindowRedisOneWrite(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t)})
	t.Cleanup(func() { _ = rdb.Close() })
	hook := &redisTrips{}
	rdb.AddHook(hook)
	src := &batchSource{}
	r := ring.Must(ring.Batch(src.fn(), ring.Storage(redisstore.New(rdb)), ring.Coder("json"),
		ring.KeyPrefix(fmt.Sprintf("ring-test:batchwin:%d", time.Now().UnixNano())), ring.Expire(time.Minute),
		ring.StorageTimeout(2*time.Second), ring.BatchWindow(300*time.Millisecond, 0)))
	all := ids(0, 50)
	t.Cleanup(func() { _ = r.Many().Delete(context.Background(), all) })
	// Warm the pool: one connection per Call, made before counting.
	var wg sync.WaitGroup
	for range all {
		wg.Add(1)
		go func() { defer wg.Done(); _ = rdb.Ping(t.Context()).Err() }()
	}
	wg.Wait()
	hook.reset()
	for _, id := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := r.Call(t.Context(), id)
			require.NoError(t, err)
			require.Equal(t, fmt.Sprintf("v%d", id), v)
		}()
	}
	wg.Wait()
	require.Equal(t, 1, src.n(), "calls: %v", src.calls)
	hook.mu.Lock()
	defer hook.mu.Unlock()
	gets, mgets := 0, 0
	for _, c := range hook.cmds {
		switch c {
		case "get":
			gets++
		case "mget":
			mgets++
		default:
			t.Errorf("unexpected command %q", c)
		}
	}
	require.Equal(t, len(all), gets)
	require.Equal(t, 1, mgets)
	require.Len(t, hook.pipes, 1, "one write")
	require.Len(t, hook.pipes[0], len(all))
}

// TestBatchNegativeCacheRedis: on a Redis node, a batch fill of 90 known
// and 10 unknown IDs with NegativeCache is one MGET and one pipeline of 100
// SETs: the unknown IDs are stored as negative markers with their own TTL,
// and a second fill calls nothing.
func TestBatchNegativeCacheRedis(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t)})
	t.Cleanup(func() { _ = rdb.Close() })
	hook := &redisTrips{}
	rdb.AddHook(hook)
	src := &batchSource{}
	prefix := fmt.Sprintf("ring-test:batchneg:%d", time.Now().UnixNano())
	r := ring.Must(ring.Batch(src.fn(), ring.Storage(redisstore.New(rdb)), ring.Coder("json"),
		ring.KeyPrefix(prefix), ring.Expire(time.Hour), ring.NegativeCache(time.Minute),
		ring.StorageTimeout(2*time.Second)))
	asked := ids(0, 90)
	for i := range 10 {
		asked = append(asked, -1-i)
	}
	t.Cleanup(func() { _ = r.Many().Delete(context.Background(), asked) })
	hook.reset()
	got, err := r.Many().GetOrUpdate(t.Context(), asked)
	require.ErrorIs(t, err, ring.ErrNotFound)
	require.Equal(t, "v7", got[7])
	n, sizes := hook.trips()
	require.Equal(t, 2, n, "one read and one write")
	require.Equal(t, []int{100}, sizes, "one pipeline of 100 SETs, negative entries included")
	require.Equal(t, 1, src.n())

	key, err := r.Key(-4)
	require.NoError(t, err)
	raw, err := rdb.Get(t.Context(), key).Bytes()
	require.NoError(t, err)
	require.True(t, bytes.HasPrefix(raw, []byte("\x00ring-negative\x00")), "stored %q", raw)
	ttl, err := rdb.PTTL(t.Context(), key).Result()
	require.NoError(t, err)
	require.LessOrEqual(t, ttl, time.Minute)
	require.Greater(t, ttl, 50*time.Second)

	got, err = r.Many().GetOrUpdate(t.Context(), asked)
	require.ErrorIs(t, err, ring.ErrNotFound)
	require.Equal(t, "v89", got[89])
	require.Equal(t, 1, src.n(), "the unknown IDs were cached as not found")
}
