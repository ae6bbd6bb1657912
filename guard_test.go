package ring_test

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// Modes of a sick storage.
const (
	healthy   int32 = iota
	refusing        // every operation fails at once: connection refused
	frozen          // every operation blocks, deaf to its context, until released
	answering       // every operation gets an error that the server answered with
)

// sick is an in-process storage that can be made to fail the ways a
// network cache fails, for the guard's unit tests: refusing, frozen (it
// ignores its context, like gomemcache), or answering errors. The outage
// tests do the same to real servers.
type sick struct {
	backends.Storage // a Dict
	mode             atomic.Int32
	ops              atomic.Int64
	inFlight, most   atomic.Int64
	release          chan struct{}
}

func newSick(t *testing.T) *sick {
	s := &sick{Storage: backends.NewDict(), release: make(chan struct{})}
	t.Cleanup(func() { close(s.release) }) // frees the frozen calls before the leak check
	return s
}

func (s *sick) Name() string { return "sick" }

var errRefused = &net.OpError{Op: "dial", Net: "tcp", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}

func (s *sick) fault() error {
	s.ops.Add(1)
	switch s.mode.Load() {
	case refusing:
		return errRefused
	case frozen:
		n := s.inFlight.Add(1)
		for m := s.most.Load(); n > m && !s.most.CompareAndSwap(m, n); m = s.most.Load() {
		}
		<-s.release
		s.inFlight.Add(-1)
		return errRefused
	case answering:
		return errors.New("ERR value is too large")
	}
	return nil
}

func (s *sick) Get(ctx context.Context, key string) (any, bool, error) {
	if err := s.fault(); err != nil {
		return nil, false, err
	}
	return s.Storage.Get(ctx, key)
}

func (s *sick) Set(ctx context.Context, key string, v any, ttl time.Duration) error {
	if err := s.fault(); err != nil {
		return err
	}
	return s.Storage.Set(ctx, key, v, ttl)
}

func (s *sick) Delete(ctx context.Context, key string) error {
	if err := s.fault(); err != nil {
		return err
	}
	return s.Storage.Delete(ctx, key)
}

// square is the cached function of these tests; it counts its runs.
func square(runs *counter) func(context.Context, int) (int, error) {
	return func(_ context.Context, n int) (int, error) {
		runs.add()
		return n * n, nil
	}
}

func TestStorageTimeoutBoundsCall(t *testing.T) {
	s := newSick(t)
	var runs counter
	var ev events
	r := ring.Must(ring.Func1(square(&runs), ring.Storage(s), ring.KeyPrefix("sq"),
		ring.StorageTimeout(50*time.Millisecond), ring.CircuitBreaker(0, 0), ring.OnError(ev.hook)))
	ctx := context.Background()
	s.mode.Store(frozen)

	start := time.Now()
	v, err := r.Call(ctx, 3)
	took := time.Since(start)
	require.NoError(t, err, "fail-open")
	require.Equal(t, 9, v)
	require.GreaterOrEqual(t, took, 100*time.Millisecond, "a read and a write, each waited out")
	require.Less(t, took, 400*time.Millisecond, "each bounded by the 50ms timeout, though the storage ignores its context")
	require.Equal(t, []string{"get", "set"}, ev.ops())
	for _, e := range ev.all {
		require.ErrorIs(t, e.Err, ring.ErrStorageTimeout)
		require.ErrorIs(t, e.Err, context.DeadlineExceeded)
	}
	require.EqualError(t, ev.all[0].Err, `ring: backend sick: get "sq:3": no answer within StorageTimeout(50ms)`)

	// The explicit sub-functions are bounded too, and return the error.
	start = time.Now()
	_, _, err = r.Get(ctx, 3)
	require.ErrorIs(t, err, ring.ErrStorageTimeout)
	require.Less(t, time.Since(start), 300*time.Millisecond)
	err = r.Delete(ctx, 3)
	require.EqualError(t, err, `ring: backend sick: delete "sq:3": no answer within StorageTimeout(50ms)`)

	// The caller's earlier deadline wins; its end is the caller's error.
	dctx, cancel := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancel()
	_, _, err = r.Get(dctx, 3)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.NotErrorIs(t, err, ring.ErrStorageTimeout)

	// A healthy storage: no event, cached.
	s.mode.Store(healthy)
	before := len(ev.ops())
	for range 3 {
		v, err = r.Call(ctx, 4)
		require.NoError(t, err)
		require.Equal(t, 16, v)
	}
	require.Len(t, ev.ops(), before)
}

// TestStorageTimeoutDefaults: a remote storage (wrapped with Cancelable,
// as Redis, Memcache and Open make them) is bounded by
// defaultStorageTimeout; StorageTimeout(0) leaves only the caller's
// context; an in-process storage is bounded only when asked.
func TestStorageTimeoutDefaults(t *testing.T) {
	ctx := context.Background()
	s := newSick(t)
	s.mode.Store(frozen)
	timed := func(r *ring.Ring1[int, int], ctx context.Context) time.Duration {
		start := time.Now()
		_, _, err := r.Get(ctx, 1)
		require.Error(t, err)
		return time.Since(start)
	}
	remote := backends.Cancelable(s)
	r := ring.Must(ring.Func1(square(&counter{}), ring.Storage(remote), ring.KeyPrefix("def"), ring.CircuitBreaker(0, 0)))
	took := timed(r, ctx)
	require.GreaterOrEqual(t, took, ring.DefaultStorageTimeout)
	require.Less(t, took, ring.DefaultStorageTimeout+250*time.Millisecond)

	r = ring.Must(ring.Func1(square(&counter{}), ring.Storage(remote), ring.KeyPrefix("off"), ring.StorageTimeout(0), ring.CircuitBreaker(0, 0)))
	dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	require.GreaterOrEqual(t, timed(r, dctx), 300*time.Millisecond, "no timeout of the ring's own")

	r = ring.Must(ring.Func1(square(&counter{}), ring.Storage(s), ring.KeyPrefix("local"), ring.StorageTimeout(30*time.Millisecond)))
	require.Less(t, timed(r, ctx), 250*time.Millisecond, "an in-process storage, bounded on request")

	// In-process storages are used as they are: the LRU's hit path is
	// untouched (TestHitAllocations pins it).
	lru := ring.Must(ring.Func1(square(&counter{}), ring.LRU(4)))
	require.Nil(t, backends.BreakerOf(lru.Cache().Storage()))
	require.Equal(t, "lru", lru.Cache().Storage().Name())
}

func TestCircuitBreakerOpensAndRecovers(t *testing.T) {
	s := newSick(t)
	var runs counter
	var ev events
	r := ring.Must(ring.Func1(square(&runs), ring.Storage(backends.Cancelable(s)), ring.KeyPrefix("br"),
		ring.CircuitBreaker(3, 100*time.Millisecond), ring.OnError(ev.hook)))
	ctx := context.Background()
	br := backends.BreakerOf(r.Cache().Storage())
	require.NotNil(t, br)
	require.Same(t, s, backends.Unwrap(r.Cache().Storage()), "Unwrap reaches the backend")

	s.mode.Store(refusing)
	call := func(n int) {
		t.Helper()
		v, err := r.Call(ctx, n)
		require.NoError(t, err)
		require.Equal(t, n*n, v)
	}
	call(2) // get, set: 2 failures
	call(2) // get: the third, the breaker opens; the write is skipped
	require.Equal(t, backends.BreakerOpen, br.State())
	require.EqualValues(t, 3, s.ops.Load())
	// The breaker reports its opening before the ring reports the failure
	// that opened it (the event carries that failure too).
	require.Equal(t, []string{"get", "set", ring.OpBreakerOpen, "get"}, ev.ops())
	open := ev.all[2].Err
	require.ErrorIs(t, open, ring.ErrStorageUnavailable)
	require.ErrorIs(t, open, syscall.ECONNREFUSED, "it carries the failure that opened it")
	require.Contains(t, open.Error(), "ring: backend sick: 3 consecutive failures, the last: ")
	require.Contains(t, open.Error(), "the storage is skipped, with a probe every 100ms")

	// Open: Call runs the function without touching the storage, and
	// reports nothing more.
	for range 20 {
		call(5)
	}
	require.EqualValues(t, 3, s.ops.Load(), "the storage is skipped")
	require.Len(t, ev.ops(), 4, "no event per skipped call")
	require.EqualValues(t, 22, runs.get())

	// The explicit sub-functions fail at once with the sentinel.
	_, _, err := r.Get(ctx, 5)
	require.ErrorIs(t, err, ring.ErrStorageUnavailable)
	require.EqualError(t, err, "ring: backend sick: storage unavailable (circuit breaker open)")
	require.ErrorIs(t, r.Set(ctx, 1, 5), ring.ErrStorageUnavailable)
	require.ErrorIs(t, r.Delete(ctx, 5), ring.ErrStorageUnavailable)
	_, err = r.Has(ctx, 5)
	require.ErrorIs(t, err, ring.ErrStorageUnavailable)
	_, _, err = r.Many().Get(ctx, []int{1, 2})
	require.ErrorIs(t, err, ring.ErrStorageUnavailable)
	vs, err := r.Many().GetOrUpdate(ctx, []int{1, 2})
	require.NoError(t, err, "the bulk Call fails open too")
	require.Equal(t, []int{1, 4}, vs)
	require.EqualValues(t, 3, s.ops.Load())

	// After the cool-down one probe goes through; it fails: open again,
	// with no second OpBreakerOpen for this ring.
	time.Sleep(110 * time.Millisecond)
	call(6)
	require.EqualValues(t, 4, s.ops.Load(), "one probe")
	require.Equal(t, backends.BreakerOpen, br.State())
	require.Equal(t, []string{"get", "set", ring.OpBreakerOpen, "get", "get"}, ev.ops())

	// The storage comes back: the next probe closes the breaker and the
	// ring caches again.
	s.mode.Store(healthy)
	time.Sleep(110 * time.Millisecond)
	call(7) // the probe (a miss), then the write
	require.Equal(t, backends.BreakerClosed, br.State())
	require.Equal(t, ring.OpBreakerClosed, ev.ops()[5])
	require.Contains(t, ev.all[5].Err.Error(), "ring: backend sick: a probe succeeded after ")
	before := runs.get()
	call(7)
	require.Equal(t, before, runs.get(), "a hit")
	require.Len(t, ev.ops(), 6)
}

// TestCircuitBreakerAnswersAreNotFailures: misses, values that do not
// decode, errors the server answers with and callers that give up never
// open the breaker.
func TestCircuitBreakerAnswersAreNotFailures(t *testing.T) {
	s := newSick(t)
	var ev events
	r := ring.Must(ring.Func1(square(&counter{}), ring.Storage(backends.Cancelable(s)), ring.KeyPrefix("ans"),
		ring.CircuitBreaker(2, time.Minute), ring.OnError(ev.hook)))
	br := backends.BreakerOf(r.Cache().Storage())
	ctx := context.Background()
	for i := range 10 {
		_, found, err := r.Get(ctx, 100+i)
		require.NoError(t, err)
		require.False(t, found)
	}
	// A value of another type under the key: a decode miss, reported.
	require.NoError(t, s.Storage.Set(ctx, "ans:1", "not an int", 0))
	for range 5 {
		v, err := r.Call(ctx, 1)
		require.NoError(t, err)
		require.Equal(t, 1, v)
	}
	require.Contains(t, ev.ops(), "decode")
	s.mode.Store(answering)
	for range 5 {
		_, err := r.Call(ctx, 9)
		require.NoError(t, err)
		_, _, err = r.Get(ctx, 9)
		require.ErrorContains(t, err, "value is too large")
	}
	s.mode.Store(frozen)
	for range 5 {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Millisecond)
		_, _, err := r.Get(cctx, 9)
		cancel()
		require.ErrorIs(t, err, context.DeadlineExceeded)
	}
	require.Equal(t, backends.BreakerClosed, br.State())
	require.NotContains(t, ev.ops(), ring.OpBreakerOpen)
}

// TestCircuitBreakerShared: rings built on one storage value share its
// breaker, so the failures one ring sees spare the others the wait, and
// each ring reports the change to its own hook.
func TestCircuitBreakerShared(t *testing.T) {
	s := newSick(t)
	var evA, evB events
	shared := ring.Preset(ring.Storage(backends.Cancelable(s)), ring.CircuitBreaker(2, time.Minute))
	a := ring.Must(ring.Func1(square(&counter{}), shared, ring.KeyPrefix("a"), ring.OnError(evA.hook)))
	b := ring.Must(ring.Func1(square(&counter{}), shared, ring.KeyPrefix("b"), ring.OnError(evB.hook)))
	require.Same(t, backends.BreakerOf(a.Cache().Storage()), backends.BreakerOf(b.Cache().Storage()))
	ctx := context.Background()

	s.mode.Store(refusing)
	_, err := a.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, []string{"get", ring.OpBreakerOpen, "set"}, evA.ops())
	ops := s.ops.Load()
	start := time.Now()
	v, err := b.Call(ctx, 3)
	require.NoError(t, err)
	require.Equal(t, 9, v)
	require.Less(t, time.Since(start), 50*time.Millisecond)
	require.Equal(t, ops, s.ops.Load(), "b skips the storage at once")
	require.Equal(t, []string{ring.OpBreakerOpen}, evB.ops(), "b's hook hears of it at b's next use")

	// A ring that asks for another policy on the same storage is refused.
	_, err = ring.Func1(square(&counter{}), shared, ring.KeyPrefix("c"), ring.CircuitBreaker(5, time.Second))
	require.ErrorContains(t, err, ": CircuitBreaker(5, 1s): storage sick already has a circuit breaker set to CircuitBreaker(2, 1m0s) by the first ring built on it; rings on one storage share its breaker: give them the same CircuitBreaker option")
	// One that turns it off uses the storage regardless.
	off := ring.Must(ring.Func1(square(&counter{}), shared, ring.KeyPrefix("d"), ring.CircuitBreaker(0, 0), ring.StorageTimeout(20*time.Millisecond)))
	_, _, err = off.Get(ctx, 1)
	require.ErrorIs(t, err, syscall.ECONNREFUSED)

	// Another ring's Storage() passed to a ring shares the storage below.
	e := ring.Must(ring.Func1(square(&counter{}), ring.Storage(a.Cache().Storage()), ring.KeyPrefix("e"), ring.CircuitBreaker(2, time.Minute)))
	require.Same(t, backends.BreakerOf(a.Cache().Storage()), backends.BreakerOf(e.Cache().Storage()))
}

// TestCircuitBreakerOneProbe: when the cool-down ends under load, one
// call probes the (still frozen) storage; every other call runs the
// function at once.
func TestCircuitBreakerOneProbe(t *testing.T) {
	s := newSick(t)
	var runs counter
	r := ring.Must(ring.Func1(square(&runs), ring.Storage(backends.Cancelable(s)), ring.KeyPrefix("probe"),
		ring.CircuitBreaker(1, 50*time.Millisecond), ring.StorageTimeout(300*time.Millisecond)))
	ctx := context.Background()
	s.mode.Store(refusing)
	_, err := r.Call(ctx, 1)
	require.NoError(t, err)
	br := backends.BreakerOf(r.Cache().Storage())
	require.Equal(t, backends.BreakerOpen, br.State())
	s.mode.Store(frozen)
	time.Sleep(60 * time.Millisecond)

	var wg sync.WaitGroup
	var slow, fast atomic.Int64
	for i := range 32 {
		wg.Go(func() {
			start := time.Now()
			v, err := r.Call(ctx, i)
			if err != nil || v != i*i {
				t.Errorf("Call(%d) = %d, %v", i, v, err)
			}
			if time.Since(start) < 100*time.Millisecond {
				fast.Add(1)
			} else {
				slow.Add(1)
			}
		})
	}
	wg.Wait()
	require.EqualValues(t, 1, s.most.Load(), "one probe in flight")
	require.EqualValues(t, 1, slow.Load(), "only the probe waited (its timeout)")
	require.EqualValues(t, 31, fast.Load())
	require.Equal(t, backends.BreakerOpen, br.State())
}

// TestChooseGuarded: storages a Choose function picks are guarded like
// the ring's own.
func TestChooseGuarded(t *testing.T) {
	s := newSick(t)
	s.mode.Store(frozen)
	remote := backends.Cancelable(s)
	local := backends.NewDict()
	r := ring.Must(ring.Func1(square(&counter{}), ring.Storage(local), ring.KeyPrefix("ch"),
		ring.Choose(func(_ context.Context, _ string, args []any) backends.Storage {
			if args[0].(int) > 10 {
				return remote
			}
			return local
		})))
	ctx := context.Background()
	start := time.Now()
	v, err := r.Call(ctx, 11)
	require.NoError(t, err)
	require.Equal(t, 121, v)
	require.Less(t, time.Since(start), 2*ring.DefaultStorageTimeout+250*time.Millisecond)
	v, err = r.Call(ctx, 3)
	require.NoError(t, err)
	require.Equal(t, 9, v)
}

func TestGuardOptions(t *testing.T) {
	require.Equal(t, "StorageTimeout(250ms)", ring.StorageTimeout(250*time.Millisecond).String())
	require.Equal(t, "CircuitBreaker(5, 500ms)", ring.CircuitBreaker(5, 500*time.Millisecond).String())
	_, err := ring.Func1(square(&counter{}), ring.StorageTimeout(-time.Second))
	require.ErrorContains(t, err, "StorageTimeout(-1s): negative timeout")
	for _, o := range []ring.Option{ring.CircuitBreaker(-1, time.Second), ring.CircuitBreaker(3, 0)} {
		_, err = ring.Func1(square(&counter{}), o)
		require.ErrorContains(t, err, o.String()+": want 0 failures (off), or 1 or more with a positive cool-down")
	}
	require.Equal(t, 5, ring.DefaultBreakerFailures)
	require.Equal(t, 500*time.Millisecond, ring.DefaultBreakerCoolDown)
	require.Equal(t, 100*time.Millisecond, ring.DefaultStorageTimeout)
}

// TestNewCacheRefusesGuardOptions: a standalone Cache is not guarded, so
// the options that would guard it are refused rather than ignored.
func TestNewCacheRefusesGuardOptions(t *testing.T) {
	_, err := ring.NewCache[int](ring.StorageTimeout(time.Second))
	require.ErrorContains(t, err, "option StorageTimeout (a Cache is not guarded: bound its calls with their context) does not apply to a Cache")
	_, err = ring.NewCache[int](ring.CircuitBreaker(3, time.Second))
	require.ErrorContains(t, err, "option CircuitBreaker (a Cache is not guarded) does not apply to a Cache")
}
