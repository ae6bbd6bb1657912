package ring_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// lruFresh is a ring on an LRU with a fake clock, Expire(10m) and opts
// (the freshness policies under test).
func lruFresh(t *testing.T, src *source, opts ...ring.Option) (*ring.Ring1[int, string], *clock, *events) {
	t.Helper()
	clk := newClock()
	lru, err := backends.NewLRU(64, backends.WithClock(clk.Now))
	require.NoError(t, err)
	var evs events
	base := []ring.Option{ring.Storage(lru), ring.KeyPrefix("fresh"), ring.Expire(10 * time.Minute), ring.OnError(evs.hook)}
	r, err := ring.Func1(src.closure(), append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { ring.WaitRefreshesForTest(r.Cache()) })
	return r, clk, &evs
}

// timeLeft is the time the entry of id has left in r's storage.
func timeLeft(t *testing.T, r *ring.Ring1[int, string], id int) time.Duration {
	t.Helper()
	_, ttl, found, err := backends.GetWithTTL(context.Background(), r.Cache().Storage(), r.Cache().Key(fmt.Sprint(id)))
	require.NoError(t, err)
	require.True(t, found)
	return ttl
}

// TestStaleWhileRevalidateOnce: 64 concurrent Calls of an entry two
// minutes past its expiry, each with a deadline far shorter than the
// function, are all served the stale value at once and start one
// background refresh; the refreshed entry is fresh, written with Expire
// plus the grace.
func TestStaleWhileRevalidateOnce(t *testing.T) {
	ctx := context.Background()
	src := newSource()
	r, clk, evs := lruFresh(t, src, ring.StaleWhileRevalidate(5*time.Minute, 5*time.Second))
	v, err := r.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "v1", v)
	require.Equal(t, 15*time.Minute, timeLeft(t, r, 1), "written with Expire + maxStale")

	clk.Add(9 * time.Minute) // fresh: no refresh
	require.Equal(t, []string{"v1"}, callConcurrently(t, ctx, r, 1, 1))
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 1, src.runs.Load())

	clk.Add(3 * time.Minute) // two minutes past expiry
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	for _, v := range callConcurrently(t, short, r, 1, 64) {
		require.Equal(t, "v1", v, "a stale entry within maxStale is served at once")
	}
	fctx := src.waitStart(t)
	require.NoError(t, fctx.Err())
	<-short.Done() // every caller's deadline has passed; the refresh goes on
	close(src.hold)
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 2, src.runs.Load(), "64 hits of a stale entry: one refresh")
	require.Equal(t, 15*time.Minute, timeLeft(t, r, 1))
	v, err = r.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "v2", v)
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 2, src.runs.Load(), "the refreshed entry is fresh")
	require.Empty(t, evs.ops())
}

// TestStaleWhileRevalidateBound: with StaleIfError's longer grace, an
// entry exactly maxStale past its expiry is served; one a millisecond
// staler is not: Call waits for the function, and Get, Has and Many().Get
// report a miss.
func TestStaleWhileRevalidateBound(t *testing.T) {
	ctx := context.Background()
	src := newSource()
	close(src.hold)
	r, clk, _ := lruFresh(t, src, ring.StaleWhileRevalidate(time.Minute, 5*time.Second), ring.StaleIfError(time.Hour))
	_, err := r.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, 70*time.Minute, timeLeft(t, r, 1), "the grace is the longest of maxStale and maxAge")

	clk.Add(11 * time.Minute) // exactly maxStale past expiry
	v, found, err := r.Get(ctx, 1)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "v1", v)
	has, err := r.Has(ctx, 1)
	require.NoError(t, err)
	require.True(t, has)
	clk.Add(time.Millisecond) // 1m + 1ms past expiry
	v, found, err = r.Get(ctx, 1)
	require.NoError(t, err)
	require.False(t, found, "an entry staler than maxStale is not served: %q", v)
	has, err = r.Has(ctx, 1)
	require.NoError(t, err)
	require.False(t, has)
	_, founds, err := r.Many().Get(ctx, []int{1})
	require.NoError(t, err)
	require.Equal(t, []bool{false}, founds)
	v, err = r.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "v2", v, "Call waited for the function")
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 2, src.runs.Load())
	require.Equal(t, 70*time.Minute, timeLeft(t, r, 1))
}

// TestStaleWhileRevalidateNeverStaler: a random walk of the clock, with
// refreshes that fail half of the time, never serves a value more than
// maxStale past its expiry, from Call, Get or Many().GetOrUpdate. The
// function returns the clock's time, which is when its entry was written.
func TestStaleWhileRevalidateNeverStaler(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	lru, err := backends.NewLRU(64, backends.WithClock(clk.Now))
	require.NoError(t, err)
	rnd := rand.New(rand.NewPCG(1, 2))
	var failing atomic.Bool
	const expire, maxStale, maxAge = 10 * time.Minute, 2 * time.Minute, 5 * time.Minute
	fn := func(ctx context.Context, id int) (time.Time, error) {
		if failing.Load() {
			return time.Time{}, errors.New("source down")
		}
		return clk.Now(), nil
	}
	for _, opts := range [][]ring.Option{
		{ring.StaleWhileRevalidate(maxStale, time.Second)},
		{ring.StaleWhileRevalidate(maxStale, time.Second), ring.StaleIfError(maxAge)},
		{ring.StaleWhileRevalidate(maxStale, time.Second), ring.RefreshAhead(8*time.Minute, time.Second)},
	} {
		r, err := ring.Func1(fn, append([]ring.Option{ring.Storage(lru), ring.KeyPrefix(fmt.Sprint("walk", len(opts), opts[len(opts)-1])),
			ring.Expire(expire), ring.OnError(func(ring.Event) {})}, opts...)...)
		require.NoError(t, err)
		sie := len(opts) == 2
		served := 0
		for i := range 3000 {
			failing.Store(rnd.IntN(2) == 0)
			clk.Add(time.Duration(rnd.Int64N(int64(4 * time.Minute))))
			now := clk.Now()
			var got time.Time
			var err error
			switch i % 3 {
			case 0:
				got, err = r.Call(ctx, 1)
			case 1:
				var found bool
				got, found, err = r.Get(ctx, 1)
				if !found {
					continue
				}
			default:
				var vs []time.Time
				vs, err = r.Many().GetOrUpdate(ctx, []int{1})
				if len(vs) == 1 {
					got = vs[0]
				}
			}
			ring.WaitRefreshesForTest(r.Cache())
			if err != nil {
				continue
			}
			served++
			staleness := now.Sub(got) - expire
			bound := maxStale
			if sie && i%3 != 1 && failing.Load() {
				bound = maxAge // a failed fill (Call, GetOrUpdate) may answer with the entry up to maxAge
			}
			require.LessOrEqual(t, staleness, bound, "step %d served a value written at %v at %v", i, got, now)
		}
		require.Greater(t, served, 1000)
	}
}

// TestStaleIfError: a fill that fails (an error, a panic) on an entry
// within maxAge past its expiry returns the stale value with a nil error
// to every caller of the flight, and reports the error with Op
// "stale-if-error"; nothing is written. ErrNotFound is not masked, and an
// entry staler than maxAge is not served.
func TestStaleIfError(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("source down")
	gone := fmt.Errorf("row 1: %w", ring.ErrNotFound)
	cases := map[string]struct {
		arm   func(src *source)
		stale time.Duration // past expiry
		want  func(t *testing.T, v string, err error, evs *events)
	}{
		"error": {func(src *source) { src.fail.Store(&boom) }, 30 * time.Minute,
			func(t *testing.T, v string, err error, evs *events) {
				require.NoError(t, err)
				require.Equal(t, "v1", v)
				got := evs.list()
				require.Len(t, got, 1)
				require.Equal(t, "stale-if-error", got[0].Op)
				require.ErrorIs(t, got[0].Err, boom)
			}},
		"panic": {func(src *source) { src.panics.Store(true) }, 30 * time.Minute,
			func(t *testing.T, v string, err error, evs *events) {
				require.NoError(t, err)
				require.Equal(t, "v1", v)
				got := evs.list()
				require.Len(t, got, 1)
				require.Equal(t, "stale-if-error", got[0].Op)
				require.ErrorContains(t, got[0].Err, "refresh boom")
			}},
		"not found": {func(src *source) { src.fail.Store(&gone) }, 30 * time.Minute,
			func(t *testing.T, v string, err error, evs *events) {
				require.ErrorIs(t, err, ring.ErrNotFound, "not found is the answer, not a failure")
				require.Empty(t, evs.ops())
			}},
		// No entry is staler than the grace (maxAge here): it has expired.
		"too old": {func(src *source) { src.fail.Store(&boom) }, time.Hour + time.Second,
			func(t *testing.T, v string, err error, evs *events) {
				require.ErrorIs(t, err, boom)
				require.Empty(t, evs.ops())
			}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			src := newSource()
			r, clk, evs := lruFresh(t, src, ring.StaleIfError(time.Hour))
			_, err := r.Call(ctx, 1)
			require.NoError(t, err)
			clk.Add(10*time.Minute + tc.stale) // grace 1h: left = 1h - stale
			tc.arm(src)
			// Concurrent callers share the failed run.
			var wg sync.WaitGroup
			vs, errs := make([]string, 8), make([]error, 8)
			for i := range 8 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					defer func() {
						if p := recover(); p != nil {
							errs[i] = fmt.Errorf("panic: %v", p)
						}
					}()
					vs[i], errs[i] = r.Call(ctx, 1)
				}()
			}
			src.waitStart(t)
			time.Sleep(20 * time.Millisecond) // let the others join
			close(src.hold)
			wg.Wait()
			if name == "panic" || name == "error" {
				for i := range vs {
					require.Equal(t, vs[0], vs[i])
					require.Equal(t, errs[0], errs[i])
				}
			}
			tc.want(t, vs[0], errs[0], evs)
			require.LessOrEqual(t, src.runs.Load(), int64(2+len(vs)/2), "callers joined one run")
			if name != "too old" {
				left := timeLeft(t, r, 1)
				require.Equal(t, time.Hour-tc.stale, left, "the stale value was not written again")
			}
		})
	}
	// Without a stale entry, a panic still reaches the caller as one.
	src := newSource()
	close(src.hold)
	r, _, _ := lruFresh(t, src, ring.StaleIfError(time.Hour))
	_, err := r.Call(ctx, 1)
	require.NoError(t, err)
	require.NoError(t, r.Delete(ctx, 1))
	src.panics.Store(true)
	func() {
		defer func() {
			p := recover()
			require.NotNil(t, p, "no stale value: the panic reaches the caller")
			require.Contains(t, fmt.Sprint(p), "refresh boom")
		}()
		_, _ = r.Call(ctx, 1)
	}()
}

// TestStaleIfErrorCallerDeadline: a caller whose context ends while the
// fill of a stale entry runs gets the stale value (within maxAge) with a
// nil error (the fill, which every caller left, writes nothing).
func TestStaleIfErrorCallerDeadline(t *testing.T) {
	src := newSource()
	r, clk, evs := lruFresh(t, src, ring.StaleIfError(time.Hour))
	_, err := r.Call(context.Background(), 1)
	require.NoError(t, err)
	clk.Add(30 * time.Minute)
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	v, err := r.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "v1", v)
	got := evs.list()
	require.Len(t, got, 1)
	require.Equal(t, "stale-if-error", got[0].Op)
	require.ErrorIs(t, got[0].Err, context.DeadlineExceeded)
	src.waitStart(t)
	close(src.hold)
}

// TestFreshHitAllocations: with every policy, an LRU hit that is not due
// still allocates only its key.
func TestFreshHitAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under -race; run without it")
	}
	ctx := context.Background()
	r := ring.Must(ring.Func2(lookup, ring.LRU(16), ring.Expire(time.Minute), ring.StaleWhileRevalidate(time.Minute, time.Second),
		ring.StaleIfError(time.Hour), ring.XFetch(1, time.Second)))
	_, _ = r.Call(ctx, "apple", 42)
	if got := testing.AllocsPerRun(1000, func() { _, _ = r.Call(ctx, "apple", 42) }); got > 1 {
		t.Errorf("%v allocations per hit with the freshness policies, want 1", got)
	}
}

// BenchmarkFreshHit compares an LRU hit without a policy and with
// StaleWhileRevalidate, StaleIfError and XFetch (the entry is fresh and
// not due). Run it with:
//
//	go test -run '^$' -bench 'FreshHit' -benchmem -count 10 .
func BenchmarkFreshHit(b *testing.B) {
	ctx := context.Background()
	for name, opts := range map[string][]ring.Option{
		"without": {ring.LRU(1024), ring.Expire(time.Minute)},
		"with":    {ring.LRU(1024), ring.Expire(time.Minute), ring.StaleWhileRevalidate(time.Minute, time.Second), ring.StaleIfError(time.Hour), ring.XFetch(1, time.Second)},
	} {
		b.Run(name, func(b *testing.B) {
			r := ring.Must(ring.Func2(lookup, append(opts, ring.KeyPrefix("lookup"))...))
			_, _ = r.Call(ctx, "apple", 42)
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Call(ctx, "apple", 42); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// TestStaleWhileRevalidateFailure: a background refresh of a stale entry
// that fails (an error, a panic) keeps the stale value, reports Op
// "refresh", and the next hit tries again.
func TestStaleWhileRevalidateFailure(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("source down")
	for name, arm := range map[string]func(src *source){
		"error": func(src *source) { src.fail.Store(&boom) },
		"panic": func(src *source) { src.panics.Store(true) },
	} {
		t.Run(name, func(t *testing.T) {
			src := newSource()
			close(src.hold)
			r, clk, evs := lruFresh(t, src, ring.StaleWhileRevalidate(5*time.Minute, time.Second))
			_, err := r.Call(ctx, 1)
			require.NoError(t, err)
			clk.Add(12 * time.Minute)
			arm(src)
			v, err := r.Call(ctx, 1)
			require.NoError(t, err)
			require.Equal(t, "v1", v)
			ring.WaitRefreshesForTest(r.Cache())
			got := evs.list()
			require.Len(t, got, 1)
			require.Equal(t, "refresh", got[0].Op)
			v, found, err := r.Get(ctx, 1)
			require.NoError(t, err)
			require.True(t, found)
			require.Equal(t, "v1", v, "a failed refresh keeps the stale value")
			require.Equal(t, 3*time.Minute, timeLeft(t, r, 1), "and writes nothing")

			src.fail.Store(nil)
			src.panics.Store(false)
			v, err = r.Call(ctx, 1)
			require.NoError(t, err)
			require.Equal(t, "v1", v)
			ring.WaitRefreshesForTest(r.Cache())
			v, _, _ = r.Get(ctx, 1)
			require.Equal(t, "v3", v, "the next hit tried again")
		})
	}
}
