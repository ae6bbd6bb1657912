package ring

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/descriptor"
	"github.com/ringcache/ring/ringkey"
)

// Ring is the untyped view of a ring: every sub-function with the key
// arguments (the receiver first for methods, never the context) as
// []any, checked against the wrapped function's signature at run time. A
// wrong count or type is an error naming the parameter position and both
// types, never a panic.
//
// Get one from a typed ring's Untyped method (it shares the typed ring's
// storage, keys and single flight), or build one for a function of any shape
// with New.
type Ring struct {
	c anyCore
}

// anyCore is what *core[K, R] offers to the untyped view.
type anyCore interface {
	run(ctx context.Context, name string, args []any) (any, error)
	anyKeys(argSets [][]any) ([]string, error)
	anyMany(ctx context.Context, name string, argSets [][]any, values []any) ([]any, []bool, error)
	anyGet(ctx context.Context, args []any) (any, bool, error)
	anyEncode(v any) ([]byte, error)
	anyDecode(data []byte) (any, error)
	storage() backends.Storage
	shapeOf() *descriptor.Shape
}

// New builds an untyped ring for fn, a function or method expression of any
// shape: any number of parameters, an optional context.Context anywhere
// among them, and one result or a result and an error. A method expression
// (*T).M is keyed by the receiver's RingKey() (a Property when it takes only
// the receiver and a context); anything else is static. The call path uses
// reflection to call fn; prefer the typed constructors (Func1, Method1, ...)
// for hot paths.
func New(fn any, opts ...Option) (*Ring, error) {
	return NewKind(descriptor.Auto, fn, opts...)
}

// NewKind is New with the kind chosen explicitly (descriptor.Class to key a
// method by its receiver's type, for example).
func NewKind(kind descriptor.Kind, fn any, opts ...Option) (*Ring, error) {
	shape, cfg, err := describe(fn, kind, opts)
	if err != nil {
		return nil, err
	}
	fv := reflect.ValueOf(fn)
	pl := plan[[]any, any]{
		exec:    reflectExec(fv, shape),
		toAny:   func(k []any) []any { return k },
		fromAny: reflectArgs,
		decode: func(cd coders.Coder) func([]byte) (any, error) {
			return func(data []byte) (any, error) {
				p := reflect.New(shape.Result)
				if err := cd.Decode(data, p.Interface()); err != nil {
					return nil, err
				}
				return p.Elem().Interface(), nil
			}
		},
	}
	for i, p := range shape.Keys {
		pl.comps = append(pl.comps, reflectComponent(shape, i, p))
	}
	c, err := newCoreShape(shape, cfg, pl)
	if err != nil {
		return nil, err
	}
	// The result type is any here: check values against the function's.
	c.checkValue = func(v any) error {
		if !fits(v, shape.Result) {
			return valueError(v, shape.Result)
		}
		return nil
	}
	return &Ring{c: c}, nil
}

// nilable reports whether nil is a value of type t: the one list of the
// kinds an untyped call may pass nil for.
func nilable(t reflect.Type) bool {
	switch t.Kind() {
	case reflect.Pointer, reflect.Interface, reflect.Slice, reflect.Map, reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return true
	}
	return false
}

func reflectComponent(s *descriptor.Shape, i int, p descriptor.Param) func(descriptor.Param) (component[[]any], error) {
	return func(descriptor.Param) (component[[]any], error) {
		if s.KeyedByType(p) {
			e := classEncoder[any](p.Type)
			return func(dst []byte, k []any) ([]byte, error) { return e(dst, k[i]) }, nil
		}
		enc, err := ringkey.EncoderOf(p.Type)
		if err != nil {
			return nil, s.ParamError(p, "", err)
		}
		return func(dst []byte, k []any) ([]byte, error) {
			return enc(dst, valueAs(k[i], p.Type))
		}, nil
	}
}

// valueAs returns v as a reflect.Value of static type t (nil: t's zero).
func valueAs(v any, t reflect.Type) reflect.Value {
	if v == nil {
		return reflect.Zero(t)
	}
	rv := reflect.ValueOf(v)
	if rv.Type() == t {
		return rv
	}
	out := reflect.New(t).Elem()
	out.Set(rv)
	return out
}

func reflectArgs(s *descriptor.Shape, args []any) ([]any, error) {
	for i, p := range s.Keys {
		if !fits(args[i], p.Type) {
			return nil, argError(s, p, args[i])
		}
	}
	return args, nil
}

func reflectExec(fv reflect.Value, s *descriptor.Shape) func(ctx context.Context, args []any) (any, error) {
	return func(ctx context.Context, args []any) (any, error) {
		in := make([]reflect.Value, len(s.Params))
		j := 0
		for i, p := range s.Params {
			if i == s.Context {
				if ctx == nil {
					ctx = context.Background()
				}
				in[i] = reflect.ValueOf(&ctx).Elem()
				continue
			}
			in[i] = valueAs(args[j], p.Type)
			j++
		}
		var out []reflect.Value
		if s.Variadic {
			out = fv.CallSlice(in)
		} else {
			out = fv.Call(in)
		}
		var err error
		if s.Error {
			err, _ = out[1].Interface().(error)
		}
		return out[0].Interface(), err
	}
}

func (c *core[K, R]) shapeOf() *descriptor.Shape { return c.shape }

// checked converts an untyped value to R, checking it against the
// function's result type.
func (c *core[K, R]) checked(v any) (R, error) {
	var zero R
	if c.checkValue != nil {
		if err := c.checkValue(v); err != nil {
			return zero, err
		}
	}
	r, ok := v.(R)
	if !ok && (v != nil || !nilable(reflect.TypeFor[R]())) {
		return zero, valueError(v, reflect.TypeFor[R]())
	}
	return r, nil
}

// runBound is run for a wire: recv is the first key argument, after the
// value for "set".
func (c *core[K, R]) runBound(ctx context.Context, name string, recv any, args []any) (any, error) {
	if isSet(name) && len(args) > 0 {
		return c.run(ctx, name, append([]any{args[0], recv}, args[1:]...))
	}
	return c.run(ctx, name, append([]any{recv}, args...))
}

func isSet(name string) bool { return strings.EqualFold(name, "set") }

// run dispatches a sub-function by name with untyped arguments.
func (c *core[K, R]) run(ctx context.Context, name string, args []any) (any, error) {
	n := strings.ToLower(strings.ReplaceAll(name, "_", ""))
	if n == "set" {
		if len(args) == 0 {
			return nil, fmt.Errorf("ring: %s: set: want the value first, then the arguments", c.name)
		}
		v, err := c.checked(args[0])
		if err != nil {
			return nil, named(c.name, "set", err)
		}
		k, err := c.fromAny(args[1:])
		if err != nil {
			return nil, err
		}
		return nil, c.set(ctx, v, k)
	}
	k, err := c.fromAny(args)
	if err != nil {
		return nil, err
	}
	switch n {
	case "call", "getorupdate":
		return c.call(ctx, k)
	case "get":
		v, ok, err := c.get(ctx, k)
		if !ok {
			return nil, err
		}
		return v, err
	case "update":
		return c.update(ctx, k)
	case "delete":
		return nil, c.delete(ctx, k)
	case "has":
		return c.has(ctx, k)
	case "touch":
		return nil, c.touch(ctx, k)
	case "execute":
		return c.execute(ctx, k)
	case "key":
		return c.key(k)
	}
	return nil, fmt.Errorf("ring: %s: unknown sub-function %q (want call, get, update, get_or_update, set, delete, has, touch, execute or key)", c.name, name)
}

func (c *core[K, R]) tuples(argSets [][]any) ([]K, error) {
	ks := make([]K, len(argSets))
	for i, a := range argSets {
		k, err := c.fromAny(a)
		if err != nil {
			return nil, named(c.name, fmt.Sprintf("argument set %d", i), err)
		}
		ks[i] = k
	}
	return ks, nil
}

func (c *core[K, R]) anyKeys(argSets [][]any) ([]string, error) {
	ks, err := c.tuples(argSets)
	if err != nil {
		return nil, err
	}
	return c.keyMany(ks)
}

func boxAll[R any](rs []R) []any {
	if rs == nil {
		return nil
	}
	out := make([]any, len(rs))
	for i, r := range rs {
		out[i] = r
	}
	return out
}

// anyMany runs the bulk sub-function called name.
func (c *core[K, R]) anyMany(ctx context.Context, name string, argSets [][]any, values []any) ([]any, []bool, error) {
	ks, err := c.tuples(argSets)
	if err != nil {
		return nil, nil, err
	}
	switch name {
	case "execute":
		rs, err := c.executeMany(ctx, ks)
		return boxAll(rs), nil, err
	case "get":
		rs, found, err := c.getMany(ctx, ks)
		return boxAll(rs), found, err
	case "update":
		rs, err := c.updateMany(ctx, ks)
		return boxAll(rs), nil, err
	case "getorupdate":
		rs, err := c.getOrUpdateMany(ctx, ks)
		return boxAll(rs), nil, err
	case "set":
		rs := make([]R, len(values))
		for i, v := range values {
			r, err := c.checked(v)
			if err != nil {
				return nil, nil, named(c.name, fmt.Sprintf("set many: value %d", i), err)
			}
			rs[i] = r
		}
		return nil, nil, c.setMany(ctx, rs, ks)
	case "delete":
		return nil, nil, c.deleteMany(ctx, ks)
	case "has":
		found, err := c.hasMany(ctx, ks)
		return nil, found, err
	case "touch":
		return nil, nil, c.touchMany(ctx, ks)
	}
	return nil, nil, fmt.Errorf("ring: %s: unknown bulk sub-function %q", c.name, name)
}

func (c *core[K, R]) anyGet(ctx context.Context, args []any) (any, bool, error) {
	k, err := c.fromAny(args)
	if err != nil {
		return nil, false, err
	}
	v, ok, err := c.get(ctx, k)
	if !ok {
		return nil, false, err
	}
	return v, true, err
}

func (c *core[K, R]) anyEncode(v any) ([]byte, error) {
	r, err := c.checked(v)
	if err != nil {
		return nil, named(c.name, "encode", err)
	}
	return c.encode(r)
}

func (c *core[K, R]) anyDecode(data []byte) (any, error) { return c.decode(data) }

// Name returns the ring's name: the wrapped definition's qualified name.
func (r *Ring) Name() string { return r.c.shapeOf().Name }

// Kind returns how the wrapped function was classified.
func (r *Ring) Kind() descriptor.Kind { return r.c.shapeOf().Kind }

// Run runs the sub-function called name; see Ring1.Run for the names.
func (r *Ring) Run(ctx context.Context, name string, args ...any) (any, error) {
	return r.c.run(ctx, name, args)
}

// Call returns the cached result or runs the function (see Ring1.Call).
func (r *Ring) Call(ctx context.Context, args ...any) (any, error) {
	return r.c.run(ctx, "call", args)
}

// Get returns the cached result; found is false on a miss.
func (r *Ring) Get(ctx context.Context, args ...any) (value any, found bool, err error) {
	return r.c.anyGet(ctx, args)
}

// Update runs the function and caches its result.
func (r *Ring) Update(ctx context.Context, args ...any) (any, error) {
	return r.c.run(ctx, "update", args)
}

// GetOrUpdate is Call.
func (r *Ring) GetOrUpdate(ctx context.Context, args ...any) (any, error) {
	return r.c.run(ctx, "call", args)
}

// Set caches value as the result for args.
func (r *Ring) Set(ctx context.Context, value any, args ...any) error {
	_, err := r.c.run(ctx, "set", append([]any{value}, args...))
	return err
}

// Delete removes the entry.
func (r *Ring) Delete(ctx context.Context, args ...any) error {
	_, err := r.c.run(ctx, "delete", args)
	return err
}

// Has reports whether an entry is cached.
func (r *Ring) Has(ctx context.Context, args ...any) (bool, error) {
	v, err := r.c.run(ctx, "has", args)
	ok, _ := v.(bool)
	return ok, err
}

// Touch resets the entry's expiry; on a ring without one it returns an
// error wrapping ErrNoExpiry.
func (r *Ring) Touch(ctx context.Context, args ...any) error {
	_, err := r.c.run(ctx, "touch", args)
	return err
}

// Execute runs the function without the cache.
func (r *Ring) Execute(ctx context.Context, args ...any) (any, error) {
	return r.c.run(ctx, "execute", args)
}

// Key returns the backend key for args.
func (r *Ring) Key(args ...any) (string, error) {
	v, err := r.c.run(context.Background(), "key", args)
	s, _ := v.(string)
	return s, err
}

// Encode encodes value with the ring's coder.
func (r *Ring) Encode(value any) ([]byte, error) { return r.c.anyEncode(value) }

// Decode decodes data written by the ring's coder.
func (r *Ring) Decode(data []byte) (any, error) { return r.c.anyDecode(data) }

// Storage returns the backend.
func (r *Ring) Storage() backends.Storage { return r.c.storage() }

// KeyMany returns the backend key of each argument set.
func (r *Ring) KeyMany(argSets ...[]any) ([]string, error) { return r.c.anyKeys(argSets) }

// ExecuteMany runs the function for each argument set.
func (r *Ring) ExecuteMany(ctx context.Context, argSets ...[]any) ([]any, error) {
	v, _, err := r.c.anyMany(ctx, "execute", argSets, nil)
	return v, err
}

// GetMany reads every entry in one round trip where the backend can.
func (r *Ring) GetMany(ctx context.Context, argSets ...[]any) ([]any, []bool, error) {
	return r.c.anyMany(ctx, "get", argSets, nil)
}

// UpdateMany runs the function for each argument set and writes the results.
func (r *Ring) UpdateMany(ctx context.Context, argSets ...[]any) ([]any, error) {
	v, _, err := r.c.anyMany(ctx, "update", argSets, nil)
	return v, err
}

// GetOrUpdateMany reads every entry, runs the function for the misses (each
// in its key's single flight, at most BulkConcurrency at once) and writes
// them.
func (r *Ring) GetOrUpdateMany(ctx context.Context, argSets ...[]any) ([]any, error) {
	v, _, err := r.c.anyMany(ctx, "getorupdate", argSets, nil)
	return v, err
}

// SetMany caches values[i] for argSets[i].
func (r *Ring) SetMany(ctx context.Context, values []any, argSets ...[]any) error {
	if len(values) != len(argSets) {
		return fmt.Errorf("ring: %s: set many: %d values for %d argument sets", r.Name(), len(values), len(argSets))
	}
	_, _, err := r.c.anyMany(ctx, "set", argSets, values)
	return err
}

// DeleteMany removes the entries.
func (r *Ring) DeleteMany(ctx context.Context, argSets ...[]any) error {
	_, _, err := r.c.anyMany(ctx, "delete", argSets, nil)
	return err
}

// HasMany reports for each argument set whether an entry is cached.
func (r *Ring) HasMany(ctx context.Context, argSets ...[]any) ([]bool, error) {
	_, found, err := r.c.anyMany(ctx, "has", argSets, nil)
	return found, err
}

// TouchMany resets the expiry of the entries; on a ring without an expiry
// it returns an error wrapping ErrNoExpiry.
func (r *Ring) TouchMany(ctx context.Context, argSets ...[]any) error {
	_, _, err := r.c.anyMany(ctx, "touch", argSets, nil)
	return err
}

// tuples converts the arguments of a Wire1's bulk form.
func (w Wire1[T, A, R]) tuples(args []A) []Args2[T, A] {
	out := make([]Args2[T, A], len(args))
	for i, a := range args {
		out[i] = Args2[T, A]{w.recv, a}
	}
	return out
}

// tuples converts the arguments of a Wire2's bulk form.
func (w Wire2[T, A, B, R]) tuples(args []Args2[A, B]) []Args3[T, A, B] {
	out := make([]Args3[T, A, B], len(args))
	for i, a := range args {
		out[i] = Args3[T, A, B]{w.recv, a.P1, a.P2}
	}
	return out
}
