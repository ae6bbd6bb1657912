// Package pykey builds key components exactly as Python Ring 0.10.1 builds
// them for its remote storages (Ring's coerce() with in_memory_storage
// false), so that a Go ring and a Python Ring function share cache
// entries. A ring selects it with ring.PythonKeys(); ring's own escaped
// format (package ringkey) stays the default.
//
// # Go to Python
//
// Each argument is the Python value its Go value stands for, formatted as
// Python Ring formats an argument:
//
//	Go                                   Python        key component
//	a type with RingKey() string         __ring_key__  its result, as it is
//	int, int8..int64, uint..uintptr      int           42, -1
//	string                               str           the string, as it is
//	bool                                 bool          True, False
//	nil pointer, nil interface           None          None
//	non-nil pointer                      the pointee   the pointee's component
//	[]T (not []byte)                     list          str(list), spaces removed: [1,'a',None]
//	[N]T, struct{ exported fields }      tuple         str(tuple), spaces removed: (1,), ('a',2)
//	[]byte, [N]byte                      bytes         repr: b'ab'
//	map[K]V                              dict          k,v pairs sorted by key: a,1,b,2
//	map[K]struct{}                       set           {sorted elements}: {1,2}, {'a','b'}
//	float32, float64                     float         refused, as Python Ring refuses it
//	interface (any, ...)                 the dynamic value's mapping, checked at call time
//	a Class ring's receiver              class         its bare type name: User
//
// Inside a list, tuple or dict the elements are written as Python's repr()
// or str() writes them: strings quoted and escaped as repr() does (quote
// choice, \n, \xHH, \uHHHH; Go's Unicode tables decide what is printable,
// which may differ from the reading Python's for characters added by a
// newer Unicode version), floats as repr(float) ("1.0", "1e+16").
//
// # Refused
//
// A type is refused when the ring is built, with a *[TypeError] wrapping
// [ErrUnsupported] that names the type and says why:
//
//   - float and complex arguments: Python Ring raises TypeError for them
//     (floats are accepted inside containers, as Python does);
//   - a map inside a list, tuple or dict: Python writes a nested dict or
//     set in insertion or hash order, which a Go map lacks;
//   - dict keys and set elements other than strings, integers, booleans
//     and floats: ring reproduces Python's sorted() on those only;
//   - a RingKey type inside a container: Python writes repr() of the
//     object there, not __ring_key__;
//   - time.Time and time.Duration (Python writes str() of a datetime or
//     timedelta), structs with unexported fields, funcs, chans,
//     unsafe pointers.
//
// For an interface type, the dynamic value is checked at call time: a
// float or a nested map inside an `any` is an error of that call, and a
// string that is not valid UTF-8 inside a container is an error too (no
// Python str holds it).
//
// # Not injective
//
// Python's format does not escape: f("a:b") and f("a", "b"), f(1) and
// f("1"), f([]string{"a b"}) and f([]string{"ab"}) (spaces are removed)
// share a key, so one caller may read another's entry. That is Python
// Ring's behaviour, kept on purpose so both sides agree; use it only for a
// cache shared with Python.
//
// The encoders are built once per type, by reflection, when the ring is
// built; the call path runs them. Strings, booleans and the common integer
// kinds are read without reflection.
package pykey
