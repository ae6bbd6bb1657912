package rope_test

import (
	"context"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/flight"
	"github.com/ringcache/ring/internal/rope"
)

// work is a flight.Work that holds its own Run, as ring's fill does, and
// hands it to fn.
type work struct {
	run flight.Run
	fn  func(ctx context.Context, run *flight.Run) (any, error)
}

func (w *work) Work(ctx context.Context) (any, error) { return w.fn(ctx, &w.run) }

// fillWork runs fn as the run of key in r's flight.
func fillWork(ctx context.Context, r *rope.Rope, key string, fn func(ctx context.Context, run *flight.Run) (any, error)) (any, error) {
	w := &work{fn: fn}
	v, err, _ := r.FlightWork(ctx, key, &w.run, w)
	return v, err
}

// FillCommit is the fill's Commit without the context: it is skipped
// after a newer write of the key and once every caller has gone, counts
// as the given mark's own write (and as no other's), and a run of another
// rope makes it a newer write.
func TestFillCommit(t *testing.T) {
	ctx := context.Background()
	s := backends.NewDict()
	r := rope.New(s)

	// Without a newer write, the fill writes.
	_, err := fillWork(ctx, r, "k", func(ctx context.Context, run *flight.Run) (any, error) {
		return nil, r.FillCommit(run, nil, set(ctx, s, "k", "fill"))
	})
	require.NoError(t, err)
	v, _ := get(t, s, "k")
	require.Equal(t, "fill", v)

	// A newer write made while the run is in flight wins.
	for _, write := range []func() error{
		func() error { return r.Commit(ctx, "k", set(ctx, s, "k", "newer")) },
		func() error { return r.Write([]string{"k"}, set(ctx, s, "k", "newer")) },
		func() error { return r.WriteAll(set(ctx, s, "k", "newer")) },
	} {
		v, err := fillWork(ctx, r, "k", func(ctx context.Context, run *flight.Run) (any, error) {
			require.NoError(t, write())
			return "fill", r.FillCommit(run, nil, set(ctx, s, "k", "fill"))
		})
		require.NoError(t, err)
		require.Equal(t, "fill", v, "the callers get the fill's result")
		got, _ := get(t, s, "k")
		require.Equal(t, "newer", got)
	}

	// A run every caller left writes nothing.
	cctx, cancel := context.WithCancel(ctx)
	started, wrote := make(chan struct{}), make(chan error, 1)
	go func() {
		_, _ = fillWork(cctx, r, "gone", func(ctx context.Context, run *flight.Run) (any, error) {
			close(started)
			<-ctx.Done() // the run's context ends when its last caller leaves
			err := r.FillCommit(run, nil, set(ctx, s, "gone", "fill"))
			wrote <- err
			return nil, err
		})
	}()
	<-started
	cancel()
	select {
	case err := <-wrote:
		require.NoError(t, err)
	case <-time.After(10 * time.Second):
		t.Fatal("the run's context did not end when its caller left")
	}
	_, ok := get(t, s, "gone")
	require.False(t, ok, "a fill nobody waits for is not written")

	// The fill is the own write of the mark it is given, of no other.
	mctx, mark := r.MarkWrites(ctx)
	_, err = fillWork(mctx, r, "m", func(ctx context.Context, run *flight.Run) (any, error) {
		return nil, r.FillCommit(run, mark, set(ctx, s, "m", "own"))
	})
	require.NoError(t, err)
	require.False(t, mark.WrittenSince("m"), "the mark's own fill")
	_, err = fillWork(mctx, r, "m", func(ctx context.Context, run *flight.Run) (any, error) {
		return nil, r.FillCommit(run, nil, set(ctx, s, "m", "other"))
	})
	require.NoError(t, err)
	require.True(t, mark.WrittenSince("m"), "a fill given no mark is not the mark's")
	other := rope.New(s)
	_, otherMark := other.MarkWrites(ctx)
	_, mark = r.MarkWrites(ctx)
	_, err = fillWork(ctx, r, "m", func(ctx context.Context, run *flight.Run) (any, error) {
		return nil, r.FillCommit(run, otherMark, set(ctx, s, "m", "x"))
	})
	require.NoError(t, err)
	require.True(t, mark.WrittenSince("m"))
	require.False(t, otherMark.WrittenSince("m"), "another rope's mark counts none of r's writes")

	// A run of another rope's flight: a newer write of the key, which the
	// run in flight of r does not undo.
	v, err = fillWork(ctx, r, "n", func(ctx context.Context, run *flight.Run) (any, error) {
		_, err := fillWork(ctx, other, "n", func(octx context.Context, orun *flight.Run) (any, error) {
			return nil, r.FillCommit(orun, nil, set(octx, s, "n", "newer"))
		})
		require.NoError(t, err)
		return "fill", r.FillCommit(run, nil, set(ctx, s, "n", "fill"))
	})
	require.NoError(t, err)
	require.Equal(t, "fill", v)
	got, _ := get(t, s, "n")
	require.Equal(t, "newer", got)
}

// otherKey is a context key of the test's own.
type otherKey struct{}

// The function's context (Outside of the run's) carries no WriteMark
// even when the run's does: fills the function starts are not the mark's,
// while the run's own write is.
func TestOutsideHidesMark(t *testing.T) {
	ctx := context.Background()
	s := backends.NewDict()
	r := rope.New(s)
	mctx, mark := r.MarkWrites(ctx)
	_, err := r.Flight(mctx, "k", func(ctx context.Context) (any, error) {
		out := rope.Outside(ctx)
		derived := context.WithValue(out, otherKey{}, 1)
		for _, c := range []context.Context{out, derived} {
			_, err := r.Flight(c, "inner", func(ictx context.Context) (any, error) {
				return nil, r.Commit(ictx, "inner", set(ictx, s, "inner", "v"))
			})
			require.NoError(t, err)
			require.True(t, mark.WrittenSince("inner"), "the function's fill is not the mark's")
			_, mark2 := r.MarkWrites(ctx)
			rope.CopyMark(mark, mark2) // a fresh mark for the next round, same context key
		}
		return nil, r.Commit(ctx, "k", set(ctx, s, "k", "fill"))
	})
	require.NoError(t, err)
	require.False(t, mark.WrittenSince("k"), "the run's own fill is the mark's")
}
