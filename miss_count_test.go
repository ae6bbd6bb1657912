package ring_test

import (
	"context"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// localSeen is seenStore over an in-process LRU or Dict, seen through a
// wrapper that unwraps to it: Call counts the ring's writes of the
// storage before its read (one counter, no hash) and reads again on a miss
// only if a write finished since.
type localSeen struct{ *seenStore }

func (l localSeen) Unwrap() backends.Storage { return l.seenStore.Storage }

// Clear forwards to the LRU's or the Dict's Clear (a WriteAll of the rope).
func (l localSeen) Clear(ctx context.Context, prefix string, match func(string) bool) error {
	return l.seenStore.Storage.(interface {
		Clear(ctx context.Context, prefix string, match func(string) bool) error
	}).Clear(ctx, prefix, match)
}

// localStores are the in-process storages whose misses count writes.
func localStores(t *testing.T) map[string]func() localSeen {
	return map[string]func() localSeen{
		"lru":  func() localSeen { return localSeen{newSeenStore(t)} },
		"dict": func() localSeen { return localSeen{&seenStore{Storage: backends.NewDict()}} },
	}
}

// A miss on an LRU or a Dict reads once when no write landed since the
// read, and again when one did: a newer write of the key (found, nothing
// runs), another caller's fill (one execution), a delete, a write of
// another key (the counter is the storage's), a Clear.
func TestMissCountedReadsAgainOnlyAfterAWrite(t *testing.T) {
	for name, newStore := range localStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			s := newStore()
			var runs counter
			r := ring.Must(ring.Func2(price(&runs), ring.Storage(s), ring.KeyPrefix("counted")))
			call := func(item string, qty int, want string, gets, ran int64, why string) {
				t.Helper()
				v, err := r.Call(ctx, item, qty)
				require.NoError(t, err)
				require.Equal(t, want, v, why)
				require.EqualValues(t, gets, s.gets.Load(), "reads: %s", why)
				require.EqualValues(t, ran, runs.get(), "executions: %s", why)
				s.gets.Store(0)
			}
			between := func(f func()) { s.between.Store(&f) }

			call("apple", 1, "applex1", 1, 1, "nothing between: one read")

			between(func() { require.NoError(t, r.Set(ctx, "written", "apple", 2)) })
			call("apple", 2, "written", 2, 1, "a newer write between: read again, found")

			between(func() {
				done := make(chan struct{})
				go func() {
					defer close(done)
					if v, err := r.Call(ctx, "apple", 3); err != nil || v != "applex3" {
						t.Errorf("the other caller got %q, %v", v, err)
					}
				}()
				<-done
			})
			call("apple", 3, "applex3", 3, 2, "another caller's fill between: one execution")

			between(func() { require.NoError(t, r.Delete(ctx, "apple", 4)) })
			call("apple", 4, "applex4", 2, 3, "a delete between")

			between(func() { require.NoError(t, r.Set(ctx, "other", "pear", 1)) })
			call("apple", 5, "applex5", 2, 4, "a write of another key between")

			between(func() { require.NoError(t, r.Cache().Clear(ctx)) })
			call("apple", 6, "applex6", 2, 5, "a Clear between")

			call("apple", 7, "applex7", 1, 6, "nothing between again: one read")
		})
	}
}

// Many callers of the same keys on an LRU or a Dict, each yielding after
// its read so that other callers' flights start and end between a
// caller's read and its own flight: every key runs once. A miss that
// skipped its second read after a fill landed would run it again.
func TestMissCountedOneExecutionUnderRace(t *testing.T) {
	for name, newStore := range localStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			const rounds, keys, callers = 40, 8, 8
			for round := range rounds {
				s := newStore()
				s.yield = true
				var runs [keys]atomic.Int64
				r := ring.Must(ring.Func1(func(ctx context.Context, k int) (string, error) {
					runs[k].Add(1)
					runtime.Gosched()
					return "v" + strconv.Itoa(k), nil
				}, ring.Storage(s), ring.KeyPrefix("counted-race")))
				var wg sync.WaitGroup
				for c := range callers {
					wg.Add(1)
					go func() {
						defer wg.Done()
						for i := range keys {
							k := (i + c) % keys
							if v, err := r.Call(ctx, k); err != nil || v != "v"+strconv.Itoa(k) {
								t.Errorf("Call(%d) = %q, %v", k, v, err)
							}
						}
					}()
				}
				wg.Wait()
				for k := range runs {
					if n := runs[k].Load(); n != 1 {
						t.Fatalf("round %d: key %d ran %d times, want once", round, k, n)
					}
				}
			}
		})
	}
}

// Writers racing fills on an LRU: a Set that finished before a Call
// began is what that Call returns, never an older fill's value, whatever
// the misses of the other goroutines skipped.
func TestMissCountedWriteRacingFills(t *testing.T) {
	ctx := context.Background()
	l, err := backends.NewLRU(1 << 10)
	require.NoError(t, err)
	var gen atomic.Int64
	r := ring.Must(ring.Func1(func(ctx context.Context, k int) (int64, error) {
		runtime.Gosched()
		return gen.Load(), nil
	}, ring.Storage(l), ring.KeyPrefix("counted-writes")))
	const keys, rounds = 4, 300
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for range 4 { // readers: fills of every key, all the time
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := r.Call(ctx, i%keys); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	for i := range rounds {
		k := i % keys
		want := int64(1_000_000 + i)
		require.NoError(t, r.Set(ctx, want, k))
		v, err := r.Call(ctx, k)
		require.NoError(t, err)
		// Only a newer write may replace the Set's value, and the only
		// writer of values >= 1e6 is this loop: a fill holds gen's
		// values, below it, which would be older data.
		require.Equal(t, want, v, "round %d: the Set that finished before the Call", i)
		gen.Add(1)
	}
	close(stop)
	wg.Wait()
}
