package rope_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/rope"
)

// FillMany under a batch's context writes the keys whose run is not stale
// and counts as the mark's own; a newer write of one key made during the
// batch keeps that key out of the fill. Outside a batch it is a newer
// write of every key.
func TestFlightManyFillMany(t *testing.T) {
	s := backends.NewDict()
	r := rope.New(s)
	mctx, mark := r.MarkWrites(context.Background())
	keys := []string{"a", "b", "c"}
	started, release := make(chan struct{}), make(chan struct{})
	var kept []int
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		vals, errs := r.FlightMany(mctx, keys, func(ctx context.Context, lead []int) ([]any, []error) {
			require.Equal(t, []int{0, 1, 2}, lead)
			close(started)
			<-release
			err := r.FillMany(ctx, keys, func(keep []int) error {
				kept = keep
				for _, i := range keep {
					if err := s.Set(ctx, keys[i], "fill", 0); err != nil {
						return err
					}
				}
				return nil
			})
			return []any{1, 2, 3}, []error{err, err, err}
		})
		require.Equal(t, []any{1, 2, 3}, vals)
		require.Equal(t, []error{nil, nil, nil}, errs)
	}()
	<-started
	// A Flight of "b" joins the batch's run: it does not run its own.
	var joined any
	wg.Add(1)
	go func() {
		defer wg.Done()
		v, err := r.Flight(context.Background(), "b", func(context.Context) (any, error) { return "own run", nil })
		require.NoError(t, err)
		joined = v
	}()
	require.NoError(t, r.Commit(context.Background(), "c", set(context.Background(), s, "c", "newer")))
	time.Sleep(20 * time.Millisecond) // the Flight of "b" joins
	close(release)
	wg.Wait()
	require.Equal(t, 2, joined)
	require.Equal(t, []int{0, 1}, kept, "the newer write of c wins")
	v, _ := get(t, s, "c")
	require.Equal(t, "newer", v)
	v, _ = get(t, s, "a")
	require.Equal(t, "fill", v)
	require.True(t, mark.WrittenSince("c"), "the newer write counts")

	// Outside a batch: a newer write of every key.
	require.NoError(t, r.FillMany(context.Background(), []string{"x", "y"}, func(keep []int) error {
		require.Equal(t, []int{0, 1}, keep)
		return nil
	}))
}
