package ring_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/diskstore"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
)

// Touch and Many().Touch on a ring without an expiry are an error wrapping
// ErrNoExpiry on every backend, and leave the entry as it is.
func TestTouchWithoutExpiry(t *testing.T) {
	ctx := context.Background()
	storages := map[string]func(t *testing.T) ring.Option{
		"lru":   func(*testing.T) ring.Option { return ring.LRU(8) },
		"dict":  func(*testing.T) ring.Option { return ring.Dict() },
		"dummy": func(*testing.T) ring.Option { return ring.Dummy() },
		"disk": func(t *testing.T) ring.Option {
			d, err := diskstore.New(t.TempDir())
			require.NoError(t, err)
			t.Cleanup(func() { _ = d.Close() })
			return ring.Storage(d)
		},
		"redis": func(t *testing.T) ring.Option { return ring.Storage(redisstore.New(sharedRedis(t))) },
		"redis-hash": func(t *testing.T) ring.Option {
			return ring.Storage(redisstore.NewHash(sharedRedis(t), runID+":touch-hash"))
		},
		"memcache": func(t *testing.T) ring.Option { return ring.Storage(memcachestore.New(sharedMemcache(t))) },
	}
	for name, storage := range storages {
		t.Run(name, func(t *testing.T) {
			r := ring.Must(ring.Func1(func(ctx context.Context, k int) (string, error) {
				return fmt.Sprint("v", k), nil
			}, storage(t), ring.KeyPrefix(runID+":touch:"+name)))
			_, err := r.Call(ctx, 1)
			require.NoError(t, err)
			err = r.Touch(ctx, 1)
			require.ErrorIs(t, err, ring.ErrNoExpiry)
			require.ErrorContains(t, err, "ring: ")
			require.ErrorContains(t, err, "touch: the ring has no expiry")
			require.ErrorIs(t, r.Many().Touch(ctx, []int{1, 2}), ring.ErrNoExpiry)
			if name != "dummy" {
				v, found, err := r.Get(ctx, 1)
				require.NoError(t, err)
				require.True(t, found, "the entry is left as it is")
				require.Equal(t, "v1", v)
			}
			require.NoError(t, r.Delete(ctx, 1))
		})
	}
}

// The case: on Redis, Touch on a ring without an expiry used to run
// PERSIST and drop a time-to-live set some other way. It now keeps it.
func TestTouchWithoutExpiryKeepsRedisTTL(t *testing.T) {
	ctx := context.Background()
	rdb := sharedRedis(t)
	r := ring.Must(ring.Func1(func(ctx context.Context, k int) (string, error) {
		return "v", nil
	}, ring.Storage(redisstore.New(rdb)), ring.KeyPrefix(runID+":touch-ttl")))
	_, err := r.Call(ctx, 1)
	require.NoError(t, err)
	key, err := r.Key(1)
	require.NoError(t, err)
	t.Cleanup(func() { rdb.Del(context.Background(), key) })
	require.NoError(t, rdb.Expire(ctx, key, time.Hour).Err())
	require.ErrorIs(t, r.Touch(ctx, 1), ring.ErrNoExpiry)
	require.ErrorIs(t, r.Many().Touch(ctx, []int{1}), ring.ErrNoExpiry)
	ttl, err := rdb.TTL(ctx, key).Result()
	require.NoError(t, err)
	require.Greater(t, ttl, 59*time.Minute, "the time-to-live set through the client is kept")

	// With an expiry, Touch resets it to the ring's.
	withExpiry := ring.Must(ring.Func1(func(ctx context.Context, k int) (string, error) {
		return "v", nil
	}, ring.Storage(redisstore.New(rdb)), ring.KeyPrefix(runID+":touch-ttl"), ring.Expire(time.Minute)))
	require.NoError(t, withExpiry.Touch(ctx, 1))
	ttl, err = rdb.TTL(ctx, key).Result()
	require.NoError(t, err)
	require.LessOrEqual(t, ttl, time.Minute)
	require.Greater(t, ttl, time.Duration(0))
}

// A strategy that keeps strategy.Default's Touch gets the same error.
func TestTouchWithoutExpiryCustomStrategy(t *testing.T) {
	r := ring.Must(ring.Func1(func(ctx context.Context, k int) (string, error) { return "v", nil },
		ring.WithStrategy(backupCopy{})))
	require.ErrorIs(t, r.Touch(context.Background(), 1), ring.ErrNoExpiry)
	require.ErrorIs(t, r.Many().Touch(context.Background(), []int{1, 2}), ring.ErrNoExpiry)
}
