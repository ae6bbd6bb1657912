package backends_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends"
)

// evictLog records what an EvictionReporter reports.
type evictLog struct {
	mu              sync.Mutex
	evicted, expird int
}

func (e *evictLog) fn(n int, expired bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if expired {
		e.expird += n
	} else {
		e.evicted += n
	}
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
	require.Equal(t, evictLog{evicted: 4, expird: 1}, a)
	require.Equal(t, a, b, "every function is told")
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
	require.Equal(t, evictLog{expird: 11}, a)
}
