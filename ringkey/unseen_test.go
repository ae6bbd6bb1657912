package ringkey_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/ringkey"
)

// Types whose structural hash would not see every field.
type (
	query struct {
		sku  string
		page int
	}
	innerHidden struct {
		X int
		y string
	}
	nestedHidden struct {
		Name string
		In   innerHidden
	}
	viaPtr   struct{ P *innerHidden }
	viaSlice struct{ S []innerHidden }
	viaMap   struct{ M map[string]innerHidden }
	viaKey   struct{ M map[innerHidden]int }
	viaArray struct{ A [2]innerHidden }
	embedded struct {
		innerHidden
		Z int
	}
	optedOut struct {
		A      int
		secret string `hash:"-"`
		Cache  []byte `hash:"ignore"`
	}
	blank struct {
		A int
		_ int64
	}
	// hashedSelf controls its own hash: trusted, like RingKey.
	hashedSelf struct{ v int }
)

func (h hashedSelf) Hash() (uint64, error) { return uint64(h.v), nil }

// The unexported fields exist to be unseen.
var _ = []any{query{page: 1}, innerHidden{y: ""}}

func unseenHint(t string) string {
	return " (" + t + " has no RingKey or String method, so it is keyed by a structural hash (hashstructure), which sees only exported fields: " +
		"give " + t + " a RingKey() string or String() string method, or key by a value that has one)"
}

// refusedCases are the types and values a key refuses because the
// structural hash would not see all of them. query{sku, page} used to key
// every value to one constant, and so did every errors.New value in an any
// or error parameter.
func refusedCases() []struct {
	name string
	err  func() error
} {
	dyn := func(v any) func() error {
		return func() error {
			f, err := ringkey.Typed[any]()
			if err != nil {
				return err
			}
			_, err = f(nil, v)
			return err
		}
	}
	return []struct {
		name string
		err  func() error
	}{
		{"only-unexported", typedErr[query]},
		{"nested", typedErr[nestedHidden]},
		{"through-pointer", typedErr[viaPtr]},
		{"through-slice", typedErr[viaSlice]},
		{"through-map-value", typedErr[viaMap]},
		{"through-map-key", typedErr[viaKey]},
		{"through-array", typedErr[viaArray]},
		{"embedded-unexported-type", typedErr[embedded]},
		{"blank-field", typedErr[blank]},
		{"slice-of-structs", typedErr[[]query]},
		{"pointer", typedErr[*query]},
		{"any/errors.New", dyn(errors.New("a"))},
		{"any/fmt.Errorf", dyn(fmt.Errorf("w: %w", errors.New("a")))},
		{"any/struct", dyn(query{sku: "a"})},
		{"any/in-slice", dyn([]any{1, query{sku: "a"}})},
		{"interface-field/errors.New", dyn(Any{V: errors.New("a")})},
		{"interface-field/nested", dyn(Any{V: []any{1, &query{sku: "a"}}})},
		{"interface-field/func", dyn(Any{V: func() {}})},
	}
}

// TestGoldenRefused pins the refusals and their messages in
// testdata/golden/refused.golden (rewrite it with -update).
func TestGoldenRefused(t *testing.T) {
	var out bytes.Buffer
	for _, tc := range refusedCases() {
		err := tc.err()
		require.Error(t, err, tc.name)
		var te *ringkey.TypeError
		require.ErrorAs(t, err, &te, tc.name)
		fmt.Fprintf(&out, "%s\t%s\n", tc.name, err)
	}
	path := filepath.Join("testdata", "golden", "refused.golden")
	if *update {
		require.NoError(t, os.WriteFile(path, out.Bytes(), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./ringkey -run TestGoldenRefused -update to create it")
	require.Equal(t, string(want), out.String(), "rerun with -update if the change is intended")
}

// TestUnseenMessage checks one refusal in full: it names the unseen field
// with its path and suggests RingKey() or String().
func TestUnseenMessage(t *testing.T) {
	require.EqualError(t, typedErr[viaMap](), "ring: type ringkey_test.viaMap is not keyable: field M type map[string]ringkey_test.innerHidden: "+
		"map value type ringkey_test.innerHidden: field y type string is unexported, so the structural hash would not see it"+unseenHint("ringkey_test.viaMap"))
}

// TestUnseenExceptions pins what stays keyable: the explicit hash:"-" and
// hash:"ignore" opt-outs (also on unexported fields), a type that hashes
// itself (hashstructure.Hashable), and RingKey or String on the struct.
func TestUnseenExceptions(t *testing.T) {
	f, err := ringkey.Typed[optedOut]()
	require.NoError(t, err)
	a, err := f(nil, optedOut{A: 1, secret: "x", Cache: []byte("a")})
	require.NoError(t, err)
	b, err := f(nil, optedOut{A: 1, secret: "y", Cache: []byte("b")})
	require.NoError(t, err)
	require.Equal(t, string(a), string(b), "opted-out fields are not in the key, as documented")
	c, err := f(nil, optedOut{A: 2})
	require.NoError(t, err)
	require.NotEqual(t, string(a), string(c))

	h, err := ringkey.Typed[hashedSelf]()
	require.NoError(t, err)
	x, err := h(nil, hashedSelf{v: 1})
	require.NoError(t, err)
	y, err := h(nil, hashedSelf{v: 2})
	require.NoError(t, err)
	require.NotEqual(t, string(x), string(y))
}

// TestUnseenDynamic: inside an interface-typed parameter the same check
// runs at call time, per dynamic type. Every errors.New value used to key
// to one constant.
func TestUnseenDynamic(t *testing.T) {
	for _, name := range []string{"any", "error"} {
		t.Run(name, func(t *testing.T) {
			var enc func(v error) ([]byte, error)
			if name == "any" {
				f := mustTyped[any](t)
				enc = func(v error) ([]byte, error) { return f(nil, v) }
			} else {
				f := mustTyped[error](t)
				enc = func(v error) ([]byte, error) { return f(nil, v) }
			}
			for i := 0; i < 3; i++ { // the second and third runs hit the cache
				_, err := enc(errors.New("a"))
				require.EqualError(t, err, "ring: type *errors.errorString is not keyable: element type errors.errorString: field s type string"+
					" is unexported, so the structural hash would not see it"+unseenHint("errors.errorString"))
			}
			_, err := enc(fmt.Errorf("w: %w", errors.New("a")))
			require.ErrorContains(t, err, "ring: type *fmt.wrapError is not keyable: element type fmt.wrapError: field msg type string is unexported")
			// A keyable error type still works, and nil is \N.
			b, err := enc(keyedErr("x:y"))
			require.NoError(t, err)
			require.Equal(t, `ringkey_test.keyedErr(x\:y)`, string(b))
			b, err = enc(nil)
			require.NoError(t, err)
			require.Equal(t, `\N`, string(b))
		})
	}
	// Untyped encoders agree.
	e, err := ringkey.EncoderOf(reflect.TypeFor[error]())
	require.NoError(t, err)
	_, err = e(nil, reflect.ValueOf(errors.New("b")))
	require.ErrorContains(t, err, "field s type string is unexported")

	// Behind an interface field of a hashed struct.
	f := mustTyped[Any](t)
	_, err = f(nil, Any{V: errors.New("a")})
	require.EqualError(t, err, "ring: type ringkey_test.Any is not keyable: a value of dynamic type *errors.errorString: element type errors.errorString: "+
		"field s type string is unexported, so the structural hash would not see it"+unseenHint("ringkey_test.Any"))
	_, err = f(nil, Any{V: []any{1, query{sku: "a"}}})
	require.ErrorContains(t, err, "a value of dynamic type ringkey_test.query: field sku type string is unexported")
	k1, err := f(nil, Any{V: Query{Table: "a"}})
	require.NoError(t, err)
	k2, err := f(nil, Any{V: Query{Table: "b"}})
	require.NoError(t, err)
	require.NotEqual(t, string(k1), string(k2))
}

// keyedErr is an error type a key can see: a named string.
type keyedErr string

func (e keyedErr) Error() string { return string(e) }

// BenchmarkUnseenDynamic measures the call-time check of a hashed struct
// with an interface field: one map lookup per interface value.
func BenchmarkUnseenDynamic(b *testing.B) {
	f, err := ringkey.Typed[Any]()
	if err != nil {
		b.Fatal(err)
	}
	v := Any{V: Query{Table: "a"}}
	b.ReportAllocs()
	var dst []byte
	for b.Loop() {
		if dst, err = f(dst[:0], v); err != nil {
			b.Fatal(err)
		}
	}
}
