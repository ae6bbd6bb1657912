package ring

import (
	"errors"
	"fmt"
	"reflect"

	"github.com/ringcache/ring/descriptor"
	"github.com/ringcache/ring/pykey"
)

// PythonKeys builds keys exactly as Python Ring 0.10.1 builds them for its
// remote storages (redis, memcache), so that a Go ring and a Python Ring
// function share entries: the prefix, then ':' and Python's coerce() of
// each argument, unescaped. A receiver keys as its RingKey() (Python's
// __ring_key__), a Class ring's receiver as its bare type name ("User");
// see package pykey for the Go to Python type mapping. Types Python
// refuses (a float argument) or that have no Python form ring can
// reproduce fail when the ring is built.
//
// The format is Python's and is not injective: f("a:b") and f("a", "b"),
// f(1) and f("1"), f([]string{"a b"}) and f([]string{"ab"}) share a key.
// Use it only to share a cache with Python; ring's default keys are
// escaped. A ring with PythonKeys needs a KeyPrefix (Python's default,
// module.qualname, is the Python side's to say) and takes no KeyFunc or
// HashKeys. See docs/python-ring.md.
func PythonKeys() Option {
	return newOption("PythonKeys()", func(c *config) { c.pythonKeys = true })
}

// checkPythonKeys refuses the options PythonKeys does not combine with.
func checkPythonKeys(s *descriptor.Shape, cfg *config) error {
	if !cfg.pythonKeys {
		return nil
	}
	var err error
	switch {
	case cfg.prefix == nil:
		err = errors.New("ring: PythonKeys needs a KeyPrefix: the Python function's key_prefix (by default its module.qualname, such as \"app.users.get_user\")")
	case cfg.keyFunc != nil:
		err = errors.New("ring: PythonKeys and KeyFunc both build the key: choose one")
	case cfg.hashKeys != nil:
		err = errors.New("ring: PythonKeys and HashKeys: Python Ring does not hash its keys")
	}
	return named(s.Name, "", err)
}

// pythonEncoderFor is encoderFor under PythonKeys.
func pythonEncoderFor[T any](s *descriptor.Shape, p descriptor.Param) (func([]byte, T) ([]byte, error), error) {
	if s.KeyedByType(p) {
		return pythonClassEncoder[T](p.Type), nil
	}
	enc, err := pykey.Typed[T]()
	if err != nil {
		return nil, s.ParamError(p, "", err)
	}
	return enc, nil
}

// pythonClassEncoder keys a receiver by its bare type name, Python's
// cls.__name__: the static type's, or for an interface the dynamic type's.
func pythonClassEncoder[T any](t reflect.Type) func([]byte, T) ([]byte, error) {
	if t.Kind() != reflect.Interface {
		name := pykey.ClassName(t)
		return func(dst []byte, _ T) ([]byte, error) { return append(dst, name...), nil }
	}
	return func(dst []byte, v T) ([]byte, error) {
		a := any(v)
		if a == nil {
			return dst, fmt.Errorf("ring: PythonKeys: the class of a nil %s receiver is unknown", t)
		}
		return append(dst, pykey.ClassName(reflect.TypeOf(a))...), nil
	}
}

// pythonReflectComponent is reflectComponent under PythonKeys.
func pythonReflectComponent(s *descriptor.Shape, i int, p descriptor.Param) (component[[]any], error) {
	if s.KeyedByType(p) {
		e := pythonClassEncoder[any](p.Type)
		return func(dst []byte, k []any) ([]byte, error) { return e(dst, k[i]) }, nil
	}
	enc, err := pykey.EncoderOf(p.Type)
	if err != nil {
		return nil, s.ParamError(p, "", err)
	}
	return func(dst []byte, k []any) ([]byte, error) {
		return enc(dst, valueAs(k[i], p.Type))
	}, nil
}
