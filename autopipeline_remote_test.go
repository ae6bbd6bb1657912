package ring_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// TestOutageRedisAutoPipeline: the outage scenario of TestOutageRedis
// (frozen, resumed, refusing, restarted) with the Store autopipelined.
func TestOutageRedisAutoPipeline(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	failIfBroken(t, singleServerOutage(t, srv, ring.Storage(redisstore.New(rdb, redisstore.AutoPipeline()))))
}

// TestAutoPipelineFailsOpenWithinStorageTimeout freezes a private Redis
// (SIGSTOP) under 32 concurrent callers of an autopipelined ring: every
// Call runs the function and returns its value within the StorageTimeout
// (plus scheduling slack), far before the client's 10s read timeout,
// though the commands wait in the pipeliner behind a pipeline that gets
// no reply.
func TestAutoPipelineFailsOpenWithinStorageTimeout(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ReadTimeout: 10 * time.Second,
		WriteTimeout: 10 * time.Second, MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = rdb.Close() })
	const timeout = 100 * time.Millisecond
	var runs counter
	r := ring.Must(ring.Func1(square(&runs), ring.Storage(redisstore.New(rdb, redisstore.AutoPipeline())),
		ring.Coder("json"), ring.KeyPrefix("apfrozen"), ring.StorageTimeout(timeout), ring.CircuitBreaker(0, 0)))
	ctx := context.Background()
	for n := range 32 {
		v, err := r.Call(ctx, n)
		require.NoError(t, err)
		require.Equal(t, n*n, v)
	}
	require.EqualValues(t, 32, runs.get())

	srv.Pause()
	defer srv.Resume()
	var wg sync.WaitGroup
	took := make([]time.Duration, 32)
	errs := make([]error, 32)
	vals := make([]int, 32)
	for n := range 32 {
		wg.Go(func() {
			start := time.Now()
			vals[n], errs[n] = r.Call(ctx, n)
			took[n] = time.Since(start)
		})
	}
	wg.Wait()
	for n := range 32 {
		require.NoError(t, errs[n], "call %d fails open", n)
		require.Equal(t, n*n, vals[n])
		// A read and a write, each bounded by the timeout, plus slack for
		// a busy machine.
		require.Less(t, took[n], 2*timeout+400*time.Millisecond, "call %d took %v against a frozen server", n, took[n])
	}
	require.GreaterOrEqual(t, runs.get(), int64(64), "the frozen server's values were not read: the function ran")
	srv.Resume()
}
