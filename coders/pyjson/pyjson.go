// Package pyjson is a coder byte-for-byte compatible with Python Ring's
// "json" coder, json.dumps(value).encode() with the standard json module
// and its defaults (ensure_ascii=True, separators ", " and ": ",
// allow_nan=True, sort_keys=False), so that a Go ring and a Python Ring
// function read each other's entries. Importing the package registers it
// in coders.Default as "pyjson":
//
//	import _ "github.com/ringcache/ring/coders/pyjson"
//	ring.Coder("pyjson")
//
// Python Ring's json coder imports ujson when the ujson package is
// installed and falls back to the standard json module otherwise. pyjson
// matches the standard module only: ujson writes no space after ',' and
// ':' and escapes '/', so with ujson installed on the Python side the bytes
// differ (each side still parses the other's JSON, except NaN and
// Infinity). Check with `python -c "import ujson"` on the Python host.
//
// # Encoding
//
//   - strings: `"` and `\` escaped, \n \r \t \b \f short, other control
//     and every non-ASCII character as \uXXXX, a surrogate pair beyond the
//     BMP ("é" is "\u00e9"). A string that is not valid UTF-8 is an
//     error (no Python str holds it).
//   - integers: decimal. floats: Python's repr(), the shortest form that
//     reads back (1.0, 0.1, 1e+16, 1e-05); NaN, Infinity and -Infinity as
//     Python writes them. A float32 is written as the float64 it converts
//     to (float32(0.1) is 0.10000000149011612), as Python sees it.
//   - structs: a dict whose keys are in field order (Python's dict
//     insertion order), named by the `json` tag (name, "-", omitempty) or
//     the field name; the fields of an untagged embedded struct are
//     inlined in its place.
//   - maps: a dict whose keys are sorted (a Go map has no insertion
//     order): strings byte-wise, numbers by value; int, float and bool
//     keys are written as Python writes them ("1", "1.5", "true").
//   - slices and arrays: a list; a nil slice is [] and a nil map {}
//     (Python has no nil list), a nil pointer or interface null.
//   - []byte is an error: Python's json has no bytes.
//   - a json.Marshaler's output is re-laid with Python's separators and
//     escapes, its key order kept; an encoding.TextMarshaler is a string.
//
// # Decoding
//
// Decoding accepts JSON and Python's NaN, Infinity and -Infinity, which
// decode to math.NaN() and ±math.Inf into a float target or an interface
// (encoding/json rejects them). Into an interface, an integer is an
// int64, a float a float64 (2.0 stays a float64), a list []any, a dict
// map[string]any. An integer that does not fit its target, or beyond
// int64 into an interface, is an error wrapping [ErrIntRange], never a
// truncation (decode into a json.Number, or a uint64 for one up to 2^64-1,
// to keep such a value); a float into an integer target is an error. A
// json.Number is written as the number it holds. Struct fields
// match dict keys exactly, then case-insensitively; unknown keys are
// ignored. A lone surrogate escape (\ud800, which Python's str can hold)
// decodes as U+FFFD.
package pyjson

import (
	"fmt"
	"reflect"

	"github.com/ringcache/ring/coders"
)

func init() {
	// Cannot fail: the name is not empty and the coder not nil.
	_ = coders.Register("pyjson", Coder{})
}

// MaxDepth is the deepest nesting that [Coder] encodes or decodes.
const MaxDepth = 10000

// Coder encodes as Python's json.dumps(value).encode() and decodes
// Python's output; see the package documentation. Its name is "pyjson".
// It is safe for concurrent use.
type Coder struct{}

// Name returns "pyjson".
func (Coder) Name() string { return "pyjson" }

// Encode returns the bytes Python's json.dumps(value).encode() writes for
// the Python value v stands for.
func (Coder) Encode(v any) ([]byte, error) { return Marshal(v) }

// Decode decodes data into target, a non-nil pointer.
func (Coder) Decode(data []byte, target any) error {
	if t := reflect.TypeOf(target); t == nil || t.Kind() != reflect.Pointer {
		return fmt.Errorf("ring: pyjson: decode target must be a non-nil pointer, got %T", target)
	}
	return Unmarshal(data, target)
}
