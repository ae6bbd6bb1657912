package ring_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
	"github.com/ringcache/ring/strategy"
)

// source is a function for refresh-ahead tests: its n-th run returns
// "v<n>". Runs after the first wait for hold to be closed (or for their
// context to end) once hold is set, and announce their start on started.
type source struct {
	runs    atomic.Int64
	hold    chan struct{}
	started chan context.Context
	// fail, when set, is the error of every run after the first.
	fail atomic.Pointer[error]
	// panics makes every run after the first panic.
	panics atomic.Bool
}

func newSource() *source {
	return &source{hold: make(chan struct{}), started: make(chan context.Context, 128)}
}

// waitStart waits for a held run to start and returns its context; a
// run that never starts fails the test.
func (s *source) waitStart(t *testing.T) context.Context {
	t.Helper()
	select {
	case ctx := <-s.started:
		return ctx
	case <-time.After(10 * time.Second):
		t.Fatal("no refresh started")
		return nil
	}
}

// closure is fn as a function literal (a method value hides its
// receiver, and a ring refuses it).
func (s *source) closure() func(ctx context.Context, id int) (string, error) {
	return func(ctx context.Context, id int) (string, error) { return s.fn(ctx, id) }
}

func (s *source) fn(ctx context.Context, id int) (string, error) {
	n := s.runs.Add(1)
	if n == 1 {
		return fmt.Sprintf("v%d", n), nil
	}
	s.started <- ctx
	select {
	case <-s.hold:
	case <-ctx.Done():
		return "", ctx.Err()
	}
	if s.panics.Load() {
		panic("refresh boom")
	}
	if err := s.fail.Load(); err != nil {
		return "", *err
	}
	return fmt.Sprintf("v%d", n), nil
}

// lruAhead is a ring on an LRU with a fake clock: Expire(10m),
// RefreshAhead(1m, timeout).
func lruAhead(t *testing.T, src *source, timeout time.Duration, opts ...ring.Option) (*ring.Ring1[int, string], *clock, *events) {
	t.Helper()
	clk := newClock()
	lru, err := backends.NewLRU(64, backends.WithClock(clk.Now))
	require.NoError(t, err)
	var evs events
	base := []ring.Option{ring.Storage(lru), ring.KeyPrefix("ahead"), ring.Expire(10 * time.Minute),
		ring.RefreshAhead(time.Minute, timeout), ring.OnError(evs.hook)}
	r, err := ring.Func1(src.closure(), append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() { ring.WaitRefreshesForTest(r.Cache()) })
	return r, clk, &evs
}

// callConcurrently makes n concurrent Calls of id and returns their
// results.
func callConcurrently(t *testing.T, ctx context.Context, r *ring.Ring1[int, string], id, n int) []string {
	t.Helper()
	out := make([]string, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			out[i], errs[i] = r.Call(ctx, id)
		}()
	}
	close(start)
	wg.Wait()
	for _, err := range errs {
		require.NoError(t, err)
	}
	return out
}

// TestRefreshAheadOnce: 64 concurrent hits of a due entry are served the
// cached value at once and start exactly one refresh; the refreshed entry
// is fresh again, and a hit of it starts none.
func TestRefreshAheadOnce(t *testing.T) {
	ctx := context.Background()
	src := newSource()
	r, clk, evs := lruAhead(t, src, 5*time.Second)
	v, err := r.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "v1", v)

	clk.Add(30 * time.Second) // not due yet: no refresh
	require.Equal(t, []string{"v1"}, callConcurrently(t, ctx, r, 1, 1))
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 1, src.runs.Load())

	clk.Add(time.Minute) // 90s old: due
	got := callConcurrently(t, ctx, r, 1, 64)
	for _, v := range got {
		require.Equal(t, "v1", v, "a due entry is served as it is")
	}
	src.waitStart(t) // the refresh runs, held, while every caller has returned
	close(src.hold)
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 2, src.runs.Load(), "64 hits of a due entry: one refresh")

	v, err = r.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "v2", v)
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 2, src.runs.Load(), "the refreshed entry is fresh")
	_, ttl, found, err := backends.GetWithTTL(ctx, r.Cache().Storage(), r.Cache().Key("1"))
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, 10*time.Minute, ttl, "the refresh wrote with the ring's Expire, at the clock's time")
	require.Empty(t, evs.ops())
}

// TestRefreshAheadDetachedContext: the caller's context ends right after
// the hit; the refresh still runs to the end on a context with the caller's
// values, not cancelled, with a deadline of its own.
func TestRefreshAheadDetachedContext(t *testing.T) {
	type ctxKey struct{}
	src := newSource()
	r, clk, evs := lruAhead(t, src, 5*time.Second)
	_, err := r.Call(context.Background(), 1)
	require.NoError(t, err)
	clk.Add(2 * time.Minute)

	ctx, cancel := context.WithCancel(context.WithValue(context.Background(), ctxKey{}, "trace-7"))
	v, err := r.Call(ctx, 1)
	cancel()
	require.NoError(t, err)
	require.Equal(t, "v1", v)
	fctx := src.waitStart(t)
	require.NoError(t, fctx.Err(), "the caller's cancel does not reach the refresh")
	close(src.hold)
	ring.WaitRefreshesForTest(r.Cache())

	require.Equal(t, "trace-7", fctx.Value(ctxKey{}), "the refresh keeps the caller's values")
	dl, ok := fctx.Deadline()
	require.True(t, ok, "the refresh has a deadline of its own")
	require.WithinDuration(t, time.Now().Add(5*time.Second), dl, 5*time.Second)
	v, found, err := r.Get(context.Background(), 1)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "v2", v, "the refresh completed after its caller's context ended")
	require.Empty(t, evs.ops())
}

// TestRefreshAheadFailure: a refresh that fails (the function's error, a
// panic, its timeout) keeps the old value, reports an Event with Op
// "refresh", and the next hit tries again.
func TestRefreshAheadFailure(t *testing.T) {
	ctx := context.Background()
	boom := errors.New("source down")
	cases := map[string]struct {
		timeout time.Duration
		arm     func(src *source)
		check   func(t *testing.T, err error)
	}{
		"error": {5 * time.Second, func(src *source) { src.fail.Store(&boom); close(src.hold) },
			func(t *testing.T, err error) { require.ErrorIs(t, err, boom) }},
		"panic": {5 * time.Second, func(src *source) { src.panics.Store(true); close(src.hold) },
			func(t *testing.T, err error) { require.ErrorContains(t, err, "refresh boom") }},
		// hold stays open: the run waits for its context, which ends at
		// the refresh's timeout.
		"timeout": {50 * time.Millisecond, func(src *source) {},
			func(t *testing.T, err error) {
				require.ErrorIs(t, err, context.DeadlineExceeded)
				require.ErrorContains(t, err, "timeout 50ms")
			}},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			src := newSource()
			r, clk, evs := lruAhead(t, src, tc.timeout)
			_, err := r.Call(ctx, 1)
			require.NoError(t, err)
			clk.Add(2 * time.Minute)
			tc.arm(src)
			v, err := r.Call(ctx, 1)
			require.NoError(t, err)
			require.Equal(t, "v1", v)
			src.waitStart(t)
			ring.WaitRefreshesForTest(r.Cache())

			got := evs.list()
			require.Len(t, got, 1)
			require.Equal(t, "refresh", got[0].Op)
			require.Equal(t, r.Cache().Key("1"), got[0].Key)
			tc.check(t, got[0].Err)
			v, found, err := r.Get(ctx, 1)
			require.NoError(t, err)
			require.True(t, found)
			require.Equal(t, "v1", v, "a failed refresh keeps the old value")

			// The next hit tries again, and this time succeeds.
			src.fail.Store(nil)
			src.panics.Store(false)
			if name == "timeout" {
				close(src.hold)
			}
			v, err = r.Call(ctx, 1)
			require.NoError(t, err)
			require.Equal(t, "v1", v)
			src.waitStart(t)
			ring.WaitRefreshesForTest(r.Cache())
			require.EqualValues(t, 3, src.runs.Load())
			v, _, _ = r.Get(ctx, 1)
			require.Equal(t, "v3", v)
			require.Len(t, evs.list(), 1)
		})
	}
}

// TestRefreshAheadSetWins: a Set made while a refresh runs is not
// overwritten by the refresh's result; nor is a Delete.
func TestRefreshAheadSetWins(t *testing.T) {
	ctx := context.Background()
	for _, write := range []string{"set", "delete"} {
		t.Run(write, func(t *testing.T) {
			src := newSource()
			r, clk, _ := lruAhead(t, src, 5*time.Second)
			_, err := r.Call(ctx, 1)
			require.NoError(t, err)
			clk.Add(2 * time.Minute)
			_, err = r.Call(ctx, 1)
			require.NoError(t, err)
			src.waitStart(t)
			if write == "set" {
				require.NoError(t, r.Set(ctx, "newer", 1))
			} else {
				require.NoError(t, r.Delete(ctx, 1))
			}
			close(src.hold)
			ring.WaitRefreshesForTest(r.Cache())
			require.EqualValues(t, 2, src.runs.Load())
			v, found, err := r.Get(ctx, 1)
			require.NoError(t, err)
			if write == "set" {
				require.True(t, found)
				require.Equal(t, "newer", v, "the Set made during the refresh wins")
			} else {
				require.False(t, found, "the Delete made during the refresh wins")
			}
		})
	}
}

// TestRefreshAheadExpired: an entry past its expiry is a miss: the caller
// waits for the function, as without the option, and no refresh starts.
func TestRefreshAheadExpired(t *testing.T) {
	ctx := context.Background()
	src := newSource()
	close(src.hold)
	r, clk, _ := lruAhead(t, src, 5*time.Second)
	_, err := r.Call(ctx, 1)
	require.NoError(t, err)
	clk.Add(11 * time.Minute)
	v, err := r.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "v2", v, "past expiry: the fresh result")
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 2, src.runs.Load())
	require.Len(t, src.started, 1)
}

// TestRefreshAheadSharesMiss: a miss of a key whose refresh is running
// (the entry expired meanwhile) joins the refresh: one execution for both.
func TestRefreshAheadSharesMiss(t *testing.T) {
	ctx := context.Background()
	src := newSource()
	r, clk, _ := lruAhead(t, src, 5*time.Second)
	_, err := r.Call(ctx, 1)
	require.NoError(t, err)
	clk.Add(2 * time.Minute)
	v, err := r.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "v1", v)
	src.waitStart(t)
	clk.Add(9 * time.Minute) // the entry expires while the refresh runs

	got := make(chan string)
	go func() {
		v, err := r.Call(ctx, 1)
		if err != nil {
			v = err.Error()
		}
		got <- v
	}()
	// The miss waits for the held run; release it only once the miss has
	// joined: until then, no second run may start.
	require.Never(t, func() bool { return src.runs.Load() > 2 }, 50*time.Millisecond, 5*time.Millisecond)
	close(src.hold)
	require.Equal(t, "v2", <-got)
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 2, src.runs.Load(), "the miss and the refresh share one execution")
}

// TestRefreshAheadBulkAndGet: Get never refreshes; a due hit of
// Many().GetOrUpdate is served as it is and refreshed in the background,
// as Call's is (TestRefreshAheadBulk has more).
func TestRefreshAheadBulkAndGet(t *testing.T) {
	ctx := context.Background()
	src := newSource()
	close(src.hold)
	r, clk, _ := lruAhead(t, src, 5*time.Second)
	_, err := r.Call(ctx, 1)
	require.NoError(t, err)
	clk.Add(2 * time.Minute)
	_, _, err = r.Get(ctx, 1)
	require.NoError(t, err)
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 1, src.runs.Load(), "Get never refreshes")
	vs, err := r.Many().GetOrUpdate(ctx, []int{1})
	require.NoError(t, err)
	require.Equal(t, []string{"v1"}, vs)
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 2, src.runs.Load(), "the bulk hit was refreshed")
}

// noTTLStore is a storage without TTLGetter.
type noTTLStore struct{ backends.Storage }

// TestRefreshAheadBuildErrors: what RefreshAhead needs is checked when the
// ring is built.
func TestRefreshAheadBuildErrors(t *testing.T) {
	fn := func(ctx context.Context, id int) (string, error) { return "", nil }
	cases := map[string]struct {
		opts []ring.Option
		want string
	}{
		"no expire":      {[]ring.Option{ring.RefreshAhead(time.Minute, time.Second)}, "needs Expire"},
		"ttl func":       {[]ring.Option{ring.Expire(time.Hour), ring.TTLFunc(func(string, any) time.Duration { return time.Hour }), ring.RefreshAhead(time.Minute, time.Second)}, "not TTLFunc"},
		"after = expire": {[]ring.Option{ring.Expire(time.Minute), ring.RefreshAhead(time.Minute, time.Second)}, "less than Expire(1m0s)"},
		"zero timeout":   {[]ring.Option{ring.Expire(time.Hour), ring.RefreshAhead(time.Minute, 0)}, "must be positive"},
		"negative after": {[]ring.Option{ring.Expire(time.Hour), ring.RefreshAhead(-time.Minute, time.Second)}, "must be positive"},
		"strategy":       {[]ring.Option{ring.Expire(time.Hour), ring.RefreshAhead(time.Minute, time.Second), ring.WithStrategy(strategy.Default{})}, "custom strategy"},
		"no ttl getter":  {[]ring.Option{ring.Storage(noTTLStore{backends.NewDict()}), ring.Expire(time.Hour), ring.RefreshAhead(time.Minute, time.Second)}, "does not implement backends.TTLGetter"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ring.Func1(fn, append([]ring.Option{ring.KeyPrefix("ahead-bad")}, tc.opts...)...)
			require.ErrorContains(t, err, tc.want)
			require.True(t, strings.HasPrefix(err.Error(), "ring: "), err.Error())
		})
	}
	// A preset with RefreshAhead still builds on Dummy (caching off).
	_, err := ring.Func1(fn, ring.KeyPrefix("ahead-dummy"), ring.Preset(ring.Expire(time.Hour), ring.RefreshAhead(time.Minute, time.Second)), ring.Dummy())
	require.NoError(t, err)
	_, err = ring.NewCache[string](ring.RefreshAhead(time.Minute, time.Second))
	require.ErrorContains(t, err, "RefreshAhead does not apply to a Cache")
	require.Equal(t, "RefreshAhead(1m0s, 5s)", ring.RefreshAhead(time.Minute, 5*time.Second).String())
}

// remoteAhead builds a ring with RefreshAhead on storage and writes entry
// 1 with a time-to-live of 5s, which makes it due at once (age = Expire
// 1m - 5s).
func remoteAhead(t *testing.T, storage ring.Option, src *source, evs *events) *ring.Ring1[int, string] {
	t.Helper()
	// remoteFresh's StorageTimeout(2s): 64 concurrent reads under -race on
	// a loaded machine can pass the default 100ms, and a read that times
	// out is a miss, which joins the held refresh.
	return remoteFresh(t, storage, src, evs, 5*time.Second, ring.RefreshAhead(10*time.Second, 5*time.Second))
}

// TestRefreshAheadRemote runs refresh-ahead on real servers: Redis (a node
// and a Cluster) and memcached with its server selector, where the time
// left comes with the value in one round trip.
func TestRefreshAheadRemote(t *testing.T) {
	stores := ttlStores()
	for name, storage := range stores {
		t.Run(name, func(t *testing.T) {
			t.Run("once", func(t *testing.T) {
				src := newSource()
				var evs events
				r := remoteAhead(t, storage(t), src, &evs)
				// A context that can end takes the Cancelable path.
				ctx, cancel := context.WithCancel(context.Background())
				got := callConcurrently(t, ctx, r, 1, 64)
				cancel() // the callers are gone: the refresh goes on
				for _, v := range got {
					require.Equal(t, "v1", v)
				}
				src.waitStart(t)
				close(src.hold)
				ring.WaitRefreshesForTest(r.Cache())
				require.EqualValues(t, 2, src.runs.Load(), "64 hits of a due entry: one refresh")
				v, ttl, found, err := backends.GetWithTTL(context.Background(), r.Cache().Storage(), r.Cache().Key("1"))
				require.NoError(t, err)
				require.True(t, found)
				require.Greater(t, ttl, 50*time.Second, "written again with the ring's Expire")
				require.NotNil(t, v)
				got2, err := r.Call(context.Background(), 1)
				require.NoError(t, err)
				require.Equal(t, "v2", got2)
				ring.WaitRefreshesForTest(r.Cache())
				require.EqualValues(t, 2, src.runs.Load())
				require.Empty(t, evs.ops())
			})
			t.Run("set wins", func(t *testing.T) {
				src := newSource()
				var evs events
				r := remoteAhead(t, storage(t), src, &evs)
				ctx := context.Background()
				v, err := r.Call(ctx, 1)
				require.NoError(t, err)
				require.Equal(t, "v1", v)
				src.waitStart(t)
				require.NoError(t, r.Set(ctx, "newer", 1))
				close(src.hold)
				ring.WaitRefreshesForTest(r.Cache())
				v, found, err := r.Get(ctx, 1)
				require.NoError(t, err)
				require.True(t, found)
				require.Equal(t, "newer", v)
			})
			t.Run("failure", func(t *testing.T) {
				src := newSource()
				var evs events
				r := remoteAhead(t, storage(t), src, &evs)
				ctx := context.Background()
				boom := errors.New("source down")
				src.fail.Store(&boom)
				close(src.hold)
				v, err := r.Call(ctx, 1)
				require.NoError(t, err)
				require.Equal(t, "v1", v)
				src.waitStart(t)
				ring.WaitRefreshesForTest(r.Cache())
				got := evs.list()
				require.Len(t, got, 1)
				require.Equal(t, "refresh", got[0].Op)
				require.ErrorIs(t, got[0].Err, boom)
				v, found, err := r.Get(ctx, 1)
				require.NoError(t, err)
				require.True(t, found)
				require.Equal(t, "v1", v)
			})
		})
	}
}

// TestRefreshAheadUnknownTTL: memcached without its server selector cannot
// say how long an entry has left: hits are served without refresh-ahead,
// and the ring says so once.
func TestRefreshAheadUnknownTTL(t *testing.T) {
	src := newSource()
	var evs events
	r := remoteAhead(t, ring.Storage(memcachestore.New(sharedMemcache(t))), src, &evs)
	for range 3 {
		v, err := r.Call(context.Background(), 1)
		require.NoError(t, err)
		require.Equal(t, "v1", v)
	}
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 1, src.runs.Load())
	got := evs.list()
	require.Len(t, got, 1)
	require.Equal(t, "refresh", got[0].Op)
	require.ErrorContains(t, got[0].Err, "TTLUnknown")
}

// TestRefreshAheadViews: the wire of a method ring, the untyped Ring and a
// storage a Choose function picks refresh ahead as the typed ring's Call
// does.
func TestRefreshAheadViews(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	newLRU := func() backends.Storage {
		s, err := backends.NewLRU(64, backends.WithClock(clk.Now))
		require.NoError(t, err)
		return s
	}
	var runs atomic.Int64
	load := func(u *benchUser, ctx context.Context, field string) (string, error) {
		return fmt.Sprintf("%s%d-%d", field, u.ID, runs.Add(1)), nil
	}
	own, picked := newLRU(), newLRU()
	for name, opts := range map[string][]ring.Option{
		"wire":   {ring.Storage(own)},
		"choose": {ring.Storage(own), ring.Choose(func(context.Context, string, []any) backends.Storage { return picked })},
	} {
		t.Run(name, func(t *testing.T) {
			runs.Store(0)
			r, err := ring.Method1(load, append(opts, ring.KeyPrefix("ahead-"+name), ring.Expire(10*time.Minute),
				ring.RefreshAhead(time.Minute, 5*time.Second))...)
			require.NoError(t, err)
			u := &benchUser{ID: 7}
			w := r.Bind(u)
			v, err := w.Call(ctx, "x")
			require.NoError(t, err)
			require.Equal(t, "x7-1", v)
			clk.Add(2 * time.Minute)
			v, err = w.Call(ctx, "x")
			require.NoError(t, err)
			require.Equal(t, "x7-1", v, "served at once")
			ring.WaitRefreshesForTest(r.Cache())
			require.EqualValues(t, 2, runs.Load())
			v, err = w.Call(ctx, "x")
			require.NoError(t, err)
			require.Equal(t, "x7-2", v)

			clk.Add(2 * time.Minute) // the untyped view's Call
			got, err := r.Untyped().Call(ctx, u, "x")
			require.NoError(t, err)
			require.Equal(t, "x7-2", got)
			ring.WaitRefreshesForTest(r.Cache())
			require.EqualValues(t, 3, runs.Load())
			v, err = w.Call(ctx, "x")
			require.NoError(t, err)
			require.Equal(t, "x7-3", v)
		})
	}
	_, found, err := picked.Get(ctx, "ahead-choose:7:x")
	require.NoError(t, err)
	require.True(t, found, "the chosen storage holds the choose ring's entry")
}

// TestRefreshAheadHitAllocations: with RefreshAhead, an LRU hit that is not
// due still allocates only its key.
func TestRefreshAheadHitAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under -race; run without it")
	}
	ctx := context.Background()
	r := ring.Must(ring.Func2(lookup, ring.LRU(16), ring.Expire(time.Minute), ring.RefreshAhead(30*time.Second, time.Second)))
	_, _ = r.Call(ctx, "apple", 42)
	if got := testing.AllocsPerRun(1000, func() { _, _ = r.Call(ctx, "apple", 42) }); got > 1 {
		t.Errorf("%v allocations per hit with RefreshAhead, want 1", got)
	}
}

// BenchmarkRefreshAheadHit compares an LRU hit with and without
// RefreshAhead (the entry is not due). Run it with:
//
//	go test -run '^$' -bench 'RefreshAheadHit' -benchmem -count 10 .
func BenchmarkRefreshAheadHit(b *testing.B) {
	ctx := context.Background()
	for name, opts := range map[string][]ring.Option{
		"without": {ring.LRU(1024), ring.Expire(time.Minute)},
		"with":    {ring.LRU(1024), ring.Expire(time.Minute), ring.RefreshAhead(30*time.Second, time.Second)},
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

// afterRead is a storage that runs after, once, after a GetWithTTL.
type afterRead struct {
	backends.Storage
	mu    sync.Mutex
	after func()
}

func (a *afterRead) GetWithTTL(ctx context.Context, key string) (any, time.Duration, bool, error) {
	v, ttl, ok, err := backends.GetWithTTL(ctx, a.Storage, key)
	a.mu.Lock()
	f := a.after
	a.after = nil
	a.mu.Unlock()
	if f != nil {
		f()
	}
	return v, ttl, ok, err
}

// TestRefreshAheadRecheck: a refresh reads the entry again inside its
// flight; one that another writer (another process's refresh) made fresh
// since the hit found it due runs nothing.
func TestRefreshAheadRecheck(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	dict := backends.NewDict(backends.WithClock(clk.Now))
	store := &afterRead{Storage: dict}
	src := newSource()
	close(src.hold)
	r, err := ring.Func1(src.closure(), ring.Storage(store), ring.KeyPrefix("recheck"),
		ring.Expire(10*time.Minute), ring.RefreshAhead(time.Minute, 5*time.Second))
	require.NoError(t, err)
	_, err = r.Call(ctx, 1)
	require.NoError(t, err)
	clk.Add(2 * time.Minute)
	key := r.Cache().Key("1")
	store.mu.Lock()
	store.after = func() { require.NoError(t, dict.Set(ctx, key, "elsewhere", 10*time.Minute)) }
	store.mu.Unlock()
	v, err := r.Call(ctx, 1) // reads v1, due; then the other writer refreshes it
	require.NoError(t, err)
	require.Equal(t, "v1", v)
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 1, src.runs.Load(), "the refresh found the entry fresh and ran nothing")
	v, _, err = r.Get(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "elsewhere", v)
}

// ttlStores are the remote storages that read an entry's time left with
// its value in one round trip: Redis (a node and a Cluster) and memcached
// with its server selector, each on the shared test servers.
func ttlStores() map[string]func(t *testing.T) ring.Option {
	return map[string]func(t *testing.T) ring.Option{
		"redis":   func(t *testing.T) ring.Option { return ring.Storage(redisstore.New(sharedRedis(t))) },
		"cluster": func(t *testing.T) ring.Option { return ring.Storage(redisstore.New(sharedCluster(t))) },
		"memcache": func(t *testing.T) ring.Option {
			ss := new(memcache.ServerList)
			require.NoError(t, ss.SetServers(servertest.MemcacheAddrs(t)...))
			mc := memcache.NewFromSelector(ss)
			t.Cleanup(func() { _ = mc.Close() })
			return ring.Storage(memcachestore.New(mc, memcachestore.WithSelector(ss)))
		},
	}
}
