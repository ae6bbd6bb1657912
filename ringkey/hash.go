package ringkey

import (
	"fmt"
	"reflect"

	"github.com/mitchellh/hashstructure/v2"
)

var (
	hashableType   = reflect.TypeFor[hashstructure.Hashable]()
	includableType = reflect.TypeFor[hashstructure.Includable]()
)

// structEncoder encodes a struct type that does not implement RingKeyer
// (on T or *T): by String() if T or *T implements fmt.Stringer, else by the
// structural hash.
func structEncoder(t reflect.Type) (encFunc, *pathError) {
	if t.Implements(stringerType) {
		return encodeStringer, nil
	}
	if reflect.PointerTo(t).Implements(stringerType) {
		return addrEncoder(t, encodeStringer), nil
	}
	c := hashChecker{state: make(map[reflect.Type]int)}
	if perr := c.check(t); perr != nil {
		perr.reason += " (a struct without RingKey or String is hashed by hashstructure: add one of those methods or tag the field hash:\"-\")"
		return nil, perr
	}
	guard := c.mayCycle
	return addrEncoder(t, func(dst []byte, p reflect.Value, _ int) ([]byte, error) {
		// p is a *T: hashstructure dereferences it, and an addressable
		// T lets it find Hashable and Includable on *T.
		if guard {
			if err := guardWalk(p, 0); err != nil {
				return dst, err
			}
		}
		h, err := hashstructure.Hash(p.Interface(), hashstructure.FormatV2, nil)
		if err != nil {
			return dst, fmt.Errorf("ring: cannot hash value of type %s: %w", t, err)
		}
		return appendHash(dst, h), nil
	}), nil
}

const hexDigits = "0123456789abcdef"

// appendHash appends # and h as 16 lower-case hex digits.
func appendHash(dst []byte, h uint64) []byte {
	dst = append(dst, '#')
	for shift := 60; shift >= 0; shift -= 4 {
		dst = append(dst, hexDigits[(h>>uint(shift))&0xf])
	}
	return dst
}

// hashChecker finds, from a type alone, the values hashstructure (v2.0.2,
// FormatV2, default options) would fail on. It mirrors hashstructure's walk:
// pointers and interfaces are followed, unexported fields and fields tagged
// hash:"ignore" or hash:"-" are skipped, time.Time is hashed whole, and
// types implementing hashstructure.Hashable or Includable are trusted.
type hashChecker struct {
	state    map[reflect.Type]int // 1: being checked, 2: done
	mayCycle bool                 // a value may be cyclic or unboundedly deep
}

func (c *hashChecker) check(t reflect.Type) *pathError {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.String:
		return nil
	case reflect.Interface:
		// The dynamic value is only known at call time.
		c.mayCycle = true
		return nil
	case reflect.Uintptr:
		return &pathError{reason: "is a uintptr, which hashstructure cannot hash"}
	case reflect.Complex128:
		return &pathError{reason: "is a complex128, which hashstructure cannot hash"}
	case reflect.Func:
		return &pathError{reason: "is a func"}
	case reflect.Chan:
		return &pathError{reason: "is a chan"}
	case reflect.UnsafePointer:
		return &pathError{reason: "is an unsafe.Pointer"}
	}
	switch c.state[t] {
	case 1:
		c.mayCycle = true
		return nil
	case 2:
		return nil
	}
	c.state[t] = 1
	defer func() { c.state[t] = 2 }()
	switch t.Kind() {
	case reflect.Pointer, reflect.Slice, reflect.Array:
		if perr := c.check(t.Elem()); perr != nil {
			return perr.wrap("element type " + t.Elem().String())
		}
	case reflect.Map:
		if perr := c.check(t.Key()); perr != nil {
			return perr.wrap("map key type " + t.Key().String())
		}
		if perr := c.check(t.Elem()); perr != nil {
			return perr.wrap("map value type " + t.Elem().String())
		}
	case reflect.Struct:
		if t == timeType || trusted(t) {
			return nil
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("hash")
			if tag == "ignore" || tag == "-" {
				continue
			}
			step := "field " + f.Name + " type " + f.Type.String()
			if tag == "string" {
				if f.Type.Implements(stringerType) {
					continue // hashed as its String()
				}
				if f.Type.Kind() != reflect.Interface {
					return (&pathError{reason: "has tag hash:\"string\" but does not implement fmt.Stringer"}).wrap(step)
				}
			}
			if perr := c.check(f.Type); perr != nil {
				return perr.wrap(step)
			}
		}
	default:
		return &pathError{reason: "has unsupported kind " + t.Kind().String()}
	}
	return nil
}

// trusted reports whether hashstructure hands a struct of type t to the
// type's own Hash or HashInclude methods, which may accept any fields.
func trusted(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	return t.Implements(hashableType) || pt.Implements(hashableType) ||
		t.Implements(includableType) || pt.Implements(includableType)
}

// guardWalk walks v the way hashstructure does and reports an error instead
// of the stack overflow hashstructure would hit on a cyclic value. It runs
// only for types whose values may hold interfaces or recursive types.
func guardWalk(v reflect.Value, depth int) error {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		if depth++; depth > maxDepth {
			return tooDeep(v.Type())
		}
		v = v.Elem()
	}
	if depth > maxDepth {
		return tooDeep(v.Type())
	}
	switch v.Kind() {
	case reflect.Slice, reflect.Array:
		if v.Type().Elem().Kind() <= reflect.Complex128 || v.Type().Elem().Kind() == reflect.String {
			return nil
		}
		for i := 0; i < v.Len(); i++ {
			if err := guardWalk(v.Index(i), depth+1); err != nil {
				return err
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if err := guardWalk(it.Key(), depth+1); err != nil {
				return err
			}
			if err := guardWalk(it.Value(), depth+1); err != nil {
				return err
			}
		}
	case reflect.Struct:
		t := v.Type()
		if t == timeType || trusted(t) {
			return nil
		}
		for i := 0; i < t.NumField(); i++ {
			f := t.Field(i)
			if !f.IsExported() {
				continue
			}
			if tag := f.Tag.Get("hash"); tag == "ignore" || tag == "-" || tag == "string" {
				continue
			}
			if err := guardWalk(v.Field(i), depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}
