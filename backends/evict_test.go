package backends_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends"
)

// evictLog records what an EvictionReporter reports.
type evictLog struct {
	mu     sync.Mutex
	counts evictCounts
}

type evictCounts struct{ evicted, expired int }

func (e *evictLog) fn(n int, expired bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if expired {
		e.counts.expired += n
	} else {
		e.counts.evicted += n
	}
}

func (e *evictLog) get() evictCounts {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.counts
}

func TestLRUReportsEvictions(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(0, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	l, err := backends.NewLRU(2, backends.WithClock(clock))
	require.NoError(t, err)
	var a, b evictLog
	l.OnEvict(a.fn)
	l.OnEvict(b.fn)
	require.NoError(t, l.Set(ctx, "1", 1, 0))
	require.NoError(t, l.Set(ctx, "2", 2, time.Second))
	require.NoError(t, l.Set(ctx, "1", 1, 0))                                        // replaces: no eviction
	require.NoError(t, l.Set(ctx, "3", 3, 0))                                        // evicts 2
	require.NoError(t, l.SetMany(ctx, []string{"4", "5"}, []any{4, 5}, time.Second)) // evicts 1 and 3
	ok, err := l.SetIfAbsent(ctx, "6", 6, 0)                                         // evicts 4
	require.NoError(t, err)
	require.True(t, ok)
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	_, found, err := l.Get(ctx, "5") // expired: removed
	require.NoError(t, err)
	require.False(t, found)
	require.Equal(t, evictCounts{evicted: 4, expired: 1}, a.get())
	require.Equal(t, a.get(), b.get(), "every function is told")
}

func TestDictReportsExpiries(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(0, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	d := backends.NewDict(backends.WithClock(clock))
	var a evictLog
	d.OnEvict(a.fn)
	for i := range 1100 { // past the first sweep at 1024 entries
		require.NoError(t, d.Set(ctx, string(rune('a'+i%26))+string(rune(i)), i, time.Second))
		if i == 10 {
			mu.Lock()
			now = now.Add(2 * time.Second) // the first 11 expire
			mu.Unlock()
		}
	}
	require.Equal(t, evictCounts{expired: 11}, a.get())
}

// TestConcurrentReportsEvictions: the Concurrent store tells the same
// functions what its clock policy evicts and what expired entries its
// sweep removes, as many as Evictions counts.
func TestConcurrentReportsEvictions(t *testing.T) {
	ctx := context.Background()
	now := time.Unix(0, 0)
	var mu sync.Mutex
	clock := func() time.Time { mu.Lock(); defer mu.Unlock(); return now }
	c, err := backends.NewConcurrent[int](64, backends.WithClock(clock))
	require.NoError(t, err)
	var a evictLog
	c.OnEvict(a.fn)
	for i := range 64 {
		require.NoError(t, c.Set(ctx, strconv.Itoa(i), i, 0))
	}
	// (Shards are bounded each: a few entries may go before the store is
	// full; whatever goes is counted.)
	require.EqualValues(t, c.Evictions(), a.get().evicted)
	for i := 64; i < 192; i++ {
		require.NoError(t, c.Set(ctx, strconv.Itoa(i), i, time.Second))
	}
	got := a.get()
	require.EqualValues(t, c.Evictions(), got.evicted)
	require.Positive(t, got.evicted)
	require.LessOrEqual(t, c.Len(), 64)
	mu.Lock()
	now = now.Add(2 * time.Second)
	mu.Unlock()
	for i := 192; i < 256; i++ {
		require.NoError(t, c.Set(ctx, strconv.Itoa(i), i, 0))
	}
	after := a.get()
	require.Positive(t, after.expired, "the sweep removed expired entries and said so")
	require.EqualValues(t, c.Evictions(), after.evicted)
}
