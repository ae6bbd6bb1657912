package descriptor_test

import (
	"context"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/descriptor"
)

type User struct{ ID int }

func (u *User) RingKey() string                                 { return "" }
func (u *User) Load(ctx context.Context, n int) (string, error) { return "", nil }
func (u *User) Name(ctx context.Context) (string, error)        { return "", nil }
func (u User) Plain(n int) int                                  { return n }

type keyless struct{}

func (*keyless) load(ctx context.Context, n int) (int, error) { return n, nil }

type Box[T any] struct{ V T }

func (b *Box[T]) RingKey() string { return "" }
func (b *Box[T]) Get() T          { return b.V }

type Shaper interface {
	Sides(ctx context.Context) (int, error)
}

func static(ctx context.Context, a string, b int) (string, error) { return "", nil }

func TestClassify(t *testing.T) {
	closure := func(a int) int { return a }
	cases := []struct {
		name       string
		fn         any
		kind       descriptor.Kind
		methodExpr bool
		closure    bool
		keys       []int // 1-based positions of key parameters
		qualified  string
	}{
		{"static", static, descriptor.Static, false, false, []int{2, 3}, "github.com/ringcache/ring/descriptor_test.static"},
		{"closure", closure, descriptor.Static, false, true, []int{1}, ""},
		{"method expression", (*User).Load, descriptor.Method, true, false, []int{1, 3}, "github.com/ringcache/ring/descriptor_test.User.Load"},
		{"property", (*User).Name, descriptor.Property, true, false, []int{1}, "github.com/ringcache/ring/descriptor_test.User.Name"},
		{"value receiver through pointer", (*User).Plain, descriptor.Method, true, false, []int{1, 2}, "github.com/ringcache/ring/descriptor_test.User.Plain"},
		{"generic receiver", (*Box[int]).Get, descriptor.Property, true, false, []int{1}, "github.com/ringcache/ring/descriptor_test.Box[int].Get"},
		{"interface method expression", Shaper.Sides, descriptor.Property, true, false, []int{1}, "github.com/ringcache/ring/descriptor_test.Shaper.Sides"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			want := descriptor.Auto
			if tc.name == "interface method expression" {
				// An interface without RingKey: only a Class can key it.
				want = descriptor.Class
			}
			s, err := descriptor.Describe(tc.fn, want)
			require.NoError(t, err)
			if want == descriptor.Auto {
				require.Equal(t, tc.kind, s.Kind)
			}
			require.Equal(t, tc.methodExpr, s.MethodExpr)
			require.Equal(t, tc.closure, s.Closure)
			var pos []int
			for _, p := range s.Keys {
				pos = append(pos, p.Pos())
			}
			require.Equal(t, tc.keys, pos)
			if tc.qualified != "" {
				require.Equal(t, tc.qualified, s.Name)
			}
			switch tc.name {
			case "interface method expression":
			case "value receiver through pointer":
				// A compiler-made wrapper: no location (finding the
				// method's would link every exported method of the
				// program); the name says which method it is.
				require.Empty(t, s.Location)
			default:
				require.Contains(t, s.Location, "descriptor_test.go:", "location names the definition")
			}
		})
	}
}

func TestShapeFacts(t *testing.T) {
	s, err := descriptor.Describe(static, descriptor.Auto)
	require.NoError(t, err)
	require.Equal(t, 0, s.Context)
	require.True(t, s.Error)
	require.Equal(t, reflect.TypeFor[string](), s.Result)
	require.Nil(t, s.Receiver)

	s, err = descriptor.Describe(func(xs ...int) int { return len(xs) }, descriptor.Auto)
	require.NoError(t, err)
	require.True(t, s.Variadic)
	require.Equal(t, -1, s.Context)
	require.False(t, s.Error)
}

func TestErrors(t *testing.T) {
	u := &User{}
	_, err := descriptor.Describe(u.Load, descriptor.Auto)
	var de *descriptor.Error
	require.True(t, errors.As(err, &de))
	require.Equal(t, "a method value hides its receiver, so the receiver cannot be part of the key", de.Reason)
	require.Equal(t, "pass the method expression (*User).Load and the receiver as the first argument "+
		"(or, to cache one fixed receiver without it in the key, wrap the call in a closure and set KeyPrefix)", de.Hint)

	// Unexported methods are recognised too, and so need a RingKey.
	s, err := descriptor.Describe((*keyless).load, descriptor.Auto)
	require.Nil(t, s)
	require.ErrorContains(t, err, "descriptor_test.keyless.load")
	require.ErrorContains(t, err, "the receiver has no RingKey() string method")
	s, err = descriptor.DescribeWith((*keyless).load, descriptor.Auto, descriptor.Options{CustomKey: true})
	require.NoError(t, err)
	require.Equal(t, descriptor.Method, s.Kind)
	require.True(t, s.MethodExpr)

	// Only *T has RingKey: the hint names the method.
	_, err = descriptor.Describe(User.Plain, descriptor.Auto)
	require.ErrorContains(t, err, "only *descriptor_test.User has RingKey(): pass the method expression on the pointer, (*User).Plain")

	_, err = descriptor.Describe(42, descriptor.Auto)
	require.EqualError(t, err, "ring: int value: not a function")

	_, err = descriptor.Describe(Shaper.Sides, descriptor.Method)
	require.ErrorContains(t, err, "add RingKey() string to the interface, or build a Class ring keyed by the dynamic type")

	_, err = descriptor.Describe(static, descriptor.Kind(99))
	require.ErrorContains(t, err, "unknown kind Kind(99)")

	e := &descriptor.Error{Func: "pkg.f", Location: "f.go:3", Pos: 2, Type: reflect.TypeFor[chan int](), Reason: "not keyable", Hint: "use an ID"}
	require.Equal(t, "ring: pkg.f (f.go:3): parameter 2 (chan int): not keyable; use an ID", e.Error())

	for k, name := range map[descriptor.Kind]string{descriptor.Auto: "auto", descriptor.Static: "static", descriptor.Method: "method", descriptor.Property: "property", descriptor.Class: "class"} {
		require.Equal(t, name, k.String())
	}
	require.True(t, strings.HasPrefix(descriptor.Kind(42).String(), "Kind("))
}
