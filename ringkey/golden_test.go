package ringkey_test

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/ringkey"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// gcase is one value with its static type and three ways to encode it.
type gcase struct {
	name   string
	typ    reflect.Type
	byAddr func() ([]byte, error) // EncoderOf with an addressable value
	byVal  func() ([]byte, error) // EncoderOf with reflect.ValueOf(v) (nil for interface types)
	typed  func() ([]byte, error) // Typed[T]
}

func c[T any](name string, v T) gcase {
	t := reflect.TypeFor[T]()
	g := gcase{name: name, typ: t}
	g.byAddr = func() ([]byte, error) {
		enc, err := ringkey.EncoderOf(t)
		if err != nil {
			return nil, err
		}
		return enc(nil, reflect.ValueOf(&v).Elem())
	}
	if t.Kind() != reflect.Interface {
		g.byVal = func() ([]byte, error) {
			enc, err := ringkey.EncoderOf(t)
			if err != nil {
				return nil, err
			}
			return enc(nil, reflect.ValueOf(v))
		}
	}
	g.typed = func() ([]byte, error) {
		f, err := ringkey.Typed[T]()
		if err != nil {
			return nil, err
		}
		return f(nil, v)
	}
	return g
}

func ptr[T any](v T) *T { return &v }

func goldenCases() []gcase {
	utc := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	tokyo := time.FixedZone("JST", 9*3600)
	var nilInt *int
	var nilAny any
	var nilRK ringkey.RingKeyer
	var nilStringer fmt.Stringer
	return []gcase{
		// strings and escaping
		c("string/empty", ""),
		c("string/plain", "plain"),
		c("string/colon", "a:b"),
		c("string/backslash", `back\slash`),
		c("string/all-reserved", `\:,=[]{}()`),
		c("string/url", "https://example.com/a?b=c"),
		c("string/nil-mark-lookalike", `\N`),
		c("string/utf8", "héllo µ 日本"),
		c("string/control", "a\x01b\x7f"),
		c("string/space", "a b"),
		c("string/named", Name("x:y")),
		// bytes
		c("bytes/nil", []byte(nil)),
		c("bytes/empty", []byte{}),
		c("bytes/reserved", []byte("x=y,[z]")),
		c("bytes/high", []byte{0xff, 0x80, 'a'}),
		c("bytes/named", Blob("b:l")),
		c("bytes/array", [4]byte{'a', ':', 'b', '!'}),
		// bool
		c("bool/true", true),
		c("bool/false", false),
		// ints
		c("int/zero", 0),
		c("int/neg", -1),
		c("int/42", 42),
		c("int8/min", int8(math.MinInt8)),
		c("int16/max", int16(math.MaxInt16)),
		c("int32/neg", int32(-70000)),
		c("int64/min", int64(math.MinInt64)),
		c("int/named-with-String", Level(3)),
		c("uint/zero", uint(0)),
		c("uint8/max", uint8(255)),
		c("uint16", uint16(65535)),
		c("uint32", uint32(4000000000)),
		c("uint64/max", uint64(math.MaxUint64)),
		c("uintptr", uintptr(7)),
		// floats
		c("float64/zero", 0.0),
		c("float64/negzero", math.Copysign(0, -1)),
		c("float64/1.5", 1.5),
		c("float64/0.1", 0.1),
		c("float64/big", 1e21),
		c("float64/small", 1e-7),
		c("float64/maxint", float64(1<<53)),
		c("float64/+inf", math.Inf(1)),
		c("float64/-inf", math.Inf(-1)),
		c("float64/nan", math.NaN()),
		c("float32/0.1", float32(0.1)),
		c("float32/negzero", float32(math.Copysign(0, -1))),
		c("complex64", complex64(complex(1, -2.5))),
		c("complex128", complex(0.1, 1e21)),
		c("complex128/nan", complex(math.NaN(), math.Inf(-1))),
		// time
		c("time/utc", utc),
		c("time/nanos", utc.Add(123456789)),
		c("time/millis", utc.Add(500*time.Millisecond)),
		c("time/zone", utc.In(tokyo)),
		c("time/zero", time.Time{}),
		c("time/ptr", &utc),
		c("duration/zero", time.Duration(0)),
		c("duration/1.5s", 1500*time.Millisecond),
		c("duration/neg", -250*time.Millisecond),
		c("duration/micro", time.Microsecond),
		c("duration/hms", time.Hour+2*time.Minute+3*time.Second),
		c("duration/ns", 3*time.Nanosecond),
		c("duration/named", Timeout(time.Second)),
		// pointers
		c("ptr/nil", nilInt),
		c("ptr/zero", ptr(0)),
		c("ptr/seven", ptr(7)),
		c("ptrptr/nil", (**int)(nil)),
		c("ptrptr/inner-nil", &nilInt),
		c("ptrptr/seven", ptr(ptr(7))),
		c("ptr/string-empty", ptr("")),
		c("ptr/string-colon", ptr("a:b")),
		c("ptr/any-nil", (*any)(nil)),
		c("ptr/any-inner-nil", &nilAny),
		c("ptr/any-string", ptr[any]("x")),
		c("ptr/slice", &[]int{1, 2}),
		// slices and arrays
		c("slice/nil", []int(nil)),
		c("slice/empty", []int{}),
		c("slice/ints", []int{1, 2, 3}),
		c("slice/strings", []string{"a:b", "", "c,d"}),
		c("slice/one-empty-string", []string{""}),
		c("slice/two-empty-strings", []string{"", ""}),
		c("slice/nested", [][]int{{1}, {}, nil, {2, 3}}),
		c("slice/bytes", [][]byte{[]byte("a"), nil, []byte("]")}),
		c("slice/ptrs", []*int{nil, ptr(0)}),
		c("slice/floats", []float64{math.NaN(), math.Copysign(0, -1), 0}),
		c("array/strings", [2]string{"a", "b"}),
		c("array/empty", [0]int{}),
		c("slice/recursive", Tree{{}, {{}}}),
		// maps
		c("map/nil", map[string]int(nil)),
		c("map/empty", map[string]int{}),
		c("map/sorted", map[string]int{"b": 2, "a": 1, "a:b": 3, "": 0}),
		c("map/int-keys-byte-order", map[int]string{10: "x", 9: "y", -1: "z"}),
		c("map/slice-values", map[string][]string{"k": {"v1", "v2"}, "e": nil}),
		c("map/nan-keys", map[float64]int{math.NaN(): 2, math.NaN(): 1}),
		c("map/nested", map[string]map[string]bool{"x": {"y": true}}),
		// RingKeyer
		c("ringkey/value", User{ID: 1, Name: "ignored"}),
		c("ringkey/value-ptr", &User{ID: 2}),
		c("ringkey/value-ptr-nil", (*User)(nil)),
		c("ringkey/ptr-method", Account{Number: "a:1"}),
		c("ringkey/ptr-method-ptr", &Account{Number: "b"}),
		c("ringkey/ptr-method-nil", (*Account)(nil)),
		c("ringkey/named-string", Slug("x")),
		c("ringkey/interface-nil", nilRK),
		c("ringkey/interface", ringkey.RingKeyer(User{ID: 3})),
		c("ringkey/interface-typed-nil", ringkey.RingKeyer((*Account)(nil))),
		c("ringkey/slice", []User{{ID: 1}, {ID: 2}}),
		c("ringkey/map", map[Slug]User{"k": {ID: 4}}),
		// Stringer
		c("stringer/value", Point{1, 2}),
		c("stringer/ptr-method", Rect{3, 4}),
		c("stringer/ptr", &Point{5, 6}),
		// structural hash
		c("hash/query", Query{Table: "t", Limit: 10}),
		c("hash/query-full", Query{Table: "t", Limit: 10, Tags: []string{"a", "b"},
			Where: map[string]string{"k": "v"}, Since: utc, Cursor: ptr(0)}),
		c("hash/query-nil-cursor", Query{Table: "t", Limit: 10, Tags: []string{"a", "b"},
			Where: map[string]string{"k": "v"}, Since: utc}),
		c("hash/node", Node{Val: 1, Next: &Node{Val: 2}}),
		c("hash/any-field", Any{V: "x"}),
		c("hash/empty-struct", struct{}{}),
		c("hash/ptr-nil", (*Query)(nil)),
		c("hash/opted-out", optedOut{A: 1, secret: "not in the key"}),
		c("hash/hashable", hashedSelf{v: 7}),
		// interfaces
		c("any/nil", nilAny),
		c("any/string", any("a:b")),
		c("any/empty-string", any("")),
		c("any/int", any(7)),
		c("any/int64", any(int64(7))),
		c("any/float", any(-0.5)),
		c("any/slice", any([]any{1, "x", nil})),
		c("any/typed-nil", any(nilInt)),
		c("any/ringkey", any(User{ID: 5})),
		c("any/ringkey-ptr-method", any(&Account{Number: "z"})),
		c("any/time", any(utc)),
		c("any/duration", any(time.Second)),
		c("any/map", any(map[string]any{"a": 1, "b": []string{"c"}})),
		c("any/hash", any(Query{Table: "t"})),
		c("any/named", any(Name("n"))),
		c("any/bytes", any([]byte("b"))),
		c("stringer-iface/nil", nilStringer),
		c("stringer-iface/point", fmt.Stringer(Point{1, 2})),
		c("error/nil", error(nil)),
		c("error/keyable", error(keyedErr("x:y"))),
		c("slice/any", []any{nil, "", 0, ptr[any](nil)}),
	}
}

func TestGolden(t *testing.T) {
	var out bytes.Buffer
	for _, g := range goldenCases() {
		got, err := g.byAddr()
		require.NoError(t, err, g.name)
		require.NotContains(t, string(got), "\n", g.name)
		fmt.Fprintf(&out, "%s\t%s\t%s\n", g.name, g.typ, got)
	}
	path := filepath.Join("testdata", "golden", "components.golden")
	if *update {
		require.NoError(t, os.WriteFile(path, out.Bytes(), 0o644))
		return
	}
	want, err := os.ReadFile(path)
	require.NoError(t, err, "run go test ./ringkey -run TestGolden -update to create it")
	if !bytes.Equal(want, out.Bytes()) {
		wl := strings.Split(string(want), "\n")
		gl := strings.Split(out.String(), "\n")
		for i := 0; i < len(wl) || i < len(gl); i++ {
			var w, g string
			if i < len(wl) {
				w = wl[i]
			}
			if i < len(gl) {
				g = gl[i]
			}
			if w != g {
				t.Errorf("line %d:\nwant %q\ngot  %q", i+1, w, g)
			}
		}
		t.Fatal("golden mismatch; rerun with -update if the change is intended (keys are read by other tools)")
	}
}

// TestTypedAgrees checks that Typed[T], EncoderOf on an addressable value
// and EncoderOf on reflect.ValueOf(v) give the same bytes for every case.
func TestTypedAgrees(t *testing.T) {
	for _, g := range goldenCases() {
		t.Run(g.name, func(t *testing.T) {
			want, err := g.byAddr()
			require.NoError(t, err)
			got, err := g.typed()
			require.NoError(t, err)
			require.Equal(t, string(want), string(got), "Typed")
			if g.byVal != nil {
				got, err = g.byVal()
				require.NoError(t, err)
				require.Equal(t, string(want), string(got), "reflect.ValueOf")
			}
		})
	}
}

// TestDocumentedCollisions pins the values the package doc says share a key.
func TestDocumentedCollisions(t *testing.T) {
	enc := func(v any) string {
		t.Helper()
		e, err := ringkey.EncoderOf(reflect.TypeOf(v))
		require.NoError(t, err)
		b, err := e(nil, reflect.ValueOf(v))
		require.NoError(t, err)
		return string(b)
	}
	nan1 := math.Float64frombits(0x7ff8000000000001)
	nan2 := math.Float64frombits(0xfff8000000000002)
	require.Equal(t, enc(nan1), enc(nan2), "NaN payloads")
	require.NotEqual(t, enc(0.0), enc(math.Copysign(0, -1)), "-0 and 0")
	require.Equal(t, enc([]byte(nil)), enc([]byte{}), "nil and empty bytes")
	require.Equal(t, enc([]int(nil)), enc([]int{}), "nil and empty slice")
	require.Equal(t, enc(map[int]int(nil)), enc(map[int]int{}), "nil and empty map")
	now := time.Now()
	require.Equal(t, enc(now), enc(now.Round(0)), "monotonic reading")
	require.Equal(t, enc(now), enc(now.In(time.FixedZone("X", -3600))), "location")
	// hashstructure: nil pointers (unexported fields are refused, see
	// TestUnseenFields).
	require.Equal(t, enc(Query{Cursor: nil}), enc(Query{Cursor: ptr(0)}), "nil pointer field vs pointer to 0")
	require.NotEqual(t, enc(Query{Limit: 1}), enc(Query{Limit: 2}))
	// Inside an interface field, values of different types with the same
	// bytes.
	require.Equal(t, enc(Any{V: 0}), enc(Any{V: int64(0)}), "int(0), int64(0)")
	require.Equal(t, enc(Any{V: 0}), enc(Any{V: nil}), "int(0), nil")
	require.Equal(t, enc(Any{V: true}), enc(Any{V: int8(1)}), "true, int8(1)")
	require.NotEqual(t, enc(Any{V: 1}), enc(Any{V: 2}))
	// Opted-out fields (hash:"-", hash:"ignore").
	require.Equal(t, enc(optedOut{A: 1, secret: "a", Cache: []byte("a")}), enc(optedOut{A: 1, secret: "b"}), "hash:\"-\" and hash:\"ignore\"")
	// Interface components name the dynamic type by String(): two local
	// types of one name in one package encode alike.
	anyEnc := func(v any) string {
		t.Helper()
		f, err := ringkey.Typed[any]()
		require.NoError(t, err)
		b, err := f(nil, v)
		require.NoError(t, err)
		return string(b)
	}
	require.NotEqual(t, reflect.TypeOf(localKeyA()), reflect.TypeOf(localKeyB()))
	require.Equal(t, anyEnc(localKeyA()), anyEnc(localKeyB()), "same String(), different types")
}

func localKeyA() any {
	type key int
	return key(1)
}

func localKeyB() any {
	type key int
	return key(1)
}

func TestUnkeyable(t *testing.T) {
	hashHint := func(t string) string {
		return " (" + t + " has no RingKey or String method, so it is keyed by a structural hash (hashstructure), which sees only exported fields: " +
			"give " + t + ` a RingKey() string or String() string method, or key by a value that has one, or tag the field hash:"-")`
	}
	type withFunc struct {
		Name string
		F    func()
	}
	type deep struct{ X map[int][]chan int }
	tests := []struct {
		name  string
		typed func() error
		want  string
	}{
		{"func", typedErr[func()], "ring: type func() is not keyable: it is a func"},
		{"chan", typedErr[chan int], "ring: type chan int is not keyable: it is a chan"},
		{"unsafe.Pointer", typedErr[unsafePointer], "ring: type unsafe.Pointer is not keyable: it is an unsafe.Pointer"},
		{"slice of func", typedErr[[]func()], "ring: type []func() is not keyable: element type func() is a func"},
		{"map chan values", typedErr[map[string]chan int], "ring: type map[string]chan int is not keyable: map value type chan int is a chan"},
		{"map func keys", typedErr[map[*func()]int], "ring: type map[*func()]int is not keyable: map key type *func(): element type func() is a func"},
		{"ptr to func", typedErr[*func()], "ring: type *func() is not keyable: element type func() is a func"},
		{"array of chan", typedErr[[2]chan int], "ring: type [2]chan int is not keyable: element type chan int is a chan"},
		{"struct func field", typedErr[withFunc], "ring: type ringkey_test.withFunc is not keyable: field F type func() is a func" + hashHint("ringkey_test.withFunc")},
		{"struct deep", typedErr[deep], "ring: type ringkey_test.deep is not keyable: field X type map[int][]chan int: map value type []chan int: element type chan int is a chan" + hashHint("ringkey_test.deep")},
		{"struct complex128", typedErr[struct{ C complex128 }], "ring: type struct { C complex128 } is not keyable: field C type complex128 is a complex128, which hashstructure cannot hash" + hashHint("struct { C complex128 }")},
		{"struct uintptr", typedErr[struct{ U uintptr }], "ring: type struct { U uintptr } is not keyable: field U type uintptr is a uintptr, which hashstructure cannot hash" + hashHint("struct { U uintptr }")},
		{"struct string tag", typedErr[struct {
			N int `hash:"string"`
		}], "ring: type struct { N int \"hash:\\\"string\\\"\" } is not keyable: field N type int has tag hash:\"string\" but does not implement fmt.Stringer" + hashHint("struct { N int \"hash:\\\"string\\\"\" }")},
		{"slice of bad struct", typedErr[[]withFunc], "ring: type []ringkey_test.withFunc is not keyable: element type ringkey_test.withFunc: field F type func() is a func" + hashHint("ringkey_test.withFunc")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.typed()
			require.EqualError(t, err, tt.want)
			var te *ringkey.TypeError
			require.True(t, errors.As(err, &te))
		})
	}
}

// typedErr asks both EncoderOf and Typed for T and checks they agree.
func typedErr[T any]() error {
	_, err1 := ringkey.EncoderOf(reflect.TypeFor[T]())
	f, err2 := ringkey.Typed[T]()
	if err1 == nil || err2 == nil || f != nil || err1.Error() != err2.Error() {
		return fmt.Errorf("EncoderOf: %v; Typed: %v", err1, err2)
	}
	return err1
}

// Fields tagged out of the hash, zero-size unexported fields, and a RingKey
// or String method, make a struct with a func field keyable.
func TestKeyableDespiteFuncField(t *testing.T) {
	type ignored struct {
		A  int
		F  func() `hash:"-"`
		_  struct{}
		nc [0]func() // zero size: one possible value, nothing unseen
	}
	_, err := ringkey.EncoderOf(reflect.TypeFor[ignored]())
	require.NoError(t, err)
	_ = ignored{nc: [0]func(){}} // the field exists only to be skipped
	_, err = ringkey.EncoderOf(reflect.TypeFor[withRingKeyFunc]())
	require.NoError(t, err)
}

type withRingKeyFunc struct{ F func() }

func (withRingKeyFunc) RingKey() string { return "k" }

func TestDynamicUnkeyable(t *testing.T) {
	enc, err := ringkey.EncoderOf(reflect.TypeFor[any]())
	require.NoError(t, err)
	var v any = func() {}
	_, err = enc(nil, reflect.ValueOf(&v).Elem())
	require.EqualError(t, err, "ring: type func() is not keyable: it is a func")

	f, err := ringkey.Typed[any]()
	require.NoError(t, err)
	_, err = f(nil, make(chan int))
	require.EqualError(t, err, "ring: type chan int is not keyable: it is a chan")

	_, err = f(nil, []any{1, func() {}})
	require.EqualError(t, err, "ring: type func() is not keyable: it is a func")

	// A func behind an interface field of a hashed struct is refused at
	// call time, before hashstructure sees it.
	_, err = f(nil, Any{V: func() {}})
	require.ErrorContains(t, err, "ring: type ringkey_test.Any is not keyable: a value of dynamic type func() is a func (")
}

func TestEncoderTypeMismatch(t *testing.T) {
	enc, err := ringkey.EncoderOf(reflect.TypeFor[int]())
	require.NoError(t, err)
	_, err = enc(nil, reflect.ValueOf("x"))
	require.EqualError(t, err, "ring: encoder for type int got a value of type string")
	_, err = enc(nil, reflect.Value{})
	require.EqualError(t, err, "ring: encoder for type int got an invalid (nil) value")
	_, err = ringkey.EncoderOf(nil)
	require.EqualError(t, err, "ring: nil type is not keyable")

	// An interface encoder takes the dynamic value or nil directly.
	enc, err = ringkey.EncoderOf(reflect.TypeFor[any]())
	require.NoError(t, err)
	b, err := enc(nil, reflect.ValueOf("x"))
	require.NoError(t, err)
	require.Equal(t, "string(x)", string(b))
	b, err = enc(nil, reflect.Value{})
	require.NoError(t, err)
	require.Equal(t, `\N`, string(b))
	senc, err := ringkey.EncoderOf(reflect.TypeFor[fmt.Stringer]())
	require.NoError(t, err)
	_, err = senc(nil, reflect.ValueOf(1))
	require.EqualError(t, err, "ring: encoder for type fmt.Stringer got a value of type int")
}

func TestCyclic(t *testing.T) {
	// A cyclic value is an error, not a stack overflow.
	n := &Node{Val: 1}
	n.Next = n
	f, err := ringkey.Typed[Node]()
	require.NoError(t, err)
	_, err = f(nil, *n)
	require.ErrorContains(t, err, "nested more than 1000 levels deep")

	type cyc []any
	s := cyc{nil}
	s[0] = s
	g, err := ringkey.Typed[cyc]()
	require.NoError(t, err)
	_, err = g(nil, s)
	require.ErrorContains(t, err, "nested more than 1000 levels deep")

	a := &Any{}
	a.V = a
	h, err := ringkey.Typed[*Any]()
	require.NoError(t, err)
	_, err = h(nil, a)
	require.ErrorContains(t, err, "nested more than 1000 levels deep")
}

func TestAppendEscaped(t *testing.T) {
	require.Equal(t, `https\://example.com/a?b\=c`, string(ringkey.AppendEscaped(nil, "https://example.com/a?b=c")))
	require.Equal(t, `pre\\\:\,\=\[\]\{\}\(\)`, string(ringkey.AppendEscaped([]byte("pre"), `\:,=[]{}()`)))
	for b := 0; b < 256; b++ {
		want := strings.IndexByte(`\:,=[]{}()`, byte(b)) >= 0
		require.Equal(t, want, ringkey.Reserved(byte(b)), "byte %#x", b)
	}
}

func TestConcurrentEncoderOf(t *testing.T) {
	type fresh struct{ A []map[string]int }
	for i := 0; i < 8; i++ {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			t.Parallel()
			enc, err := ringkey.EncoderOf(reflect.TypeFor[fresh]())
			require.NoError(t, err)
			_, err = enc(nil, reflect.ValueOf(fresh{A: []map[string]int{{"a": 1}}}))
			require.NoError(t, err)
			f, err := ringkey.Typed[[]fresh]()
			require.NoError(t, err)
			_, err = f(nil, []fresh{{}})
			require.NoError(t, err)
		})
	}
}
