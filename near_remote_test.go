package ring_test

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// nearRing is a ring on Redis client rdb with a near tier, and its
// function's run counter. The store is closed with the test.
func nearRing(t *testing.T, rdb redis.UniversalClient, maxStale time.Duration, opts ...ring.Option) (*ring.Ring1[int, string], *counter) {
	t.Helper()
	var runs counter
	st := redisstore.New(rdb)
	t.Cleanup(func() { _ = st.Close() })
	fn := func(ctx context.Context, id int) (string, error) {
		runs.add()
		return "computed", nil
	}
	opts = append([]ring.Option{ring.Storage(st), ring.Coder("json"), ring.KeyPrefix("near:" + runID + ":" + t.Name()),
		ring.Near(1000, maxStale), ring.StorageTimeout(2 * time.Second)}, opts...)
	r, err := ring.Func1(fn, opts...)
	require.NoError(t, err)
	ring.WaitNearLive(t, r.Cache())
	return r, &runs
}

// eventually waits until cond holds, or fails after d.
func eventually(t *testing.T, d time.Duration, what string, cond func() bool) time.Duration {
	t.Helper()
	start := time.Now()
	for !cond() {
		if time.Since(start) > d {
			t.Fatalf("%s: not after %v", what, d)
		}
		time.Sleep(time.Millisecond)
	}
	return time.Since(start)
}

// nearKept calls r with id until its near tier holds the entry: the
// invalidation of the fill's own write may drop the first reads'
// reservations.
func nearKept(t *testing.T, r *ring.Ring1[int, string], id int) {
	t.Helper()
	key := r.Cache().Key(fmt.Sprint(id))
	eventually(t, 5*time.Second, "near copy of "+key, func() bool {
		_, err := r.Call(context.Background(), id)
		require.NoError(t, err)
		return ring.NearHasForTest(r.Cache(), key)
	})
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// TestNearHitNeedsNoServer: a near hit is served while the server is paused
// (CLIENT PAUSE), so it never reached Redis; a key not in the tier waits.
func TestNearHitNeedsNoServer(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	r, runs := nearRing(t, rdb, time.Minute, ring.StorageTimeout(50*time.Millisecond))
	v, err := r.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "computed", v)
	nearKept(t, r, 1)
	require.NoError(t, rdb.Do(ctx, "CLIENT", "PAUSE", "1000", "ALL").Err())
	start := time.Now()
	for range 1000 {
		v, err = r.Call(ctx, 1)
		require.NoError(t, err)
		require.Equal(t, "computed", v)
	}
	require.Less(t, time.Since(start), 500*time.Millisecond, "near hits waited for the paused server")
	require.EqualValues(t, 1, runs.get())
}
