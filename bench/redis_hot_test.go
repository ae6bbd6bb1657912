package bench

import (
	"context"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/rueidis"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
)

// Hot Redis keys under concurrency: 1000 keys, all hits, read by 64
// goroutines at once (b.SetParallelism, so 64 whatever GOMAXPROCS is) and
// by one. Each value is a Quote that ring wrote with msgpack (32 bytes).
//
//	cd bench && RING_REDIS_ADDR=127.0.0.1:16379 go test -run '^$' -bench RedisHot -benchmem -count 6
//
// The contenders:
//   - ring: ring's Call with redisstore.New(rdb), go-redis's pool (one
//     connection per concurrent call);
//   - ring-autopipeline: the same with redisstore.AutoPipeline();
//   - go-redis-get: a raw GET with the same client, no decode;
//   - go-redis-autopipeline-get: a raw GET on go-redis's blocking
//     AutoPipeline(), no decode;
//   - rueidis-do: rueidis's Do(GET), which always pipelines, no decode;
//   - rueidis-docache: rueidis's DoCache(GET) with its client-side cache,
//     for reference (it answers from process memory after the first read).
//
// ring's rows also decode the msgpack value and build the key; the raw rows
// do neither.
const hotKeys = 1000

// hotTimeout is the StorageTimeout of ring's contenders: long enough that
// a busy machine does not make a hit fail open (and count as a miss); the
// benchmarks time the hit path, not fail-open.
const hotTimeout = 2 * time.Second

// hotGoroutines is the concurrency of the parallel runs.
const hotGoroutines = 64

type hotCall func(ctx context.Context, i int) error

// hotQuote is the function ring caches for the hot keys.
func hotQuote(_ context.Context, id int) (Quote, error) {
	fetches.Add(1)
	return Quote{Item: "q", Qty: id, Price: 1.25 * float64(id)}, nil
}

type hotSetup struct {
	rdb    *redis.Client
	prefix string
	keys   []string
}

// newHotSetup writes the hot keys with ring (default store) and returns
// their names.
func newHotSetup(tb testing.TB) *hotSetup {
	rdb := redisClient(tb)
	h := &hotSetup{rdb: rdb, prefix: "hot-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	r := ring.Must(ring.Func1(hotQuote, ring.Storage(redisstore.New(rdb)), ring.Coder("msgpack"),
		ring.KeyPrefix(h.prefix), ring.Expire(10*time.Minute), ring.StorageTimeout(hotTimeout)))
	ctx := context.Background()
	h.keys = make([]string, hotKeys)
	for i := range hotKeys {
		if _, err := r.Call(ctx, i); err != nil {
			tb.Fatal(err)
		}
		k, err := r.Key(i)
		if err != nil {
			tb.Fatal(err)
		}
		h.keys[i] = k
	}
	tb.Cleanup(func() { _ = rdb.Del(context.Background(), h.keys...).Err() })
	return h
}

func (h *hotSetup) ring(tb testing.TB, opts ...redisstore.Option) hotCall {
	r := ring.Must(ring.Func1(hotQuote, ring.Storage(redisstore.New(h.rdb, opts...)), ring.Coder("msgpack"),
		ring.KeyPrefix(h.prefix), ring.Expire(10*time.Minute), ring.StorageTimeout(hotTimeout)))
	return func(ctx context.Context, i int) error {
		i %= hotKeys
		q, err := r.Call(ctx, i)
		if err == nil && q.Qty != i {
			tb.Errorf("key %d: got %+v", i, q)
		}
		return err
	}
}

func (h *hotSetup) goRedisGet(tb testing.TB, c redis.Cmdable) hotCall {
	return func(ctx context.Context, i int) error {
		b, err := c.Get(ctx, h.keys[i%hotKeys]).Bytes()
		if err == nil && len(b) == 0 {
			tb.Errorf("key %d: empty", i)
		}
		return err
	}
}

func rueidisClient(tb testing.TB, addrs []string) rueidis.Client {
	c, err := rueidis.NewClient(rueidis.ClientOption{InitAddress: addrs})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

func (h *hotSetup) rueidisDo(tb testing.TB, c rueidis.Client) hotCall {
	return func(ctx context.Context, i int) error {
		b, err := c.Do(ctx, c.B().Get().Key(h.keys[i%hotKeys]).Build()).AsBytes()
		if err == nil && len(b) == 0 {
			tb.Errorf("key %d: empty", i)
		}
		return err
	}
}

func (h *hotSetup) rueidisDoCache(tb testing.TB, c rueidis.Client) hotCall {
	return func(ctx context.Context, i int) error {
		b, err := c.DoCache(ctx, c.B().Get().Key(h.keys[i%hotKeys]).Cache(), time.Minute).AsBytes()
		if err == nil && len(b) == 0 {
			tb.Errorf("key %d: empty", i)
		}
		return err
	}
}

type hotContender struct {
	name string
	call hotCall
}

// hotContenders builds every contender on one setup.
func hotContenders(b *testing.B, h *hotSetup) []hotContender {
	ap, err := h.rdb.AutoPipeline()
	if err != nil {
		b.Fatal(err)
	}
	rc := rueidisClient(b, []string{os.Getenv("RING_REDIS_ADDR")})
	return []hotContender{
		{"ring", h.ring(b)},
		{"ring-autopipeline", h.ring(b, redisstore.AutoPipeline())},
		{"go-redis-get", h.goRedisGet(b, h.rdb)},
		{"go-redis-autopipeline-get", h.goRedisGet(b, ap)},
		{"rueidis-do", h.rueidisDo(b, rc)},
		{"rueidis-docache", h.rueidisDoCache(b, rc)},
	}
}

func warmHot(b *testing.B, cs []hotContender) {
	for _, c := range cs {
		for i := range hotKeys { // rueidis's cache; ring's nothing
			if err := c.call(context.Background(), i); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkRedisHot times one read of a hot key, by 64 goroutines at once
// (parallel=64) and by one (parallel=1), each contender on its own: these
// give allocations and absolute times; compare contenders with
// BenchmarkRedisHotInterleaved, where the machine's drift cancels.
func BenchmarkRedisHot(b *testing.B) {
	h := newHotSetup(b)
	ctx := context.Background()
	start := fetches.Load()
	cs := hotContenders(b, h)
	warmHot(b, cs)
	for _, c := range cs {
		b.Run(c.name+"/parallel=64", func(b *testing.B) {
			b.ReportAllocs()
			b.SetParallelism(max(1, hotGoroutines/runtime.GOMAXPROCS(0)))
			var next atomic.Int64
			b.RunParallel(func(pb *testing.PB) {
				i := int(next.Add(7919)) // a different start per goroutine
				for pb.Next() {
					i = (i + 1) % hotKeys
					if err := c.call(ctx, i); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
		b.Run(c.name+"/parallel=1", func(b *testing.B) {
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				i = (i + 1) % hotKeys
				if err := c.call(ctx, i); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	allHits(b, start)
}

// burst makes n calls of call from g goroutines, the j-th with key
// off+j, and returns how long they took.
func burst(b *testing.B, call hotCall, g, n, off int) time.Duration {
	var wg sync.WaitGroup
	t0 := time.Now()
	for w := range g {
		wg.Go(func() {
			ctx := context.Background()
			for j := w; j < n; j += g {
				if err := call(ctx, off+j); err != nil {
					b.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	return time.Since(t0)
}

// interleave runs the contenders' bursts one after the other in every
// iteration, in a rotating order, and reports each one's time per call
// (<name>-ns/op) and the ratios to base (<name>/<base>): drift of the
// machine between the bursts of one iteration is small, so the ratios are
// steadier than those of separate benchmarks.
func interleave(b *testing.B, cs []hotContender, g, n int, base string, keys func(iter int) int) {
	total := make([]time.Duration, len(cs))
	iter := 0
	for b.Loop() {
		for k := range cs {
			i := (k + iter) % len(cs)
			total[i] += burst(b, cs[i].call, g, n, keys(iter))
		}
		iter++
	}
	var baseT time.Duration
	for i, c := range cs {
		if c.name == base {
			baseT = total[i]
		}
	}
	for i, c := range cs {
		b.ReportMetric(float64(total[i].Nanoseconds())/float64(iter*n), c.name+"-ns/op")
		if c.name != base && baseT > 0 {
			b.ReportMetric(float64(total[i])/float64(baseT), c.name+"/"+base)
		}
	}
	b.ReportMetric(0, "ns/op")
}

// BenchmarkRedisHotInterleaved compares the contenders of BenchmarkRedisHot
// in bursts of 4000 calls by 64 goroutines (parallel=64) and of 500 calls
// by one (parallel=1), all hits, and ring's Call on misses (a GET, the
// function and a SET; fresh keys every burst) with and without
// autopipelining. The ratios are to rueidis-do (hits) and to ring (misses,
// and ring-only: ring with and without the option, nothing else).
//
//	cd bench && RING_REDIS_ADDR=127.0.0.1:16379 go test -run '^$' -bench RedisHotInterleaved -benchtime 10x -count 6
func BenchmarkRedisHotInterleaved(b *testing.B) {
	h := newHotSetup(b)
	start := fetches.Load()
	cs := hotContenders(b, h)
	warmHot(b, cs)
	hot := func(int) int { return 0 } // the calls take i%hotKeys
	b.Run("hits/parallel=64", func(b *testing.B) { interleave(b, cs, hotGoroutines, 4000, "rueidis-do", hot) })
	b.Run("hits/parallel=1", func(b *testing.B) { interleave(b, cs, 1, 500, "rueidis-do", hot) })
	// ring with and without the option alone: the other contenders'
	// pipeliners (go-redis's blocking face above all) keep goroutines busy
	// after their own bursts, which blurs the single-caller ratios above.
	b.Run("ring-only/parallel=64", func(b *testing.B) { interleave(b, cs[:2], hotGoroutines, 4000, "ring", hot) })
	b.Run("ring-only/parallel=1", func(b *testing.B) { interleave(b, cs[:2], 1, 500, "ring", hot) })
	allHits(b, start)

	// Misses: every burst reads ids no burst has read, stored for 10s.
	var fresh atomic.Int64
	fresh.Store(1 << 30)
	miss := func(opts ...redisstore.Option) hotCall {
		r := ring.Must(ring.Func1(hotQuote, ring.Storage(redisstore.New(h.rdb, opts...)), ring.Coder("msgpack"),
			ring.KeyPrefix(h.prefix+"-miss"), ring.Expire(10*time.Second), ring.StorageTimeout(hotTimeout)))
		return func(ctx context.Context, i int) error {
			_, err := r.Call(ctx, i)
			return err
		}
	}
	ms := []hotContender{{"ring", miss()}, {"ring-autopipeline", miss(redisstore.AutoPipeline())}}
	for _, p := range []struct {
		name string
		g, n int
	}{{"misses/parallel=64", hotGoroutines, 4000}, {"misses/parallel=1", 1, 500}} {
		b.Run(p.name, func(b *testing.B) {
			interleave(b, ms, p.g, p.n, "ring", func(int) int { return int(fresh.Add(int64(p.n))) })
		})
	}
}

// BenchmarkRedisHotClusterInterleaved is the hits comparison on the Redis
// Cluster named by RING_REDIS_CLUSTER_ADDRS (ring with and without
// autopipelining, rueidis's Do).
func BenchmarkRedisHotClusterInterleaved(b *testing.B) {
	addrs := strings.Split(os.Getenv("RING_REDIS_CLUSTER_ADDRS"), ",")
	if addrs[0] == "" {
		b.Skip("RING_REDIS_CLUSTER_ADDRS not set")
	}
	cc := redis.NewClusterClient(&redis.ClusterOptions{Addrs: addrs, ContextTimeoutEnabled: true})
	b.Cleanup(func() { _ = cc.Close() })
	prefix := "hotc-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	mk := func(opts ...redisstore.Option) *ring.Ring1[int, Quote] {
		return ring.Must(ring.Func1(hotQuote, ring.Storage(redisstore.New(cc, opts...)), ring.Coder("msgpack"),
			ring.KeyPrefix(prefix), ring.Expire(10*time.Minute), ring.StorageTimeout(hotTimeout)))
	}
	r := mk()
	keys := make([]string, hotKeys)
	for i := range hotKeys {
		if _, err := r.Call(context.Background(), i); err != nil {
			b.Fatal(err)
		}
		keys[i], _ = r.Key(i)
	}
	b.Cleanup(func() {
		for _, k := range keys {
			_ = cc.Del(context.Background(), k).Err()
		}
	})
	call := func(r *ring.Ring1[int, Quote]) hotCall {
		return func(ctx context.Context, i int) error { _, err := r.Call(ctx, i%hotKeys); return err }
	}
	rc := rueidisClient(b, addrs)
	do := func(ctx context.Context, i int) error {
		return rc.Do(ctx, rc.B().Get().Key(keys[i%hotKeys]).Build()).Error()
	}
	cs := []hotContender{{"ring", call(r)}, {"ring-autopipeline", call(mk(redisstore.AutoPipeline()))}, {"rueidis-do", do}}
	start := fetches.Load()
	b.Run("hits/parallel=64", func(b *testing.B) { interleave(b, cs, hotGoroutines, 4000, "rueidis-do", func(int) int { return 0 }) })
	b.Run("hits/parallel=1", func(b *testing.B) { interleave(b, cs, 1, 500, "rueidis-do", func(int) int { return 0 }) })
	allHits(b, start)
}
