package redisstore_test

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
)

// AutoPipeline on the Store of a ring: under many concurrent callers,
// their GETs and SETs share pipelines; a lone caller's go straight to the
// client. go-redis connects on first use, so this runs without a server.
func ExampleAutoPipeline() {
	rdb := redis.NewClient(&redis.Options{Addr: "localhost:6379", ContextTimeoutEnabled: true})
	defer rdb.Close() // stops the client's autopipeliner too

	store := redisstore.New(rdb, redisstore.AutoPipeline())
	square := ring.Must(ring.Func1(func(_ context.Context, n int) (int, error) { return n * n, nil },
		ring.Storage(store), ring.Coder("json"), ring.KeyPrefix("square"), ring.Expire(time.Minute)))
	_ = square // square.Call(ctx, 7) from as many goroutines as the service has

	fmt.Println(redisstore.AutoPipeline(), store.AutoPipelined())
	// Output: redisstore.AutoPipeline() true
}
