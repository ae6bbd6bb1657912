package ring_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// tripLRU is an LRU that counts the storage commands a ring sends it: one
// per call, a bulk command counting once.
type tripLRU struct {
	*backends.LRU
	trips atomic.Int64
	cmds  sync.Map // name -> *atomic.Int64
}

func newTripLRU(t testing.TB) *tripLRU {
	l, err := backends.NewLRU(10000)
	require.NoError(t, err)
	return &tripLRU{LRU: l}
}

func (s *tripLRU) count(name string) {
	s.trips.Add(1)
	n, _ := s.cmds.LoadOrStore(name, new(atomic.Int64))
	n.(*atomic.Int64).Add(1)
}

func (s *tripLRU) n(name string) int64 {
	if n, ok := s.cmds.Load(name); ok {
		return n.(*atomic.Int64).Load()
	}
	return 0
}

func (s *tripLRU) reset() {
	s.trips.Store(0)
	s.cmds.Clear()
}

func (s *tripLRU) Get(ctx context.Context, key string) (any, bool, error) {
	s.count("get")
	return s.LRU.Get(ctx, key)
}

func (s *tripLRU) Set(ctx context.Context, key string, v any, ttl time.Duration) error {
	s.count("set")
	return s.LRU.Set(ctx, key, v, ttl)
}

func (s *tripLRU) Delete(ctx context.Context, key string) error {
	s.count("delete")
	return s.LRU.Delete(ctx, key)
}

func (s *tripLRU) GetMany(ctx context.Context, keys []string) ([]any, []bool, error) {
	s.count("getmany")
	return s.LRU.GetMany(ctx, keys)
}

func (s *tripLRU) SetMany(ctx context.Context, keys []string, values []any, ttl time.Duration) error {
	s.count("setmany")
	return s.LRU.SetMany(ctx, keys, values, ttl)
}

func (s *tripLRU) SetManyTTL(ctx context.Context, keys []string, values []any, ttls []time.Duration) error {
	s.count("setmanyttl")
	return s.LRU.SetManyTTL(ctx, keys, values, ttls)
}

// batchSource is a batch function over int IDs that counts its calls and
// the IDs it was asked; IDs < 0 are unknown (left out of the map).
type batchSource struct {
	mu    sync.Mutex
	calls [][]int
	// gate, when set, is received from before answering.
	gate chan struct{}
	// started, when set, is closed (once) when a call begins.
	started chan struct{}
	once    sync.Once
	fail    error
	// aborted counts the calls whose context ended before the gate opened.
	aborted atomic.Int32
}

func (b *batchSource) load(ctx context.Context, ids []int) (map[int]string, error) {
	b.mu.Lock()
	b.calls = append(b.calls, slices.Clone(ids))
	b.mu.Unlock()
	if b.started != nil {
		b.once.Do(func() { close(b.started) })
	}
	if b.gate != nil {
		select {
		case <-b.gate:
		case <-ctx.Done():
			b.aborted.Add(1)
			return nil, ctx.Err()
		}
	}
	if b.fail != nil {
		return nil, b.fail
	}
	m := make(map[int]string, len(ids))
	for _, id := range ids {
		if id >= 0 {
			m[id] = fmt.Sprintf("v%d", id)
		}
	}
	m[1<<30] = "never asked" // ignored by the ring
	return m, nil
}

// fn is load as a function value of its own (a ring refuses a method
// value).
func (b *batchSource) fn() func(context.Context, []int) (map[int]string, error) {
	return func(ctx context.Context, ids []int) (map[int]string, error) { return b.load(ctx, ids) }
}

func (b *batchSource) n() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.calls)
}

func (b *batchSource) asked() []int {
	b.mu.Lock()
	defer b.mu.Unlock()
	var all []int
	for _, c := range b.calls {
		all = append(all, c...)
	}
	slices.Sort(all)
	return all
}

// TestBatchManyOneCallTwoTrips: 100 misses cost one call of the batch
// function with the 100 distinct IDs, one bulk read and one bulk write;
// the second time, one bulk read and nothing else.
func TestBatchManyOneCallTwoTrips(t *testing.T) {
	src := &batchSource{}
	s := newTripLRU(t)
	r := ring.Must(ring.Batch(src.fn(), ring.KeyPrefix("b"), ring.Storage(s)))
	all := ids(0, 100)
	asked := append(slices.Clone(all), all[:10]...) // duplicates are asked once
	got, err := r.Many().GetOrUpdate(t.Context(), asked)
	require.NoError(t, err)
	for i, id := range asked {
		require.Equal(t, fmt.Sprintf("v%d", id), got[i])
	}
	require.Equal(t, 1, src.n(), "calls of the batch function")
	require.Equal(t, all, src.asked(), "each distinct ID once")
	require.EqualValues(t, 2, s.trips.Load(), "storage commands")
	require.EqualValues(t, 1, s.n("getmany"))
	require.EqualValues(t, 1, s.n("setmany"))
	require.False(t, has(t, s, "b:1073741824"), "an ID not asked for is not written")

	s.reset()
	got, err = r.Many().GetOrUpdate(t.Context(), all)
	require.NoError(t, err)
	require.Equal(t, "v99", got[99])
	require.Equal(t, 1, src.n())
	require.EqualValues(t, 1, s.trips.Load())

	// Every sub-function works per ID.
	ctx := t.Context()
	v, ok, err := r.Get(ctx, 7)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "v7", v)
	key, err := r.Key(7)
	require.NoError(t, err)
	require.Equal(t, "b:7", key)
	require.NoError(t, r.Delete(ctx, 7))
	_, ok, err = r.Get(ctx, 7)
	require.NoError(t, err)
	require.False(t, ok)
	v, err = r.Call(ctx, 7)
	require.NoError(t, err)
	require.Equal(t, "v7", v)
	require.Equal(t, 2, src.n())
	require.Equal(t, []int{7}, src.calls[1], "Call asks its one ID")
	require.NoError(t, r.Set(ctx, "mine", 8))
	v, err = r.Call(ctx, 8)
	require.NoError(t, err)
	require.Equal(t, "mine", v)
	upd, err := r.Many().Update(ctx, []int{1, 2, 2, 3})
	require.NoError(t, err)
	require.Equal(t, []string{"v1", "v2", "v2", "v3"}, upd)
	require.Equal(t, 3, src.n(), "Many().Update calls the function once")
	require.Equal(t, []int{1, 2, 3}, src.calls[2])
}

func has(t *testing.T, s backends.Storage, key string) bool {
	t.Helper()
	_, ok, err := s.Get(context.Background(), key)
	require.NoError(t, err)
	return ok
}

// TestBatchMissingIsNotFound: an ID the function leaves out of its map is
// ErrNotFound for that ID only, and nothing is cached for it; the others
// are cached.
func TestBatchMissingIsNotFound(t *testing.T) {
	src := &batchSource{}
	s := newTripLRU(t)
	r := ring.Must(ring.Batch(src.fn(), ring.KeyPrefix("b"), ring.Storage(s)))
	ctx := t.Context()
	got, err := r.Many().GetOrUpdate(ctx, []int{1, -2, 3, -2})
	require.ErrorIs(t, err, ring.ErrNotFound)
	require.Equal(t, []string{"v1", "", "v3", ""}, got)
	require.Contains(t, err.Error(), "argument set 1: ")
	require.Contains(t, err.Error(), "argument set 3: ")
	require.NotContains(t, err.Error(), "argument set 0")
	require.Contains(t, err.Error(), "the batch function returned no value for ID -2")
	require.Equal(t, 1, src.n())
	found, err := r.Many().Has(ctx, []int{1, -2, 3})
	require.NoError(t, err)
	require.Equal(t, []bool{true, false, true}, found)

	_, err = r.Call(ctx, -5)
	require.ErrorIs(t, err, ring.ErrNotFound)
	require.Regexp(t, `^ring: github.com/ringcache/ring_test\.[^ ]+: the batch function returned no value for ID -5: not found$`, err.Error())
}

// TestBatchErrorWritesNothing: an error of the batch function fails every
// ID of its call and nothing is written.
func TestBatchErrorWritesNothing(t *testing.T) {
	boom := errors.New("source down")
	src := &batchSource{fail: boom}
	s := newTripLRU(t)
	r := ring.Must(ring.Batch(src.fn(), ring.KeyPrefix("b"), ring.Storage(s)))
	ctx := t.Context()
	got, err := r.Many().GetOrUpdate(ctx, []int{1, 2, 3})
	require.ErrorIs(t, err, boom)
	require.Len(t, got, 3)
	require.Equal(t, 1, src.n())
	require.EqualValues(t, 0, s.n("setmany")+s.n("set")+s.n("setmanyttl"), "nothing written")
	found, err := r.Many().Has(ctx, []int{1, 2, 3})
	require.NoError(t, err)
	require.Equal(t, []bool{false, false, false}, found)
	_, err = r.Many().Update(ctx, []int{1, 2})
	require.ErrorIs(t, err, boom)
	require.EqualValues(t, 0, s.n("setmany")+s.n("set")+s.n("setmanyttl"), "nothing written")
}

// TestBatchConcurrentCallsJoin: while a batch of IDs 0..9 runs, Calls and
// another Many of overlapping IDs wait for it; every ID runs once, and only
// the IDs no batch was running call the function again, once.
func TestBatchConcurrentCallsJoin(t *testing.T) {
	src := &batchSource{gate: make(chan struct{}), started: make(chan struct{})}
	r := ring.Must(ring.Batch(src.fn(), ring.KeyPrefix("b"), ring.LRU(1000)))
	ctx := t.Context()
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		got, err := r.Many().GetOrUpdate(ctx, ids(0, 10))
		require.NoError(t, err)
		require.Equal(t, "v9", got[9])
	}()
	<-src.started
	const callers = 50
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := r.Call(ctx, i%10)
			require.NoError(t, err)
			require.Equal(t, fmt.Sprintf("v%d", i%10), v)
		}()
	}
	// A second batch overlapping 5..14: 10..14 are its own.
	wg.Add(1)
	go func() {
		defer wg.Done()
		got, err := r.Many().GetOrUpdate(ctx, ids(5, 10))
		require.NoError(t, err)
		require.Equal(t, "v14", got[9])
	}()
	require.Eventually(t, func() bool { return src.n() == 2 }, 5*time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond) // the Calls join the first batch's flights
	close(src.gate)
	wg.Wait()
	require.Equal(t, 2, src.n(), "calls: %v", src.calls)
	require.Equal(t, ids(0, 15), src.asked(), "each ID once")
}

// TestBatchNewerWriteWins: a Delete or a Set of an ID made while its batch
// runs is not undone by the batch's write; the other IDs are written.
func TestBatchNewerWriteWins(t *testing.T) {
	for _, write := range []string{"set", "delete", "manyset"} {
		t.Run(write, func(t *testing.T) {
			src := &batchSource{gate: make(chan struct{}), started: make(chan struct{})}
			r := ring.Must(ring.Batch(src.fn(), ring.KeyPrefix("b"), ring.LRU(1000)))
			ctx := t.Context()
			done := make(chan []string)
			go func() {
				got, err := r.Many().GetOrUpdate(ctx, []int{1, 2, 3})
				require.NoError(t, err)
				done <- got
			}()
			<-src.started
			switch write {
			case "set":
				require.NoError(t, r.Set(ctx, "newer", 2))
			case "delete":
				require.NoError(t, r.Delete(ctx, 2))
			case "manyset":
				require.NoError(t, r.Many().Set(ctx, []string{"newer"}, []int{2}))
			}
			close(src.gate)
			require.Equal(t, []string{"v1", "v2", "v3"}, <-done, "the callers get the batch's values")
			v, ok, err := r.Get(ctx, 2)
			require.NoError(t, err)
			if write == "delete" {
				require.False(t, ok, "the batch wrote over a newer Delete")
			} else {
				require.True(t, ok)
				require.Equal(t, "newer", v, "the batch wrote over a newer write")
			}
			for _, id := range []int{1, 3} {
				v, ok, err := r.Get(ctx, id)
				require.NoError(t, err)
				require.True(t, ok)
				require.Equal(t, fmt.Sprintf("v%d", id), v)
			}
		})
	}
}

// TestBatchCallerLeaves: a caller whose context ends stops waiting at
// once; the batch still writes for a caller that joined, and with no one
// left its function's context is cancelled.
func TestBatchCallerLeaves(t *testing.T) {
	src := &batchSource{gate: make(chan struct{}), started: make(chan struct{})}
	r := ring.Must(ring.Batch(src.fn(), ring.KeyPrefix("b"), ring.LRU(1000)))
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error)
	go func() {
		_, err := r.Many().GetOrUpdate(ctx, []int{1, 2})
		errc <- err
	}()
	<-src.started
	joined := make(chan string)
	go func() {
		v, err := r.Call(t.Context(), 2)
		require.NoError(t, err)
		joined <- v
	}()
	time.Sleep(20 * time.Millisecond)
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	close(src.gate)
	require.Equal(t, "v2", <-joined)
	require.Equal(t, 1, src.n())
	_, ok, err := r.Get(t.Context(), 2)
	require.NoError(t, err)
	require.True(t, ok, "the joined caller keeps key 2's fill")
	_, ok, err = r.Get(t.Context(), 1)
	require.NoError(t, err)
	require.False(t, ok, "no caller was left for key 1: not written")

	// Everyone gone: the function's context ends.
	src2 := &batchSource{gate: make(chan struct{}), started: make(chan struct{})}
	r2 := ring.Must(ring.Batch(src2.fn(), ring.KeyPrefix("b"), ring.LRU(1000)))
	ctx2, cancel2 := context.WithCancel(t.Context())
	go func() {
		_, err := r2.Many().GetOrUpdate(ctx2, []int{1, 2})
		errc <- err
	}()
	<-src2.started
	cancel2()
	require.ErrorIs(t, <-errc, context.Canceled)
	// src2's gate is never closed: the function returns only because its
	// context ends.
	require.Eventually(t, func() bool { return src2.aborted.Load() == 1 }, 5*time.Second, time.Millisecond)
}

// TestBatchPanic: a panic in the batch function reaches the caller of Many
// and a Call that joined it.
func TestBatchPanic(t *testing.T) {
	started := make(chan struct{})
	gate := make(chan struct{})
	r := ring.Must(ring.Batch(func(ctx context.Context, ids []int) (map[int]int, error) {
		close(started)
		<-gate
		panic("boom")
	}, ring.LRU(10)))
	var wg sync.WaitGroup
	panics := make(chan any, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() { panics <- recover() }()
		_, _ = r.Many().GetOrUpdate(context.Background(), []int{1, 2})
	}()
	<-started
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer func() { panics <- recover() }()
		_, _ = r.Call(context.Background(), 2)
	}()
	time.Sleep(20 * time.Millisecond)
	close(gate)
	wg.Wait()
	close(panics)
	n := 0
	for p := range panics {
		require.NotNil(t, p)
		require.Contains(t, fmt.Sprint(p), "boom")
		n++
	}
	require.Equal(t, 2, n)
}

// batchID is an unexported, generic ID type: keys work as for Func1.
type batchID[T any] struct {
	Kind string
	N    T
}

func TestBatchGenericID(t *testing.T) {
	load := func(_ context.Context, ids []batchID[int]) (map[batchID[int]]int, error) {
		m := map[batchID[int]]int{}
		for _, id := range ids {
			m[id] = id.N * 2
		}
		return m, nil
	}
	r := ring.Must(ring.Batch(load, ring.LRU(10), ring.KeyPrefix("gen")))
	got, err := r.Many().GetOrUpdate(t.Context(), []batchID[int]{{"a", 1}, {"b", 2}})
	require.NoError(t, err)
	require.Equal(t, []int{2, 4}, got)
	k1, err := r.Key(batchID[int]{"a", 1})
	require.NoError(t, err)
	f1 := ring.Must(ring.Func1(func(_ context.Context, id batchID[int]) (int, error) { return 0, nil }, ring.LRU(10), ring.KeyPrefix("gen")))
	k2, err := f1.Key(batchID[int]{"a", 1})
	require.NoError(t, err)
	require.Equal(t, k2, k1, "the key Func1 gives")

	// A key type ring cannot key is refused when the ring is built.
	_, err = ring.Batch(func(context.Context, []chan int) (map[chan int]int, error) { return nil, nil }, ring.LRU(10))
	require.Error(t, err)
	require.Contains(t, err.Error(), "chan int")
}

// TestBatchRefreshAhead: with RefreshAhead, Many().GetOrUpdate serves due
// hits at once and refreshes them with one background call of the batch
// function and one bulk write; a failed refresh keeps the values and is
// reported per key.
func TestBatchRefreshAhead(t *testing.T) {
	clk := newClock()
	l, err := backends.NewLRU(1000, backends.WithClock(clk.Now))
	require.NoError(t, err)
	s := &tripLRU{LRU: l}
	var (
		mu    sync.Mutex
		calls [][]int
		fail  error
	)
	load := func(_ context.Context, ids []int) (map[int]string, error) {
		mu.Lock()
		defer mu.Unlock()
		calls = append(calls, slices.Clone(ids))
		if fail != nil {
			return nil, fail
		}
		m := map[int]string{}
		for _, id := range ids {
			m[id] = fmt.Sprintf("c%d-%d", len(calls), id)
		}
		return m, nil
	}
	ev := &events{}
	r := ring.Must(ring.Batch(load, ring.Storage(s), ring.KeyPrefix("b"), ring.Expire(10*time.Minute),
		ring.RefreshAhead(time.Minute, 5*time.Second), ring.OnError(ev.hook)))
	ctx := t.Context()
	got, err := r.Many().GetOrUpdate(ctx, ids(0, 10))
	require.NoError(t, err)
	require.Equal(t, "c1-3", got[3])

	// Half a minute on: nothing is due.
	clk.Add(30 * time.Second)
	_, err = r.Many().GetOrUpdate(ctx, ids(0, 10))
	require.NoError(t, err)
	ring.WaitRefreshesForTest(r.Cache())
	require.Len(t, calls, 1)

	// Two minutes on: 0..9 are due, 10..14 are misses.
	clk.Add(90 * time.Second)
	s.reset()
	got, err = r.Many().GetOrUpdate(ctx, ids(0, 15))
	require.NoError(t, err)
	require.Equal(t, "c1-3", got[3], "a due hit is served as it is")
	ring.WaitRefreshesForTest(r.Cache())
	mu.Lock()
	require.Len(t, calls, 3, "one call for the misses, one for the refresh: %v", calls)
	refreshed := calls[1]
	if len(refreshed) == 5 {
		refreshed = calls[2]
	}
	mu.Unlock()
	require.Equal(t, ids(0, 10), refreshed, "the due IDs in one call")
	require.EqualValues(t, 2, s.n("setmany"), "one bulk write for the misses, one for the refresh")
	v, _, err := r.Get(ctx, 3)
	require.NoError(t, err)
	require.Regexp(t, `^c[23]-3$`, v)

	// A failed refresh keeps the values and reports each key.
	clk.Add(2 * time.Minute)
	before, _, err := r.Many().Get(ctx, ids(0, 3))
	require.NoError(t, err)
	mu.Lock()
	fail = errors.New("source down")
	mu.Unlock()
	got, err = r.Many().GetOrUpdate(ctx, ids(0, 3))
	require.NoError(t, err)
	require.Equal(t, before, got)
	ring.WaitRefreshesForTest(r.Cache())
	var refreshErrs []string
	for _, e := range ev.all {
		if e.Op == "refresh" {
			require.ErrorContains(t, e.Err, "source down")
			refreshErrs = append(refreshErrs, e.Key)
		}
	}
	require.Len(t, refreshErrs, 3, "one event per key")
	after, _, err := r.Many().Get(ctx, ids(0, 3))
	require.NoError(t, err)
	require.Equal(t, before, after, "the old values are kept")
}

// TestBatchUntypedView: the untyped view's bulk GetOrUpdate of a batch
// ring is the same one call, and its Call one ID.
func TestBatchUntypedView(t *testing.T) {
	src := &batchSource{}
	r := ring.Must(ring.Batch(src.fn(), ring.KeyPrefix("b"), ring.LRU(100)))
	u := r.Untyped()
	got, err := u.Many().GetOrUpdate(t.Context(), [][]any{{1}, {2}, {3}})
	require.NoError(t, err)
	require.Equal(t, []any{"v1", "v2", "v3"}, got)
	require.Equal(t, 1, src.n())
	v, err := u.Call(t.Context(), 4)
	require.NoError(t, err)
	require.Equal(t, "v4", v)
	_, err = u.Call(t.Context(), "x")
	require.ErrorContains(t, err, "parameter 2: got string, want int")
	require.Equal(t, 2, src.n())
}

// TestBatchFailOpen: with the storage down, Many().GetOrUpdate of a batch
// ring still returns the function's values (one call) and reports the
// failed read and write to OnError.
func TestBatchFailOpen(t *testing.T) {
	src := &batchSource{}
	f := &faulty{Storage: backends.NewDict()}
	f.down.Store(true)
	ev := &events{}
	r := ring.Must(ring.Batch(src.fn(), ring.KeyPrefix("b"), ring.Storage(f), ring.OnError(ev.hook)))
	got, err := r.Many().GetOrUpdate(t.Context(), []int{1, 2})
	require.NoError(t, err)
	require.Equal(t, []string{"v1", "v2"}, got)
	require.Equal(t, 1, src.n())
	require.Equal(t, []string{"get many", "set many"}, ev.ops())
}

// TestBatchChooseAndDisk: with Choose the bulk forms go ID by ID (one
// call of the function per miss); on the disk store a batch fill is
// cached as on any store.
func TestBatchChooseAndDisk(t *testing.T) {
	src := &batchSource{}
	d := backends.NewDict()
	r := ring.Must(ring.Batch(src.fn(), ring.KeyPrefix("b"), ring.Storage(d),
		ring.Choose(func(context.Context, string, []any) backends.Storage { return d })))
	got, err := r.Many().GetOrUpdate(t.Context(), []int{1, 2, 3})
	require.NoError(t, err)
	require.Equal(t, []string{"v1", "v2", "v3"}, got)
	require.Equal(t, 3, src.n())
	for _, c := range src.calls {
		require.Len(t, c, 1)
	}

	disk := &batchSource{}
	rd := ring.Must(ring.Batch(disk.fn(), ring.KeyPrefix("b"), diskOpt(t, t.TempDir()), ring.Coder("json")))
	got, err = rd.Many().GetOrUpdate(t.Context(), ids(0, 50))
	require.NoError(t, err)
	require.Equal(t, "v49", got[49])
	got, err = rd.Many().GetOrUpdate(t.Context(), ids(0, 50))
	require.NoError(t, err)
	require.Equal(t, "v7", got[7])
	require.Equal(t, 1, disk.n())
}

// TestBatchNegativeCache: with NegativeCache, the IDs a batch function
// leaves out are cached as negative entries in the same bulk write as the
// values (one call, two round trips), and later reads return their cached
// ErrNotFound without calling the function.
func TestBatchNegativeCache(t *testing.T) {
	src := &batchSource{}
	s := newTripLRU(t)
	r := ring.Must(ring.Batch(src.fn(), ring.KeyPrefix("b"), ring.Storage(s),
		ring.Expire(time.Hour), ring.NegativeCache(time.Minute)))
	ctx := t.Context()
	asked := ids(0, 90)
	for i := range 10 {
		asked = append(asked, -1-i) // the source knows no negative ID
	}
	got, err := r.Many().GetOrUpdate(ctx, asked)
	require.ErrorIs(t, err, ring.ErrNotFound)
	require.Equal(t, "v89", got[89])
	require.Equal(t, "", got[95])
	require.Equal(t, 1, src.n(), "calls of the batch function")
	require.EqualValues(t, 2, s.trips.Load(), "one read and one write, negative entries included")
	require.EqualValues(t, 1, s.n("setmanyttl"), "one bulk write, each entry with its TTL")

	// The missing IDs are cached: no call, the same outcome.
	s.reset()
	got, err = r.Many().GetOrUpdate(ctx, asked)
	require.ErrorIs(t, err, ring.ErrNotFound)
	require.Equal(t, "v0", got[0])
	require.Equal(t, "", got[90])
	require.Equal(t, 1, src.n(), "a cached not-found is not asked again")
	require.EqualValues(t, 1, s.trips.Load())
	_, err = r.Call(ctx, -3)
	require.ErrorIs(t, err, ring.ErrNotFound)
	require.Contains(t, err.Error(), "cached not-found result")
	require.Equal(t, 1, src.n())
	_, ok, err := r.Get(ctx, -3)
	require.False(t, ok)
	require.ErrorIs(t, err, ring.ErrNotFound, "Get tells a negative entry from a miss")

	// A negative entry lives its own TTL, not Expire.
	key, err := r.Key(-3)
	require.NoError(t, err)
	_, ttl, ok, err := backends.GetWithTTL(ctx, s, key)
	require.NoError(t, err)
	require.True(t, ok)
	require.LessOrEqual(t, ttl, time.Minute)
	require.Greater(t, ttl, 50*time.Second)

	// A single Call of an unknown ID caches it too.
	_, err = r.Call(ctx, -50)
	require.ErrorIs(t, err, ring.ErrNotFound)
	_, err = r.Call(ctx, -50)
	require.ErrorIs(t, err, ring.ErrNotFound)
	require.Equal(t, 2, src.n(), "the second Call of -50 is a negative hit")
}
