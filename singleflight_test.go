package ring_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
)

// The reproduction: a leader with a 10 ms deadline and 100 waiters
// on context.Background(). The leader gets its own error while the function
// still runs; every waiter gets the value; the value is cached.
func TestLeaderDeadlineDoesNotFailWaiters(t *testing.T) {
	started := make(chan struct{})
	release := make(chan struct{})
	var runs counter
	r := ring.Must(ring.Func1(func(ctx context.Context, k string) (string, error) {
		runs.add()
		close(started)
		<-release
		if err := ctx.Err(); err != nil {
			return "", err // what a function that honours its context does
		}
		return "v:" + k, nil
	}))
	lctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	leader := make(chan error, 1)
	go func() {
		_, err := r.Call(lctx, "hot")
		leader <- err
	}()
	<-started
	const waiters = 100
	var wg sync.WaitGroup
	vals := make([]string, waiters)
	errs := make([]error, waiters)
	for i := range waiters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vals[i], errs[i] = r.Call(context.Background(), "hot")
		}()
	}
	// The function is still blocked: the leader returns on its deadline.
	require.ErrorIs(t, <-leader, context.DeadlineExceeded)
	close(release)
	wg.Wait()
	require.EqualValues(t, 1, runs.get())
	for i := range waiters {
		require.NoError(t, errs[i], "waiter %d", i)
		require.Equal(t, "v:hot", vals[i], "waiter %d", i)
	}
	v, found, err := r.Get(context.Background(), "hot")
	require.NoError(t, err)
	require.True(t, found, "the run wrote its result on its own context")
	require.Equal(t, "v:hot", v)
}

// When every caller has gone, the function's context is cancelled, and its
// result (if it returns one anyway) is not stored.
func TestEveryCallerGoneCancelsFunction(t *testing.T) {
	type spanKey struct{}
	started := make(chan struct{})
	seen := make(chan any, 1)
	ended := make(chan error, 1)
	lru, err := backends.NewLRU(16)
	require.NoError(t, err)
	store := &faulty{Storage: lru} // counts the reads each Call makes before it joins the flight
	r := ring.Must(ring.Func1(func(ctx context.Context, k string) (string, error) {
		seen <- ctx.Value(spanKey{})
		close(started)
		<-ctx.Done()
		ended <- ctx.Err()
		return "late", nil // ignores the cancellation: still not stored
	}, ring.Storage(store), ring.KeyPrefix("gone")))
	const callers = 10
	var wg sync.WaitGroup
	cancels := make([]context.CancelFunc, callers)
	errs := make([]error, callers)
	for i := range callers {
		ctx, cancel := context.WithCancel(context.WithValue(context.Background(), spanKey{}, "trace-1"))
		cancels[i] = cancel
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = r.Call(ctx, "k")
		}()
		if i == 0 {
			<-started
		}
	}
	require.Equal(t, "trace-1", <-seen, "the function's context keeps the caller's values")
	// Every caller has read the cache (and missed); give the last ones
	// time to join the flight, which they do right after.
	require.Eventually(t, func() bool { return store.gets.Load() >= callers+1 }, 5*time.Second, time.Millisecond)
	time.Sleep(50 * time.Millisecond)
	for _, cancel := range cancels[:callers-1] {
		cancel()
	}
	select {
	case err := <-ended:
		t.Fatalf("the function's context ended (%v) while a caller still waited", err)
	case <-time.After(30 * time.Millisecond):
	}
	cancels[callers-1]()
	require.ErrorIs(t, <-ended, context.Canceled)
	wg.Wait()
	for _, err := range errs {
		require.ErrorIs(t, err, context.Canceled)
	}
	// Wait until the abandoned run has finished, then check it stored nothing.
	require.Eventually(t, func() bool {
		ok, err := r.Has(context.Background(), "k")
		return err == nil && !ok
	}, time.Second, 5*time.Millisecond)
	time.Sleep(10 * time.Millisecond)
	ok, err := r.Has(context.Background(), "k")
	require.NoError(t, err)
	require.False(t, ok, "an abandoned run's result is not stored")
}

// fillRace is one kind of write raced against a fill in flight.
type fillRace struct {
	name string
	// write makes the newer write of k.
	write func(ctx context.Context, r *ring.Ring1[int, string], k int) error
	// want is the state the storage must end in: the value, or "" for
	// absent.
	want string
}

var fillRaces = []fillRace{
	{"Delete", func(ctx context.Context, r *ring.Ring1[int, string], k int) error { return r.Delete(ctx, k) }, ""},
	{"Set", func(ctx context.Context, r *ring.Ring1[int, string], k int) error { return r.Set(ctx, "set", k) }, "set"},
	{"Update", func(ctx context.Context, r *ring.Ring1[int, string], k int) error {
		_, err := r.Update(ctx, k)
		return err
	}, "run2"},
	{"DeleteMany", func(ctx context.Context, r *ring.Ring1[int, string], k int) error {
		return r.Many().Delete(ctx, []int{k, k + 1})
	}, ""},
	{"SetMany", func(ctx context.Context, r *ring.Ring1[int, string], k int) error {
		return r.Many().Set(ctx, []string{"set", "other"}, []int{k, k + 1})
	}, "set"},
	{"UpdateMany", func(ctx context.Context, r *ring.Ring1[int, string], k int) error {
		_, err := r.Many().Update(ctx, []int{k})
		return err
	}, "run2"},
}

// ringSeq numbers the rings of the tests on shared servers, so that each
// has keys of its own, also under -count.
var ringSeq atomic.Int64

// cacheKey is the key of k in the ring's Cache().
func cacheKey(r *ring.Ring1[int, string], k int) string {
	key, _ := r.Key(k)
	return strings.TrimPrefix(key, r.Cache().Prefix())
}

// cacheRaces are the writes through the ring's low-level Cache(), which
// share the ring's path.
var cacheRaces = []fillRace{
	{"Cache.Delete", func(ctx context.Context, r *ring.Ring1[int, string], k int) error {
		_, err := r.Cache().Delete(ctx, cacheKey(r, k))
		return err
	}, ""},
	{"Cache.Set", func(ctx context.Context, r *ring.Ring1[int, string], k int) error {
		_, err := r.Cache().Set(ctx, cacheKey(r, k), "set", ring.SetOptions{TTL: time.Minute})
		return err
	}, "set"},
	{"Cache.SetMany", func(ctx context.Context, r *ring.Ring1[int, string], k int) error {
		return r.Cache().SetMany(ctx, map[string]string{cacheKey(r, k): "set"}, time.Minute)
	}, "set"},
	{"Cache.DeleteMany", func(ctx context.Context, r *ring.Ring1[int, string], k int) error {
		return r.Cache().DeleteMany(ctx, cacheKey(r, k))
	}, ""},
}

// clearRace clears the ring's Cache() (not on memcached, which cannot).
var clearRace = fillRace{"Cache.Clear", func(ctx context.Context, r *ring.Ring1[int, string], k int) error {
	return r.Cache().Clear(ctx)
}, ""}

// raceFills races each kind of write against a fill of the same key that
// started before it, iterations times, releasing the fill at a random point
// around the write, and checks that the storage ends with the write's state
// and that the fill's callers still get the fill's result. fill starts the
// fill (Call or Many().GetOrUpdate).
func raceFills(t *testing.T, races []fillRace, iterations int, opts func(i int) []ring.Option,
	fill func(ctx context.Context, r *ring.Ring1[int, string], k int) (string, error)) {
	ctx := context.Background()
	for _, fr := range races {
		t.Run(fr.name, func(t *testing.T) {
			for i := range iterations {
				var runs atomic.Int64
				started := make(chan struct{})
				gate := make(chan struct{})
				r := ring.Must(ring.Func1(func(ctx context.Context, k int) (string, error) {
					n := runs.Add(1)
					if n == 1 {
						close(started)
					}
					<-gate
					return fmt.Sprintf("run%d", n), nil
				}, opts(i)...))
				k := 1000 + 2*i
				got := make(chan string, 1)
				go func() {
					v, err := fill(ctx, r, k)
					if err != nil {
						v = err.Error()
					}
					got <- v
				}()
				select {
				case <-started:
				case v := <-got:
					t.Fatalf("iteration %d: the fill did not run the function (got %q): was the key cached already?", i, v)
				}
				wrote := make(chan error, 1)
				go func() { wrote <- fr.write(ctx, r, k) }()
				// Release the fill before, during or after the write.
				switch i % 4 {
				case 0:
				case 1:
					runtime.Gosched()
				case 2:
					time.Sleep(time.Duration(rand.IntN(200)) * time.Microsecond)
				case 3:
					time.Sleep(time.Millisecond) // most writes have finished
				}
				close(gate)
				require.NoError(t, <-wrote)
				require.Equal(t, "run1", <-got, "iteration %d: the fill's callers get its result", i)
				v, found, err := r.Get(ctx, k)
				require.NoError(t, err)
				if fr.want == "" {
					require.False(t, found, "iteration %d: the fill undid the %s (it stored %q)", i, fr.name, v)
				} else {
					require.True(t, found, "iteration %d", i)
					require.Equal(t, fr.want, v, "iteration %d: the fill undid the %s", i, fr.name)
				}
			}
		})
	}
}

func callFill(ctx context.Context, r *ring.Ring1[int, string], k int) (string, error) {
	return r.Call(ctx, k)
}

func bulkFill(ctx context.Context, r *ring.Ring1[int, string], k int) (string, error) {
	vs, err := r.Many().GetOrUpdate(ctx, []int{k})
	if err != nil {
		return "", err
	}
	return vs[0], nil
}

// A Delete, Set, Update or one of their bulk forms of a key while a fill of
// that key is in flight is never undone by the fill.
func TestNewerWriteWinsOverFill(t *testing.T) {
	lru := func(int) []ring.Option { return []ring.Option{ring.LRU(64), ring.Expire(time.Minute)} }
	all := append(append(fillRaces[:len(fillRaces):len(fillRaces)], cacheRaces...), clearRace)
	t.Run("Call", func(t *testing.T) { raceFills(t, all, 300, lru, callFill) })
	t.Run("GetOrUpdateMany", func(t *testing.T) { raceFills(t, all, 100, lru, bulkFill) })
	// A custom strategy that fills through Op.Flight and writes a backup
	// copy gets the same guarantee.
	backup := func(int) []ring.Option { return []ring.Option{ring.Dict(), ring.WithStrategy(backupCopy{})} }
	t.Run("Op.Flight", func(t *testing.T) { raceFills(t, fillRaces, 100, backup, callFill) })
}

// The same against a real Redis: the storage commands of the fill and of
// the write travel on different connections, yet the server never applies
// the fill's after the write's.
func TestNewerWriteWinsOverFillRedis(t *testing.T) {
	rdb := sharedRedis(t)
	opts := func(int) []ring.Option {
		// A generous storage timeout: these tests are about the order of
		// writes, and the default 100 ms can expire on a loaded 2-core
		// machine under -race (seen twice), which turns a write into a
		// reported timeout instead of testing its order.
		return []ring.Option{ring.Storage(redisstore.New(rdb)), ring.Expire(time.Minute), ring.StorageTimeout(2 * time.Second),
			ring.KeyPrefix(fmt.Sprintf("%s:newer:%d", runID, ringSeq.Add(1)))}
	}
	all := append(append(fillRaces[:len(fillRaces):len(fillRaces)], cacheRaces...), clearRace)
	t.Run("Call", func(t *testing.T) { raceFills(t, all, 100, opts, callFill) })
	t.Run("GetOrUpdateMany", func(t *testing.T) { raceFills(t, all, 40, opts, bulkFill) })
	t.Cleanup(func() {
		ctx := context.Background()
		iter := rdb.Scan(ctx, 0, runID+":newer:*", 1000).Iterator()
		for iter.Next(ctx) {
			rdb.Del(ctx, iter.Val())
		}
	})
}

// The same against memcached (the shared servers).
func TestNewerWriteWinsOverFillMemcache(t *testing.T) {
	mc := sharedMemcache(t)
	opts := func(int) []ring.Option {
		return []ring.Option{ring.Storage(memcachestore.New(mc)), ring.Expire(time.Minute), ring.StorageTimeout(2 * time.Second),
			ring.KeyPrefix(fmt.Sprintf("%s:newer-mc:%d", runID, ringSeq.Add(1)))}
	}
	all := append(fillRaces[:len(fillRaces):len(fillRaces)], cacheRaces...)
	t.Run("Call", func(t *testing.T) { raceFills(t, all, 60, opts, callFill) })
	t.Run("GetOrUpdateMany", func(t *testing.T) { raceFills(t, all, 20, opts, bulkFill) })
}

// A Call that arrives after a Delete or Set does not join the flight that
// started before it: after a Delete it runs the function anew, after a Set
// it reads the value set.
func TestCallAfterWriteDoesNotJoinOlderFlight(t *testing.T) {
	ctx := context.Background()
	var runs atomic.Int64
	started := make(chan struct{}, 4)
	gate := make(chan struct{})
	r := ring.Must(ring.Func1(func(ctx context.Context, k int) (string, error) {
		n := runs.Add(1)
		started <- struct{}{}
		<-gate
		return fmt.Sprintf("run%d", n), nil
	}))
	first := make(chan string, 1)
	go func() { v, _ := r.Call(ctx, 1); first <- v }()
	<-started
	require.NoError(t, r.Delete(ctx, 1))
	second := make(chan string, 1)
	go func() { v, _ := r.Call(ctx, 1); second <- v }()
	select {
	case <-started: // a run of its own
	case <-time.After(5 * time.Second):
		t.Fatal("the Call after Delete joined the older flight")
	}
	close(gate)
	require.Equal(t, "run1", <-first)
	require.Equal(t, "run2", <-second)
	v, _, _ := r.Get(ctx, 1)
	require.Equal(t, "run2", v, "the run that started after the Delete stores its result")

	// After a Set, a new Call reads the value set, though an older fill of
	// the key is still in flight.
	gate2 := make(chan struct{})
	r2 := ring.Must(ring.Func1(func(ctx context.Context, k int) (string, error) {
		started <- struct{}{}
		<-gate2
		return "fill", nil
	}))
	older := make(chan string, 1)
	go func() { v, _ := r2.Call(ctx, 1); older <- v }()
	<-started
	require.NoError(t, r2.Set(ctx, "set", 1))
	v, err := r2.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "set", v)
	close(gate2)
	require.Equal(t, "fill", <-older)
	v, _, _ = r2.Get(ctx, 1)
	require.Equal(t, "set", v)
}

// Many().GetOrUpdate runs its misses concurrently, at most BulkConcurrency at
// once.
func TestGetOrUpdateManyBound(t *testing.T) {
	ctx := context.Background()
	const bound = 4
	var running, peak atomic.Int64
	// Each of the first bound runs waits until bound run at once: with
	// fewer running concurrently, they would time out.
	barrier := make(chan struct{})
	var arrived atomic.Int64
	r := ring.Must(ring.Func1(func(ctx context.Context, k int) (int, error) {
		n := running.Add(1)
		defer running.Add(-1)
		for {
			p := peak.Load()
			if n <= p || peak.CompareAndSwap(p, n) {
				break
			}
		}
		if arrived.Add(1) == bound {
			close(barrier)
		}
		select {
		case <-barrier:
		case <-time.After(5 * time.Second):
			return 0, fmt.Errorf("only %d runs at once", running.Load())
		}
		time.Sleep(time.Millisecond)
		return k * 10, nil
	}, ring.BulkConcurrency(bound)))
	keys := make([]int, 20)
	for i := range keys {
		keys[i] = i
	}
	vs, err := r.Many().GetOrUpdate(ctx, keys)
	require.NoError(t, err)
	for i, v := range vs {
		require.Equal(t, i*10, v)
	}
	require.EqualValues(t, bound, peak.Load(), "at most (and here exactly) the bound at once")

	_, err = ring.Func1(func(ctx context.Context, k int) (int, error) { return k, nil }, ring.BulkConcurrency(0))
	require.ErrorContains(t, err, "BulkConcurrency(0): the bound must be at least 1")
	_, err = ring.NewCache[int](ring.BulkConcurrency(2))
	require.ErrorContains(t, err, "option BulkConcurrency does not apply to a Cache")
}

// One execution per key across Many().GetOrUpdate and concurrent Calls of the
// same keys, started at random moments around it.
func TestGetOrUpdateManyOneExecutionPerKey(t *testing.T) {
	ctx := context.Background()
	for iter := range 10 {
		var mu sync.Mutex
		runs := map[int]int{}
		r := ring.Must(ring.Func1(func(ctx context.Context, k int) (int, error) {
			mu.Lock()
			runs[k]++
			mu.Unlock()
			time.Sleep(time.Duration(1+rand.IntN(10)) * time.Millisecond)
			return k * 10, nil
		}, ring.LRU(64), ring.BulkConcurrency(1+iter%8)))
		const n = 20
		keys := make([]int, n)
		for i := range keys {
			keys[i] = i
		}
		var wg sync.WaitGroup
		for k := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				time.Sleep(time.Duration(rand.IntN(30)) * time.Millisecond)
				v, err := r.Call(ctx, k)
				if err != nil || v != k*10 {
					t.Errorf("Call(%d) = %v, %v", k, v, err)
				}
			}()
		}
		vs, err := r.Many().GetOrUpdate(ctx, keys)
		require.NoError(t, err)
		for i, v := range vs {
			require.Equal(t, i*10, v)
		}
		wg.Wait()
		for k := range n {
			require.Equal(t, 1, runs[k], "iteration %d: key %d ran %d times", iter, k, runs[k])
		}
	}
}

// A panic in a function that a bulk call ran on one of its goroutines
// reaches the caller of the bulk call; the other goroutines are joined.
func TestGetOrUpdateManyPanic(t *testing.T) {
	r := ring.Must(ring.Func1(func(ctx context.Context, k int) (int, error) {
		if k == 3 {
			panic("three")
		}
		time.Sleep(time.Millisecond)
		return k, nil
	}))
	defer func() {
		pe, ok := recover().(*ring.PanicError)
		require.True(t, ok)
		require.Equal(t, "three", pe.Value)
	}()
	_, _ = r.Many().GetOrUpdate(context.Background(), []int{1, 2, 3, 4, 5, 6})
	t.Fatal("Many().GetOrUpdate returned")
}

// BenchmarkGetOrUpdateManyMisses measures the case: 20 misses of a
// 50 ms function in one Many().GetOrUpdate. Expect about ceil(20/bound) times
// 50 ms (before this change: 20 times, 1 s).
//
//	go test -run '^$' -bench GetOrUpdateManyMisses -benchtime 5x .
func BenchmarkGetOrUpdateManyMisses(b *testing.B) {
	for _, bound := range []int{1, ring.DefaultBulkConcurrency, 20} {
		b.Run(fmt.Sprintf("bound=%d", bound), func(b *testing.B) {
			r := ring.Must(ring.Func1(func(ctx context.Context, k int) (int, error) {
				time.Sleep(50 * time.Millisecond)
				return k, nil
			}, ring.Dummy(), ring.BulkConcurrency(bound)))
			keys := make([]int, 20)
			for i := range keys {
				keys[i] = i
			}
			for b.Loop() {
				if _, err := r.Many().GetOrUpdate(context.Background(), keys); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
