package ring_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/strategy"
)

// TestRefreshSubFunction: Refresh on a ring without any policy returns at
// once and refreshes the entry in the background, once per key, on a
// context with the caller's values and the default timeout; it fills an
// absent entry too, and reports a failure with Op "refresh", keeping the
// old value.
func TestRefreshSubFunction(t *testing.T) {
	type ctxKey struct{}
	src := newSource()
	r, _, evs := lruFresh(t, src)
	ctx := context.Background()
	_, err := r.Call(ctx, 1)
	require.NoError(t, err)

	cctx, cancel := context.WithCancel(context.WithValue(ctx, ctxKey{}, "trace-9"))
	require.NoError(t, r.Refresh(cctx, 1), "returns while the function is held")
	require.NoError(t, r.Refresh(cctx, 1))
	cancel()
	fctx := src.waitStart(t)
	require.NoError(t, r.Refresh(ctx, 1), "a refresh of the key runs: no second one")
	require.Equal(t, "trace-9", fctx.Value(ctxKey{}))
	require.NoError(t, fctx.Err())
	dl, ok := fctx.Deadline()
	require.True(t, ok)
	require.WithinDuration(t, time.Now().Add(30*time.Second), dl, 5*time.Second, "the default timeout")
	v, _, err := r.Get(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "v1", v, "the entry is served while the refresh runs")
	close(src.hold)
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 2, src.runs.Load(), "three Refresh calls during one refresh: one run")
	v, _, err = r.Get(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "v2", v)

	// An absent entry is filled.
	require.NoError(t, r.Refresh(ctx, 2))
	ring.WaitRefreshesForTest(r.Cache())
	v, found, err := r.Get(ctx, 2)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "v3", v)

	// A failure keeps the value and is reported.
	boom := errors.New("source down")
	src.fail.Store(&boom)
	require.NoError(t, r.Refresh(ctx, 1))
	ring.WaitRefreshesForTest(r.Cache())
	got := evs.list()
	require.Len(t, got, 1)
	require.Equal(t, "refresh", got[0].Op)
	require.ErrorIs(t, got[0].Err, boom)
	v, _, err = r.Get(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "v2", v)
}

// TestRefreshSubFunctionFresh: Refresh refreshes an entry that no policy
// finds due (a fresh one), with the timeout of the ring's policy.
func TestRefreshSubFunctionFresh(t *testing.T) {
	ctx := context.Background()
	src := newSource()
	r, _, _ := lruFresh(t, src, ring.RefreshAhead(time.Minute, 3*time.Second), ring.StaleWhileRevalidate(time.Minute, 7*time.Second))
	_, err := r.Call(ctx, 1)
	require.NoError(t, err)
	require.NoError(t, r.Refresh(ctx, 1))
	fctx := src.waitStart(t)
	dl, ok := fctx.Deadline()
	require.True(t, ok)
	require.WithinDuration(t, time.Now().Add(7*time.Second), dl, 2*time.Second, "the longest timeout of the policies")
	close(src.hold)
	ring.WaitRefreshesForTest(r.Cache())
	v, _, err := r.Get(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "v2", v)
	require.Equal(t, 11*time.Minute, timeLeft(t, r, 1))
}

// TestRefreshSubFunctionViews: Refresh on a method ring's wire, on the
// untyped Ring and through Run; key errors are returned; a custom
// strategy refuses it; a Choose that bypasses the cache makes it a no-op.
func TestRefreshSubFunctionViews(t *testing.T) {
	ctx := context.Background()
	var runs atomic.Int64
	load := func(u *benchUser, ctx context.Context, field string) (string, error) {
		return fmt.Sprintf("%s%d-%d", field, u.ID, runs.Add(1)), nil
	}
	r, err := ring.Method1(load, ring.LRU(16), ring.KeyPrefix("refresh-views"), ring.Expire(time.Minute))
	require.NoError(t, err)
	u := &benchUser{ID: 7}
	w := r.Bind(u)
	_, err = w.Call(ctx, "x")
	require.NoError(t, err)
	require.NoError(t, w.Refresh(ctx, "x"))
	ring.WaitRefreshesForTest(r.Cache())
	v, _, err := w.Get(ctx, "x")
	require.NoError(t, err)
	require.Equal(t, "x7-2", v)
	require.NoError(t, r.Untyped().Refresh(ctx, u, "x"))
	ring.WaitRefreshesForTest(r.Cache())
	_, err = r.Untyped().Run(ctx, "Refresh", u, "x")
	require.NoError(t, err)
	ring.WaitRefreshesForTest(r.Cache())
	v, _, err = w.Get(ctx, "x")
	require.NoError(t, err)
	require.Equal(t, "x7-4", v)
	err = r.Untyped().Refresh(ctx, u, 3)
	require.Error(t, err, "a wrong argument type")
	require.True(t, strings.HasPrefix(err.Error(), "ring: "), err.Error())

	fn := func(ctx context.Context, id int) (string, error) { runs.Add(1); return "x", nil }
	s := ring.Must(ring.Func1(fn, ring.KeyPrefix("refresh-strategy"), ring.WithStrategy(strategy.Default{})))
	err = s.Refresh(ctx, 1)
	require.ErrorContains(t, err, "custom strategy")
	require.ErrorContains(t, err, "Update")

	before := runs.Load()
	b := ring.Must(ring.Func1(fn, ring.KeyPrefix("refresh-bypass"), ring.Choose(func(context.Context, string, []any) backends.Storage { return nil })))
	require.NoError(t, b.Refresh(ctx, 1))
	ring.WaitRefreshesForTest(b.Cache())
	require.Equal(t, before, runs.Load(), "a bypassed key has no entry to refresh")
}

// TestFreshBuildErrors: what the policies need is checked when the ring
// is built, naming the option.
func TestFreshBuildErrors(t *testing.T) {
	fn := func(ctx context.Context, id int) (string, error) { return "", nil }
	swr := ring.StaleWhileRevalidate(time.Minute, time.Second)
	cases := map[string]struct {
		opts []ring.Option
		want string
	}{
		"swr no expire":    {[]ring.Option{swr}, "StaleWhileRevalidate(1m0s, 1s): needs Expire"},
		"sie no expire":    {[]ring.Option{ring.StaleIfError(time.Minute)}, "StaleIfError(1m0s): needs Expire"},
		"xfetch no expire": {[]ring.Option{ring.XFetch(1, time.Second)}, "XFetch(1, 1s): needs Expire"},
		"ttl func":         {[]ring.Option{ring.Expire(time.Hour), ring.TTLFunc(func(string, any) time.Duration { return time.Hour }), swr}, "not TTLFunc"},
		"strategy":         {[]ring.Option{ring.Expire(time.Hour), ring.StaleIfError(time.Minute), ring.WithStrategy(strategy.Default{})}, "custom strategy"},
		"no ttl getter":    {[]ring.Option{ring.Storage(noTTLStore{backends.NewDict()}), ring.Expire(time.Hour), ring.XFetch(1, time.Second)}, "does not implement backends.TTLGetter"},
		"swr zero":         {[]ring.Option{ring.Expire(time.Hour), ring.StaleWhileRevalidate(0, time.Second)}, "must be positive"},
		"swr no timeout":   {[]ring.Option{ring.Expire(time.Hour), ring.StaleWhileRevalidate(time.Minute, 0)}, "must be positive"},
		"sie negative":     {[]ring.Option{ring.Expire(time.Hour), ring.StaleIfError(-time.Minute)}, "must be positive"},
		"xfetch beta 0":    {[]ring.Option{ring.Expire(time.Hour), ring.XFetch(0, time.Second)}, "must be positive"},
		"xfetch beta NaN":  {[]ring.Option{ring.Expire(time.Hour), ring.XFetch(nanBeta(), time.Second)}, "must be positive"},
		"xfetch timeout":   {[]ring.Option{ring.Expire(time.Hour), ring.XFetch(1, -time.Second)}, "must be positive"},
		"all named": {[]ring.Option{ring.RefreshAhead(time.Minute, time.Second), swr, ring.StaleIfError(time.Hour), ring.XFetch(2, time.Second)},
			"RefreshAhead(1m0s, 1s), StaleWhileRevalidate(1m0s, 1s), StaleIfError(1h0m0s), XFetch(2, 1s): needs Expire"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := ring.Func1(fn, append([]ring.Option{ring.KeyPrefix("fresh-bad")}, tc.opts...)...)
			require.ErrorContains(t, err, tc.want)
			require.True(t, strings.HasPrefix(err.Error(), "ring: "), err.Error())
		})
	}
	for _, o := range []ring.Option{swr, ring.StaleIfError(time.Minute), ring.XFetch(1, time.Second)} {
		_, err := ring.NewCache[string](o)
		require.ErrorContains(t, err, "does not apply to a Cache")
	}
	// A preset with the policies builds on Dummy (caching off).
	_, err := ring.Func1(fn, ring.KeyPrefix("fresh-dummy"), ring.Preset(ring.Expire(time.Hour), swr, ring.StaleIfError(time.Hour), ring.XFetch(1, time.Second)), ring.Dummy())
	require.NoError(t, err)
	require.Equal(t, "StaleWhileRevalidate(1m0s, 5s)", ring.StaleWhileRevalidate(time.Minute, 5*time.Second).String())
	require.Equal(t, "StaleIfError(1h0m0s)", ring.StaleIfError(time.Hour).String())
	require.Equal(t, "XFetch(1.5, 2s)", ring.XFetch(1.5, 2*time.Second).String())
}

func nanBeta() float64 { var z float64; return z / z }

// TestFreshWriteTTL: every write of a ring with a grace lives Expire plus
// the grace: Call's fill, Update, Set, Many().Set, Touch; ExpireJitter
// shortens the Expire part alone.
func TestFreshWriteTTL(t *testing.T) {
	ctx := context.Background()
	src := newSource()
	close(src.hold)
	r, _, _ := lruFresh(t, src, ring.StaleIfError(time.Hour))
	_, err := r.Call(ctx, 1)
	require.NoError(t, err)
	_, err = r.Update(ctx, 2)
	require.NoError(t, err)
	require.NoError(t, r.Set(ctx, "s", 3))
	require.NoError(t, r.Many().Set(ctx, []string{"a", "b"}, []int{4, 5}))
	for id := 1; id <= 5; id++ {
		require.Equal(t, 70*time.Minute, timeLeft(t, r, id), "entry %d", id)
	}
	require.NoError(t, r.Cache().ExpireIn(ctx, "1", time.Minute))
	require.NoError(t, r.Touch(ctx, 1))
	require.Equal(t, 70*time.Minute, timeLeft(t, r, 1), "Touch resets to Expire + grace")
	require.NoError(t, r.Cache().ExpireIn(ctx, "4", time.Minute))
	require.NoError(t, r.Many().Touch(ctx, []int{4}))
	require.Equal(t, 70*time.Minute, timeLeft(t, r, 4))

	j, _, _ := lruFresh(t, newSource(), ring.StaleWhileRevalidate(time.Hour, time.Second), ring.ExpireJitter(0.5))
	for id := range 50 {
		require.NoError(t, j.Set(ctx, "x", id))
		left := timeLeft(t, j, id)
		require.Greater(t, left, 5*time.Minute+time.Hour, "the jitter cuts at most half of Expire")
		require.LessOrEqual(t, left, 10*time.Minute+time.Hour)
	}
	ids := []int{100, 101, 102}
	require.NoError(t, j.Many().Set(ctx, []string{"a", "b", "c"}, ids))
	for _, id := range ids {
		left := timeLeft(t, j, id)
		require.Greater(t, left, 5*time.Minute+time.Hour)
		require.LessOrEqual(t, left, 10*time.Minute+time.Hour)
	}
}

// TestRefreshAheadWithGrace: RefreshAhead's due point is an age, whatever
// the grace: with Expire(10m), RefreshAhead(1m) and a grace of 5m, an entry
// 59s old is not due and one 61s old is.
func TestRefreshAheadWithGrace(t *testing.T) {
	ctx := context.Background()
	src := newSource()
	close(src.hold)
	r, clk, _ := lruFresh(t, src, ring.RefreshAhead(time.Minute, 5*time.Second), ring.StaleIfError(5*time.Minute))
	_, err := r.Call(ctx, 1)
	require.NoError(t, err)
	clk.Add(59 * time.Second)
	_, err = r.Call(ctx, 1)
	require.NoError(t, err)
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 1, src.runs.Load())
	clk.Add(2 * time.Second)
	_, err = r.Call(ctx, 1)
	require.NoError(t, err)
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 2, src.runs.Load())
}

// TestStaleWhileRevalidateBulk: Many().GetOrUpdate serves an entry within
// maxStale as Call does (without starting a refresh) and fills one staler.
func TestStaleWhileRevalidateBulk(t *testing.T) {
	ctx := context.Background()
	src := newSource()
	close(src.hold)
	r, clk, _ := lruFresh(t, src, ring.StaleWhileRevalidate(time.Minute, time.Second), ring.StaleIfError(time.Hour))
	// The two fills may run in either order: 1's value is "v1" or "v2".
	first, err := r.Many().GetOrUpdate(ctx, []int{1, 2})
	require.NoError(t, err)
	require.EqualValues(t, 2, src.runs.Load())
	require.ElementsMatch(t, []string{"v1", "v2"}, first)
	require.NoError(t, r.Cache().ExpireIn(ctx, "2", 50*time.Minute)) // 2 is 20m30s past expiry below
	clk.Add(10*time.Minute + 30*time.Second)                         // 1 is 30s past expiry
	vs, err := r.Many().GetOrUpdate(ctx, []int{1, 2})
	require.NoError(t, err)
	require.Equal(t, first[0], vs[0], "within maxStale: served, and refreshed in the background")
	require.Contains(t, []string{"v3", "v4"}, vs[1], "beyond maxStale: filled")
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 4, src.runs.Load(), "2's fill and 1's refresh")
	v, ok, err := r.Get(ctx, 1)
	require.NoError(t, err)
	require.True(t, ok)
	require.NotEqual(t, first[0], v, "the stale entry was refreshed")
	vs, err = r.Many().GetOrUpdate(ctx, []int{1, 2})
	require.NoError(t, err)
	require.Equal(t, v, vs[0])
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 4, src.runs.Load(), "fresh entries start nothing")
}

// TestRefreshAheadBulk: Many().GetOrUpdate serves due hits at once and
// refreshes each of them once in the background, as Call does; entries not
// yet due start nothing.
func TestRefreshAheadBulk(t *testing.T) {
	ctx := context.Background()
	src := newSource()
	close(src.hold)
	r, clk, _ := lruFresh(t, src, ring.RefreshAhead(time.Minute, time.Second))
	for id := 1; id <= 3; id++ { // one by one: the id's value is "v<id>"
		_, err := r.Call(ctx, id)
		require.NoError(t, err)
	}
	require.EqualValues(t, 3, src.runs.Load())
	clk.Add(2 * time.Minute) // 1 and 2 are due; 3 gets a new time-to-live, not due
	require.NoError(t, r.Cache().ExpireIn(ctx, "3", 10*time.Minute))
	vs, err := r.Many().GetOrUpdate(ctx, []int{1, 2, 3, 1})
	require.NoError(t, err)
	require.Equal(t, []string{"v1", "v2", "v3", "v1"}, vs, "due hits are served as they are")
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 5, src.runs.Load(), "one refresh each of 1 and 2 (1 asked twice), none of 3")
	vs, err = r.Many().GetOrUpdate(ctx, []int{1, 2, 3})
	require.NoError(t, err)
	require.NotEqual(t, "v1", vs[0], "refreshed")
	require.NotEqual(t, "v2", vs[1], "refreshed")
	require.Equal(t, "v3", vs[2])
	ring.WaitRefreshesForTest(r.Cache())
	require.EqualValues(t, 5, src.runs.Load(), "refreshed entries are fresh: nothing more runs")
}

// TestPoliciesInAPreset: the loading policies compose in one Preset shared
// by two rings, each on its own LRU: each ring refreshes its own entries,
// serves stale on its own failures, and caches its own not-found results.
func TestPoliciesInAPreset(t *testing.T) {
	ctx := context.Background()
	policy := ring.Preset(ring.Expire(10*time.Minute), ring.RefreshAhead(time.Minute, time.Second),
		ring.StaleWhileRevalidate(time.Minute, time.Second), ring.StaleIfError(time.Hour),
		ring.NegativeCache(time.Minute))
	type built struct {
		r    *ring.Ring1[int, string]
		clk  *clock
		runs *atomic.Int64
		fail *atomic.Bool
	}
	build := func(name string) built {
		clk := newClock()
		lru, err := backends.NewLRU(64, backends.WithClock(clk.Now))
		require.NoError(t, err)
		b := built{clk: clk, runs: new(atomic.Int64), fail: new(atomic.Bool)}
		b.r = ring.Must(ring.Func1(func(ctx context.Context, id int) (string, error) {
			n := b.runs.Add(1)
			switch {
			case id < 0:
				return "", ring.ErrNotFound
			case b.fail.Load():
				return "", errors.New("down")
			}
			return fmt.Sprintf("%s%d", name, n), nil
		}, policy, ring.Storage(lru), ring.KeyPrefix(name)))
		t.Cleanup(func() { ring.WaitRefreshesForTest(b.r.Cache()) })
		return b
	}
	a, b := build("a"), build("b")
	for _, x := range []built{a, b} {
		v, err := x.r.Call(ctx, 1)
		require.NoError(t, err)
		_, err = x.r.Call(ctx, -1)
		require.ErrorIs(t, err, ring.ErrNotFound)
		_, err = x.r.Call(ctx, -1)
		require.ErrorIs(t, err, ring.ErrNotFound)
		require.EqualValues(t, 2, x.runs.Load(), "the not-found result is cached")
		require.Contains(t, v, "1")
	}
	a.clk.Add(2 * time.Minute) // a's entry is due; b's is not
	v, err := a.r.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "a1", v, "served at once")
	ring.WaitRefreshesForTest(a.r.Cache())
	require.EqualValues(t, 3, a.runs.Load(), "a refreshed its own entry")
	require.EqualValues(t, 2, b.runs.Load(), "b was not touched")

	b.fail.Store(true)
	b.clk.Add(10*time.Minute + 2*time.Minute) // past expiry and maxStale: a fill, which fails
	v, err = b.r.Call(ctx, 1)
	require.NoError(t, err, "StaleIfError serves b's last good value")
	require.Equal(t, "b1", v)
}
