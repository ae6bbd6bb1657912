package msgpackcoder

import (
	"encoding"
	"encoding/binary"
	"math"
	"reflect"
	"sync"
	"sync/atomic"
	"unsafe"

	"github.com/vmihailenco/msgpack/v5"
)

// The flat path: a struct whose fields are all booleans, numbers and
// strings of the predeclared types (a "flat" struct, the usual cached
// record) is decoded straight from the bytes, with no separate input check
// and no msgpack.Decoder. Every length is bounded by the input left before
// anything is read or allocated, so the check that guards msgpack's
// decoder (checkMsgpack) is part of the one pass; nothing nests, so there
// is no depth to bound.
//
// The flat path decodes exactly what msgpack/v5.4.1 decodes into such a
// struct, for the forms it handles: a map (fixmap or map16) of string keys,
// each naming a field, whose values have a code msgpack accepts for the
// field's kind, converted as msgpack converts them. Anything else (an
// unknown field, the array form, a nil, trailing bytes, a truncated or
// corrupt input) is left to the general path, which decodes it, or fails
// with its usual error: the flat path writes nothing until the whole input
// has been read. TestFlatMatchesMsgpack and FuzzFlatMatchesMsgpack compare
// the two.

// flatKind is how a field's value is stored.
type flatKind uint8

const (
	flatBool flatKind = iota + 1
	flatInt8
	flatInt16
	flatInt32
	flatInt64 // int, int64, uint, uint64: the same 8 bytes
	flatFloat32
	flatFloat64
	flatString
)

// flatField is one field of a flat struct: its msgpack name, where it
// lies in the struct, and how it is stored.
type flatField struct {
	name string
	off  uintptr
	kind flatKind
}

// flatPlan is the flat decoding of one pointer type, or nil fields when the
// type is not a pointer to a flat struct.
type flatPlan struct {
	typ    reflect.Type
	fields []flatField
	tree   *treeNode // when fields is nil: the tree path's decoding (tree.go), or nil
}

var (
	// lastPlan is the plan of the type decoded last: a ring decodes one
	// type, so the map below is rarely read.
	lastPlan  atomic.Pointer[flatPlan]
	flatPlans sync.Map // reflect.Type -> *flatPlan
)

// planOf returns the plan of t, made once per type.
func planOf(t reflect.Type) *flatPlan {
	if p := lastPlan.Load(); p != nil && p.typ == t {
		return p
	}
	v, ok := flatPlans.Load(t)
	if !ok {
		p := makeFlatPlan(t)
		if p.fields == nil {
			p.tree = makeTree(t)
		}
		v, _ = flatPlans.LoadOrStore(t, p)
	}
	p := v.(*flatPlan)
	lastPlan.Store(p)
	return p
}

var (
	customDecoderType     = reflect.TypeFor[msgpack.CustomDecoder]()
	unmarshalerType       = reflect.TypeFor[msgpack.Unmarshaler]()
	binaryUnmarshalerType = reflect.TypeFor[encoding.BinaryUnmarshaler]()
	textUnmarshalerType   = reflect.TypeFor[encoding.TextUnmarshaler]()
)

// decodesItself reports whether msgpack decodes t (or *t) through one of
// its methods rather than field by field.
func decodesItself(t reflect.Type) bool {
	for _, it := range []reflect.Type{customDecoderType, unmarshalerType, binaryUnmarshalerType, textUnmarshalerType} {
		if t.Implements(it) || reflect.PointerTo(t).Implements(it) {
			return true
		}
	}
	return false
}

// makeFlatPlan builds the plan of t: fields only when t is a pointer to a
// flat struct, as msgpack would see its fields (the "msgpack" tag's name,
// or the field's; "-" and unexported fields left out). A tag with any
// option but omitempty (alias, intern, inline...), an embedded field, a
// field of a named or composite type, or two fields of one name make the
// struct not flat.
func makeFlatPlan(t reflect.Type) *flatPlan {
	p := &flatPlan{typ: t}
	if t.Kind() != reflect.Pointer || t.Elem().Kind() != reflect.Struct || decodesItself(t.Elem()) {
		return p
	}
	st := t.Elem()
	var fields []flatField
	seen := map[string]bool{}
	for i := range st.NumField() {
		f := st.Field(i)
		name, opts, ok := flatTag(f.Tag.Get("msgpack"))
		if !ok {
			return p
		}
		if name == "-" {
			continue
		}
		if f.Anonymous {
			return p
		}
		if !f.IsExported() {
			continue // msgpack skips it too (the "_msgpack" options field among them)
		}
		for _, o := range opts {
			if o != "omitempty" {
				return p
			}
		}
		if name == "" {
			name = f.Name
		}
		kind := flatKindOf(f.Type)
		if kind == 0 || seen[name] {
			return p
		}
		seen[name] = true
		fields = append(fields, flatField{name: name, off: f.Offset, kind: kind})
	}
	if len(fields) > 0 {
		p.fields = fields
	}
	return p
}

// flatTag splits a msgpack struct tag into its name and options; ok is
// false for a tag with characters the plain reading here may not read as
// msgpack's tag parser does (quotes, '=', ':', spaces...).
func flatTag(tag string) (name string, opts []string, ok bool) {
	start := 0
	for i := 0; i <= len(tag); i++ {
		if i < len(tag) {
			c := tag[i]
			if c == '_' || c == '-' || c == '.' || '0' <= c && c <= '9' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' {
				continue
			}
			if c != ',' {
				return "", nil, false
			}
		}
		part := tag[start:i]
		if start == 0 {
			name = part
		} else {
			opts = append(opts, part)
		}
		start = i + 1
	}
	return name, opts, true
}

// flatKindOf returns how a field of type t is stored, or 0 when t is not
// one of the predeclared boolean, number and string types (a named type
// may decode itself, or have been registered with msgpack).
func flatKindOf(t reflect.Type) flatKind {
	if t.PkgPath() != "" || t.Name() == "" {
		return 0
	}
	switch t.Kind() {
	case reflect.Bool:
		return flatBool
	case reflect.Int8, reflect.Uint8:
		return flatInt8
	case reflect.Int16, reflect.Uint16:
		return flatInt16
	case reflect.Int32, reflect.Uint32:
		return flatInt32
	case reflect.Int, reflect.Int64, reflect.Uint, reflect.Uint64:
		if t.Size() != 8 {
			return 0
		}
		return flatInt64
	case reflect.Float32:
		return flatFloat32
	case reflect.Float64:
		return flatFloat64
	case reflect.String:
		return flatString
	}
	return 0
}

// flatMaxEntries bounds the map entries the flat path holds before it
// writes them; a larger map takes the general path.
const flatMaxEntries = 32

// flatValue is one decoded entry, written once the whole input is read:
// the field's index and the value's bits; a string's are its offset in the
// input (high 32 bits) and its length, or all ones for nil ("").
type flatValue struct {
	field uint32
	bits  uint64
}

// flatNilString is the bits of a nil string.
const flatNilString = math.MaxUint64

// decode decodes data into the struct at base, or reports false, having
// written nothing, when the input is not one the flat path handles.
func (p *flatPlan) decode(data []byte, base unsafe.Pointer) bool {
	if len(data) == 0 || uint64(len(data)) > math.MaxUint32 {
		return false
	}
	var n, pos int
	switch c := data[0]; {
	case c >= 0x80 && c <= 0x8f: // fixmap
		n, pos = int(c&0x0f), 1
	case c == 0xde && len(data) >= 3: // map16
		n, pos = int(binary.BigEndian.Uint16(data[1:])), 3
	default:
		return false
	}
	if n > flatMaxEntries {
		return false
	}
	var vals [flatMaxEntries]flatValue
	next := 0 // the field expected next: encoders write them in order
	for e := range n {
		key, at, ok := flatStr(data, pos)
		if !ok {
			return false
		}
		i := p.field(key, &next)
		if i < 0 {
			return false // an unknown field: msgpack skips it
		}
		v := &vals[e]
		v.field = uint32(i)
		if pos, ok = p.fields[i].value(data, at, v); !ok {
			return false
		}
	}
	if pos != len(data) {
		return false
	}
	for e := range n {
		p.store(base, data, vals[e])
	}
	return true
}

// field returns the index of the field named key, or -1, looking at
// *next first.
func (p *flatPlan) field(key []byte, next *int) int {
	if i := *next; i < len(p.fields) && p.fields[i].name == string(key) {
		*next = i + 1
		return i
	}
	for i := range p.fields {
		if p.fields[i].name == string(key) {
			*next = i + 1
			return i
		}
	}
	return -1
}

// flatStr reads a string or binary at data[pos:] (msgpack reads either as
// a string): its bytes and the position after it.
func flatStr(data []byte, pos int) (b []byte, end int, ok bool) {
	if pos >= len(data) {
		return nil, 0, false
	}
	c := data[pos]
	pos++
	var n int
	switch {
	case c >= 0xa0 && c <= 0xbf: // fixstr
		n = int(c & 0x1f)
	case c == 0xd9 || c == 0xc4: // str8, bin8
		if pos+1 > len(data) {
			return nil, 0, false
		}
		n, pos = int(data[pos]), pos+1
	case c == 0xda || c == 0xc5: // str16, bin16
		if pos+2 > len(data) {
			return nil, 0, false
		}
		n, pos = int(binary.BigEndian.Uint16(data[pos:])), pos+2
	case c == 0xdb || c == 0xc6: // str32, bin32
		if pos+4 > len(data) {
			return nil, 0, false
		}
		n, pos = int(binary.BigEndian.Uint32(data[pos:])), pos+4
	default:
		return nil, 0, false
	}
	if n > len(data)-pos {
		return nil, 0, false // claims more than the input has left
	}
	return data[pos : pos+n], pos + n, true
}

// flatInt reads an integer as msgpack's Decoder.int does (nil is 0): its
// bits as a uint64, which Decoder.uint returns for the same input too.
func flatInt(data []byte, pos int) (bits uint64, end int, ok bool) {
	if pos >= len(data) {
		return 0, 0, false
	}
	c := data[pos]
	pos++
	var size int
	switch {
	case c <= 0x7f || c >= 0xe0: // fixnum
		return uint64(int64(int8(c))), pos, true
	case c == 0xc0: // nil
		return 0, pos, true
	case c == 0xcc || c == 0xd0:
		size = 1
	case c == 0xcd || c == 0xd1:
		size = 2
	case c == 0xce || c == 0xd2:
		size = 4
	case c == 0xcf || c == 0xd3:
		size = 8
	default:
		return 0, 0, false
	}
	if size > len(data)-pos {
		return 0, 0, false
	}
	b := data[pos:]
	switch c {
	case 0xcc:
		bits = uint64(b[0])
	case 0xd0:
		bits = uint64(int64(int8(b[0])))
	case 0xcd:
		bits = uint64(binary.BigEndian.Uint16(b))
	case 0xd1:
		bits = uint64(int64(int16(binary.BigEndian.Uint16(b))))
	case 0xce:
		bits = uint64(binary.BigEndian.Uint32(b))
	case 0xd2:
		bits = uint64(int64(int32(binary.BigEndian.Uint32(b))))
	default: // uint64, int64
		bits = binary.BigEndian.Uint64(b)
	}
	return bits, pos + size, true
}

// value reads the field's value at data[pos:] into v, as msgpack's value
// decoder of the field's kind would.
func (f *flatField) value(data []byte, pos int, v *flatValue) (int, bool) {
	if pos >= len(data) {
		return 0, false
	}
	c := data[pos]
	switch f.kind {
	case flatBool:
		switch c {
		case 0xc0, 0xc2: // nil, false
			v.bits = 0
		case 0xc3:
			v.bits = 1
		default:
			return 0, false
		}
		return pos + 1, true
	case flatString:
		if c == 0xc0 { // nil: ""
			v.bits = flatNilString
			return pos + 1, true
		}
		b, end, ok := flatStr(data, pos)
		if !ok {
			return 0, false
		}
		v.bits = uint64(end-len(b))<<32 | uint64(len(b))
		return end, true
	case flatFloat32, flatFloat64:
		switch c {
		case 0xca: // float32
			if 4 > len(data)-pos-1 {
				return 0, false
			}
			f32 := math.Float32frombits(binary.BigEndian.Uint32(data[pos+1:]))
			if f.kind == flatFloat32 {
				v.bits = uint64(math.Float32bits(f32))
			} else {
				v.bits = math.Float64bits(float64(f32))
			}
			return pos + 5, true
		case 0xcb: // float64
			if f.kind == flatFloat32 || 8 > len(data)-pos-1 {
				return 0, false // msgpack's float32 refuses a float64 code
			}
			v.bits = binary.BigEndian.Uint64(data[pos+1:])
			return pos + 9, true
		}
		bits, end, ok := flatInt(data, pos) // an integer converts
		if !ok {
			return 0, false
		}
		if f.kind == flatFloat32 {
			v.bits = uint64(math.Float32bits(float32(int64(bits))))
		} else {
			v.bits = math.Float64bits(float64(int64(bits)))
		}
		return end, true
	default: // integers, truncated to the field's size as reflect's SetInt and SetUint do
		bits, end, ok := flatInt(data, pos)
		v.bits = bits
		return end, ok
	}
}

// store writes v, read from data, into its field of the struct at base.
func (p *flatPlan) store(base unsafe.Pointer, data []byte, v flatValue) {
	f := &p.fields[v.field]
	storeScalar(f.kind, unsafe.Add(base, f.off), data, v.bits)
}

// decodeFlat decodes data into target if target is a non-nil pointer to a
// flat struct and data is a form the flat path handles, or to a zero value
// of a tree type (tree.go) and data is a form the tree path handles;
// otherwise it reports false and leaves target as it was.
func decodeFlat(data []byte, target any) bool {
	t := reflect.TypeOf(target)
	if t == nil || t.Kind() != reflect.Pointer {
		return false
	}
	p := planOf(t)
	if p.fields == nil && p.tree == nil {
		return false
	}
	ptr := reflect.ValueOf(target).UnsafePointer()
	if ptr == nil {
		return false
	}
	if p.fields == nil {
		return p.tree.decodeTop(data, ptr)
	}
	return p.decode(data, ptr)
}
