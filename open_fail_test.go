package ring_test

import (
	"context"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// TestOpenRefusedFailsFast: a ring on a URL whose server refuses
// connections returns the function's result at once. With go-redis's
// defaults (5 dials 100 ms apart, 3 retries) a Call took 1.8 s to 3.4 s;
// with the settings Open chooses it takes about a millisecond. The bound
// asserted is generous (1 s); the times are logged.
func TestOpenRefusedFailsFast(t *testing.T) {
	addr := closedPort(t)
	for _, raw := range []string{
		"redis://" + addr + "/0",
		"redis+cluster://" + addr,
		"redis+sentinel://" + addr + "/mymaster",
		"memcache://" + addr,
	} {
		t.Run(strings.SplitN(raw, ":", 2)[0], func(t *testing.T) {
			var mu sync.Mutex
			var events []string
			r := ring.Must(ring.Func1(func(_ context.Context, n int) (int, error) { return 2 * n, nil },
				openURL(t, raw), ring.KeyPrefix("refused"), ring.Coder("json"),
				ring.OnError(func(e ring.Event) { mu.Lock(); events = append(events, e.Error()); mu.Unlock() })))
			t.Cleanup(func() {
				_ = r.Cache().Storage().(backends.Closer).Close()
				waitGoRedisRedial(t)
			})
			var worst time.Duration
			for i := range 5 {
				start := time.Now()
				v, err := r.Call(context.Background(), i)
				took := time.Since(start)
				worst = max(worst, took)
				if err != nil || v != 2*i {
					t.Fatalf("Call(%d) = %d, %v; want %d (fail-open)", i, v, err, 2*i)
				}
			}
			if worst >= time.Second {
				t.Errorf("a Call took %v with the server refusing connections, want well under 1 s", worst)
			}
			mu.Lock()
			defer mu.Unlock()
			if len(events) == 0 {
				t.Error("no event reported the refused connections")
			}
			t.Logf("%s: slowest of 5 Calls %v; first event: %s", raw, worst, events[0])
		})
	}
}

// waitGoRedisRedial waits until no go-redis pool runs its redial loop:
// after as many failed dials as its pool size, a pool starts a goroutine
// that redials every second and ends within a second of Close.
func waitGoRedisRedial(t testing.TB) {
	t.Helper()
	deadline := time.Now().Add(3 * time.Second)
	buf := make([]byte, 1<<20)
	for {
		n := runtime.Stack(buf, true)
		if !strings.Contains(string(buf[:n]), "pool.(*ConnPool).tryDial") {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("a go-redis redial goroutine outlived its closed client by 3 s")
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestOpenMemcacheUnresolvableFailsOpen: a memcache:// host whose name does
// not resolve no longer fails the build (it panicked under Must); calls
// return the function's result and report the lookup error.
func TestOpenMemcacheUnresolvableFailsOpen(t *testing.T) {
	var mu sync.Mutex
	var events []string
	r := ring.Must(ring.Func1(func(_ context.Context, n int) (int, error) { return 2 * n, nil },
		openURL(t, "memcache://ring-test-no-such-host.invalid:11211"), ring.KeyPrefix("nodns"), ring.Coder("json"),
		ring.OnError(func(e ring.Event) { mu.Lock(); events = append(events, e.Error()); mu.Unlock() })))
	t.Cleanup(func() { _ = r.Cache().Storage().(backends.Closer).Close() })
	v, err := r.Call(t.Context(), 21)
	if err != nil || v != 42 {
		t.Fatalf("Call = %d, %v; want 42", v, err)
	}
	if _, _, err := r.Get(t.Context(), 21); err == nil {
		t.Error("Get: no error from a server whose name does not resolve")
	}
	mu.Lock()
	defer mu.Unlock()
	if len(events) == 0 || !strings.Contains(events[0], "ring-test-no-such-host.invalid") {
		t.Errorf("events %q, want the lookup error", events)
	}
}

// BenchmarkOpenRefusedCall measures a Call on a ring whose Redis refuses
// connections: with the client Open makes, and with a client on go-redis's
// defaults (5 dials 100 ms apart, 3 retries) for comparison.
//
//	go test -run '^$' -bench BenchmarkOpenRefusedCall -benchtime 3x .
func BenchmarkOpenRefusedCall(b *testing.B) {
	addr := closedPort(b)
	fn := func(_ context.Context, n int) (int, error) { return 2 * n, nil }
	for _, c := range []struct {
		name string
		opt  ring.Option
		rdb  *redis.Client
	}{
		{name: "Open", opt: openURL(b, "redis://"+addr)},
		{name: "go-redis-defaults", rdb: redis.NewClient(&redis.Options{Addr: addr})},
	} {
		if c.rdb != nil {
			c.opt = ring.Storage(redisstore.New(c.rdb))
		}
		b.Run(c.name, func(b *testing.B) {
			r := ring.Must(ring.Func1(fn, c.opt, ring.KeyPrefix("refused-bench"), ring.Coder("json"), ring.OnError(func(ring.Event) {})))
			for i := 0; b.Loop(); i++ {
				if v, err := r.Call(context.Background(), i); err != nil || v != 2*i {
					b.Fatalf("Call = %d, %v", v, err)
				}
			}
			if c.rdb != nil {
				_ = c.rdb.Close()
			} else {
				_ = r.Cache().Storage().(backends.Closer).Close()
			}
			waitGoRedisRedial(b)
		})
	}
}

// BenchmarkOpenFrozenCall measures a Call on a ring opened with Open whose
// Redis is frozen (SIGSTOP): each storage operation waits for the read
// timeout (500 ms), a get and a set per Call, without a deadline on ctx.
//
//	go test -run '^$' -bench BenchmarkOpenFrozenCall -benchtime 3x .
func BenchmarkOpenFrozenCall(b *testing.B) {
	srv := servertest.StartRedis(b)
	r := ring.Must(ring.Func1(func(_ context.Context, n int) (int, error) { return 2 * n, nil },
		openURL(b, "redis://"+srv.Addr()), ring.KeyPrefix("frozen-bench"), ring.Coder("json"), ring.OnError(func(ring.Event) {})))
	defer func() { _ = r.Cache().Storage().(backends.Closer).Close() }()
	if _, err := r.Call(context.Background(), -1); err != nil { // a pooled connection
		b.Fatal(err)
	}
	srv.Pause()
	defer srv.Resume()
	for i := 0; b.Loop(); i++ {
		if v, err := r.Call(context.Background(), i); err != nil || v != 2*i {
			b.Fatalf("Call = %d, %v", v, err)
		}
	}
}
