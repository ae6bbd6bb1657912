package ring_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// BenchmarkTTLManySet measures Many().Set of 100 entries that each get
// their own time-to-live (TTLFunc, ExpireJitter) on the real servers:
// "before" is what a bulk write with a per-entry ttl did until issue 11,
// one write per entry (here a loop of Set, which sends the same commands);
// the others are one bulk write (backends.SetManyTTL). "expire" is the bulk
// write with one ttl for all, for comparison. Run with:
//
//	scripts/test.sh bench   # or, with the servers' addresses set:
//	go test -run '^$' -bench TTLManySet -benchmem -count 5 .
func BenchmarkTTLManySet(b *testing.B) {
	b.Run("redis", func(b *testing.B) {
		rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(b), ContextTimeoutEnabled: os.Getenv("BENCH_REDIS_DEFAULTS") == ""})
		defer rdb.Close()
		benchTTLManySet(b, ring.Storage(redisstore.New(rdb)))
	})
	b.Run("memcache", func(b *testing.B) {
		ss := new(memcache.ServerList)
		if err := ss.SetServers(servertest.MemcacheAddrs(b)[:1]...); err != nil {
			b.Fatal(err)
		}
		mc := memcache.NewFromSelector(ss)
		defer mc.Close()
		benchTTLManySet(b, ring.Storage(memcachestore.New(mc, memcachestore.WithSelector(ss))))
	})
}

func benchTTLManySet(b *testing.B, storage ring.Option) {
	ctx := context.Background()
	ids := bulkIDs()
	values := make([]string, len(ids))
	for i, id := range ids {
		values[i], _ = word(ctx, id)
	}
	ttlFunc := ring.TTLFunc(func(_ string, v any) time.Duration { return time.Minute + time.Duration(len(v.(string)))*time.Second })
	build := func(name string, opts ...ring.Option) *ring.Ring1[int, string] {
		return ring.Must(ring.Func1(word, append([]ring.Option{storage, ring.KeyPrefix("bench:" + runID + ":" + name)}, opts...)...))
	}
	for _, c := range []struct {
		name string
		r    *ring.Ring1[int, string]
		loop bool
	}{
		{"before-loop-ttlfunc-jitter", build("loop", ttlFunc, ring.ExpireJitter(0.1)), true},
		{"many-ttlfunc", build("ttlfunc", ttlFunc), false},
		{"many-jitter", build("jitter", ring.Expire(time.Minute), ring.ExpireJitter(0.1)), false},
		{"many-ttlfunc-jitter", build("both", ttlFunc, ring.ExpireJitter(0.1)), false},
		{"many-expire", build("expire", ring.Expire(time.Minute)), false},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if c.loop {
					for i, id := range ids {
						if err := c.r.Set(ctx, values[i], id); err != nil {
							b.Fatal(err)
						}
					}
					continue
				}
				if err := c.r.Many().Set(ctx, values, ids); err != nil {
					b.Fatal(err)
				}
			}
		})
		_ = c.r.Many().Delete(ctx, ids)
	}
}
