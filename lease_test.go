package ring_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
	"github.com/ringcache/ring/strategy"
)

// leaseBackend opens, for each simulated process, a storage on a client
// of its own.
type leaseBackend struct {
	name string
	open func(t *testing.T) backends.Storage
	ttl  time.Duration // the Lease ttl the tests use
	// deleteClears: a Delete of a missing entry clears a fill's lease
	// (Redis); on memcached only a write or delete of an entry that
	// exists stops the holder's write.
	deleteClears bool
}

func leaseBackends() []leaseBackend {
	return []leaseBackend{
		{name: "redis", ttl: 500 * time.Millisecond, deleteClears: true, open: func(t *testing.T) backends.Storage {
			c := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t)})
			t.Cleanup(func() { _ = c.Close() })
			return redisstore.New(c)
		}},
		{name: "cluster", ttl: 500 * time.Millisecond, deleteClears: true, open: func(t *testing.T) backends.Storage {
			c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: servertest.RedisClusterAddrs(t)})
			t.Cleanup(func() { _ = c.Close() })
			return redisstore.New(c)
		}},
		{name: "memcache", ttl: time.Second, open: func(t *testing.T) backends.Storage {
			ss := new(memcache.ServerList)
			require.NoError(t, ss.SetServers(servertest.MemcacheAddrs(t)...))
			c := memcache.NewFromSelector(ss)
			m := memcachestore.New(c, memcachestore.WithSelector(ss))
			t.Cleanup(func() { _ = m.Close(); _ = c.Close() })
			return m
		}},
	}
}

// leaseSource is the function of every simulated process: it counts its
// runs per id, takes d, and returns "<tag><id>".
type leaseSource struct {
	d    time.Duration
	tag  atomic.Pointer[string]
	mu   sync.Mutex
	runs map[int]int
	// fail, when set, makes the next run fail.
	fail atomic.Bool
}

func newLeaseSource(d time.Duration, tag string) *leaseSource {
	s := &leaseSource{d: d, runs: map[int]int{}}
	s.tag.Store(&tag)
	return s
}

func (s *leaseSource) fn(ctx context.Context, id int) (string, error) {
	s.mu.Lock()
	s.runs[id]++
	s.mu.Unlock()
	select {
	case <-time.After(s.d):
	case <-ctx.Done():
		return "", ctx.Err()
	}
	if s.fail.CompareAndSwap(true, false) {
		return "", errors.New("source down")
	}
	return fmt.Sprintf("%s%d", *s.tag.Load(), id), nil
}

func (s *leaseSource) total() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.runs {
		n += r
	}
	return n
}

func (s *leaseSource) of(id int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.runs[id]
}

// processes builds n rings over b, each on a client of its own (as n
// processes would be), on the same keys, with opts.
func processes(t *testing.T, b leaseBackend, src *leaseSource, n int, opts ...ring.Option) ([]*ring.Ring1[int, string], *events) {
	t.Helper()
	var evs events
	prefix := fmt.Sprintf("ring-test:%s:%s:%d", runID, t.Name(), time.Now().UnixNano())
	rs := make([]*ring.Ring1[int, string], n)
	for i := range rs {
		base := []ring.Option{ring.Storage(b.open(t)), ring.KeyPrefix(prefix), ring.Expire(time.Minute), ring.OnError(evs.hook),
			ring.StorageTimeout(2 * time.Second)} // a loaded machine under -race
		r, err := ring.Func1(func(ctx context.Context, id int) (string, error) { return src.fn(ctx, id) }, append(base, opts...)...)
		require.NoError(t, err)
		rs[i] = r
		t.Cleanup(func() { ring.WaitRefreshesForTest(r.Cache()) })
		// Connect now, so that the calls the tests time start together.
		_, _, err = r.Get(context.Background(), 0)
		require.NoError(t, err)
	}
	t.Cleanup(func() {
		for id := range 8 {
			_ = rs[0].Delete(context.Background(), id)
		}
	})
	return rs, &evs
}

// callAll makes every ring call every id at once, and returns the results
// by ring and id and the longest call.
func callAll(t *testing.T, rs []*ring.Ring1[int, string], ids []int) ([][]string, time.Duration) {
	t.Helper()
	out := make([][]string, len(rs))
	errs := make([][]error, len(rs))
	var longest atomic.Int64
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i, r := range rs {
		out[i] = make([]string, len(ids))
		errs[i] = make([]error, len(ids))
		for j, id := range ids {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				t0 := time.Now()
				ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
				defer cancel()
				out[i][j], errs[i][j] = r.Call(ctx, id)
				d := int64(time.Since(t0))
				for {
					old := longest.Load()
					if d <= old || longest.CompareAndSwap(old, d) {
						break
					}
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	for i := range errs {
		for _, err := range errs[i] {
			require.NoError(t, err)
		}
	}
	return out, time.Duration(longest.Load())
}

const leaseProcs = 8

var leaseIDs = []int{1, 2, 3, 4}

// TestLeaseMiss: 8 independent clients (each its own ring and its own
// connection, as 8 processes) miss the same 4 keys at once; with Lease
// each key's function runs once in all, and every caller gets its value.
// Without Lease (the control) each process runs its own.
func TestLeaseMiss(t *testing.T) {
	for _, b := range leaseBackends() {
		t.Run(b.name, func(t *testing.T) {
			src := newLeaseSource(300*time.Millisecond, "v")
			rs, evs := processes(t, b, src, leaseProcs, ring.Lease(b.ttl*4))
			got, _ := callAll(t, rs, leaseIDs)
			for i := range got {
				for j, id := range leaseIDs {
					require.Equal(t, fmt.Sprintf("v%d", id), got[i][j])
				}
			}
			for _, id := range leaseIDs {
				require.Equal(t, 1, src.of(id), "executions of key %d across %d clients", id, leaseProcs)
			}
			require.Empty(t, evs.ops())
			t.Logf("LEASE miss %s: %d clients x %d keys: %d executions with Lease", b.name, leaseProcs, len(leaseIDs), src.total())

			ctl := newLeaseSource(300*time.Millisecond, "v")
			crs, _ := processes(t, b, ctl, leaseProcs)
			callAll(t, crs, leaseIDs)
			require.Greater(t, ctl.total(), len(leaseIDs), "control without Lease: the processes' single flights do not share")
			t.Logf("LEASE miss %s: %d clients x %d keys: %d executions without Lease", b.name, leaseProcs, len(leaseIDs), ctl.total())
		})
	}
}

// staleEntries writes ids through r with a time-to-live of 5s: due for
// refresh at once under Expire(1m) and RefreshAhead(10s, ...).
func staleEntries(t *testing.T, r *ring.Ring1[int, string], ids []int) {
	t.Helper()
	for _, id := range ids {
		_, err := r.Cache().Set(context.Background(), fmt.Sprint(id), fmt.Sprintf("old%d", id), ring.SetOptions{TTL: 5 * time.Second})
		require.NoError(t, err)
	}
}

// TestLeaseRefresh: 8 independent clients hit the same 4 stale keys at
// once; every hit is served the stale value, and with Lease each key is
// refreshed once in all (the clients that do not get the lease keep the
// stale value). Without Lease each process refreshes.
func TestLeaseRefresh(t *testing.T) {
	for _, b := range leaseBackends() {
		t.Run(b.name, func(t *testing.T) {
			for _, lease := range []bool{true, false} {
				src := newLeaseSource(time.Second, "new")
				opts := []ring.Option{ring.RefreshAhead(10*time.Second, 5*time.Second)}
				if lease {
					opts = append(opts, ring.Lease(b.ttl*4))
				}
				rs, evs := processes(t, b, src, leaseProcs, opts...)
				staleEntries(t, rs[0], leaseIDs)
				got, longest := callAll(t, rs, leaseIDs)
				for i := range got {
					for j, id := range leaseIDs {
						require.Equal(t, fmt.Sprintf("old%d", id), got[i][j])
					}
				}
				require.Less(t, longest, src.d, "a stale hit waited for a refresh")
				for _, r := range rs {
					ring.WaitRefreshesForTest(r.Cache())
				}
				if !lease {
					require.Greater(t, src.total(), len(leaseIDs), "control without Lease")
					t.Logf("LEASE refresh %s: %d clients x %d stale keys: %d executions without Lease", b.name, leaseProcs, len(leaseIDs), src.total())
					continue
				}
				for _, id := range leaseIDs {
					require.Equal(t, 1, src.of(id), "refreshes of key %d across %d clients", id, leaseProcs)
					v, found, err := rs[leaseProcs-1].Get(context.Background(), id)
					require.NoError(t, err)
					require.True(t, found)
					require.Equal(t, fmt.Sprintf("new%d", id), v)
				}
				require.Empty(t, evs.ops())
				t.Logf("LEASE refresh %s: %d clients x %d stale keys: %d executions with Lease", b.name, leaseProcs, len(leaseIDs), src.total())
			}
		})
	}
}

// deadHolder takes the lease of id's entry and never comes back: a
// process that died holding it.
func deadHolder(t *testing.T, b leaseBackend, r *ring.Ring1[int, string], id int) time.Time {
	t.Helper()
	_, ok, err := backends.TakeLease(context.Background(), b.open(t), r.Cache().Key(fmt.Sprint(id)), b.ttl)
	require.NoError(t, err)
	require.True(t, ok)
	return time.Now()
}

// TestLeaseHolderDies: a process that took a key's lease and died blocks
// the others no longer than the lease's ttl. On a miss the others wait
// and one of them runs the function once the lease expires; on a stale
// entry they keep serving it, and the first hit after the expiry
// refreshes it.
func TestLeaseHolderDies(t *testing.T) {
	for _, b := range leaseBackends() {
		t.Run(b.name, func(t *testing.T) {
			// The dead holder's lease has b.ttl; the rings take theirs
			// for 4*b.ttl, so that the one that takes over keeps it
			// while it runs on a loaded machine. limit is how soon after
			// the death the others must have moved on: the dead lease's
			// ttl (memcached: up to 1s more) with room for a loaded
			// machine, and still well before a waiter gives up waiting
			// (4*b.ttl + 2s), after which every process would run the
			// function (which the count of executions would catch).
			limit := b.ttl + time.Second
			if b.name == "memcache" {
				limit = b.ttl + 2*time.Second
			}
			t.Run("miss", func(t *testing.T) {
				src := newLeaseSource(50*time.Millisecond, "v")
				rs, evs := processes(t, b, src, leaseProcs, ring.Lease(4*b.ttl))
				died := deadHolder(t, b, rs[0], 1)
				got, _ := callAll(t, rs, []int{1})
				waited := time.Since(died)
				for i := range got {
					require.Equal(t, "v1", got[i][0])
				}
				require.Equal(t, 1, src.of(1), "one process takes over")
				require.GreaterOrEqual(t, waited, b.ttl-50*time.Millisecond, "the dead holder's lease was ignored")
				require.Less(t, waited, limit+src.d, "the others waited past the lease's ttl")
				require.Empty(t, evs.ops())
			})
			t.Run("refresh", func(t *testing.T) {
				src := newLeaseSource(50*time.Millisecond, "new")
				rs, evs := processes(t, b, src, leaseProcs, ring.Lease(4*b.ttl), ring.RefreshAhead(10*time.Second, 5*time.Second))
				staleEntries(t, rs[0], []int{1})
				died := deadHolder(t, b, rs[0], 1)
				got, _ := callAll(t, rs, []int{1})
				for _, r := range rs {
					ring.WaitRefreshesForTest(r.Cache())
				}
				for i := range got {
					require.Equal(t, "old1", got[i][0])
				}
				require.Equal(t, 0, src.of(1), "a refresh ran while the dead holder's lease held")
				deadline := died.Add(limit)
				for {
					v, err := rs[1].Call(context.Background(), 1)
					require.NoError(t, err)
					ring.WaitRefreshesForTest(rs[1].Cache())
					if src.of(1) > 0 {
						break
					}
					require.Equal(t, "old1", v)
					require.True(t, time.Now().Before(deadline), "no refresh within the lease's ttl of the holder's death")
					time.Sleep(20 * time.Millisecond)
				}
				require.Equal(t, 1, src.of(1))
				v, err := rs[2].Call(context.Background(), 1)
				require.NoError(t, err)
				require.Equal(t, "new1", v)
				require.Empty(t, evs.ops())
			})
		})
	}
}

// TestLeaseFailureHandsOver: the holder's function fails: it releases the
// lease, writes nothing, and a waiting process takes the lease over and
// runs the function itself.
func TestLeaseFailureHandsOver(t *testing.T) {
	for _, b := range leaseBackends() {
		t.Run(b.name, func(t *testing.T) {
			src := newLeaseSource(200*time.Millisecond, "v")
			src.fail.Store(true)
			rs, _ := processes(t, b, src, 2, ring.Lease(b.ttl*4))
			var wg sync.WaitGroup
			var failed, served atomic.Int32
			for _, r := range rs {
				wg.Add(1)
				go func() {
					defer wg.Done()
					v, err := r.Call(context.Background(), 1)
					if err != nil {
						failed.Add(1)
						return
					}
					require.Equal(t, "v1", v)
					served.Add(1)
				}()
			}
			wg.Wait()
			require.EqualValues(t, 1, failed.Load(), "the holder's caller gets its error")
			require.EqualValues(t, 1, served.Load(), "the waiter takes over")
			require.Equal(t, 2, src.of(1))
		})
	}
}

// TestLeaseDeleteWins: a Delete from another process while the holder
// runs the function leaves the key deleted: the holder's write is
// refused (Redis: the Delete clears the lease; memcached: the entry's
// CAS changed), its callers still get the result, and the lost lease is
// reported with Op "lease".
func TestLeaseDeleteWins(t *testing.T) {
	for _, b := range leaseBackends() {
		t.Run(b.name, func(t *testing.T) {
			cases := []string{"refresh"}
			if b.deleteClears {
				cases = append(cases, "miss")
			}
			for _, c := range cases {
				t.Run(c, func(t *testing.T) {
					src := newLeaseSource(300*time.Millisecond, "v")
					opts := []ring.Option{ring.Lease(b.ttl * 4)}
					if c == "refresh" {
						opts = append(opts, ring.RefreshAhead(10*time.Second, 5*time.Second))
					}
					rs, evs := processes(t, b, src, 2, opts...)
					if c == "refresh" {
						staleEntries(t, rs[0], []int{1})
					}
					done := make(chan string, 1)
					go func() {
						v, err := rs[0].Call(context.Background(), 1)
						require.NoError(t, err)
						done <- v
					}()
					for src.of(1) == 0 { // the holder runs: it holds the lease
						time.Sleep(5 * time.Millisecond)
					}
					require.NoError(t, rs[1].Delete(context.Background(), 1))
					v := <-done
					ring.WaitRefreshesForTest(rs[0].Cache())
					if c == "miss" {
						require.Equal(t, "v1", v, "the callers get the result")
					}
					_, found, err := rs[1].Get(context.Background(), 1)
					require.NoError(t, err)
					require.False(t, found, "the holder wrote after the Delete")
					require.Equal(t, []string{"lease"}, evs.ops())
				})
			}
		})
	}
}

// TestLeaseInProcess: on a storage without leases (the LRU) the option
// changes nothing: the single flight runs one function per key.
func TestLeaseInProcess(t *testing.T) {
	src := newLeaseSource(100*time.Millisecond, "v")
	r, err := ring.Func1(func(ctx context.Context, id int) (string, error) { return src.fn(ctx, id) },
		ring.LRU(16), ring.Lease(time.Second))
	require.NoError(t, err)
	got, _ := callAll(t, []*ring.Ring1[int, string]{r, r, r, r}, leaseIDs)
	for i := range got {
		for j, id := range leaseIDs {
			require.Equal(t, fmt.Sprintf("v%d", id), got[i][j])
		}
	}
	require.Equal(t, len(leaseIDs), src.total())
}

// TestLeaseBuildErrors: the refusals of Lease.
func TestLeaseBuildErrors(t *testing.T) {
	require.Equal(t, "Lease(2s)", ring.Lease(2*time.Second).String())
	fn := func(ctx context.Context, id int) (string, error) { return "", nil }
	for _, ttl := range []time.Duration{0, -time.Second} {
		_, err := ring.Func1(fn, ring.Lease(ttl))
		require.ErrorContains(t, err, fmt.Sprintf("Lease(%v): the lease's time-to-live must be positive", ttl))
	}
	store := redisstore.New(sharedRedis(t))
	_, err := ring.Func1(fn, ring.Storage(store), ring.KeyPrefix("p"), ring.Lease(time.Second), ring.IfNotExists())
	require.ErrorContains(t, err, "Lease(1s): cannot be combined with IfNotExists")
	_, err = ring.Func1(fn, ring.Storage(store), ring.KeyPrefix("p"), ring.Lease(time.Second), ring.WithStrategy(strategy.Default{}))
	require.ErrorContains(t, err, "Lease(1s): a custom strategy (WithStrategy) fills entries itself")
	_, err = ring.NewCache[string](ring.Lease(time.Second))
	require.ErrorContains(t, err, "option Lease does not apply to a Cache")
}

// BenchmarkLeaseFill measures a miss on Redis (a Delete, then a Call that
// fills the entry) without and with Lease: the lease adds a SET NX, a
// second read and a script in place of the SET.
func BenchmarkLeaseFill(b *testing.B) {
	for _, lease := range []bool{false, true} {
		name := "without"
		opts := []ring.Option{}
		if lease {
			name = "with"
			opts = append(opts, ring.Lease(time.Second))
		}
		b.Run(name, func(b *testing.B) {
			c := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(b)})
			b.Cleanup(func() { _ = c.Close() })
			base := []ring.Option{ring.Storage(redisstore.New(c)), ring.KeyPrefix(fmt.Sprintf("ring-bench:%s:%s", runID, b.Name())), ring.Expire(time.Minute)}
			r, err := ring.Func1(func(ctx context.Context, id int) (string, error) { return "value", nil }, append(base, opts...)...)
			require.NoError(b, err)
			ctx := context.Background()
			b.Cleanup(func() { _ = r.Delete(ctx, 1) })
			b.ReportAllocs()
			for b.Loop() {
				if err := r.Delete(ctx, 1); err != nil {
					b.Fatal(err)
				}
				if _, err := r.Call(ctx, 1); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// justFilled is a Redis store on which another process writes the entry,
// and lets its lease go, just before each lease is taken.
type justFilled struct {
	*redisstore.Store
	value []byte
}

func (j justFilled) TakeLease(ctx context.Context, key string, ttl time.Duration) (string, bool, error) {
	if err := j.Set(ctx, key, j.value, time.Minute); err != nil {
		return "", false, err
	}
	return j.Store.TakeLease(ctx, key, ttl)
}

// TestLeaseHolderRereads: a fill that gets the lease reads the entry once
// more before it runs the function: another process may have written it,
// and let the lease go, between this one's miss and its lease; the value
// is returned, the function does not run, and the lease is released.
func TestLeaseHolderRereads(t *testing.T) {
	store := redisstore.New(sharedRedis(t))
	src := newLeaseSource(0, "v")
	var evs events
	r, err := ring.Func1(func(ctx context.Context, id int) (string, error) { return src.fn(ctx, id) },
		ring.Storage(justFilled{store, []byte("other")}), ring.KeyPrefix(fmt.Sprintf("ring-test:%s:%s", runID, t.Name())),
		ring.Expire(time.Minute), ring.Lease(time.Minute), ring.OnError(evs.hook))
	require.NoError(t, err)
	ctx := context.Background()
	t.Cleanup(func() { _ = r.Delete(ctx, 1) })
	v, err := r.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "other", v)
	require.Equal(t, 0, src.total(), "the function ran although the entry was there under the lease")
	_, ok, err := store.TakeLease(ctx, r.Cache().Key("1"), time.Second)
	require.NoError(t, err)
	require.True(t, ok, "the lease was not released")
	require.Empty(t, evs.ops())
}

// leaseDown is a Redis store whose leases fail.
type leaseDown struct{ *redisstore.Store }

func (leaseDown) TakeLease(context.Context, string, time.Duration) (string, bool, error) {
	return "", false, errors.New("ring: backend redis: take lease: lease server down")
}

// TestLeaseFailOpen: a lease that cannot be taken is reported with Op
// "lease", and the fill runs without it and writes its value.
func TestLeaseFailOpen(t *testing.T) {
	store := redisstore.New(sharedRedis(t))
	src := newLeaseSource(0, "v")
	var evs events
	r, err := ring.Func1(func(ctx context.Context, id int) (string, error) { return src.fn(ctx, id) },
		ring.Storage(leaseDown{store}), ring.KeyPrefix(fmt.Sprintf("ring-test:%s:%s", runID, t.Name())),
		ring.Expire(time.Minute), ring.Lease(time.Minute), ring.OnError(evs.hook))
	require.NoError(t, err)
	ctx := context.Background()
	t.Cleanup(func() { _ = r.Delete(ctx, 1) })
	v, err := r.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "v1", v)
	require.Equal(t, 1, src.total())
	require.Equal(t, []string{"lease"}, evs.ops())
	require.ErrorContains(t, evs.list()[0].Err, "lease server down")
	got, found, err := r.Get(ctx, 1)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "v1", got)
}
