package ring

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/descriptor"
	"github.com/ringcache/ring/ringkey"
)

// TestNameErrorComposes pins how a ring's error writes itself from its
// parts: the prefix and the ring's name once per line, each context once,
// a cause that names the same ring without its name, one of ring's other
// errors without its prefix, a joined cause a line per error.
func TestNameErrorComposes(t *testing.T) {
	notKeyable, err := ringkey.EncoderOf(reflect.TypeFor[chan int]())
	require.Nil(t, notKeyable)
	var te *ringkey.TypeError
	require.ErrorAs(t, err, &te)
	argErr := &ArgError{Func: "pkg.f", Pos: 1, Want: reflect.TypeFor[int](), Got: reflect.TypeFor[string]()}
	nilArg := &ArgError{Func: "pkg.f", Pos: 2, Want: reflect.TypeFor[int]()}
	countErr := &CountError{Func: "pkg.f", Got: 1, Want: 2, Params: []reflect.Type{reflect.TypeFor[int](), reflect.TypeFor[string]()}}
	shapeErr := &descriptor.Error{Func: "pkg.f", Location: "f.go:3", Pos: 2, Type: reflect.TypeFor[chan int](), Err: te}

	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"plain ring error", named("pkg.f", "", errors.New("ring: Expire(-1s): negative expiry")),
			"ring: pkg.f: Expire(-1s): negative expiry"},
		{"plain error, context", named("pkg.f", "set", errors.New("value is nil, want int")),
			"ring: pkg.f: set: value is nil, want int"},
		{"a user's error that says ring: inside", named("pkg.f", "key", errors.New("the ring: broken")),
			"ring: pkg.f: key: the ring: broken"},
		{"same ring's ArgError", named("pkg.f", "argument set 1", argErr),
			"ring: pkg.f: argument set 1: parameter 1: got string, want int"},
		{"nil argument", named("pkg.f", "argument set 0", nilArg),
			"ring: pkg.f: argument set 0: parameter 2: got nil, want int"},
		{"same ring's CountError", named("pkg.f", "argument set 4", countErr),
			"ring: pkg.f: argument set 4: got 1 arguments, want 2 [int string] (the context is passed separately)"},
		{"another ring's ArgError keeps its name", named("pkg.g", "argument set 1", argErr),
			"ring: pkg.g: argument set 1: pkg.f: parameter 1: got string, want int"},
		{"nested, same ring", named("pkg.f", "argument set 2", named("pkg.f", "key", te)),
			"ring: pkg.f: argument set 2: key: type chan int is not keyable: it is a chan"},
		{"nested, another ring", named("pkg.f", "x", named("pkg.g", "key", te)),
			"ring: pkg.f: x: pkg.g: key: type chan int is not keyable: it is a chan"},
		{"a part wrapped by fmt.Errorf is plain text", named("pkg.f", "key", fmt.Errorf("ring: open: %w", te)),
			"ring: pkg.f: key: open: ring: type chan int is not keyable: it is a chan"},
		{"shape error as a cause", named("pkg.g", "", shapeErr),
			"ring: pkg.g: pkg.f (f.go:3): parameter 2 (chan int): type chan int is not keyable: it is a chan"},
		{"joined: a line per error", named("pkg.f", "", errors.Join(errors.New("ring: Expire(-1s): negative expiry"), argErr)),
			"ring: pkg.f: Expire(-1s): negative expiry\nring: pkg.f: parameter 1: got string, want int"},
		{"joined under contexts", named("pkg.f", "argument set 3", named("pkg.f", "key", errors.Join(te, errors.New("boom")))),
			"ring: pkg.f: argument set 3: key: type chan int is not keyable: it is a chan\nring: pkg.f: argument set 3: key: boom"},
		{"joined inside joined", named("pkg.f", "c", errors.Join(errors.Join(errors.New("a"), errors.New("b")), errors.New("c"))),
			"ring: pkg.f: c: a\nring: pkg.f: c: b\nring: pkg.f: c: c"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.EqualError(t, tc.err, tc.want)
			for _, line := range strings.Split(tc.err.Error(), "\n") {
				require.True(t, strings.HasPrefix(line, "ring: "), line)
			}
		})
	}

	// The parts stay reachable, with their fields.
	err = named("pkg.f", "argument set 2", named("pkg.f", "set", argErr))
	var ae *ArgError
	require.ErrorAs(t, err, &ae)
	require.Same(t, argErr, ae)
	var ne *nameError
	require.ErrorAs(t, err, &ne)
	require.Equal(t, "pkg.f", ne.name)
	require.Equal(t, "argument set 2", ne.context)
	err = named("pkg.f", "key", fmt.Errorf("ring: backend x: %w", backends.ErrNotSupported))
	require.ErrorIs(t, err, backends.ErrNotSupported)
	require.EqualError(t, err, "ring: pkg.f: key: backend x: "+backends.ErrNotSupported.Error())
	err = named("pkg.f", "", errors.Join(errors.New("a"), te))
	require.ErrorAs(t, err, &te)
	require.Equal(t, reflect.TypeFor[chan int](), te.Type)

	// Nil stays nil; an error of the same ring without a context is
	// returned as it is, with a context it is wrapped once.
	require.NoError(t, named("pkg.f", "key", nil))
	require.Same(t, argErr, named("pkg.f", "", argErr).(*ArgError))
	inner := named("pkg.f", "key", te)
	require.Same(t, inner, named("pkg.f", "", inner))
	require.NotSame(t, inner, named("pkg.g", "", inner))
	require.Equal(t, "ring: pkg.g: pkg.f: key: type chan int is not keyable: it is a chan", named("pkg.g", "", inner).Error())
}

// TestFitsIsTheOneCheck: the untyped argument and value checks agree with
// the typed view's assertion, nil included.
func TestFitsIsTheOneCheck(t *testing.T) {
	type mySlice []int
	for _, tc := range []struct {
		v    any
		t    reflect.Type
		fits bool
	}{
		{nil, reflect.TypeFor[*int](), true},
		{nil, reflect.TypeFor[error](), true},
		{nil, reflect.TypeFor[[]int](), true},
		{nil, reflect.TypeFor[map[string]int](), true},
		{nil, reflect.TypeFor[func()](), true},
		{nil, reflect.TypeFor[chan int](), true},
		{nil, reflect.TypeFor[int](), false},
		{nil, reflect.TypeFor[string](), false},
		{nil, reflect.TypeFor[struct{}](), false},
		{1, reflect.TypeFor[int](), true},
		{1, reflect.TypeFor[int64](), false},
		{"x", reflect.TypeFor[int](), false},
		{errors.New("x"), reflect.TypeFor[error](), true},
		{1, reflect.TypeFor[error](), false},
		{1, reflect.TypeFor[any](), true},
		{[]int{1}, reflect.TypeFor[mySlice](), true}, // assignable: []int is unnamed
	} {
		require.Equal(t, tc.fits, fits(tc.v, tc.t), "%#v for %v", tc.v, tc.t)
	}
	require.EqualError(t, valueError(nil, reflect.TypeFor[int]()), "value is nil, want int")
	require.EqualError(t, valueError("x", reflect.TypeFor[int]()), "value is string, want int")
}
