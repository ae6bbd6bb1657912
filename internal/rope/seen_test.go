package rope_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/flight"
	"github.com/ringcache/ring/internal/rope"
)

// A count taken before a read (See) reports every write of the key's
// stripe that finished since, and only those: a fill counts once its
// storage command has run, so that a count taken while the command runs
// (the value not yet stored) reports it afterwards; a newer write
// (Commit, Write, WriteAll) too; a write of another stripe does not.
func TestSeenCountsFinishedWrites(t *testing.T) {
	ctx := context.Background()
	s := backends.NewDict()
	r := rope.New(s)
	key := "seen:k"

	seen := r.See(key)
	require.Equal(t, flight.Hash(key), seen.Hash())
	require.NotZero(t, seen.Count())
	require.False(t, r.WrittenSinceCount(seen.Hash(), seen.Count()), "no write since")
	require.True(t, r.WrittenSinceCount(seen.Hash(), rope.Seen{}.Count()), "no count taken")

	// A count taken during a fill's storage command, before it returns.
	var during rope.Seen
	_, err := fillWork(ctx, r, key, func(ctx context.Context, run *flight.Run) (any, error) {
		return nil, r.FillCommit(run, nil, func() error {
			during = r.See(key)
			return s.Set(ctx, key, "filled", 0)
		})
	})
	require.NoError(t, err)
	require.True(t, r.WrittenSinceCount(during.Hash(), during.Count()), "a fill that was running when the count was taken")
	require.True(t, r.WrittenSinceCount(seen.Hash(), seen.Count()))

	for name, write := range map[string]func(do func() error) error{
		"Commit":   func(do func() error) error { return r.Commit(ctx, key, do) },
		"Write":    func(do func() error) error { return r.Write([]string{key}, do) },
		"WriteAll": r.WriteAll,
	} {
		var during rope.Seen
		before := r.See(key)
		require.NoError(t, write(func() error { during = r.See(key); return nil }), name)
		require.True(t, r.WrittenSinceCount(before.Hash(), before.Count()), name)
		require.True(t, r.WrittenSinceCount(during.Hash(), during.Count()), name+": running when the count was taken")
	}

	// A key of another stripe.
	other := ""
	for i := 0; other == ""; i++ {
		if k := "seen:other" + string(rune('a'+i%26)) + string(rune('a'+i/26)); flight.Hash(k)%64 != flight.Hash(key)%64 {
			other = k
		}
	}
	before := r.See(key)
	require.NoError(t, r.Commit(ctx, other, func() error { return nil }))
	require.False(t, r.WrittenSinceCount(before.Hash(), before.Count()), "a write of another stripe")
}
