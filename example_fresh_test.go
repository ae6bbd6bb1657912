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

// The seed's heavy layer, kept through an outage and past its expiry: it
// is rebuilt in the background once a minute old, a Call that finds it up
// to five minutes past its expiry gets it at once (and starts a rebuild),
// and when a rebuild fails the value up to an hour past its expiry is
// served and the error reported. The example moves the LRU's clock
// instead of waiting.
func ExampleStaleWhileRevalidate() {
	clk := &manualClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	lru, _ := backends.NewLRU(1000, backends.WithClock(clk.Now))
	var builds atomic.Int64
	var down atomic.Bool
	layer := ring.Must(ring.Func1(func(ctx context.Context, name string) (string, error) {
		if down.Load() {
			return "", errors.New("source down")
		}
		return fmt.Sprintf("%s build %d", name, builds.Add(1)), nil
	},
		ring.Storage(lru),
		ring.KeyPrefix("layer"),
		ring.Expire(10*time.Minute),
		ring.RefreshAhead(time.Minute, 30*time.Second),
		ring.StaleWhileRevalidate(5*time.Minute, 30*time.Second),
		ring.StaleIfError(time.Hour),
		ring.OnError(func(e ring.Event) { fmt.Printf("hook: %s %s: %v\n", e.Op, e.Key, e.Err) }),
	))
	ctx := context.Background()

	v, _ := layer.Call(ctx, "tiles") // a miss: the caller waits for the build
	fmt.Println(v)

	clk.Advance(12 * time.Minute) // two minutes past its expiry: served, rebuilt behind
	v, _ = layer.Call(ctx, "tiles")
	fmt.Println(v)
	for v == "tiles build 1" { // wait for the background rebuild to land
		time.Sleep(time.Millisecond)
		v, _, _ = layer.Get(ctx, "tiles")
	}
	fmt.Println(v)

	down.Store(true)
	clk.Advance(40 * time.Minute) // thirty minutes past its expiry, and the source is down
	v, err := layer.Call(ctx, "tiles")
	fmt.Println(v, err)
	// Output:
	// tiles build 1
	// tiles build 1
	// tiles build 2
	// hook: stale-if-error layer:tiles: source down
	// tiles build 2 <nil>
}

// Refresh rebuilds an entry now, in the background: the Call after it
// returns the old value until the rebuild lands.
func ExampleWire1_Refresh() {
	var builds atomic.Int64
	layer := ring.Must(ring.Func1(func(ctx context.Context, name string) (string, error) {
		return fmt.Sprintf("%s build %d", name, builds.Add(1)), nil
	}, ring.LRU(100), ring.KeyPrefix("refreshed"), ring.Expire(time.Hour)))
	ctx := context.Background()

	v, _ := layer.Call(ctx, "tiles")
	fmt.Println(v)
	if err := layer.Refresh(ctx, "tiles"); err != nil { // returns at once
		fmt.Println(err)
	}
	for v == "tiles build 1" { // wait for the background rebuild to land
		time.Sleep(time.Millisecond)
		v, _ = layer.Call(ctx, "tiles")
	}
	fmt.Println(v)
	// Output:
	// tiles build 1
	// tiles build 2
}

// XFetch refreshes an entry early with a probability that grows as its
// expiry nears, scaled by how long the function takes (measured by the
// ring): far from its expiry an entry is never due; a nanosecond before,
// it is due but for a chance of about one in ten million.
func ExampleXFetch() {
	clk := &manualClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	lru, _ := backends.NewLRU(1000, backends.WithClock(clk.Now))
	var builds atomic.Int64
	report := ring.Must(ring.Func1(func(ctx context.Context, name string) (string, error) {
		time.Sleep(5 * time.Millisecond) // the work XFetch measures
		return fmt.Sprintf("%s build %d", name, builds.Add(1)), nil
	}, ring.Storage(lru), ring.KeyPrefix("report"), ring.Expire(10*time.Minute), ring.XFetch(1, 30*time.Second)))
	ctx := context.Background()

	v, _ := report.Call(ctx, "sales")
	fmt.Println(v)
	clk.Advance(5 * time.Minute) // far from expiry: not due
	v, _ = report.Call(ctx, "sales")
	fmt.Println(v, builds.Load())
	clk.Advance(5*time.Minute - time.Nanosecond) // at its expiry: due, served, rebuilt behind
	v, _ = report.Call(ctx, "sales")
	fmt.Println(v)
	for v == "sales build 1" {
		time.Sleep(time.Millisecond)
		v, _, _ = report.Get(ctx, "sales")
	}
	fmt.Println(v)
	// Output:
	// sales build 1
	// sales build 1 1
	// sales build 1
	// sales build 2
}
