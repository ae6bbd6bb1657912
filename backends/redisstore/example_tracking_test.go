package redisstore_test

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
)

// TrackingErr tells why a ring's near tier is not live (its copies are
// not kept): here no server listens. The error names the node, never a
// password.
func ExampleStore_TrackingErr() {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", Username: "app", Password: "s3cret"})
	defer rdb.Close()
	store := redisstore.New(rdb)
	defer store.Close() // stops the tracking connections

	price := ring.Must(ring.Func1(func(_ context.Context, sku string) (int, error) { return len(sku), nil },
		ring.Storage(store), ring.Coder("json"), ring.KeyPrefix("price"), ring.Near(1000, time.Minute)))
	for deadline := time.Now().Add(5 * time.Second); store.TrackingErr() == nil && time.Now().Before(deadline); {
		time.Sleep(time.Millisecond)
	}
	fmt.Println(store.TrackingErr())
	runtime.KeepAlive(price) // its tier's subscription ends with it
	// Output: ring: backend redis: tracking on 127.0.0.1:1: dial: dial tcp 127.0.0.1:1: connect: connection refused
}
