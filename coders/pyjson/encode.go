package pyjson

import (
	"bytes"
	"cmp"
	"encoding"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/ringcache/ring/pykey"
)

var (
	marshalerType     = reflect.TypeFor[json.Marshaler]()
	textMarshalerType = reflect.TypeFor[encoding.TextMarshaler]()
	timeType          = reflect.TypeFor[time.Time]()
	numberType        = reflect.TypeFor[json.Number]()
)

// Marshal returns the bytes Python's json.dumps(value).encode() writes for
// the Python value v stands for (see the package documentation).
func Marshal(v any) ([]byte, error) {
	e := encoder{buf: make([]byte, 0, 128)}
	if err := e.value(reflect.ValueOf(v), 0); err != nil {
		return nil, err
	}
	return e.buf, nil
}

type encoder struct {
	buf []byte
}

func (e *encoder) value(v reflect.Value, depth int) error {
	if !v.IsValid() {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if depth > MaxDepth {
		return fmt.Errorf("ring: pyjson: value of type %s is nested more than %d levels deep (cyclic?)", v.Type(), MaxDepth)
	}
	t := v.Type()
	if k := t.Kind(); (k == reflect.Pointer || k == reflect.Interface) && v.IsNil() {
		e.buf = append(e.buf, "null"...)
		return nil
	}
	if t == numberType {
		// A json.Number is a number literal, as in encoding/json; a float
		// one is written as Python's repr.
		num := json.Number(v.String())
		if _, err := num.Float64(); err != nil || !json.Valid([]byte(num)) {
			return fmt.Errorf("ring: pyjson: json.Number %q is not a number", v.String())
		}
		if strings.ContainsAny(string(num), ".eE") {
			f, _ := num.Float64()
			e.buf = appendFloat(e.buf, f)
		} else {
			e.buf = append(e.buf, num...)
		}
		return nil
	}
	if t == timeType && v.CanInterface() {
		// time.Time's MarshalJSON is this string; writing it directly
		// skips re-laying its output.
		tm, _ := reflect.TypeAssert[time.Time](v)
		if y := tm.Year(); y < 0 || y > 9999 {
			return fmt.Errorf("ring: pyjson: time %v has a year outside [0,9999]", tm)
		}
		e.buf = append(e.buf, '"')
		e.buf = tm.AppendFormat(e.buf, time.RFC3339Nano)
		e.buf = append(e.buf, '"')
		return nil
	}
	if t.Implements(marshalerType) && v.CanInterface() {
		return e.marshaler(v)
	}
	if t.Kind() != reflect.Pointer && reflect.PointerTo(t).Implements(marshalerType) && v.CanAddr() && v.Addr().CanInterface() {
		return e.marshaler(v.Addr())
	}
	if t.Implements(textMarshalerType) && v.CanInterface() && t.Kind() != reflect.Interface {
		tm, _ := reflect.TypeAssert[encoding.TextMarshaler](v)
		b, err := tm.MarshalText()
		if err != nil {
			return fmt.Errorf("ring: pyjson: MarshalText of %s: %w", t, err)
		}
		return e.string(string(b), t)
	}
	switch t.Kind() {
	case reflect.Bool:
		if v.Bool() {
			e.buf = append(e.buf, "true"...)
		} else {
			e.buf = append(e.buf, "false"...)
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		e.buf = strconv.AppendInt(e.buf, v.Int(), 10)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		e.buf = strconv.AppendUint(e.buf, v.Uint(), 10)
	case reflect.Float32, reflect.Float64:
		e.buf = appendFloat(e.buf, v.Float())
	case reflect.String:
		return e.string(v.String(), t)
	case reflect.Interface, reflect.Pointer:
		return e.value(v.Elem(), depth+1)
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && !t.Elem().Implements(marshalerType) && !t.Elem().Implements(textMarshalerType) {
			return fmt.Errorf("ring: pyjson: cannot encode %s: Python's json has no bytes (json.dumps raises TypeError); use a string", t)
		}
		e.buf = append(e.buf, '[')
		for i := 0; i < v.Len(); i++ {
			if i > 0 {
				e.buf = append(e.buf, ',', ' ')
			}
			if err := e.value(v.Index(i), depth+1); err != nil {
				return err
			}
		}
		e.buf = append(e.buf, ']')
	case reflect.Map:
		return e.mapValue(v, depth)
	case reflect.Struct:
		return e.structValue(v, depth)
	default:
		return fmt.Errorf("ring: pyjson: cannot encode a value of type %s: Python's json has no %s", t, t.Kind())
	}
	return nil
}

// appendFloat writes a float as json.dumps does: repr(), and NaN,
// Infinity, -Infinity (allow_nan=True, the default).
func appendFloat(dst []byte, f float64) []byte {
	switch {
	case math.IsNaN(f):
		return append(dst, "NaN"...)
	case math.IsInf(f, 1):
		return append(dst, "Infinity"...)
	case math.IsInf(f, -1):
		return append(dst, "-Infinity"...)
	}
	return pykey.AppendFloatRepr(dst, f)
}

const hexDigits = "0123456789abcdef"

// string writes s as json.dumps does with ensure_ascii=True: `"` and `\`
// escaped, \n \r \t \b \f short, other control characters and every
// non-ASCII character as \uXXXX (a surrogate pair beyond the BMP).
func (e *encoder) string(s string, t reflect.Type) error {
	if !utf8.ValidString(s) {
		return fmt.Errorf("ring: pyjson: string of type %s is not valid UTF-8, so no Python str: %q", t, s)
	}
	e.buf = appendString(e.buf, s)
	return nil
}

func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	for _, r := range s {
		switch {
		case r == '"':
			dst = append(dst, '\\', '"')
		case r == '\\':
			dst = append(dst, '\\', '\\')
		case r == '\n':
			dst = append(dst, '\\', 'n')
		case r == '\r':
			dst = append(dst, '\\', 'r')
		case r == '\t':
			dst = append(dst, '\\', 't')
		case r == '\b':
			dst = append(dst, '\\', 'b')
		case r == '\f':
			dst = append(dst, '\\', 'f')
		case r >= ' ' && r < 0x7f:
			dst = append(dst, byte(r))
		case r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			dst = appendU(appendU(dst, r1), r2)
		default:
			dst = appendU(dst, r)
		}
	}
	return append(dst, '"')
}

func appendU(dst []byte, r rune) []byte {
	return append(dst, '\\', 'u', hexDigits[r>>12&0xf], hexDigits[r>>8&0xf], hexDigits[r>>4&0xf], hexDigits[r&0xf])
}

// marshaler re-writes what a json.Marshaler returns in Python's layout,
// keeping its object key order.
func (e *encoder) marshaler(v reflect.Value) error {
	m, _ := reflect.TypeAssert[json.Marshaler](v)
	b, err := m.MarshalJSON()
	if err != nil {
		return fmt.Errorf("ring: pyjson: MarshalJSON of %s: %w", v.Type(), err)
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var err2 error
	e.buf, err2 = relayout(e.buf, dec)
	if err2 != nil {
		return fmt.Errorf("ring: pyjson: MarshalJSON of %s returned invalid JSON: %w", v.Type(), err2)
	}
	return nil
}

// relayout copies one JSON value from dec with Python's separators.
func relayout(dst []byte, dec *json.Decoder) ([]byte, error) {
	tok, err := dec.Token()
	if err != nil {
		return dst, err
	}
	switch x := tok.(type) {
	case json.Delim:
		end := byte(']')
		if x == '{' {
			end = '}'
		}
		dst = append(dst, byte(x))
		for i := 0; dec.More(); i++ {
			if i > 0 {
				dst = append(dst, ',', ' ')
			}
			if x == '{' {
				k, err := dec.Token()
				if err != nil {
					return dst, err
				}
				dst = appendString(dst, k.(string))
				dst = append(dst, ':', ' ')
			}
			if dst, err = relayout(dst, dec); err != nil {
				return dst, err
			}
		}
		if _, err := dec.Token(); err != nil {
			return dst, err
		}
		return append(dst, end), nil
	case string:
		return appendString(dst, x), nil
	case json.Number:
		if f, err := x.Float64(); err == nil && strings.ContainsAny(string(x), ".eE") {
			return appendFloat(dst, f), nil
		}
		return append(dst, x...), nil
	case bool:
		return strconv.AppendBool(dst, x), nil
	case nil:
		return append(dst, "null"...), nil
	}
	return dst, fmt.Errorf("unexpected token %v", tok)
}

// mapValue writes a map as a dict, its keys sorted (a Go map has no
// insertion order): strings byte-wise, numbers by value.
func (e *encoder) mapValue(v reflect.Value, depth int) error {
	t := v.Type()
	kt := t.Key()
	var order func(a, b reflect.Value) int
	var key func(dst []byte, k reflect.Value) ([]byte, error)
	switch kt.Kind() {
	case reflect.String:
		order = func(a, b reflect.Value) int { return cmp.Compare(a.String(), b.String()) }
		key = func(dst []byte, k reflect.Value) ([]byte, error) {
			if !utf8.ValidString(k.String()) {
				return dst, fmt.Errorf("ring: pyjson: map key %q of type %s is not valid UTF-8", k.String(), t)
			}
			return appendString(dst, k.String()), nil
		}
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		order = func(a, b reflect.Value) int { return cmp.Compare(a.Int(), b.Int()) }
		key = func(dst []byte, k reflect.Value) ([]byte, error) {
			return append(strconv.AppendInt(append(dst, '"'), k.Int(), 10), '"'), nil
		}
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		order = func(a, b reflect.Value) int { return cmp.Compare(a.Uint(), b.Uint()) }
		key = func(dst []byte, k reflect.Value) ([]byte, error) {
			return append(strconv.AppendUint(append(dst, '"'), k.Uint(), 10), '"'), nil
		}
	case reflect.Float32, reflect.Float64:
		order = func(a, b reflect.Value) int { return cmp.Compare(a.Float(), b.Float()) }
		key = func(dst []byte, k reflect.Value) ([]byte, error) {
			return append(appendFloat(append(dst, '"'), k.Float()), '"'), nil
		}
	case reflect.Bool:
		order = func(a, b reflect.Value) int { return cmp.Compare(boolInt(a.Bool()), boolInt(b.Bool())) }
		key = func(dst []byte, k reflect.Value) ([]byte, error) {
			return append(strconv.AppendBool(append(dst, '"'), k.Bool()), '"'), nil
		}
	default:
		return fmt.Errorf("ring: pyjson: cannot encode %s: Python's json takes dict keys of str, int, float, bool and None only", t)
	}
	keys := v.MapKeys()
	slices.SortFunc(keys, order)
	e.buf = append(e.buf, '{')
	var err error
	for i, k := range keys {
		if i > 0 {
			e.buf = append(e.buf, ',', ' ')
		}
		if e.buf, err = key(e.buf, k); err != nil {
			return err
		}
		e.buf = append(e.buf, ':', ' ')
		if err = e.value(v.MapIndex(k), depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

func (e *encoder) structValue(v reflect.Value, depth int) error {
	e.buf = append(e.buf, '{')
	n := 0
	for _, f := range fieldsOf(v.Type()) {
		fv, ok := fieldByIndex(v, f.index)
		if !ok || (f.omitEmpty && fv.IsZero()) {
			continue
		}
		if n > 0 {
			e.buf = append(e.buf, ',', ' ')
		}
		n++
		e.buf = appendString(e.buf, f.name)
		e.buf = append(e.buf, ':', ' ')
		if err := e.value(fv, depth+1); err != nil {
			return err
		}
	}
	e.buf = append(e.buf, '}')
	return nil
}

// fieldByIndex follows index through embedded pointers; a nil one means
// the field is absent.
func fieldByIndex(v reflect.Value, index []int) (reflect.Value, bool) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				return v, false
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, true
}

// field is one key of a struct's dict.
type field struct {
	name      string
	index     []int
	omitEmpty bool
}

var fieldCache sync.Map // reflect.Type -> []field

// fieldsOf lists the dict keys of struct type t in declaration order: its
// exported fields named by their `json` tag (or Go name), "-" left out,
// the fields of an untagged embedded struct inlined in its place.
func fieldsOf(t reflect.Type) []field {
	if fs, ok := fieldCache.Load(t); ok {
		return fs.([]field)
	}
	fs := collectFields(t, nil, 0)
	v, _ := fieldCache.LoadOrStore(t, fs)
	return v.([]field)
}

func collectFields(t reflect.Type, prefix []int, depth int) []field {
	var out []field
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		tag := sf.Tag.Get("json")
		if tag == "-" {
			continue
		}
		name, opts, _ := strings.Cut(tag, ",")
		index := append(append([]int(nil), prefix...), i)
		if sf.Anonymous && name == "" && depth < 10 {
			ft := sf.Type
			if ft.Kind() == reflect.Pointer {
				ft = ft.Elem()
			}
			if ft.Kind() == reflect.Struct {
				out = append(out, collectFields(ft, index, depth+1)...)
				continue
			}
		}
		if !sf.IsExported() {
			continue
		}
		if name == "" {
			name = sf.Name
		}
		out = append(out, field{name: name, index: index, omitEmpty: strings.Contains(","+opts+",", ",omitempty,")})
	}
	return out
}
