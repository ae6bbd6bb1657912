package ring_test

import (
	"context"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/internal/servertest"
)

// TestNearRedisRing: on a client-side sharded redis.Ring every shard is
// tracked. Another Ring client's writes (each to the shard that holds its
// key) drop the copies; writers and readers running together read nothing
// older than a write acknowledged 100ms before; a shard added while they
// run is tracked too (reads in the half second after it may lag a poll).
func TestNearRedisRing(t *testing.T) {
	s1, s2, s3 := servertest.StartRedis(t), servertest.StartRedis(t), servertest.StartRedis(t)
	two := map[string]string{"s1": s1.Addr(), "s2": s2.Addr()}
	newRing := func(addrs map[string]string) *redis.Ring {
		c := redis.NewRing(&redis.RingOptions{Addrs: addrs, HeartbeatFrequency: 100 * time.Millisecond})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	rc := newRing(two)

	r, _ := nearRing(t, rc, time.Minute)
	writer := newRing(two)
	nearWrites(t, r, 20, func(key, value string) error { return writer.Set(context.Background(), key, value, 0).Err() })
	require.Equal(t, 1, trackingConns(t, s1))
	require.Equal(t, 1, trackingConns(t, s2))
	require.Zero(t, trackingConns(t, s3))

	st, c, prefix := nearStaleCache(t, rc, "ring")
	const nKeys = 8
	run := startStaleRun(t, c, prefix, nKeys, 4, func() redis.UniversalClient {
		return redis.NewRing(&redis.RingOptions{Addrs: two, HeartbeatFrequency: 100 * time.Millisecond})
	})
	time.Sleep(700 * time.Millisecond)
	// A third shard: the readers' ring and the writers' rings move keys
	// to it together (writers paused meanwhile).
	three := map[string]string{"s1": s1.Addr(), "s2": s2.Addr(), "s3": s3.Addr()}
	run.pause()
	rc.SetAddrs(three)
	for _, w := range run.writers {
		w.(*redis.Ring).SetAddrs(three)
	}
	// Keys that moved to s3 are absent there until written again: their
	// reads find nothing meanwhile (counted as read errors). s3 is tracked
	// from the next poll of the shards (100ms): until then a copy read
	// from it may miss an invalidation (docs/near-cache.md, Limits).
	run.allowGrace(500 * time.Millisecond)
	run.resume()
	eventually(t, 5*time.Second, "s3 tracked", func() bool { return trackingConns(t, s3) == trackingConns(t, s1) })
	run.stopAfterHits(st, 700*time.Millisecond, "the new shard")
}
