package flight

import (
	"context"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ctxFollows waits for ctx to be cancelled, failing after a second.
func ctxFollows(t *testing.T, ctx context.Context, what string) {
	t.Helper()
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
		t.Fatalf("%s is not cancelled with the run", what)
	}
	require.ErrorIs(t, ctx.Err(), context.Canceled, what)
}

// TestRunContextDerivedFollow derives every kind of context from a run's
// context and from Outside of it (WithCancel, WithTimeout, WithValue,
// context.AfterFunc), while the run goes on, and checks each is cancelled
// when the run ends, for a leader whose context cannot end (the run on
// its goroutine) and one whose can (the run on a goroutine of its own).
// None of them is cancelled before, and none starts a goroutine that
// waits for the run's.
func TestRunContextDerivedFollow(t *testing.T) {
	for _, name := range []string{"inline", "detached"} {
		t.Run(name, func(t *testing.T) {
			var g Group
			ctx := context.WithValue(context.Background(), valueKey{}, "v")
			if name == "detached" {
				var cancel context.CancelFunc
				ctx, cancel = context.WithCancel(ctx)
				defer cancel()
			}
			var derived []context.Context
			var afterRan atomic.Int32
			var stopped func() bool
			_, err, _ := g.Do(ctx, "k", func(rctx context.Context) (any, error) {
				before := runtime.NumGoroutine()
				for _, base := range []context.Context{rctx, Outside(rctx)} {
					c1, cancel1 := context.WithCancel(base)
					t.Cleanup(cancel1)
					c2, cancel2 := context.WithTimeout(base, time.Hour)
					t.Cleanup(cancel2)
					c3 := context.WithValue(base, valueKey{}, "w")
					c4, cancel4 := context.WithCancel(c3)
					t.Cleanup(cancel4)
					derived = append(derived, base, c1, c2, c3, c4)
					context.AfterFunc(base, func() { afterRan.Add(1) })
					stop := context.AfterFunc(base, func() { t.Error("a stopped AfterFunc ran") })
					require.True(t, stop())
					require.False(t, stop(), "stopped twice")
				}
				stopped = context.AfterFunc(rctx, func() {})
				if name == "inline" { // nothing else runs: count the goroutines
					if n := runtime.NumGoroutine(); n > before { // fewer: an earlier test's goroutine ended
						buf := make([]byte, 1<<16)
						t.Fatalf("deriving contexts started %d goroutines:\n%s", n-before, buf[:runtime.Stack(buf, true)])
					}
				}
				for _, c := range derived {
					require.NoError(t, c.Err())
					select {
					case <-c.Done():
						t.Fatal("a context of the run is done before the run ends")
					default:
					}
				}
				require.Equal(t, "v", derived[1].Value(valueKey{}))
				require.Equal(t, "w", derived[4].Value(valueKey{}))
				require.NotNil(t, g.Running(derived[4]))
				require.Nil(t, g.Running(derived[9]), "derived from Outside")
				return nil, nil
			})
			require.NoError(t, err)
			for i, c := range derived {
				ctxFollows(t, c, "derived context "+string(rune('0'+i)))
			}
			require.Eventually(t, func() bool { return afterRan.Load() == 2 }, time.Second, time.Millisecond)
			require.False(t, stopped(), "an AfterFunc that ran cannot be stopped")
		})
	}
}

// TestRunContextDerivedAfterEnd derives contexts from a run's context
// once the run has ended, and concurrently with its end: each is
// cancelled at once (no wait, no deadlock), and context.AfterFunc
// registered late still runs.
func TestRunContextDerivedAfterEnd(t *testing.T) {
	for range 200 {
		var g Group
		got := make(chan context.Context, 1)
		release := make(chan struct{})
		var wg sync.WaitGroup
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, _, _ = g.Do(context.Background(), "k", func(rctx context.Context) (any, error) {
				got <- rctx
				<-release
				return nil, nil
			})
		}()
		rctx := <-got
		ran := make(chan struct{})
		var derived context.Context
		var cancel context.CancelFunc
		var inner sync.WaitGroup
		inner.Add(1)
		go func() {
			defer inner.Done()
			derived, cancel = context.WithCancel(rctx)
			context.AfterFunc(rctx, func() { close(ran) })
		}()
		close(release) // the end races the derivation
		inner.Wait()
		wg.Wait()
		ctxFollows(t, derived, "a context derived as the run ended")
		cancel()
		select {
		case <-ran:
		case <-time.After(time.Second):
			t.Fatal("an AfterFunc registered as the run ended never ran")
		}
		late, lateCancel := context.WithCancel(Outside(rctx))
		require.ErrorIs(t, late.Err(), context.Canceled, "derived after the end")
		lateCancel()
	}
}

// TestDoAllocations pins what a run of Do costs a caller whose context
// cannot end and whose function ignores its context: the Run (none more
// with DoWork and a Run of the caller's), the function's closure, and
// nothing for the run's context, its cancellation, or Outside.
func TestDoAllocations(t *testing.T) {
	var g Group
	ctx := context.Background()
	fn := func(ctx context.Context) (any, error) {
		_ = Outside(ctx)
		return nil, nil
	}
	allocs := testing.AllocsPerRun(1000, func() { _, _, _ = g.Do(ctx, "k", fn) })
	require.Equal(t, 1.0, allocs, "Do: the Run")
	type work struct {
		run Run
		funcWork
	}
	allocs = testing.AllocsPerRun(1000, func() {
		w := &work{funcWork: fn}
		_, _, _ = g.DoWork(ctx, "k", &w.run, w)
	})
	require.Equal(t, 1.0, allocs, "DoWork: the Run in the caller's work")
}
