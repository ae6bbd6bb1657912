package ring

import (
	"context"

	"github.com/ringcache/ring/descriptor"
)

// Func0 caches fn, a function of a context alone: one entry.
func Func0[R any](fn func(context.Context) (R, error), opts ...Option) (*Ring0[R], error) {
	c, err := newCore(fn, descriptor.Static, opts, plan[struct{}, R]{
		exec:    func(ctx context.Context, _ struct{}) (R, error) { return fn(ctx) },
		toAny:   func(struct{}) []any { return nil },
		fromAny: func(*descriptor.Shape, []any) (struct{}, error) { return struct{}{}, nil },
	})
	if err != nil {
		return nil, err
	}
	return &Ring0[R]{c: c}, nil
}

// Func1 caches fn, keyed by its argument.
func Func1[A, R any](fn func(context.Context, A) (R, error), opts ...Option) (*Ring1[A, R], error) {
	c, err := static1(fn, opts)
	if err != nil {
		return nil, err
	}
	return &Ring1[A, R]{c: c}, nil
}

// Func2 caches fn, keyed by its two arguments.
func Func2[A, B, R any](fn func(context.Context, A, B) (R, error), opts ...Option) (*Ring2[A, B, R], error) {
	c, err := static2(fn, opts)
	if err != nil {
		return nil, err
	}
	return &Ring2[A, B, R]{c: c}, nil
}

// Func3 caches fn, keyed by its three arguments.
func Func3[A, B, C, R any](fn func(context.Context, A, B, C) (R, error), opts ...Option) (*Ring3[A, B, C, R], error) {
	c, err := static3(fn, opts)
	if err != nil {
		return nil, err
	}
	return &Ring3[A, B, C, R]{c: c}, nil
}

// Property caches a property-like getter: a method expression that takes
// only the receiver and a context, keyed by the receiver's RingKey() alone.
func Property[T, R any](fn func(T, context.Context) (R, error), opts ...Option) (*MethodRing0[T, R], error) {
	return property(fn, descriptor.Property, opts)
}

// Class0 caches fn keyed by the receiver's type name, not its value (Python
// Ring's classmethod): every receiver of one type shares the entry, and for
// an interface receiver each dynamic type gets its own.
func Class0[T, R any](fn func(T, context.Context) (R, error), opts ...Option) (*MethodRing0[T, R], error) {
	return property(fn, descriptor.Class, opts)
}

// Method1 caches fn, a method expression such as (*User).Post with one
// argument besides the context, keyed by the receiver's RingKey() and the
// argument.
func Method1[T, A, R any](fn func(T, context.Context, A) (R, error), opts ...Option) (*MethodRing1[T, A, R], error) {
	return method1(fn, descriptor.Method, opts)
}

// Class1 caches fn keyed by the receiver's type name and the argument.
func Class1[T, A, R any](fn func(T, context.Context, A) (R, error), opts ...Option) (*MethodRing1[T, A, R], error) {
	return method1(fn, descriptor.Class, opts)
}

// Method2 caches fn, a method expression with two arguments besides the
// context, keyed by the receiver's RingKey() and the arguments.
func Method2[T, A, B, R any](fn func(T, context.Context, A, B) (R, error), opts ...Option) (*MethodRing2[T, A, B, R], error) {
	return method2(fn, descriptor.Method, opts)
}

// Class2 caches fn keyed by the receiver's type name and the arguments.
func Class2[T, A, B, R any](fn func(T, context.Context, A, B) (R, error), opts ...Option) (*MethodRing2[T, A, B, R], error) {
	return method2(fn, descriptor.Class, opts)
}

// Must returns r and panics if err is not nil. It is meant for package-level
// variables, where a bad shape is a programming error:
//
//	var getUser = ring.Must(ring.Func1(loadUser, ring.LRU(1024)))
func Must[T any](r T, err error) T {
	if err != nil {
		panic(err)
	}
	return r
}
