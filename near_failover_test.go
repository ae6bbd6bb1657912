package ring_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// staleRun drives writers (clients of their own, each writing one key
// with increasing values) and readers (through a Cache with a near tier)
// and counts reads that return a value older than a write acknowledged
// more than staleBound before the read began. Writers can be paused (so
// that no write is acknowledged by a master about to lose it).
type staleRun struct {
	t          *testing.T
	c          *ring.Cache[int]
	prefix     string
	staleBound time.Duration

	gate    sync.RWMutex            // a write holds it shared; pause holds it
	writers []redis.UniversalClient // one per key; set while paused

	mu   sync.Mutex
	acks [][]staleAck

	reads, hits, stale, readErrs, writeErrs atomic.Int64

	// Reads that start before graceUntil may be up to grace old: the
	// time a failover takes to be noticed.
	grace      atomic.Pointer[staleGrace]
	graceStale atomic.Int64
	maxAge     atomic.Int64 // the oldest read seen, ns behind the write that replaced it

	cancel context.CancelFunc
	wg     sync.WaitGroup
}

type staleGrace struct {
	until time.Time
	d     time.Duration
}

type staleAck struct {
	v  int
	at time.Time
}

// startStaleRun starts nWriters writers (one key each, clients from
// newWriter) and nReaders readers.
func startStaleRun(t *testing.T, c *ring.Cache[int], prefix string, nWriters, nReaders int, newWriter func() redis.UniversalClient) *staleRun {
	s := &staleRun{t: t, c: c, prefix: prefix, staleBound: 100 * time.Millisecond, acks: make([][]staleAck, nWriters)}
	ctx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.setWriters(newWriter, nWriters)
	for k := range nWriters {
		require.NoError(t, s.writers[k].Set(ctx, prefix+fmt.Sprint(k), 0, 0).Err())
		s.wg.Go(func() {
			for v := 1; ctx.Err() == nil; v++ {
				s.gate.RLock()
				wctx, wcancel := context.WithTimeout(ctx, 2*time.Second)
				err := s.writers[k].Set(wctx, prefix+fmt.Sprint(k), v, 0).Err()
				wcancel()
				if err == nil {
					s.mu.Lock()
					s.acks[k] = append(s.acks[k], staleAck{v, time.Now()})
					s.mu.Unlock()
				} else if ctx.Err() == nil {
					s.writeErrs.Add(1)
				}
				s.gate.RUnlock()
				time.Sleep(time.Duration(v%5) * time.Millisecond)
			}
		})
	}
	for g := range nReaders {
		s.wg.Go(func() {
			for i := g; ctx.Err() == nil; i++ {
				k := i % nWriters
				start := time.Now()
				hit := ring.NearHasForTest(c, prefix+fmt.Sprint(k))
				rctx, rcancel := context.WithTimeout(ctx, 2*time.Second)
				v, ok, err := c.Get(rctx, fmt.Sprint(k))
				rcancel()
				if err != nil || !ok {
					if ctx.Err() == nil {
						s.readErrs.Add(1)
					}
					time.Sleep(time.Millisecond)
					continue
				}
				s.reads.Add(1)
				if hit {
					s.hits.Add(1)
				}
				bound := s.staleBound
				if g := s.grace.Load(); g != nil && start.Before(g.until) {
					bound = g.d
				}
				s.mu.Lock()
				last, age := 0, time.Duration(0)
				for _, a := range s.acks[k] {
					if a.at.Before(start.Add(-bound)) {
						last = a.v
					}
					if a.v > v && age == 0 {
						age = start.Sub(a.at) // v was replaced then
					}
				}
				s.mu.Unlock()
				if age > time.Duration(s.maxAge.Load()) {
					s.maxAge.Store(int64(age))
				}
				if bound != s.staleBound && age > s.staleBound {
					s.graceStale.Add(1)
				}
				if v < last {
					s.stale.Add(1)
					t.Errorf("key %d: read %d, but %d was acknowledged more than %v before the read", k, v, last, bound)
				}
			}
		})
	}
	return s
}

// setWriters gives the writers new clients (call it while paused, or
// before the run).
func (s *staleRun) setWriters(newWriter func() redis.UniversalClient, n int) {
	s.writers = make([]redis.UniversalClient, n)
	for k := range n {
		w := newWriter()
		s.t.Cleanup(func() { _ = w.Close() })
		s.writers[k] = w
	}
}

// allowGrace lets the reads of the next d be up to d old.
func (s *staleRun) allowGrace(d time.Duration) {
	s.grace.Store(&staleGrace{time.Now().Add(d), d})
}

// pause waits for the writes in flight and holds the others until resume.
func (s *staleRun) pause()  { s.gate.Lock() }
func (s *staleRun) resume() { s.gate.Unlock() }

// stop ends the run and logs its counts.
func (s *staleRun) stop() {
	s.cancel()
	s.wg.Wait()
	var grace time.Duration
	if g := s.grace.Load(); g != nil {
		grace = g.d
	}
	s.t.Logf("%d reads (%d near hits), %d stale; %d older than %v within the grace of %v; the oldest %v behind; %d read errors, %d write errors",
		s.reads.Load(), s.hits.Load(), s.stale.Load(), s.graceStale.Load(), s.staleBound, grace,
		time.Duration(s.maxAge.Load()), s.readErrs.Load(), s.writeErrs.Load())
}

// trackingConns returns how many of srv's clients are tracking
// connections (CLIENT LIST, by name).
func trackingConns(t *testing.T, srv *servertest.Server) int {
	t.Helper()
	list, err := srv.Do("CLIENT", "LIST")
	require.NoError(t, err)
	return strings.Count(list, "name="+redisstore.TrackingName+" ")
}

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
			st := redisstore.New(rdb)
			t.Cleanup(func() { _ = st.Close() })
			prefix := "near:" + runID + ":failover:"
			c, err := ring.NewCache[int](ring.Storage(st), ring.Coder("json"), ring.KeyPrefix(prefix), ring.Near(1000, time.Minute))
			require.NoError(t, err)
			ring.WaitNearLive(t, c)
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
			require.NoError(t, rdb.Do(context.Background(), "WAIT", 1, 2000).Err())
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
			hitsAfter := run.hits.Load()
			time.Sleep(500 * time.Millisecond)
			run.stop()
			require.Zero(t, run.stale.Load())
			require.Greater(t, run.hits.Load(), hitsAfter, "no near hit after the failover")
			require.NoError(t, st.TrackingErr())
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
	st := redisstore.New(rdb)
	t.Cleanup(func() { _ = st.Close() })
	prefix := "near:" + runID + ":cluster-failover:"
	c, err := ring.NewCache[int](ring.Storage(st), ring.Coder("json"), ring.KeyPrefix(prefix), ring.Near(1000, time.Minute))
	require.NoError(t, err)
	ring.WaitNearLive(t, c)
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
	ctx := context.Background()
	require.NoError(t, rdb.ForEachMaster(ctx, func(ctx context.Context, m *redis.Client) error {
		return m.Do(ctx, "WAIT", 1, 2000).Err()
	}))
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
	hits := run.hits.Load()
	time.Sleep(500 * time.Millisecond)
	run.stop()
	require.Zero(t, run.stale.Load())
	require.Greater(t, run.hits.Load(), hits, "no near hit after the failover")
	require.NoError(t, st.TrackingErr())
}
