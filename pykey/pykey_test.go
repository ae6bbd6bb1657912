package pykey_test

import (
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/pykey"
)

type valKey struct{ id int }

func (k valKey) RingKey() string { return "v" + string(rune('0'+k.id)) }

type ptrKey struct{ id string }

func (k *ptrKey) RingKey() string { return k.id }

type keyer interface{ RingKey() string }

// tree is recursive: a list of lists.
type tree []tree

func typed[T any](t *testing.T, v T) string {
	t.Helper()
	enc, err := pykey.Typed[T]()
	require.NoError(t, err)
	out, err := enc(nil, v)
	require.NoError(t, err)
	// The reflective encoder agrees with the typed one.
	renc, err := pykey.EncoderOf(reflect.TypeFor[T]())
	require.NoError(t, err)
	rout, err := renc(nil, reflect.ValueOf(&v).Elem())
	require.NoError(t, err)
	require.Equal(t, string(out), string(rout))
	return string(out)
}

// TestTyped pins the forms of the kinds the typed path reads directly and
// of the RingKey kinds; each is what CPython prints for the Python value.
func TestTyped(t *testing.T) {
	require.Equal(t, "a b:c", typed(t, "a b:c"))
	require.Equal(t, "True", typed(t, true))
	require.Equal(t, "-7", typed(t, int32(-7)))
	require.Equal(t, "18446744073709551615", typed(t, uint64(1<<64-1)))
	require.Equal(t, "v3", typed(t, valKey{3}))
	require.Equal(t, "p", typed(t, &ptrKey{"p"}))
	require.Equal(t, "None", typed(t, (*ptrKey)(nil)))
	require.Equal(t, "p", typed(t, ptrKey{"p"}), "a pointer method on an addressable copy")
	require.Equal(t, "None", typed[keyer](t, nil))
	require.Equal(t, "None", typed[keyer](t, (*ptrKey)(nil)))
	require.Equal(t, "v1", typed[keyer](t, valKey{1}))
	require.Equal(t, "None", typed[any](t, nil))
	require.Equal(t, "[[],[[]]]", typed(t, tree{{}, {{}}}))
	require.Equal(t, "b'\\x01a'", typed(t, [2]byte{1, 'a'}))
	require.Equal(t, "{'a','b'}", typed(t, map[string]struct{}{"b": {}, "a": {}}))
	require.Equal(t, "", typed(t, map[string]int{}))
	require.Equal(t, "()", typed(t, struct{}{}))
}

// TestRefusals: what Python refuses, or ring cannot write as Python
// does, is a *TypeError naming the type and the part at fault.
func TestRefusals(t *testing.T) {
	for _, tc := range []struct {
		typ  reflect.Type
		want string
	}{
		{reflect.TypeFor[float64](), "ring: pykey: type float64 is a float: Python Ring refuses a float argument"},
		{reflect.TypeFor[complex128](), "is a complex number"},
		{reflect.TypeFor[time.Time](), "type time.Time has no Python Ring key"},
		{reflect.TypeFor[time.Duration](), "time.Duration"},
		{reflect.TypeFor[[]map[string]int](), "type []map[string]int: element type map[string]int is a map"},
		{reflect.TypeFor[map[string]valKey](), "map value type pykey_test.valKey has RingKey"},
		{reflect.TypeFor[[]*ptrKey](), "element type *pykey_test.ptrKey has RingKey"},
		{reflect.TypeFor[map[[1]int]struct{}](), "set element type [1]int"},
		{reflect.TypeFor[chan int](), "is a chan"},
		{reflect.TypeFor[*float32](), "element type float32 is a float"},
	} {
		_, err := pykey.EncoderOf(tc.typ)
		require.ErrorIs(t, err, pykey.ErrUnsupported, tc.typ)
		require.ErrorContains(t, err, tc.want)
		var te *pykey.TypeError
		require.ErrorAs(t, err, &te)
		require.Equal(t, tc.typ, te.Type)
	}
	// Call time: an interface holding what Python refuses.
	enc, err := pykey.Typed[[]any]()
	require.NoError(t, err)
	_, err = enc(nil, []any{map[string]int{}})
	require.ErrorIs(t, err, pykey.ErrUnsupported)
	_, err = enc(nil, []any{"\xff"})
	require.ErrorContains(t, err, "not valid UTF-8")
	_, err = enc(nil, []any{valKey{1}})
	require.ErrorContains(t, err, "RingKey")
}

func TestClassName(t *testing.T) {
	require.Equal(t, "ptrKey", pykey.ClassName(reflect.TypeFor[**ptrKey]()))
	require.Equal(t, "int", pykey.ClassName(reflect.TypeFor[int]()))
	require.Equal(t, "[]int", pykey.ClassName(reflect.TypeFor[[]int]()))
}
