package ring_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/ringcache/ring"
)

// BenchmarkFreshLatency measures the latency of each Call under steady
// load while entries expire continuously: a function that takes 50ms, 20
// keys, Expire(200ms), 16 goroutines each making a Call every 200µs or so
// on a random key. It reports the p50, p99 and p99.9 latency and the share
// of Calls that waited for the function (over 10ms). With plain expiry,
// every key misses once per 250ms and the Calls that arrive during its
// 50ms fill wait: p99 is the function's time. With RefreshAhead or
// StaleWhileRevalidate, no Call waits once the entries exist. Run it with:
//
//	go test -run '^$' -bench 'FreshLatency' -benchtime 4s .
func BenchmarkFreshLatency(b *testing.B) {
	const keys = 20
	for _, bc := range []struct {
		name string
		opts []ring.Option
	}{
		{"plain", nil},
		{"refresh-ahead", []ring.Option{ring.RefreshAhead(100*time.Millisecond, time.Second)}},
		{"stale-while-revalidate", []ring.Option{ring.StaleWhileRevalidate(time.Second, time.Second)}},
		{"xfetch", []ring.Option{ring.XFetch(2, time.Second)}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			fn := func(ctx context.Context, id int) (string, error) {
				time.Sleep(50 * time.Millisecond)
				return fmt.Sprint(id), nil
			}
			r, err := ring.Func1(fn, append([]ring.Option{ring.LRU(4 * keys), ring.KeyPrefix("latency-" + bc.name),
				ring.Expire(200 * time.Millisecond)}, bc.opts...)...)
			if err != nil {
				b.Fatal(err)
			}
			var wg sync.WaitGroup
			for id := range keys { // warm up: every entry exists
				wg.Add(1)
				go func() { defer wg.Done(); _, _ = r.Call(context.Background(), id) }()
			}
			wg.Wait()
			var mu sync.Mutex
			var all []time.Duration
			b.SetParallelism(8)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				rnd := rand.New(rand.NewPCG(rand.Uint64(), 0))
				lat := make([]time.Duration, 0, 1024)
				for pb.Next() {
					start := time.Now()
					if _, err := r.Call(ctx, rnd.IntN(keys)); err != nil {
						b.Error(err)
						return
					}
					lat = append(lat, time.Since(start))
					time.Sleep(200 * time.Microsecond)
				}
				mu.Lock()
				all = append(all, lat...)
				mu.Unlock()
			})
			b.StopTimer()
			ring.WaitRefreshesForTest(r.Cache())
			slices.Sort(all)
			at := func(q float64) float64 {
				return float64(all[min(len(all)-1, int(q*float64(len(all))))]) / float64(time.Millisecond)
			}
			waited := 0
			for _, d := range all {
				if d > 10*time.Millisecond {
					waited++
				}
			}
			b.ReportMetric(at(0.50), "p50-ms")
			b.ReportMetric(at(0.99), "p99-ms")
			b.ReportMetric(at(0.999), "p99.9-ms")
			b.ReportMetric(100*float64(waited)/float64(len(all)), "waited-%")
			b.ReportMetric(0, "ns/op")
		})
	}
}
