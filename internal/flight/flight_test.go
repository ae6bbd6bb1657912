package flight

import (
	"context"
	"errors"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestDoSharesOneRun(t *testing.T) {
	var g Group
	var runs atomic.Int32
	release := make(chan struct{})
	var wg sync.WaitGroup
	results := make([]any, 8)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, err, _ := g.Do(context.Background(), "k", func(context.Context) (any, error) {
				runs.Add(1)
				<-release
				return 42, nil
			})
			require.NoError(t, err)
			results[i] = v
		}()
	}
	// Give the goroutines time to join the flight, then let it finish.
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	require.Equal(t, int32(1), runs.Load())
	for _, r := range results {
		require.Equal(t, 42, r)
	}
}

func TestDoPanicReachesEveryWaiter(t *testing.T) {
	var g Group
	started := make(chan struct{})
	release := make(chan struct{})
	var wg sync.WaitGroup
	panics := make(chan any, 2)
	wg.Add(2)
	go func() {
		defer wg.Done()
		defer func() { panics <- recover() }()
		g.Do(context.Background(), "k", func(context.Context) (any, error) {
			close(started)
			<-release
			panic("boom")
		})
	}()
	<-started
	go func() {
		defer wg.Done()
		defer func() { panics <- recover() }()
		g.Do(context.Background(), "k", func(context.Context) (any, error) { return nil, nil })
	}()
	time.Sleep(20 * time.Millisecond)
	close(release)
	wg.Wait()
	close(panics)
	n := 0
	for p := range panics {
		pe, ok := p.(*PanicError)
		require.True(t, ok, "got %T", p)
		require.Equal(t, "boom", pe.Value)
		require.Contains(t, string(pe.Stack), "flight_test.go")
		n++
	}
	require.Equal(t, 2, n)
	// The key is free again.
	v, err, shared := g.Do(context.Background(), "k", func(context.Context) (any, error) { return 1, nil })
	require.NoError(t, err)
	require.False(t, shared)
	require.Equal(t, 1, v)
}

func TestDoWaiterContext(t *testing.T) {
	var g Group
	started := make(chan struct{})
	release := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		g.Do(context.Background(), "k", func(context.Context) (any, error) {
			close(started)
			<-release
			return 1, nil
		})
	}()
	<-started
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	_, err, shared := g.Do(ctx, "k", func(context.Context) (any, error) { return 2, nil })
	require.True(t, shared)
	require.True(t, errors.Is(err, context.DeadlineExceeded))
	close(release)
	<-done
}

func TestPanicErrorUnwrap(t *testing.T) {
	base := errors.New("base")
	pe := &PanicError{Value: base}
	require.ErrorIs(t, pe, base)
	require.Nil(t, (&PanicError{Value: "x"}).Unwrap())
}

// A leader whose context ends does not fail the callers that wait on the
// same key: it returns its own error at once, and they get the value.
func TestDoLeaderDeadlineServesWaiters(t *testing.T) {
	var g Group
	started := make(chan struct{})
	release := make(chan struct{})
	var runs atomic.Int32
	fn := func(ctx context.Context) (any, error) {
		if runs.Add(1) == 1 {
			close(started)
		}
		<-release
		return 42, ctx.Err()
	}
	leaderDone := make(chan error, 1)
	lctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
	defer cancel()
	go func() {
		_, err, _ := g.Do(lctx, "k", fn)
		leaderDone <- err
	}()
	<-started
	const waiters = 100
	var wg sync.WaitGroup
	vals := make([]any, waiters)
	errs := make([]error, waiters)
	for i := range waiters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			vals[i], errs[i], _ = g.Do(context.Background(), "k", fn)
		}()
	}
	// The leader returns with its deadline while the function still runs.
	require.ErrorIs(t, <-leaderDone, context.DeadlineExceeded)
	close(release)
	wg.Wait()
	require.EqualValues(t, 1, runs.Load())
	for i := range waiters {
		require.NoError(t, errs[i], "waiter %d", i)
		require.Equal(t, 42, vals[i])
	}
}

// The run's context is cancelled when, and only when, every caller has
// stopped waiting; it keeps the first caller's values.
func TestDoCancelledWhenEveryCallerLeaves(t *testing.T) {
	var g Group
	type key struct{}
	started := make(chan struct{})
	runCtx := make(chan context.Context, 1)
	ended := make(chan error, 1)
	fn := func(ctx context.Context) (any, error) {
		runCtx <- ctx
		close(started)
		<-ctx.Done()
		ended <- ctx.Err()
		return nil, ctx.Err()
	}
	const callers = 5
	cancels := make([]context.CancelFunc, callers)
	var wg sync.WaitGroup
	errs := make([]error, callers)
	for i := range callers {
		ctx, cancel := context.WithCancel(context.WithValue(context.Background(), key{}, "span"))
		cancels[i] = cancel
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i], _ = g.Do(ctx, "k", fn)
		}()
		if i == 0 {
			<-started
		}
	}
	rc := <-runCtx
	require.Equal(t, "span", rc.Value(key{}), "the run keeps the first caller's values")
	run := g.Running(rc)
	require.NotNil(t, run)
	require.Equal(t, "k", run.Key())
	// Wait until every caller has joined, then let all but one leave.
	require.Eventually(t, func() bool {
		return g.waitersOf(run) == callers
	}, 5*time.Second, time.Millisecond)
	for _, cancel := range cancels[:callers-1] {
		cancel()
	}
	time.Sleep(20 * time.Millisecond)
	require.NoError(t, rc.Err(), "one caller still waits: the run goes on")
	require.False(t, run.Stale())
	cancels[callers-1]()
	require.ErrorIs(t, <-ended, context.Canceled, "the last caller gone cancels the run")
	wg.Wait()
	for _, err := range errs {
		require.ErrorIs(t, err, context.Canceled)
	}
	require.True(t, run.Stale(), "an abandoned run's result is not stored")
	// The key is free: a new caller starts a new run.
	v, err, shared := g.Do(context.Background(), "k", func(context.Context) (any, error) { return 7, nil })
	require.NoError(t, err)
	require.False(t, shared)
	require.Equal(t, 7, v)
}

// Forget detaches a run: callers already waiting get its result, later
// callers start a new run, and the old run reports Stale.
func TestForget(t *testing.T) {
	var g Group
	started := make(chan *Run, 1)
	release := make(chan struct{})
	var wg sync.WaitGroup
	var old any
	wg.Add(1)
	go func() {
		defer wg.Done()
		old, _, _ = g.Do(context.Background(), "k", func(ctx context.Context) (any, error) {
			started <- g.Running(ctx)
			<-release
			return "old", nil
		})
	}()
	run := <-started
	require.False(t, run.Stale())
	g.Forget("k")
	g.Forget("absent") // no run: nothing happens
	require.True(t, run.Stale())
	v, err, shared := g.Do(context.Background(), "k", func(context.Context) (any, error) { return "new", nil })
	require.NoError(t, err)
	require.False(t, shared, "a caller after Forget does not join the old run")
	require.Equal(t, "new", v)
	close(release)
	wg.Wait()
	require.Equal(t, "old", old)
}

// With a caller whose context can end, the function runs on a goroutine of
// its own: a panic and runtime.Goexit there still reach every caller.
func TestDoDetachedPanicAndGoexit(t *testing.T) {
	var g Group
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	func() {
		defer func() {
			pe, ok := recover().(*PanicError)
			require.True(t, ok)
			require.Equal(t, "boom", pe.Value)
			require.Contains(t, string(pe.Stack), "flight_test.go")
		}()
		g.Do(ctx, "p", func(context.Context) (any, error) { panic("boom") })
		t.Fatal("Do returned")
	}()
	_, err, _ := g.Do(ctx, "g", func(context.Context) (any, error) {
		runtime.Goexit()
		return nil, nil
	})
	require.ErrorIs(t, err, ErrGoexit)
	// A caller whose context is already done starts nothing.
	cancel()
	ran := false
	_, err, _ = g.Do(ctx, "c", func(context.Context) (any, error) { ran = true; return nil, nil })
	require.ErrorIs(t, err, context.Canceled)
	require.False(t, ran)
}

func TestRunningAndOutside(t *testing.T) {
	var g, other Group
	require.Nil(t, g.Running(context.Background()))
	ctx := context.Background()
	require.Equal(t, ctx, Outside(ctx), "no run: the same context")
	_, _, _ = g.Do(ctx, "k", func(ctx context.Context) (any, error) {
		require.NotNil(t, g.Running(ctx))
		require.Nil(t, other.Running(ctx), "a run of another group")
		out := Outside(ctx)
		require.Nil(t, g.Running(out))
		// A flight started from outside has its own run.
		_, _, _ = g.Do(out, "k2", func(ctx context.Context) (any, error) {
			require.Equal(t, "k2", g.Running(ctx).Key())
			return nil, nil
		})
		return nil, nil
	})
}

func TestForgetAll(t *testing.T) {
	var g Group
	runs := make(chan *Run, 2)
	release := make(chan struct{})
	var wg sync.WaitGroup
	for _, key := range []string{"a", "b"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			g.Do(context.Background(), key, func(ctx context.Context) (any, error) {
				runs <- g.Running(ctx)
				<-release
				return nil, nil
			})
		}()
	}
	a, b := <-runs, <-runs
	g.ForgetAll()
	require.True(t, a.Stale())
	require.True(t, b.Stale())
	require.Zero(t, g.inFlight())
	close(release)
	wg.Wait()
}

type valueKey struct{}

// TestRunContextWithoutAllocations checks the run's context as Do makes it
// for a caller whose context cannot end (the run inside the Run): it
// carries the run and the caller's values, Outside drops the run and keeps
// the values, and both are cancelled, with contexts derived from them and
// no goroutine, once the run has finished. A caller that joins the run
// receives its result.
func TestRunContextWithoutAllocations(t *testing.T) {
	var g Group
	ctx := context.WithValue(context.Background(), valueKey{}, "v")
	var runCtx, outside, derived context.Context
	release := make(chan struct{})
	joined := make(chan any)
	v, err, _ := g.Do(ctx, "k", func(rctx context.Context) (any, error) {
		runCtx, outside = rctx, Outside(rctx)
		var cancel context.CancelFunc
		derived, cancel = context.WithTimeout(outside, time.Hour)
		t.Cleanup(cancel)
		require.NotNil(t, g.Running(rctx))
		require.Nil(t, g.Running(outside))
		require.Nil(t, g.Running(derived))
		require.Equal(t, "v", outside.Value(valueKey{}))
		require.Equal(t, "v", derived.Value(valueKey{}))
		require.NoError(t, outside.Err())
		go func() {
			v, _, shared := g.Do(context.Background(), "k", func(context.Context) (any, error) { return "other", nil })
			require.True(t, shared)
			joined <- v
		}()
		for {
			if g.waitersOf(g.find("k")) == 2 {
				break
			}
			time.Sleep(time.Millisecond)
		}
		close(release)
		return "result", nil
	})
	<-release
	require.NoError(t, err)
	require.Equal(t, "result", v)
	require.Equal(t, "result", <-joined)
	for _, c := range []context.Context{runCtx, outside, derived} {
		select {
		case <-c.Done():
		case <-time.After(time.Second):
			t.Fatal("a context of the run is not cancelled after the run")
		}
		require.ErrorIs(t, c.Err(), context.Canceled)
	}
}

// find returns the run of key in flight, or nil.
func (g *Group) find(key string) *Run {
	h := Hash(key)
	s := g.shardOf(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.find(key, h)
}

// waitersOf returns the number of callers waiting for c (0 for nil).
func (g *Group) waitersOf(c *Run) int {
	if c == nil {
		return 0
	}
	s := g.shardOf(uint64(c.hash))
	s.mu.Lock()
	defer s.mu.Unlock()
	return int(c.waiters)
}

// inFlight returns the number of runs in flight.
func (g *Group) inFlight() int {
	n := 0
	for i := range g.shards {
		s := &g.shards[i]
		s.mu.Lock()
		s.each(func(*Run) { n++ })
		s.mu.Unlock()
	}
	return n
}

// The run's own context answers the parent's value under HiddenKey; its
// Outside (OutsideRun), and contexts derived from that, answer nil, as
// they do for the run. OutsideRun reports false for any other context,
// and Owns tells a group's runs from others'.
func TestOutsideRunHidesKey(t *testing.T) {
	var g, other Group
	parent := context.WithValue(context.Background(), HiddenKey{}, "mark")
	_, ok := OutsideRun(parent)
	require.False(t, ok, "not a run's context")
	_, _, _ = g.Do(parent, "k", func(ctx context.Context) (any, error) {
		require.Equal(t, "mark", ctx.Value(HiddenKey{}), "the run's own context")
		run := g.Running(ctx)
		require.True(t, g.Owns(run))
		require.False(t, other.Owns(run))
		require.False(t, g.Owns(nil))
		out, ok := OutsideRun(ctx)
		require.True(t, ok)
		require.Equal(t, Outside(ctx), out)
		derived := context.WithValue(out, runKey{}, "other")
		for _, c := range []context.Context{out, context.WithoutCancel(out)} {
			require.Nil(t, c.Value(HiddenKey{}))
			require.Nil(t, g.Running(c))
		}
		require.Nil(t, derived.Value(HiddenKey{}))
		_, ok = OutsideRun(derived)
		require.False(t, ok, "a context derived from the run's is not the run's own")
		return nil, nil
	})
}

// A function that returns a *PanicError as its error did not panic: its
// callers receive the error, and only a panic makes them panic.
func TestDoReturnedPanicErrorIsAnError(t *testing.T) {
	var g Group
	pe := &PanicError{Value: "returned"}
	v, err, _ := g.Do(context.Background(), "k", func(context.Context) (any, error) { return "v", pe })
	require.Equal(t, "v", v)
	require.Same(t, pe, err)
	require.PanicsWithValue(t, pe, func() {
		_, _, _ = g.Do(context.Background(), "k", func(context.Context) (any, error) { panic(pe) })
	}, "a panic with a *PanicError reaches the caller as itself")
}
