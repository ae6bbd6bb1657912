package ring

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/descriptor"
	"github.com/ringcache/ring/observe"
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
//
// Its methods are the reference of the sub-functions: the typed rings have
// the same ones, with the wrapped function's types, and point here.
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
	stats() observe.Snapshot
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

func reflectComponent(s *descriptor.Shape, i int, p descriptor.Param) func(descriptor.Param, bool) (component[[]any], error) {
	return func(_ descriptor.Param, py bool) (component[[]any], error) {
		if py { // PythonKeys: pykeys.go
			return pythonReflectComponent(s, i, p)
		}
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
	case "refresh":
		return nil, c.refresh(ctx, k)
	case "execute":
		return c.execute(ctx, k)
	case "key":
		return c.key(k)
	}
	return nil, fmt.Errorf("ring: %s: unknown sub-function %q (want call, get, update, get_or_update, set, delete, has, touch, refresh, execute or key)", c.name, name)
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

// The sub-functions below are documented here once: every typed ring
// (Ring0..Ring3 and the wires, MethodRing0..MethodRing2) has the ones that
// take the argument list with the wrapped function's types, and points
// here.

// Call is the cached function, the default action (GetOrUpdate): it
// returns the cached result, or runs the function once across concurrent
// callers of the same key (single flight, re-checking the cache inside the
// flight) and caches its result. A result with a non-nil error is returned
// and not cached (NegativeCache caches the not-found ones it lists); a panic in the function reaches every waiting caller as a
// *PanicError. Call fails open: a storage failure, or a stored value that no
// longer decodes, is reported to OnError and not returned.
func (r *Ring) Call(ctx context.Context, args ...any) (any, error) {
	return r.c.run(ctx, "call", args)
}

// Get returns the cached result without running the function; found is
// false on a miss, and true for a cached zero value. A stored value that no
// longer decodes is a miss, reported to OnError; a storage failure is
// returned. On a ring that keeps entries past their expiry
// (StaleWhileRevalidate, StaleIfError), an entry is found when Call would
// serve it: fresh, or at most StaleWhileRevalidate's maxStale past expiry.
// With NegativeCache, a cached "not found" is not found and err
// wraps its not-found error, which tells it from a miss (nil err).
func (r *Ring) Get(ctx context.Context, args ...any) (value any, found bool, err error) {
	return r.c.anyGet(ctx, args)
}

// Update runs the function and caches its result, replacing any entry (a
// newer write: no fill in flight undoes it). A function error is returned
// and nothing is written (with NegativeCache, a "not found" it lists is
// written as a negative entry); a write error is returned with the fresh
// result.
func (r *Ring) Update(ctx context.Context, args ...any) (any, error) {
	return r.c.run(ctx, "update", args)
}

// GetOrUpdate returns the cached result or runs the function and caches
// it: it is what Call does.
func (r *Ring) GetOrUpdate(ctx context.Context, args ...any) (any, error) {
	return r.c.run(ctx, "call", args)
}

// Set caches value as the result for the arguments (the value comes
// first), a newer write. It returns the storage's error.
func (r *Ring) Set(ctx context.Context, value any, args ...any) error {
	_, err := r.c.run(ctx, "set", append([]any{value}, args...))
	return err
}

// Delete removes the entry (a newer write); an absent entry is not an
// error.
func (r *Ring) Delete(ctx context.Context, args ...any) error {
	_, err := r.c.run(ctx, "delete", args)
	return err
}

// Has reports whether an entry (not expired) is cached: on a ring that
// keeps entries past their expiry, one that Get would find.
func (r *Ring) Has(ctx context.Context, args ...any) (bool, error) {
	v, err := r.c.run(ctx, "has", args)
	ok, _ := v.(bool)
	return ok, err
}

// Touch resets the entry's expiry to the ring's Expire (plus the grace of
// StaleWhileRevalidate and StaleIfError, see there); an absent entry is
// not an error. On a ring without Expire it returns an error wrapping
// ErrNoExpiry and changes nothing; on a backend that cannot touch, an error
// wrapping backends.ErrNotSupported.
func (r *Ring) Touch(ctx context.Context, args ...any) error {
	_, err := r.c.run(ctx, "touch", args)
	return err
}

// Refresh refreshes the entry now, in the background: it starts the
// refresh that RefreshAhead starts for a due entry and returns at once,
// with an error only when the key cannot be built (or the ring has a custom
// strategy, whose Update is the way to refresh). The refresh runs the
// function whatever the entry's state (fresh, stale or absent) and writes
// its result, once per key (a refresh of the key already running is not
// started again), in the key's single flight (a concurrent miss shares its
// execution), on a context that keeps ctx's values but not its
// cancellation, with a deadline: the longest refresh timeout of the ring's
// policies (RefreshAhead, StaleWhileRevalidate, XFetch), or 30 seconds on a
// ring without one. Its write gives way to a newer Set, Update or Delete of
// the key; a failure keeps the entry as it is and goes to OnError as an
// Event with Op "refresh".
//
// Refresh is the background form because a refresh exists to keep callers
// from waiting; Update is the foreground form: it runs the function in the
// caller's goroutine, writes the result and returns it, with its error.
// When Choose bypasses the cache for the key, Refresh does nothing.
func (r *Ring) Refresh(ctx context.Context, args ...any) error {
	_, err := r.c.run(ctx, "refresh", args)
	return err
}

// Execute runs the function without reading or writing the cache.
func (r *Ring) Execute(ctx context.Context, args ...any) (any, error) {
	return r.c.run(ctx, "execute", args)
}

// Key returns the key the backend stores the entry under, after any
// rewriting the backend needs (memcached hashes long keys).
func (r *Ring) Key(args ...any) (string, error) {
	v, err := r.c.run(context.Background(), "key", args)
	s, _ := v.(string)
	return s, err
}

// Run runs the sub-function called name: "call", "get", "update",
// "get_or_update", "set" (the value first), "delete", "has", "touch",
// "refresh", "execute" or "key"; case and underscores do not matter. An unknown name is
// an error. A miss of "get" returns nil: use Get to tell it from a cached
// nil.
func (r *Ring) Run(ctx context.Context, name string, args ...any) (any, error) {
	return r.c.run(ctx, name, args)
}

// Many returns the bulk forms of the sub-functions (see [Bulk]); each
// argument set is a []any, checked like the arguments of Call.
func (r *Ring) Many() Bulk[[]any, any] { return Bulk[[]any, any]{ops: untypedBulk{r.c}} }

// Encode encodes value with the ring's coder. A ring that stores Go values
// (an in-process backend without a coder) has none: the error wraps
// wire.ErrNoCoder. A typed ring's Cache().Encode is the typed form.
func (r *Ring) Encode(value any) ([]byte, error) { return r.c.anyEncode(value) }

// Decode decodes data written by the ring's coder into a value of the
// function's result type.
func (r *Ring) Decode(data []byte) (any, error) { return r.c.anyDecode(data) }

// Storage returns the backend; its Raw method gives the client underneath.
func (r *Ring) Storage() backends.Storage { return r.c.storage() }
