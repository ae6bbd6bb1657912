package msgpackcoder

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

// flatAll has a field of every kind the flat path decodes, a tag with
// omitempty, one renamed, one left out and an unexported one.
type flatAll struct {
	B    bool    `msgpack:"b"`
	I    int     `msgpack:"i"`
	I8   int8    `msgpack:"i8"`
	I16  int16   `msgpack:"i16"`
	I32  int32   `msgpack:"i32"`
	I64  int64   `msgpack:"i64,omitempty"`
	U    uint    `msgpack:"u"`
	U8   uint8   `msgpack:"u8"`
	U16  uint16  `msgpack:"u16"`
	U32  uint32  `msgpack:"u32"`
	U64  uint64  `msgpack:"u64"`
	F32  float32 `msgpack:"f32"`
	F64  float64 `msgpack:"f64"`
	S    string  `msgpack:"s"`
	Bare string
	Skip int `msgpack:"-"`
	priv int
}

// flatQuote is the bulk benchmark's value.
type flatQuote struct {
	Item  string  `msgpack:"item"`
	Qty   int     `msgpack:"qty"`
	Price float64 `msgpack:"price"`
}

// Types the flat path must leave to msgpack.
type (
	flatNamed    struct{ N time.Duration }
	flatNested   struct{ Q flatQuote }
	flatSlice    struct{ L []int }
	flatEmbedded struct{ flatQuote }
	flatAlias    struct {
		N int `msgpack:"n,alias:m"`
	}
	flatDup struct {
		A int `msgpack:"x"`
		B int `msgpack:"x"`
	}
	flatSelf struct{ N int }
	flatPtr  struct{ P *int }
)

func (s *flatSelf) DecodeMsgpack(d *msgpack.Decoder) error {
	n, err := d.DecodeInt()
	s.N = n + 1000
	return err
}

func TestFlatPlans(t *testing.T) {
	flat := []any{new(flatAll), new(flatQuote)}
	for _, v := range flat {
		if planOf(reflect.TypeOf(v)).fields == nil {
			t.Errorf("%T: not flat", v)
		}
	}
	if n := len(planOf(reflect.TypeOf(new(flatAll))).fields); n != 15 {
		t.Errorf("flatAll: %d fields, want 15 (Skip and priv left out)", n)
	}
	notFlat := []any{new(flatNamed), new(flatNested), new(flatSlice), new(flatEmbedded), new(flatAlias), new(flatDup),
		new(flatSelf), new(flatPtr), new(int), new(string), new(any), new(map[string]int), flatQuote{}, new(*flatQuote), new(struct{})}
	for _, v := range notFlat {
		if planOf(reflect.TypeOf(v)).fields != nil {
			t.Errorf("%T: flat", v)
		}
	}
	// A type that decodes itself keeps its method.
	data, _ := msgpack.Marshal(5)
	var s flatSelf
	if err := (Coder{}).Decode(data, &s); err != nil || s.N != 1005 {
		t.Errorf("flatSelf = %v, %v; want its DecodeMsgpack's 1005", s.N, err)
	}
}

// compareFlat decodes data into a copy of start through the flat path and
// through msgpack (with the input check), and fails t if the flat path
// decoded something msgpack does not decode the same way, or changed its
// target when it declined. It reports whether the flat path decoded.
func compareFlat[T any](t testing.TB, data []byte, start T) bool {
	t.Helper()
	flat, general := start, start
	ok := decodeFlat(data, &flat)
	errGeneral := decodeGeneral(data, &general)
	if !ok {
		if !sameEncoding(t, flat, start) {
			t.Errorf("% x: the flat path declined but changed its target: %+v, was %+v", data, flat, start)
		}
		return false
	}
	if errGeneral != nil {
		t.Errorf("% x: the flat path decoded %+v, msgpack fails: %v", data, flat, errGeneral)
		return true
	}
	if !sameEncoding(t, flat, general) {
		t.Errorf("% x: the flat path decoded %+v, msgpack %+v", data, flat, general)
	}
	return true
}

// sameEncoding compares two values by their encodings (NaN equals itself).
func sameEncoding(t testing.TB, a, b any) bool {
	t.Helper()
	ea, err := msgpack.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	eb, err := msgpack.Marshal(b)
	if err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(ea, eb) && fmt.Sprint(a) == fmt.Sprint(b)
}

// mp builds a msgpack map from raw key and value encodings.
func mp(kv ...[]byte) []byte {
	var b []byte
	if n := len(kv) / 2; n < 16 {
		b = append(b, 0x80|byte(n))
	} else {
		b = append(b, 0xde, byte(n>>8), byte(n))
	}
	for _, x := range kv {
		b = append(b, x...)
	}
	return b
}

func fixstr(s string) []byte { return append([]byte{0xa0 | byte(len(s))}, s...) }

// intForms are every integer encoding msgpack reads, for a few values.
func intForms() [][]byte {
	var out [][]byte
	for _, c := range []byte{0x00, 0x7f, 0xe0, 0xff, 0xc0} {
		out = append(out, []byte{c})
	}
	be := func(c byte, n int, v uint64) []byte {
		b := make([]byte, 8)
		binary.BigEndian.PutUint64(b, v)
		return append([]byte{c}, b[8-n:]...)
	}
	for _, v := range []uint64{0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff, 0x80000000, 0xffffffff, 1 << 40, math.MaxInt64, math.MaxUint64} {
		out = append(out, be(0xcc, 1, v), be(0xd0, 1, v), be(0xcd, 2, v), be(0xd1, 2, v), be(0xce, 4, v), be(0xd2, 4, v), be(0xcf, 8, v), be(0xd3, 8, v))
	}
	return out
}

// valueForms are encodings of values of every kind, and of wrong kinds.
func valueForms() [][]byte {
	out := intForms()
	f32 := make([]byte, 5)
	f32[0] = 0xca
	f64 := make([]byte, 9)
	f64[0] = 0xcb
	for _, f := range []float64{0, -1.5, 1e300, math.Inf(1), math.NaN(), 3.25} {
		binary.BigEndian.PutUint32(f32[1:], math.Float32bits(float32(f)))
		binary.BigEndian.PutUint64(f64[1:], math.Float64bits(f))
		out = append(out, bytes.Clone(f32), bytes.Clone(f64))
	}
	out = append(out, []byte{0xc2}, []byte{0xc3}, fixstr(""), fixstr("hello"),
		append([]byte{0xd9, 3}, "abc"...), append([]byte{0xda, 0, 3}, "abc"...), append([]byte{0xdb, 0, 0, 0, 3}, "abc"...),
		append([]byte{0xc4, 2}, "xy"...), append([]byte{0xc5, 0, 2}, "xy"...), append([]byte{0xc6, 0, 0, 0, 2}, "xy"...),
		[]byte{0x90}, []byte{0x80}, []byte{0x91, 0x01}, []byte{0xd4, 1, 1}, []byte{0xc1})
	return out
}

// TestFlatMatchesMsgpack decodes every value form into every field of a
// flat struct, maps with odd keys, unknown fields, duplicates, truncations
// and trailing bytes, through both paths, from a zero and a filled target.
func TestFlatMatchesMsgpack(t *testing.T) {
	filled := flatAll{B: true, I: -9, I8: -9, I16: -9, I32: -9, I64: -9, U: 9, U8: 9, U16: 9, U32: 9, U64: 9, F32: 9.5, F64: 9.5, S: "was", Bare: "was", Skip: 9, priv: 9}
	names := []string{"b", "i", "i8", "i16", "i32", "i64", "u", "u8", "u16", "u32", "u64", "f32", "f64", "s", "Bare", "Skip", "priv", "I", ""}
	decoded := 0
	for _, name := range names {
		for _, v := range valueForms() {
			data := mp(fixstr(name), v)
			for _, start := range []flatAll{{}, filled} {
				if compareFlat(t, data, start) {
					decoded++
				}
				// Trailing bytes and every truncation are declined.
				if compareFlat(t, append(bytes.Clone(data), 0xc0), start) {
					t.Errorf("% x: trailing byte decoded", data)
				}
				for cut := range len(data) {
					if compareFlat(t, data[:cut], start) {
						t.Errorf("% x: truncated to %d decoded", data, cut)
					}
				}
			}
		}
	}
	if decoded < 500 {
		t.Errorf("the flat path decoded %d inputs, want most valid ones", decoded)
	}
	// Whole values as the encoder writes them, in its several modes.
	vals := []flatAll{{}, filled, {I64: math.MinInt64, U64: math.MaxUint64, I: -1 << 31, U: 1<<32 - 1, I8: -128, U8: 255, F32: float32(math.Inf(-1)), F64: math.NaN(), S: strings.Repeat("z", 70000)}}
	for _, v := range vals {
		for _, mode := range []func(*msgpack.Encoder){
			func(*msgpack.Encoder) {},
			func(e *msgpack.Encoder) { e.UseCompactInts(true) },
			func(e *msgpack.Encoder) { e.UseCompactFloats(true) },
			func(e *msgpack.Encoder) { e.SetOmitEmpty(true) },
		} {
			var buf bytes.Buffer
			enc := msgpack.NewEncoder(&buf)
			mode(enc)
			if err := enc.Encode(v); err != nil {
				t.Fatal(err)
			}
			if !compareFlat(t, buf.Bytes(), flatAll{}) {
				t.Errorf("encoder output % x... declined", buf.Bytes()[:8])
			}
		}
	}
	// Keys in every string form, a binary key, a nil key, a map16, a
	// duplicate, the array form, nil, an empty map.
	for _, data := range [][]byte{
		mp(append([]byte{0xd9, 1}, 'i'), []byte{5}),
		mp(append([]byte{0xda, 0, 1}, 'i'), []byte{5}),
		mp(append([]byte{0xdb, 0, 0, 0, 1}, 'i'), []byte{5}),
		mp(append([]byte{0xc4, 1}, 'i'), []byte{5}),
		mp([]byte{0xc0}, []byte{5}),
		append([]byte{0xde, 0, 1}, append(fixstr("i"), 5)...),
		append([]byte{0xdf, 0, 0, 0, 1}, append(fixstr("i"), 5)...),
		mp(fixstr("i"), []byte{5}, fixstr("i"), []byte{6}),
		{0x91, 0x05}, {0xc0}, {0x80}, {},
	} {
		compareFlat(t, data, flatAll{})
		compareFlat(t, data, filled)
	}
	// Coder.Decode takes the flat path and gives msgpack's result.
	data, _ := msgpack.Marshal(flatQuote{Item: "a", Qty: 3, Price: 1.25})
	var q flatQuote
	if err := (Coder{}).Decode(data, &q); err != nil || q != (flatQuote{Item: "a", Qty: 3, Price: 1.25}) {
		t.Errorf("Decode = %+v, %v", q, err)
	}
	var nilQuote *flatQuote
	if err := (Coder{}).Decode(data, nilQuote); err == nil {
		t.Error("Decode into a nil pointer succeeded")
	}
}

// TestFlatHostile: inputs that claim more than they hold are declined by
// the flat path without allocating their claim, and fail as before.
func TestFlatHostile(t *testing.T) {
	for _, data := range [][]byte{
		mp(fixstr("s"), []byte{0xdb, 0xff, 0xff, 0xff, 0xff, 'a'}),
		mp(fixstr("s"), []byte{0xc6, 0x7f, 0xff, 0xff, 0xff}),
		mp([]byte{0xdb, 0xff, 0xff, 0xff, 0xf0}, []byte{1}),
		{0xde, 0xff, 0xff},
		mp(fixstr("i"), []byte{0xdd, 0xff, 0xff, 0xff, 0xff}),
	} {
		var v flatAll
		allocs := testing.AllocsPerRun(10, func() {
			if decodeFlat(data, &v) {
				t.Errorf("% x decoded", data)
			}
		})
		if allocs > 0 {
			t.Errorf("% x: %v allocations declining it", data, allocs)
		}
		if err := (Coder{}).Decode(data, &v); err == nil {
			t.Errorf("% x: Decode succeeded", data)
		}
	}
}

// FuzzFlatMatchesMsgpack: whatever the flat path decodes, msgpack decodes
// to the same value; whatever it declines, it leaves untouched.
func FuzzFlatMatchesMsgpack(f *testing.F) {
	for _, v := range []any{flatAll{I: -3, S: "x", F64: 2.5, B: true}, flatQuote{Item: "q", Qty: 7, Price: 8.75}} {
		b, _ := msgpack.Marshal(v)
		f.Add(b)
	}
	f.Add(mp(fixstr("i"), []byte{0xd1, 0x80, 0x00}, fixstr("s"), []byte{0xc4, 1, 'b'}))
	f.Fuzz(func(t *testing.T, data []byte) {
		compareFlat(t, data, flatAll{})
		compareFlat(t, data, flatAll{S: "was", I: 1, F32: 1})
		compareFlat(t, data, flatQuote{})
	})
}

// BenchmarkDecodeFlat decodes the bulk benchmark's small struct through
// Decode (the flat path), through the checked general path, and with
// msgpack.Unmarshal alone.
//
//	go test -run '^$' -bench DecodeFlat -benchmem -count 6 ./coders/msgpackcoder
func BenchmarkDecodeFlat(b *testing.B) {
	data, err := msgpack.Marshal(flatQuote{Item: "q", Qty: 42, Price: 52.5})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    func([]byte, any) error
	}{{"flat", Coder{}.Decode}, {"general", decodeGeneral}, {"msgpack-unmarshal", msgpack.Unmarshal}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var q flatQuote
				if err := c.f(data, &q); err != nil || q.Qty != 42 {
					b.Fatal(q, err)
				}
			}
		})
	}
}

// TestFlatConcurrentTypes: goroutines decoding two flat types and a
// non-flat one in turn (so that the last plan changes all the time) each
// get their own values (run with -race).
func TestFlatConcurrentTypes(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 6 {
		wg.Go(func() {
			for i := range 400 {
				q := flatQuote{Item: fmt.Sprint(g, "-", i), Qty: g*1000 + i, Price: float64(i) / 4}
				a := flatAll{I: -i, S: q.Item, U16: uint16(i), B: i%2 == 0}
				s := []int{g, i}
				for _, c := range []struct{ in, out any }{{q, new(flatQuote)}, {a, new(flatAll)}, {s, new([]int)}} {
					data, err := msgpack.Marshal(c.in)
					if err != nil {
						t.Error(err)
						return
					}
					if err := (Coder{}).Decode(data, c.out); err != nil {
						t.Error(err)
						return
					}
					if got := reflect.ValueOf(c.out).Elem().Interface(); !reflect.DeepEqual(got, c.in) {
						t.Errorf("decoded %+v, want %+v", got, c.in)
						return
					}
				}
			}
		})
	}
	wg.Wait()
}
