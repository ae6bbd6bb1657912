package ring_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ringcache/ring"
)

// negLookup is lookup with a not-found outcome: qty 0 names nothing.
func negLookup(ctx context.Context, item string, qty int) (string, error) {
	if qty == 0 {
		return "", fmt.Errorf("%s: %w", item, ring.ErrNotFound)
	}
	return lookup(ctx, item, qty)
}

// BenchmarkNegativeHit compares a Call served by a negative entry with a
// Call served by a value, on the same ring (NegativeCache) and on a ring
// without the option, on an LRU with and without a coder. Every entry
// expires (a negative entry always does), so each hit reads the clock.
func BenchmarkNegativeHit(b *testing.B) {
	ctx := context.Background()
	for _, s := range []struct {
		name string
		opts []ring.Option
	}{
		{"lru", []ring.Option{ring.LRU(1024), ring.Expire(time.Hour)}},
		{"lru+json", []ring.Option{ring.LRU(1024), ring.Coder("json"), ring.Expire(time.Hour)}},
	} {
		plain := ring.Must(ring.Func2(negLookup, append(s.opts, ring.KeyPrefix("plain"))...))
		neg := ring.Must(ring.Func2(negLookup, append(s.opts, ring.KeyPrefix("neg"), ring.NegativeCache(time.Hour))...))
		for _, c := range []struct {
			name string
			r    *ring.Ring2[string, int, string]
			qty  int
		}{
			{"value-hit-without-option", plain, 42},
			{"value-hit", neg, 42},
			{"negative-hit", neg, 0},
		} {
			b.Run(s.name+"/"+c.name, func(b *testing.B) {
				_, _ = c.r.Call(ctx, "apple", c.qty)
				b.ReportAllocs()
				for b.Loop() {
					if _, err := c.r.Call(ctx, "apple", c.qty); (err != nil) != (c.qty == 0) {
						b.Fatal(err)
					}
				}
			})
		}
	}
}

// TestNegativeHitAllocations pins the allocations of a negative hit (the
// key string alone, as TestHitAllocations pins for a plain hit) and of a
// value hit on a ring with NegativeCache (as many as on a ring without).
func TestNegativeHitAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under -race; run without it")
	}
	ctx := context.Background()
	for name, opts := range map[string][]ring.Option{
		"lru":      {ring.LRU(16)},
		"lru+json": {ring.LRU(16), ring.Coder("json")},
	} {
		allocs := func(r *ring.Ring2[string, int, string], qty int) float64 {
			_, _ = r.Call(ctx, "apple", qty)
			return testing.AllocsPerRun(1000, func() { _, _ = r.Call(ctx, "apple", qty) })
		}
		plain := ring.Must(ring.Func2(negLookup, append(opts, ring.KeyPrefix("plain"))...))
		neg := ring.Must(ring.Func2(negLookup, append(opts, ring.KeyPrefix("neg"), ring.NegativeCache(time.Hour))...))
		if got := allocs(neg, 0); got > 1 {
			t.Errorf("%s: %v allocations per negative hit, want at most 1", name, got)
		}
		if got, want := allocs(neg, 42), allocs(plain, 42); got > want {
			t.Errorf("%s: %v allocations per value hit with NegativeCache, %v without", name, got, want)
		}
	}
}
