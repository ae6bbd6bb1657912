package pykey

import (
	"cmp"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/ringcache/ring/descriptor"
	"github.com/ringcache/ring/ringkey"
)

// ErrUnsupported is wrapped by every error about a type or value that has
// no Python Ring key: Python refuses it (a float), or the Go value has no
// Python counterpart whose key ring can reproduce.
var ErrUnsupported = errors.New("no Python Ring key")

// TypeError reports a type whose values cannot be keyed as Python Ring
// keys them. It wraps [ErrUnsupported].
type TypeError struct {
	// Type is the type given to [Typed] or [EncoderOf].
	Type reflect.Type
	// Path leads from Type to the part at fault ("element type float64 of
	// []float64"), empty when Type itself is.
	Path string
	// Reason says why Python Ring cannot key it.
	Reason string
}

// Error returns "ring: pykey: type T ...: reason".
func (e *TypeError) Error() string {
	if e.Path == "" {
		return fmt.Sprintf("ring: pykey: type %s %s", e.Type, e.Reason)
	}
	return fmt.Sprintf("ring: pykey: type %s: %s %s", e.Type, e.Path, e.Reason)
}

// Unwrap returns [ErrUnsupported].
func (e *TypeError) Unwrap() error { return ErrUnsupported }

// encFn appends one form of v.
type encFn func(dst []byte, v reflect.Value, depth int) ([]byte, error)

// node holds the three forms Python Ring uses of a value: coerce() for an
// argument (top), str() inside a dict, repr() inside a list, tuple or
// another str(). A nil form is refused, for the reason in its error.
type node struct {
	top, str, repr          encFn
	topErr, strErr, reprErr *reason
	// order compares two values of the type as Python's sorted() does,
	// for dict keys and set elements; nil when ring does not sort them.
	order func(a, b reflect.Value) int
	// setElem is the form of a set element: 'str' quoted as is, others as
	// str().
	setElem encFn
}

// reason is a refusal relative to the type of its node.
type reason struct {
	path, why string
}

func (r *reason) wrap(step string) *reason {
	p := step
	if r.path != "" {
		p = r.path + " of " + step
	}
	return &reason{path: p, why: r.why}
}

const maxDepth = 1000

var (
	timeType     = reflect.TypeFor[time.Time]()
	durationType = reflect.TypeFor[time.Duration]()
)

// nodes caches the node of every type built, like encoding/json's
// encoder cache: entries are never removed.
var nodes sync.Map // reflect.Type -> *node

func nodeOf(t reflect.Type) *node {
	if n, ok := nodes.Load(t); ok {
		return n.(*node)
	}
	b := builder{pending: map[reflect.Type]*node{}}
	n := b.build(t)
	v, _ := nodes.LoadOrStore(t, n)
	return v.(*node)
}

type builder struct {
	pending map[reflect.Type]*node
}

func (b *builder) build(t reflect.Type) *node {
	if n, ok := nodes.Load(t); ok {
		return n.(*node)
	}
	if n, ok := b.pending[t]; ok {
		// A recursive type: forward to the node being built.
		return &node{
			top:  func(dst []byte, v reflect.Value, d int) ([]byte, error) { return n.top(dst, v, d) },
			str:  func(dst []byte, v reflect.Value, d int) ([]byte, error) { return n.str(dst, v, d) },
			repr: func(dst []byte, v reflect.Value, d int) ([]byte, error) { return n.repr(dst, v, d) },
		}
	}
	n := new(node)
	b.pending[t] = n
	*n = b.newNode(t)
	delete(b.pending, t)
	return n
}

func refuse(why string) *reason { return &reason{why: why} }

// all returns a node whose three forms are fn.
func all(fn encFn) node { return node{top: fn, str: fn, repr: fn} }

var containerRingKey = refuse("has RingKey, Python's __ring_key__, which Python Ring calls on an argument only: inside a list, tuple or dict Python writes the object's repr() or str(), which ring cannot know")

func hasRingKey(t reflect.Type) bool {
	return descriptor.HasRingKey(t) || descriptor.PointerHasRingKey(t)
}

func (b *builder) newNode(t reflect.Type) node {
	switch t {
	case timeType, durationType:
		r := refuse("has no Python Ring key ring reproduces (Python writes str() of a datetime or timedelta); pass Unix seconds as an int, a string, or a type with RingKey")
		return node{topErr: r, strErr: r, reprErr: r}
	}
	if hasRingKey(t) {
		n := node{top: ringKeyEnc(t), strErr: containerRingKey, reprErr: containerRingKey}
		return n
	}
	switch t.Kind() {
	case reflect.Bool:
		n := all(func(dst []byte, v reflect.Value, _ int) ([]byte, error) { return appendBool(dst, v.Bool()), nil })
		n.order = func(a, b reflect.Value) int { return cmpBool(a.Bool(), b.Bool()) }
		n.setElem = n.str
		return n
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		n := all(func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return strconv.AppendInt(dst, v.Int(), 10), nil
		})
		n.order = func(a, b reflect.Value) int { return cmp.Compare(a.Int(), b.Int()) }
		n.setElem = n.str
		return n
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		n := all(func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return strconv.AppendUint(dst, v.Uint(), 10), nil
		})
		n.order = func(a, b reflect.Value) int { return cmp.Compare(a.Uint(), b.Uint()) }
		n.setElem = n.str
		return n
	case reflect.Float32, reflect.Float64:
		fn := func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			return AppendFloatRepr(dst, v.Float()), nil
		}
		n := node{str: fn, repr: fn, topErr: refuse("is a float: Python Ring refuses a float argument (TypeError: not a key-compatible type); floats are keyed inside lists, tuples, dicts and sets only")}
		n.order = func(a, b reflect.Value) int { return cmp.Compare(a.Float(), b.Float()) }
		n.setElem = fn
		return n
	case reflect.String:
		raw := func(dst []byte, v reflect.Value, _ int) ([]byte, error) { return append(dst, v.String()...), nil }
		n := node{top: raw, str: raw, repr: func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			s := v.String()
			if !validString(s) {
				return dst, fmt.Errorf("ring: pykey: string %q is not valid UTF-8, so no Python str: %w", s, ErrUnsupported)
			}
			return appendStringRepr(dst, s), nil
		}}
		n.order = func(a, b reflect.Value) int { return cmp.Compare(a.String(), b.String()) }
		n.setElem = func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
			dst = append(dst, '\'')
			dst = append(dst, v.String()...)
			return append(dst, '\''), nil
		}
		return n
	case reflect.Slice, reflect.Array:
		if t.Elem().Kind() == reflect.Uint8 && !hasRingKey(t.Elem()) {
			return all(func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
				return appendBytesRepr(dst, bytesOf(v)), nil
			})
		}
		return b.seqNode(t)
	case reflect.Struct:
		return b.structNode(t)
	case reflect.Map:
		if t.Elem().Kind() == reflect.Struct && t.Elem().NumField() == 0 {
			return b.setNode(t)
		}
		return b.dictNode(t)
	case reflect.Pointer:
		return b.pointerNode(t)
	case reflect.Interface:
		return interfaceNode()
	}
	r := refuse("is a " + t.Kind().String() + ", which has no Python Ring key")
	if k := t.Kind(); k == reflect.Complex64 || k == reflect.Complex128 {
		r = refuse("is a complex number: Python Ring refuses a complex argument, and ring does not write repr() of one")
	}
	return node{topErr: r, strErr: r, reprErr: r}
}

func bytesOf(v reflect.Value) []byte {
	if v.Kind() == reflect.Slice || v.CanAddr() {
		return v.Bytes()
	}
	b := make([]byte, v.Len())
	for i := range b {
		b[i] = byte(v.Index(i).Uint())
	}
	return b
}

func appendBool(dst []byte, b bool) []byte {
	if b {
		return append(dst, "True"...)
	}
	return append(dst, "False"...)
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case b:
		return -1
	}
	return 1
}

func unexported(t reflect.Type) error {
	return fmt.Errorf("ring: pykey: value of type %s was reached through an unexported field: %w", t, ErrUnsupported)
}

// ringKeyEnc returns the top form of a type with RingKey: its result, as
// it is; a nil pointer or interface is None.
func ringKeyEnc(t reflect.Type) encFn {
	ptrOnly := !descriptor.HasRingKey(t)
	return func(dst []byte, v reflect.Value, _ int) ([]byte, error) {
		if v.Kind() == reflect.Interface {
			if v.IsNil() {
				return append(dst, "None"...), nil
			}
			v = v.Elem()
		}
		if v.Kind() == reflect.Pointer && v.IsNil() {
			return append(dst, "None"...), nil
		}
		if !v.CanInterface() {
			return dst, unexported(v.Type())
		}
		if ptrOnly && v.Kind() != reflect.Pointer {
			p := reflect.New(v.Type())
			p.Elem().Set(v)
			v = p
		}
		rk, ok := reflect.TypeAssert[ringkey.RingKeyer](v)
		if !ok {
			return dst, fmt.Errorf("ring: pykey: value of type %s has no RingKey: %w", v.Type(), ErrUnsupported)
		}
		return append(dst, rk.RingKey()...), nil
	}
}

func tooDeep(t reflect.Type) error {
	return fmt.Errorf("ring: pykey: value of type %s is nested more than %d levels deep (cyclic?): %w", t, maxDepth, ErrUnsupported)
}

// seqNode: a slice is a list, an array a tuple. Its argument form is repr()
// with every space removed, as Python Ring's str(v).replace(' ', ”).
func (b *builder) seqNode(t reflect.Type) node {
	elem := b.build(t.Elem())
	if elem.repr == nil {
		r := elem.reprErr.wrap("element type " + t.Elem().String())
		return node{topErr: r, strErr: r, reprErr: r}
	}
	open, close := byte('['), byte(']')
	tuple := t.Kind() == reflect.Array
	if tuple {
		open, close = '(', ')'
	}
	repr := func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
		if depth >= maxDepth {
			return dst, tooDeep(t)
		}
		dst = append(dst, open)
		n := v.Len()
		var err error
		for i := 0; i < n; i++ {
			if i > 0 {
				dst = append(dst, ',', ' ')
			}
			if dst, err = elem.repr(dst, v.Index(i), depth+1); err != nil {
				return dst, err
			}
		}
		if tuple && n == 1 {
			dst = append(dst, ',')
		}
		return append(dst, close), nil
	}
	return node{top: noSpaces(repr), str: repr, repr: repr}
}

// noSpaces runs fn and appends what it wrote without its spaces. fn
// writes into a pooled scratch buffer, so that dst grows by the final
// length only (a ring sizes its key buffer from the previous key).
func noSpaces(fn encFn) encFn {
	return func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
		bp := scratch.Get().(*[]byte)
		buf, err := fn((*bp)[:0], v, depth)
		if err == nil {
			for _, c := range buf {
				if c != ' ' {
					dst = append(dst, c)
				}
			}
		}
		if cap(buf) <= 64<<10 {
			*bp = buf
			scratch.Put(bp)
		}
		return dst, err
	}
}

var scratch = sync.Pool{New: func() any { b := make([]byte, 0, 256); return &b }}

// structNode: a struct is a tuple of its fields, in order.
func (b *builder) structNode(t reflect.Type) node {
	fields := make([]*node, t.NumField())
	for i := range fields {
		f := t.Field(i)
		if !f.IsExported() {
			r := refuse("has the unexported field " + f.Name + ": a struct keys as the tuple of its fields, and ring reads exported fields only")
			return node{topErr: r, strErr: r, reprErr: r}
		}
		fields[i] = b.build(f.Type)
		if fields[i].repr == nil {
			r := fields[i].reprErr.wrap("field " + f.Name + " of type " + f.Type.String())
			return node{topErr: r, strErr: r, reprErr: r}
		}
	}
	repr := func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
		if depth >= maxDepth {
			return dst, tooDeep(t)
		}
		dst = append(dst, '(')
		var err error
		for i, f := range fields {
			if i > 0 {
				dst = append(dst, ',', ' ')
			}
			if dst, err = f.repr(dst, v.Field(i), depth+1); err != nil {
				return dst, err
			}
		}
		if len(fields) == 1 {
			dst = append(dst, ',')
		}
		return append(dst, ')'), nil
	}
	return node{top: noSpaces(repr), str: repr, repr: repr}
}

var nestedMap = refuse("is a map: inside a list, tuple or dict Python writes a dict or set in its insertion or hash order, which a Go map does not have")

// sortedKeys returns the keys of map v in Python's sorted() order.
func sortedKeys(v reflect.Value, order func(a, b reflect.Value) int) []reflect.Value {
	keys := v.MapKeys()
	slices.SortFunc(keys, order)
	return keys
}

// dictNode: a map is a dict, keyed as Python Ring's
// ','.join('{},{}'.format(k, v[k]) for k in sorted(v)).
func (b *builder) dictNode(t reflect.Type) node {
	k, e := b.build(t.Key()), b.build(t.Elem())
	switch {
	case k.order == nil:
		r := refuse("has keys Python Ring sorts in an order ring does not reproduce: dict keys must be strings, integers, booleans or floats").wrap("map key type " + t.Key().String())
		return node{topErr: r, strErr: nestedMap, reprErr: nestedMap}
	case k.str == nil:
		r := k.strErr.wrap("map key type " + t.Key().String())
		return node{topErr: r, strErr: nestedMap, reprErr: nestedMap}
	case e.str == nil:
		r := e.strErr.wrap("map value type " + t.Elem().String())
		return node{topErr: r, strErr: nestedMap, reprErr: nestedMap}
	}
	top := func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
		if depth >= maxDepth {
			return dst, tooDeep(t)
		}
		var err error
		for i, key := range sortedKeys(v, k.order) {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = k.str(dst, key, depth+1); err != nil {
				return dst, err
			}
			dst = append(dst, ',')
			if dst, err = e.str(dst, v.MapIndex(key), depth+1); err != nil {
				return dst, err
			}
		}
		return dst, nil
	}
	return node{top: top, strErr: nestedMap, reprErr: nestedMap}
}

// setNode: a map[K]struct{} is a set, keyed as "{" + its sorted elements
// + "}", a str element in single quotes as it is, others as str().
func (b *builder) setNode(t reflect.Type) node {
	k := b.build(t.Key())
	if k.order == nil || k.setElem == nil {
		r := refuse("has elements Python Ring sorts in an order ring does not reproduce: set elements must be strings, integers, booleans or floats").wrap("set element type " + t.Key().String())
		return node{topErr: r, strErr: nestedMap, reprErr: nestedMap}
	}
	top := func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
		dst = append(dst, '{')
		var err error
		for i, key := range sortedKeys(v, k.order) {
			if i > 0 {
				dst = append(dst, ',')
			}
			if dst, err = k.setElem(dst, key, depth+1); err != nil {
				return dst, err
			}
		}
		return append(dst, '}'), nil
	}
	return node{top: top, strErr: nestedMap, reprErr: nestedMap}
}

// pointerNode: nil is None, else the pointee.
func (b *builder) pointerNode(t reflect.Type) node {
	e := b.build(t.Elem())
	wrap := func(fn encFn) encFn {
		if fn == nil {
			return nil
		}
		return func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
			if v.IsNil() {
				return append(dst, "None"...), nil
			}
			if depth >= maxDepth {
				return dst, tooDeep(t)
			}
			return fn(dst, v.Elem(), depth+1)
		}
	}
	step := "element type " + t.Elem().String()
	n := node{top: wrap(e.top), str: wrap(e.str), repr: wrap(e.repr)}
	if e.topErr != nil {
		n.topErr = e.topErr.wrap(step)
	}
	if e.strErr != nil {
		n.strErr = e.strErr.wrap(step)
	}
	if e.reprErr != nil {
		n.reprErr = e.reprErr.wrap(step)
	}
	return n
}

// interfaceNode: nil is None, else the dynamic value's form, its node
// built once per dynamic type and cached. A dynamic type refused in that
// form is an error of the call.
func interfaceNode() node {
	form := func(pick func(n *node) (encFn, *reason)) encFn {
		return func(dst []byte, v reflect.Value, depth int) ([]byte, error) {
			if v.Kind() == reflect.Interface {
				if v.IsNil() {
					return append(dst, "None"...), nil
				}
				v = v.Elem()
			}
			if depth >= maxDepth {
				return dst, tooDeep(v.Type())
			}
			fn, r := pick(nodeOf(v.Type()))
			if fn == nil {
				return dst, (&TypeError{Type: v.Type(), Path: r.path, Reason: r.why})
			}
			return fn(dst, v, depth+1)
		}
	}
	return node{
		top:  form(func(n *node) (encFn, *reason) { return n.top, n.topErr }),
		str:  form(func(n *node) (encFn, *reason) { return n.str, n.strErr }),
		repr: form(func(n *node) (encFn, *reason) { return n.repr, n.reprErr }),
	}
}
