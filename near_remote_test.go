package ring_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// nearRing is a ring on Redis client rdb with a near tier, and its
// function's run counter. The store is closed with the test.
func nearRing(t *testing.T, rdb redis.UniversalClient, maxStale time.Duration, opts ...ring.Option) (*ring.Ring1[int, string], *counter) {
	t.Helper()
	var runs counter
	st := redisstore.New(rdb)
	t.Cleanup(func() { _ = st.Close() })
	fn := func(ctx context.Context, id int) (string, error) {
		runs.add()
		return "computed", nil
	}
	opts = append([]ring.Option{ring.Storage(st), ring.Coder("json"), ring.KeyPrefix("near:" + runID + ":" + t.Name()),
		ring.Near(1000, maxStale), ring.StorageTimeout(2 * time.Second)}, opts...)
	r, err := ring.Func1(fn, opts...)
	require.NoError(t, err)
	ring.WaitNearLive(t, r.Cache())
	return r, &runs
}

// eventually waits until cond holds, or fails after d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not after %v", what, d)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

// nearKept calls r with id until its near tier holds the entry: the
// invalidation of the fill's own write may drop the first reads'
// reservations.
func nearKept(t *testing.T, r *ring.Ring1[int, string], id int) {
	t.Helper()
	key := r.Cache().Key(fmt.Sprint(id))
	eventually(t, 5*time.Second, "near copy of "+key, func() bool {
		_, err := r.Call(context.Background(), id)
		require.NoError(t, err)
		return ring.NearHasForTest(r.Cache(), key)
	})
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestNearHitNeedsNoServer: a near hit is served while the server is paused
// (CLIENT PAUSE), so it never reached Redis; a key not in the tier waits.
func TestNearHitNeedsNoServer(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	r, runs := nearRing(t, rdb, time.Minute, ring.StorageTimeout(50*time.Millisecond))
	v, err := r.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "computed", v)
	nearKept(t, r, 1)
	require.NoError(t, rdb.Do(ctx, "CLIENT", "PAUSE", "1000", "ALL").Err())
	start := time.Now()
	for range 1000 {
		v, err = r.Call(ctx, 1)
		require.NoError(t, err)
		require.Equal(t, "computed", v)
	}
	require.Less(t, time.Since(start), 500*time.Millisecond, "near hits waited for the paused server")
	require.EqualValues(t, 1, runs.get())
}

// TestNearEveryWriterInvalidates: a change of the key by any writer drops
// the near copy: another go-redis client, another ring (with its own
// store), redis-cli and a Python program speaking RESP on a socket.
func TestNearEveryWriterInvalidates(t *testing.T) {
	addr := servertest.RedisAddr(t)
	rdb := sharedRedis(t)
	ctx := context.Background()
	r, _ := nearRing(t, rdb, time.Minute)
	prefix := "near:" + runID + ":" + t.Name()
	other := redis.NewClient(&redis.Options{Addr: addr})
	t.Cleanup(func() { _ = other.Close() })
	otherStore := redisstore.New(other)
	t.Cleanup(func() { _ = otherStore.Close() })
	otherRing, err := ring.Func1(func(ctx context.Context, id int) (string, error) { return "", nil },
		ring.Storage(otherStore), ring.Coder("json"), ring.KeyPrefix(prefix))
	require.NoError(t, err)
	host, port, _ := strings.Cut(addr, ":")
	writers := map[string]func(key, value string){
		"go-redis": func(key, value string) { require.NoError(t, other.Set(ctx, key, jsonString(value), 0).Err()) },
		"ring":     func(key, value string) { require.NoError(t, otherRing.Set(ctx, value, mustAtoi(t, key))) },
		"redis-cli": func(key, value string) {
			out, err := exec.Command("redis-cli", "-h", host, "-p", port, "SET", key, jsonString(value)).CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.Equal(t, "OK", strings.TrimSpace(string(out)))
		},
		"python": func(key, value string) {
			out, err := exec.Command("python3", "-c", pythonSet, host, port, key, jsonString(value)).CombinedOutput()
			require.NoError(t, err, "%s", out)
			require.Equal(t, "+OK", strings.TrimSpace(string(out)))
		},
	}
	id := 0
	for name, write := range writers {
		t.Run(name, func(t *testing.T) {
			id++
			nearKept(t, r, id)
			key := r.Cache().Key(fmt.Sprint(id))
			if name == "ring" {
				key = fmt.Sprint(id) // otherRing builds the key itself
			}
			write(key, "by "+name)
			d := eventually(t, time.Second, "new value after a write by "+name, func() bool {
				v, err := r.Call(ctx, id)
				require.NoError(t, err)
				return v == "by "+name
			})
			t.Logf("%s: new value seen after %v", name, d)
		})
	}
}

// pythonSet writes argv[3] = argv[4] on the Redis at argv[1]:argv[2] with a
// RESP SET on a plain socket (no client library).
const pythonSet = `
import socket, sys
host, port, key, value = sys.argv[1], int(sys.argv[2]), sys.argv[3].encode(), sys.argv[4].encode()
parts = [b"SET", key, value]
cmd = b"*%d\r\n" % len(parts) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
s = socket.create_connection((host, port))
s.sendall(cmd)
print(s.recv(64).decode().strip())
`

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	require.NoError(t, err)
	return n
}

// TestNearOwnWrites: the ring's own Set, Update and Delete, and its Cache's
// Set, are seen by the very next Call, without waiting for Redis.
func TestNearOwnWrites(t *testing.T) {
	for name, mk := range map[string]func(t *testing.T) ring.Option{
		"redis": func(t *testing.T) ring.Option { return ring.Storage(redisstore.New(sharedRedis(t))) },
		"lru":   func(t *testing.T) ring.Option { return ring.LRU(100) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			var n atomic.Int64
			fn := func(ctx context.Context, id int) (string, error) { return fmt.Sprint("run", n.Add(1)), nil }
			r, err := ring.Func1(fn, mk(t), ring.Coder("json"), ring.KeyPrefix("near:"+runID+":"+t.Name()), ring.Near(100, time.Minute))
			require.NoError(t, err)
			ring.WaitNearLive(t, r.Cache())
			defer func() {
				if c, ok := r.Cache().Storage().(interface{ Close() error }); ok {
					_ = c.Close()
				}
			}()
			nearKept(t, r, 1)
			require.NoError(t, r.Set(ctx, "set", 1))
			v, err := r.Call(ctx, 1)
			require.NoError(t, err)
			require.Equal(t, "set", v)
			nearKept(t, r, 1)
			u, err := r.Update(ctx, 1)
			require.NoError(t, err)
			v, err = r.Call(ctx, 1)
			require.NoError(t, err)
			require.Equal(t, u, v)
			nearKept(t, r, 1)
			_, err = r.Cache().Set(ctx, "1", "cache set", ring.SetOptions{})
			require.NoError(t, err)
			v, err = r.Call(ctx, 1)
			require.NoError(t, err)
			require.Equal(t, "cache set", v)
			nearKept(t, r, 1)
			require.NoError(t, r.Delete(ctx, 1))
			v, err = r.Call(ctx, 1)
			require.NoError(t, err)
			require.NotEqual(t, "cache set", v, "Delete left the near copy")
		})
	}
}

// trackingClients returns the ids of the tracking connections on srv.
func trackingIDs(t *testing.T, rdb *redis.Client) []string {
	t.Helper()
	list, err := rdb.ClientList(context.Background()).Result()
	require.NoError(t, err)
	var ids []string
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " name="+redisstore.TrackingName+" ") {
			for _, f := range strings.Fields(line) {
				if id, ok := strings.CutPrefix(f, "id="); ok {
					ids = append(ids, id)
				}
			}
		}
	}
	return ids
}

// TestNearReconnectFlushes: invalidations sent while the tracking
// connection is down are lost, so the tier is flushed when it drops and
// again when tracking is back: a write made right after CLIENT KILL of the
// tracking connection is seen long before maxStale.
func TestNearReconnectFlushes(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	r, _ := nearRing(t, rdb, time.Minute)
	for round := range 3 {
		nearKept(t, r, 1)
		ids := trackingIDs(t, rdb)
		require.Len(t, ids, 1)
		require.NoError(t, rdb.Do(ctx, "CLIENT", "KILL", "ID", ids[0]).Err())
		want := fmt.Sprint("after kill ", round)
		require.NoError(t, rdb.Set(ctx, r.Cache().Key("1"), jsonString(want), 0).Err())
		eventually(t, time.Second, "fresh value after CLIENT KILL", func() bool {
			v, err := r.Call(ctx, 1)
			require.NoError(t, err)
			return v == want
		})
		ring.WaitNearLive(t, r.Cache()) // tracking is back: copies are kept again
	}
}

// TestNearFlushDB: FLUSHDB arrives as a null invalidation: the tier is
// emptied.
func TestNearFlushDB(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	r, runs := nearRing(t, rdb, time.Minute)
	nearKept(t, r, 1)
	nearKept(t, r, 2)
	require.EqualValues(t, 2, runs.get())
	require.NoError(t, rdb.FlushDB(ctx).Err())
	eventually(t, time.Second, "near tier emptied by FLUSHDB", func() bool {
		return ring.NearLenForTest(r.Cache()) == 0
	})
	_, err := r.Call(ctx, 1)
	require.NoError(t, err)
	require.EqualValues(t, 3, runs.get(), "the flushed entry was served from the near tier")
}

// TestNearServerTTL: a near copy never outlives the entry's time left on
// Redis, even when Redis does not report the expiry (active expiry off).
func TestNearServerTTL(t *testing.T) {
	srv := servertest.StartRedis(t, "--enable-debug-command", "yes")
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	require.NoError(t, rdb.Do(ctx, "DEBUG", "SET-ACTIVE-EXPIRE", "0").Err())
	r, runs := nearRing(t, rdb, time.Minute, ring.Expire(400*time.Millisecond))
	nearKept(t, r, 1)
	key := r.Cache().Key("1")
	pttl, err := rdb.PTTL(ctx, key).Result()
	require.NoError(t, err)
	time.Sleep(pttl + 10*time.Millisecond)
	require.False(t, ring.NearHasForTest(r.Cache(), key), "the near copy outlived the server's TTL")
	before := runs.get()
	_, err = r.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, before+1, runs.get())
}

// TestNearMaxStale: on a storage without invalidations (memcached, an
// in-process store shared by two rings) a change by another writer is
// not seen until maxStale has passed, and is seen right after.
func TestNearMaxStale(t *testing.T) {
	for name, storage := range map[string]func(t *testing.T) ring.Option{
		"memcached": func(t *testing.T) ring.Option { return ring.Storage(memcachestore.New(sharedMemcache(t))) },
		"lru":       func(t *testing.T) ring.Option { return ring.LRU(100) },
	} {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			st := storage(t)
			// Unique per run: with -count > 1 a memcached key of an earlier run
			// would still hold "changed".
			prefix := ring.KeyPrefix(fmt.Sprintf("near:%s:%s:%d:", runID, t.Name(), time.Now().UnixNano()))
			fn := func(ctx context.Context, id int) (string, error) { return "computed", nil }
			const maxStale = 300 * time.Millisecond
			r, err := ring.Func1(fn, st, ring.Coder("json"), prefix, ring.Near(100, maxStale))
			require.NoError(t, err)
			w, err := ring.Func1(fn, st, ring.Coder("json"), prefix)
			require.NoError(t, err)
			if name == "lru" { // one LRU per ring: share the first ring's
				w, err = ring.Func1(fn, ring.Storage(r.Cache().Storage()), ring.Coder("json"), prefix)
				require.NoError(t, err)
			}
			nearKept(t, r, 1)
			start := time.Now()
			require.NoError(t, w.Set(ctx, "changed", 1))
			v, err := r.Call(ctx, 1)
			require.NoError(t, err)
			if time.Since(start) < maxStale/2 {
				require.Equal(t, "computed", v, "no invalidation here: the copy is served until maxStale")
			}
			d := eventually(t, 2*maxStale, "the other writer's value", func() bool {
				v, err := r.Call(ctx, 1)
				require.NoError(t, err)
				return v == "changed"
			})
			require.LessOrEqual(t, time.Since(start), maxStale+100*time.Millisecond, "seen after %v", d)
		})
	}
}

// TestNearSentinelAndCluster: tracking through a Sentinel-managed master,
// and on every master of a cluster: a write through a plain connection to
// the master that holds the key (any node, for the cluster) drops the copy.
func TestNearSentinelAndCluster(t *testing.T) {
	t.Run("sentinel", func(t *testing.T) {
		addrs, master := servertest.RedisSentinel(t)
		rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: master, SentinelAddrs: addrs})
		t.Cleanup(func() { _ = rdb.Close() })
		r, _ := nearRing(t, rdb, time.Minute)
		writer := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: master, SentinelAddrs: addrs})
		t.Cleanup(func() { _ = writer.Close() })
		nearWrites(t, r, 5, func(key, value string) error { return writer.Set(context.Background(), key, value, 0).Err() })
	})
	t.Run("cluster", func(t *testing.T) {
		r, _ := nearRing(t, sharedCluster(t), time.Minute)
		writer := redis.NewClusterClient(&redis.ClusterOptions{Addrs: servertest.RedisClusterAddrs(t)})
		t.Cleanup(func() { _ = writer.Close() })
		// 30 keys spread over the masters; each written by a connection to
		// the master that holds it.
		nearWrites(t, r, 30, func(key, value string) error {
			m, err := writer.MasterForKey(context.Background(), key)
			if err != nil {
				return err
			}
			return m.Set(context.Background(), key, value, 0).Err()
		})
	})
}

// nearWrites keeps n keys in r's near tier, changes each with write, and
// checks that every change is seen within a second.
func nearWrites(t *testing.T, r *ring.Ring1[int, string], n int, write func(key, value string) error) {
	t.Helper()
	ctx := context.Background()
	for id := range n {
		nearKept(t, r, id)
	}
	for id := range n {
		want := fmt.Sprint("written ", id)
		require.NoError(t, write(r.Cache().Key(fmt.Sprint(id)), jsonString(want)))
		eventually(t, time.Second, "write of key "+fmt.Sprint(id), func() bool {
			v, err := r.Call(ctx, id)
			require.NoError(t, err)
			return v == want
		})
	}
}

// nearCache is a Cache[int] on the shared Redis with a near tier, live.
func nearCache(t *testing.T, prefix string) *ring.Cache[int] {
	t.Helper()
	st := redisstore.New(sharedRedis(t))
	t.Cleanup(func() { _ = st.Close() })
	c, err := ring.NewCache[int](ring.Storage(st), ring.Coder("json"), ring.KeyPrefix(prefix), ring.Near(1000, time.Minute))
	require.NoError(t, err)
	ring.WaitNearLive(t, c)
	return c
}

// TestNearNoStaleReads: writers on connections of their own change keys
// while readers read them through the near tier. A read that starts once
// the invalidation delay (staleBound) has passed after a write was
// acknowledged must return that write's value or a newer one.
func TestNearNoStaleReads(t *testing.T) {
	const (
		nKeys      = 8
		nReaders   = 4
		staleBound = 100 * time.Millisecond
		runFor     = 1500 * time.Millisecond
	)
	prefix := "near:" + runID + ":" + t.Name() + ":"
	c := nearCache(t, prefix)
	addr := servertest.RedisAddr(t)
	type ack struct {
		v  int
		at time.Time
	}
	var mu sync.Mutex
	acks := make([][]ack, nKeys)
	ctx, cancel := context.WithTimeout(context.Background(), runFor)
	defer cancel()
	var wg sync.WaitGroup
	for k := range nKeys {
		w := redis.NewClient(&redis.Options{Addr: addr})
		defer w.Close()
		require.NoError(t, w.Set(context.Background(), prefix+fmt.Sprint(k), 0, 0).Err())
		wg.Go(func() {
			for v := 1; ctx.Err() == nil; v++ {
				if err := w.Set(context.Background(), prefix+fmt.Sprint(k), v, 0).Err(); err != nil {
					t.Error(err)
					return
				}
				mu.Lock()
				acks[k] = append(acks[k], ack{v, time.Now()})
				mu.Unlock()
				time.Sleep(time.Duration(v%5) * time.Millisecond)
			}
		})
	}
	var reads, stale, hits atomic.Int64
	for g := range nReaders {
		wg.Go(func() {
			for i := g; ctx.Err() == nil; i++ {
				k := i % nKeys
				start := time.Now()
				hit := ring.NearHasForTest(c, prefix+fmt.Sprint(k))
				v, ok, err := c.Get(context.Background(), fmt.Sprint(k))
				if err != nil || !ok {
					t.Errorf("get %d: %v %v", k, ok, err)
					return
				}
				reads.Add(1)
				if hit {
					hits.Add(1)
				}
				mu.Lock()
				last := 0
				for _, a := range acks[k] {
					if a.at.Before(start.Add(-staleBound)) {
						last = a.v
					}
				}
				mu.Unlock()
				if v < last {
					stale.Add(1)
					t.Errorf("key %d: read %d, but %d was acknowledged more than %v before the read", k, v, last, staleBound)
				}
			}
		})
	}
	wg.Wait()
	t.Logf("%d reads (%d near hits), %d stale", reads.Load(), hits.Load(), stale.Load())
	require.Zero(t, stale.Load())
	require.Positive(t, hits.Load(), "the near tier served nothing")
}

// TestNearInvalidationDelay measures the time from a write by another
// client (its start) until a near read sees the new value: p50 and p99 on
// loopback, logged (go test -run TestNearInvalidationDelay -v).
func TestNearInvalidationDelay(t *testing.T) {
	prefix := "near:" + runID + ":" + t.Name() + ":"
	c := nearCache(t, prefix)
	w := sharedRedis(t)
	ctx := context.Background()
	const n = 300
	for k := range 10 {
		require.NoError(t, w.Set(ctx, prefix+fmt.Sprint(k), -1, 0).Err())
	}
	delays := make([]time.Duration, 0, n)
	for i := 1; i <= n; i++ {
		key := fmt.Sprint(i % 10)
		for !ring.NearHasForTest(c, prefix+key) { // a copy to invalidate
			_, _, err := c.Get(ctx, key)
			require.NoError(t, err)
		}
		start := time.Now()
		require.NoError(t, w.Set(ctx, prefix+key, i, 0).Err())
		for {
			v, _, err := c.Get(ctx, key)
			require.NoError(t, err)
			if v == i {
				break
			}
			require.Less(t, time.Since(start), time.Second, "write %d not seen", i)
		}
		delays = append(delays, time.Since(start))
	}
	slices.Sort(delays)
	t.Logf("invalidation delay over %d writes: p50 %v, p99 %v, max %v", n, delays[n/2], delays[n*99/100], delays[n-1])
}

// BenchmarkNearHit compares a near hit on Redis with an in-process LRU hit
// (run both in one invocation: go test -bench 'NearHit|LRUHitSame').
func BenchmarkNearHit(b *testing.B) {
	rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(b)})
	defer rdb.Close()
	st := redisstore.New(rdb)
	defer st.Close()
	r := ring.Must(ring.Func1(func(ctx context.Context, id int) (string, error) { return "value", nil },
		ring.Storage(st), ring.Coder("json"), ring.KeyPrefix("near:"+runID+":bench"), ring.Near(1000, time.Minute)))
	ring.WaitNearLive(b, r.Cache())
	ctx := context.Background()
	key := r.Cache().Key("1")
	for !ring.NearHasForTest(r.Cache(), key) {
		_, _ = r.Call(ctx, 1)
	}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = r.Call(ctx, 1)
	}
}

// BenchmarkLRUHitSame is BenchmarkNearHit's reference: the same ring on an
// in-process LRU.
func BenchmarkLRUHitSame(b *testing.B) {
	r := ring.Must(ring.Func1(func(ctx context.Context, id int) (string, error) { return "value", nil }, ring.LRU(1000)))
	ctx := context.Background()
	_, _ = r.Call(ctx, 1)
	b.ReportAllocs()
	for b.Loop() {
		_, _ = r.Call(ctx, 1)
	}
}
