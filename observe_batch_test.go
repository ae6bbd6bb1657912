package ring_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
)

// TestObserveBatchCoalesced: IDs a bulk fill finds in flight (another
// batch's) are reported as coalesced, as many as joined, once the second
// batch has run for the rest.
func TestObserveBatchCoalesced(t *testing.T) {
	ctx := context.Background()
	release := make(chan struct{})
	var mu sync.Mutex
	var calls [][]int
	users := ring.Must(ring.Batch(func(ctx context.Context, ids []int) (map[int]int, error) {
		mu.Lock()
		calls = append(calls, ids)
		first := len(calls) == 1
		mu.Unlock()
		if first {
			<-release
		}
		m := make(map[int]int, len(ids))
		for _, id := range ids {
			m[id] = 10 * id
		}
		return m, nil
	}, ring.LRU(100), ring.KeyPrefix("obs-batch"), ring.WithStats()))
	done := make(chan struct{})
	go func() {
		defer close(done)
		got, err := users.Many().GetOrUpdate(ctx, []int{1, 2, 3, 4})
		require.NoError(t, err)
		require.Equal(t, []int{10, 20, 30, 40}, got)
	}()
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(calls) == 1 }, 10*time.Second, time.Millisecond)
	second := make(chan []int)
	go func() {
		got, err := users.Many().GetOrUpdate(ctx, []int{3, 4, 5, 6})
		require.NoError(t, err)
		second <- got
	}()
	require.Eventually(t, func() bool { mu.Lock(); defer mu.Unlock(); return len(calls) == 2 }, 10*time.Second, time.Millisecond)
	close(release)
	require.Equal(t, []int{30, 40, 50, 60}, <-second)
	<-done
	require.Equal(t, [][]int{{1, 2, 3, 4}, {5, 6}}, calls, "3 and 4 joined the first batch")
	s := users.Stats()
	require.EqualValues(t, 2, s.Coalesced)
	require.EqualValues(t, 8, s.Misses)
	require.Zero(t, s.Hits)
}
