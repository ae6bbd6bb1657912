package ring

import (
	"math/bits"
	"reflect"
	"sync/atomic"
	"unsafe"

	"github.com/ringcache/ring/backends"
)

// The near tier's typed front: on a ring whose arguments are plain values
// (ints, uints, floats, complexes, bools, and arrays and structs of those;
// or one string), a near hit is looked up by the argument tuple K itself,
// without building the key string. The front only finds a node of the
// string-keyed tier (near.go): every rule that drops a copy (an
// invalidation, an own write, a reservation, a fill, a flush, a grown
// table, an eviction) marks the node it unlinks dead, and a front hit
// returns a node's value only while it is alive and not expired. So the
// tier stays the one place that decides what is valid; the front is a
// bounded index into it, filled on a front miss that hits the tier.
//
// Two tuples share a front entry only if their bytes are equal (a string
// by its contents): equal bytes of plain values are equal values, whose
// keys are equal (a float by its bits: NaN, -0 and 0 are keyed as their
// bits say). Tuples of equal keys but different bytes (-0 and 0 if their
// keys agreed) take entries of their own, pointing at the same node. A
// tuple holding a pointer, an interface, a slice, a map, a type with
// methods (RingKey, String, which could key it by more than its bytes), or
// more than one string, and rings with a KeyFunc, have no front: their hit
// builds the key (hitkey.go).

// nearFront is the typed front of a ring's near tier: a 2-way
// set-associative table of fixed size (never more entries than slots),
// lock-free for readers; a writer replaces a slot's entry with one atomic
// store.
type nearFront[K, R any] struct {
	slots  []atomic.Pointer[nearFrontEntry[K, R]]
	mask   uint64 // len(slots)-1; a hash picks the pair of slots i, i+1 (i even)
	hasher nearHasher
	// str: the tuple's one string, at off, is its identity; else its
	// size bytes (word: exactly 8, read as one word).
	str  bool
	word bool
	off  uintptr
	size uintptr
}

type nearFrontEntry[K, R any] struct {
	k K
	n *nearNode[R]
}

// nearFrontMaxSlots bounds a front's table.
const nearFrontMaxSlots = 1 << 20

// newNearFront returns the front for tuples of type K over a near tier
// of size entries, or nil when K is not made of plain values.
func newNearFront[K, R any](size int) *nearFront[K, R] {
	t := reflect.TypeFor[K]()
	f := &nearFront[K, R]{size: t.Size(), hasher: newNearHasher()}
	if plainMemory(t) {
		f.word = f.size == 8
	} else if off, ok := oneString(t); ok {
		f.str, f.off = true, off
	} else {
		return nil
	}
	n := max(2, min(nearFrontMaxSlots, nearCeilPow2(size)))
	f.slots = make([]atomic.Pointer[nearFrontEntry[K, R]], n)
	f.mask = uint64(n - 1)
	return f
}

// noMethods reports whether neither t nor *t has methods: a RingKey or a
// String method could key a value by more than its bytes.
func noMethods(t reflect.Type) bool {
	return t.NumMethod() == 0 && reflect.PointerTo(t).NumMethod() == 0
}

// plainMemory reports whether a value of t is identified by its bytes:
// bools, integers, floats and complexes (not uintptr), and arrays and
// structs of those, none with methods.
func plainMemory(t reflect.Type) bool {
	if !noMethods(t) {
		return false
	}
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return true
	case reflect.Array:
		return plainMemory(t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			if !plainMemory(t.Field(i).Type) {
				return false
			}
		}
		return true
	}
	return false
}

// oneString reports whether t is a string (without methods), or a struct
// whose only field of non-zero size is such a string (recursively), and
// returns its offset.
func oneString(t reflect.Type) (uintptr, bool) {
	if !noMethods(t) {
		return 0, false
	}
	switch t.Kind() {
	case reflect.String:
		return 0, true
	case reflect.Struct:
		var off uintptr
		found := false
		for i := range t.NumField() {
			sf := t.Field(i)
			if sf.Type.Size() == 0 && plainMemory(sf.Type) {
				continue
			}
			o, ok := oneString(sf.Type)
			if !ok || found {
				return 0, false
			}
			off, found = sf.Offset+o, true
		}
		return off, found
	}
	return 0, false
}

// view is the identity of the tuple *k: its string, or its bytes as a
// string (no copy; valid while *k is).
func (f *nearFront[K, R]) view(k *K) string {
	p := unsafe.Pointer(k)
	if f.str {
		return *(*string)(unsafe.Add(p, f.off))
	}
	return unsafe.String((*byte)(p), f.size)
}

// hash returns the hash of the tuple *k's identity.
func (f *nearFront[K, R]) hash(k *K) uint64 {
	if f.word {
		return f.hasher.word(*(*uint64)(unsafe.Pointer(k)))
	}
	return f.hasher.hash(f.view(k))
}

// word is the hash of a tuple of 8 bytes, read as one word: wyhash's
// mixing, as nearHasher.hash.
func (t *nearHasher) word(x uint64) uint64 {
	hi, lo := bits.Mul64(x^t.k1, t.k2)
	hi, lo = bits.Mul64(hi^t.k0, lo^t.k1)
	return hi ^ lo
}

// get returns the value of the live node the front keeps for *k.
func (f *nearFront[K, R]) get(k *K) (R, bool) {
	var e *nearFrontEntry[K, R]
	if f.word { // a tuple of one word (an int): compared as one; k is e's first field
		x := *(*uint64)(unsafe.Pointer(k))
		i := f.hasher.word(x) & f.mask &^ 1
		if e = f.slots[i].Load(); e == nil || *(*uint64)(unsafe.Pointer(e)) != x {
			if e = f.slots[i+1].Load(); e != nil && *(*uint64)(unsafe.Pointer(e)) != x {
				e = nil
			}
		}
	} else {
		v := f.view(k)
		i := f.hasher.hash(v) & f.mask &^ 1
		if e = f.slots[i].Load(); e == nil || f.view(&e.k) != v {
			if e = f.slots[i+1].Load(); e != nil && f.view(&e.k) != v {
				e = nil
			}
		}
	}
	if e != nil {
		if n := e.n; !n.dead.Load() && backends.ClockBefore(n.exp) {
			return n.v, true
		}
	}
	var zero R
	return zero, false
}

// put keeps n, the tier's node of *k's key, for *k: in the slot of its
// pair that holds *k or nothing or a dead node, or else in the first one,
// whose entry moves to the second.
func (f *nearFront[K, R]) put(k *K, n *nearNode[R]) {
	v := f.view(k)
	i := f.hash(k) & f.mask &^ 1
	e := &nearFrontEntry[K, R]{k: *k, n: n}
	for j := i; j <= i+1; j++ {
		if o := f.slots[j].Load(); o == nil || o.n.dead.Load() || f.view(&o.k) == v {
			f.slots[j].Store(e)
			return
		}
	}
	f.slots[i+1].Store(f.slots[i].Load())
	f.slots[i].Store(e)
}

// len returns the number of entries the front holds (tests).
func (f *nearFront[K, R]) len() int {
	n := 0
	for i := range f.slots {
		if f.slots[i].Load() != nil {
			n++
		}
	}
	return n
}

// frontFor returns the typed front of c's near tier, or nil: c must hit
// its near tier by bytes (hitsByBytes) with keys built from its arguments
// alone (no KeyFunc).
func (c *core[K, R]) frontFor() *nearFront[K, R] {
	st := c.store
	if !c.byBytes || st.near == nil || c.keyFunc != nil {
		return nil
	}
	return newNearFront[K, R](st.near.size)
}
