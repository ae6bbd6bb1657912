package ringkey_test

import (
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/descriptor"
	"github.com/ringcache/ring/ringkey"
)

type rkName string

type rkValue struct{ ID int }

func (rkValue) RingKey() string { return "self" }

type rkPointer struct{ ID int }

func (*rkPointer) RingKey() string { return "self" }

// rkNamed's RingKey returns a named string type: not RingKey() string.
type rkNamed struct{ ID int }

func (rkNamed) RingKey() rkName { return "self" }

type rkIface interface{ RingKey() string }

// TestRingKeyerIsDescriptorsCheck: a type is keyed by its RingKey exactly
// when descriptor says it has RingKey() string (on it, or only on its
// pointer), the check Describe applies to a receiver, so the two never
// disagree.
func TestRingKeyerIsDescriptorsCheck(t *testing.T) {
	for _, v := range []any{rkValue{1}, &rkValue{1}, rkPointer{1}, &rkPointer{1}, rkNamed{1}, &rkNamed{1}, []rkValue{{1}}} {
		typ := reflect.TypeOf(v)
		enc, err := ringkey.EncoderOf(typ)
		require.NoError(t, err, "%v", typ)
		got, err := enc(nil, reflect.ValueOf(v))
		require.NoError(t, err)
		self := descriptor.HasRingKey(typ) || descriptor.PointerHasRingKey(typ)
		require.Equal(t, self, string(got) == "self", "%v: %q", typ, got)
	}
	var i rkIface = &rkPointer{2}
	enc, err := ringkey.EncoderOf(reflect.TypeFor[rkIface]())
	require.NoError(t, err)
	got, err := enc(nil, reflect.ValueOf(&i).Elem())
	require.NoError(t, err)
	require.Equal(t, "self", string(got))
	require.True(t, descriptor.HasRingKey(reflect.TypeFor[rkIface]()))

	// descriptor's check and RingKeyer are the same method set both ways,
	// so the encoders' assertions to RingKeyer hold for what it accepts.
	require.True(t, descriptor.HasRingKey(reflect.TypeFor[ringkey.RingKeyer]()))
	require.True(t, reflect.TypeFor[rkValue]().Implements(reflect.TypeFor[ringkey.RingKeyer]()))
	require.False(t, reflect.TypeFor[rkNamed]().Implements(reflect.TypeFor[ringkey.RingKeyer]()))

	// The typed encoders agree.
	named, err := ringkey.Typed[rkNamed]()
	require.NoError(t, err)
	got, err = named(nil, rkNamed{1})
	require.NoError(t, err)
	require.NotEqual(t, "self", string(got))
	ptr, err := ringkey.Typed[rkPointer]()
	require.NoError(t, err)
	got, err = ptr(nil, rkPointer{1})
	require.NoError(t, err)
	require.Equal(t, "self", string(got))
}
