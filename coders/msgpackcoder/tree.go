package msgpackcoder

import (
	"encoding/binary"
	"math"
	"reflect"
	"time"
	"unsafe"
)

// The tree path: the one-pass decoding of flat.go extended to values that
// nest. A type is a tree type when it is built, to at most treeMaxDepth
// levels and without recursion, from the predeclared boolean, number and
// string types and types of those kinds, []byte and [N]byte, time.Time,
// structs (map form, fields as flat.go reads their tags, no embedded
// field), slices, arrays, maps with string, integer or boolean keys, and
// pointers, none of them decoding itself (DecodeMsgpack, UnmarshalMsgpack,
// UnmarshalBinary, UnmarshalText; time.Time aside). Interfaces, channels,
// funcs and complex numbers make a type not a tree type: it takes the
// general path.
//
// The tree path decodes into a zero target only (a bulk read's elements, a
// single read's fresh value): msgpack decodes into what a filled target
// already holds (it reuses slices, maps and pointers), which the tree path
// does not mimic, so a target that is not all zero bytes takes the general
// path. It writes as it reads, allocating slices, maps, pointers and
// strings only after bounding their lengths by the input left, and when the
// input turns out to be one it does not handle (a code msgpack would refuse,
// a form it leaves to msgpack: the array form of a struct, an extension in
// place of a map, a duplicate struct field; trailing or missing bytes;
// nesting past the bounds) it sets the target back to zero and reports
// false, so that the general path decodes it or fails with its usual
// error. A field the struct lacks is skipped as msgpack skips it, nesting at
// most treeMaxSkipDepth levels. TestTreeMatchesMsgpack and
// FuzzTreeMatchesMsgpack compare the two paths.

// treeMaxDepth bounds how deeply a tree type nests (a struct, slice,
// array, map or pointer is one level): a deeper type takes the general
// path, so the tree path's recursion is bounded by its types, whatever the
// input.
const treeMaxDepth = 16

// treeMaxSkipDepth bounds the nesting of a value the tree path skips (a
// field the struct lacks); a deeper one is declined.
const treeMaxSkipDepth = 32

// treeMaxFields bounds the fields of a struct the tree path decodes (one
// bit each to tell duplicates).
const treeMaxFields = 64

type treeKind uint8

const (
	treeScalar    treeKind = iota + 1 // bool, numbers, string: scalar says which
	treeBytes                         // []byte
	treeByteArray                     // [N]byte
	treeTime                          // time.Time
	treeStruct
	treeSlice
	treeArray
	treeMap
	treePtr
)

// treeNode is how one type is decoded.
type treeNode struct {
	kind   treeKind
	scalar flatKind // treeScalar, and a slice's or map's scalar elements
	typ    reflect.Type
	size   uintptr
	elem   *treeNode   // slice, array, map value, pointer
	key    *treeNode   // map key (a scalar)
	n      int         // array length
	fields []treeField // struct
}

// treeField is one field of a struct: its msgpack name, where it lies and
// how it is decoded.
type treeField struct {
	name string
	off  uintptr
	node *treeNode
}

var (
	timeType  = reflect.TypeFor[time.Time]()
	byteType  = reflect.TypeFor[byte]()
	emptyBase byte // the data of the empty, non-nil slices the tree path makes
)

// makeTree returns how to decode into a *T target, or nil when T is not a
// tree type. A top-level time.Time is not one: msgpack's Decode reads
// more forms for it (an array, a string) than for a field.
func makeTree(t reflect.Type) *treeNode {
	if t.Kind() != reflect.Pointer || t.Elem() == timeType {
		return nil
	}
	return buildTree(t.Elem(), 1, map[reflect.Type]bool{})
}

// scalarKind returns how a value of kind t is stored, 0 if it is not a
// bool, number or string kind.
func scalarKind(t reflect.Type) flatKind {
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

// buildTree returns the node of t at the given depth, or nil. building
// holds the struct types being built, to refuse recursive types.
func buildTree(t reflect.Type, depth int, building map[reflect.Type]bool) *treeNode {
	if depth > treeMaxDepth {
		return nil
	}
	n := &treeNode{typ: t, size: t.Size()}
	if t == timeType {
		n.kind = treeTime
		return n
	}
	// msgpack decodes a *time.Time through time.Time's registered decoder,
	// not through the pointer's UnmarshalBinary method.
	if decodesItself(t) && (t.Kind() != reflect.Pointer || t.Elem() != timeType) {
		return nil
	}
	if k := scalarKind(t); k != 0 {
		n.kind, n.scalar = treeScalar, k
		return n
	}
	switch t.Kind() {
	case reflect.Slice:
		if t.Elem().Kind() == reflect.Uint8 {
			if t.Elem() != byteType {
				return nil
			}
			n.kind = treeBytes
			return n
		}
		n.kind = treeSlice
	case reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 {
			if t.Elem() != byteType {
				return nil
			}
			n.kind, n.n = treeByteArray, t.Len()
			return n
		}
		n.kind, n.n = treeArray, t.Len()
	case reflect.Map:
		n.kind = treeMap
		if k := t.Key(); k.Kind() == reflect.Float32 || k.Kind() == reflect.Float64 || scalarKind(k) == 0 || decodesItself(k) {
			return nil
		}
		n.key = &treeNode{kind: treeScalar, scalar: scalarKind(t.Key()), typ: t.Key(), size: t.Key().Size()}
	case reflect.Pointer:
		n.kind = treePtr
	case reflect.Struct:
		n.kind = treeStruct
		return buildStruct(n, depth, building)
	default:
		return nil
	}
	if n.elem = buildTree(t.Elem(), depth+1, building); n.elem == nil {
		return nil
	}
	if n.elem.kind == treeScalar {
		n.scalar = n.elem.scalar
	}
	return n
}

// buildStruct fills the fields of the struct node n, as makeFlatPlan reads
// them (tags, omitempty only, no embedded field, no duplicate name).
func buildStruct(n *treeNode, depth int, building map[reflect.Type]bool) *treeNode {
	t := n.typ
	if building[t] {
		return nil // a recursive type
	}
	building[t] = true
	defer delete(building, t)
	seen := map[string]bool{}
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, ok := flatTag(f.Tag.Get("msgpack"))
		if !ok {
			return nil
		}
		if name == "-" {
			continue
		}
		if f.Anonymous {
			return nil
		}
		if !f.IsExported() {
			continue
		}
		for _, o := range opts {
			if o != "omitempty" {
				return nil
			}
		}
		if name == "" {
			name = f.Name
		}
		if seen[name] {
			return nil
		}
		seen[name] = true
		fn := buildTree(f.Type, depth+1, building)
		if fn == nil {
			return nil
		}
		n.fields = append(n.fields, treeField{name: name, off: f.Offset, node: fn})
	}
	if len(n.fields) > treeMaxFields {
		return nil
	}
	return n
}

// decodeTop decodes data into the zero value at ptr, or reports false,
// with the value at ptr zero again, when the input is not one the tree
// path handles or the value was not zero.
func (n *treeNode) decodeTop(data []byte, ptr unsafe.Pointer) bool {
	if len(data) == 0 || uint64(len(data)) > math.MaxUint32 || !isZeroMem(ptr, n.size) {
		return false
	}
	if end, ok := n.decode(data, 0, ptr); ok && end == len(data) {
		return true
	}
	reflect.NewAt(n.typ, ptr).Elem().SetZero()
	return false
}

// isZeroMem reports whether the size bytes at ptr are all zero.
func isZeroMem(ptr unsafe.Pointer, size uintptr) bool {
	b := unsafe.Slice((*byte)(ptr), size)
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b) != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// sliceHeader is the layout of a slice.
type sliceHeader struct {
	data     unsafe.Pointer
	len, cap int
}

// decode decodes the value at data[pos:] into the zero value at ptr and
// returns the position after it.
func (n *treeNode) decode(data []byte, pos int, ptr unsafe.Pointer) (int, bool) {
	if pos >= len(data) {
		return 0, false
	}
	c := data[pos]
	switch n.kind {
	case treeScalar:
		var bits uint64
		end, ok := scalarValue(n.scalar, data, pos, &bits)
		if ok {
			storeScalar(n.scalar, ptr, data, bits)
		}
		return end, ok
	case treeBytes:
		if c == 0xc0 {
			return pos + 1, true // nil
		}
		b, end, ok := flatStr(data, pos)
		if !ok {
			return 0, false
		}
		out := make([]byte, len(b)) // empty but not nil for a 0-length string
		copy(out, b)
		*(*[]byte)(ptr) = out
		return end, true
	case treeByteArray:
		if c == 0xc0 {
			return pos + 1, true // left as it is
		}
		b, end, ok := flatStr(data, pos)
		if !ok || len(b) > n.n {
			return 0, false
		}
		copy(unsafe.Slice((*byte)(ptr), n.n), b)
		return end, true
	case treeTime:
		// msgpack fails on a nil time (it calls IsNil on the struct).
		tm, end, ok := treeTimeValue(data, pos)
		if ok {
			*(*time.Time)(ptr) = tm
		}
		return end, ok
	case treeStruct:
		return n.decodeStruct(data, pos, ptr)
	case treeSlice:
		if c == 0xc0 {
			return pos + 1, true // nil
		}
		cnt, pos, ok := arrayHeader(data, pos)
		if !ok {
			return 0, false
		}
		s := (*sliceHeader)(ptr)
		if cnt == 0 {
			*s = sliceHeader{data: unsafe.Pointer(&emptyBase)}
			return pos, true
		}
		arr := n.newArray(cnt)
		esize := n.elem.size
		for i := range cnt {
			if pos, ok = n.elem.decode(data, pos, unsafe.Add(arr, uintptr(i)*esize)); !ok {
				return 0, false
			}
		}
		*s = sliceHeader{data: arr, len: cnt, cap: cnt}
		return pos, true
	case treeArray:
		if c == 0xc0 {
			return pos + 1, true // left as it is
		}
		cnt, pos, ok := arrayHeader(data, pos)
		if !ok || cnt > n.n {
			return 0, false
		}
		esize := n.elem.size
		for i := range cnt {
			if pos, ok = n.elem.decode(data, pos, unsafe.Add(ptr, uintptr(i)*esize)); !ok {
				return 0, false
			}
		}
		return pos, true
	case treeMap:
		if c == 0xc0 {
			return pos + 1, true // nil
		}
		return n.decodeMap(data, pos, ptr)
	case treePtr:
		if c == 0xc0 {
			return pos + 1, true // nil
		}
		p := reflect.New(n.elem.typ).UnsafePointer()
		end, ok := n.elem.decode(data, pos, p)
		if ok {
			*(*unsafe.Pointer)(ptr) = p
		}
		return end, ok
	}
	return 0, false
}

// newArray allocates the zeroed backing array of cnt elements of a slice:
// with make for scalar elements, with reflect for the others.
func (n *treeNode) newArray(cnt int) unsafe.Pointer {
	switch n.scalar {
	case flatBool:
		return unsafe.Pointer(unsafe.SliceData(make([]bool, cnt)))
	case flatInt8:
		return unsafe.Pointer(unsafe.SliceData(make([]uint8, cnt)))
	case flatInt16:
		return unsafe.Pointer(unsafe.SliceData(make([]uint16, cnt)))
	case flatInt32, flatFloat32:
		return unsafe.Pointer(unsafe.SliceData(make([]uint32, cnt)))
	case flatInt64, flatFloat64:
		return unsafe.Pointer(unsafe.SliceData(make([]uint64, cnt)))
	case flatString:
		return unsafe.Pointer(unsafe.SliceData(make([]string, cnt)))
	}
	return reflect.MakeSlice(n.typ, cnt, cnt).UnsafePointer()
}

// arrayHeader reads an array's header at data[pos:] (fixarray, array16,
// array32): its length, bounded by the input left (every element takes a
// byte at least), and the position after the header.
func arrayHeader(data []byte, pos int) (cnt, end int, ok bool) {
	c := data[pos]
	switch {
	case c >= 0x90 && c <= 0x9f:
		cnt, pos = int(c&0x0f), pos+1
	case c == 0xdc && len(data)-pos >= 3:
		cnt, pos = int(binary.BigEndian.Uint16(data[pos+1:])), pos+3
	case c == 0xdd && len(data)-pos >= 5:
		cnt, pos = int(binary.BigEndian.Uint32(data[pos+1:])), pos+5
	default:
		return 0, 0, false
	}
	if cnt > len(data)-pos {
		return 0, 0, false
	}
	return cnt, pos, true
}

// mapHeader reads a map's header at data[pos:] (fixmap, map16, map32): its
// entries, bounded by the input left (two bytes each at least), and the
// position after the header. msgpack skips an extension header before a
// map's: the tree path leaves that to it.
func mapHeader(data []byte, pos int) (cnt, end int, ok bool) {
	c := data[pos]
	switch {
	case c >= 0x80 && c <= 0x8f:
		cnt, pos = int(c&0x0f), pos+1
	case c == 0xde && len(data)-pos >= 3:
		cnt, pos = int(binary.BigEndian.Uint16(data[pos+1:])), pos+3
	case c == 0xdf && len(data)-pos >= 5:
		cnt, pos = int(binary.BigEndian.Uint32(data[pos+1:])), pos+5
	default:
		return 0, 0, false
	}
	if cnt > (len(data)-pos)/2 {
		return 0, 0, false
	}
	return cnt, pos, true
}

// decodeStruct decodes a struct in map form (nil leaves it zero).
func (n *treeNode) decodeStruct(data []byte, pos int, ptr unsafe.Pointer) (int, bool) {
	if data[pos] == 0xc0 {
		return pos + 1, true
	}
	cnt, pos, ok := mapHeader(data, pos)
	if !ok {
		return 0, false
	}
	var seen uint64
	next := 0
	for range cnt {
		if pos >= len(data) {
			return 0, false
		}
		var key []byte
		if data[pos] == 0xc0 { // a nil name: "", no field's
			pos++
		} else if key, pos, ok = flatStr(data, pos); !ok {
			return 0, false
		}
		i := n.field(key, &next)
		if i < 0 {
			if pos, ok = skipValue(data, pos); !ok {
				return 0, false
			}
			continue
		}
		if seen&(1<<i) != 0 {
			return 0, false // msgpack would decode into what the first one left
		}
		seen |= 1 << i
		f := &n.fields[i]
		if pos, ok = f.node.decode(data, pos, unsafe.Add(ptr, f.off)); !ok {
			return 0, false
		}
	}
	return pos, true
}

// field returns the index of the field named key, or -1, looking at
// *next first.
func (n *treeNode) field(key []byte, next *int) int {
	if i := *next; i < len(n.fields) && n.fields[i].name == string(key) {
		*next = i + 1
		return i
	}
	for i := range n.fields {
		if n.fields[i].name == string(key) {
			*next = i + 1
			return i
		}
	}
	return -1
}

// decodeMap decodes a map: a new one, its entries decoded into a fresh key
// and value each, the last of duplicate keys kept, as msgpack does.
func (n *treeNode) decodeMap(data []byte, pos int, ptr unsafe.Pointer) (int, bool) {
	cnt, pos, ok := mapHeader(data, pos)
	if !ok {
		return 0, false
	}
	if end, ok, done := n.fastMap(data, pos, ptr, cnt); done {
		return end, ok
	}
	m := reflect.MakeMapWithSize(n.typ, cnt)
	kp, vp := reflect.New(n.key.typ), reflect.New(n.elem.typ)
	k, v := kp.Elem(), vp.Elem()
	for range cnt {
		if pos, ok = n.key.decode(data, pos, kp.UnsafePointer()); !ok {
			return 0, false
		}
		v.SetZero()
		if pos, ok = n.elem.decode(data, pos, vp.UnsafePointer()); !ok {
			return 0, false
		}
		m.SetMapIndex(k, v)
	}
	*(*unsafe.Pointer)(ptr) = m.UnsafePointer()
	return pos, true
}

var (
	mapStringIntType    = reflect.TypeFor[map[string]int]()
	mapStringStringType = reflect.TypeFor[map[string]string]()
)

// fastMap decodes the entries of a map[string]int or map[string]string
// (the types themselves, not named ones) without reflect; done is false
// for another type.
func (n *treeNode) fastMap(data []byte, pos int, ptr unsafe.Pointer, cnt int) (end int, ok, done bool) {
	switch n.typ {
	case mapStringIntType:
		m := make(map[string]int, cnt)
		for range cnt {
			var k string
			var v int
			var ok bool
			if pos, ok = n.key.decode(data, pos, unsafe.Pointer(&k)); !ok {
				return 0, false, true
			}
			if pos, ok = n.elem.decode(data, pos, unsafe.Pointer(&v)); !ok {
				return 0, false, true
			}
			m[k] = v
		}
		*(*map[string]int)(ptr) = m
		return pos, true, true
	case mapStringStringType:
		m := make(map[string]string, cnt)
		for range cnt {
			var k, v string
			var ok bool
			if pos, ok = n.key.decode(data, pos, unsafe.Pointer(&k)); !ok {
				return 0, false, true
			}
			if pos, ok = n.elem.decode(data, pos, unsafe.Pointer(&v)); !ok {
				return 0, false, true
			}
			m[k] = v
		}
		*(*map[string]string)(ptr) = m
		return pos, true, true
	}
	return 0, false, false
}

// treeTimeValue reads a time.Time field's value at data[pos:] as msgpack's
// decoder of the registered extension -1 does: an extension of any header
// form whose type is -1 and whose data is 4 bytes (seconds), 8 (30 bits of
// nanoseconds and 34 of seconds) or 12 (32 bits of nanoseconds, 64 of
// seconds), in the local time zone; the zero time in UTC.
func treeTimeValue(data []byte, pos int) (time.Time, int, bool) {
	c := data[pos]
	var size, head int
	switch c {
	case 0xd4, 0xd5, 0xd6, 0xd7, 0xd8: // fixext 1, 2, 4, 8, 16
		size, head = 1<<(c-0xd4), 2
	case 0xc7: // ext8
		if len(data)-pos < 3 {
			return time.Time{}, 0, false
		}
		size, head = int(data[pos+1]), 3
	case 0xc8: // ext16
		if len(data)-pos < 4 {
			return time.Time{}, 0, false
		}
		size, head = int(binary.BigEndian.Uint16(data[pos+1:])), 4
	case 0xc9: // ext32
		if len(data)-pos < 6 {
			return time.Time{}, 0, false
		}
		size, head = int(binary.BigEndian.Uint32(data[pos+1:])), 6
	default:
		return time.Time{}, 0, false
	}
	if head > len(data)-pos || size > len(data)-pos-head || data[pos+head-1] != 0xff {
		return time.Time{}, 0, false
	}
	b := data[pos+head : pos+head+size]
	var tm time.Time
	switch size {
	case 4:
		tm = time.Unix(int64(binary.BigEndian.Uint32(b)), 0)
	case 8:
		sec := binary.BigEndian.Uint64(b)
		tm = time.Unix(int64(sec&0x00000003ffffffff), int64(sec>>34))
	case 12:
		tm = time.Unix(int64(binary.BigEndian.Uint64(b[4:])), int64(binary.BigEndian.Uint32(b)))
	default:
		return time.Time{}, 0, false
	}
	if tm.IsZero() {
		tm = tm.UTC()
	}
	return tm, pos + head + size, true
}

// skipValue skips the value at data[pos:] as msgpack's Decoder.Skip does,
// checking it as checkMsgpack does, nesting at most treeMaxSkipDepth
// levels, without allocating.
func skipValue(data []byte, pos int) (int, bool) {
	var stack [treeMaxSkipDepth]uint64
	depth := 0
	pending := uint64(1)
	for {
		for pending == 0 {
			if depth == 0 {
				return pos, true
			}
			depth--
			pending = stack[depth]
		}
		pending--
		head, body, items, ok := skipToken(data, pos)
		if !ok {
			return 0, false
		}
		left := uint64(len(data) - pos)
		if uint64(head)+body > left {
			return 0, false
		}
		pos += head + int(body)
		if items == 0 {
			continue
		}
		if items > uint64(len(data)-pos) || depth == treeMaxSkipDepth {
			return 0, false
		}
		stack[depth] = pending
		depth++
		pending = items
	}
}

// skipToken is msgpackToken without its errors: the size of the header
// of the token at data[pos:], of its payload, and its items.
func skipToken(data []byte, pos int) (head int, body, items uint64, ok bool) {
	if pos >= len(data) {
		return 0, 0, 0, false
	}
	c := data[pos]
	switch {
	case c <= 0x7f, c >= 0xe0:
		return 1, 0, 0, true
	case c <= 0x8f:
		return 1, 0, 2 * uint64(c&0x0f), true
	case c <= 0x9f:
		return 1, 0, uint64(c & 0x0f), true
	case c <= 0xbf:
		return 1, uint64(c & 0x1f), 0, true
	case c == 0xc1:
		return 0, 0, 0, false
	}
	head, body, items, err := msgpackToken(data[pos:])
	return head, body, items, err == nil
}

// scalarValue reads a value of kind k at data[pos:] into *bits, as
// flatField.value does.
func scalarValue(k flatKind, data []byte, pos int, bits *uint64) (int, bool) {
	f := flatField{kind: k}
	var v flatValue
	end, ok := f.value(data, pos, &v)
	*bits = v.bits
	return end, ok
}

// storeScalar writes a value of kind k, read from data, at ptr.
func storeScalar(k flatKind, ptr unsafe.Pointer, data []byte, bits uint64) {
	switch k {
	case flatBool:
		*(*bool)(ptr) = bits != 0
	case flatInt8:
		*(*uint8)(ptr) = uint8(bits)
	case flatInt16:
		*(*uint16)(ptr) = uint16(bits)
	case flatInt32, flatFloat32:
		*(*uint32)(ptr) = uint32(bits)
	case flatInt64, flatFloat64:
		*(*uint64)(ptr) = bits
	case flatString:
		if bits == flatNilString {
			*(*string)(ptr) = ""
		} else {
			start := int(bits >> 32)
			*(*string)(ptr) = string(data[start : start+int(uint32(bits))])
		}
	}
}
