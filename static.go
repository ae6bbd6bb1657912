package ring

import (
	"context"

	"github.com/ringcache/ring/descriptor"
)

// A plain function's ring is the wire of a function without a receiver
// (Ring1 is Wire1[struct{}, A, R]): its key tuple starts with an empty
// receiver, which is no key component. The builders below are the plans of
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
