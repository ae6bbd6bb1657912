package ring_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// A heavy layer refreshed every minute without ever losing the cached
// version: entries live ten minutes, and a Call that finds one older than a
// minute returns it at once and refreshes it in the background (the
// example moves the LRU's clock instead of waiting).
func ExampleRefreshAhead() {
	clk := &manualClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	lru, _ := backends.NewLRU(1000, backends.WithClock(clk.Now))
	var builds atomic.Int64
	layer := ring.Must(ring.Func1(func(ctx context.Context, name string) (string, error) {
		return fmt.Sprintf("%s build %d", name, builds.Add(1)), nil
	},
		ring.Storage(lru),
		ring.KeyPrefix("layer"),
		ring.Expire(10*time.Minute),
		ring.RefreshAhead(time.Minute, 30*time.Second),
		ring.OnError(func(e ring.Event) { fmt.Printf("hook: %s %s: %v\n", e.Op, e.Key, e.Err) }),
	))
	ctx := context.Background()

	v, _ := layer.Call(ctx, "tiles") // a miss: the caller waits for the build
	fmt.Println(v)

	clk.Advance(90 * time.Second)
	v, _ = layer.Call(ctx, "tiles") // older than a minute: served at once, refreshed behind
	fmt.Println(v)

	// Wait for the background refresh to land.
	for v == "tiles build 1" {
		time.Sleep(time.Millisecond)
		v, _, _ = layer.Get(ctx, "tiles")
	}
	fmt.Println(v)
	// Output:
	// tiles build 1
	// tiles build 1
	// tiles build 2
}
