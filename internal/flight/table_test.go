package flight

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestManyRunsInFlight puts far more runs in flight at once than a shard
// holds in its slice (every shard moves to its map and back), with a
// second caller of every key joining, and half of the keys forgotten
// while in flight: each key runs once for its two callers, a forgotten
// key runs again for a third caller, and nothing is left in flight.
func TestManyRunsInFlight(t *testing.T) {
	const keys = numShards * maxSmall * 3
	var g Group
	var runs [keys]atomic.Int32
	release := make(chan struct{})
	started := make(chan struct{}, keys)
	var wg sync.WaitGroup
	do := func(i int, shared *atomic.Int32) {
		defer wg.Done()
		v, err, sh := g.Do(context.Background(), strconv.Itoa(i), func(context.Context) (any, error) {
			runs[i].Add(1)
			started <- struct{}{}
			<-release
			return i, nil
		})
		require.NoError(t, err)
		require.Equal(t, i, v)
		if sh {
			shared.Add(1)
		}
	}
	var shared atomic.Int32
	for i := range keys {
		wg.Add(1)
		go do(i, &shared)
	}
	for range keys {
		<-started
	}
	require.Equal(t, keys, g.inFlight())
	for i := range keys {
		wg.Add(1)
		go do(i, &shared)
	}
	require.Eventually(t, func() bool {
		for i := range keys {
			if g.waitersOf(g.find(strconv.Itoa(i))) != 2 {
				return false
			}
		}
		return true
	}, 10*time.Second, time.Millisecond)
	var again atomic.Int32
	for i := 0; i < keys; i += 2 {
		g.Forget(strconv.Itoa(i))
		wg.Add(1)
		go do(i, &again)
	}
	for i := 0; i < keys; i += 2 {
		<-started
	}
	require.Equal(t, keys, g.inFlight(), "half forgotten, half run again")
	close(release)
	wg.Wait()
	require.Equal(t, int32(keys), shared.Load(), "every second caller joined")
	require.Zero(t, again.Load(), "a forgotten key's caller starts a run of its own")
	for i := range keys {
		want := int32(1 + (1 - i%2))
		require.Equal(t, want, runs[i].Load(), "runs of key %d", i)
	}
	require.Zero(t, g.inFlight())
	for i := range g.shards {
		require.Nil(t, g.shards[i].big, "a shard keeps its map once empty")
	}
}
