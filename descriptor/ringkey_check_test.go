package descriptor_test

import (
	"context"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/descriptor"
)

type keyName string

// namedKey's RingKey returns a named string type: it is not RingKey()
// string, so ringkey would not call it, and Describe must not accept it.
type namedKey struct{ ID int }

func (k *namedKey) RingKey() keyName                                { return "k" }
func (k *namedKey) Load(ctx context.Context, n int) (string, error) { return "", nil }

type argKey struct{}

func (argKey) RingKey(n int) string { return "" }

type valueKey struct{}

func (valueKey) RingKey() string { return "" }

type keyedShape interface{ RingKey() string }

type namedKeyShape interface{ RingKey() keyName }

// TestHasRingKeyIsTheOneCheck pins the one "has RingKey() string" check
// that Describe applies to a receiver and ringkey to a key type.
func TestHasRingKeyIsTheOneCheck(t *testing.T) {
	for _, tc := range []struct {
		t            reflect.Type
		has, ptrOnly bool
	}{
		{reflect.TypeFor[valueKey](), true, false},
		{reflect.TypeFor[*valueKey](), true, false},
		{reflect.TypeFor[User](), false, true}, // only *User has it
		{reflect.TypeFor[*User](), true, false},
		{reflect.TypeFor[keyedShape](), true, false},
		{reflect.TypeFor[Shaper](), false, false}, // an interface: no pointer hint
		{reflect.TypeFor[namedKey](), false, false},
		{reflect.TypeFor[*namedKey](), false, false}, // RingKey() keyName is not RingKey() string
		{reflect.TypeFor[namedKeyShape](), false, false},
		{reflect.TypeFor[argKey](), false, false}, // RingKey(int) string
		{reflect.TypeFor[int](), false, false},
		{reflect.TypeFor[**User](), false, false},
	} {
		require.Equal(t, tc.has, descriptor.HasRingKey(tc.t), "HasRingKey(%v)", tc.t)
		require.Equal(t, tc.ptrOnly, descriptor.PointerHasRingKey(tc.t), "PointerHasRingKey(%v)", tc.t)
	}

	// A receiver whose RingKey returns another type is refused, as one
	// without RingKey, rather than keyed silently by a structural hash.
	_, err := descriptor.Describe((*namedKey).Load, descriptor.Auto)
	var de *descriptor.Error
	require.ErrorAs(t, err, &de)
	require.Equal(t, 1, de.Pos)
	require.Equal(t, "the receiver has no RingKey() string method, so it cannot be part of the key", de.Reason)
	require.Equal(t, "add func (*descriptor_test.namedKey) RingKey() string, or use a KeyFunc option", de.Hint)
}

// TestParamErrorCause: a *Error with no Reason writes its cause in its
// place, the cause's own "ring: " left out, and unwraps to it.
func TestParamErrorCause(t *testing.T) {
	s, err := descriptor.Describe(static, descriptor.Auto)
	require.NoError(t, err)
	cause := &descriptor.Error{Func: "inner", Reason: "bad"}
	e := s.ParamError(s.Params[1], "", cause)
	require.Equal(t, "ring: "+s.Name+" ("+s.Location+"): parameter 2 (string): inner: bad", e.Error())
	require.Same(t, cause, e.Unwrap())
	e.Hint = "fix it"
	require.Equal(t, "ring: "+s.Name+" ("+s.Location+"): parameter 2 (string): inner: bad; fix it", e.Error())
	e = s.ParamError(s.Params[2], "why", cause)
	require.Equal(t, "ring: "+s.Name+" ("+s.Location+"): parameter 3 (int): why", e.Error(), "a Reason wins over the cause")
	require.False(t, s.KeyedByType(s.Params[1]))

	c, err := descriptor.Describe((*User).Load, descriptor.Class)
	require.NoError(t, err)
	require.True(t, c.KeyedByType(c.Params[0]))
	require.False(t, c.KeyedByType(c.Params[2]))
	m, err := descriptor.Describe((*User).Load, descriptor.Method)
	require.NoError(t, err)
	require.False(t, m.KeyedByType(m.Params[0]), "a method ring keys its receiver by RingKey")
}
