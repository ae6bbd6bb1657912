package ring_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/observe"
)

// tierCounter counts requests by result and tier.
type tierCounter struct {
	observe.Base
	mu sync.Mutex
	n  map[string]int
}

func (c *tierCounter) Request(_ context.Context, info *observe.Info, r observe.Result, n int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[info.Tier+" "+r.String()] += n
}

func (c *tierCounter) get() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]int, len(c.n))
	for k, v := range c.n {
		out[k] = v
	}
	return out
}

// TestObserveTiers: a hit the near tier answers is labelled "near", the
// reads behind it with the storage's tier, on Call and on Get; the typed
// Concurrent store's hits and misses are reported as the LRU's are.
func TestObserveTiers(t *testing.T) {
	ctx := context.Background()
	rec := &tierCounter{n: map[string]int{}}
	near := ring.Must(ring.Func1(func(ctx context.Context, sku string) (int, error) {
		return len(sku), nil
	}, ring.LRU(100), ring.Coder("json"), ring.Near(100, time.Minute), ring.Observe(rec), ring.WithStats()))
	for range 3 {
		v, err := near.Call(ctx, "apple")
		require.NoError(t, err)
		require.Equal(t, 5, v)
	}
	_, ok, err := near.Get(ctx, "apple")
	require.NoError(t, err)
	require.True(t, ok)
	_, ok, err = near.Get(ctx, "pear")
	require.NoError(t, err)
	require.False(t, ok)
	// The fill's own write drops the reservation of the copy (near.go), so
	// the second Call reads the storage and keeps the copy the third finds.
	require.Equal(t, map[string]int{"local miss": 2, "local hit": 1, "near hit": 2}, rec.get())
	s := near.Stats()
	require.EqualValues(t, 3, s.Hits)
	require.EqualValues(t, 2, s.Misses)

	rec2 := &tierCounter{n: map[string]int{}}
	conc := ring.Must(ring.Func1(func(ctx context.Context, sku string) (int, error) {
		return len(sku), nil
	}, ring.Concurrent(100), ring.Observe(rec2), ring.WithStats()))
	for range 3 {
		_, err := conc.Call(ctx, "apple")
		require.NoError(t, err)
	}
	_, ok, err = conc.Get(ctx, "pear")
	require.NoError(t, err)
	require.False(t, ok)
	_, ok, err = conc.Cache().Get(ctx, "apple")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, map[string]int{"local miss": 2, "local hit": 3}, rec2.get())
	s = conc.Stats()
	require.EqualValues(t, 3, s.Hits)
	require.EqualValues(t, 2, s.Misses)
}
