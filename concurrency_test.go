package ring_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
)

func TestConcurrentMissesRunOnce(t *testing.T) {
	ctx := context.Background()
	var runs counter
	release := make(chan struct{})
	r := ring.Must(ring.Func1(func(ctx context.Context, k string) (string, error) {
		runs.add()
		<-release
		return "v:" + k, nil
	}))
	const callers = 32
	var wg sync.WaitGroup
	results := make([]string, callers)
	errs := make([]error, callers)
	for i := range callers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i], errs[i] = r.Call(ctx, "hot")
		}()
	}
	// Let every caller reach the flight, then release the one run.
	require.Eventually(t, func() bool { return runs.get() == 1 }, time.Second, time.Millisecond)
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	require.EqualValues(t, 1, runs.get())
	for i := range callers {
		require.NoError(t, errs[i])
		require.Equal(t, "v:hot", results[i])
	}
}

// A miss that races a fill must not run the function twice: the flight reads
// the cache again before running.
func TestFlightRechecksCache(t *testing.T) {
	ctx := context.Background()
	var runs counter
	r := ring.Must(ring.Func1(func(ctx context.Context, k int) (int, error) {
		runs.add()
		return k * 2, nil
	}))
	var wg sync.WaitGroup
	for range 200 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err := r.Call(ctx, 21)
			if err != nil || v != 42 {
				t.Errorf("got %v, %v", v, err)
			}
		}()
	}
	wg.Wait()
	require.EqualValues(t, 1, runs.get())
}

func TestPanicReachesEveryWaiter(t *testing.T) {
	ctx := context.Background()
	started := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	r := ring.Must(ring.Func1(func(ctx context.Context, k string) (string, error) {
		once.Do(func() { close(started) })
		<-release
		panic("kaboom")
	}))
	const callers = 5
	panics := make(chan any, callers)
	var wg sync.WaitGroup
	call := func() {
		defer wg.Done()
		defer func() { panics <- recover() }()
		_, _ = r.Call(ctx, "k")
	}
	wg.Add(1)
	go call()
	<-started
	for range callers - 1 {
		wg.Add(1)
		go call()
	}
	time.Sleep(30 * time.Millisecond)
	close(release)
	wg.Wait()
	close(panics)
	n := 0
	for p := range panics {
		pe, ok := p.(*ring.PanicError)
		require.True(t, ok, "every caller panics with *ring.PanicError, got %T", p)
		require.Equal(t, "kaboom", pe.Value)
		require.Contains(t, string(pe.Stack), "concurrency_test.go")
		n++
	}
	require.Equal(t, callers, n)
	ok, err := r.Has(ctx, "k")
	require.NoError(t, err)
	require.False(t, ok, "a panic caches nothing")
}

func TestWaiterContextCancel(t *testing.T) {
	release := make(chan struct{})
	started := make(chan struct{})
	r := ring.Must(ring.Func1(func(ctx context.Context, k string) (string, error) {
		close(started)
		<-release
		return "v", nil
	}))
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = r.Call(context.Background(), "k")
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	_, err := r.Call(ctx, "k")
	require.True(t, errors.Is(err, context.DeadlineExceeded))
	close(release)
	<-done
}

func TestConcurrentMixedSubFunctions(t *testing.T) {
	ctx := context.Background()
	var runs counter
	r := ring.Must(ring.Func2(price(&runs), ring.LRU(8), ring.Expire(time.Minute)))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 200 {
				item := string(rune('a' + (i+g)%12))
				switch i % 6 {
				case 0:
					_, _ = r.Call(ctx, item, 1)
				case 1:
					_, _, _ = r.Get(ctx, item, 1)
				case 2:
					_ = r.Delete(ctx, item, 1)
				case 3:
					_ = r.Touch(ctx, item, 1)
				case 4:
					_, _ = r.Many().GetOrUpdate(ctx, []ring.Args2[string, int]{{item, 1}, {"z", 2}})
				case 5:
					_ = r.Set(ctx, "s", item, 1)
				}
			}
		}()
	}
	wg.Wait()
	require.LessOrEqual(t, r.Cache().Storage().(interface{ Len() int }).Len(), 8)
}
