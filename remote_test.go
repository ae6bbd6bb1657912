package ring_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/diskstore"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// runID keeps the keys of one test run apart from other runs on the shared
// servers.
var runID = fmt.Sprintf("run%d", time.Now().UnixNano())

type profile struct {
	ID    int      `json:"id"`
	Name  string   `json:"name"`
	Tags  []string `json:"tags"`
	Score float64  `json:"score"`
}

func loadProfile(runs *counter) func(ctx context.Context, id int) (profile, error) {
	return func(ctx context.Context, id int) (profile, error) {
		runs.add()
		if id < 0 {
			return profile{}, errors.New("negative id")
		}
		return profile{ID: id, Name: fmt.Sprintf("user%d", id), Tags: []string{"a", "b"}, Score: float64(id) / 2}, nil
	}
}

func sharedRedis(t *testing.T) redis.UniversalClient {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t)})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func sharedCluster(t *testing.T) redis.UniversalClient {
	t.Helper()
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: servertest.RedisClusterAddrs(t)})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

func sharedMemcache(t *testing.T) *memcache.Client {
	t.Helper()
	mc := memcache.New(servertest.MemcacheAddrs(t)...)
	t.Cleanup(func() { _ = mc.Close() })
	return mc
}

// remoteSubFunctions exercises every sub-function and bulk form of a ring on
// a remote backend.
func remoteSubFunctions(t *testing.T, storage ring.Option) {
	// A context that can end takes the Cancelable path of the backends.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var runs counter
	// A generous storage timeout: this checks what each sub-function does
	// (the outage tests check the timeouts); the default 100 ms expired
	// once under -race on a loaded machine, a fill failed open, and a later
	// HasMany missed.
	r, err := ring.Func1(loadProfile(&runs), storage, ring.Coder("json"),
		ring.KeyPrefix("ring-test:"+runID+":"+t.Name()), ring.Expire(time.Minute), ring.StorageTimeout(2*time.Second))
	require.NoError(t, err)

	_, found, err := r.Get(ctx, 1)
	require.NoError(t, err)
	require.False(t, found)
	for range 3 {
		v, err := r.Call(ctx, 1)
		require.NoError(t, err)
		require.Equal(t, "user1", v.Name)
	}
	require.EqualValues(t, 1, runs.get())
	v, found, err := r.Get(ctx, 1)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, []string{"a", "b"}, v.Tags)
	ok, err := r.Has(ctx, 1)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, r.Touch(ctx, 1))
	require.NoError(t, r.Set(ctx, profile{ID: 1, Name: "set"}, 1))
	v, _ = r.Call(ctx, 1)
	require.Equal(t, "set", v.Name)
	v, err = r.Update(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "user1", v.Name)
	require.NoError(t, r.Delete(ctx, 1))
	ok, _ = r.Has(ctx, 1)
	require.False(t, ok)
	_, err = r.Call(ctx, -1)
	require.EqualError(t, err, "negative id")
	ok, _ = r.Has(ctx, -1)
	require.False(t, ok, "errors are not cached")

	// Bulk: mixed hits and misses, misses run once, one bulk write.
	ids := []int{10, 11, 12, 13}
	require.NoError(t, r.Many().Set(ctx, []profile{{ID: 10, Name: "ten"}, {ID: 12, Name: "twelve"}}, []int{10, 12}))
	vals, found2, err := r.Many().Get(ctx, ids)
	require.NoError(t, err)
	require.Equal(t, []bool{true, false, true, false}, found2)
	require.Equal(t, "twelve", vals[2].Name)
	before := runs.get()
	vals, err = r.Many().GetOrUpdate(ctx, ids)
	require.NoError(t, err)
	require.Equal(t, []string{"ten", "user11", "twelve", "user13"}, []string{vals[0].Name, vals[1].Name, vals[2].Name, vals[3].Name})
	require.Equal(t, before+2, runs.get())
	has, err := r.Many().Has(ctx, ids)
	require.NoError(t, err)
	require.Equal(t, []bool{true, true, true, true}, has)
	require.NoError(t, r.Many().Touch(ctx, ids))
	vals, err = r.Many().Update(ctx, ids[:2])
	require.NoError(t, err)
	require.Equal(t, "user10", vals[0].Name)
	require.NoError(t, r.Many().Delete(ctx, ids))
	has, err = r.Many().Has(ctx, ids)
	require.NoError(t, err)
	require.Equal(t, []bool{false, false, false, false}, has)

	// The hidden backend, solved: the key and the raw bytes are reachable.
	_, err = r.Call(ctx, 5)
	require.NoError(t, err)
	key, err := r.Key(5)
	require.NoError(t, err)
	raw, found, err := r.Cache().Storage().Get(ctx, key)
	require.NoError(t, err)
	require.True(t, found)
	var direct profile
	require.NoError(t, json.Unmarshal(raw.([]byte), &direct))
	require.Equal(t, "user5", direct.Name)
	decoded, err := r.Cache().Decode(raw.([]byte))
	require.NoError(t, err)
	require.Equal(t, direct, decoded)
	require.NoError(t, r.Delete(ctx, 5))
}

func TestRedisRing(t *testing.T) {
	rdb := sharedRedis(t)
	remoteSubFunctions(t, ring.Storage(redisstore.New(rdb)))

	// The raw client reads the entry the ring wrote.
	ctx := context.Background()
	r := ring.Must(ring.Func1(loadProfile(&counter{}), ring.Storage(redisstore.New(rdb)), ring.Coder("json"), ring.KeyPrefix("ring-test:"+runID+":raw")))
	_, err := r.Call(ctx, 3)
	require.NoError(t, err)
	key, _ := r.Key(3)
	require.Equal(t, "ring-test:"+runID+":raw:3", key)
	b, err := r.Cache().Storage().Raw().(redis.UniversalClient).Get(ctx, key).Bytes()
	require.NoError(t, err)
	require.JSONEq(t, `{"id":3,"name":"user3","tags":["a","b"],"score":1.5}`, string(b))
	require.NoError(t, r.Delete(ctx, 3))
}

func TestRedisClusterRing(t *testing.T) {
	remoteSubFunctions(t, ring.Storage(redisstore.New(sharedCluster(t))))
}

func TestMemcacheRing(t *testing.T) {
	mc := sharedMemcache(t)
	remoteSubFunctions(t, ring.Storage(memcachestore.New(mc)))

	// With the client's selector, the bulk forms run on the backend's own
	// pipelined connections: the same answers.
	t.Run("selector", func(t *testing.T) {
		ss := new(memcache.ServerList)
		require.NoError(t, ss.SetServers(servertest.MemcacheAddrs(t)...))
		smc := memcache.NewFromSelector(ss)
		t.Cleanup(func() { _ = smc.Close() })
		remoteSubFunctions(t, ring.Storage(memcachestore.New(smc, memcachestore.WithSelector(ss))))
	})
	t.Run("url", func(t *testing.T) {
		remoteSubFunctions(t, openURL(t, "memcache://"+strings.Join(servertest.MemcacheAddrs(t), ",")))
	})

	// Long keys are rewritten, and Key returns what memcached stores.
	ctx := context.Background()
	r := ring.Must(ring.Func1(func(ctx context.Context, s string) (string, error) { return strings.ToUpper(s), nil },
		ring.Storage(memcachestore.New(mc)), ring.KeyPrefix("ring-test:"+runID+":long")))
	long := strings.Repeat("k", 300)
	key, err := r.Key(long)
	require.NoError(t, err)
	require.Regexp(t, `^ring-sha1:[0-9a-f]{40}$`, key)
	_, err = r.Call(ctx, long)
	require.NoError(t, err)
	it, err := mc.Get(key)
	require.NoError(t, err)
	require.Equal(t, strings.ToUpper(long), string(it.Value))
	spaced, _ := r.Key("has space")
	require.True(t, strings.HasPrefix(spaced, "ring-sha1:"))
	require.NoError(t, r.Delete(ctx, long))
}

// TestMemcacheTooLarge: a value over memcached's item limit is an error from
// Set and a fail-open Call.
func TestMemcacheTooLarge(t *testing.T) {
	ctx := context.Background()
	var ev events
	var runs counter
	big := strings.Repeat("x", 2<<20)
	r := ring.Must(ring.Func1(func(ctx context.Context, n int) (string, error) { runs.add(); return big, nil },
		ring.Storage(memcachestore.New(sharedMemcache(t))), ring.KeyPrefix("ring-test:"+runID+":big"), ring.OnError(ev.hook)))
	require.Error(t, r.Set(ctx, big, 1))
	for range 2 {
		v, err := r.Call(ctx, 1)
		require.NoError(t, err)
		require.Len(t, v, len(big))
	}
	require.EqualValues(t, 2, runs.get())
	require.Contains(t, ev.ops(), "set")
}

func TestRedisHashRing(t *testing.T) {
	ctx := context.Background()
	rdb := sharedRedis(t)
	hash := "ring-test:" + runID + ":hash"
	t.Cleanup(func() { rdb.Del(context.Background(), hash) })
	var runs counter
	r := ring.Must(ring.Func1(loadProfile(&runs), ring.Storage(redisstore.NewHash(rdb, hash)), ring.Coder("json"), ring.KeyPrefix("p")))
	for range 2 {
		v, err := r.Call(ctx, 4)
		require.NoError(t, err)
		require.Equal(t, "user4", v.Name)
	}
	require.EqualValues(t, 1, runs.get())
	fields, err := rdb.HKeys(ctx, hash).Result()
	require.NoError(t, err)
	require.Equal(t, []string{"p:4"}, fields)
	vals, err := r.Many().GetOrUpdate(ctx, []int{4, 5})
	require.NoError(t, err)
	require.Equal(t, "user5", vals[1].Name)

	// No per-field expiry before Redis 7.4: a clear error when the ring is
	// built, not a silent persistent entry.
	_, err = ring.Func1(loadProfile(&runs), ring.Storage(redisstore.NewHash(rdb, hash)), ring.Coder("json"), ring.KeyPrefix("e"), ring.Expire(time.Minute))
	require.ErrorIs(t, err, backends.ErrNotSupported)
	require.ErrorContains(t, err, "Expire(1m0s)")
	require.ErrorContains(t, err, "per-field expiry needs Redis 7.4")
}

// TestCorruptRemoteBytes: foreign bytes under a ring's key are a miss,
// reported, never a panic.
func TestCorruptRemoteBytes(t *testing.T) {
	ctx := context.Background()
	rdb := sharedRedis(t)
	var ev events
	var runs counter
	for _, coder := range []string{"json", "gob"} {
		r := ring.Must(ring.Func1(loadProfile(&runs), ring.Storage(redisstore.New(rdb)), ring.Coder(coder),
			ring.KeyPrefix("ring-test:"+runID+":corrupt:"+coder), ring.OnError(ev.hook)))
		key, _ := r.Key(1)
		require.NoError(t, rdb.Set(ctx, key, "\x00\xffnot "+coder, time.Minute).Err())
		_, found, err := r.Get(ctx, 1)
		require.NoError(t, err)
		require.False(t, found)
		v, err := r.Call(ctx, 1)
		require.NoError(t, err)
		require.Equal(t, "user1", v.Name)
		require.NoError(t, r.Delete(ctx, 1))
	}
	require.Contains(t, ev.ops(), "decode")
}

// faultRun makes Calls while the server goes away and comes back: every
// Call returns the function's result, failures reach the hook, and caching
// resumes once the server is back, with no restart of the program.
func faultRun(t *testing.T, opt ring.Option, stop, restart func()) {
	ctx := context.Background()
	var runs counter
	var failures atomic.Int64
	r := ring.Must(ring.Func1(loadProfile(&runs), opt, ring.Coder("json"), ring.KeyPrefix("fault"),
		ring.OnError(func(ev ring.Event) { failures.Add(1) })))
	check := func(id int) {
		t.Helper()
		v, err := r.Call(ctx, id)
		require.NoError(t, err)
		require.Equal(t, fmt.Sprintf("user%d", id), v.Name)
	}
	for i := range 5 {
		check(i % 2)
	}
	require.EqualValues(t, 2, runs.get(), "cached while the server is up")
	require.EqualValues(t, 0, failures.Load())

	stop()
	for i := range 5 {
		check(i % 2)
	}
	require.EqualValues(t, 7, runs.get(), "every call runs the function while the server is down")
	require.GreaterOrEqual(t, failures.Load(), int64(5), "the failures reach the hook")

	restart()
	require.Eventually(t, func() bool {
		_, err := r.Update(ctx, 0)
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "the same client reconnects")
	before := runs.get()
	for range 5 {
		check(0)
	}
	require.Equal(t, before, runs.get(), "caching resumed")
}

func TestRedisFault(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), DialTimeout: 200 * time.Millisecond,
		ReadTimeout: 200 * time.Millisecond, WriteTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	faultRun(t, ring.Storage(redisstore.New(rdb)), srv.Stop, srv.Restart)
}

func TestMemcacheFault(t *testing.T) {
	srv := servertest.StartMemcached(t)
	mc := memcache.New(srv.Addr())
	mc.Timeout = 200 * time.Millisecond
	t.Cleanup(func() { _ = mc.Close() })
	faultRun(t, ring.Storage(memcachestore.New(mc)), srv.Stop, srv.Restart)
}

// TestMemcacheBulkFault stops memcached under the pipelined bulk forms:
// Many().GetOrUpdate still returns the function's results, the failures reach
// the hook, and after a restart caching resumes with the same backend.
func TestMemcacheBulkFault(t *testing.T) {
	srv := servertest.StartMemcached(t)
	ss := new(memcache.ServerList)
	require.NoError(t, ss.SetServers(srv.Addr()))
	mc := memcache.NewFromSelector(ss)
	mc.Timeout = 200 * time.Millisecond
	t.Cleanup(func() { _ = mc.Close() })
	ctx := context.Background()
	var runs counter
	var failures atomic.Int64
	r := ring.Must(ring.Func1(loadProfile(&runs), ring.Storage(memcachestore.New(mc, memcachestore.WithSelector(ss))), ring.Coder("json"),
		ring.KeyPrefix("bulkfault"), ring.OnError(func(ring.Event) { failures.Add(1) })))
	ids := []int{1, 2, 3}
	names := func(vs []profile) []string {
		out := make([]string, len(vs))
		for i, v := range vs {
			out[i] = v.Name
		}
		return out
	}
	want := []string{"user1", "user2", "user3"}
	for range 3 {
		vs, err := r.Many().GetOrUpdate(ctx, ids)
		require.NoError(t, err)
		require.Equal(t, want, names(vs))
	}
	require.EqualValues(t, 3, runs.get(), "cached while the server is up")
	require.EqualValues(t, 0, failures.Load())

	srv.Stop()
	vs, err := r.Many().GetOrUpdate(ctx, ids)
	require.NoError(t, err, "fail-open")
	require.Equal(t, want, names(vs))
	require.EqualValues(t, 6, runs.get(), "the function runs while the server is down")
	require.GreaterOrEqual(t, failures.Load(), int64(1), "the failures reach the hook")

	srv.Restart()
	vs, err = r.Many().GetOrUpdate(ctx, ids) // on new connections: the failed ones were closed
	require.NoError(t, err)
	require.Equal(t, want, names(vs))
	before := runs.get()
	vs, err = r.Many().GetOrUpdate(ctx, ids)
	require.NoError(t, err)
	require.Equal(t, want, names(vs))
	require.Equal(t, before, runs.get(), "caching resumed")
}

// TestRedisContextCancel: a frozen server does not hold a call past its
// context's deadline, nor past a cancel.
func TestRedisContextCancel(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = rdb.Close() })
	// StorageTimeout(0): the context alone bounds the calls here (the
	// storage timeout is tested in guard_test.go and outage_test.go).
	r := ring.Must(ring.Func1(loadProfile(&counter{}), ring.Storage(redisstore.New(rdb)), ring.Coder("json"), ring.KeyPrefix("cancel"), ring.StorageTimeout(0)))
	require.NoError(t, rdb.Ping(context.Background()).Err())
	srv.Pause()
	defer srv.Resume()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := r.Get(ctx, 1)
	require.Error(t, err)
	require.Less(t, time.Since(start), 2*time.Second, "the call stops with its context, not the 10s read timeout")

	// A cancel (no deadline): go-redis alone would wait for its read
	// timeout; the ring's backend returns at once.
	cctx, ccancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, ccancel)
	start = time.Now()
	_, _, err = r.Get(cctx, 1)
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, time.Since(start), 2*time.Second)

	// Call returns as soon as its context ends too: the read is cut short
	// (reported, fail-open), and no flight starts for a caller whose
	// context is done, so it returns the context's error.
	cctx, ccancel = context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, ccancel)
	start = time.Now()
	_, err = r.Call(cctx, 2)
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, time.Since(start), 2*time.Second)
	srv.Resume() // let the abandoned reads finish before the leak check
}

// TestMemcacheContextCancel: gomemcache takes no context; the ring's
// backend still returns as soon as the context ends.
func TestMemcacheContextCancel(t *testing.T) {
	srv := servertest.StartMemcached(t)
	mc := memcache.New(srv.Addr())
	mc.Timeout = 5 * time.Second
	t.Cleanup(func() { _ = mc.Close() })
	r := ring.Must(ring.Func1(loadProfile(&counter{}), ring.Storage(memcachestore.New(mc)), ring.Coder("json"), ring.KeyPrefix("cancel"), ring.StorageTimeout(0)))
	_, err := r.Call(context.Background(), 1)
	require.NoError(t, err)
	srv.Pause()
	defer srv.Resume()
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, _, err = r.Get(ctx, 1)
	require.ErrorIs(t, err, context.Canceled)
	require.Less(t, time.Since(start), 2*time.Second, "not the client's 5s timeout")
	srv.Resume()
}

// TestRedisSentinelRing: a failover client found through a real Sentinel,
// through the same Redis factory and through a redis+sentinel:// URL.
func TestRedisSentinelRing(t *testing.T) {
	addrs, master := servertest.RedisSentinel(t)
	rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: master, SentinelAddrs: addrs})
	t.Cleanup(func() { _ = rdb.Close() })
	remoteSubFunctions(t, ring.Storage(redisstore.New(rdb)))

	ctx := context.Background()
	url := "redis+sentinel://" + strings.Join(addrs, ",") + "/" + master
	r := ring.Must(ring.Func1(loadProfile(&counter{}), openURL(t, url), ring.Coder("json"), ring.KeyPrefix("ring-test:"+runID+":sentinel-url")))
	t.Cleanup(func() {
		if c, ok := r.Cache().Storage().(backends.Closer); ok {
			_ = c.Close()
		}
	})
	v, err := r.Call(ctx, 8)
	require.NoError(t, err)
	require.Equal(t, "user8", v.Name)
	key, _ := r.Key(8)
	// The entry is on the master the sentinels named.
	b, err := rdb.Get(ctx, key).Bytes()
	require.NoError(t, err)
	require.Contains(t, string(b), `"user8"`)
	require.NoError(t, r.Delete(ctx, 8))
}

// TestRemoteCache: the typed cache on Redis (Clear by SCAN, only the
// prefix) and memcached (Clear refused: it cannot enumerate keys).
func TestRemoteCache(t *testing.T) {
	ctx := context.Background()
	rdb := sharedRedis(t)
	prefix := "ring-test:" + runID + ":cache:"
	c, err := ring.NewCache[profile](ring.Storage(redisstore.New(rdb)), ring.Coder("msgpack+zstd"), ring.KeyPrefix(prefix))
	require.NoError(t, err)
	other := "ring-test:" + runID + ":other"
	require.NoError(t, rdb.Set(ctx, other, "keep me", time.Minute).Err())
	t.Cleanup(func() { rdb.Del(context.Background(), other) })

	require.NoError(t, c.SetMany(ctx, map[string]profile{"a": {ID: 1}, "b": {ID: 2}}, time.Minute))
	written, err := c.Set(ctx, "a", profile{ID: 9}, ring.SetOptions{IfNotExists: true})
	require.NoError(t, err)
	require.False(t, written)
	got, err := c.GetMany(ctx, "a", "b", "c")
	require.NoError(t, err)
	require.Equal(t, map[string]profile{"a": {ID: 1}, "b": {ID: 2}}, got)
	require.NoError(t, c.ExpireIn(ctx, "a", 0))
	ttl, err := rdb.TTL(ctx, prefix+"a").Result()
	require.NoError(t, err)
	require.Equal(t, time.Duration(-1), ttl, "ExpireIn 0 makes the entry persistent")
	existed, err := c.Delete(ctx, "b")
	require.NoError(t, err)
	require.True(t, existed)
	existed, err = c.Delete(ctx, "b")
	require.NoError(t, err)
	require.False(t, existed)

	require.NoError(t, c.Clear(ctx))
	n, err := rdb.Exists(ctx, prefix+"a").Result()
	require.NoError(t, err)
	require.Zero(t, n)
	v, err := rdb.Get(ctx, other).Result()
	require.NoError(t, err)
	require.Equal(t, "keep me", v, "Clear removes only the cache's own keys")

	m, err := ring.NewCache[string](ring.Storage(memcachestore.New(sharedMemcache(t))), ring.KeyPrefix(prefix))
	require.NoError(t, err)
	_, err = m.Set(ctx, "x", "y", ring.SetOptions{TTL: time.Minute})
	require.NoError(t, err)
	require.ErrorIs(t, m.Clear(ctx), backends.ErrNotSupported)
	existed, err = m.Delete(ctx, "x")
	require.NoError(t, err)
	require.True(t, existed)
}

func TestDiskRing(t *testing.T) {
	dir := t.TempDir()
	open := func() *diskstore.Store {
		d, err := diskstore.New(dir)
		require.NoError(t, err)
		return d
	}
	d := open()
	remoteSubFunctions(t, ring.Storage(d))

	// The entries survive a restart of the program.
	ctx := context.Background()
	var runs counter
	mk := func(d *diskstore.Store) *ring.Ring1[int, profile] {
		return ring.Must(ring.Func1(loadProfile(&runs), ring.Storage(d), ring.Coder("gob"), ring.KeyPrefix("persist")))
	}
	_, err := mk(d).Call(ctx, 3)
	require.NoError(t, err)
	require.NoError(t, d.Close())
	d = open()
	t.Cleanup(func() { _ = d.Close() })
	v, err := mk(d).Call(ctx, 3)
	require.NoError(t, err)
	require.Equal(t, "user3", v.Name)
	require.EqualValues(t, 1, runs.get(), "served from disk after the reopen")
}

// TestDiskOptionSameDir builds rings with two separate Disk options of one
// directory (and a disk:// URL of it) in one process: they share the open
// file instead of waiting for a lock the process already holds.
func TestDiskOptionSameDir(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	var runs counter
	a, err := ring.Func1(loadProfile(&runs), diskOpt(t, dir), ring.Coder("gob"), ring.KeyPrefix("p"))
	require.NoError(t, err)
	b, err := ring.Func1(loadProfile(&runs), diskOpt(t, dir), ring.Coder("gob"), ring.KeyPrefix("p"))
	require.NoError(t, err)
	c, err := ring.Func1(loadProfile(&runs), openURL(t, "disk://"+dir), ring.Coder("gob"), ring.KeyPrefix("p"))
	require.NoError(t, err)
	t.Cleanup(func() {
		for _, r := range []*ring.Ring1[int, profile]{a, b, c} {
			_ = r.Cache().Storage().(backends.Closer).Close()
		}
	})
	_, err = a.Call(ctx, 4)
	require.NoError(t, err)
	for _, r := range []*ring.Ring1[int, profile]{b, c} {
		v, found, err := r.Get(ctx, 4)
		require.NoError(t, err)
		require.True(t, found, "the entry written through the first option")
		require.Equal(t, "user4", v.Name)
	}
}
