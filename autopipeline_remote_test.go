package ring_test

import (
	"context"
	"errors"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
	"github.com/ringcache/ring/observe"
)

// TestOutageRedisAutoPipeline: the outage scenario of TestOutageRedis
// (frozen, resumed, refusing, restarted) with the Store autopipelined.
func TestOutageRedisAutoPipeline(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	failIfBroken(t, singleServerOutage(t, srv, ring.Storage(redisstore.New(rdb, redisstore.AutoPipeline()))))
}

// opDurations is an observer that keeps each storage operation's name,
// duration and error.
type opDurations struct {
	observe.Base
	mu  sync.Mutex
	ops []observe.Op
}

func (o *opDurations) EndOp(_ context.Context, _ *observe.Info, op observe.Op) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.ops = append(o.ops, op)
}

// TestAutoPipelineFailsOpenWithinStorageTimeout freezes a private Redis
// (SIGSTOP) under 32 concurrent callers of an autopipelined ring: every
// Call runs the function and returns its value, though the commands wait in
// the pipeliner behind a pipeline that gets no reply. What ends each wait
// is the StorageTimeout, not the server, checked without a clock: each call
// made one read and one write, and each of them was ended by
// its StorageTimeout's deadline. Then with a clock, against bounds derived from the
// StorageTimeout plus a stated allowance for a loaded machine: every
// operation took at most the StorageTimeout plus opAllowance (a timer's
// wake-up), and every call at most callBound, far below the client's 10s
// read timeout that a call waiting on the server would take. (A call is
// not bounded by two StorageTimeouts: a fill's write holds its key's stripe
// of the ring's write ordering, internal/rope, so the writes of keys that
// share a stripe wait for each other, 100 ms each here; 616 ms was seen
// once against the former 600 ms bound.)
func TestAutoPipelineFailsOpenWithinStorageTimeout(t *testing.T) {
	srv := servertest.StartRedis(t)
	const (
		timeout     = 100 * time.Millisecond
		readTimeout = 10 * time.Second
		opAllowance = 400 * time.Millisecond
		callBound   = readTimeout / 4
	)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ReadTimeout: readTimeout,
		WriteTimeout: readTimeout, MaxRetries: -1, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = rdb.Close() })
	var runs counter
	obs := &opDurations{}
	r := ring.Must(ring.Func1(square(&runs), ring.Storage(redisstore.New(rdb, redisstore.AutoPipeline())),
		ring.Coder("json"), ring.KeyPrefix("apfrozen"), ring.StorageTimeout(timeout), ring.CircuitBreaker(0, 0),
		ring.Observe(obs), ring.OnError(func(e ring.Event) {
			// What the ring absorbed: each a StorageTimeout, also a
			// command that rode in another caller's pipeline when that
			// one's deadline came first (it is sent again for its own).
			if !errors.Is(e.Err, ring.ErrStorageTimeout) {
				t.Errorf("reported %v, want a StorageTimeout", e.Err)
			}
		})))
	ctx := context.Background()
	for n := range 32 {
		v, err := r.Call(ctx, n)
		require.NoError(t, err)
		require.Equal(t, n*n, v)
	}
	require.EqualValues(t, 32, runs.get())
	obs.mu.Lock()
	obs.ops = nil
	obs.mu.Unlock()

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
	srv.Resume()
	for n := range 32 {
		require.NoError(t, errs[n], "call %d fails open", n)
		require.Equal(t, n*n, vals[n])
	}
	require.GreaterOrEqual(t, runs.get(), int64(64), "the frozen server's values were not read: the function ran")

	obs.mu.Lock()
	defer obs.mu.Unlock()
	count := map[string]int{}
	slowestOp := time.Duration(0)
	for _, op := range obs.ops {
		count[op.Name]++
		// The operation's context (StorageTimeout) ended it, or the
		// client's i/o deadline set from it.
		byDeadline := errors.Is(op.Err, context.DeadlineExceeded) || errors.Is(op.Err, os.ErrDeadlineExceeded)
		require.True(t, byDeadline, "%s: not ended by the StorageTimeout: %v", op.Name, op.Err)
		require.LessOrEqual(t, op.Duration, timeout+opAllowance, "%s against a frozen server", op.Name)
		slowestOp = max(slowestOp, op.Duration)
	}
	require.Equal(t, map[string]int{"get": 32, "set": 32}, count, "one read and one write per call")
	slowest := time.Duration(0)
	for n := range 32 {
		require.Less(t, took[n], callBound, "call %d took %v against a frozen server", n, took[n])
		slowest = max(slowest, took[n])
	}
	t.Logf("slowest operation %v (bound %v), slowest call %v (bound %v)", slowestOp, timeout+opAllowance, slowest, callBound)
}
