package ring_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// ExpireJitter spreads the expiry of entries written together: 100
// entries written at once with a 10-minute Expire and ExpireJitter(0.1)
// all live at least 9 minutes and at most 10, and expire apart in between.
// (The clock is moved by hand, so that the example does not wait.)
func ExampleExpireJitter() {
	clk := &manualClock{now: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)}
	lru, _ := backends.NewLRU(1000, backends.WithClock(clk.Now))
	square := ring.Must(ring.Func1(func(_ context.Context, n int) (int, error) { return n * n, nil },
		ring.Storage(lru),
		ring.KeyPrefix("square"),
		ring.Expire(10*time.Minute),
		ring.ExpireJitter(0.1),
	))
	ctx := context.Background()
	ns := make([]int, 100)
	for i := range ns {
		ns[i] = i
	}
	if _, err := square.Many().Update(ctx, ns); err != nil { // one bulk write
		fmt.Println(err)
	}
	alive := func() int {
		has, _ := square.Many().Has(ctx, ns)
		n := 0
		for _, h := range has {
			if h {
				n++
			}
		}
		return n
	}
	clk.Advance(9 * time.Minute)
	fmt.Println("after 9m:", alive())
	clk.Advance(30 * time.Second)
	n := alive()
	fmt.Println("after 9m30s, some expired, some not:", n > 0 && n < 100)
	clk.Advance(30 * time.Second)
	fmt.Println("after 10m:", alive())
	// Output:
	// after 9m: 100
	// after 9m30s, some expired, some not: true
	// after 10m: 0
}
