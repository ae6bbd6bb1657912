package ring_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/observe"
	"github.com/ringcache/ring/observe/slogobserve"
)

// ExampleWithStats counts a ring's requests and loads.
func ExampleWithStats() {
	square := ring.Must(ring.Func1(func(ctx context.Context, n int) (int, error) { return n * n, nil },
		ring.KeyPrefix("square"), ring.WithStats()))
	ctx := context.Background()
	for _, n := range []int{2, 2, 2, 3} {
		_, _ = square.Call(ctx, n)
	}
	s := square.Stats()
	fmt.Printf("hits %d, misses %d, loads %d, hit ratio %.2f\n", s.Hits, s.Misses, s.Loads, s.HitRatio())
	// Output: hits 2, misses 2, loads 2, hit ratio 0.50
}

// resultCounter is an observer that counts requests by result; observe.Base
// gives it the other methods.
type resultCounter struct {
	observe.Base
	byResult [observe.NumResults]int
}

func (c *resultCounter) Request(_ context.Context, info *observe.Info, r observe.Result, n int) {
	c.byResult[r] += n // this example calls from one goroutine; a real observer must be safe for concurrent use
}

// ExampleObserve gives a ring's events to a small observer.
func ExampleObserve() {
	var c resultCounter
	double := ring.Must(ring.Func1(func(ctx context.Context, n int) (int, error) { return 2 * n, nil },
		ring.KeyPrefix("double"), ring.Observe(&c)))
	ctx := context.Background()
	for _, n := range []int{1, 1, 2} {
		_, _ = double.Call(ctx, n)
	}
	fmt.Println(observe.Hit, c.byResult[observe.Hit])
	fmt.Println(observe.Miss, c.byResult[observe.Miss])
	// Output:
	// hit 1
	// miss 2
}

// Example_slog logs a ring's events with log/slog: here its loads at
// Debug, which slogobserve.Options asks for (failures are logged at Warn
// without asking).
func Example_slog() {
	logger := slog.New(slog.NewTextHandler(os.Stdout, &slog.HandlerOptions{
		Level: slog.LevelDebug,
		ReplaceAttr: func(groups []string, a slog.Attr) slog.Attr {
			if a.Key == slog.TimeKey || a.Key == "duration" {
				return slog.Attr{} // not reproducible
			}
			return a
		},
	}))
	price := ring.Must(ring.Func1(func(ctx context.Context, sku string) (int, error) { return len(sku), nil },
		ring.KeyPrefix("price"), ring.Observe(slogobserve.New(logger, &slogobserve.Options{Loads: true}))))
	_, _ = price.Call(context.Background(), "apple")
	_, _ = price.Call(context.Background(), "apple")
	// Output:
	// level=DEBUG msg="ring: load" ring=github.com/ringcache/ring_test.Example_slog.func2 backend=lru tier=local kind=fill keys=1
}
