package ring_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// TestUntypedViewSubFunctions drives every sub-function of the untyped
// view, where each is documented, against the typed ring it comes from:
// both see the same entries, and each does what docs/subfunctions.md says.
func TestUntypedViewSubFunctions(t *testing.T) {
	ctx := context.Background()
	var runs counter
	typed := ring.Must(ring.Func1(func(_ context.Context, n int) (string, error) {
		runs.add()
		return "v" + strconv.Itoa(n), nil
	}, ring.KeyPrefix("views"), ring.Expire(time.Minute), ring.Coder("json")))
	u := typed.Untyped()

	v, err := u.Execute(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "v1", v)
	has, err := u.Has(ctx, 1)
	require.NoError(t, err)
	require.False(t, has, "Execute writes nothing")

	v, err = u.Update(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "v1", v)
	has, err = u.Has(ctx, 1)
	require.NoError(t, err)
	require.True(t, has, "Update writes")
	got, found, err := typed.Get(ctx, 1)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "v1", got, "the typed ring reads what the untyped view wrote")

	require.NoError(t, u.Touch(ctx, 1))
	require.NoError(t, u.Delete(ctx, 1))
	has, err = u.Has(ctx, 1)
	require.NoError(t, err)
	require.False(t, has, "Delete removed it")
	require.NoError(t, u.Delete(ctx, 1), "deleting what is absent is no error")

	require.NoError(t, u.Set(ctx, "set", 2))
	key, err := u.Key(2)
	require.NoError(t, err)
	raw, found, err := u.Storage().Get(ctx, key)
	require.NoError(t, err)
	require.True(t, found)
	decoded, err := u.Decode(raw.([]byte))
	require.NoError(t, err)
	require.Equal(t, "set", decoded, "Decode reads the stored bytes into the function's result type")
	_, err = u.Decode([]byte("{not json"))
	require.Error(t, err)
	require.Same(t, typed.Cache().Storage(), u.Storage(), "one storage under both views")
	require.Equal(t, "json", typed.Cache().Coder().Name())

	// Wrong arguments are errors of the view, never a panic.
	_, err = u.Execute(ctx, "one")
	require.ErrorContains(t, err, "got string, want int")
	require.ErrorContains(t, u.Touch(ctx), "got 0 arguments")
	require.EqualValues(t, 2, runs.get(), "Execute and Update ran the function; nothing else did")
}

type viewUser struct{ ID int }

func (u *viewUser) RingKey() string { return strconv.Itoa(u.ID) }

func (u *viewUser) Name(context.Context) (string, error) { return "user" + strconv.Itoa(u.ID), nil }

func (u *viewUser) Greet(_ context.Context, greeting string) (string, error) {
	return greeting + " user" + strconv.Itoa(u.ID), nil
}

func (u *viewUser) Pair(_ context.Context, a, b int) (string, error) {
	return strconv.Itoa(u.ID) + ":" + strconv.Itoa(a+b), nil
}

// TestMethodRingViews: each method ring's Cache and Untyped views are over
// the same entries as its Call and its wires.
func TestMethodRingViews(t *testing.T) {
	ctx := context.Background()
	u := &viewUser{ID: 7}
	shared := backends.NewDict()

	name := ring.Must(ring.Property((*viewUser).Name, ring.Storage(shared), ring.KeyPrefix("name")))
	v, err := name.Call(u, ctx)
	require.NoError(t, err)
	require.Equal(t, "user7", v)
	cached, found, err := name.Cache().Get(ctx, "7")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "user7", cached)
	any0, found, err := name.Untyped().Get(ctx, u)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "user7", any0)

	greet := ring.Must(ring.Method1((*viewUser).Greet, ring.Storage(shared), ring.KeyPrefix("greet")))
	_, err = greet.Call(u, ctx, "hi")
	require.NoError(t, err)
	cached, found, err = greet.Cache().Get(ctx, "7:hi")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "hi user7", cached)
	got, err := greet.Bind(u).Execute(ctx, "yo")
	require.NoError(t, err)
	require.Equal(t, "yo user7", got)

	pair := ring.Must(ring.Method2((*viewUser).Pair, ring.Storage(shared), ring.KeyPrefix("pair")))
	_, err = pair.Call(u, ctx, 1, 2)
	require.NoError(t, err)
	cached, found, err = pair.Cache().Get(ctx, "7:1:2")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "7:3", cached)
	has, err := pair.Untyped().Has(ctx, u, 1, 2)
	require.NoError(t, err)
	require.True(t, has)
	has, err = pair.Untyped().Has(ctx, &viewUser{ID: 8}, 1, 2)
	require.NoError(t, err)
	require.False(t, has, "another receiver, another entry")
}
