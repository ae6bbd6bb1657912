package backends_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends"
)

// TestInProcessRaw: Raw gives each in-process store's own structure, for
// direct access, and options print themselves.
func TestInProcessRaw(t *testing.T) {
	l, err := backends.NewLRU(3)
	require.NoError(t, err)
	raw, ok := l.Raw().(interface{ Len() int })
	require.True(t, ok, "the LRU's Raw is golang-lru's simplelru.LRU, got %T", l.Raw())
	require.Zero(t, raw.Len())
	require.NoError(t, l.Set(t.Context(), "k", 1, 0))
	require.Equal(t, 1, raw.Len(), "Raw is the store itself, not a copy")
	require.Equal(t, 3, l.Size())
	require.NotNil(t, backends.NewDict().Raw())
	require.Nil(t, backends.NewDummy().Raw(), "dummy keeps nothing")
	require.Equal(t, "WithClock(func)", backends.WithClock(time.Now).String())
}
