package pyjson_test

import (
	"encoding/json"
	"errors"
	"math"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/coders/pyjson"
)

// equalNaN is reflect.DeepEqual with NaN equal to NaN.
func equalNaN(a, b any) bool {
	switch x := a.(type) {
	case float64:
		y, ok := b.(float64)
		return ok && (x == y && math.Signbit(x) == math.Signbit(y) || math.IsNaN(x) && math.IsNaN(y))
	case []any:
		y, ok := b.([]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for i := range x {
			if !equalNaN(x[i], y[i]) {
				return false
			}
		}
		return true
	case map[string]any:
		y, ok := b.(map[string]any)
		if !ok || len(x) != len(y) {
			return false
		}
		for k, v := range x {
			if w, ok := y[k]; !ok || !equalNaN(v, w) {
				return false
			}
		}
		return true
	}
	return reflect.DeepEqual(a, b)
}

// TestPythonGolden: 300 random values (nested dicts in insertion order,
// astral and control characters, floats of every magnitude, NaN and the
// infinities, int64 bounds) and the bytes CPython's json.dumps wrote for
// them (testdata/gen_python_json.py): same bytes from Go, and Python's
// bytes decode to the value.
func TestPythonGolden(t *testing.T) {
	b, err := os.ReadFile("testdata/python-json.golden.json")
	require.NoError(t, err)
	var f struct {
		Cases []jsonCase `json:"cases"`
	}
	require.NoError(t, json.Unmarshal(b, &f))
	require.Len(t, f.Cases, 300)
	var c pyjson.Coder
	for _, jc := range f.Cases {
		v, nat := goValue(t, jc.Value)
		got, err := c.Encode(v)
		require.NoError(t, err, jc.ID)
		require.Equal(t, jc.Bytes, string(got), jc.ID)
		var back any
		require.NoError(t, c.Decode([]byte(jc.Bytes), &back), jc.ID)
		require.True(t, equalNaN(nat, back), "%s: %#v != %#v", jc.ID, nat, back)
	}
}

// TestNaNInfinity: Python writes NaN, Infinity and -Infinity (allow_nan);
// they decode to Go's NaN and infinities, into a float and an interface.
func TestNaNInfinity(t *testing.T) {
	var c pyjson.Coder
	out, err := c.Encode([]float64{math.NaN(), math.Inf(1), math.Inf(-1), 1e16, 1})
	require.NoError(t, err)
	require.Equal(t, "[NaN, Infinity, -Infinity, 1e+16, 1.0]", string(out))
	var fs []float64
	require.NoError(t, c.Decode(out, &fs))
	require.True(t, math.IsNaN(fs[0]))
	require.Equal(t, []float64{math.Inf(1), math.Inf(-1), 1e16, 1}, fs[1:])
	var a any
	require.NoError(t, c.Decode([]byte("-Infinity"), &a))
	require.Equal(t, math.Inf(-1), a)
}

// TestIntBeyondInt64: Python's ints are unbounded; one that does not fit
// its Go target is an error wrapping ErrIntRange, never a truncation.
func TestIntBeyondInt64(t *testing.T) {
	var c pyjson.Coder
	big := []byte("9223372036854775808") // 2**63
	var a any
	err := c.Decode(big, &a)
	require.ErrorIs(t, err, pyjson.ErrIntRange)
	require.ErrorContains(t, err, "9223372036854775808")
	var i int64
	require.ErrorIs(t, c.Decode(big, &i), pyjson.ErrIntRange)
	var u uint64
	require.NoError(t, c.Decode(big, &u))
	require.Equal(t, uint64(1<<63), u)
	var i8 int8
	require.ErrorIs(t, c.Decode([]byte("128"), &i8), pyjson.ErrIntRange)
	require.ErrorIs(t, c.Decode([]byte(`{"a": [1, 100000000000000000000]}`), &a), pyjson.ErrIntRange)
	// A float is no integer.
	require.ErrorContains(t, c.Decode([]byte("2.0"), &i), "cannot decode a float 2.0 into a Go value of type int64")
}

// TestEncodeRefuses: what Python's json cannot hold is an error naming
// the type.
func TestEncodeRefuses(t *testing.T) {
	var c pyjson.Coder
	_, err := c.Encode([]byte("x"))
	require.ErrorContains(t, err, "[]uint8")
	_, err = c.Encode(map[[2]int]int{})
	require.ErrorContains(t, err, "map[[2]int]int")
	_, err = c.Encode(func() {})
	require.ErrorContains(t, err, "func()")
	_, err = c.Encode("\xff")
	require.ErrorContains(t, err, "not valid UTF-8")
	var e *json.SyntaxError
	require.False(t, errors.As(err, &e))
}

// TestMaps: map keys are sorted, numbers by value, written as Python
// writes dict keys; nil containers are empty ones.
func TestMaps(t *testing.T) {
	var c pyjson.Coder
	for _, tc := range []struct {
		v    any
		want string
	}{
		{map[int]string{10: "a", 9: "b", -1: "c"}, `{"-1": "c", "9": "b", "10": "a"}`},
		{map[string]int{"b": 1, "a": 2, "é": 3}, `{"a": 2, "b": 1, "\u00e9": 3}`},
		{map[bool]int{true: 1, false: 0}, `{"false": 0, "true": 1}`},
		{map[float64]int{1.5: 1, 1: 2}, `{"1.0": 2, "1.5": 1}`},
		{[]int(nil), `[]`},
		{map[string]int(nil), `{}`},
		{(*int)(nil), `null`},
		{struct {
			B int `json:"b,omitempty"`
			A int `json:"-"`
			C int
		}{C: 3}, `{"C": 3}`},
		{float32(0.1), `0.10000000149011612`},
		{json.RawMessage(`{"z":1,"a":[1,2.50,"é"]}`), `{"z": 1, "a": [1, 2.5, "\u00e9"]}`},
	} {
		got, err := c.Encode(tc.v)
		require.NoError(t, err, "%#v", tc.v)
		require.Equal(t, tc.want, string(got))
	}
	var m map[int]string
	require.NoError(t, c.Decode([]byte(`{"-1": "c", "9": "b"}`), &m))
	require.Equal(t, map[int]string{-1: "c", 9: "b"}, m)
}

// TestRegistered: importing the package registers "pyjson".
func TestRegistered(t *testing.T) {
	cd, err := coders.Lookup("pyjson")
	require.NoError(t, err)
	require.Equal(t, "pyjson", cd.Name())
}

// TestTime: a time.Time is the string its MarshalJSON writes, and decodes
// back.
func TestTime(t *testing.T) {
	var c pyjson.Coder
	tm := time.Date(2024, 1, 2, 3, 4, 5, 6, time.UTC)
	out, err := c.Encode(struct {
		At time.Time `json:"at"`
	}{tm})
	require.NoError(t, err)
	want, _ := tm.MarshalJSON()
	require.Equal(t, `{"at": `+string(want)+`}`, string(out))
	var back struct {
		At time.Time `json:"at"`
	}
	require.NoError(t, c.Decode(out, &back))
	require.True(t, tm.Equal(back.At))
}

// TestNumber: a json.Number is a number literal both ways, so an integer
// beyond int64 can be carried without loss.
func TestNumber(t *testing.T) {
	var c pyjson.Coder
	var n []json.Number
	require.NoError(t, c.Decode([]byte(`[100000000000000000000, 2.50, 1e16]`), &n))
	require.Equal(t, []json.Number{"100000000000000000000", "2.50", "1e16"}, n)
	out, err := c.Encode(n)
	require.NoError(t, err)
	require.Equal(t, `[100000000000000000000, 2.5, 1e+16]`, string(out))
	_, err = c.Encode(json.Number("x"))
	require.ErrorContains(t, err, `json.Number "x"`)
}
