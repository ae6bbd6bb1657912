package ringkey

import (
	"errors"
	"fmt"
	"reflect"
	"sync"
	"time"

	"github.com/ringcache/ring/descriptor"
)

// RingKeyer is implemented by types that name their own key component, the
// analog of Python Ring's __ring_key__. The returned string is escaped (see
// [AppendEscaped]) and used as the whole component; it wins over every other
// rule except those for time.Time and time.Duration. RingKey is never called
// on a nil pointer or a nil interface: those encode as \N.
type RingKeyer interface{ RingKey() string }

// Encoder appends the key component of v to dst and returns the extended
// buffer. v must be a value of the static type the encoder was built for;
// an encoder for an interface type also accepts the invalid Value (nil) and
// a value of any type that implements the interface (taken as the dynamic
// value). Encoders are safe for concurrent use. On error the returned
// buffer may hold a partial component and should be discarded.
type Encoder func(dst []byte, v reflect.Value) ([]byte, error)

// encFunc is the internal form of an encoder; depth counts the containers
// (pointers, interfaces, slices, arrays, maps) entered so far and bounds
// the recursion on cyclic values.
type encFunc func(dst []byte, v reflect.Value, depth int) ([]byte, error)

// maxDepth bounds nesting; deeper (or cyclic) values are an error.
const maxDepth = 1000

var (
	stringerType = reflect.TypeFor[fmt.Stringer]()
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
)

// cacheEntry is the cached result of building the encoder of one type.
type cacheEntry struct {
	typ  reflect.Type
	fn   encFunc
	pub  Encoder
	name []byte     // escaped typ.String(), the TYPE of an interface component
	perr *pathError // why typ is not keyable, relative to typ
	err  error      // perr as a *TypeError naming typ
}

// encoderCache maps reflect.Type to *cacheEntry, like encoding/json's
// encoderCache. Entries are never removed; the number of types is bounded
// by the program.
var encoderCache sync.Map

// EncoderOf returns the encoder for values of static type t. It is built
// once per type and cached, so later calls are a map lookup; EncoderOf is
// safe for concurrent use. Types that can never be keys are rejected here
// with a *[TypeError]: func, chan and unsafe.Pointer (unless the type
// implements [RingKeyer]), composite types containing them, and structs
// that fall back to the structural hash but hold a field the hash cannot
// take or would not see, such as an unexported field (see the package
// documentation).
func EncoderOf(t reflect.Type) (Encoder, error) {
	if t == nil {
		return nil, errors.New("ring: nil type is not keyable")
	}
	e := lookup(t)
	if e.err != nil {
		return nil, e.err
	}
	return e.pub, nil
}

func lookup(t reflect.Type) *cacheEntry {
	if v, ok := encoderCache.Load(t); ok {
		return v.(*cacheEntry)
	}
	b := builder{pending: make(map[reflect.Type]*encFunc)}
	fn, perr := b.build(t)
	e := &cacheEntry{typ: t, name: AppendEscaped(nil, t.String())}
	if perr != nil {
		e.perr = perr
		e.err = perr.typeError(t)
	} else {
		e.fn = fn
		e.pub = publicEncoder(t, fn)
	}
	v, _ := encoderCache.LoadOrStore(t, e)
	return v.(*cacheEntry)
}

// publicEncoder checks the value's type before running fn.
func publicEncoder(t reflect.Type, fn encFunc) Encoder {
	if t.Kind() == reflect.Interface {
		return func(dst []byte, v reflect.Value) ([]byte, error) {
			if !v.IsValid() {
				return append(dst, nilMark...), nil
			}
			if vt := v.Type(); vt != t && !vt.Implements(t) {
				return dst, fmt.Errorf("ring: encoder for type %s got a value of type %s", t, vt)
			}
			return fn(dst, v, 0)
		}
	}
	return func(dst []byte, v reflect.Value) ([]byte, error) {
		if !v.IsValid() {
			return dst, fmt.Errorf("ring: encoder for type %s got an invalid (nil) value", t)
		}
		if vt := v.Type(); vt != t {
			return dst, fmt.Errorf("ring: encoder for type %s got a value of type %s", t, vt)
		}
		return fn(dst, v, 0)
	}
}

// builder builds the encoder of one type and of the types it contains.
// pending holds the types being built, so that recursive types (type L []L)
// get an encoder that calls through to the one being built.
type builder struct {
	pending map[reflect.Type]*encFunc
}

func (b *builder) build(t reflect.Type) (encFunc, *pathError) {
	if v, ok := encoderCache.Load(t); ok {
		e := v.(*cacheEntry)
		if e.perr != nil {
			return nil, e.perr.clone()
		}
		return e.fn, nil
	}
	if p, ok := b.pending[t]; ok {
		return func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
			return (*p)(dst, v, depth)
		}, nil
	}
	p := new(encFunc)
	b.pending[t] = p
	fn, perr := b.newEncoder(t)
	delete(b.pending, t)
	if perr != nil {
		return nil, perr
	}
	*p = fn
	return fn, nil
}

// implementsRingKeyer reports whether t keys itself by RingKey: t has it,
// or only *t has it (an addressable copy then calls it). Whether a type has
// RingKey() string is descriptor's one check, the one Describe applies to a
// receiver.
func implementsRingKeyer(t reflect.Type) bool {
	return descriptor.HasRingKey(t) || descriptor.PointerHasRingKey(t)
}

func (b *builder) newEncoder(t reflect.Type) (encFunc, *pathError) {
	switch t {
	case timeType:
		return encodeTime, nil
	case durationType:
		return encodeDuration, nil
	}
	if descriptor.HasRingKey(t) {
		if k := t.Kind(); k == reflect.Pointer || k == reflect.Interface {
			return encodeRingKeyerNilable, nil
		}
		return encodeRingKeyer, nil
	}
	if descriptor.PointerHasRingKey(t) {
		return addrEncoder(t, encodeRingKeyer), nil
	}
	switch t.Kind() {
	case reflect.Bool:
		return encodeBool, nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return encodeInt, nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		return encodeUint, nil
	case reflect.Float32:
		return encodeFloat32, nil
	case reflect.Float64:
		return encodeFloat64, nil
	case reflect.Complex64:
		return encodeComplex64, nil
	case reflect.Complex128:
		return encodeComplex128, nil
	case reflect.String:
		return encodeString, nil
	case reflect.Slice:
		if isByteElem(t.Elem()) {
			return encodeByteSlice, nil
		}
		return b.listEncoder(t)
	case reflect.Array:
		if isByteElem(t.Elem()) {
			return encodeByteArray, nil
		}
		return b.listEncoder(t)
	case reflect.Map:
		return b.mapEncoder(t)
	case reflect.Pointer:
		return b.pointerEncoder(t)
	case reflect.Interface:
		return encodeInterface, nil
	case reflect.Struct:
		return structEncoder(t)
	case reflect.Func:
		return nil, &pathError{reason: "is a func"}
	case reflect.Chan:
		return nil, &pathError{reason: "is a chan"}
	case reflect.UnsafePointer:
		return nil, &pathError{reason: "is an unsafe.Pointer"}
	}
	return nil, &pathError{reason: "has unsupported kind " + t.Kind().String()}
}

// isByteElem reports whether a slice or array with this element type is
// encoded as escaped bytes rather than as a list.
func isByteElem(elem reflect.Type) bool {
	return elem.Kind() == reflect.Uint8 && !implementsRingKeyer(elem)
}

func (b *builder) listEncoder(t reflect.Type) (encFunc, *pathError) {
	elem, perr := b.build(t.Elem())
	if perr != nil {
		return nil, perr.wrap("element type " + t.Elem().String())
	}
	return func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
		if depth >= maxDepth {
			return dst, tooDeep(t)
		}
		dst = append(dst, '[')
		n := v.Len()
		var err error
		for i := 0; i < n; i++ {
			if i > 0 {
				dst = append(dst, ',')
			}
			start := len(dst)
			if dst, err = elem(dst, v.Index(i), depth+1); err != nil {
				return dst, err
			}
			if len(dst) == start {
				// An empty element is written as \E, so that [] (no
				// elements) and [\E] (one empty string) differ.
				dst = append(dst, emptyMark...)
			}
		}
		return append(dst, ']'), nil
	}, nil
}

func (b *builder) pointerEncoder(t reflect.Type) (encFunc, *pathError) {
	elem, perr := b.build(t.Elem())
	if perr != nil {
		return nil, perr.wrap("element type " + t.Elem().String())
	}
	amp := false
	if k := t.Elem().Kind(); k == reflect.Pointer || k == reflect.Interface {
		amp = true
	}
	return func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
		if v.IsNil() {
			return append(dst, nilMark...), nil
		}
		if depth >= maxDepth {
			return dst, tooDeep(t)
		}
		if amp {
			dst = append(dst, '&')
		}
		return elem(dst, v.Elem(), depth+1)
	}, nil
}

func tooDeep(t reflect.Type) error {
	return fmt.Errorf("ring: value of type %s is nested more than %d levels deep (cyclic?)", t, maxDepth)
}

// nilMark is the component of a nil pointer or interface.
const nilMark = `\N`

// emptyMark stands for an empty element inside a list.
const emptyMark = `\E`
