package ring_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// downCache stands for a cache server that is down: every operation is
// refused, as a Redis or memcached that is not running refuses
// connections.
type downCache struct{ backends.Dummy }

var errConnRefused = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}

func (downCache) Name() string { return "down" }
func (downCache) Get(context.Context, string) (any, bool, error) {
	return nil, false, errConnRefused
}
func (downCache) Set(context.Context, string, any, time.Duration) error { return errConnRefused }

// While the cache is down, Call still returns the function's result; after
// three failures in a row the breaker opens and the cache is skipped: no
// more waits, no more events. The explicit sub-functions then fail at once
// with ErrStorageUnavailable.
func ExampleCircuitBreaker() {
	store := backends.Cancelable(downCache{}) // remote, like what ring.Storage makes of a redisstore or memcachestore Store
	price := ring.Must(ring.Func1(func(ctx context.Context, sku string) (int, error) { return 42, nil },
		ring.Storage(store), ring.KeyPrefix("price"),
		ring.CircuitBreaker(3, time.Minute),
		ring.OnError(func(e ring.Event) { fmt.Println("  event:", e.Op) })))
	ctx := context.Background()
	for range 3 {
		p, err := price.Call(ctx, "apple")
		fmt.Println("Call:", p, err)
	}
	_, _, err := price.Get(ctx, "apple")
	fmt.Println("Get:", err)
	fmt.Println(errors.Is(err, ring.ErrStorageUnavailable), backends.BreakerOf(price.Cache().Storage()).State())
	// Output:
	//   event: get
	//   event: set
	// Call: 42 <nil>
	//   event: breaker open
	//   event: get
	// Call: 42 <nil>
	// Call: 42 <nil>
	// Get: ring: backend down: storage unavailable (circuit breaker open)
	// true open
}

// slowCache stands for a frozen server: it answers nothing until the
// operation's context ends.
type slowCache struct{ backends.Dummy }

func (slowCache) Name() string { return "slow" }
func (slowCache) Get(ctx context.Context, _ string) (any, bool, error) {
	<-ctx.Done()
	return nil, false, ctx.Err()
}

// StorageTimeout bounds every storage operation of the ring, apart from
// the function's context: against a frozen cache, Call returns the
// function's result after the read's timeout, and reports the timeout.
func ExampleStorageTimeout() {
	price := ring.Must(ring.Func1(func(ctx context.Context, sku string) (int, error) { return 42, nil },
		ring.Storage(slowCache{}), ring.KeyPrefix("price"),
		ring.StorageTimeout(20*time.Millisecond),
		ring.OnError(func(e ring.Event) {
			fmt.Println("event:", e.Err, errors.Is(e.Err, ring.ErrStorageTimeout))
		})))
	start := time.Now()
	p, err := price.Call(context.Background(), "apple")
	fmt.Println("Call:", p, err, time.Since(start) < time.Second)
	// Output:
	// event: ring: backend slow: get "price:apple": no answer within StorageTimeout(20ms) true
	// Call: 42 <nil> true
}
