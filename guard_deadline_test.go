package ring_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// TestCircuitBreakerIgnoresCallerDeadlines: callers whose own deadlines
// are far shorter than the storage timeout, against a real Redis frozen
// with SIGSTOP, give up on their own; that is no verdict on the storage,
// so the breaker stays closed. go-redis with ContextTimeoutEnabled may
// return its i/o timeout a moment before the caller's context reports its
// end: a call past the caller's deadline still counts as the caller's.
func TestCircuitBreakerIgnoresCallerDeadlines(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	var ev events
	r := ring.Must(ring.Func1(square(&counter{}), ring.Storage(redisstore.New(rdb)), ring.Coder("json"),
		ring.KeyPrefix("deadline"), ring.StorageTimeout(2*time.Second), ring.CircuitBreaker(2, time.Minute),
		ring.OnError(ev.hook)))
	br := backends.BreakerOf(r.Cache().Storage())
	require.NotNil(t, br)
	ctx := context.Background()
	_, err := r.Call(ctx, 3)
	require.NoError(t, err)

	srv.Pause()
	defer srv.Resume()
	for i := range 30 {
		cctx, cancel := context.WithTimeout(ctx, time.Duration(1+i%7)*time.Millisecond)
		_, _, err := r.Get(cctx, 3)
		cancel()
		require.Error(t, err)
		require.False(t, errors.Is(err, ring.ErrStorageTimeout), "call %d: the caller's deadline, not the storage timeout: %v", i, err)
	}
	require.Equal(t, backends.BreakerClosed, br.State(), "callers that give up open no breaker")
	require.NotContains(t, ev.ops(), ring.OpBreakerOpen)
}
