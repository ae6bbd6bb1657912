package ring_test

import (
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/internal/servertest"
)

// TestNearSentinelFailover: a ring's near tier through a Sentinel-managed
// master follows a failover. Writers (plain clients of their own on the
// master of the moment) and readers run before the failover, and after
// it from the moment Sentinel names the new master (writers paused in
// between, once every write reached the replica). No read returns a value
// older than a write acknowledged 100ms before it. The tracking
// connection ends on the new master, none is left on the old one
// (demoted but alive, or killed and back as a replica), and the tier
// serves hits again.
func TestNearSentinelFailover(t *testing.T) {
	for _, how := range []string{"SENTINEL FAILOVER", "master killed"} {
		t.Run(how, func(t *testing.T) {
			began := time.Now()
			set := servertest.StartRedisSentinel(t, time.Second)
			t.Logf("sentinel set up in %v", time.Since(began))
			rdb := redis.NewFailoverClient(&redis.FailoverOptions{MasterName: set.Name(), SentinelAddrs: set.SentinelAddrs()})
			t.Cleanup(func() { _ = rdb.Close() })
			st, c, prefix := nearStaleCache(t, rdb, "failover")
			old := set.Master()
			require.Equal(t, 1, trackingConns(t, old))
			plainOn := func(srv *servertest.Server) func() redis.UniversalClient {
				return func() redis.UniversalClient { return redis.NewClient(&redis.Options{Addr: srv.Addr()}) }
			}

			const nKeys = 6
			run := startStaleRun(t, c, prefix, nKeys, 4, plainOn(old))
			time.Sleep(700 * time.Millisecond)
			require.Positive(t, run.hits.Load(), "no near hit before the failover")

			run.pause()
			// Every acknowledged write on the replica before it takes over.
			replica := set.Nodes()[1]
			require.NotEqual(t, old, replica)
			waitCaughtUp(t, old, replica)
			began = time.Now()
			var next *servertest.Server
			if how == "SENTINEL FAILOVER" {
				next = set.Failover()
			} else {
				old.Stop()
				for _, n := range set.Nodes() {
					if n != old {
						next = n
					}
				}
				set.WaitMaster(next)
			}
			t.Logf("failed over in %v", time.Since(began))
			run.setWriters(plainOn(next), nKeys)
			// The tracking notices the new master within a probe of the
			// client's Dialer (250ms) and a dial: reads may lag that long.
			run.allowGrace(time.Second)
			run.resume()
			began = time.Now()
			eventually(t, 10*time.Second, "a tracking connection on the new master", func() bool {
				return trackingConns(t, next) == 1
			})
			t.Logf("tracking on the new master %v after it took over", time.Since(began))
			ring.WaitNearLive(t, c)
			began = time.Now()
			if how == "master killed" {
				old.Restart()
			}
			set.WaitReplica(old, next)
			t.Logf("the old master a replica of the new one in %v", time.Since(began))
			time.Sleep(time.Second)
			require.Zero(t, trackingConns(t, old), "a tracking connection left on the old master")
			require.Equal(t, 1, trackingConns(t, next))
			run.stopAfterHits(st, 500*time.Millisecond, "the failover")
		})
	}
}

// TestNearClusterFailover: a cluster master is killed while writers (their
// own cluster clients) and readers run: its replica is promoted, the
// tracking follows it (ForEachMaster), the old master comes back as a
// replica with no tracking connection, and no read returns a value older
// than a write acknowledged 100ms before it.
func TestNearClusterFailover(t *testing.T) {
	cl := servertest.StartRedisCluster(t, servertest.ClusterOptions{Masters: 3, Replicas: 1, NodeTimeout: time.Second})
	newClient := func() redis.UniversalClient { return redis.NewClusterClient(&redis.ClusterOptions{Addrs: cl.Addrs()}) }
	rdb := newClient().(*redis.ClusterClient)
	t.Cleanup(func() { _ = rdb.Close() })
	st, c, prefix := nearStaleCache(t, rdb, "cluster-failover")
	masters := cl.Masters()
	for _, m := range masters {
		require.Equal(t, 1, trackingConns(t, m), m.Addr())
	}
	const nKeys = 12
	run := startStaleRun(t, c, prefix, nKeys, 4, newClient)
	time.Sleep(700 * time.Millisecond)
	require.Positive(t, run.hits.Load())

	killed := masters[1]
	replica := cl.ReplicaOf(killed)
	require.NotNil(t, replica)
	run.pause()
	// Every acknowledged write on the replica before it takes over.
	waitCaughtUp(t, killed, replica)
	began := time.Now()
	killed.Stop()
	for !cl.IsMaster(replica) {
		require.Less(t, time.Since(began), 20*time.Second, "the replica was not promoted")
		time.Sleep(10 * time.Millisecond)
	}
	t.Logf("promoted %v after the kill", time.Since(began))
	run.resume()
	began = time.Now()
	eventually(t, 15*time.Second, "a tracking connection on the promoted replica", func() bool {
		return trackingConns(t, replica) == 1
	})
	ring.WaitNearLive(t, c)
	t.Logf("tracked and live %v after the promotion", time.Since(began))
	killed.Restart()
	cl.WaitHealthy()
	time.Sleep(1500 * time.Millisecond)
	require.Zero(t, trackingConns(t, killed), "a tracking connection on the old master, now a replica")
	run.stopAfterHits(st, 500*time.Millisecond, "the failover")
}
