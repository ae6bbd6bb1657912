package flight

import (
	"context"
	"errors"
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
