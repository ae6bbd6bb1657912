package ring_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// ExampleConcurrent caches a function in the in-process store built for
// many goroutines: its hits take no lock, and it keeps the results as
// they are (here strings), without boxing them.
func ExampleConcurrent() {
	ctx := context.Background()
	calls := 0
	greet := ring.Must(ring.Func1(func(ctx context.Context, name string) (string, error) {
		calls++
		return "hello " + name, nil
	}, ring.Concurrent(100_000), ring.KeyPrefix("greet"), ring.Expire(time.Minute)))

	for range 3 {
		v, _ := greet.Call(ctx, "ada")
		fmt.Println(v)
	}
	_, typed := greet.Cache().Storage().(*backends.Concurrent[string])
	fmt.Println("calls:", calls, "typed store:", typed)
	// Output:
	// hello ada
	// hello ada
	// hello ada
	// calls: 1 typed store: true
}
