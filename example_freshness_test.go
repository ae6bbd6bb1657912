package ring_test

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// The seed's "fixed strategy" in three options: a heavy, critical layer,
// rebuilt every minute in the background, never lost, not even when its
// source is down past the entry's expiry. docs/freshness.md walks through
// it. The example moves the LRU's clock instead of waiting.
func ExampleStaleIfError() {
	clk := &manualClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	lru, _ := backends.NewLRU(1000, backends.WithClock(clk.Now))
	var builds atomic.Int64
	var down atomic.Bool
	layer := ring.Must(ring.Func0(func(ctx context.Context) (string, error) {
		if down.Load() {
			return "", errors.New("source down")
		}
		return fmt.Sprintf("layer %d", builds.Add(1)), nil
	},
		ring.Storage(lru),
		ring.KeyPrefix("layer"),
		ring.Expire(time.Hour),                         // an entry lives an hour...
		ring.RefreshAhead(time.Minute, 30*time.Second), // ...rebuilt in the background once older than a minute...
		ring.StaleIfError(24*time.Hour),                // ...and served up to a day past its expiry while the source fails
		ring.OnError(func(e ring.Event) { fmt.Printf("reported: %s: %v\n", e.Op, e.Err) }),
	))
	ctx := context.Background()

	v, _ := layer.Call(ctx) // the first call builds
	fmt.Println(v)

	down.Store(true)
	clk.Advance(3 * time.Hour) // past its expiry, and the source is down
	v, err := layer.Call(ctx)
	fmt.Println(v, err)

	down.Store(false)
	v, _ = layer.Call(ctx) // the source is back: the next call rebuilds
	fmt.Println(v)
	// Output:
	// layer 1
	// reported: stale-if-error: source down
	// layer 1 <nil>
	// layer 2
}
