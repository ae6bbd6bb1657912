package pykey_test

import (
	"encoding/hex"
	"encoding/json"
	"math"
	"os"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/pykey"
)

// goValue is the Go value of a tagged Python value, by the package's
// mapping: int -> int64, list -> []any, tuple -> [N]any, bytes -> []byte,
// dict of str keys -> map[string]any, set -> map[string]struct{} or
// map[int64]struct{}.
func goValue(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	var tag map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &tag))
	for k, x := range tag {
		switch k {
		case "int":
			var i int64
			require.NoError(t, json.Unmarshal(x, &i))
			return i
		case "str":
			var s string
			require.NoError(t, json.Unmarshal(x, &s))
			return s
		case "bool":
			var b bool
			require.NoError(t, json.Unmarshal(x, &b))
			return b
		case "none":
			return nil
		case "float":
			switch string(x) {
			case `"nan"`:
				return math.NaN()
			case `"inf"`:
				return math.Inf(1)
			case `"-inf"`:
				return math.Inf(-1)
			}
			var f float64
			require.NoError(t, json.Unmarshal(x, &f))
			return f
		case "bytes":
			var h string
			require.NoError(t, json.Unmarshal(x, &h))
			b, err := hex.DecodeString(h)
			require.NoError(t, err)
			return b
		case "list", "tuple", "set":
			var elems []json.RawMessage
			require.NoError(t, json.Unmarshal(x, &elems))
			vals := make([]any, len(elems))
			for i, e := range elems {
				vals[i] = goValue(t, e)
			}
			switch k {
			case "list":
				return vals
			case "tuple":
				arr := reflect.New(reflect.ArrayOf(len(vals), reflect.TypeFor[any]())).Elem()
				for i, v := range vals {
					if v != nil {
						arr.Index(i).Set(reflect.ValueOf(v))
					}
				}
				return arr.Interface()
			}
			if len(vals) > 0 {
				if _, ok := vals[0].(int64); ok {
					s := map[int64]struct{}{}
					for _, v := range vals {
						s[v.(int64)] = struct{}{}
					}
					return s
				}
			}
			s := map[string]struct{}{}
			for _, v := range vals {
				s[v.(string)] = struct{}{}
			}
			return s
		case "dict":
			var pairs [][2]json.RawMessage
			require.NoError(t, json.Unmarshal(x, &pairs))
			m := map[string]any{}
			for _, p := range pairs {
				m[goValue(t, p[0]).(string)] = goValue(t, p[1])
			}
			return m
		}
	}
	t.Fatalf("unknown tag %s", raw)
	return nil
}

// TestPythonGolden: 400 random arguments (nested lists and tuples,
// bytes, dicts, sets; quotes, backslashes, control, non-printable and
// astral characters, floats of every kind) and the key component CPython
// gives them through Ring 0.10.1's coerce expressions
// (testdata/gen_python_keys.py): the same component from pykey, through
// the typed and the reflective encoder.
func TestPythonGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/python-keys.golden.json")
	require.NoError(t, err)
	var f struct {
		Cases []struct {
			ID  string          `json:"id"`
			Arg json.RawMessage `json:"arg"`
			Key string          `json:"key"`
		} `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(b, &f))
	require.Len(t, f.Cases, 400)
	enc, err := pykey.Typed[any]()
	require.NoError(t, err)
	for _, c := range f.Cases {
		v := goValue(t, c.Arg)
		got, err := enc(nil, v)
		require.NoError(t, err, c.ID)
		require.Equal(t, c.Key, string(got), "%s: %#v", c.ID, v)
		renc, err := pykey.EncoderOf(reflect.TypeOf(v))
		require.NoError(t, err, c.ID)
		got, err = renc(nil, reflect.ValueOf(v))
		require.NoError(t, err, c.ID)
		require.Equal(t, c.Key, string(got), c.ID)
	}
}
