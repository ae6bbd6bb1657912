package ring_test

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// BenchmarkBatchFill fills 100 misses: with a batch function's ring
// (Batch, Many().GetOrUpdate), with a one-ID function's Many().GetOrUpdate
// (Func1), and with 100 Calls of Func1 one after the other. It reports the
// function's calls and the storage round trips per fill beside the time.
// Each fill asks 100 new IDs; on Redis the entries expire after 10 s.
func BenchmarkBatchFill(b *testing.B) {
	all := ids(0, 100)
	var calls atomic.Int64
	batchFn := func(_ context.Context, ids []int) (map[int]string, error) {
		calls.Add(1)
		m := make(map[int]string, len(ids))
		for _, id := range ids {
			m[id] = fmt.Sprintf("v%d", id)
		}
		return m, nil
	}
	oneFn := func(_ context.Context, id int) (string, error) {
		calls.Add(1)
		return fmt.Sprintf("v%d", id), nil
	}
	type backend struct {
		name  string
		opt   func(prefix string) []ring.Option
		trips func() int64
		reset func()
	}
	// Each fill asks 100 IDs no fill asked before: 100 misses.
	next := 0
	lru := newTripLRU(b)
	backendsToRun := []backend{{
		name:  "lru",
		opt:   func(string) []ring.Option { return []ring.Option{ring.Storage(lru)} },
		trips: lru.trips.Load,
		reset: lru.reset,
	}}
	if os.Getenv(servertest.EnvRedisAddr) != "" {
		rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(b), ContextTimeoutEnabled: true})
		b.Cleanup(func() { _ = rdb.Close() })
		hook := &redisTrips{}
		rdb.AddHook(hook)
		backendsToRun = append(backendsToRun, backend{
			name: "redis",
			opt: func(string) []ring.Option {
				return []ring.Option{ring.Storage(redisstore.New(rdb)), ring.Coder("json"), ring.Expire(10 * time.Second)}
			},
			trips: func() int64 { n, _ := hook.trips(); return int64(n) },
			reset: hook.reset,
		})
	}
	for _, be := range backendsToRun {
		prefix := fmt.Sprintf("ring-bench:batch:%d:%s", time.Now().UnixNano(), be.name)
		batch := ring.Must(ring.Batch(batchFn, append(be.opt(prefix), ring.KeyPrefix(prefix+":batch"))...))
		one := ring.Must(ring.Func1(oneFn, append(be.opt(prefix), ring.KeyPrefix(prefix+":one"))...))
		for _, v := range []struct {
			name string
			r    *ring.Ring1[int, string]
			fill func(ctx context.Context, r *ring.Ring1[int, string], ids []int) error
		}{
			{"batch-many", batch, func(ctx context.Context, r *ring.Ring1[int, string], ids []int) error {
				_, err := r.Many().GetOrUpdate(ctx, ids)
				return err
			}},
			{"func1-many", one, func(ctx context.Context, r *ring.Ring1[int, string], ids []int) error {
				_, err := r.Many().GetOrUpdate(ctx, ids)
				return err
			}},
			{"func1-calls", one, func(ctx context.Context, r *ring.Ring1[int, string], ids []int) error {
				for _, id := range ids {
					if _, err := r.Call(ctx, id); err != nil {
						return err
					}
				}
				return nil
			}},
		} {
			b.Run(be.name+"/"+v.name, func(b *testing.B) {
				ctx := context.Background()
				calls.Store(0)
				be.reset()
				fill := make([]int, len(all))
				b.ReportAllocs()
				n := 0
				for b.Loop() {
					for i := range fill {
						fill[i] = next + i
					}
					next += len(fill)
					if err := v.fill(ctx, v.r, fill); err != nil {
						b.Fatal(err)
					}
					n++
				}
				b.ReportMetric(float64(calls.Load())/float64(n), "calls/op")
				b.ReportMetric(float64(be.trips())/float64(n), "trips/op")
			})
		}
	}
}
