package redisstore_test

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// recorder records what a subscription reports.
type recorder struct {
	mu      sync.Mutex
	live    bool
	downs   int // reports of live false
	flushes int // reports of keys nil
	keys    []string
}

func (r *recorder) fn(keys []string, live bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !live && r.live {
		r.downs++
	}
	r.live = live
	if keys == nil {
		r.flushes++
	}
	r.keys = append(r.keys, keys...)
}

// wait waits until cond holds (under r.mu), or fails t after d.
func (r *recorder) wait(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for {
		r.mu.Lock()
		ok := cond()
		r.mu.Unlock()
		if ok {
			return
		}
		require.True(t, time.Now().Before(deadline), what)
		time.Sleep(2 * time.Millisecond)
	}
}

// invalidated writes key with w and waits for its invalidation.
func (r *recorder) invalidated(t *testing.T, w interface {
	Set(context.Context, string, any, time.Duration) *redis.StatusCmd
}, key string) {
	t.Helper()
	require.NoError(t, w.Set(context.Background(), key, "1", 0).Err())
	r.wait(t, 3*time.Second, "invalidation of "+key, func() bool { return contains(r.keys, key) })
}

// trackingIDs returns the client ids of srv's tracking connections.
func trackingIDs(t *testing.T, srv *servertest.Server) []string {
	t.Helper()
	list, err := srv.Do("CLIENT", "LIST")
	require.NoError(t, err)
	var ids []string
	for _, line := range strings.Split(list, "\n") {
		if strings.Contains(line, " name="+redisstore.TrackingName+" ") {
			id, _, _ := strings.Cut(strings.TrimPrefix(line, "id="), " ")
			ids = append(ids, id)
		}
	}
	return ids
}

// TestTrackRoleChange: a master turned into a replica (REPLICAOF keeps its
// clients connected, and a replica still sends invalidations, late, for
// the writes it replicates) is noticed by the keepalive: the connection is
// dropped (live false, the tier flushed) and dialled again. A plain client
// reads from that node, now a replica: tracking follows it there, and a
// write on the new master is reported through it.
func TestTrackRoleChange(t *testing.T) {
	a := servertest.StartRedis(t, "--repl-diskless-sync-delay", "0")
	b := servertest.StartRedis(t, "--repl-diskless-sync-delay", "0")
	rdb := redis.NewClient(&redis.Options{Addr: a.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	st := redisstore.New(rdb)
	t.Cleanup(func() { _ = st.Close() })
	var rec recorder
	stop, err := st.Track("trk:", rec.fn)
	require.NoError(t, err)
	t.Cleanup(stop)
	rec.wait(t, 5*time.Second, "live", func() bool { return rec.live })
	before := trackingIDs(t, a)
	require.Len(t, before, 1)

	_, err = a.Do("REPLICAOF", "127.0.0.1", strconv.Itoa(b.Port()))
	require.NoError(t, err)
	rec.wait(t, 5*time.Second, "the demoted node's connection dropped", func() bool { return rec.downs == 1 })
	rec.wait(t, 5*time.Second, "live again", func() bool { return rec.live })
	after := trackingIDs(t, a)
	require.Len(t, after, 1)
	require.NotEqual(t, before, after, "the same connection")

	wb := redis.NewClient(&redis.Options{Addr: b.Addr()})
	t.Cleanup(func() { _ = wb.Close() })
	deadline := time.Now().Add(5 * time.Second)
	for { // a is in sync with b once a write on b reaches it
		require.NoError(t, wb.Set(context.Background(), "sync", "1", 0).Err())
		if v, _ := rdb.Get(context.Background(), "sync").Result(); v == "1" {
			break
		}
		require.True(t, time.Now().Before(deadline), "a never synced with b")
		time.Sleep(10 * time.Millisecond)
	}
	rec.invalidated(t, wb, "trk:replicated")
	time.Sleep(1200 * time.Millisecond) // keepalives: the role stays replica
	require.Equal(t, after, trackingIDs(t, a))
	require.Equal(t, 1, rec.downs)
}

// TestTrackRing: on a redis.Ring every live shard is tracked: a write on
// each is reported; a shard added with SetAddrs is tracked within the ring
// poll (and its arrival flushes: reads may already have gone to it); a
// removed shard's connection is closed; a shard that goes down and comes
// back is tracked again.
func TestTrackRing(t *testing.T) {
	s1, s2, s3 := servertest.StartRedis(t), servertest.StartRedis(t), servertest.StartRedis(t)
	addrs := map[string]string{"s1": s1.Addr(), "s2": s2.Addr()}
	rc := redis.NewRing(&redis.RingOptions{Addrs: addrs, HeartbeatFrequency: 100 * time.Millisecond})
	t.Cleanup(func() { _ = rc.Close() })
	st := redisstore.New(rc)
	t.Cleanup(func() { _ = st.Close() })
	var rec recorder
	stop, err := st.Track("trk:", rec.fn)
	require.NoError(t, err)
	t.Cleanup(stop)
	rec.wait(t, 5*time.Second, "live", func() bool { return rec.live })
	direct := func(s *servertest.Server) *redis.Client {
		c := redis.NewClient(&redis.Options{Addr: s.Addr()})
		t.Cleanup(func() { _ = c.Close() })
		return c
	}
	for _, s := range []*servertest.Server{s1, s2} {
		require.Len(t, trackingIDs(t, s), 1, s.Addr())
		rec.invalidated(t, direct(s), "trk:on-"+s.Addr())
	}
	require.Empty(t, trackingIDs(t, s3))

	rec.mu.Lock()
	flushes := rec.flushes
	rec.mu.Unlock()
	rc.SetAddrs(map[string]string{"s1": s1.Addr(), "s2": s2.Addr(), "s3": s3.Addr()})
	start := time.Now()
	rec.wait(t, 5*time.Second, "s3 tracked", func() bool { return rec.flushes > flushes && rec.live })
	t.Logf("a new shard tracked after %v", time.Since(start))
	require.Len(t, trackingIDs(t, s3), 1)
	rec.invalidated(t, direct(s3), "trk:on-s3")

	rc.SetAddrs(map[string]string{"s2": s2.Addr(), "s3": s3.Addr()})
	deadline := time.Now().Add(5 * time.Second)
	for len(trackingIDs(t, s1)) > 0 {
		require.True(t, time.Now().Before(deadline), "a removed shard's connection is left open")
		time.Sleep(10 * time.Millisecond)
	}

	rec.mu.Lock()
	downs := rec.downs
	rec.mu.Unlock()
	s2.Stop()
	rec.wait(t, 5*time.Second, "a shard down is noticed", func() bool { return rec.downs > downs })
	s2.Restart()
	rec.wait(t, 10*time.Second, "live again with s2 back", func() bool { return rec.live && len(trackingIDs(t, s2)) == 1 })
	rec.invalidated(t, direct(s2), "trk:on-s2-again")
	require.NoError(t, st.TrackingErr())
}
