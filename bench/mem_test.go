package bench

// The in-process store under load (issue 14, part 2): parallel hits on one
// key and on a 64-goroutine mix, memory per entry, and Zipf workloads,
// ring (its strict LRU and its Concurrent store) against otter v2 and
// ristretto v2. Run them in one interleaved invocation and compare ratios:
//
//	cd bench && go test -run '^$' -bench 'Mem' -benchmem -count 6 | tee mem.txt
//	benchstat -col /lib mem.txt
//
// docs/benchmarks.md ("In-process stores under load") has the figures.

import (
	"context"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/dgraph-io/ristretto/v2"
	"github.com/maypok86/otter/v2"

	"github.com/ringcache/ring"
)

// memLib is one contender: build returns the cached lookup of a cache
// holding at most size entries, with the expiry ttl (0: none).
type memLib struct {
	name  string
	build func(tb testing.TB, size int, ttl time.Duration) lookupFunc
}

func memLibs() []memLib {
	return []memLib{
		{"ring-lru", func(tb testing.TB, size int, ttl time.Duration) lookupFunc {
			return ringWith(tb, ring.LRU(size), ttl)
		}},
		{"ring-concurrent", func(tb testing.TB, size int, ttl time.Duration) lookupFunc {
			return ringWith(tb, ring.Concurrent(size), ttl)
		}},
		{"otter", func(tb testing.TB, size int, ttl time.Duration) lookupFunc {
			c := newOtter[string](tb, size, ttl)
			// GetIfPresent, and on a miss the function and Set, with the
			// same hand-written key as the other peers.
			return func(ctx context.Context, item string, qty int) (string, error) {
				k := key("lookup", item, qty)
				if v, ok := c.GetIfPresent(k); ok {
					return v, nil
				}
				v, err := lookup(ctx, item, qty)
				if err == nil {
					c.Set(k, v)
				}
				return v, err
			}
		}},
		{"ristretto", func(tb testing.TB, size int, ttl time.Duration) lookupFunc {
			c := newRistretto[string](tb, size)
			return func(ctx context.Context, item string, qty int) (string, error) {
				k := key("lookup", item, qty)
				if v, ok := c.Get(k); ok {
					return v, nil
				}
				v, err := lookup(ctx, item, qty)
				if err == nil {
					c.SetWithTTL(k, v, 1, ttl)
				}
				return v, err
			}
		}},
	}
}

func ringWith(tb testing.TB, storage ring.Option, ttl time.Duration) lookupFunc {
	opts := []ring.Option{storage, ring.KeyPrefix("lookup")}
	if ttl > 0 {
		opts = append(opts, ring.Expire(ttl))
	}
	r := ring.Must(ring.Func2(lookup, opts...))
	if k, err := r.Key(item, qty); err != nil || k != key("lookup", item, qty) {
		tb.Fatalf("ring's key is %q (%v), want the others' %q", k, err, key("lookup", item, qty))
	}
	return r.Call
}

func newOtter[V any](tb testing.TB, size int, ttl time.Duration) *otter.Cache[string, V] {
	o := &otter.Options[string, V]{MaximumSize: size}
	if ttl > 0 {
		o.ExpiryCalculator = otter.ExpiryWriting[string, V](ttl)
	}
	c := otter.Must(o)
	tb.Cleanup(func() { c.StopAllGoroutines() })
	return c
}

// newRistretto follows ristretto's README: ten counters per entry, a cost
// of 1 per entry, 64 items per buffer.
func newRistretto[V any](tb testing.TB, size int) *ristretto.Cache[string, V] {
	c, err := ristretto.NewCache(&ristretto.Config[string, V]{
		NumCounters: 10 * int64(size), MaxCost: int64(size), BufferItems: 64,
		IgnoreInternalCost: true, Metrics: true,
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(c.Close)
	return c
}

// BenchmarkMemHit is a hit on one key from 2 goroutines (par=1 on two
// cores: b.RunParallel starts GOMAXPROCS goroutines per unit) and from 64
// (par=32), with and without a one-minute expiry.
func BenchmarkMemHit(b *testing.B) {
	for _, ttl := range []time.Duration{0, expiry} {
		for _, par := range []int{1, 32} {
			for _, lib := range memLibs() {
				name := "expiry=none"
				if ttl > 0 {
					name = "expiry=1m"
				}
				b.Run(name+"/goroutines="+strconv.Itoa(par*runtime.GOMAXPROCS(0))+"/lib="+lib.name, func(b *testing.B) {
					call := lib.build(b, size, ttl)
					warmMem(b, call)
					start := fetches.Load()
					b.ReportAllocs()
					b.SetParallelism(par)
					b.ResetTimer()
					b.RunParallel(func(pb *testing.PB) {
						ctx := context.Background()
						for pb.Next() {
							_, _ = call(ctx, item, qty)
						}
					})
					b.StopTimer()
					allHits(b, start)
				})
			}
		}
	}
}

// warmMem makes the call that fills the cache and waits until a second
// one hits (ristretto applies its writes in the background).
func warmMem(tb testing.TB, call lookupFunc) {
	ctx := context.Background()
	for range 1000 {
		before := fetches.Load()
		if _, err := call(ctx, item, qty); err != nil {
			tb.Fatal(err)
		}
		if fetches.Load() == before {
			return
		}
		time.Sleep(time.Millisecond)
	}
	tb.Fatal("the cache never served a hit")
}

// BenchmarkMemMix is 64 goroutines on 100 hot keys, with one call in ten
// a miss (a key never asked for before) that runs the function and
// stores its result; the caches hold 1024 entries and expire entries after
// a minute.
func BenchmarkMemMix(b *testing.B) {
	for _, lib := range memLibs() {
		b.Run("lib="+lib.name, func(b *testing.B) {
			call := lib.build(b, size, expiry)
			ctx := context.Background()
			for n := range 100 {
				_, _ = call(ctx, item, n)
			}
			var cold atomic.Int64
			cold.Store(1000)
			b.ReportAllocs()
			b.SetParallelism(64 / runtime.GOMAXPROCS(0))
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				i := 0
				for pb.Next() {
					i++
					n := i % 100
					if i%10 == 0 {
						n = int(cold.Add(1))
					}
					_, _ = call(ctx, item, n)
				}
			})
		})
	}
}

// BenchmarkMemMixInterleaved is BenchmarkMemMix's workload for ring's
// Concurrent store and otter in interleaved bursts of 64000 calls by 64
// goroutines (interleave: the contenders take turns within every
// iteration, in a rotating order), so that the machine's drift, which
// moves separate benchmarks by 10% to 40% on a shared machine, falls on
// both alike. Of every ten calls one asks for a key its cache was never
// asked for (the function runs and its result is stored), nine for hot
// keys (i%100, as in BenchmarkMemMix: the 90 that are not multiples of
// ten); the caches hold 1024 entries and expire entries after a minute. It reports each one's time per call and ring-concurrent/otter.
//
//	cd bench && go test -run '^$' -bench MemMixInterleaved -benchtime 20x -count 6 .
func BenchmarkMemMixInterleaved(b *testing.B) {
	var cs []hotContender
	for _, lib := range memLibs() {
		if lib.name != "ring-concurrent" && lib.name != "otter" {
			continue
		}
		call := lib.build(b, size, expiry)
		cold := new(atomic.Int64)
		cold.Store(1000) // above the hot keys: never asked before
		cs = append(cs, hotContender{lib.name, func(ctx context.Context, i int) error {
			n := i % 100
			if i%10 == 0 {
				n = int(cold.Add(1))
			}
			v, err := call(ctx, item, n)
			if err == nil && v != item+strconv.Itoa(n) {
				b.Errorf("%s: key %d: got %q", lib.name, n, v)
			}
			return err
		}})
	}
	for _, c := range cs {
		for i := range 100 {
			if i%10 != 0 { // the hot keys the calls ask for
				if err := c.call(context.Background(), i); err != nil {
					b.Fatal(err)
				}
			}
		}
	}
	interleave(b, cs, hotGoroutines, 64000, "otter", func(int) int { return 0 })
}

// BenchmarkMemEntry fills a cache of n entries (keys and values made
// beforehand and kept alive, so that only what the cache adds is counted)
// and reports the heap it holds after a GC, per entry held.
func BenchmarkMemEntry(b *testing.B) {
	for _, n := range []int{100_000, 1_000_000} {
		keys := make([]string, n)
		for i := range keys {
			keys[i] = key("lookup", item, i)
		}
		const value = "apple42"
		fills := map[string]func(tb testing.TB) (held func() int){
			"ring-lru": func(tb testing.TB) func() int {
				c, err := ring.NewCache[string](ring.LRU(n))
				if err != nil {
					tb.Fatal(err)
				}
				for _, k := range keys {
					_, _ = c.Set(context.Background(), k, value, ring.SetOptions{})
				}
				return func() int { return lenOf(c.Storage()) }
			},
			"ring-concurrent": func(tb testing.TB) func() int {
				c, err := ring.NewCache[string](ring.Concurrent(n))
				if err != nil {
					tb.Fatal(err)
				}
				for _, k := range keys {
					_, _ = c.Set(context.Background(), k, value, ring.SetOptions{})
				}
				return func() int { return lenOf(c.Storage()) }
			},
			"otter": func(tb testing.TB) func() int {
				c := newOtter[string](tb, n, 0)
				for _, k := range keys {
					c.Set(k, value)
				}
				return func() int { c.CleanUp(); return c.EstimatedSize() }
			},
			"ristretto": func(tb testing.TB) func() int {
				c := newRistretto[string](tb, n)
				for _, k := range keys {
					for !c.Set(k, value, 1) {
						c.Wait() // a full buffer drops the set: wait and retry
					}
				}
				c.Wait()
				return func() int { return int(c.Metrics.KeysAdded() - c.Metrics.KeysEvicted()) }
			},
		}
		for _, lib := range []string{"ring-lru", "ring-concurrent", "otter", "ristretto"} {
			b.Run("entries="+strconv.Itoa(n)+"/lib="+lib, func(b *testing.B) {
				var perEntry float64
				for b.Loop() {
					before := heap()
					held := fills[lib](b)
					after := heap()
					h := held()
					perEntry = float64(after-before) / float64(h)
					b.ReportMetric(float64(h), "entries")
					runtime.KeepAlive(held)
				}
				b.ReportMetric(perEntry, "B/entry")
			})
		}
		runtime.KeepAlive(keys)
	}
}

type lener interface{ Len() int }

func lenOf(s any) int { return s.(lener).Len() }

func heap() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// BenchmarkMemZipf runs a Zipf-distributed stream of keys (s = 1.01 over
// ten times as many keys as the cache holds) through each cache from
// b.RunParallel, a miss running the function and storing its result. It
// reports the hit ratio next to ns/op.
//
// The trace is 16 draws per entry the cache holds (at least 2^20), so that
// its distinct keys never all fit: the first half warms the cache, and the
// measured calls read on from the second half, keys the cache has not been
// warmed with, wrapping around the trace when b.N is larger than it.
func BenchmarkMemZipf(b *testing.B) {
	for _, n := range []int{1_000, 100_000, 1_000_000} {
		size := 1 << 20
		for size < 16*n {
			size <<= 1
		}
		trace := make([]int32, size)
		z := rand.NewZipf(rand.New(rand.NewPCG(1, 2)), 1.01, 1, uint64(10*n-1))
		for i := range trace {
			trace[i] = int32(z.Uint64())
		}
		for _, lib := range memLibs() {
			b.Run("entries="+strconv.Itoa(n)+"/lib="+lib.name, func(b *testing.B) {
				call := lib.build(b, n, 0)
				ctx := context.Background()
				for _, k := range trace[:size/2] {
					_, _ = call(ctx, item, int(k))
				}
				var offset atomic.Int64
				offset.Store(int64(size/2) - 1<<16)
				start := fetches.Load()
				b.ReportAllocs()
				b.ResetTimer()
				b.RunParallel(func(pb *testing.PB) {
					// Each goroutine reads its own stretch of the second half.
					i := int(offset.Add(1<<16)) & (size - 1)
					for pb.Next() {
						i = (i + 1) & (size - 1)
						_, _ = call(ctx, item, int(trace[i]))
					}
				})
				b.StopTimer()
				b.ReportMetric(1-float64(fetches.Load()-start)/float64(b.N), "hit-ratio")
			})
		}
	}
}
