package ring_test

import (
	"context"
	"fmt"
	"time"

	"github.com/ringcache/ring"
)

// A heavy layer, rebuilt every minute by one process among all those that
// share the ring's Redis or memcached: Lease makes the process that takes
// a key's lease refresh it while the others keep serving the stale layer
// (and, on a miss, wait for the holder's value). The LRU used here is
// in-process, where the ring's single flight already runs one function
// per key: the option builds, and changes nothing.
func ExampleLease() {
	runs := 0
	layer := func(ctx context.Context, region string) (string, error) {
		runs++
		return "layer of " + region, nil
	}
	r := ring.Must(ring.Func1(layer, ring.KeyPrefix("layers"), ring.Expire(10*time.Minute),
		ring.RefreshAhead(time.Minute, 30*time.Second), ring.Lease(45*time.Second)))
	for range 3 {
		v, _ := r.Call(context.Background(), "eu")
		fmt.Println(v)
	}
	fmt.Println("runs:", runs)
	// Output:
	// layer of eu
	// layer of eu
	// layer of eu
	// runs: 1
}
