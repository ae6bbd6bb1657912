package ring_test

import (
	"context"
	"crypto/sha256"
	"testing"
	"time"

	"github.com/ringcache/ring"
)

// TestHitAllocations pins the allocations of the hit path: the key string
// is the only one on the LRU; a hit in the near tier or the typed
// Concurrent store looks its key up by bytes and allocates nothing.
func TestHitAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under -race; run without it")
	}
	ctx := context.Background()
	cases := map[string]func() func(){
		"func2": func() func() {
			r := ring.Must(ring.Func2(lookup, ring.LRU(16)))
			_, _ = r.Call(ctx, "apple", 42)
			return func() { _, _ = r.Call(ctx, "apple", 42) }
		},
		"func2-expiring": func() func() {
			r := ring.Must(ring.Func2(lookup, ring.LRU(16), ring.Expire(time.Minute)))
			_, _ = r.Call(ctx, "apple", 42)
			return func() { _, _ = r.Call(ctx, "apple", 42) }
		},
		"func2-concurrent": func() func() {
			r := ring.Must(ring.Func2(lookup, ring.Concurrent(16)))
			_, _ = r.Call(ctx, "apple", 42)
			return func() { _, _ = r.Call(ctx, "apple", 42) }
		},
		"func2-concurrent-expiring": func() func() {
			r := ring.Must(ring.Func2(lookup, ring.Concurrent(16), ring.Expire(time.Minute)))
			_, _ = r.Call(ctx, "apple", 42)
			return func() { _, _ = r.Call(ctx, "apple", 42) }
		},
		"func2-concurrent-ahead": func() func() {
			r := ring.Must(ring.Func2(lookup, ring.Concurrent(16), ring.Expire(time.Hour), ring.RefreshAhead(30*time.Minute, time.Second)))
			_, _ = r.Call(ctx, "apple", 42)
			return func() { _, _ = r.Call(ctx, "apple", 42) }
		},
		"func2-near": func() func() {
			r := ring.Must(ring.Func2(lookup, ring.LRU(16), ring.Near(16, time.Minute)))
			_, _ = r.Call(ctx, "apple", 42)
			_, _ = r.Call(ctx, "apple", 42) // the fill's own write dropped the copy
			return func() { _, _ = r.Call(ctx, "apple", 42) }
		},
		"func2-near-expiring": func() func() {
			r := ring.Must(ring.Func2(lookup, ring.LRU(16), ring.Expire(time.Minute), ring.Near(16, time.Minute)))
			_, _ = r.Call(ctx, "apple", 42)
			_, _ = r.Call(ctx, "apple", 42)
			return func() { _, _ = r.Call(ctx, "apple", 42) }
		},
		"func2-concurrent-hashkeys": func() func() {
			r := ring.Must(ring.Func2(lookup, ring.Concurrent(16), ring.HashKeys(sha256.New)))
			_, _ = r.Call(ctx, "apple", 42)
			return func() { _, _ = r.Call(ctx, "apple", 42) }
		},
		// A plain function's ring is the wire of a function without a
		// receiver, at every arity.
		"func0": func() func() {
			r := ring.Must(ring.Func0(func(ctx context.Context) (string, error) { return "v", nil }, ring.LRU(16)))
			_, _ = r.Call(ctx)
			return func() { _, _ = r.Call(ctx) }
		},
		"func1": func() func() {
			r := ring.Must(ring.Func1(func(ctx context.Context, n int) (string, error) { return "v", nil }, ring.LRU(16)))
			_, _ = r.Call(ctx, 42)
			return func() { _, _ = r.Call(ctx, 42) }
		},
		"func3": func() func() {
			r := ring.Must(ring.Func3(func(ctx context.Context, a string, b, c int) (string, error) { return a, nil }, ring.LRU(16)))
			_, _ = r.Call(ctx, "apple", 4, 2)
			return func() { _, _ = r.Call(ctx, "apple", 4, 2) }
		},
		"method-wire": func() func() {
			r := ring.Must(ring.Method1((*benchUser).Load, ring.Dict()))
			u := &benchUser{ID: 7}
			_, _ = r.Call(u, ctx, "x")
			// RingKey itself allocates (strconv.Itoa): 2 in all.
			return func() { _, _ = r.Bind(u).Call(ctx, "x") }
		},
	}
	want := map[string]float64{"func0": 1, "func1": 1, "func2": 1, "func2-expiring": 1, "func2-concurrent": 0, "func2-concurrent-expiring": 0, "func2-near": 0, "func2-near-expiring": 0, "func2-concurrent-hashkeys": 0, "func2-concurrent-ahead": 1, "func3": 1, "method-wire": 2}
	for name, mk := range cases {
		got := testing.AllocsPerRun(1000, mk())
		if got > want[name] {
			t.Errorf("%s: %v allocations per hit, want at most %v", name, got, want[name])
		}
	}
}
