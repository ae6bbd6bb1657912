// Package ringkey encodes function arguments as cache key components.
//
// A full key is prefix:comp1:comp2:..., one component per argument, joined
// with ':' by the caller. This package builds one component from one value,
// choosing the encoding once from the argument's static type ([EncoderOf],
// [Typed]). The format below is the reference for reading keys from other
// languages; it is pinned by golden tests and does not change between
// releases without a note.
//
// # Properties
//
// Every component is injective for its static type: two different values
// (as defined per rule below) never encode to the same bytes, except in
// the cases listed under "Exceptions". A component never contains an
// unescaped reserved byte other than the structural bytes it emits itself,
// in balanced form, so a sequence of components split on unescaped ':' at
// nesting depth 0 is uniquely parseable.
//
// # Exceptions
//
// These are all the ways two values that differ can share a component:
//
//   - Values the rules define as equal: nil and empty slices and maps,
//     NaN payloads, time.Time values that are Equal (location and
//     monotonic reading ignored).
//   - What the user's code returns is taken as it is: RingKey() and, for
//     structs, String(). Two values with the same RingKey() share a key.
//   - Structs keyed by the structural hash (see "Structural hash"): a
//     64-bit hash, so distinct values collide with a probability of about
//     n²/2⁶⁵ among n values; its deliberate equivalences (a nil pointer and
//     a pointer to zero; inside an interface field, values of different
//     types with the same bytes: int(0), int64(0) and nil, true and
//     int8(1), struct types with the same Name() and fields); the fields
//     the user opted out with the tags hash:"-" or
//     hash:"ignore"; slices tagged hash:"set" (unordered); and types that
//     hash themselves (hashstructure.Hashable, Includable).
//   - Interface components name the dynamic type by its reflect String(),
//     which holds the package name, not its path: two distinct types with
//     the same String() (same package name and type name in different
//     packages, or two types of one name declared in different functions of
//     one package) encode alike when their values do.
//
// A struct whose structural hash would not see every field is refused,
// not keyed (see "Structural hash").
//
// # Escaping
//
// The reserved bytes are
//
//	\  :  ,  =  [  ]  {  }  (  )
//
// A reserved byte inside data is escaped by a backslash before it (\: \\
// \[ ...). Nothing else is escaped: bytes >= 0x80, control bytes and
// spaces pass through as they are, so keys stay readable:
//
//	https\://example.com/a?b\=c
//
// A backend that cannot store some bytes rewrites the whole key itself.
// Because a backslash in escaped data is only ever followed by a reserved
// byte, a backslash followed by a letter never comes from data. Two such
// marks are used: \N (backslash, capital N) is a nil pointer or interface,
// and \E (backslash, capital E) is an empty element inside a list.
//
// # Rules
//
// The first matching rule applies, by static type:
//
//   - time.Time: the instant in UTC formatted as RFC 3339 with nanoseconds
//     (time.RFC3339Nano: trailing zeros of the fraction dropped), escaped:
//     2024-01-02T03\:04\:05.5Z. Times that are Equal encode the same; the
//     location and the monotonic clock reading are ignored.
//   - time.Duration: its String() form: 1.5s, 1h2m3s, 0s, -250ms, 1µs.
//   - Types implementing [RingKeyer] (T's method set; for T that is not a
//     pointer or interface, also *T's, called on an addressable copy): the
//     escaped RingKey() result. For pointer and interface types a nil value
//     is \N and RingKey is never called on it.
//   - bool: true or false.
//   - Signed integers of every size: decimal, with a leading - if negative
//     (strconv.AppendInt): -42.
//   - Unsigned integers (uint, uint8..uint64, uintptr): decimal.
//   - float32, float64: strconv.AppendFloat(f, 'g', -1, bitSize), the
//     shortest form that reads back exactly: 1.5, 1e+21, -0, +Inf, -Inf,
//     NaN. -0 and 0 differ; every NaN payload encodes as NaN.
//   - complex64, complex128: (re,im) with each part by the float rule:
//     (1,-2.5).
//   - string and named string types: the escaped bytes.
//   - []byte and other slices and arrays whose element kind is uint8 (and
//     whose element type has no RingKey method): the escaped bytes, like a
//     string. A nil and an empty slice encode the same (the empty string).
//   - Pointers: nil is \N. Otherwise the element's component; when the
//     element type is itself a pointer or an interface it is prefixed with
//     &, so for **int: nil is \N, a pointer to a nil *int is &\N, and a
//     pointer to a pointer to 7 is &7.
//   - Other slices and arrays: [e1,e2,...] with each element's component;
//     nil and empty slices both encode as []. An element whose component
//     is empty (such as the empty string) is written as \E, so that []
//     (no elements) and [\E] (one empty string) differ: [a,\E,b].
//   - Maps: {k1=v1,k2=v2,...} with each key's and value's component,
//     entries sorted by the bytes of the encoded key (then of the encoded
//     value, for keys that encode the same); nil and empty maps both
//     encode as {}.
//   - Structs: if T or *T implements fmt.Stringer, the escaped String()
//     result. Otherwise a structural hash: # followed by 16 lower-case hex
//     digits of hashstructure/v2's Hash(v, FormatV2, nil): #0f1e2d3c4b5a6978.
//     See "Structural hash" below for what the hash sees; a struct with a
//     field it would not see is refused.
//   - Interface types (any, error, fmt.Stringer, ...): nil is \N. Otherwise
//     TYPE(ENC) where TYPE is the dynamic type's reflect String() (package
//     name, not path: main.User, *int, []string), escaped, and ENC the
//     dynamic value encoded by the rules for its type: string(a\:b),
//     int(7), *int(\N), []interface {}([int(1)]). Two distinct types with
//     the same String() can collide (see "Exceptions"). A dynamic value
//     that is not keyable (a func, a struct with an unexported field such
//     as every errors.New value) is an error of that call.
//
// fmt.Stringer is consulted only for structs: a named string or integer
// type with a String method is still encoded by its kind.
//
// Types that can never be keys are rejected by [EncoderOf] and [Typed]
// with a *[TypeError]: func, chan and unsafe.Pointer (unless the type
// implements [RingKeyer]), composite types holding them, and structs whose
// structural hash would not see every field. The error
// names the path to the bad part:
//
//	ring: type []func() is not keyable: element type func() is a func
//
// A func, chan or unsafe.Pointer held by an interface-typed argument is
// rejected at call time with the same error.
//
// # Structural hash
//
// The hash comes from github.com/mitchellh/hashstructure/v2 (v2.0.2,
// FormatV2, default options, 64-bit FNV-1). It is a 64-bit hash, so distinct
// values may collide, and it deliberately ignores some differences. What
// it sees:
//
//   - Only exported fields. hashstructure skips unexported fields, so a
//     struct that has one (of non-zero size: a zero-size field such as
//     struct{} holds one value only) is refused: [EncoderOf] and [Typed]
//     return a *[TypeError] that names the field with its path through
//     nested structs, pointers, slices, arrays and maps, and suggests a
//     RingKey() or String() method (see the example below). The same
//     holds for an embedded struct of unexported type and for a blank (_)
//     field. Without this check, query{sku string; page int} keyed every
//     value to one constant.
//   - Fields tagged hash:"ignore" or hash:"-" are left out: the tag is the
//     user's explicit opt-out, allowed on unexported fields too, and two
//     values that differ only there share a key. hash:"string" hashes a
//     field by String(); hash:"set" hashes a slice field as an unordered
//     set.
//   - The struct type's Name() (not its package) and the field names.
//   - Pointers and interfaces are followed; a nil pointer or nil interface
//     hashes like the int 0, so a nil *int field and a pointer to 0 share a
//     key, and an interface field holding int(0), int64(0) or nil shares a
//     key (ints and uints are widened to 64 bits before hashing; other
//     sizes keep theirs). bool hashes like int8 0 or 1.
//   - nil and empty slices and maps hash the same; map order does not matter.
//   - Nested structs are hashed field by field: their RingKey and String
//     methods are not used, and their unexported fields are refused like
//     the outer struct's. A type implementing hashstructure.Hashable or
//     Includable controls its own hash (and may have unexported fields).
//   - time.Time fields are hashed by MarshalBinary, which keeps the zone
//     offset: Equal instants in different zones hash differently (unlike a
//     top-level time.Time argument).
//
// The refusal of query{sku string; page int}:
//
//	ring: type main.query is not keyable: field sku type string is unexported, so the structural hash would not see it (...)
//
// hashstructure cannot hash func, chan, unsafe.Pointer, uintptr or
// complex128 values. EncoderOf checks the struct's type the way
// hashstructure walks it and rejects such fields up front (a *func() field
// too, although hashstructure would accept it while nil).
//
// Fields of interface type can only be checked at call time: the dynamic
// value behind each of them is checked by the same rules (once per dynamic
// type, then a map lookup), and a value the hash would fail on or would not
// see entirely, such as an errors.New value, is an error of that call. The
// same goes for an argument of interface type (any, error) whose dynamic
// value is such a struct: every errors.New value used to key to one
// constant, and is now an error naming errors.errorString's field s. Values
// that are cyclic through pointers, maps, slices or interfaces are reported
// as an error instead of overflowing the stack.
//
// # Concurrency and cost
//
// Encoders are built once per type and cached; EncoderOf, Typed and the
// encoders they return are safe for concurrent use. [Typed] encoders for
// strings, bools, numbers, byte slices, time.Time, time.Duration and
// pointer types implementing RingKeyer do not allocate when dst has room.
package ringkey
