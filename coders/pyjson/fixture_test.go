package pyjson_test

import (
	"encoding/json"
	"math"
	"os"
	"reflect"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/coders/pyjson"
)

type jsonCase struct {
	ID    string          `json:"id"`
	Value json.RawMessage `json:"value"`
	Bytes string          `json:"bytes"`
}

func loadJSONCases(t *testing.T) []jsonCase {
	t.Helper()
	b, err := os.ReadFile("../../testdata/python-ring-0.10.1.json")
	require.NoError(t, err)
	var f struct {
		JSON []jsonCase `json:"json"`
	}
	require.NoError(t, json.Unmarshal(b, &f))
	return f.JSON
}

// goValue builds the Go value a fixture tag stands for: a dict becomes a
// struct whose fields are the dict's keys in insertion order (json tags),
// a list a []any, a tuple an [N]any. natural is what decoding Python's
// bytes into an interface gives: dicts as map[string]any, tuples as []any.
func goValue(t *testing.T, raw json.RawMessage) (v any, natural any) {
	t.Helper()
	var tag map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &tag))
	for k, x := range tag {
		switch k {
		case "int":
			var i int64
			require.NoError(t, json.Unmarshal(x, &i))
			return i, i
		case "float":
			var f float64
			switch string(x) {
			case `"nan"`:
				f = math.NaN()
			case `"inf"`:
				f = math.Inf(1)
			case `"-inf"`:
				f = math.Inf(-1)
			default:
				require.NoError(t, json.Unmarshal(x, &f))
			}
			return f, f
		case "str":
			var s string
			require.NoError(t, json.Unmarshal(x, &s))
			return s, s
		case "bool":
			var b bool
			require.NoError(t, json.Unmarshal(x, &b))
			return b, b
		case "none":
			return nil, nil
		case "list", "tuple":
			var elems []json.RawMessage
			require.NoError(t, json.Unmarshal(x, &elems))
			vals, nat := make([]any, len(elems)), make([]any, len(elems))
			for i, e := range elems {
				vals[i], nat[i] = goValue(t, e)
			}
			if k == "list" {
				return vals, nat
			}
			arr := reflect.New(reflect.ArrayOf(len(vals), reflect.TypeFor[any]())).Elem()
			for i, e := range vals {
				if e != nil {
					arr.Index(i).Set(reflect.ValueOf(e))
				}
			}
			return arr.Interface(), nat
		case "dict":
			var pairs [][2]json.RawMessage
			require.NoError(t, json.Unmarshal(x, &pairs))
			fields := make([]reflect.StructField, len(pairs))
			vals := make([]any, len(pairs))
			nat := map[string]any{}
			for i, p := range pairs {
				key, _ := goValue(t, p[0])
				var n any
				vals[i], n = goValue(t, p[1])
				nat[key.(string)] = n
				ft := reflect.TypeFor[any]()
				fields[i] = reflect.StructField{Name: "F" + strconv.Itoa(i), Type: ft, Tag: reflect.StructTag(`json:` + strconv.Quote(key.(string)))}
			}
			sv := reflect.New(reflect.StructOf(fields)).Elem()
			for i, e := range vals {
				if e != nil {
					sv.Field(i).Set(reflect.ValueOf(e))
				}
			}
			return sv.Interface(), nat
		}
	}
	t.Fatalf("unknown tag %s", raw)
	return nil, nil
}

// TestPythonFixture: for every json case Python Ring 0.10.1 stored, the
// Go value encodes to the same bytes, and Python's bytes decode back to
// the value.
func TestPythonFixture(t *testing.T) {
	cases := loadJSONCases(t)
	require.Len(t, cases, 37)
	var c pyjson.Coder
	for _, jc := range cases {
		t.Run(jc.ID, func(t *testing.T) {
			v, nat := goValue(t, jc.Value)
			got, err := c.Encode(v)
			require.NoError(t, err)
			require.Equal(t, jc.Bytes, string(got))

			var back any
			require.NoError(t, c.Decode([]byte(jc.Bytes), &back))
			require.Equal(t, nat, back)
		})
	}
}

// TestPythonFixtureTyped decodes the fixture's record into a struct, and
// its list with 2.0 into typed and untyped targets.
func TestPythonFixtureTyped(t *testing.T) {
	type item struct {
		SKU   string   `json:"sku"`
		Qty   int      `json:"qty"`
		Name  string   `json:"name"`
		Ratio float64  `json:"ratio"`
		Tags  []string `json:"tags"`
	}
	cases := loadJSONCases(t)
	var c pyjson.Coder
	var it item
	require.NoError(t, c.Decode([]byte(cases[0].Bytes), &it))
	require.Equal(t, item{"apple", 3, "café", 0.5, []string{"a", "b"}}, it)
	out, err := c.Encode(it)
	require.NoError(t, err)
	require.Equal(t, cases[0].Bytes, string(out), "struct field order is the dict's insertion order")

	var l []any
	require.NoError(t, c.Decode([]byte(cases[1].Bytes), &l))
	require.Equal(t, []any{int64(1), 2.0, nil, true}, l)
	require.IsType(t, float64(0), l[1], "2.0 decodes as a float")
	var fs []*float64
	require.NoError(t, c.Decode([]byte("[1, 2.0, null]"), &fs))
	require.Equal(t, 2.0, *fs[1])
	require.Nil(t, fs[2])
}
