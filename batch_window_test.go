package ring_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// TestBatchWindowCoalesces: 200 concurrent Calls of 100 distinct IDs within
// one window share one call of the function, each ID asked once; every
// Call gets its value and every ID is cached.
func TestBatchWindowCoalesces(t *testing.T) {
	src := &batchSource{}
	s := newTripLRU(t)
	r := ring.Must(ring.Batch(src.fn(), ring.KeyPrefix("b"), ring.Storage(s), ring.BatchWindow(200*time.Millisecond, 0)))
	ctx := t.Context()
	var wg sync.WaitGroup
	start := make(chan struct{})
	for i := range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			v, err := r.Call(ctx, i%100)
			require.NoError(t, err)
			require.Equal(t, fmt.Sprintf("v%d", i%100), v)
		}()
	}
	close(start)
	wg.Wait()
	require.Equal(t, 1, src.n(), "calls: %v", src.calls)
	require.Equal(t, ids(0, 100), src.asked())
	// Each Call read once; the window read its misses again in one round
	// trip inside their flights, and wrote them in one.
	require.EqualValues(t, 200, s.n("get"))
	require.EqualValues(t, 1, s.n("getmany"))
	require.EqualValues(t, 1, s.n("setmany"))
	require.EqualValues(t, 0, s.n("set"))
	found, err := r.Many().Has(ctx, ids(0, 100))
	require.NoError(t, err)
	for i, ok := range found {
		require.True(t, ok, "ID %d cached", i)
	}
	// A missing ID is ErrNotFound for its Call only.
	var miss, hit error
	wg.Add(2)
	go func() { defer wg.Done(); _, miss = r.Call(ctx, -1) }()
	go func() { defer wg.Done(); _, hit = r.Call(ctx, 500) }()
	wg.Wait()
	require.ErrorIs(t, miss, ring.ErrNotFound)
	require.NoError(t, hit)
	require.Equal(t, 2, src.n())
}

// TestBatchWindowMax: a window closes as soon as it holds max IDs, without
// waiting for its time: 10 IDs with max 5 and a window of a minute make
// two calls of 5, and return at once.
func TestBatchWindowMax(t *testing.T) {
	src := &batchSource{}
	r := ring.Must(ring.Batch(src.fn(), ring.KeyPrefix("b"), ring.LRU(1000), ring.BatchWindow(time.Minute, 5)))
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := r.Call(ctx, i)
			require.NoError(t, err)
		}()
	}
	wg.Wait()
	require.Equal(t, 2, src.n())
	src.mu.Lock()
	for _, c := range src.calls {
		require.Len(t, c, 5)
	}
	src.mu.Unlock()
	require.Equal(t, ids(0, 10), src.asked())
}

// TestBatchWindowCallerLeaves: a Call whose context ends stops waiting at
// once; when every Call of a window has gone before it closes, the
// function is not called and nothing is left running.
func TestBatchWindowCallerLeaves(t *testing.T) {
	src := &batchSource{}
	r := ring.Must(ring.Batch(src.fn(), ring.KeyPrefix("b"), ring.LRU(1000), ring.BatchWindow(100*time.Millisecond, 0)))
	ctx, cancel := context.WithCancel(t.Context())
	errc := make(chan error)
	go func() {
		_, err := r.Call(ctx, 1)
		errc <- err
	}()
	time.Sleep(10 * time.Millisecond)
	cancel()
	require.ErrorIs(t, <-errc, context.Canceled)
	time.Sleep(200 * time.Millisecond) // past the window
	require.Equal(t, 0, src.n(), "the window with no one left was dropped")

	// One caller leaves, another stays: the function runs for the one
	// left, and its context ends only when every caller of the window
	// has gone.
	src2 := &batchSource{gate: make(chan struct{}), started: make(chan struct{})}
	r2 := ring.Must(ring.Batch(src2.fn(), ring.KeyPrefix("b"), ring.LRU(1000), ring.BatchWindow(10*time.Millisecond, 0)))
	ctxA, cancelA := context.WithCancel(t.Context())
	ctxB, cancelB := context.WithCancel(t.Context())
	errA, errB := make(chan error), make(chan error)
	go func() { _, err := r2.Call(ctxA, 1); errA <- err }()
	go func() { _, err := r2.Call(ctxB, 2); errB <- err }()
	<-src2.started
	cancelA()
	require.ErrorIs(t, <-errA, context.Canceled)
	time.Sleep(20 * time.Millisecond)
	require.EqualValues(t, 0, src2.aborted.Load(), "one caller is still waiting: the call goes on")
	cancelB()
	require.ErrorIs(t, <-errB, context.Canceled)
	require.Eventually(t, func() bool { return src2.aborted.Load() == 1 }, 5*time.Second, time.Millisecond,
		"every caller gone: the function's context is cancelled")
}

// TestBatchWindowRace: many goroutines call many IDs through short windows
// with a bound, under -race; every Call gets its own ID's value.
func TestBatchWindowRace(t *testing.T) {
	src := &batchSource{}
	r := ring.Must(ring.Batch(src.fn(), ring.KeyPrefix("b"), ring.LRU(100), ring.BatchWindow(time.Millisecond, 7)))
	ctx := t.Context()
	var wg sync.WaitGroup
	for g := range 32 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				id := (g*31 + i*17) % 500
				if i%50 == 0 {
					require.NoError(t, r.Delete(ctx, id))
				}
				v, err := r.Call(ctx, id)
				require.NoError(t, err)
				require.Equal(t, fmt.Sprintf("v%d", id), v)
			}
		}()
	}
	wg.Wait()
	src.mu.Lock()
	for _, c := range src.calls {
		require.LessOrEqual(t, len(c), 7)
	}
	src.mu.Unlock()
}

// TestBatchWindowPanicAndErrors: a panic in the shared call reaches every
// Call of the window; BatchWindow is refused on other rings and with bad
// values.
func TestBatchWindowPanicAndErrors(t *testing.T) {
	r := ring.Must(ring.Batch(func(context.Context, []int) (map[int]int, error) { panic("boom") },
		ring.LRU(10), ring.BatchWindow(20*time.Millisecond, 0)))
	var wg sync.WaitGroup
	for i := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { require.Contains(t, fmt.Sprint(recover()), "boom") }()
			_, _ = r.Call(context.Background(), i)
		}()
	}
	wg.Wait()

	_, err := ring.Func1(func(_ context.Context, id int) (int, error) { return id, nil }, ring.BatchWindow(time.Millisecond, 0))
	require.ErrorContains(t, err, "BatchWindow(1ms, 0): only a batch function's ring (Batch) coalesces its calls")
	for _, o := range []ring.Option{ring.BatchWindow(0, 1), ring.BatchWindow(time.Second, -1)} {
		_, err = ring.Batch(func(context.Context, []int) (map[int]int, error) { return nil, nil }, o)
		require.ErrorContains(t, err, "the window must be positive and the bound not negative")
	}
	_, err = ring.NewCache[int](ring.BatchWindow(time.Millisecond, 0))
	require.ErrorContains(t, err, "option BatchWindow does not apply to a Cache")
}

// TestBatchWindowRefreshAhead: with RefreshAhead, the refreshes that
// concurrent Calls of due IDs start share one call of the function.
func TestBatchWindowRefreshAhead(t *testing.T) {
	clk := newClock()
	l, err := backends.NewLRU(100, backends.WithClock(clk.Now))
	require.NoError(t, err)
	src := &batchSource{}
	r := ring.Must(ring.Batch(src.fn(), ring.KeyPrefix("b"), ring.Storage(l), ring.Expire(10*time.Minute),
		ring.RefreshAhead(time.Minute, 5*time.Second), ring.BatchWindow(100*time.Millisecond, 0)))
	ctx := t.Context()
	_, err = r.Many().GetOrUpdate(ctx, ids(0, 10))
	require.NoError(t, err)
	require.Equal(t, 1, src.n())
	clk.Add(2 * time.Minute)
	var wg sync.WaitGroup
	for i := range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := r.Call(ctx, i)
			require.NoError(t, err)
			require.Equal(t, fmt.Sprintf("v%d", i), v)
		}()
	}
	wg.Wait()
	ring.WaitRefreshesForTest(r.Cache())
	require.Equal(t, 2, src.n(), "one call for the ten refreshes: %v", src.calls)
	src.mu.Lock()
	require.Len(t, src.calls[1], 10)
	src.mu.Unlock()
}
