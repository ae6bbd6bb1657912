package ring

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/descriptor"
	"github.com/ringcache/ring/ringkey"
)

// Args2 is the argument tuple of a two-argument ring, used by its bulk
// forms (for methods, P1 is the receiver).
type Args2[A, B any] struct {
	P1 A
	P2 B
}

// Args3 is the argument tuple of a three-argument ring, used by its bulk
// forms (for methods, P1 is the receiver).
type Args3[A, B, C any] struct {
	P1 A
	P2 B
	P3 C
}

// plan is what a typed constructor hands to newCore: per key parameter (in
// shape.Keys order) a component builder, and the typed glue.
type plan[K any, R any] struct {
	comps   []func(p descriptor.Param, py bool) (component[K], error)
	exec    func(ctx context.Context, k K) (R, error)
	toAny   func(k K) []any
	fromAny func(s *descriptor.Shape, args []any) (K, error)
	// decode, if set, returns the decoder of stored bytes into R for a
	// coder (untyped rings, through reflection); nil decodes with the
	// coder into an R.
	decode func(cd coders.Coder) func([]byte) (R, error)
	// batched is set by Batch: the plan of a batch function's ring.
	batched bool
}

// encoderFor returns the encoder of one key parameter of static type T:
// its typed ringkey encoder, or for the receiver of a Class ring its type
// name.
func encoderFor[T any](s *descriptor.Shape, p descriptor.Param, py bool) (func([]byte, T) ([]byte, error), error) {
	if py { // PythonKeys: pykeys.go
		return pythonEncoderFor[T](s, p)
	}
	if s.KeyedByType(p) {
		return classEncoder[T](p.Type), nil
	}
	enc, err := ringkey.Typed[T]()
	if err != nil {
		return nil, s.ParamError(p, "", err)
	}
	return enc, nil
}

// classEncoder keys a receiver by its type name: the static type's name, or
// for an interface the dynamic type's.
func classEncoder[T any](t reflect.Type) func([]byte, T) ([]byte, error) {
	if t.Kind() != reflect.Interface {
		name := ringkey.AppendEscaped(nil, typeName(t))
		return func(dst []byte, _ T) ([]byte, error) { return append(dst, name...), nil }
	}
	return func(dst []byte, v T) ([]byte, error) {
		a := any(v)
		if a == nil {
			return append(dst, `\N`...), nil
		}
		return ringkey.AppendEscaped(dst, typeName(reflect.TypeOf(a))), nil
	}
}

// field builds the component of one key parameter, read from the tuple by
// at: at is called once, when the ring is built, to bind the encoder to
// the tuple's field without a getter call per key.
func field[T any, K any](s *descriptor.Shape, at func(enc func([]byte, T) ([]byte, error)) component[K]) func(p descriptor.Param, py bool) (component[K], error) {
	return func(p descriptor.Param, py bool) (component[K], error) {
		enc, err := encoderFor[T](s, p, py)
		if err != nil {
			return nil, err
		}
		return at(enc), nil
	}
}

// typeName is a type's name without the pointer, qualified by its package
// name: "app.User" for *app.User.
func typeName(t reflect.Type) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t.String()
}

// arg converts the untyped argument at index i of the key arguments to T,
// with an error naming the parameter position and both types.
func arg[T any](s *descriptor.Shape, args []any, i int) (T, error) {
	var zero T
	v := args[i]
	t, ok := v.(T)
	if !ok && (v != nil || !nilable(reflect.TypeFor[T]())) {
		return zero, argError(s, s.Keys[i], v)
	}
	return t, nil
}

func checkCount(s *descriptor.Shape, args []any) error {
	if len(args) == len(s.Keys) {
		return nil
	}
	ts := make([]reflect.Type, len(s.Keys))
	for i, p := range s.Keys {
		ts[i] = p.Type
	}
	return &CountError{Func: s.Name, Got: len(args), Want: len(s.Keys), Params: ts}
}

// describe applies opts, once, and classifies fn; a KeyFunc among opts
// lifts the need for a receiver's RingKey. A shape error comes first; the
// options' errors then carry the ring's name.
func describe(fn any, kind descriptor.Kind, opts []Option) (*descriptor.Shape, *config, error) {
	cfg, cfgErr := build(opts)
	shape, err := descriptor.DescribeWith(fn, kind, descriptor.Options{CustomKey: cfgErr == nil && cfg.keyFunc != nil})
	if err != nil {
		return nil, nil, err
	}
	if cfgErr != nil {
		return nil, nil, namedAll(shape.Name, cfgErr)
	}
	return shape, cfg, nil
}

// namedAll puts the ring's name in front of each of the joined errors.
func namedAll(name string, err error) error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, named(name, "", e))
		}
		return errors.Join(out...)
	}
	return named(name, "", err)
}

// newCore builds the core of a ring: describe fn, apply options, choose the
// storage and coder, and compile the key plan.
func newCore[K any, R any](fn any, kind descriptor.Kind, opts []Option, pl plan[K, R]) (*core[K, R], error) {
	shape, cfg, err := describe(fn, kind, opts)
	if err != nil {
		return nil, err
	}
	return newCoreShape(shape, cfg, pl)
}

func newCoreShape[K any, R any](shape *descriptor.Shape, cfg *config, pl plan[K, R]) (*core[K, R], error) {
	c := &core[K, R]{
		shape:   shape,
		name:    shape.Name,
		prefix:  shape.Name,
		keyFunc: cfg.keyFunc,
		hashed:  newKeyHasher(cfg.hashKeys),
		choose:  cfg.choose,
		bulk:    cfg.bulk,
		exec:    pl.exec,
		toAny:   pl.toAny,
	}
	c.fromAny = func(args []any) (K, error) {
		if err := checkCount(shape, args); err != nil {
			var zero K
			return zero, err
		}
		return pl.fromAny(shape, args)
	}
	if cfg.prefix != nil {
		c.prefix = *cfg.prefix
	}
	if cfg.window != nil && !pl.batched {
		return nil, fmt.Errorf("ring: %s: BatchWindow(%v, %d): only a batch function's ring (Batch) coalesces its calls", shape.Name, cfg.window.d, cfg.window.max)
	}
	ignored := make(map[int]bool, len(cfg.ignore))
	for _, pos := range cfg.ignore {
		if pos < 1 || pos > len(shape.Params) {
			return nil, fmt.Errorf("ring: %s: Ignore(%d): the function has %d parameters", shape.Name, pos, len(shape.Params))
		}
		if pos-1 == shape.Context {
			return nil, fmt.Errorf("ring: %s: Ignore(%d): parameter %d is the context, never part of the key", shape.Name, pos, pos)
		}
		ignored[pos-1] = true
	}
	if err := checkPythonKeys(shape, cfg); err != nil {
		return nil, err
	}
	if len(pl.comps) != len(shape.Keys) {
		return nil, fmt.Errorf("ring: %s: internal error: %d key builders for %d key parameters", shape.Name, len(pl.comps), len(shape.Keys))
	}
	for i, p := range shape.Keys {
		if ignored[p.Index] || cfg.keyFunc != nil {
			// Never encoded (ignored, or the KeyFunc builds the key): any
			// type is allowed, a func, a chan, a struct the structural
			// hash would not see entirely.
			continue
		}
		comp, err := pl.comps[i](p, cfg.pythonKeys)
		if err != nil {
			return nil, err
		}
		c.comps = append(c.comps, comp)
	}

	store, mem, err := newStorageOf[R](cfg) // Concurrent: memstore.go
	if err != nil {
		return nil, named(shape.Name, "", err)
	}
	if cfg.prefix == nil {
		if err := checkDefaultPrefix(shape, store, cfg); err != nil {
			return nil, err
		}
	}
	cd, err := chooseCoder(cfg.coder, store, shape.Result, shape.Name)
	if err != nil {
		return nil, err
	}
	raw := store
	obs := newObserver(cfg, shape.Name, raw)                                       // Observe, WithStats: observe.go
	if store, err = guardStorage(shape.Name, store, cfg, obs, false); err != nil { // timeout and breaker: guard.go
		return nil, err
	}
	c.choose = guardChoose(shape.Name, cfg.choose, store, raw, cfg, obs)
	c.strategy = cfg.strategy
	st := &Cache[R]{
		coder:   cd,
		name:    shape.Name,
		onError: quietSkips(cfg.onError),
		obs:     obs,
		policy: &writePolicy{
			expire:      cfg.expire,
			ttl:         cfg.ttl,
			jitter:      cfg.jitter,
			exclude:     cfg.exclude,
			ifNotExists: cfg.ifNotExists,
		},
	}
	bg, policy, err := newRefresher(shape.Name, cfg, raw)
	if err != nil {
		return nil, err
	}
	if st.bg = bg; policy {
		st.ahead, st.policy.grace = bg, bg.grace
	}
	if st.lease, err = leaseOf(shape.Name, cfg, raw); err != nil {
		return nil, err
	}
	if st.neg, err = newNegative[R](shape.Name, cfg, shape.Result); err != nil {
		return nil, err
	}
	if st.neg != nil {
		st.negZero, _ = st.neg.result.(R)
	}
	st.direct = cd == nil && (st.neg == nil || reflect.TypeFor[R]().Kind() != reflect.Interface)
	if cd != nil && pl.decode != nil {
		st.dec = pl.decode(cd)
	}
	_, st.refactor = store.(backends.KeyRefactorer)
	st.seen = seenCounted(store) // miss.go
	// The Cache over the ring's entries: the key of an argument tuple is
	// the part of the ring's key after "prefix:".
	st.prefix = c.prefix
	switch n := len(c.comps); {
	case c.keyFunc != nil, cfg.pythonKeys && n > 0: // Python keys hold unescaped ':'
		st.prefix += ":"
	case n == 0:
		st.single = true
	case c.hashed != nil:
		st.prefix += ":"
		n, p := 2*c.hashed.size, len(st.prefix)
		st.match = func(key string) bool { return isHexDigest(key[p:], n) }
	default:
		st.prefix += ":"
		p := len(st.prefix)
		st.match = func(key string) bool { return keyComponents(key[p:]) == n }
	}
	if c.store, err = st.on(store); err != nil {
		return nil, err
	}
	c.store.mem = typedMem(store, mem)
	if err := c.store.attachNear(cfg, raw); err != nil { // Near: near.go
		return nil, err
	}
	if c.store.writes != nil && !c.store.rope.Watching(c.store.writes) {
		c.store.writes = nil // Near watches the writes instead: miss_count.go
	}
	c.byBytes = c.hitsByBytes() // hitkey.go
	c.front = c.frontFor()      // near_front.go
	return c, nil
}

func plan1[A, R any](fn func(context.Context, A) (R, error)) plan[A, R] {
	return plan[A, R]{
		exec:  fn,
		toAny: func(a A) []any { return []any{a} },
		fromAny: func(s *descriptor.Shape, args []any) (A, error) {
			return arg[A](s, args, 0)
		},
	}
}

func (p plan[K, R]) withComps(comps ...func(descriptor.Param, bool) (component[K], error)) plan[K, R] {
	p.comps = comps
	return p
}

func newCore1[A, R any](fn any, kind descriptor.Kind, opts []Option, exec func(context.Context, A) (R, error)) (*core[A, R], error) {
	shape, cfg, err := describe(fn, kind, opts)
	if err != nil {
		return nil, err
	}
	pl := plan1(exec).withComps(field(shape, func(e func([]byte, A) ([]byte, error)) component[A] { return e }))
	return newCoreShape(shape, cfg, pl)
}

func newCore2[A, B, R any](fn any, kind descriptor.Kind, opts []Option, exec func(context.Context, Args2[A, B]) (R, error)) (*core[Args2[A, B], R], error) {
	shape, cfg, err := describe(fn, kind, opts)
	if err != nil {
		return nil, err
	}
	pl := plan[Args2[A, B], R]{
		exec:  exec,
		toAny: func(k Args2[A, B]) []any { return []any{k.P1, k.P2} },
		fromAny: func(s *descriptor.Shape, args []any) (k Args2[A, B], err error) {
			if k.P1, err = arg[A](s, args, 0); err != nil {
				return k, err
			}
			k.P2, err = arg[B](s, args, 1)
			return k, err
		},
	}.withComps(
		field(shape, func(e func([]byte, A) ([]byte, error)) component[Args2[A, B]] {
			return func(dst []byte, k Args2[A, B]) ([]byte, error) { return e(dst, k.P1) }
		}),
		field(shape, func(e func([]byte, B) ([]byte, error)) component[Args2[A, B]] {
			return func(dst []byte, k Args2[A, B]) ([]byte, error) { return e(dst, k.P2) }
		}),
	)
	return newCoreShape(shape, cfg, pl)
}

func newCore3[A, B, C, R any](fn any, kind descriptor.Kind, opts []Option, exec func(context.Context, Args3[A, B, C]) (R, error)) (*core[Args3[A, B, C], R], error) {
	shape, cfg, err := describe(fn, kind, opts)
	if err != nil {
		return nil, err
	}
	pl := plan[Args3[A, B, C], R]{
		exec:  exec,
		toAny: func(k Args3[A, B, C]) []any { return []any{k.P1, k.P2, k.P3} },
		fromAny: func(s *descriptor.Shape, args []any) (k Args3[A, B, C], err error) {
			if k.P1, err = arg[A](s, args, 0); err != nil {
				return k, err
			}
			if k.P2, err = arg[B](s, args, 1); err != nil {
				return k, err
			}
			k.P3, err = arg[C](s, args, 2)
			return k, err
		},
	}.withComps(
		field(shape, func(e func([]byte, A) ([]byte, error)) component[Args3[A, B, C]] {
			return func(dst []byte, k Args3[A, B, C]) ([]byte, error) { return e(dst, k.P1) }
		}),
		field(shape, func(e func([]byte, B) ([]byte, error)) component[Args3[A, B, C]] {
			return func(dst []byte, k Args3[A, B, C]) ([]byte, error) { return e(dst, k.P2) }
		}),
		field(shape, func(e func([]byte, C) ([]byte, error)) component[Args3[A, B, C]] {
			return func(dst []byte, k Args3[A, B, C]) ([]byte, error) { return e(dst, k.P3) }
		}),
	)
	return newCoreShape(shape, cfg, pl)
}

func property[T, R any](fn func(T, context.Context) (R, error), kind descriptor.Kind, opts []Option) (*MethodRing0[T, R], error) {
	c, err := newCore1(fn, kind, opts, func(ctx context.Context, recv T) (R, error) { return fn(recv, ctx) })
	if err != nil {
		return nil, err
	}
	return &MethodRing0[T, R]{c: c}, nil
}

func method1[T, A, R any](fn func(T, context.Context, A) (R, error), kind descriptor.Kind, opts []Option) (*MethodRing1[T, A, R], error) {
	c, err := newCore2(fn, kind, opts, func(ctx context.Context, k Args2[T, A]) (R, error) {
		return fn(k.P1, ctx, k.P2)
	})
	if err != nil {
		return nil, err
	}
	return &MethodRing1[T, A, R]{c: c}, nil
}

func method2[T, A, B, R any](fn func(T, context.Context, A, B) (R, error), kind descriptor.Kind, opts []Option) (*MethodRing2[T, A, B, R], error) {
	c, err := newCore3(fn, kind, opts, func(ctx context.Context, k Args3[T, A, B]) (R, error) {
		return fn(k.P1, ctx, k.P2, k.P3)
	})
	if err != nil {
		return nil, err
	}
	return &MethodRing2[T, A, B, R]{c: c}, nil
}

// A plain function's ring is the wire of a function without a receiver
// (Ring1 is Wire1[struct{}, A, R]): its key tuple starts with an empty
// receiver, which is no key component. static1..static3 are the plans of
// Func1..Func3 over those tuples.

// args4 is the key tuple of a three-argument wire: the receiver and the
// three arguments.
type args4[T, A, B, C any] struct {
	P1 T
	P2 A
	P3 B
	P4 C
}

func static1[A, R any](fn func(context.Context, A) (R, error), opts []Option) (*core[Args2[struct{}, A], R], error) {
	shape, cfg, err := describe(fn, descriptor.Static, opts)
	if err != nil {
		return nil, err
	}
	pl := plan[Args2[struct{}, A], R]{
		exec:  func(ctx context.Context, k Args2[struct{}, A]) (R, error) { return fn(ctx, k.P2) },
		toAny: func(k Args2[struct{}, A]) []any { return []any{k.P2} },
		fromAny: func(s *descriptor.Shape, args []any) (k Args2[struct{}, A], err error) {
			k.P2, err = arg[A](s, args, 0)
			return k, err
		},
	}.withComps(
		field(shape, func(e func([]byte, A) ([]byte, error)) component[Args2[struct{}, A]] {
			return func(dst []byte, k Args2[struct{}, A]) ([]byte, error) { return e(dst, k.P2) }
		}),
	)
	return newCoreShape(shape, cfg, pl)
}

func static2[A, B, R any](fn func(context.Context, A, B) (R, error), opts []Option) (*core[Args3[struct{}, A, B], R], error) {
	shape, cfg, err := describe(fn, descriptor.Static, opts)
	if err != nil {
		return nil, err
	}
	pl := plan[Args3[struct{}, A, B], R]{
		exec:  func(ctx context.Context, k Args3[struct{}, A, B]) (R, error) { return fn(ctx, k.P2, k.P3) },
		toAny: func(k Args3[struct{}, A, B]) []any { return []any{k.P2, k.P3} },
		fromAny: func(s *descriptor.Shape, args []any) (k Args3[struct{}, A, B], err error) {
			if k.P2, err = arg[A](s, args, 0); err != nil {
				return k, err
			}
			k.P3, err = arg[B](s, args, 1)
			return k, err
		},
	}.withComps(
		field(shape, func(e func([]byte, A) ([]byte, error)) component[Args3[struct{}, A, B]] {
			return func(dst []byte, k Args3[struct{}, A, B]) ([]byte, error) { return e(dst, k.P2) }
		}),
		field(shape, func(e func([]byte, B) ([]byte, error)) component[Args3[struct{}, A, B]] {
			return func(dst []byte, k Args3[struct{}, A, B]) ([]byte, error) { return e(dst, k.P3) }
		}),
	)
	return newCoreShape(shape, cfg, pl)
}

func static3[A, B, C, R any](fn func(context.Context, A, B, C) (R, error), opts []Option) (*core[args4[struct{}, A, B, C], R], error) {
	shape, cfg, err := describe(fn, descriptor.Static, opts)
	if err != nil {
		return nil, err
	}
	type k4 = args4[struct{}, A, B, C]
	pl := plan[k4, R]{
		exec:  func(ctx context.Context, k k4) (R, error) { return fn(ctx, k.P2, k.P3, k.P4) },
		toAny: func(k k4) []any { return []any{k.P2, k.P3, k.P4} },
		fromAny: func(s *descriptor.Shape, args []any) (k k4, err error) {
			if k.P2, err = arg[A](s, args, 0); err != nil {
				return k, err
			}
			if k.P3, err = arg[B](s, args, 1); err != nil {
				return k, err
			}
			k.P4, err = arg[C](s, args, 2)
			return k, err
		},
	}.withComps(
		field(shape, func(e func([]byte, A) ([]byte, error)) component[k4] {
			return func(dst []byte, k k4) ([]byte, error) { return e(dst, k.P2) }
		}),
		field(shape, func(e func([]byte, B) ([]byte, error)) component[k4] {
			return func(dst []byte, k k4) ([]byte, error) { return e(dst, k.P3) }
		}),
		field(shape, func(e func([]byte, C) ([]byte, error)) component[k4] {
			return func(dst []byte, k k4) ([]byte, error) { return e(dst, k.P4) }
		}),
	)
	return newCoreShape(shape, cfg, pl)
}
