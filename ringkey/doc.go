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
// (as defined per rule below) never encode to the same bytes, except where
// a rule says so (nil and empty slices and maps, NaN payloads, structural
// hashes, user RingKey and String methods). A component never contains an
// unescaped reserved byte other than the structural bytes it emits itself,
// in balanced form, so a sequence of components split on unescaped ':' at
// nesting depth 0 is uniquely parseable.
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
//     See "Structural hash" below for what the hash sees.
//   - Interface types (any, error, fmt.Stringer, ...): nil is \N. Otherwise
//     TYPE(ENC) where TYPE is the dynamic type's reflect String() (package
//     name, not path: main.User, *int, []string), escaped, and ENC the
//     dynamic value encoded by the rules for its type: string(a\:b),
//     int(7), *int(\N), []interface {}([int(1)]). Two distinct types with
//     the same String() (same package name and type name in different
//     packages) can collide.
//
// fmt.Stringer is consulted only for structs: a named string or integer
// type with a String method is still encoded by its kind.
//
// Types that can never be keys are rejected by [EncoderOf] and [Typed]
// with a *[TypeError]: func, chan and unsafe.Pointer (unless the type
// implements [RingKeyer]), and composite types holding them. The error
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
//   - Only exported fields. Unexported fields (including embedded structs
//     of unexported type and all their fields) are ignored: two values
//     that differ only there share a key. Fields tagged hash:"ignore" or
//     hash:"-" are ignored too; hash:"string" hashes a field by String();
//     hash:"set" hashes a slice field as an unordered set.
//   - The struct type's Name() (not its package) and the field names.
//   - Pointers and interfaces are followed; a nil pointer or nil interface
//     hashes like the int 0, so a nil *int field and a pointer to 0 share a
//     key, and an interface field holding int(0), int64(0) or nil shares a
//     key (ints and uints are widened to 64 bits before hashing; other
//     sizes keep theirs). bool hashes like int8 0 or 1.
//   - nil and empty slices and maps hash the same; map order does not matter.
//   - Nested structs are hashed field by field: their RingKey and String
//     methods are not used. A type implementing hashstructure.Hashable or
//     Includable controls its own hash.
//   - time.Time fields are hashed by MarshalBinary, which keeps the zone
//     offset: Equal instants in different zones hash differently (unlike a
//     top-level time.Time argument).
//
// hashstructure cannot hash func, chan, unsafe.Pointer, uintptr or
// complex128 values. EncoderOf checks the struct's type the way
// hashstructure walks it and rejects such fields up front (a *func() field
// too, although hashstructure would accept it while nil); fields of
// interface type can only be checked at call time. Values that are cyclic
// through pointers, maps, slices or interfaces are reported as an error
// instead of overflowing the stack.
//
// # Concurrency and cost
//
// Encoders are built once per type and cached; EncoderOf, Typed and the
// encoders they return are safe for concurrent use. [Typed] encoders for
// strings, bools, numbers, byte slices, time.Time, time.Duration and
// pointer types implementing RingKeyer do not allocate when dst has room.
package ringkey
