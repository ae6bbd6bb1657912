package ring_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// remoteFresh builds a ring with Expire(1m) and opts on storage, and
// writes entry 1 ("v1") with a time-to-live of left: with a grace of 1m,
// it is then 1m - left past its expiry.
func remoteFresh(t *testing.T, storage ring.Option, src *source, evs *events, left time.Duration, opts ...ring.Option) *ring.Ring1[int, string] {
	t.Helper()
	base := []ring.Option{storage, ring.KeyPrefix("ring-test:" + runID + ":" + t.Name()), ring.Expire(time.Minute),
		ring.OnError(evs.hook), ring.StorageTimeout(2 * time.Second)}
	r, err := ring.Func1(src.closure(), append(base, opts...)...)
	require.NoError(t, err)
	t.Cleanup(func() {
		ring.WaitRefreshesForTest(r.Cache())
		_ = r.Delete(context.Background(), 1)
	})
	src.runs.Store(1) // the entry below stands for the first run
	_, err = r.Cache().Set(context.Background(), "1", "v1", ring.SetOptions{TTL: left})
	require.NoError(t, err)
	return r
}

// TestFreshRemote runs stale-while-revalidate and stale-if-error on real
// servers: Redis (a node and a Cluster) and memcached with its server
// selector, where the time left comes with the value in one round trip.
func TestFreshRemote(t *testing.T) {
	stores := ttlStores()
	for name, storage := range stores {
		t.Run(name, func(t *testing.T) {
			t.Run("swr once", func(t *testing.T) {
				src := newSource()
				var evs events
				// 30s past expiry, within maxStale.
				r := remoteFresh(t, storage(t), src, &evs, 30*time.Second, ring.StaleWhileRevalidate(time.Minute, 5*time.Second))
				_, founds, err := r.Many().Get(context.Background(), []int{1})
				require.NoError(t, err)
				require.Equal(t, []bool{true}, founds, "within maxStale: found")
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				got := callConcurrently(t, ctx, r, 1, 64)
				cancel() // the callers are gone: the refresh goes on
				for _, v := range got {
					require.Equal(t, "v1", v)
				}
				src.waitStart(t)
				close(src.hold)
				ring.WaitRefreshesForTest(r.Cache())
				require.EqualValues(t, 2, src.runs.Load(), "64 hits of a stale entry: one refresh")
				_, ttl, found, err := backends.GetWithTTL(context.Background(), r.Cache().Storage(), r.Cache().Key("1"))
				require.NoError(t, err)
				require.True(t, found)
				require.Greater(t, ttl, 110*time.Second, "written with Expire + grace")
				v, err := r.Call(context.Background(), 1)
				require.NoError(t, err)
				require.Equal(t, "v2", v)
				require.Empty(t, evs.ops())
			})
			t.Run("bound and stale-if-error", func(t *testing.T) {
				src := newSource()
				var evs events
				// grace 1m; 30s past expiry: beyond maxStale 10s, within maxAge 1m.
				r := remoteFresh(t, storage(t), src, &evs, 30*time.Second,
					ring.StaleWhileRevalidate(10*time.Second, 5*time.Second), ring.StaleIfError(time.Minute))
				ctx := context.Background()
				_, found, err := r.Get(ctx, 1)
				require.NoError(t, err)
				require.False(t, found, "staler than maxStale: not served")
				_, founds, err := r.Many().Get(ctx, []int{1})
				require.NoError(t, err)
				require.Equal(t, []bool{false}, founds, "nor by the bulk read")
				boom := errors.New("source down")
				src.fail.Store(&boom)
				close(src.hold)
				v, err := r.Call(ctx, 1)
				require.NoError(t, err)
				require.Equal(t, "v1", v, "the function failed: the stale value")
				got := evs.list()
				require.Len(t, got, 1)
				require.Equal(t, "stale-if-error", got[0].Op)
				require.ErrorIs(t, got[0].Err, boom)
				require.EqualValues(t, 2, src.runs.Load(), "Call waited for the function")

				src.fail.Store(nil)
				v, err = r.Call(ctx, 1)
				require.NoError(t, err)
				require.Equal(t, "v3", v, "the source is back: the fresh value")
			})
		})
	}
}
