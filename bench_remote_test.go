package ring_test

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// The remote benchmarks of the backends issue, against the real servers
// that scripts/test.sh starts. Run them with:
//
//	scripts/test.sh bench
//
// which runs go test -run '^$' -bench 'Redis|Memcache' -benchmem with the
// servers' addresses set. Numbers and the machine are in docs/benchmarks.md.

const bulkN = 100

func word(ctx context.Context, id int) (string, error) { return "value-" + strconv.Itoa(id), nil }

func bulkIDs() []int {
	ids := make([]int, bulkN)
	for i := range ids {
		ids[i] = i
	}
	return ids
}

// remoteBulk runs the ring side of the bulk comparison: the sequential
// Calls, Many().Get and Many().GetOrUpdate, all hits.
func remoteBulk(b *testing.B, r *ring.Ring1[int, string]) {
	ctx := context.Background()
	ids := bulkIDs()
	if _, err := r.Many().GetOrUpdate(ctx, ids); err != nil {
		b.Fatal(err)
	}
	b.Run("ring-call-hit", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Call(ctx, 7); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ring-call-hit-cancelable-ctx", func(b *testing.B) {
		// A context that can end: the backend's Cancelable wrapper runs
		// the call in a goroutine so that it can return at a cancel.
		cctx, cancel := context.WithCancel(ctx)
		defer cancel()
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Call(cctx, 7); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ring-100-calls", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			for _, id := range ids {
				if _, err := r.Call(ctx, id); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	b.Run("ring-getmany-100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			_, found, err := r.Many().Get(ctx, ids)
			if err != nil || !found[bulkN-1] {
				b.Fatal(err, found) // found is nil with an error: not found[bulkN-1]
			}
		}
	})
	b.Run("ring-getorupdatemany-100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Many().GetOrUpdate(ctx, ids); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkRedis(b *testing.B) {
	ctx := context.Background()
	// ContextTimeoutEnabled, as Open sets it: go-redis then stops a call at
	// its deadline by itself, and the StorageTimeout of each operation
	// costs no goroutine (see backends.Cancelable). BENCH_REDIS_DEFAULTS=1
	// measures a client with go-redis's defaults instead.
	rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(b), ContextTimeoutEnabled: os.Getenv("BENCH_REDIS_DEFAULTS") == ""})
	defer rdb.Close()
	r := ring.Must(ring.Func1(word, ring.Storage(redisstore.New(rdb)), ring.KeyPrefix("bench:"+runID)))
	remoteBulk(b, r)
	keys, err := r.Many().Key(bulkIDs())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("raw-mget-100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			vals, err := rdb.MGet(ctx, keys...).Result()
			if err != nil || vals[bulkN-1] == nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := rdb.Get(ctx, keys[7]).Err(); err != nil {
				b.Fatal(err)
			}
		}
	})
	interleaved(b, r, func() error { return rdb.MGet(ctx, keys...).Err() })
	_ = r.Many().Delete(ctx, bulkIDs())
}

// interleaved measures the bulk forms against the raw bulk command and 100
// sequential Calls in alternation, one of each per iteration, and reports
// the ratios of their total times: the servers and the machine are shared,
// and alternating cancels the drift that separate runs suffer from.
func interleaved(b *testing.B, r *ring.Ring1[int, string], raw func() error) {
	ctx := context.Background()
	ids := bulkIDs()
	b.Run("interleaved", func(b *testing.B) {
		var tRaw, tGet, tGou, tCalls time.Duration
		timed := func(d *time.Duration, f func() error) {
			start := time.Now()
			if err := f(); err != nil {
				b.Fatal(err)
			}
			*d += time.Since(start)
		}
		for b.Loop() {
			timed(&tRaw, raw)
			timed(&tGet, func() error { _, _, err := r.Many().Get(ctx, ids); return err })
			timed(&tGou, func() error { _, err := r.Many().GetOrUpdate(ctx, ids); return err })
			timed(&tCalls, func() error {
				for _, id := range ids {
					if _, err := r.Call(ctx, id); err != nil {
						return err
					}
				}
				return nil
			})
		}
		b.ReportMetric(float64(tGet)/float64(tRaw), "getmany/raw")
		b.ReportMetric(float64(tGou)/float64(tRaw), "getorupdatemany/raw")
		b.ReportMetric(float64(tCalls)/float64(tGou), "calls/getorupdatemany")
	})
}

func BenchmarkMemcache(b *testing.B) {
	addrs := servertest.MemcacheAddrs(b)
	b.Run("servers=all", func(b *testing.B) { benchMemcache(b, addrs) })
	b.Run("servers=1", func(b *testing.B) { benchMemcache(b, addrs[:1]) })
}

// benchMemcache runs the memcached comparison on the given servers: with
// several, gomemcache's GetMulti fans out to one goroutine per server. The
// ring has the client's selector, so its bulk forms use its own pipelined
// reads (memcachestore.WithSelector).
func benchMemcache(b *testing.B, addrs []string) {
	ss := new(memcache.ServerList)
	if err := ss.SetServers(addrs...); err != nil {
		b.Fatal(err)
	}
	mc := memcache.NewFromSelector(ss)
	defer mc.Close()
	r := ring.Must(ring.Func1(word, ring.Storage(memcachestore.New(mc, memcachestore.WithSelector(ss))), ring.KeyPrefix("bench:"+runID)))
	remoteBulk(b, r)
	keys, err := r.Many().Key(bulkIDs())
	if err != nil {
		b.Fatal(err)
	}
	b.Run("raw-getmulti-100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			items, err := mc.GetMulti(keys)
			if err != nil || len(items) != bulkN {
				b.Fatal(err, len(items))
			}
		}
	})
	b.Run("raw-get", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := mc.Get(keys[7]); err != nil {
				b.Fatal(err)
			}
		}
	})
	// Concurrent bulk reads: each caller takes a connection per server
	// from the backend's pool (gomemcache's for GetMulti).
	ctxB := context.Background()
	b.Run("ring-getmany-100-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, _, err := r.Many().Get(ctxB, bulkIDs()); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	b.Run("raw-getmulti-100-parallel", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				if _, err := mc.GetMulti(keys); err != nil {
					b.Fatal(err)
				}
			}
		})
	})
	// Writes: gomemcache has no multi-key set, so the raw side is 100 Sets;
	// ring's Many().Set pipelines them.
	ctx := context.Background()
	ids := bulkIDs()
	values := make([]string, bulkN)
	for i := range values {
		values[i], _ = word(ctx, i)
	}
	b.Run("ring-setmany-100", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if err := r.Many().Set(ctx, values, ids); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("raw-100-sets", func(b *testing.B) {
		b.ReportAllocs()
		item := &memcache.Item{Value: []byte("value")}
		for b.Loop() {
			for _, k := range keys {
				item.Key = k
				if err := mc.Set(item); err != nil {
					b.Fatal(err)
				}
			}
		}
	})
	if err := r.Many().Set(ctx, values, ids); err != nil { // the raw Sets wrote other bytes
		b.Fatal(err)
	}
	interleaved(b, r, func() error { _, err := mc.GetMulti(keys); return err })
	_ = r.Many().Delete(context.Background(), bulkIDs())
}
