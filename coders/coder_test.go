package coders

import (
	"errors"
	"strings"
	"testing"

	"github.com/ringcache/ring/internal/codertest"
	"github.com/stretchr/testify/require"
)

func TestDefaultRegistry(t *testing.T) {
	// Subset: ExampleRegister adds "csv", and the external tests import
	// msgpackcoder, which adds "msgpack" (see TestRegistersMsgpack there).
	require.Subset(t, Default.Names(), []string{"bytes", "gob", "json", "string"})
	for _, n := range []string{"bytes", "gob", "json", "string"} {
		c, err := Lookup(n)
		require.NoError(t, err)
		require.Equal(t, n, c.Name())
	}
}

func TestRegistry(t *testing.T) {
	var r Registry // the zero value is ready to use
	require.Empty(t, r.Names())

	_, err := r.Lookup("json")
	require.ErrorContains(t, err, `unknown coder "json"`)

	require.ErrorContains(t, r.Register("", JSON{}), "empty name")
	require.ErrorContains(t, r.Register("x", nil), `register "x": nil coder`)

	require.NoError(t, r.Register("b", Bytes{}))
	require.NoError(t, r.Register("a", JSON{}))
	require.NoError(t, r.Register("a", Gob{})) // replaces
	require.Equal(t, []string{"a", "b"}, r.Names())
	c, err := r.Lookup("a")
	require.NoError(t, err)
	require.Equal(t, "gob", c.Name())

	_, err = r.Lookup("zzz")
	require.ErrorContains(t, err, `unknown coder "zzz" (known: [a b])`)
}

func TestFuncs(t *testing.T) {
	upper := Funcs{
		CoderName: "upper",
		EncodeFn: func(v any) ([]byte, error) {
			s, ok := v.(string)
			if !ok {
				return nil, errors.New("not a string")
			}
			return []byte(strings.ToUpper(s)), nil
		},
		DecodeFn: func(data []byte, target any) error {
			*target.(*string) = strings.ToLower(string(data))
			return nil
		},
	}
	require.Equal(t, "upper", upper.Name())
	b, err := upper.Encode("hello")
	require.NoError(t, err)
	require.Equal(t, "HELLO", string(b))
	var s string
	require.NoError(t, upper.Decode(b, &s))
	require.Equal(t, "hello", s)

	// Missing functions are errors, not nil-pointer panics.
	var empty Funcs
	empty.CoderName = "half"
	_, err = empty.Encode(1)
	require.ErrorContains(t, err, "ring: coder half: encode int: no EncodeFn")
	require.ErrorContains(t, empty.Decode(nil, &s), "ring: coder half: decode into *string: no DecodeFn")
}

func TestJSON(t *testing.T) {
	c := JSON{}
	require.Equal(t, "json", c.Name())
	_, err := c.Encode(func() {})
	require.ErrorContains(t, err, "ring: coder json: encode func()")

	b, err := c.Encode(map[string]any{"a": 1, "b": []any{"x", true, nil}})
	require.NoError(t, err)
	var got any
	require.NoError(t, c.Decode(b, &got))
	// JSON loses the Go type of interface values: numbers become float64.
	require.Equal(t, map[string]any{"a": float64(1), "b": []any{"x", true, nil}}, got)

	var r codertest.Record
	require.ErrorContains(t, c.Decode([]byte(`{"id":`), &r), "ring: coder json: decode into *codertest.Record")
	require.Error(t, c.Decode(nil, &r))
	require.Error(t, c.Decode([]byte(`{}`), r)) // not a pointer
}

func TestGob(t *testing.T) {
	c := Gob{}
	require.Equal(t, "gob", c.Name())
	_, err := c.Encode(nil)
	require.ErrorContains(t, err, "ring: coder gob: encode <nil>")
	_, err = c.Encode(make(chan int))
	require.ErrorContains(t, err, "ring: coder gob: encode chan int")

	// Interface values need registered types: an unregistered concrete type
	// inside an interface fails to encode.
	type unregistered struct{ A int }
	_, err = c.Encode(map[string]any{"k": unregistered{1}})
	require.ErrorContains(t, err, "type not registered")

	b, err := c.Encode(codertest.MakeRecord(1))
	require.NoError(t, err)
	var r codertest.Record
	require.NoError(t, c.Decode(b, &r))
	require.ErrorContains(t, c.Decode(b[:len(b)/2], &r), "ring: coder gob: decode into *codertest.Record")
	require.Error(t, c.Decode(nil, &r))
	var wrong []int
	require.Error(t, c.Decode(b, &wrong))
}

func TestBytesAndString(t *testing.T) {
	for _, c := range []Coder{Bytes{}, String{}} {
		t.Run(c.Name(), func(t *testing.T) {
			for _, v := range []any{[]byte("abc"), "abc", blob("abc"), label("abc")} {
				b, err := c.Encode(v)
				require.NoError(t, err, "%T", v)
				require.Equal(t, "abc", string(b))
			}
			_, err := c.Encode(42)
			require.ErrorContains(t, err, "ring: coder "+c.Name()+": cannot encode int")
			_, err = c.Encode(nil)
			require.ErrorContains(t, err, "cannot encode <nil>")

			data := []byte("xyz")
			var bs []byte
			require.NoError(t, c.Decode(data, &bs))
			require.Equal(t, []byte("xyz"), bs)
			data[0] = 'q' // Decode copies
			require.Equal(t, []byte("xyz"), bs)
			var s string
			require.NoError(t, c.Decode(data, &s))
			require.Equal(t, "qyz", s)
			var bl blob
			require.NoError(t, c.Decode(data, &bl))
			require.Equal(t, blob("qyz"), bl)
			var lb label
			require.NoError(t, c.Decode(data, &lb))
			require.Equal(t, label("qyz"), lb)

			var n int
			require.ErrorContains(t, c.Decode(data, &n), "ring: coder "+c.Name()+": cannot decode into *int")
			require.Error(t, c.Decode(data, nil))
			require.Error(t, c.Decode(data, s))
			// Typed nil pointers are errors, not panics.
			require.Error(t, c.Decode(data, (*string)(nil)))
			require.Error(t, c.Decode(data, (*[]byte)(nil)))
			require.Error(t, c.Decode(data, (*any)(nil)))
			require.Error(t, c.Decode(data, (*label)(nil)))

			// Empty values round-trip.
			require.NoError(t, c.Decode(nil, &s))
			require.Equal(t, "", s)
		})
	}

	// *any gets the coder's own kind.
	var a any
	require.NoError(t, Bytes{}.Decode([]byte("x"), &a))
	require.Equal(t, []byte("x"), a)
	require.NoError(t, String{}.Decode([]byte("x"), &a))
	require.Equal(t, "x", a)
}
