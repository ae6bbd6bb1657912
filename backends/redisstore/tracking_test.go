package redisstore_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// TestTrack: the subscription reports live once tracking is on, then the
// keys under its prefix that another client changes (and only those), a
// FLUSHDB as keys nil, and nothing after stop; Close stops what is left;
// a redis.Ring is tracked too (TestTrackRing goes further).
func TestTrack(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redisClient(t, srv.Addr())
	st := redisstore.New(rdb)
	var mu sync.Mutex
	var got [][]string
	var live bool
	stop, err := st.Track("trk:", func(keys []string, l bool) {
		mu.Lock()
		defer mu.Unlock()
		got, live = append(got, keys), l
	})
	require.NoError(t, err)
	wait := func(what string, cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(5 * time.Second)
		for {
			mu.Lock()
			ok := cond()
			mu.Unlock()
			if ok {
				return
			}
			require.True(t, time.Now().Before(deadline), what)
			time.Sleep(time.Millisecond)
		}
	}
	wait("live", func() bool { return live })
	ctx := context.Background()
	mu.Lock()
	got = nil
	mu.Unlock()
	require.NoError(t, rdb.Set(ctx, "other:a", "1", 0).Err())
	require.NoError(t, rdb.Set(ctx, "trk:a", "1", 0).Err())
	wait("invalidation of trk:a", func() bool { return len(got) > 0 })
	mu.Lock()
	require.Equal(t, [][]string{{"trk:a"}}, got)
	got = nil
	mu.Unlock()
	require.NoError(t, rdb.FlushDB(ctx).Err())
	wait("flush", func() bool { return len(got) > 0 })
	mu.Lock()
	require.Nil(t, got[0])
	mu.Unlock()
	stop()
	stop() // twice is fine
	mu.Lock()
	got = nil
	mu.Unlock()
	require.NoError(t, rdb.Set(ctx, "trk:b", "1", 0).Err())
	time.Sleep(50 * time.Millisecond)
	mu.Lock()
	require.Empty(t, got, "called after stop")
	mu.Unlock()

	_, err = st.Track("trk:", func([]string, bool) {})
	require.NoError(t, err)
	require.NoError(t, st.Close()) // stops it (goleak checks)
	_, err = st.Track("trk:", func([]string, bool) {})
	require.Error(t, err)

	ringClient := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": srv.Addr()}})
	defer ringClient.Close()
	rst := redisstore.New(ringClient)
	defer rst.Close()
	live = false
	stop, err = rst.Track("trk:", func(keys []string, l bool) {
		mu.Lock()
		defer mu.Unlock()
		live = l
	})
	require.NoError(t, err)
	defer stop()
	wait("live on a redis.Ring", func() bool { return live })

	_, err = redisstore.New(plainClient{rdb}).Track("trk:", func([]string, bool) {})
	require.ErrorIs(t, err, backends.ErrNotSupported)
}

// plainClient hides its client's Options: Track cannot dial like it.
type plainClient struct{ redis.UniversalClient }
