package ring_test

import (
	"context"
	"testing"

	"github.com/ringcache/ring"
)

// BenchmarkCallMiss measures the miss path of Call: the read, the single
// flight, the function and the write. The Dummy storage keeps nothing, so
// every Call misses. Run it with:
//
//	go test -run '^$' -bench 'CallMiss' -benchmem -count 5 .
func BenchmarkCallMiss(b *testing.B) {
	ctx := context.Background()
	b.Run("dummy", func(b *testing.B) {
		r := ring.Must(ring.Func2(lookup, ring.Dummy(), ring.KeyPrefix("lookup")))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := r.Call(ctx, "apple", 42); err != nil {
				b.Fatal(err)
			}
		}
	})
}
