package ringkey

import (
	"reflect"
	"strconv"
	"time"
	"unsafe"

	"github.com/ringcache/ring/descriptor"
)

// Typed returns an encoder for values of T whose output is byte-for-byte
// the output of [EncoderOf](T) for every value. It is safe for concurrent
// use.
//
// The type is inspected once, when Typed is called. For time.Time,
// time.Duration, every basic kind (string, bool, all int, uint, float and
// complex kinds, named or not) and []byte-kinded slices, and for pointer
// and interface types that implement [RingKeyer], the returned function
// reads the value directly through unsafe (the layout chosen once from the
// kind), uses no per-call reflection and does not allocate when dst has
// enough capacity (user RingKey methods aside). For other interface types
// (any, error, ...) it converts without allocating and runs the dynamic
// type's cached encoder. Every other type goes through EncoderOf(T) with
// reflect.ValueOf, which may allocate.
//
// Typed returns the same error as EncoderOf when T is not keyable.
func Typed[T any]() (func(dst []byte, v T) ([]byte, error), error) {
	t := reflect.TypeFor[T]()
	e := lookup(t)
	if e.err != nil {
		return nil, e.err
	}
	if f := fastTyped[T](t); f != nil {
		return f, nil
	}
	fn := e.fn
	return func(dst []byte, v T) ([]byte, error) {
		return fn(dst, reflect.ValueOf(v), 0)
	}, nil
}

// fastTyped returns the reflection-free encoder for T, or nil.
func fastTyped[T any](t reflect.Type) func(dst []byte, v T) ([]byte, error) {
	switch t {
	case timeType:
		return func(dst []byte, v T) ([]byte, error) {
			return appendTime(dst, *(*time.Time)(unsafe.Pointer(&v))), nil
		}
	case durationType:
		return func(dst []byte, v T) ([]byte, error) {
			return appendDuration(dst, *(*time.Duration)(unsafe.Pointer(&v))), nil
		}
	}
	if descriptor.HasRingKey(t) {
		switch t.Kind() {
		case reflect.Pointer:
			return func(dst []byte, v T) ([]byte, error) {
				if *(*unsafe.Pointer)(unsafe.Pointer(&v)) == nil {
					return append(dst, nilMark...), nil
				}
				return AppendEscaped(dst, any(v).(RingKeyer).RingKey()), nil
			}
		case reflect.Interface:
			return func(dst []byte, v T) ([]byte, error) {
				x := any(v)
				if x == nil {
					return append(dst, nilMark...), nil
				}
				if reflect.TypeOf(x).Kind() == reflect.Pointer && reflect.ValueOf(x).IsNil() {
					return append(dst, nilMark...), nil
				}
				return AppendEscaped(dst, x.(RingKeyer).RingKey()), nil
			}
		}
		return nil
	}
	if descriptor.PointerHasRingKey(t) {
		return nil // pointer methods: needs an addressable copy
	}
	switch t.Kind() {
	case reflect.Interface:
		return func(dst []byte, v T) ([]byte, error) {
			x := any(v)
			if x == nil {
				return append(dst, nilMark...), nil
			}
			return appendDynamic(dst, reflect.ValueOf(x), 0)
		}
	case reflect.String:
		return func(dst []byte, v T) ([]byte, error) {
			return AppendEscaped(dst, *(*string)(unsafe.Pointer(&v))), nil
		}
	case reflect.Bool:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendBool(dst, *(*bool)(unsafe.Pointer(&v))), nil
		}
	case reflect.Int:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendInt(dst, int64(*(*int)(unsafe.Pointer(&v))), 10), nil
		}
	case reflect.Int8:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendInt(dst, int64(*(*int8)(unsafe.Pointer(&v))), 10), nil
		}
	case reflect.Int16:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendInt(dst, int64(*(*int16)(unsafe.Pointer(&v))), 10), nil
		}
	case reflect.Int32:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendInt(dst, int64(*(*int32)(unsafe.Pointer(&v))), 10), nil
		}
	case reflect.Int64:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendInt(dst, *(*int64)(unsafe.Pointer(&v)), 10), nil
		}
	case reflect.Uint:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendUint(dst, uint64(*(*uint)(unsafe.Pointer(&v))), 10), nil
		}
	case reflect.Uint8:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendUint(dst, uint64(*(*uint8)(unsafe.Pointer(&v))), 10), nil
		}
	case reflect.Uint16:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendUint(dst, uint64(*(*uint16)(unsafe.Pointer(&v))), 10), nil
		}
	case reflect.Uint32:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendUint(dst, uint64(*(*uint32)(unsafe.Pointer(&v))), 10), nil
		}
	case reflect.Uint64:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendUint(dst, *(*uint64)(unsafe.Pointer(&v)), 10), nil
		}
	case reflect.Uintptr:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendUint(dst, uint64(*(*uintptr)(unsafe.Pointer(&v))), 10), nil
		}
	case reflect.Float32:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendFloat(dst, float64(*(*float32)(unsafe.Pointer(&v))), 'g', -1, 32), nil
		}
	case reflect.Float64:
		return func(dst []byte, v T) ([]byte, error) {
			return strconv.AppendFloat(dst, *(*float64)(unsafe.Pointer(&v)), 'g', -1, 64), nil
		}
	case reflect.Complex64:
		return func(dst []byte, v T) ([]byte, error) {
			return appendComplex(dst, complex128(*(*complex64)(unsafe.Pointer(&v))), 32), nil
		}
	case reflect.Complex128:
		return func(dst []byte, v T) ([]byte, error) {
			return appendComplex(dst, *(*complex128)(unsafe.Pointer(&v)), 64), nil
		}
	case reflect.Slice:
		if isByteElem(t.Elem()) {
			return func(dst []byte, v T) ([]byte, error) {
				return appendEscapedBytes(dst, *(*[]byte)(unsafe.Pointer(&v))), nil
			}
		}
	}
	return nil
}
