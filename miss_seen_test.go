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
	"github.com/ringcache/ring/backends/redisstore"
)

// seenStore is a storage of a server as the ring sees it (a
// RemoteStorage): Call counts the ring's writes before its read and reads
// again on a miss only if a write of the key may have finished since. It
// counts its reads, and runs between, once, after a read that missed: a
// write that lands between a caller's first read and its flight.
type seenStore struct {
	backends.Storage
	gets    atomic.Int64
	between atomic.Pointer[func()]
	yield   bool // yield the processor after every read, to widen the race
}

func (s *seenStore) Remote() bool { return true }

func (s *seenStore) Get(ctx context.Context, key string) (any, bool, error) {
	v, ok, err := s.Storage.Get(ctx, key)
	s.gets.Add(1)
	if !ok {
		if f := s.between.Swap(nil); f != nil {
			(*f)()
		}
	}
	if s.yield {
		runtime.Gosched()
	}
	return v, ok, err
}

func newSeenStore(t *testing.T) *seenStore {
	t.Helper()
	l, err := backends.NewLRU(1 << 16)
	require.NoError(t, err)
	return &seenStore{Storage: l}
}

// A miss on a server's storage reads it once when no write of the key
// landed since the read, and again when one did: a newer write (the miss
// returns it and runs nothing), or another caller's fill (one execution).
func TestMissSeenReadsAgainOnlyAfterAWrite(t *testing.T) {
	ctx := context.Background()
	s := newSeenStore(t)
	var runs counter
	r := ring.Must(ring.Func2(price(&runs), ring.Storage(s), ring.KeyPrefix("seen")))

	// Nothing between: one read.
	v, err := r.Call(ctx, "apple", 1)
	require.NoError(t, err)
	require.Equal(t, "applex1", v)
	require.EqualValues(t, 1, s.gets.Load(), "a miss with no write since its read reads once")
	require.EqualValues(t, 1, runs.get())

	// A newer write finishes between the read and the flight.
	s.gets.Store(0)
	between := func() { require.NoError(t, r.Set(ctx, "written", "apple", 2)) }
	s.between.Store(&between)
	v, err = r.Call(ctx, "apple", 2)
	require.NoError(t, err)
	require.Equal(t, "written", v, "the write that landed after the read")
	require.EqualValues(t, 2, s.gets.Load())
	require.EqualValues(t, 1, runs.get(), "nothing runs: the write is found")

	// Another caller's flight fills the key between the read and the
	// flight: it leaves its flight before this caller starts one.
	s.gets.Store(0)
	between = func() {
		done := make(chan struct{})
		go func() {
			defer close(done)
			v, err := r.Call(ctx, "apple", 3)
			if err != nil || v != "applex3" {
				t.Errorf("the other caller got %q, %v", v, err)
			}
		}()
		<-done
	}
	s.between.Store(&between)
	v, err = r.Call(ctx, "apple", 3)
	require.NoError(t, err)
	require.Equal(t, "applex3", v)
	require.EqualValues(t, 2, runs.get(), "one execution for the two callers")
	require.EqualValues(t, 3, s.gets.Load(), "the other caller's read, and this one's two")

	// A delete of the key between: it is read again, misses, and runs.
	s.gets.Store(0)
	between = func() { require.NoError(t, r.Delete(ctx, "apple", 4)) }
	s.between.Store(&between)
	v, err = r.Call(ctx, "apple", 4)
	require.NoError(t, err)
	require.Equal(t, "applex4", v)
	require.EqualValues(t, 2, s.gets.Load(), "a delete is a write of the key")
	require.EqualValues(t, 3, runs.get())
}

// Many callers of the same keys on a server's storage, each yielding
// after its read so that other callers' flights start and end between a
// caller's read and its own flight: every key runs once. A miss that
// skipped its second read after a fill landed would run it again.
func TestMissSeenOneExecutionUnderRace(t *testing.T) {
	ctx := context.Background()
	const rounds, keys, callers = 40, 8, 8
	for round := range rounds {
		s := newSeenStore(t)
		s.yield = true
		var runs [keys]atomic.Int64
		r := ring.Must(ring.Func1(func(ctx context.Context, k int) (string, error) {
			runs[k].Add(1)
			runtime.Gosched()
			return "v" + strconv.Itoa(k), nil
		}, ring.Storage(s), ring.KeyPrefix("seen-race")))
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
}

// countedRemote counts the reads of a real server's storage.
type countedRemote struct {
	backends.Storage
	gets atomic.Int64
}

func (s *countedRemote) Remote() bool { return true }

func (s *countedRemote) Get(ctx context.Context, key string) (any, bool, error) {
	s.gets.Add(1)
	return s.Storage.Get(ctx, key)
}

// On Redis, a miss costs one read (a round trip) instead of two; an
// in-process storage the ring does not count writes of (here a wrapper
// that does not Unwrap to its LRU: miss_count.go) still reads twice.
func TestMissSeenRedisOneRead(t *testing.T) {
	ctx := context.Background()
	s := &countedRemote{Storage: redisstore.New(sharedRedis(t))}
	var runs counter
	prefix := "ring-test:" + runID + ":seen"
	r := ring.Must(ring.Func2(price(&runs), ring.Storage(s), ring.KeyPrefix(prefix)))
	t.Cleanup(func() { _ = r.Delete(context.Background(), "pear", 7) })
	_ = r.Delete(ctx, "pear", 7)
	s.gets.Store(0)
	v, err := r.Call(ctx, "pear", 7)
	require.NoError(t, err)
	require.Equal(t, "pearx7", v)
	require.EqualValues(t, 1, s.gets.Load(), "reads of a miss on Redis")
	v, err = r.Call(ctx, "pear", 7)
	require.NoError(t, err)
	require.Equal(t, "pearx7", v)
	require.EqualValues(t, 2, s.gets.Load(), "and one of the hit")
	require.EqualValues(t, 1, runs.get())

	l, err := backends.NewLRU(16)
	require.NoError(t, err)
	local := &faulty{Storage: l}
	lr := ring.Must(ring.Func2(price(&runs), ring.Storage(local), ring.KeyPrefix("seen-local")))
	_, err = lr.Call(ctx, "pear", 7)
	require.NoError(t, err)
	require.EqualValues(t, 2, local.gets.Load(), "reads of a miss on an in-process storage")
}
