package ring_test

import (
	"context"
	"testing"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/observe"
)

// BenchmarkObserveHit is the in-process hit (BenchmarkCallHit's ring)
// without observation, with WithStats, and with an observer that does
// nothing, on one goroutine and in parallel (docs/observability.md).
func BenchmarkObserveHit(b *testing.B) {
	ctx := context.Background()
	for _, c := range []struct {
		name string
		opts []ring.Option
	}{
		{"none", nil},
		{"stats", []ring.Option{ring.WithStats()}},
		{"noop-observer", []ring.Option{ring.Observe(observe.Base{})}},
	} {
		r := ring.Must(ring.Func2(lookup, append([]ring.Option{ring.LRU(1024), ring.KeyPrefix("lookup")}, c.opts...)...))
		_, _ = r.Call(ctx, "apple", 42)
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Call(ctx, "apple", 42); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(c.name+"-parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if _, err := r.Call(ctx, "apple", 42); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
