package pyjson

import (
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

var (
	unmarshalerType     = reflect.TypeFor[json.Unmarshaler]()
	textUnmarshalerType = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// node is one parsed JSON value, with its span in the input.
type node struct {
	kind       byte // 'n' null, 'b' bool, 'i' integer, 'f' float, 's' string, 'a' array, 'o' object
	b          bool
	s          string // string value, or the number's text
	elems      []node
	keys       []string
	start, end int
}

// Unmarshal decodes what Python's json.dumps wrote (or any JSON, with
// Python's NaN, Infinity and -Infinity) into target, a non-nil pointer.
func Unmarshal(data []byte, target any) error {
	rv := reflect.ValueOf(target)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("ring: pyjson: decode target must be a non-nil pointer, got %T", target)
	}
	p := parser{data: data}
	p.space()
	n, err := p.value(0)
	if err != nil {
		return err
	}
	p.space()
	if p.i != len(data) {
		return p.fail("data after the value")
	}
	return assign(rv.Elem(), n, data)
}

type parser struct {
	data []byte
	i    int
}

func (p *parser) fail(what string) error {
	return fmt.Errorf("ring: pyjson: invalid JSON at offset %d: %s", p.i, what)
}

func (p *parser) space() {
	for p.i < len(p.data) {
		switch p.data[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) lit(s string) bool {
	if strings.HasPrefix(string(p.data[p.i:min(len(p.data), p.i+len(s))]), s) {
		p.i += len(s)
		return true
	}
	return false
}

func (p *parser) value(depth int) (node, error) {
	if depth > MaxDepth {
		return node{}, p.fail(fmt.Sprintf("nested more than %d levels deep", MaxDepth))
	}
	if p.i >= len(p.data) {
		return node{}, p.fail("unexpected end of input")
	}
	start := p.i
	n := node{start: start}
	switch c := p.data[p.i]; {
	case c == 'n' && p.lit("null"):
		n.kind = 'n'
	case c == 't' && p.lit("true"):
		n.kind, n.b = 'b', true
	case c == 'f' && p.lit("false"):
		n.kind = 'b'
	case c == 'N' && p.lit("NaN"), c == 'I' && p.lit("Infinity"), c == '-' && p.lit("-Infinity"):
		n.kind, n.s = 'f', string(p.data[start:p.i])
	case c == '-' || c >= '0' && c <= '9':
		if err := p.number(&n); err != nil {
			return n, err
		}
	case c == '"':
		s, err := p.string()
		if err != nil {
			return n, err
		}
		n.kind, n.s = 's', s
	case c == '[':
		n.kind = 'a'
		p.i++
		p.space()
		if p.i < len(p.data) && p.data[p.i] == ']' {
			p.i++
			break
		}
		for {
			p.space()
			e, err := p.value(depth + 1)
			if err != nil {
				return n, err
			}
			n.elems = append(n.elems, e)
			p.space()
			if p.i < len(p.data) && p.data[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.data) && p.data[p.i] == ']' {
				p.i++
				break
			}
			return n, p.fail("expected ',' or ']'")
		}
	case c == '{':
		n.kind = 'o'
		p.i++
		p.space()
		if p.i < len(p.data) && p.data[p.i] == '}' {
			p.i++
			break
		}
		for {
			p.space()
			if p.i >= len(p.data) || p.data[p.i] != '"' {
				return n, p.fail("expected a string key")
			}
			k, err := p.string()
			if err != nil {
				return n, err
			}
			p.space()
			if p.i >= len(p.data) || p.data[p.i] != ':' {
				return n, p.fail("expected ':'")
			}
			p.i++
			p.space()
			e, err := p.value(depth + 1)
			if err != nil {
				return n, err
			}
			n.keys = append(n.keys, k)
			n.elems = append(n.elems, e)
			p.space()
			if p.i < len(p.data) && p.data[p.i] == ',' {
				p.i++
				continue
			}
			if p.i < len(p.data) && p.data[p.i] == '}' {
				p.i++
				break
			}
			return n, p.fail("expected ',' or '}'")
		}
	default:
		return n, p.fail(fmt.Sprintf("unexpected %q", c))
	}
	n.end = p.i
	return n, nil
}

func digits(data []byte, i int) int {
	for i < len(data) && data[i] >= '0' && data[i] <= '9' {
		i++
	}
	return i
}

func (p *parser) number(n *node) error {
	start := p.i
	i := p.i
	if data := p.data; data[i] == '-' {
		i++
	}
	j := digits(p.data, i)
	if j == i || (p.data[i] == '0' && j > i+1) {
		return p.fail("invalid number")
	}
	n.kind = 'i'
	i = j
	if i < len(p.data) && p.data[i] == '.' {
		j = digits(p.data, i+1)
		if j == i+1 {
			return p.fail("invalid number")
		}
		n.kind, i = 'f', j
	}
	if i < len(p.data) && (p.data[i] == 'e' || p.data[i] == 'E') {
		i++
		if i < len(p.data) && (p.data[i] == '+' || p.data[i] == '-') {
			i++
		}
		j = digits(p.data, i)
		if j == i {
			return p.fail("invalid number")
		}
		n.kind, i = 'f', j
	}
	p.i = i
	n.s = string(p.data[start:i])
	return nil
}

func (p *parser) string() (string, error) {
	p.i++ // opening quote
	// The common case, no escape: one copy of the bytes.
	for j := p.i; j < len(p.data); j++ {
		c := p.data[j]
		if c == '\\' || c < ' ' || c >= utf8.RuneSelf {
			break
		}
		if c == '"' {
			s := string(p.data[p.i:j])
			p.i = j + 1
			return s, nil
		}
	}
	var sb []byte
	for {
		if p.i >= len(p.data) {
			return "", p.fail("unterminated string")
		}
		c := p.data[p.i]
		switch {
		case c == '"':
			p.i++
			return string(sb), nil
		case c < ' ':
			return "", p.fail("control character in string")
		case c == '\\':
			if p.i+1 >= len(p.data) {
				return "", p.fail("unterminated escape")
			}
			e := p.data[p.i+1]
			p.i += 2
			switch e {
			case '"', '\\', '/':
				sb = append(sb, e)
			case 'b':
				sb = append(sb, '\b')
			case 'f':
				sb = append(sb, '\f')
			case 'n':
				sb = append(sb, '\n')
			case 'r':
				sb = append(sb, '\r')
			case 't':
				sb = append(sb, '\t')
			case 'u':
				r, ok := p.hex4()
				if !ok {
					return "", p.fail("invalid \\u escape")
				}
				if utf16.IsSurrogate(r) {
					r2 := rune(-1)
					if p.i+1 < len(p.data) && p.data[p.i] == '\\' && p.data[p.i+1] == 'u' {
						save := p.i
						p.i += 2
						if r2, ok = p.hex4(); !ok {
							return "", p.fail("invalid \\u escape")
						}
						if dec := utf16.DecodeRune(r, r2); dec != utf8.RuneError {
							sb = utf8.AppendRune(sb, dec)
							continue
						}
						p.i = save
					}
					r = utf8.RuneError // a lone surrogate: no Go string holds one
				}
				sb = utf8.AppendRune(sb, r)
			default:
				return "", p.fail("invalid escape")
			}
		default:
			r, size := utf8.DecodeRune(p.data[p.i:])
			if r == utf8.RuneError && size == 1 {
				return "", p.fail("invalid UTF-8")
			}
			sb = append(sb, p.data[p.i:p.i+size]...)
			p.i += size
		}
	}
}

func (p *parser) hex4() (rune, bool) {
	if p.i+4 > len(p.data) {
		return 0, false
	}
	v, err := strconv.ParseUint(string(p.data[p.i:p.i+4]), 16, 32)
	if err != nil {
		return 0, false
	}
	p.i += 4
	return rune(v), true
}

var kindNames = map[byte]string{'n': "null", 'b': "a boolean", 'i': "an integer", 'f': "a float", 's': "a string", 'a': "a list", 'o': "a dict"}

func mismatch(n node, t reflect.Type) error {
	what := kindNames[n.kind]
	if n.kind == 'i' || n.kind == 'f' {
		what += " " + n.s
	}
	return fmt.Errorf("ring: pyjson: cannot decode %s into a Go value of type %s", what, t)
}

// ErrIntRange is wrapped by the error of an integer that does not fit its
// Go target (any integer beyond int64 decoding into an interface).
var ErrIntRange = errors.New("integer out of range")

func assign(v reflect.Value, n node, data []byte) error {
	t := v.Type()
	if n.kind == 'n' {
		switch t.Kind() {
		case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map:
			v.SetZero()
		}
		return nil // like encoding/json: null leaves other values alone
	}
	if t.Kind() != reflect.Pointer && v.CanAddr() {
		pt := reflect.PointerTo(t)
		if pt.Implements(unmarshalerType) {
			u, _ := reflect.TypeAssert[json.Unmarshaler](v.Addr())
			return u.UnmarshalJSON(data[n.start:n.end])
		}
		if n.kind == 's' && pt.Implements(textUnmarshalerType) {
			u, _ := reflect.TypeAssert[encoding.TextUnmarshaler](v.Addr())
			return u.UnmarshalText([]byte(n.s))
		}
	}
	if t == numberType {
		if n.kind != 'i' && n.kind != 'f' {
			return mismatch(n, t)
		}
		v.SetString(n.s)
		return nil
	}
	switch t.Kind() {
	case reflect.Pointer:
		if v.IsNil() {
			v.Set(reflect.New(t.Elem()))
		}
		return assign(v.Elem(), n, data)
	case reflect.Interface:
		if t.NumMethod() != 0 {
			return mismatch(n, t)
		}
		x, err := natural(n)
		if err != nil {
			return err
		}
		v.Set(reflect.ValueOf(&x).Elem())
		return nil
	case reflect.Bool:
		if n.kind != 'b' {
			return mismatch(n, t)
		}
		v.SetBool(n.b)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		if n.kind != 'i' {
			return mismatch(n, t)
		}
		i, err := strconv.ParseInt(n.s, 10, t.Bits())
		if err != nil {
			return fmt.Errorf("ring: pyjson: integer %s does not fit %s: %w", n.s, t, ErrIntRange)
		}
		v.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		if n.kind != 'i' {
			return mismatch(n, t)
		}
		i, err := strconv.ParseUint(n.s, 10, t.Bits())
		if err != nil {
			return fmt.Errorf("ring: pyjson: integer %s does not fit %s: %w", n.s, t, ErrIntRange)
		}
		v.SetUint(i)
	case reflect.Float32, reflect.Float64:
		if n.kind != 'i' && n.kind != 'f' {
			return mismatch(n, t)
		}
		f, err := parseFloat(n.s, t.Bits())
		if err != nil {
			return fmt.Errorf("ring: pyjson: number %s does not fit %s: %w", n.s, t, err)
		}
		v.SetFloat(f)
	case reflect.String:
		if n.kind != 's' {
			return mismatch(n, t)
		}
		v.SetString(n.s)
	case reflect.Slice:
		if n.kind != 'a' {
			return mismatch(n, t)
		}
		s := reflect.MakeSlice(t, len(n.elems), len(n.elems))
		for i, e := range n.elems {
			if err := assign(s.Index(i), e, data); err != nil {
				return err
			}
		}
		v.Set(s)
	case reflect.Array:
		if n.kind != 'a' {
			return mismatch(n, t)
		}
		if len(n.elems) > t.Len() {
			return fmt.Errorf("ring: pyjson: cannot decode a list of %d elements into %s", len(n.elems), t)
		}
		v.SetZero()
		for i, e := range n.elems {
			if err := assign(v.Index(i), e, data); err != nil {
				return err
			}
		}
	case reflect.Map:
		if n.kind != 'o' {
			return mismatch(n, t)
		}
		if v.IsNil() {
			v.Set(reflect.MakeMapWithSize(t, len(n.keys)))
		}
		for i, k := range n.keys {
			kv := reflect.New(t.Key()).Elem()
			if err := mapKey(kv, k); err != nil {
				return err
			}
			ev := reflect.New(t.Elem()).Elem()
			if err := assign(ev, n.elems[i], data); err != nil {
				return err
			}
			v.SetMapIndex(kv, ev)
		}
	case reflect.Struct:
		if n.kind != 'o' {
			return mismatch(n, t)
		}
		fs := fieldsOf(t)
		for i, k := range n.keys {
			f := lookupField(fs, k)
			if f == nil {
				continue // unknown keys are ignored, as encoding/json does
			}
			fv, err := fieldForSet(v, f.index)
			if err != nil {
				return err
			}
			if err := assign(fv, n.elems[i], data); err != nil {
				return err
			}
		}
	default:
		return mismatch(n, t)
	}
	return nil
}

func parseFloat(s string, bits int) (float64, error) {
	switch s {
	case "NaN":
		return math.NaN(), nil
	case "Infinity":
		return math.Inf(1), nil
	case "-Infinity":
		return math.Inf(-1), nil
	}
	return strconv.ParseFloat(s, bits)
}

func lookupField(fs []field, k string) *field {
	for i := range fs {
		if fs[i].name == k {
			return &fs[i]
		}
	}
	for i := range fs {
		if strings.EqualFold(fs[i].name, k) {
			return &fs[i]
		}
	}
	return nil
}

// fieldForSet follows index, allocating nil embedded pointers.
func fieldForSet(v reflect.Value, index []int) (reflect.Value, error) {
	for i, x := range index {
		if i > 0 && v.Kind() == reflect.Pointer {
			if v.IsNil() {
				if !v.CanSet() {
					return v, fmt.Errorf("ring: pyjson: cannot set embedded pointer to unexported struct %s", v.Type().Elem())
				}
				v.Set(reflect.New(v.Type().Elem()))
			}
			v = v.Elem()
		}
		v = v.Field(x)
	}
	return v, nil
}

func mapKey(kv reflect.Value, k string) error {
	t := kv.Type()
	if reflect.PointerTo(t).Implements(textUnmarshalerType) && t.Kind() != reflect.String {
		u, _ := reflect.TypeAssert[encoding.TextUnmarshaler](kv.Addr())
		return u.UnmarshalText([]byte(k))
	}
	switch t.Kind() {
	case reflect.String:
		kv.SetString(k)
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		i, err := strconv.ParseInt(k, 10, t.Bits())
		if err != nil {
			return fmt.Errorf("ring: pyjson: dict key %q is not an integer of %s: %w", k, t, err)
		}
		kv.SetInt(i)
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		i, err := strconv.ParseUint(k, 10, t.Bits())
		if err != nil {
			return fmt.Errorf("ring: pyjson: dict key %q is not an integer of %s: %w", k, t, err)
		}
		kv.SetUint(i)
	case reflect.Float32, reflect.Float64:
		f, err := parseFloat(k, t.Bits())
		if err != nil {
			return fmt.Errorf("ring: pyjson: dict key %q is not a float of %s: %w", k, t, err)
		}
		kv.SetFloat(f)
	case reflect.Bool:
		b, err := strconv.ParseBool(k)
		if err != nil || (k != "true" && k != "false") {
			return fmt.Errorf("ring: pyjson: dict key %q is not true or false, for %s", k, t)
		}
		kv.SetBool(b)
	default:
		return fmt.Errorf("ring: pyjson: cannot decode a dict into a map with keys of type %s", t)
	}
	return nil
}

// natural is the Go value of n in an interface: nil, bool, int64 (an
// integer beyond int64 is an error), float64 (NaN, ±Inf included), string,
// []any, map[string]any.
func natural(n node) (any, error) {
	switch n.kind {
	case 'n':
		return nil, nil
	case 'b':
		return n.b, nil
	case 'i':
		i, err := strconv.ParseInt(n.s, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("ring: pyjson: integer %s does not fit int64: %w", n.s, ErrIntRange)
		}
		return i, nil
	case 'f':
		f, err := parseFloat(n.s, 64)
		if err != nil {
			return nil, fmt.Errorf("ring: pyjson: float %s does not fit float64: %w", n.s, err)
		}
		return f, nil
	case 's':
		return n.s, nil
	case 'a':
		out := make([]any, len(n.elems))
		for i, e := range n.elems {
			x, err := natural(e)
			if err != nil {
				return nil, err
			}
			out[i] = x
		}
		return out, nil
	}
	out := make(map[string]any, len(n.keys))
	for i, k := range n.keys {
		x, err := natural(n.elems[i])
		if err != nil {
			return nil, err
		}
		out[k] = x
	}
	return out, nil
}
