package ring_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ringcache/ring"
)

// Near keeps decoded values in process in front of the storage. On Redis,
// Redis itself drops the copies that any writer changes; here, on an
// in-process store, the ring's own writes drop them at once.
func ExampleNear() {
	ctx := context.Background()
	price := ring.Must(ring.Func1(func(ctx context.Context, sku string) (int, error) {
		return 100, nil
	}, ring.LRU(1000), ring.Coder("json"), ring.Near(1000, time.Minute)))
	v, _ := price.Call(ctx, "apple") // computed, stored, kept
	fmt.Println(v)
	_ = price.Set(ctx, 120, "apple") // drops the near copy
	v, _ = price.Call(ctx, "apple")
	fmt.Println(v)
	// Output:
	// 100
	// 120
}

func ExampleNear_options() {
	_, err := ring.Func1(func(ctx context.Context, sku string) (int, error) { return 0, nil },
		ring.Near(0, time.Minute))
	fmt.Println(err)
	_, err = ring.Func1(func(ctx context.Context, sku string) (int, error) { return 0, nil },
		ring.Near(10, time.Minute), ring.NegativeCache(time.Second))
	fmt.Println(err != nil)
	// Output:
	// ring: github.com/ringcache/ring_test.ExampleNear_options.func1: Near(0, 1m0s): size must be at least 1
	// true
}
