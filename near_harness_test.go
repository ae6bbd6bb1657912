package ring_test

import (
	"context"
	"fmt"
	"strconv"
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

// The writers-and-readers harness of the near tier's failover and
// resharding tests (near_failover_test.go, near_ring_test.go): a Cache
// with a near tier on a Redis client, writers on clients of their own,
// readers through the Cache, and the checks every such test ends with.

// nearStaleCache returns a Store on rdb and a Cache[int] with a near tier
// on it, under a key prefix of its own (name), with its tracking live.
func nearStaleCache(t *testing.T, rdb redis.UniversalClient, name string) (*redisstore.Store, *ring.Cache[int], string) {
	t.Helper()
	st := redisstore.New(rdb)
	t.Cleanup(func() { _ = st.Close() })
	prefix := "near:" + runID + ":" + name + ":"
	c, err := ring.NewCache[int](ring.Storage(st), ring.Coder("json"), ring.KeyPrefix(prefix), ring.Near(1000, time.Minute))
	require.NoError(t, err)
	ring.WaitNearLive(t, c)
	return st, c, prefix
}

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
					// Say where the value came from (a near copy, or the
					// storage) and when the value read, the one that
					// replaced it and the last one due were acknowledged,
					// so that a failure names its cause.
					var around []string
					s.mu.Lock()
					for _, a := range s.acks[k] {
						if a.v == v || a.v == v+1 || a.v == last {
							around = append(around, fmt.Sprintf("%d at %s", a.v, a.at.Format("15:04:05.000")))
						}
					}
					s.mu.Unlock()
					t.Errorf("key %d: read %d (near hit %v, read at %s), but %d was acknowledged more than %v before the read; acknowledged: %s",
						k, v, hit, start.Format("15:04:05.000"), last, bound, strings.Join(around, ", "))
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

// waitCaughtUp waits until replica has applied every write that master
// had acknowledged when it was called (the replica's processed offset
// reaches the master's), or fails t after 5s. A WAIT would not do: it
// counts only the writes of its own connection, and the writers' were on
// connections of their own, so on a connection that wrote nothing it
// returns at once.
func waitCaughtUp(t *testing.T, master, replica *servertest.Server) {
	t.Helper()
	info, err := master.Do("INFO", "replication")
	require.NoError(t, err)
	want := replOffset(t, info, "master_repl_offset:")
	deadline := time.Now().Add(5 * time.Second)
	for {
		info, err := replica.Do("INFO", "replication")
		require.NoError(t, err)
		got := replOffset(t, info, "slave_repl_offset:")
		if got >= want {
			return
		}
		require.False(t, time.Now().After(deadline), "replica %s at offset %d, master %s at %d", replica.Addr(), got, master.Addr(), want)
		time.Sleep(5 * time.Millisecond)
	}
}

// replOffset returns the number after field in an INFO reply.
func replOffset(t *testing.T, info, field string) int64 {
	t.Helper()
	for _, line := range strings.Split(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field); ok {
			n, err := strconv.ParseInt(v, 10, 64)
			require.NoError(t, err, line)
			return n
		}
	}
	t.Fatalf("no %q in %q", field, info)
	return 0
}

// stopAfterHits runs s for d more, stops it, and checks what every run
// must end with: no stale read, near hits in that last stretch (what says
// after which event), and no tracking error on st.
func (s *staleRun) stopAfterHits(st *redisstore.Store, d time.Duration, what string) {
	s.t.Helper()
	hits := s.hits.Load()
	time.Sleep(d)
	s.stop()
	require.Zero(s.t, s.stale.Load())
	require.Greater(s.t, s.hits.Load(), hits, "no near hit after "+what)
	require.NoError(s.t, st.TrackingErr())
}
