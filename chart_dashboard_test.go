package ring_test

import (
	"context"
	"fmt"
	"math/rand/v2"
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
	"github.com/ringcache/ring/observe"
)

// dashInterval is the width of the dashboard's intervals.
const dashInterval = 250 * time.Millisecond

// dashRecorder is an observe.Observer that aggregates a ring's events per
// interval, as a metrics backend would: requests by result, load and
// operation durations, failures, the breaker's state.
type dashRecorder struct {
	observe.Base
	begin   time.Time
	mu      sync.Mutex
	buckets []dashBucket
}

type dashBucket struct {
	req                      [observe.NumResults]int
	loads, ops               []time.Duration
	opErr, failOpen, coalesc int
	opened, closed           bool // the breaker opened, closed in the interval
}

// at returns the bucket of now; r.mu is held.
func (r *dashRecorder) at() *dashBucket {
	i := int(time.Since(r.begin) / dashInterval)
	for len(r.buckets) <= i {
		r.buckets = append(r.buckets, dashBucket{})
	}
	return &r.buckets[i]
}

func (r *dashRecorder) Request(_ context.Context, _ *observe.Info, res observe.Result, n int) {
	r.mu.Lock()
	r.at().req[res] += n
	r.mu.Unlock()
}

func (r *dashRecorder) EndLoad(_ context.Context, _ *observe.Info, l observe.Load) {
	r.mu.Lock()
	b := r.at()
	b.loads = append(b.loads, l.Duration)
	r.mu.Unlock()
}

func (r *dashRecorder) EndOp(_ context.Context, _ *observe.Info, op observe.Op) {
	r.mu.Lock()
	b := r.at()
	b.ops = append(b.ops, op.Duration)
	if op.Err != nil {
		b.opErr++
	}
	r.mu.Unlock()
}

func (r *dashRecorder) Event(_ context.Context, _ *observe.Info, ev observe.Event) {
	r.mu.Lock()
	b := r.at()
	switch ev.Kind {
	case observe.EventFailOpen:
		b.failOpen++
	case observe.EventCoalesced:
		b.coalesc += ev.N
	case observe.EventBreakerOpen:
		b.opened = true
	case observe.EventBreakerClosed:
		b.closed = true
	}
	r.mu.Unlock()
}

func quantileUs(ds []time.Duration, q float64) float64 {
	if len(ds) == 0 {
		return 0
	}
	slices.Sort(ds)
	i := int(q*float64(len(ds))+0.999999) - 1
	i = max(0, min(i, len(ds)-1))
	return float64(ds[i].Nanoseconds()) / 1e3
}

// TestChartsDashboard records the data of the dashboard picture of
// docs/observability.md: a ring on a private Redis with an observer that
// aggregates its events per 250ms, under a steady load (a Call every 2ms,
// each on a goroutine of its own; 40% on one hot key, the rest spread over
// 300 keys; entries expire after 2 s, so misses keep coming and the hot
// key's callers coalesce), while Redis is frozen with SIGSTOP from 4 s to
// 6.5 s: reads fail, Call fails open, the breaker opens and probes until
// the server is back. It writes one line per interval to the file
// RING_CHARTS_DASHBOARD names and is skipped without it (scripts/charts.sh
// data runs it). It checks that the run shows what the picture claims.
func TestChartsDashboard(t *testing.T) {
	out := os.Getenv("RING_CHARTS_DASHBOARD")
	if out == "" {
		t.Skip("RING_CHARTS_DASHBOARD names no file: the dashboard run of scripts/charts.sh")
	}
	const (
		every  = 2 * time.Millisecond
		freeze = 4 * time.Second
		thaw   = 6500 * time.Millisecond
		length = 10 * time.Second
		keys   = 300
	)
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	rec := &dashRecorder{}
	fn := func(_ context.Context, k int) (string, error) {
		time.Sleep(2*time.Millisecond + time.Duration(k%5)*500*time.Microsecond)
		return fmt.Sprintf("v%d", k), nil
	}
	r := ring.Must(ring.Func1(fn, ring.Storage(redisstore.New(rdb)), ring.Expire(2*time.Second),
		ring.KeyPrefix(fmt.Sprintf("charts-dashboard:%d", time.Now().UnixNano())),
		ring.OnError(func(ring.Event) {}), ring.Observe(rec)))
	rng := rand.New(rand.NewPCG(1, 2))
	ctx := context.Background()
	var wg sync.WaitGroup
	rec.mu.Lock()
	rec.begin = time.Now()
	rec.mu.Unlock()
	tick := time.NewTicker(every)
	var from, to time.Duration
	for paused, resumed := false, false; ; {
		now := <-tick.C
		el := now.Sub(rec.begin)
		if el >= length {
			break
		}
		if !paused && el >= freeze {
			srv.Pause()
			from, paused = time.Since(rec.begin), true
		}
		if paused && !resumed && el >= thaw {
			srv.Resume()
			to, resumed = time.Since(rec.begin), true
		}
		k := 0
		if rng.IntN(10) >= 4 {
			k = 1 + rng.IntN(keys)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := r.Call(ctx, k); err != nil || v != fmt.Sprintf("v%d", k) {
				t.Errorf("Call(%d) = %q, %v", k, v, err)
			}
		}()
	}
	tick.Stop()
	wg.Wait()

	rec.mu.Lock()
	defer rec.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "# TestChartsDashboard (chart_dashboard_test.go), %s, %s %s/%s, %d CPUs\n",
		time.Now().UTC().Format("2006-01-02"), runtime.Version(), runtime.GOOS, runtime.GOARCH, runtime.NumCPU())
	fmt.Fprintf(&b, "# a private redis-server, go-redis with its defaults, ring's default guard; a Call every %v, 40%% on one hot key, the rest on %d keys; Expire(2s)\n", every, keys)
	fmt.Fprintf(&b, "outage\t%.3f\t%.3f\n", from.Seconds(), to.Seconds())
	b.WriteString("t\thit\tmiss\tstale\tnegative\tbypass\terror\tloads\tload_p50_us\tload_p99_us\tops\top_p50_us\top_p99_us\top_err\tfailopen\tcoalesced\tbreaker_open\n")
	open := false
	var opened, closed, failOpens int
	n := int(length / dashInterval)
	for i := range min(n, len(rec.buckets)) {
		bk := rec.buckets[i]
		wasOpen := open || bk.opened
		if bk.opened {
			open = true
			opened++
		}
		if bk.closed {
			open = false
			closed++
		}
		failOpens += bk.failOpen
		breaker := 0
		if wasOpen {
			breaker = 1
		}
		fmt.Fprintf(&b, "%.2f\t%d\t%d\t%d\t%d\t%d\t%d\t%d\t%.1f\t%.1f\t%d\t%.1f\t%.1f\t%d\t%d\t%d\t%d\n",
			(time.Duration(i+1) * dashInterval).Seconds(),
			bk.req[observe.Hit], bk.req[observe.Miss], bk.req[observe.Stale], bk.req[observe.Negative], bk.req[observe.Bypass], bk.req[observe.Error],
			len(bk.loads), quantileUs(bk.loads, 0.5), quantileUs(bk.loads, 0.99),
			len(bk.ops), quantileUs(bk.ops, 0.5), quantileUs(bk.ops, 0.99), bk.opErr,
			bk.failOpen, bk.coalesc, breaker)
	}
	if opened == 0 || closed == 0 || failOpens == 0 {
		t.Errorf("the run does not show the outage: breaker opened %d and closed %d times, %d fail-opens", opened, closed, failOpens)
	}
	if err := os.WriteFile(out, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
