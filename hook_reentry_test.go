package ring_test

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// TestOnErrorMayUseTheRing opens the circuit breaker inside a fill's write
// (which holds the key's write-ordering lock) and lets the OnError hook
// write the same key of the same ring synchronously. Breaker events are
// held back until the ring has released its locks, so the hook runs and
// nothing waits for ever (before, the hook's Set waited for the lock its
// own caller held).
func TestOnErrorMayUseTheRing(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()

	var (
		r        *ring.Ring1[string, string]
		hookRan  atomic.Int32
		hookErrs = make(chan error, 8)
		ops      sync.Map
	)
	hook := func(ev ring.Event) {
		ops.Store(ev.Op, true)
		if ev.Op != ring.OpBreakerOpen {
			return
		}
		hookRan.Add(1)
		// A write of the very key whose fill saw the breaker open.
		hookErrs <- r.Set(ctx, "from the hook", "k")
	}
	// Two failures open the breaker: the Call's read is the first, the
	// fill's write the second, inside the key's lock.
	r = ring.Must(ring.Func1(func(ctx context.Context, k string) (string, error) { return "v-" + k, nil },
		ring.Storage(redisstore.New(rdb)), ring.Coder("json"), ring.KeyPrefix("reentry"),
		ring.StorageTimeout(100*time.Millisecond), ring.CircuitBreaker(2, time.Minute), ring.OnError(hook)))

	srv.Pause()
	defer srv.Resume()

	done := make(chan struct{})
	var v string
	var err error
	go func() {
		defer close(done)
		v, err = r.Call(ctx, "k")
	}()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Call did not return: the OnError hook's write waits for a lock its caller holds")
	}
	if err != nil || v != "v-k" {
		t.Fatalf("Call = %q, %v; want the function's result (fail-open)", v, err)
	}
	if hookRan.Load() != 1 {
		t.Fatalf("the hook saw %d breaker-open events, want 1", hookRan.Load())
	}
	if herr := <-hookErrs; !errors.Is(herr, ring.ErrStorageUnavailable) {
		t.Errorf("the hook's Set: %v, want ErrStorageUnavailable (the breaker is open)", herr)
	}
	if _, ok := ops.Load("set"); !ok {
		t.Error("the fill's failed write was not reported")
	}
}
