package wire_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/wire"
)

type bytesStore struct{ backends.Dummy }

func (bytesStore) Bytes() bool { return true }

func TestNewRopeChecks(t *testing.T) {
	_, err := wire.NewRope(wire.Config{Name: "f"})
	require.EqualError(t, err, "ring: f: no storage")
	_, err = wire.NewRope(wire.Config{Name: "f", Storage: backends.NewDict(), Expire: -time.Second})
	require.EqualError(t, err, "ring: f: negative expiry -1s")
	_, err = wire.NewRope(wire.Config{Name: "f", Storage: bytesStore{}})
	require.ErrorContains(t, err, "backend dummy stores bytes: choose a coder")
	_, err = wire.NewRope(wire.Config{Name: "f", Storage: bytesStore{}, Coder: coders.JSON{}})
	require.ErrorContains(t, err, "coder json without a decode target")
}

func TestOpAndDefault(t *testing.T) {
	ctx := context.Background()
	var events []wire.Event
	r, err := wire.NewRope(wire.Config{
		Name: "f", Storage: backends.NewDict(), Coder: coders.JSON{},
		Decode: func(b []byte) (any, error) {
			var s string
			err := coders.JSON{}.Decode(b, &s)
			return s, err
		},
		OnError: func(e wire.Event) { events = append(events, e) },
	})
	require.NoError(t, err)
	runs := 0
	op := wire.NewOp(r, "k", func(context.Context) (any, error) { runs++; return "fresh", nil })
	d := wire.Default{}

	v, err := d.GetOrUpdate(ctx, op)
	require.NoError(t, err)
	require.Equal(t, "fresh", v)
	v, ok, err := d.Get(ctx, op)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "fresh", v)
	require.Equal(t, 1, runs)

	// Entries of a strategy's own, with their own expiry.
	require.NoError(t, op.StoreTTL(ctx, "k:back", "backup", 0))
	v, ok, _ = op.Load(ctx, "k:back")
	require.True(t, ok)
	require.Equal(t, "backup", v)
	require.NoError(t, op.Delete(ctx, "k:back"))
	_, ok, _ = op.Load(ctx, "k:back")
	require.False(t, ok)

	// Stored bytes that do not decode are a miss, reported.
	require.NoError(t, r.Storage().Set(ctx, "k", []byte("{"), 0))
	_, ok, err = d.Get(ctx, op)
	require.NoError(t, err)
	require.False(t, ok)
	require.Len(t, events, 1)
	require.Equal(t, "decode", events[0].Op)
	require.Contains(t, events[0].Error(), `ring: f: decode "k": `)
	require.NotNil(t, errors.Unwrap(events[0]))

	require.NoError(t, d.Delete(ctx, op))
	ok, err = d.Has(ctx, op)
	require.NoError(t, err)
	require.False(t, ok)
	require.NoError(t, d.Set(ctx, op, "set"))
	require.ErrorIs(t, d.Touch(ctx, op), wire.ErrNoExpiry, "the rope has no expiry")
	v, err = d.Execute(ctx, op)
	require.NoError(t, err)
	require.Equal(t, "fresh", v)
	v, err = d.Update(ctx, op)
	require.NoError(t, err)
	require.Equal(t, "fresh", v)
	require.Equal(t, 3, runs)
}

// A WriteMark counts the writes of a key's stripe since it was made, not
// the fills made under its own context.
func TestWriteMark(t *testing.T) {
	ctx := context.Background()
	r, err := wire.NewRope(wire.Config{Name: "f", Storage: backends.NewDict()})
	require.NoError(t, err)
	mctx, mark := r.MarkWrites(ctx)
	require.False(t, mark.WrittenSince("k"))

	// A fill under the mark's context is the mark's own.
	_, err = r.Flight(mctx, "k", func(ctx context.Context) (any, error) {
		return nil, r.Store(ctx, "k", "own")
	})
	require.NoError(t, err)
	require.False(t, mark.WrittenSince("k"), "the mark's own fill")

	// A fill under another context, and a plain write, count.
	_, err = r.Flight(ctx, "k", func(ctx context.Context) (any, error) {
		return nil, r.Store(ctx, "k", "other")
	})
	require.NoError(t, err)
	require.True(t, mark.WrittenSince("k"))

	_, mark = r.MarkWrites(ctx)
	require.NoError(t, r.Remove(ctx, "k"))
	require.True(t, mark.WrittenSince("k"))
	_, mark = r.MarkWrites(ctx)
	require.NoError(t, r.Write([]string{"k"}, func() error { return nil }))
	require.True(t, mark.WrittenSince("k"))
	_, mark = r.MarkWrites(ctx)
	require.NoError(t, r.WriteAll(func() error { return nil }))
	require.True(t, mark.WrittenSince("k"))
}

// A write made while a fill of the same key is in flight wins: the fill's
// Store under the run's context is skipped.
func TestFillSkipsAfterNewerWrite(t *testing.T) {
	ctx := context.Background()
	r, err := wire.NewRope(wire.Config{Name: "f", Storage: backends.NewDict(), Expire: time.Minute})
	require.NoError(t, err)
	for _, write := range []func() error{
		func() error { return r.Store(ctx, "k", "newer") },
		func() error { return r.StoreMany(ctx, []string{"k"}, []any{"newer"}) },
		func() error {
			return r.Write([]string{"k"}, func() error { return r.Storage().Set(ctx, "k", "newer", 0) })
		},
	} {
		v, err := r.Flight(ctx, "k", func(ctx context.Context) (any, error) {
			require.NoError(t, write())
			return "fill", r.Store(ctx, "k", "fill")
		})
		require.NoError(t, err)
		require.Equal(t, "fill", v, "the fill's callers get its result")
		got, ok, err := r.Hit(ctx, "k")
		require.NoError(t, err)
		require.True(t, ok)
		require.Equal(t, "newer", got)
	}
	// Remove and RemoveMany, likewise.
	for _, del := range []func() error{
		func() error { return r.Remove(ctx, "k") },
		func() error { return r.RemoveMany(ctx, []string{"k"}) },
		func() error { return r.WriteAll(func() error { return r.Storage().Delete(ctx, "k") }) },
	} {
		_, err := r.Flight(ctx, "k", func(ctx context.Context) (any, error) {
			require.NoError(t, del())
			return "fill", r.Store(ctx, "k", "fill")
		})
		require.NoError(t, err)
		_, ok, err := r.Hit(ctx, "k")
		require.NoError(t, err)
		require.False(t, ok)
	}
	// Touch needs an expiry.
	require.NoError(t, r.Touch(ctx, "k"))
	require.NoError(t, r.TouchMany(ctx, []string{"k"}))
}
