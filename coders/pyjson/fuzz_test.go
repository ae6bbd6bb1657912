package pyjson_test

import (
	"encoding/json"
	"math"
	"testing"

	"github.com/ringcache/ring/coders/pyjson"
	"github.com/ringcache/ring/internal/codertest"
)

// FuzzDecode checks that Decode of arbitrary bytes into several target
// shapes returns a value or an error and never panics, and that what
// decodes into an interface encodes and decodes back to itself
// (Python's layout is a fixed point). Seeds are the golden cases.
func FuzzDecode(f *testing.F) {
	for _, s := range []string{`{"a": [1, 2.0, null, true]}`, `"\ud83d\ude00\u00e9"`, `[NaN, Infinity, -Infinity]`,
		`9223372036854775808`, `{"id": 1, "name": "x", "tags": ["a"]}`, `"\ud800"`, `1e400`, `-0.0`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var c pyjson.Coder
		for _, target := range []any{new(codertest.Record), new(map[string]int), new([]string), new([]float64), new(*int8), new(struct{ A []any })} {
			_ = c.Decode(data, target)
		}
		var v any
		if c.Decode(data, &v) != nil {
			return
		}
		enc, err := c.Encode(v)
		if err != nil {
			t.Fatalf("decoded %#v does not encode: %v", v, err)
		}
		var back any
		if err := c.Decode(enc, &back); err != nil {
			t.Fatalf("%s does not decode: %v", enc, err)
		}
		if !equalNaN(v, back) {
			t.Fatalf("%#v came back as %#v", v, back)
		}
		if enc2, _ := c.Encode(back); string(enc2) != string(enc) {
			t.Fatalf("not a fixed point: %s then %s", enc, enc2)
		}
		// Valid JSON without NaN or Infinity is also valid for Go.
		if !containsNonFinite(v) && !json.Valid(enc) {
			t.Fatalf("%s is not valid JSON", enc)
		}
	})
}

func containsNonFinite(v any) bool {
	switch x := v.(type) {
	case float64:
		return math.IsNaN(x) || math.IsInf(x, 0)
	case []any:
		for _, e := range x {
			if containsNonFinite(e) {
				return true
			}
		}
	case map[string]any:
		for _, e := range x {
			if containsNonFinite(e) {
				return true
			}
		}
	}
	return false
}
