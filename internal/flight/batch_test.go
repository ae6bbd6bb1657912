package flight

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// DoMany joins the runs in flight and leads the others with one call; a
// Do of a key it leads joins it.
func TestDoManyJoinsAndLeads(t *testing.T) {
	var g Group
	release := make(chan struct{})
	started := make(chan struct{})
	var runs atomic.Int32
	done := make(chan struct{})
	go func() {
		defer close(done)
		v, err, _ := g.Do(context.Background(), "a", func(context.Context) (any, error) {
			close(started)
			<-release
			return "A", nil
		})
		require.NoError(t, err)
		require.Equal(t, "A", v)
	}()
	<-started
	var wg sync.WaitGroup
	wg.Add(1)
	var vals []any
	var errs []error
	go func() {
		defer wg.Done()
		vals, errs = g.DoMany(context.Background(), []string{"a", "b", "c"}, func(ctx context.Context, lead []int) ([]any, []error) {
			runs.Add(1)
			require.Equal(t, []int{1, 2}, lead)
			require.NotNil(t, g.RunningBatch(ctx))
			require.Nil(t, g.RunningBatch(Outside(ctx)))
			<-release
			return []any{"B", "C"}, []error{nil, errors.New("no c")}
		})
	}()
	require.Eventually(t, func() bool { return runs.Load() == 1 }, time.Second, time.Millisecond)
	var bv any
	wg.Add(1)
	go func() {
		defer wg.Done()
		bv, _, _ = g.Do(context.Background(), "b", func(context.Context) (any, error) { return "own", nil })
	}()
	time.Sleep(10 * time.Millisecond)
	close(release)
	wg.Wait()
	<-done
	require.Equal(t, []any{"A", "B", "C"}, vals)
	require.NoError(t, errs[0])
	require.NoError(t, errs[1])
	require.EqualError(t, errs[2], "no c")
	require.Equal(t, "B", bv)
	require.EqualValues(t, 1, runs.Load())
}

// A DoMany whose context ends returns at once; the batch's context ends
// when its last caller has gone, and a Forget makes a key's run stale.
func TestDoManyLeaveAndForget(t *testing.T) {
	var g Group
	ctx, cancel := context.WithCancel(context.Background())
	fnDone := make(chan error, 1)
	stale := make(chan bool, 1)
	started := make(chan struct{})
	go func() {
		_, errs := g.DoMany(ctx, []string{"a", "b"}, func(ctx context.Context, lead []int) ([]any, []error) {
			close(started)
			<-ctx.Done()
			stale <- g.RunningBatch(ctx).Run("a").Stale()
			fnDone <- ctx.Err()
			return []any{nil, nil}, []error{nil, nil}
		})
		require.ErrorIs(t, errs[0], context.Canceled)
	}()
	<-started
	g.Forget("a")
	cancel()
	require.ErrorIs(t, <-fnDone, context.Canceled)
	require.True(t, <-stale)
	// The keys are free again.
	vals, errs := g.DoMany(context.Background(), []string{"a", "b"}, func(_ context.Context, lead []int) ([]any, []error) {
		return []any{1, 2}, []error{nil, nil}
	})
	require.Equal(t, []any{1, 2}, vals)
	require.Equal(t, []error{nil, nil}, errs)
}
