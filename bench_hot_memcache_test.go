package ring_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/internal/servertest"
)

// BenchmarkMemcacheHotInterleaved: 1000 hot keys on one memcached, all
// hits, read in bursts of 4000 calls by 64 goroutines (parallel=64) and of
// 500 by one (parallel=1): ring's Call against gomemcache's Get of the
// same keys (no decode), one burst of each per iteration, alternating.
// ring runs on the Store's default, autopipelined Gets
// (memcachestore.AutoPipeline); ring-noap is the same ring with
// AutoPipeline(false), each Get a get of its own.
//
//	scripts/test.sh bench   # or: go test -run '^$' -bench MemcacheHotInterleaved -benchtime 5x -count 6
func BenchmarkMemcacheHotInterleaved(b *testing.B) {
	addrs := servertest.MemcacheAddrs(b)
	ss := new(memcache.ServerList)
	if err := ss.SetServers(addrs[0]); err != nil {
		b.Fatal(err)
	}
	mc := memcache.NewFromSelector(ss)
	mc.MaxIdleConns = 64
	defer mc.Close()
	r := ring.Must(ring.Func1(word, ring.Storage(memcachestore.New(mc, memcachestore.WithSelector(ss))),
		ring.KeyPrefix("benchhot:"+runID), ring.Expire(10*time.Minute)))
	const hot = 1000
	ids := make([]int, hot)
	for i := range ids {
		ids[i] = i
	}
	ctx := context.Background()
	if _, err := r.Many().GetOrUpdate(ctx, ids); err != nil {
		b.Fatal(err)
	}
	defer func() { _ = r.Many().Delete(ctx, ids) }()
	keys, err := r.Many().Key(ids)
	if err != nil {
		b.Fatal(err)
	}
	rOff := ring.Must(ring.Func1(word, ring.Storage(memcachestore.New(mc, memcachestore.WithSelector(ss), memcachestore.AutoPipeline(false))),
		ring.KeyPrefix("benchhot:"+runID), ring.Expire(10*time.Minute)))
	ringCall := func(i int) error { _, err := r.Call(ctx, i%hot); return err }
	ringOff := func(i int) error { _, err := rOff.Call(ctx, i%hot); return err }
	rawGet := func(i int) error { _, err := mc.Get(keys[i%hot]); return err }
	burst := func(call func(int) error, g, n int) time.Duration {
		var wg sync.WaitGroup
		t0 := time.Now()
		for w := range g {
			wg.Go(func() {
				for j := w; j < n; j += g {
					if err := call(j); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		return time.Since(t0)
	}
	for _, p := range []struct {
		name string
		g, n int
	}{{"parallel=64", 64, 4000}, {"parallel=1", 1, 500}} {
		b.Run(p.name, func(b *testing.B) {
			var tRing, tOff, tRaw time.Duration
			iter := 0
			for ; b.Loop(); iter++ {
				if iter%2 == 0 {
					tRing += burst(ringCall, p.g, p.n)
					tOff += burst(ringOff, p.g, p.n)
					tRaw += burst(rawGet, p.g, p.n)
				} else {
					tRaw += burst(rawGet, p.g, p.n)
					tOff += burst(ringOff, p.g, p.n)
					tRing += burst(ringCall, p.g, p.n)
				}
			}
			b.ReportMetric(float64(tRing.Nanoseconds())/float64(iter*p.n), "ring-ns/op")
			b.ReportMetric(float64(tRaw.Nanoseconds())/float64(iter*p.n), "gomemcache-get-ns/op")
			b.ReportMetric(float64(tRing)/float64(tRaw), "ring/gomemcache-get")
			b.ReportMetric(float64(tOff)/float64(tRaw), "ring-noap/gomemcache-get")
			b.ReportMetric(0, "ns/op")
		})
	}
}
