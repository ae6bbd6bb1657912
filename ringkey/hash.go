package ringkey

import (
	"fmt"
	"reflect"
	"sync"

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
		perr.reason += hashHint(t, perr.unseen)
		return nil, perr
	}
	guard := c.mayCycle
	return addrEncoder(t, func(dst []byte, p reflect.Value, _ int) ([]byte, error) {
		// p is a *T: hashstructure dereferences it, and an addressable
		// T lets it find Hashable and Includable on *T.
		if guard {
			if err := guardWalk(t, p, 0); err != nil {
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

// hashHint is what a rejection inside the structural hash of struct type t
// adds to its reason: how to key t instead.
func hashHint(t reflect.Type, unseen bool) string {
	h := fmt.Sprintf(" (%s has no RingKey or String method, so it is keyed by a structural hash (hashstructure), which sees only exported fields: "+
		"give %s a RingKey() string or String() string method, or key by a value that has one", t, t)
	if !unseen {
		h += `, or tag the field hash:"-"`
	}
	return h + ")"
}

// hashChecker finds, from a type alone, the values hashstructure (v2.0.2,
// FormatV2, default options) would fail on or would not see. It mirrors
// hashstructure's walk: pointers and interfaces are followed, fields tagged
// hash:"ignore" or hash:"-" are skipped (the user's explicit opt-out, also
// allowed on an unexported field),
// time.Time is hashed whole, and types implementing hashstructure.Hashable
// or Includable are trusted. An unexported field of non-zero size is an
// error: hashstructure skips it, so values that differ only there would
// share a key. (A zero-size field holds one value only, so skipping it
// loses nothing.)
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
			step := "field " + f.Name + " type " + f.Type.String()
			tag := f.Tag.Get("hash")
			if tag == "ignore" || tag == "-" {
				continue
			}
			if !f.IsExported() {
				if f.Type.Size() == 0 {
					continue
				}
				return (&pathError{reason: "is unexported, so the structural hash would not see it", unseen: true}).wrap(step)
			}
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

// hashCheckCache maps a dynamic type met inside a hashed value to the
// result of checking it (*pathError, nil when it is fine), so the check at
// call time is a map lookup per interface value.
var hashCheckCache sync.Map

// checkDynamic checks a type found behind an interface inside a hashed
// value, once per type.
func checkDynamic(dt reflect.Type) *pathError {
	if v, ok := hashCheckCache.Load(dt); ok {
		perr, _ := v.(*pathError)
		return perr
	}
	c := hashChecker{state: make(map[reflect.Type]int)}
	perr := c.check(dt)
	if perr != nil {
		hashCheckCache.Store(dt, perr)
	} else {
		hashCheckCache.Store(dt, false)
	}
	return perr
}

// guardWalk walks v (a value inside the hashed struct type top) the way
// hashstructure does. It reports a dynamic value behind an interface that
// the hash would fail on or would not see entirely (an unexported field,
// as in every errors.New value), and a cyclic value, instead of the stack
// overflow hashstructure would hit. It runs only for types whose values may
// hold interfaces or recursive types.
func guardWalk(top reflect.Type, v reflect.Value, depth int) error {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Interface {
		if v.IsNil() {
			return nil
		}
		if v.Kind() == reflect.Interface {
			dt := v.Elem().Type()
			if perr := checkDynamic(dt); perr != nil {
				perr = perr.clone()
				perr.reason += hashHint(top, perr.unseen)
				return perr.wrap("a value of dynamic type " + dt.String()).typeError(top)
			}
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
			if err := guardWalk(top, v.Index(i), depth+1); err != nil {
				return err
			}
		}
	case reflect.Map:
		it := v.MapRange()
		for it.Next() {
			if err := guardWalk(top, it.Key(), depth+1); err != nil {
				return err
			}
			if err := guardWalk(top, it.Value(), depth+1); err != nil {
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
				continue // zero-size: the static check refused the others
			}
			if tag := f.Tag.Get("hash"); tag == "ignore" || tag == "-" || tag == "string" {
				continue
			}
			if err := guardWalk(top, v.Field(i), depth+1); err != nil {
				return err
			}
		}
	}
	return nil
}
