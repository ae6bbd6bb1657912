package ring_test

import (
	"context"
	"math"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// TestXFetchRing: with delta and U fixed (-ln U = 1, beta 2, delta 1s), an
// entry is due from 2s before its expiry: a hit earlier is served without a
// refresh, one then is served and refreshed once. The due point is moved
// by the grace of StaleWhileRevalidate.
func TestXFetchRing(t *testing.T) {
	ctx := context.Background()
	for name, extra := range map[string][]ring.Option{
		"alone":     nil,
		"with swr":  {ring.StaleWhileRevalidate(time.Minute, 5*time.Second)},
		"with sie":  {ring.StaleIfError(time.Minute)},
		"and ahead": {ring.RefreshAhead(10*time.Minute-time.Second, 5*time.Second)}, // due 1s before expiry: XFetch first
	} {
		t.Run(name, func(t *testing.T) {
			src := newSource()
			close(src.hold)
			r, clk, evs := lruFresh(t, src, append([]ring.Option{ring.XFetch(2, 5*time.Second)}, extra...)...)
			_, err := r.Call(ctx, 1)
			require.NoError(t, err)
			ring.SetXFetchForTest(r.Cache(), func() float64 { return 1 - math.Exp(-1) }, time.Second)
			clk.Add(10*time.Minute - 2*time.Second - time.Millisecond)
			v, err := r.Call(ctx, 1)
			require.NoError(t, err)
			require.Equal(t, "v1", v)
			ring.WaitRefreshesForTest(r.Cache())
			require.EqualValues(t, 1, src.runs.Load(), "2s and 1ms before expiry: not due")
			clk.Add(2 * time.Millisecond)
			v, err = r.Call(ctx, 1)
			require.NoError(t, err)
			require.Equal(t, "v1", v, "due: served at once")
			ring.WaitRefreshesForTest(r.Cache())
			require.EqualValues(t, 2, src.runs.Load(), "due: refreshed")
			v, err = r.Call(ctx, 1)
			require.NoError(t, err)
			require.Equal(t, "v2", v)
			require.Empty(t, evs.ops())
		})
	}
}

// TestXFetchEndToEnd: a function that takes 20ms of real time, on a store
// whose clock moves 1ms per Call for 5000 Calls with Expire(1s): XFetch
// measures the function itself, and every run after the first is a
// background refresh made before the entry expired (no caller waits), about
// one per Expire, each less than a few deltas before expiry.
func TestXFetchEndToEnd(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	lru, err := backends.NewLRU(64, backends.WithClock(clk.Now))
	require.NoError(t, err)
	var mu sync.Mutex
	var runs []time.Time // store time of each run
	var waited int       // runs with no deadline: a caller's fill
	fn := func(ctx context.Context, id int) (time.Time, error) {
		time.Sleep(20 * time.Millisecond)
		now := clk.Now()
		mu.Lock()
		defer mu.Unlock()
		if _, ok := ctx.Deadline(); !ok {
			waited++
		}
		runs = append(runs, now)
		return now, nil
	}
	r, err := ring.Func1(fn, ring.Storage(lru), ring.KeyPrefix("xfetch-e2e"), ring.Expire(time.Second), ring.XFetch(1, 5*time.Second))
	require.NoError(t, err)
	for range 5000 {
		v, err := r.Call(ctx, 1)
		require.NoError(t, err)
		require.False(t, clk.Now().Sub(v) > time.Second, "served an expired value")
		ring.WaitRefreshesForTest(r.Cache())
		clk.Add(time.Millisecond)
	}
	delta := ring.XFetchDeltaForTest(r.Cache())
	require.Greater(t, delta, 15*time.Millisecond, "delta measures the function")
	mu.Lock()
	defer mu.Unlock()
	require.Equal(t, 1, waited, "only the first run had a caller waiting")
	require.GreaterOrEqual(t, len(runs), 5)
	require.LessOrEqual(t, len(runs), 7)
	for i := 1; i < len(runs); i++ {
		gap := runs[i].Sub(runs[i-1])
		require.Less(t, gap, time.Second, "refreshed before expiry")
		require.Greater(t, gap, time.Second-40*delta, "refreshed early, not too early")
	}
}
