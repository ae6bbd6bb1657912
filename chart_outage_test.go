package ring_test

import (
	"cmp"
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// TestChartsOutage records the data of the outage chart of
// docs/benchmarks.md: a ring on a private Redis, called at a steady rate
// (one call every 5ms, each on a goroutine of its own, so that a stuck call
// does not slow the rate), while the server is frozen with SIGSTOP for 3 s
// and resumed; once with ring's guard (StorageTimeout and CircuitBreaker,
// at their defaults) and once without. It writes every call's start,
// latency and outcome to the file RING_CHARTS_OUTAGE names, and is skipped
// without it: it is a scripted run, not a test of the suite
// (scripts/charts.sh data runs it; internal/cmd/charts draws the chart).
func TestChartsOutage(t *testing.T) {
	out := os.Getenv("RING_CHARTS_OUTAGE")
	if out == "" {
		t.Skip("RING_CHARTS_OUTAGE names no file: the outage run of scripts/charts.sh")
	}
	const (
		every  = 5 * time.Millisecond
		freeze = 1500 * time.Millisecond // from the start of the run
		thaw   = 4500 * time.Millisecond
		length = 7 * time.Second
		keys   = 50
	)
	srv := servertest.StartRedis(t)
	var b strings.Builder
	fmt.Fprintf(&b, "# TestChartsOutage (chart_outage_test.go), %s, %s %s/%s, %d CPUs\n",
		time.Now().UTC().Format("2006-01-02"), runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintf(&b, "# a private redis-server, go-redis client with its defaults; one Call every %v on %d keys (all cached before the run); the function takes 1ms\n", every, keys)
	for _, run := range []struct {
		id, title string
		opts      []ring.Option
	}{
		{"guarded", "With ring's guard: StorageTimeout(100ms), CircuitBreaker(5, 500ms) (the defaults)",
			[]ring.Option{ring.StorageTimeout(100 * time.Millisecond), ring.CircuitBreaker(5, 500*time.Millisecond)}},
		{"unguarded", "Without guard: StorageTimeout(0), CircuitBreaker(0, 0); only go-redis's own timeouts",
			[]ring.Option{ring.StorageTimeout(0), ring.CircuitBreaker(0, 0)}},
	} {
		rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
		fn := func(_ context.Context, k int) (outageItem, error) {
			time.Sleep(time.Millisecond)
			return outageItem{K: k, V: outageValue(k), At: time.Now().UnixNano()}, nil
		}
		r := ring.Must(ring.Func1(fn, append([]ring.Option{ring.Storage(redisstore.New(rdb)), ring.Coder("json"),
			ring.KeyPrefix(fmt.Sprintf("charts-outage:%s:%d", run.id, time.Now().UnixNano())), ring.OnError(func(ring.Event) {})}, run.opts...)...))
		ctx := context.Background()
		for k := range keys {
			if _, err := r.Call(ctx, k); err != nil {
				t.Fatal(err)
			}
		}
		type call struct {
			start, lat time.Duration
			outcome    string
		}
		var (
			mu    sync.Mutex
			calls []call
			wg    sync.WaitGroup
		)
		begin := time.Now()
		tick := time.NewTicker(every)
		paused, resumed := false, false
		var from, to time.Duration
		for i := 0; ; i++ {
			now := <-tick.C
			el := now.Sub(begin)
			if el >= length {
				break
			}
			if !paused && el >= freeze {
				srv.Pause()
				from, paused = time.Since(begin), true
			}
			if paused && !resumed && el >= thaw {
				srv.Resume()
				to, resumed = time.Since(begin), true
			}
			wg.Add(1)
			go func(k int) {
				defer wg.Done()
				start := time.Now()
				v, err := r.Call(ctx, k)
				c := call{start: start.Sub(begin), lat: time.Since(start), outcome: "fn"}
				switch {
				case err != nil:
					c.outcome = "err"
				case v.V != outageValue(k):
					t.Errorf("key %d: wrong value %q", k, v.V)
				case v.At < start.UnixNano():
					c.outcome = "hit"
				}
				mu.Lock()
				calls = append(calls, c)
				mu.Unlock()
			}(i % keys)
		}
		tick.Stop()
		wg.Wait()
		_ = rdb.Close()
		slices.SortFunc(calls, func(a, b call) int { return cmp.Compare(a.start, b.start) })
		fmt.Fprintf(&b, "run\t%s\t%s\n", run.id, run.title)
		fmt.Fprintf(&b, "outage\t%s\t%.3f\t%.3f\n", run.id, from.Seconds(), to.Seconds())
		for _, c := range calls {
			fmt.Fprintf(&b, "call\t%s\t%.4f\t%.1f\t%s\n", run.id, c.start.Seconds(), float64(c.lat.Nanoseconds())/1e3, c.outcome)
		}
		t.Logf("%s: %d calls", run.id, len(calls))
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
