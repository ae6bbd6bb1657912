package pykey

import (
	"errors"
	"reflect"
	"strconv"
	"unsafe"

	"github.com/ringcache/ring/descriptor"
	"github.com/ringcache/ring/ringkey"
)

// Encoder appends the key component of v, a value of the type the encoder
// was built for, to dst: what Python Ring's coerce() returns for the
// Python value v stands for.
type Encoder func(dst []byte, v reflect.Value) ([]byte, error)

// EncoderOf returns the encoder of one argument of static type t. The type
// is inspected once, here; a type Python Ring refuses or ring cannot key as
// Python does is a *[TypeError] that says why. For an interface type other
// than one with RingKey, the dynamic value's type is checked at call time.
func EncoderOf(t reflect.Type) (Encoder, error) {
	if t == nil {
		return nil, errors.New("ring: pykey: nil type")
	}
	n := nodeOf(t)
	if n.top == nil {
		return nil, &TypeError{Type: t, Path: n.topErr.path, Reason: n.topErr.why}
	}
	top := n.top
	return func(dst []byte, v reflect.Value) ([]byte, error) {
		if !v.IsValid() {
			return append(dst, "None"...), nil
		}
		return top(dst, v, 0)
	}, nil
}

// Typed returns the encoder of one argument of type T, like [EncoderOf].
// Strings, booleans and integer kinds (named or not) are read directly,
// without reflection or allocation; other types run the encoder built
// for T.
func Typed[T any]() (func(dst []byte, v T) ([]byte, error), error) {
	t := reflect.TypeFor[T]()
	enc, err := EncoderOf(t)
	if err != nil {
		return nil, err
	}
	if descriptor.HasRingKey(t) {
		switch t.Kind() {
		case reflect.Pointer:
			return func(dst []byte, v T) ([]byte, error) {
				if *(*unsafe.Pointer)(unsafe.Pointer(&v)) == nil {
					return append(dst, "None"...), nil
				}
				return append(dst, any(v).(ringkey.RingKeyer).RingKey()...), nil
			}, nil
		case reflect.Interface:
			// A nil interface, or one holding a nil pointer, is None.
			return func(dst []byte, v T) ([]byte, error) { return enc(dst, reflect.ValueOf(any(v))) }, nil
		}
		return func(dst []byte, v T) ([]byte, error) {
			return append(dst, any(v).(ringkey.RingKeyer).RingKey()...), nil
		}, nil
	}
	if hasRingKey(t) {
		return func(dst []byte, v T) ([]byte, error) { return enc(dst, reflect.ValueOf(&v).Elem()) }, nil
	}
	switch t.Kind() {
	case reflect.String:
		return func(dst []byte, v T) ([]byte, error) { return append(dst, *(*string)(unsafe.Pointer(&v))...), nil }, nil
	case reflect.Bool:
		return func(dst []byte, v T) ([]byte, error) { return appendBool(dst, *(*bool)(unsafe.Pointer(&v))), nil }, nil
	case reflect.Int:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendInt(dst, int64(*(*int)(unsafe.Pointer(&v))), 10), nil
		}, nil
	case reflect.Int64:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendInt(dst, *(*int64)(unsafe.Pointer(&v)), 10), nil
		}, nil
	case reflect.Int32:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendInt(dst, int64(*(*int32)(unsafe.Pointer(&v))), 10), nil
		}, nil
	case reflect.Uint64:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendUint(dst, *(*uint64)(unsafe.Pointer(&v)), 10), nil
		}, nil
	case reflect.Interface:
		return func(dst []byte, v T) ([]byte, error) {
			x := any(v)
			if x == nil {
				return append(dst, "None"...), nil
			}
			return enc(dst, reflect.ValueOf(x))
		}, nil
	}
	return func(dst []byte, v T) ([]byte, error) { return enc(dst, reflect.ValueOf(&v).Elem()) }, nil
}

// ClassName is the key of a classmethod's class, Python's cls.__name__:
// the bare name of t, without its package and pointers ("User" for
// *app.User).
func ClassName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	if n := t.Name(); n != "" {
		return n
	}
	return t.String()
}
