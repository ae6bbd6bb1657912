package msgpackcoder

import (
	"bytes"
	"math"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/vmihailenco/msgpack/v5"
)

type treeAddr struct {
	Street string `msgpack:"street"`
	Zip    int    `msgpack:"zip"`
}

type treeStatus string

type treeID uint16

// treeAll has a field of every shape the tree path decodes.
type treeAll struct {
	Tags   []string                `msgpack:"tags"`
	Ints   []int16                 `msgpack:"ints,omitempty"`
	Addr   treeAddr                `msgpack:"addr"`
	Addrs  []treeAddr              `msgpack:"addrs"`
	PAddr  *treeAddr               `msgpack:"paddr"`
	When   time.Time               `msgpack:"when"`
	PWhen  *time.Time              `msgpack:"pwhen"`
	Times  []time.Time             `msgpack:"times"`
	Counts map[string]int          `msgpack:"counts"`
	ByID   map[int64]string        `msgpack:"byid"`
	Named  map[treeStatus]treeAddr `msgpack:"named"`
	Small  map[treeID]bool         `msgpack:"small"`
	Strs   map[string]string       `msgpack:"strs"`
	Lists  map[string][]float64    `msgpack:"lists"`
	Bytes  []byte                  `msgpack:"bytes"`
	Fixed  [4]byte                 `msgpack:"fixed"`
	Arr    [3]int                  `msgpack:"arr"`
	Status treeStatus              `msgpack:"status"`
	Dur    time.Duration           `msgpack:"dur"`
	P      *int                    `msgpack:"p"`
	PP     **string                `msgpack:"pp"`
	Nested [][]float32             `msgpack:"nested"`
	U      uint64                  `msgpack:"u"`
	Flag   bool
	Skip   []int `msgpack:"-"`
	priv   []int
}

func filledTree() treeAll {
	n, s := 7, "deep"
	ps := &s
	when := time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC)
	return treeAll{
		Tags: []string{"a", "", strings.Repeat("x", 40)}, Ints: []int16{-1, 300},
		Addr: treeAddr{"1 Main", 12345}, Addrs: []treeAddr{{"a", 1}, {}, {"c", -3}}, PAddr: &treeAddr{"p", 9},
		When: when, PWhen: &when, Times: []time.Time{{}, time.Unix(1, 0), time.Unix(1<<34, 5), time.Unix(-5, 7)},
		Counts: map[string]int{"a": 1, "b": -2, "": 0}, ByID: map[int64]string{-1: "m", 1 << 40: "big"},
		Named: map[treeStatus]treeAddr{"x": {"s", 1}}, Small: map[treeID]bool{1: true, 65535: false},
		Strs: map[string]string{"k": "v"}, Lists: map[string][]float64{"l": {1.5, math.Inf(1)}, "nil": nil},
		Bytes: []byte{0, 1, 2}, Fixed: [4]byte{9, 8}, Arr: [3]int{1, -2, 3}, Status: "ok", Dur: time.Second,
		P: &n, PP: &ps, Nested: [][]float32{{1, 2}, nil, {}}, U: math.MaxUint64, Flag: true, Skip: []int{1}, priv: []int{2},
	}
}

// sameValue compares two values field by field: floats by their bits,
// times by instant and location, nil apart from empty.
func sameValue(a, b reflect.Value) bool {
	if a.Type() != b.Type() {
		return false
	}
	if a.Type() == timeType {
		ta, tb := timeOf(a), timeOf(b)
		return ta.Equal(tb) && ta.Location() == tb.Location() && ta.IsZero() == tb.IsZero()
	}
	switch a.Kind() {
	case reflect.Bool:
		return a.Bool() == b.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return a.Int() == b.Int()
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return a.Uint() == b.Uint()
	case reflect.Float32, reflect.Float64:
		return math.Float64bits(a.Float()) == math.Float64bits(b.Float())
	case reflect.String:
		return a.String() == b.String()
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return a.IsNil() == b.IsNil()
		}
		return sameValue(a.Elem(), b.Elem())
	case reflect.Slice:
		if a.IsNil() != b.IsNil() {
			return false
		}
		fallthrough
	case reflect.Array:
		if a.Len() != b.Len() {
			return false
		}
		for i := range a.Len() {
			if !sameValue(a.Index(i), b.Index(i)) {
				return false
			}
		}
		return true
	case reflect.Map:
		if a.IsNil() != b.IsNil() || a.Len() != b.Len() {
			return false
		}
		for _, k := range a.MapKeys() {
			vb := b.MapIndex(k)
			if !vb.IsValid() || !sameValue(a.MapIndex(k), vb) {
				return false
			}
		}
		return true
	case reflect.Struct:
		for i := range a.NumField() {
			if !sameValue(a.Field(i), b.Field(i)) {
				return false
			}
		}
		return true
	}
	panic("sameValue: " + a.Type().String())
}

func timeOf(v reflect.Value) time.Time {
	if v.CanInterface() {
		return v.Interface().(time.Time)
	}
	return *(*time.Time)(v.Addr().UnsafePointer()) // only for addressable ones
}

// compareTree decodes data into a copy of start through the one-pass path
// and through msgpack (with the input check), and fails t if the one-pass
// path decoded something msgpack does not decode the same way, or changed
// its target when it declined. It reports whether the one-pass path
// decoded.
func compareTree[T any](t testing.TB, data []byte, start T) bool {
	t.Helper()
	fast, general := start, start
	ok := decodeFlat(data, &fast)
	errGeneral := decodeGeneral(data, &general)
	if !ok {
		if !sameValue(reflect.ValueOf(&fast).Elem(), reflect.ValueOf(&start).Elem()) {
			t.Errorf("% x: the one-pass path declined but changed its target: %+v, was %+v", data, fast, start)
		}
		return false
	}
	if errGeneral != nil {
		t.Errorf("% x: the one-pass path decoded %+v, msgpack fails: %v", data, fast, errGeneral)
		return true
	}
	if !sameValue(reflect.ValueOf(&fast).Elem(), reflect.ValueOf(&general).Elem()) {
		t.Errorf("% x: the one-pass path decoded %+v, msgpack %+v", data, fast, general)
	}
	return true
}

// encodings are v encoded by msgpack in its several modes.
func encodings(t testing.TB, v any) [][]byte {
	var out [][]byte
	for _, mode := range []func(*msgpack.Encoder){
		func(*msgpack.Encoder) {},
		func(e *msgpack.Encoder) { e.UseCompactInts(true) },
		func(e *msgpack.Encoder) { e.UseCompactFloats(true) },
		func(e *msgpack.Encoder) { e.SetOmitEmpty(true) },
		func(e *msgpack.Encoder) { e.SetSortMapKeys(true) },
	} {
		var buf bytes.Buffer
		enc := msgpack.NewEncoder(&buf)
		mode(enc)
		if err := enc.Encode(v); err != nil {
			t.Fatal(err)
		}
		out = append(out, buf.Bytes())
	}
	return out
}

func TestTreePlans(t *testing.T) {
	tree := []any{new(treeAll), new([]int), new(map[string]int), new(string), new([]byte), new(int),
		new([]treeAddr), new([2]int), new(*treeAddr), new(map[int]*time.Time), new(treeStatus), new(flatNamed),
		new(flatNested), new(flatSlice), new(flatPtr)}
	for _, v := range tree {
		if p := planOf(reflect.TypeOf(v)); p.tree == nil || p.fields != nil {
			t.Errorf("%T: not a tree type", v)
		}
	}
	type recursive struct {
		Next *recursive
		N    int
	}
	type withAny struct{ A any }
	type withEmbedded struct{ treeAddr }
	type floatKeys struct{ M map[float64]int }
	type namedBytes struct{ B []treeID8 }
	type inter struct{ S []flatSelf }
	notTree := []any{new(time.Time), new(any), new(recursive), new(withAny), new(withEmbedded), new(floatKeys),
		new(namedBytes), new(inter), new(flatAlias), new(flatDup), new(flatSelf), new(map[string]any), new(chan int),
		new(complex64), treeAll{}, new(uintptr)}
	for _, v := range notTree {
		if planOf(reflect.TypeOf(v)).tree != nil {
			t.Errorf("%T: a tree type", v)
		}
	}
	// The depth bound: 16 levels of slices are a tree type, 17 are not.
	typ := reflect.TypeFor[int]()
	for range treeMaxDepth - 1 {
		typ = reflect.SliceOf(typ)
	}
	if makeTree(reflect.PointerTo(typ)) == nil {
		t.Errorf("%v: not a tree type", typ)
	}
	if deeper := reflect.SliceOf(typ); makeTree(reflect.PointerTo(deeper)) != nil {
		t.Errorf("%v: a tree type", deeper)
	}
}

type treeID8 uint8

// TestTreeMatchesMsgpack decodes encodings of tree values in every
// encoder mode, each truncated at every byte, with a trailing byte, and
// with every byte replaced in turn, through both paths, from zero and
// filled targets; then inputs in the forms the encoder does not write.
func TestTreeMatchesMsgpack(t *testing.T) {
	filled := filledTree()
	empty := treeAll{Tags: []string{}, Addrs: []treeAddr{}, Counts: map[string]int{}, Bytes: []byte{}, Nested: [][]float32{}, Lists: map[string][]float64{}}
	decoded := 0
	for _, v := range []treeAll{{}, filled, empty} {
		for _, data := range encodings(t, v) {
			if !compareTree(t, data, treeAll{}) {
				t.Errorf("encoder output of %+v declined", v)
			}
			compareTree(t, data, filled)
			if compareTree(t, append(bytes.Clone(data), 0xc0), treeAll{}) {
				t.Errorf("% x: trailing byte decoded", data)
			}
			for cut := range len(data) {
				if compareTree(t, data[:cut], treeAll{}) {
					t.Errorf("% x: truncated to %d decoded", data, cut)
				}
			}
			for i := range data {
				for _, b := range []byte{0x00, 0x7f, 0x80, 0x90, 0xa1, 0xc0, 0xc1, 0xc3, 0xc4, 0xc7, 0xcb, 0xd0, 0xd6, 0xdc, 0xdd, 0xde, 0xdf, 0xff, data[i] ^ 1} {
					m := bytes.Clone(data)
					m[i] = b
					if compareTree(t, m, treeAll{}) {
						decoded++
					}
				}
			}
		}
	}
	if decoded < 1000 {
		t.Errorf("the tree path decoded %d mutated inputs, want many", decoded)
	}

	// Times in every form: 4, 8 and 12 bytes, other extension headers,
	// another type, other lengths, nil.
	ext := func(head []byte, body ...byte) []byte { return append(bytes.Clone(head), body...) }
	sec4 := []byte{0x65, 0x00, 0x00, 0x01}
	sec8 := []byte{0xff, 0xff, 0xff, 0xfc, 0x65, 0x00, 0x00, 0x01} // nanoseconds past 1e9
	sec12 := []byte{0, 0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00}
	for _, tm := range [][]byte{
		ext([]byte{0xd6, 0xff}, sec4...), ext([]byte{0xd7, 0xff}, sec8...), ext([]byte{0xc7, 12, 0xff}, sec12...),
		ext([]byte{0xc7, 4, 0xff}, sec4...), ext([]byte{0xc8, 0, 8, 0xff}, sec8...), ext([]byte{0xc9, 0, 0, 0, 12, 0xff}, sec12...),
		ext([]byte{0xd6, 13}, sec4...), ext([]byte{0xd6, 0x01}, sec4...), ext([]byte{0xd8, 0xff}, append(sec12, 1, 2, 3, 4)...),
		ext([]byte{0xd5, 0xff}, 1, 2), ext([]byte{0xc7, 0, 0xff}), {0xd6, 0xff, 0, 0, 0, 0}, {0xd7, 0xff, 0, 0, 0, 0, 0, 0, 0, 0},
		{0xc0}, {0x92, 0x01, 0x02}, fixstr("2024-01-01T00:00:00Z"), {0x01},
		ext([]byte{0xc9, 0xff, 0xff, 0xff, 0xff, 0xff}, sec4...),
	} {
		for _, name := range []string{"when", "pwhen", "times"} {
			v := tm
			if name == "times" {
				v = append([]byte{0x91}, tm...)
			}
			compareTree(t, mp(fixstr(name), v), treeAll{})
		}
		compareTree(t, append([]byte{0x92}, append(bytes.Clone(tm), tm...)...), []time.Time(nil))
		compareTree(t, tm, time.Time{}) // the top level: the general path
	}

	// Structs, slices, maps and pointers in forms the encoder does not
	// write, nil everywhere, unknown fields, duplicates.
	deep := func(n int) []byte {
		b := bytes.Repeat([]byte{0x91}, n)
		return append(b, 0x01)
	}
	for _, data := range [][]byte{
		mp(fixstr("addr"), []byte{0x92, 0xa1, 'x', 0x05}),                          // the array form
		mp(fixstr("addr"), []byte{0x90}),                                           // an empty array
		mp(fixstr("addr"), []byte{0xc0}),                                           // nil
		mp(fixstr("addr"), mp(fixstr("zip"), []byte{1}, fixstr("zip"), []byte{2})), // a duplicate scalar
		mp(fixstr("tags"), []byte{0x91, 0xa1, 'a'}, fixstr("tags"), []byte{0x90}),
		mp(fixstr("counts"), []byte{0xd4, 0x01, 0x00, 0x81, 0xa1, 'a', 0x01}), // an extension header before the map
		mp(fixstr("counts"), []byte{0x82, 0xa1, 'a', 0x01, 0xa1, 'a', 0x02}),  // a duplicate key
		mp(fixstr("counts"), []byte{0x81, 0xc0, 0x01}),                        // a nil key
		mp(fixstr("counts"), []byte{0x81, 0x01, 0x01}),                        // an integer key
		mp(fixstr("byid"), []byte{0x82, 0xcc, 0xff, 0xa0, 0xc0, 0xc0}),        // nil key and value
		mp(fixstr("byid"), []byte{0x81, 0xa1, '1', 0xa0}),                     // a string key for int64
		mp(fixstr("small"), []byte{0x81, 0xcd, 0xff, 0xff, 0xc3}),
		mp(fixstr("bytes"), []byte{0xa0}), mp(fixstr("bytes"), []byte{0xc4, 0}), mp(fixstr("bytes"), []byte{0x90}),
		mp(fixstr("bytes"), []byte{0xc0}), mp(fixstr("bytes"), []byte{0x91, 0x01}),
		mp(fixstr("fixed"), []byte{0xa2, 1, 2}), mp(fixstr("fixed"), []byte{0xc4, 5, 1, 2, 3, 4, 5}),
		mp(fixstr("fixed"), []byte{0x94, 1, 2, 3, 4}), mp(fixstr("fixed"), []byte{0xc0}),
		mp(fixstr("arr"), []byte{0x92, 0x01, 0x02}), mp(fixstr("arr"), []byte{0x94, 1, 2, 3, 4}), mp(fixstr("arr"), []byte{0xc0}),
		mp(fixstr("arr"), []byte{0xdc, 0, 1, 0x05}),
		mp(fixstr("p"), []byte{0xc0}), mp(fixstr("pp"), []byte{0xc0}), mp(fixstr("pp"), []byte{0xa1, 'z'}),
		mp(fixstr("paddr"), []byte{0x80}), mp(fixstr("paddr"), []byte{0x90}),
		mp(fixstr("nested"), []byte{0x92, 0xc0, 0x90}), mp(fixstr("nested"), deep(3)), mp(fixstr("nested"), deep(2)),
		mp(fixstr("unknown"), deep(20)), mp(fixstr("unknown"), deep(40)), // skipped, or nesting past the skip bound
		mp(fixstr("unknown"), []byte{0xc1}), mp(fixstr("unknown"), []byte{0xd4, 1, 1}),
		mp(fixstr("unknown"), []byte{0x81, 0x01, 0x92, 0xc3, 0xcb, 0, 0, 0, 0, 0, 0, 0, 0}),
		mp([]byte{0xc0}, []byte{0x01}), mp([]byte{0xc4, 4}, []byte("tags"), []byte{0x90}),
		mp(fixstr("Skip"), []byte{0x91, 0x01}), mp(fixstr("priv"), []byte{0x91, 0x01}), mp(fixstr("Flag"), []byte{0xc3}),
		mp(fixstr("status"), []byte{0xc4, 1, 'b'}), mp(fixstr("dur"), []byte{0xcb, 0, 0, 0, 0, 0, 0, 0, 0}),
		append([]byte{0xdf, 0, 0, 0, 1}, mp(fixstr("u"), []byte{0x01})[1:]...), // map32
		{0xc0}, {0x80}, {0x90}, {},
	} {
		compareTree(t, data, treeAll{})
	}
	// A struct nested to the bound, and input nesting past its type.
	typ := reflect.TypeFor[int]()
	for range treeMaxDepth - 1 {
		typ = reflect.SliceOf(typ)
	}
	for _, n := range []int{treeMaxDepth - 1, treeMaxDepth, treeMaxDepth + 5} {
		data := deep(n)
		fast, general := reflect.New(typ), reflect.New(typ)
		ok := decodeFlat(data, fast.Interface())
		err := decodeGeneral(data, general.Interface())
		if want := n == treeMaxDepth-1; ok != want || (err == nil) != want {
			t.Errorf("%d levels into %v: one-pass %v, msgpack %v", n, typ, ok, err)
		}
		if ok && !sameValue(fast, general) {
			t.Errorf("%d levels: %v, msgpack %v", n, fast.Elem(), general.Elem())
		}
	}

	// Top-level values of other types.
	for _, v := range []any{"str", []byte("b"), []byte{}, []byte(nil), 42, -7, []int{1, 2}, []int{}, []int(nil),
		map[string]int{"a": 1}, map[string]int(nil), []treeAddr{{"a", 1}}, [2]int{1, 2}, &treeAddr{"z", 2},
		map[int]*time.Time{1: nil}, treeStatus("s"), map[string]string{"a": "b"}, []string{"x"}} {
		for _, data := range encodings(t, v) {
			start := reflect.New(reflect.TypeOf(v))
			fast, general := reflect.New(reflect.TypeOf(v)), reflect.New(reflect.TypeOf(v))
			ok := decodeFlat(data, fast.Interface())
			if err := decodeGeneral(data, general.Interface()); err != nil {
				t.Fatal(err)
			}
			if !ok {
				t.Errorf("%T % x declined", v, data)
			}
			if !sameValue(fast, general) {
				t.Errorf("%T: %v, msgpack %v", v, fast.Elem(), general.Elem())
			}
			for cut := range len(data) {
				fast := reflect.New(reflect.TypeOf(v))
				if decodeFlat(data[:cut], fast.Interface()) {
					t.Errorf("%T % x: truncated to %d decoded", v, data, cut)
				}
				if !sameValue(fast, start) {
					t.Errorf("%T % x: truncated to %d changed the target", v, data, cut)
				}
			}
		}
	}
	// Coder.Decode takes the tree path and gives msgpack's result.
	data, _ := msgpack.Marshal(filled)
	var got treeAll
	if err := (Coder{}).Decode(data, &got); err != nil {
		t.Fatal(err)
	}
	var want treeAll
	if err := msgpack.Unmarshal(data, &want); err != nil {
		t.Fatal(err)
	}
	if !sameValue(reflect.ValueOf(got), reflect.ValueOf(want)) {
		t.Errorf("Decode = %+v, want %+v", got, want)
	}
}

// TestTreeHostile: inputs that claim more than they hold, at every level,
// are declined by the tree path without allocating their claim, and fail
// as before.
func TestTreeHostile(t *testing.T) {
	huge32 := []byte{0xff, 0xff, 0xff, 0xff}
	for _, data := range [][]byte{
		mp(fixstr("tags"), append([]byte{0xdd}, huge32...)),
		mp(fixstr("tags"), []byte{0x91, 0xdb, 0xff, 0xff, 0xff, 0xf0, 'a'}),
		mp(fixstr("addrs"), append([]byte{0xdd}, huge32...)),
		mp(fixstr("counts"), append([]byte{0xdf}, huge32...)),
		mp(fixstr("lists"), []byte{0x81, 0xa1, 'a', 0xdd, 0x7f, 0xff, 0xff, 0xff}),
		mp(fixstr("bytes"), append([]byte{0xc6}, huge32...)),
		mp(fixstr("when"), append([]byte{0xc9}, append(huge32, 0xff)...)),
		mp(fixstr("unknown"), append([]byte{0xdd}, huge32...)),
		mp(fixstr("unknown"), append([]byte{0xc9}, append(huge32, 0x01)...)),
		mp(fixstr("paddr"), append([]byte{0xdf}, huge32...)),
		append([]byte{0xdf}, huge32...),
		append([]byte{0xde}, 0xff, 0xff),
		mp(fixstr("nested"), append(bytes.Repeat([]byte{0x91}, 10000), 0x01)),
	} {
		var v treeAll
		if b := allocated(func() {
			if decodeFlat(data, &v) {
				t.Errorf("% x decoded", data)
			}
		}); b > 4096 {
			t.Errorf("% x: %d bytes allocated declining it", data, b)
		}
		if err := (Coder{}).Decode(data, &v); err == nil {
			t.Errorf("% x: Decode succeeded", data)
		}
	}
	// Top-level slices and maps too.
	for _, data := range [][]byte{append([]byte{0xdd}, huge32...), append([]byte{0xdf}, huge32...), append([]byte{0xc6}, huge32...)} {
		var s []int64
		var m map[string]int
		var b []byte
		if n := allocated(func() {
			if decodeFlat(data, &s) || decodeFlat(data, &m) || decodeFlat(data, &b) {
				t.Errorf("% x decoded", data)
			}
		}); n > 0 {
			t.Errorf("% x: %d bytes allocated declining it", data, n)
		}
	}
}

// allocated returns the bytes f allocates, at most (other goroutines'
// allocations count too), once it has run once (to make its plans).
func allocated(f func()) uint64 {
	f()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	f()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// FuzzTreeMatchesMsgpack: whatever the tree path decodes, msgpack decodes
// to the same value; whatever it declines, it leaves untouched.
func FuzzTreeMatchesMsgpack(f *testing.F) {
	for _, v := range []any{filledTree(), treeAll{}, treeAll{Tags: []string{}, Counts: map[string]int{}}} {
		b, _ := msgpack.Marshal(v)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		compareTree(t, data, treeAll{})
		compareTree(t, data, filledTree())
		compareTree(t, data, []treeAddr(nil))
		compareTree(t, data, map[string]int(nil))
	})
}

// BenchmarkDecodeTree decodes a record that is not flat (bulkOrder's
// shape) through Decode (the tree path), through the checked general path,
// and with msgpack.Unmarshal alone.
//
//	go test -run '^$' -bench DecodeTree -benchmem -count 6 ./coders/msgpackcoder
func BenchmarkDecodeTree(b *testing.B) {
	type order struct {
		ID      int            `msgpack:"id"`
		Tags    []string       `msgpack:"tags"`
		Ship    treeAddr       `msgpack:"ship"`
		Created time.Time      `msgpack:"created"`
		Counts  map[string]int `msgpack:"counts"`
		Note    *string        `msgpack:"note,omitempty"`
		Total   float64        `msgpack:"total"`
	}
	note := "leave at the door"
	data, err := msgpack.Marshal(order{ID: 42, Tags: []string{"gift", "express"}, Ship: treeAddr{"1 Main St", 10042},
		Created: time.Unix(1_700_000_042, 250_000_000), Counts: map[string]int{"items": 3, "boxes": 1}, Note: &note, Total: 525})
	if err != nil {
		b.Fatal(err)
	}
	for _, c := range []struct {
		name string
		f    func([]byte, any) error
	}{{"tree", Coder{}.Decode}, {"general", decodeGeneral}, {"msgpack-unmarshal", msgpack.Unmarshal}} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var o order
				if err := c.f(data, &o); err != nil || o.ID != 42 {
					b.Fatal(o, err)
				}
			}
		})
	}
}
