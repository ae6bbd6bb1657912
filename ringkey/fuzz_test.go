package ringkey_test

import (
	"bytes"
	"maps"
	"math"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/ringcache/ring/ringkey"
)

// Rec is a struct keyed by the structural hash: every field exported, so
// the hash sees all of them.
type Rec struct {
	Name string
	N    int64
	Tags []string
}

// Pair is a comparable struct keyed by the structural hash, held by the
// interface argument.
type Pair struct {
	Name string
	N    int64
}

// tuple is one argument list of the fuzzed function
// f(a, b string, i int64, raw []byte, x float64, flag bool,
//
//	list []string, m map[string]int, p *string, dyn any, rec Rec).
type tuple struct {
	a, b string
	i    int64
	raw  []byte
	x    float64
	flag bool
	list []string
	m    map[string]int
	p    *string
	dyn  any
	rec  Rec
}

// makeTuple derives the composite arguments from the fuzzer's scalars, so
// that two fuzzed inputs exercise slices, maps, nil and zero pointers and
// interfaces holding different dynamic types.
func makeTuple(a, b string, i int64, raw []byte, x float64, flag bool) tuple {
	t := tuple{a: a, b: b, i: i, raw: raw, x: x, flag: flag}
	if a != "" || b != "" || i&1 == 0 {
		t.list = strings.Split(a+"|"+b, "|") // may hold empty strings and reserved bytes
		if i&2 != 0 {
			t.list = t.list[:len(t.list)-1]
		}
	}
	switch i & 12 {
	case 0:
		// nil map
	case 4:
		t.m = map[string]int{}
	default:
		t.m = map[string]int{a: int(i >> 4), b: int(i >> 8)}
	}
	switch i & 48 {
	case 0:
		// nil pointer
	case 16:
		t.p = new(string)
	default:
		t.p = &b
	}
	switch {
	case flag:
		t.dyn = a
	case i&64 != 0:
		t.dyn = int(i >> 7)
	case i&128 != 0:
		t.dyn = Pair{Name: b, N: i >> 8}
	}
	t.rec = Rec{Name: b, N: i >> 2, Tags: t.list}
	return t
}

func floatEqual(x, y float64) bool {
	if math.IsNaN(x) && math.IsNaN(y) {
		return true // every NaN payload encodes as NaN
	}
	return math.Float64bits(x) == math.Float64bits(y) // -0 != +0
}

// equal is equality under the documented rules: nil and empty byte
// slices, string slices and maps are the same value. Structs are compared
// field by field, as the structural hash sees them (a 64-bit hash: a
// collision would fail the test, with odds of about 2^-64 per pair).
func (t tuple) equal(u tuple) bool {
	return t.a == u.a && t.b == u.b && t.i == u.i && bytes.Equal(t.raw, u.raw) &&
		floatEqual(t.x, u.x) && t.flag == u.flag &&
		slices.Equal(t.list, u.list) && maps.Equal(t.m, u.m) &&
		(t.p == nil) == (u.p == nil) && (t.p == nil || *t.p == *u.p) &&
		t.dyn == u.dyn &&
		t.rec.Name == u.rec.Name && t.rec.N == u.rec.N && slices.Equal(t.rec.Tags, u.rec.Tags)
}

type fuzzEncoders struct {
	str  func([]byte, string) ([]byte, error)
	i64  func([]byte, int64) ([]byte, error)
	raw  func([]byte, []byte) ([]byte, error)
	f64  func([]byte, float64) ([]byte, error)
	flag func([]byte, bool) ([]byte, error)
	list func([]byte, []string) ([]byte, error)
	m    func([]byte, map[string]int) ([]byte, error)
	p    func([]byte, *string) ([]byte, error)
	dyn  func([]byte, any) ([]byte, error)
	rec  func([]byte, Rec) ([]byte, error)
}

func mustTyped[T any](tb testing.TB) func([]byte, T) ([]byte, error) {
	f, err := ringkey.Typed[T]()
	if err != nil {
		tb.Fatal(err)
	}
	return f
}

func newFuzzEncoders(tb testing.TB) fuzzEncoders {
	return fuzzEncoders{
		str: mustTyped[string](tb), i64: mustTyped[int64](tb), raw: mustTyped[[]byte](tb),
		f64: mustTyped[float64](tb), flag: mustTyped[bool](tb), list: mustTyped[[]string](tb),
		m: mustTyped[map[string]int](tb), p: mustTyped[*string](tb), dyn: mustTyped[any](tb),
		rec: mustTyped[Rec](tb),
	}
}

// key builds the full key p:c1:c2:... and the list of components.
func (e fuzzEncoders) key(tb testing.TB, t tuple) (string, []string) {
	var key []byte
	var comps []string
	add := func(b []byte, err error) {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		comps = append(comps, string(b))
		key = append(key, ':')
		key = append(key, b...)
	}
	key = append(key, "p"...)
	add(e.str(nil, t.a))
	add(e.str(nil, t.b))
	add(e.i64(nil, t.i))
	add(e.raw(nil, t.raw))
	add(e.f64(nil, t.x))
	add(e.flag(nil, t.flag))
	add(e.list(nil, t.list))
	add(e.m(nil, t.m))
	add(e.p(nil, t.p))
	add(e.dyn(nil, t.dyn))
	add(e.rec(nil, t.rec))
	return string(key), comps
}

// splitKey splits a key on the ':' that are neither escaped nor nested in
// brackets, braces or parentheses, checking that every escape is a
// backslash before a reserved byte (or the \N and \E marks) and that the
// structure is balanced.
func splitKey(tb testing.TB, key string) []string {
	tb.Helper()
	var parts []string
	var stack []byte
	start := 0
	for i := 0; i < len(key); i++ {
		switch c := key[i]; c {
		case '\\':
			if i+1 == len(key) || !(ringkey.Reserved(key[i+1]) || key[i+1] == 'N' || key[i+1] == 'E') {
				tb.Fatalf("bad escape at %d in %q", i, key)
			}
			i++
		case '[', '{', '(':
			stack = append(stack, c)
		case ']', '}', ')':
			open := map[byte]byte{']': '[', '}': '{', ')': '('}[c]
			if len(stack) == 0 || stack[len(stack)-1] != open {
				tb.Fatalf("unbalanced %q at %d in %q", c, i, key)
			}
			stack = stack[:len(stack)-1]
		case ':':
			if len(stack) == 0 {
				parts = append(parts, key[start:i])
				start = i + 1
			}
		case ',', '=':
			if len(stack) == 0 {
				tb.Fatalf("structural %q outside brackets at %d in %q", c, i, key)
			}
		}
	}
	if len(stack) != 0 {
		tb.Fatalf("unclosed %q in %q", stack, key)
	}
	return append(parts, key[start:])
}

// FuzzInjective checks that two argument tuples get the same key exactly
// when they are equal under the documented rules, that every key splits
// back into its components, and that Typed and EncoderOf agree.
func FuzzInjective(f *testing.F) {
	f.Add("a:b", "", int64(1), []byte("x"), 1.5, true, "a", "b:", int64(1), []byte("x"), 1.5, true)
	f.Add("", "", int64(0), []byte(nil), 0.0, false, "", "", int64(0), []byte{}, math.Copysign(0, -1), false)
	// Structs: a Pair in the interface argument that differs in one field,
	// and a Rec whose N differs.
	f.Add("a", "x", int64(128), []byte(nil), 0.0, false, "a", "y", int64(128), []byte(nil), 0.0, false)
	f.Add("a", "x", int64(128), []byte(nil), 0.0, false, "a", "x", int64(384), []byte(nil), 0.0, false)
	f.Add("a", "x", int64(1), []byte(nil), 0.0, true, "a", "x", int64(5), []byte(nil), 0.0, true)
	enc := newFuzzEncoders(f)
	f.Fuzz(func(t *testing.T, a1, b1 string, i1 int64, r1 []byte, x1 float64, f1 bool,
		a2, b2 string, i2 int64, r2 []byte, x2 float64, f2 bool) {
		t1 := makeTuple(a1, b1, i1, r1, x1, f1)
		t2 := makeTuple(a2, b2, i2, r2, x2, f2)
		k1, c1 := enc.key(t, t1)
		k2, c2 := enc.key(t, t2)
		if eq := t1.equal(t2); eq != (k1 == k2) {
			t.Fatalf("tuples equal=%v but keys equal=%v\nt1=%#v\nt2=%#v\nk1=%q\nk2=%q", eq, k1 == k2, t1, t2, k1, k2)
		}
		for _, k := range []struct {
			key   string
			comps []string
		}{{k1, c1}, {k2, c2}} {
			got := splitKey(t, k.key)
			if want := append([]string{"p"}, k.comps...); !slices.Equal(got, want) {
				t.Fatalf("key %q splits into %q, want %q", k.key, got, want)
			}
		}
		// EncoderOf agrees with Typed.
		for i, v := range []any{t1.a, t1.i, t1.raw, t1.x, t1.flag, t1.list, t1.m, t1.p, t1.rec} {
			e, err := ringkey.EncoderOf(reflect.TypeOf(v))
			if err != nil {
				t.Fatal(err)
			}
			b, err := e(nil, reflect.ValueOf(v))
			if err != nil {
				t.Fatal(err)
			}
			want := c1[[]int{0, 2, 3, 4, 5, 6, 7, 8, 10}[i]]
			if string(b) != want {
				t.Fatalf("EncoderOf(%T) = %q, Typed = %q", v, b, want)
			}
		}
	})
}

// FuzzEscape checks that AppendEscaped is reversible and leaves no
// unescaped reserved byte.
func FuzzEscape(f *testing.F) {
	for _, s := range []string{"", `\`, `\N`, "a:b", "[{(=,)}]", "é\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		esc := ringkey.AppendEscaped([]byte("pre"), s)
		if !bytes.HasPrefix(esc, []byte("pre")) {
			t.Fatalf("prefix lost: %q", esc)
		}
		esc = esc[3:]
		var un []byte
		for i := 0; i < len(esc); i++ {
			c := esc[i]
			if ringkey.Reserved(c) {
				if c != '\\' || i+1 == len(esc) || !ringkey.Reserved(esc[i+1]) {
					t.Fatalf("unescaped %q at %d in %q", c, i, esc)
				}
				i++
				c = esc[i]
			}
			un = append(un, c)
		}
		if string(un) != s {
			t.Fatalf("unescape(%q) = %q, want %q", esc, un, s)
		}
	})
}
