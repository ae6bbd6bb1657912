package ring_test

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/descriptor"
	"github.com/ringcache/ring/ringkey"
)

// TestErrorsAsReachesParts: every error names each part once, and
// errors.As reaches the structured error under it with its fields.
func TestErrorsAsReachesParts(t *testing.T) {
	ctx := context.Background()

	// At construction: the shape error names the parameter, and the
	// keyability error under it says why.
	_, err := ring.Func1(func(ctx context.Context, c chan int) (int, error) { return 0, nil })
	var de *descriptor.Error
	require.ErrorAs(t, err, &de)
	require.Contains(t, de.Func, "TestErrorsAsReachesParts.func1")
	require.Contains(t, de.Location, "errors_test.go:")
	require.Equal(t, 2, de.Pos)
	require.Equal(t, reflect.TypeFor[chan int](), de.Type)
	require.Empty(t, de.Reason, "the cause says what is wrong")
	var te *ringkey.TypeError
	require.ErrorAs(t, err, &te)
	require.Equal(t, reflect.TypeFor[chan int](), te.Type)
	require.Empty(t, te.Path)
	require.Equal(t, "is a chan", te.Reason)
	require.Same(t, te, de.Err)
	require.EqualError(t, err, fmt.Sprintf("ring: %s (%s): parameter 2 (chan int): type chan int is not keyable: it is a chan", de.Func, de.Location))

	// The same through the untyped constructor, with a path.
	_, err = ring.New(func(ctx context.Context, fs []func()) int { return 0 })
	require.ErrorAs(t, err, &de)
	require.ErrorAs(t, err, &te)
	require.Equal(t, []string{"element type func()"}, te.Path)
	require.EqualError(t, err, fmt.Sprintf("ring: %s (%s): parameter 2 ([]func()): type []func() is not keyable: element type func() is a func", de.Func, de.Location))

	// At call time: an interface parameter holding an unkeyable value,
	// alone and in a bulk call (two contexts, the name once).
	anyArg := ring.Must(ring.New(func(v any) string { return fmt.Sprint(v) }, ring.KeyPrefix("errs-any")))
	_, err = anyArg.Call(ctx, make(chan int))
	require.EqualError(t, err, "ring: "+anyArg.Name()+": key: type chan int is not keyable: it is a chan")
	require.ErrorAs(t, err, &te)
	require.Equal(t, reflect.TypeFor[chan int](), te.Type)
	_, err = anyArg.Many().Key([][]any{{1}, {make(chan int)}})
	require.EqualError(t, err, "ring: "+anyArg.Name()+": argument set 1: key: type chan int is not keyable: it is a chan")
	require.ErrorAs(t, err, &te)

	// Untyped arguments: the ring's name once, before the argument set.
	sum := ring.Must(ring.New(func(a, b int) int { return a + b }, ring.KeyPrefix("errs-sum")))
	_, _, err = sum.Many().Get(ctx, [][]any{{1, 2}, {"x", 2}})
	require.EqualError(t, err, "ring: "+sum.Name()+": argument set 1: parameter 1: got string, want int")
	var ae *ring.ArgError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, sum.Name(), ae.Func)
	require.Equal(t, 1, ae.Pos)
	require.Equal(t, reflect.TypeFor[int](), ae.Want)
	require.Equal(t, reflect.TypeFor[string](), ae.Got)
	_, err = sum.Many().Key([][]any{{1, 2}, {1}})
	require.EqualError(t, err, "ring: "+sum.Name()+": argument set 1: got 1 arguments, want 2 [int int] (the context is passed separately)")
	var ce *ring.CountError
	require.ErrorAs(t, err, &ce)
	require.Equal(t, 1, ce.Got)
	require.Equal(t, 2, ce.Want)

	// Options: each error on a line of its own, each naming the ring.
	_, err = ring.Func1(func(ctx context.Context, n int) (int, error) { return n, nil }, ring.Expire(-time.Second), ring.Coder("nope"))
	lines := strings.Split(err.Error(), "\n")
	require.Len(t, lines, 2, err.Error())
	require.Regexp(t, `^ring: \S+TestErrorsAsReachesParts\.func\d+: Expire\(-1s\): negative expiry$`, lines[0])
	require.Regexp(t, `^ring: \S+TestErrorsAsReachesParts\.func\d+: unknown coder "nope" \(known: .*\)$`, lines[1])
}

// TestUntypedChecksAgree: the untyped view of a typed ring and a ring from
// New check arguments and values alike, with the same errors.
func TestUntypedChecksAgree(t *testing.T) {
	ctx := context.Background()
	fn := func(ctx context.Context, p *int, n int) (string, error) { return fmt.Sprint(p == nil, n), nil }
	typed := ring.Must(ring.Func2(fn, ring.KeyPrefix("errs-agree"))).Untyped()
	untyped := ring.Must(ring.New(fn, ring.KeyPrefix("errs-agree")))
	for _, u := range []*ring.Ring{typed, untyped} {
		v, err := u.Call(ctx, nil, 1)
		require.NoError(t, err, "nil for a pointer")
		require.Equal(t, "true 1", v)
		_, err = u.Call(ctx, nil, nil)
		require.EqualError(t, err, "ring: "+u.Name()+": parameter 3: got nil, want int")
		_, err = u.Call(ctx, 1, 1)
		require.EqualError(t, err, "ring: "+u.Name()+": parameter 2: got int, want *int")
		require.EqualError(t, u.Set(ctx, nil, nil, 1), "ring: "+u.Name()+": set: value is nil, want string")
		require.EqualError(t, u.Set(ctx, 1, nil, 1), "ring: "+u.Name()+": set: value is int, want string")
		require.EqualError(t, u.Many().Set(ctx, []any{"a", 2}, [][]any{{nil, 1}, {nil, 2}}), "ring: "+u.Name()+": set many: value 1: value is int, want string")
		_, err = u.Encode(nil)
		require.EqualError(t, err, "ring: "+u.Name()+": encode: value is nil, want string")
	}
}

type errsKeyName string

// errsNamedKey's RingKey returns a named string type, which the key
// encoders never call.
type errsNamedKey struct{ ID int }

func (k *errsNamedKey) RingKey() errsKeyName { return "k" }

func (k *errsNamedKey) Load(ctx context.Context, n int) (int, error) { return k.ID + n, nil }

// TestReceiverRingKeyOneCheck: a receiver is accepted exactly when its
// key is built by RingKey. A RingKey that returns a named string type used
// to pass the receiver check and then be ignored by the key encoder (the
// receiver was keyed by a structural hash of its fields).
func TestReceiverRingKeyOneCheck(t *testing.T) {
	_, err := ring.Method1((*errsNamedKey).Load)
	var de *descriptor.Error
	require.ErrorAs(t, err, &de)
	require.Equal(t, 1, de.Pos)
	require.ErrorContains(t, err, "parameter 1 (*ring_test.errsNamedKey): the receiver has no RingKey() string method, so it cannot be part of the key; add func (*ring_test.errsNamedKey) RingKey() string, or use a KeyFunc option")
	r, err := ring.Method1((*errsNamedKey).Load, ring.KeyFunc(func(args ...any) string { return "custom" }))
	require.NoError(t, err, "a KeyFunc still lifts the need")
	k, err := r.Bind(&errsNamedKey{ID: 1}).Key(2)
	require.NoError(t, err)
	require.True(t, strings.HasSuffix(k, ":custom"), k)
}
