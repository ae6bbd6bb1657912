package rope_test

import (
	"context"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/rope"
)

// set is a fill's or a newer write's storage command.
func set(ctx context.Context, s backends.Storage, key string, v any) func() error {
	return func() error { return s.Set(ctx, key, v, 0) }
}

func get(t *testing.T, s backends.Storage, key string) (any, bool) {
	t.Helper()
	v, ok, err := s.Get(context.Background(), key)
	require.NoError(t, err)
	return v, ok
}

// A WriteMark counts the writes of a key's stripe since it was made, not
// the fills made under its own context.
func TestWriteMark(t *testing.T) {
	ctx := context.Background()
	s := backends.NewDict()
	r := rope.New(s)
	mctx, mark := r.MarkWrites(ctx)
	require.False(t, mark.WrittenSince("k"))

	// A fill under the mark's context is the mark's own.
	_, err := r.Flight(mctx, "k", func(ctx context.Context) (any, error) {
		return nil, r.Commit(ctx, "k", set(ctx, s, "k", "own"))
	})
	require.NoError(t, err)
	require.False(t, mark.WrittenSince("k"), "the mark's own fill")

	// A fill under another context, and a plain write, count.
	_, err = r.Flight(ctx, "k", func(ctx context.Context) (any, error) {
		return nil, r.Commit(ctx, "k", set(ctx, s, "k", "other"))
	})
	require.NoError(t, err)
	require.True(t, mark.WrittenSince("k"))

	_, mark = r.MarkWrites(ctx)
	require.NoError(t, r.Commit(ctx, "k", func() error { return s.Delete(ctx, "k") }))
	require.True(t, mark.WrittenSince("k"))
	_, mark = r.MarkWrites(ctx)
	require.NoError(t, r.Write([]string{"k"}, func() error { return nil }))
	require.True(t, mark.WrittenSince("k"))
	_, mark = r.MarkWrites(ctx)
	require.NoError(t, r.WriteAll(func() error { return nil }))
	require.True(t, mark.WrittenSince("k"))
	// A command that needs no ordering is no write.
	_, mark = r.MarkWrites(ctx)
	require.NoError(t, r.Unordered(func() error { return nil }))
	require.False(t, mark.WrittenSince("k"))
}

// A write made while a fill of the same key is in flight wins: the fill's
// Commit under the run's context is skipped.
func TestFillSkipsAfterNewerWrite(t *testing.T) {
	ctx := context.Background()
	s := backends.NewDict()
	r := rope.New(s)
	for _, write := range []func() error{
		func() error { return r.Commit(ctx, "k", set(ctx, s, "k", "newer")) },
		func() error { return r.Write([]string{"k"}, set(ctx, s, "k", "newer")) },
	} {
		v, err := r.Flight(ctx, "k", func(ctx context.Context) (any, error) {
			require.NoError(t, write())
			return "fill", r.Commit(ctx, "k", set(ctx, s, "k", "fill"))
		})
		require.NoError(t, err)
		require.Equal(t, "fill", v, "the fill's callers get its result")
		got, ok := get(t, s, "k")
		require.True(t, ok)
		require.Equal(t, "newer", got)
	}
	// Deletes, likewise.
	for _, del := range []func() error{
		func() error { return r.Commit(ctx, "k", func() error { return s.Delete(ctx, "k") }) },
		func() error { return r.Write([]string{"k"}, func() error { return s.Delete(ctx, "k") }) },
		func() error { return r.WriteAll(func() error { return s.Delete(ctx, "k") }) },
	} {
		_, err := r.Flight(ctx, "k", func(ctx context.Context) (any, error) {
			require.NoError(t, del())
			return "fill", r.Commit(ctx, "k", set(ctx, s, "k", "fill"))
		})
		require.NoError(t, err)
		_, ok := get(t, s, "k")
		require.False(t, ok)
	}
	// Without a newer write, the fill writes.
	_, err := r.Flight(ctx, "k", func(ctx context.Context) (any, error) {
		return "fill", r.Commit(ctx, "k", set(ctx, s, "k", "fill"))
	})
	require.NoError(t, err)
	got, ok := get(t, s, "k")
	require.True(t, ok)
	require.Equal(t, "fill", got)
}

// The wrapped function's context is outside the flight: its writes are
// newer writes of their own, which the fill does not undo, where a write
// with the run's context is the fill's.
func TestOutside(t *testing.T) {
	ctx := context.Background()
	s := backends.NewDict()
	r := rope.New(s)
	_, err := r.Flight(ctx, "k", func(ctx context.Context) (any, error) {
		out := rope.Outside(ctx)
		require.NoError(t, r.Commit(out, "k", set(out, s, "k", "function")))
		require.NoError(t, r.Commit(ctx, "k", set(ctx, s, "k", "fill")))
		return nil, nil
	})
	require.NoError(t, err)
	v, _ := get(t, s, "k")
	require.Equal(t, "function", v, "the run's own write is skipped after the function's")

	// A WriteMark does not follow the function either: its fills are not
	// the mark's.
	mctx, mark := r.MarkWrites(ctx)
	out := rope.Outside(mctx)
	_, err = r.Flight(out, "k", func(ctx context.Context) (any, error) {
		return nil, r.Commit(ctx, "k", set(ctx, s, "k", "fill"))
	})
	require.NoError(t, err)
	require.True(t, mark.WrittenSince("k"))
}

// flusher counts the FlushEvents calls the rope makes.
type flusher struct {
	*backends.Dict
	n int
}

func (f *flusher) FlushEvents() { f.n++ }

// A storage that holds back events gets them flushed after every command
// the rope runs, once its locks are released.
func TestFlushEvents(t *testing.T) {
	ctx := context.Background()
	f := &flusher{Dict: backends.NewDict()}
	r := rope.New(f)
	require.NoError(t, r.Commit(ctx, "k", func() error { return nil }))
	require.NoError(t, r.Write([]string{"k"}, func() error { return nil }))
	require.NoError(t, r.WriteAll(func() error { return nil }))
	require.NoError(t, r.Unordered(func() error { return nil }))
	require.Equal(t, 4, f.n)
}
