package backends

import (
	"context"
	"time"
)

// Cancelable wraps s so that every call returns as soon as its context
// ends, even when the client underneath cannot stop a call in flight:
// go-redis stops a call at a context's deadline (with ContextTimeoutEnabled)
// but not when the context is cancelled, and gomemcache takes no context at
// all. A call whose context ends first returns ctx.Err(); the abandoned call
// goes on in a goroutine of its own until it finishes or the client's own
// timeouts end it, and its result is dropped (a write may still land).
//
// A call whose context can never end (context.Background, context.TODO)
// runs directly, with no goroutine, and so do the bulk forms of a backend
// that stops them itself (a Memcache with its selector), and every call on
// a context made by [WithOpTimeout] from one that can never end when the
// backend stops a call at its deadline by itself (a Redis or RedisHash
// whose go-redis client has ContextTimeoutEnabled, as storeurl.Open makes it).
// Otherwise each call costs a goroutine and a channel: a wake-up of
// another goroutine, small beside a network round trip on one core, but
// measurable on a busy two-core machine (docs/benchmarks.md). In-process
// backends do not need the wrapper.
//
// The wrapper offers every capability through the helpers of this package
// (native where s has it, a loop or a "not supported" error where it has
// not), so it behaves as s does. ring's Redis, RedisHash and Memcache
// options, and Open for the remote schemes, return wrapped backends;
// Unwrap gives s back.
//
// Each call of Cancelable also gives the storage a [Breaker] of its own
// ([BreakerOf] returns it): ring treats a Cancelable storage as remote,
// bounds its operations with a timeout and shares this breaker between
// every ring built on the same storage value (see docs/reliability.md).
// The wrapper itself never consults it.
func Cancelable(s Storage) Storage {
	c := cancelable{s: s, br: new(Breaker)}
	if d, ok := s.(DeadlineStopper); ok {
		c.native = d.StopsAtDeadline()
	}
	if g, ok := s.(GetCanceler); ok {
		c.getDirect = g.CancelsGet()
	}
	if _, ok := s.(KeyRefactorer); ok {
		return cancelableRefactor{c}
	}
	return c
}

// Unwrap returns the storage inside a Cancelable wrapper, or s itself.
func Unwrap(s Storage) Storage {
	if u, ok := s.(interface{ Unwrap() Storage }); ok {
		return u.Unwrap()
	}
	return s
}

type cancelable struct {
	s  Storage
	br *Breaker
	// native is set when s stops a call at its context's deadline by
	// itself: a call on a deadline-only context (WithOpTimeout) then needs
	// no goroutine.
	native bool
	// getDirect is set when s's Get stops by itself when its context
	// ends, cancel or deadline (GetCanceler).
	getDirect bool
}

// GetCanceler is a backend whose Get may stop by itself when its context
// ends, cancel or deadline (a Memcache with its selector does): a
// [Cancelable] wrapper then calls Get directly, with no goroutine.
type GetCanceler interface {
	// CancelsGet reports whether Get returns when its ctx ends.
	CancelsGet() bool
}

// DeadlineStopper is a backend that may stop its calls at their context's
// deadline by itself (go-redis does with ContextTimeoutEnabled): a
// [Cancelable] wrapper then runs a call on a context made by
// [WithOpTimeout] directly, with no goroutine.
type DeadlineStopper interface {
	// StopsAtDeadline reports whether every call, dial, pool wait, reads
	// and writes included, ends at its context's deadline.
	StopsAtDeadline() bool
}

// deadlineOnly marks a context that ends at its deadline and in no other
// way (see WithOpTimeout).
type deadlineOnly struct{ context.Context }

// WithOpTimeout returns ctx bounded by d for one storage operation, as
// context.WithTimeout does; call cancel when the operation is done. When
// ctx itself can never end, the result is marked as ending only at its
// deadline, so that a [Cancelable] storage whose backend stops a call at
// its deadline by itself runs the call directly, with no goroutine. ring
// bounds every storage operation with it (StorageTimeout).
//
// When ctx can never end, the operations bounded by the same d (of 16µs
// or more) share a context per window of d/16 instead of a timer each: an
// operation's deadline is then between d and d+d/16 from its start, and
// starting one allocates nothing on context.Background() (the values of
// another ctx are kept). Under many concurrent callers this removes the
// timer heap from the cost of a call.
func WithOpTimeout(ctx context.Context, d time.Duration) (context.Context, context.CancelFunc) {
	if ctx.Done() == nil {
		if c, ok := sharedOpTimeout(ctx, d); ok {
			return c, noopCancel
		}
		c, cancel := context.WithTimeout(ctx, d)
		return deadlineOnly{c}, cancel
	}
	return context.WithTimeout(ctx, d)
}

// inline reports whether a single-key call on ctx can run with no
// goroutine: ctx cannot end, or it ends only at a deadline that the backend
// honours by itself.
func (c cancelable) inline(ctx context.Context) bool {
	if ctx.Done() == nil {
		return true
	}
	if !c.native {
		return false
	}
	switch ctx.(type) {
	case deadlineOnly, sharedOpCtx:
		return true
	}
	return false
}

// cancelableRefactor is a cancelable over a backend that rewrites keys.
type cancelableRefactor struct{ cancelable }

func (c cancelableRefactor) RefactorKey(key string) string { return RefactorKey(c.s, key) }

// interruptible runs fn and returns its result, or ctx.Err() as soon as ctx
// ends if that comes first.
func interruptible[T any](ctx context.Context, fn func() (T, error)) (T, error) {
	done := ctx.Done()
	if done == nil {
		return fn()
	}
	if err := ctx.Err(); err != nil {
		var zero T
		return zero, err
	}
	type result struct {
		v   T
		err error
	}
	ch := make(chan result, 1) // buffered: the goroutine never blocks on it
	go func() {
		v, err := fn()
		ch <- result{v, err}
	}()
	select {
	case r := <-ch:
		return r.v, r.err
	case <-done:
		var zero T
		return zero, ctx.Err()
	}
}

func interruptibleErr(ctx context.Context, fn func() error) error {
	_, err := interruptible(ctx, func() (struct{}, error) { return struct{}{}, fn() })
	return err
}

func (c cancelable) Unwrap() Storage   { return c.s }
func (c cancelable) Breaker() *Breaker { return c.br }
func (c cancelable) Name() string      { return c.s.Name() }
func (c cancelable) Bytes() bool       { return c.s.Bytes() }
func (c cancelable) Raw() any          { return c.s.Raw() }

func (c cancelable) Get(ctx context.Context, key string) (any, bool, error) {
	if c.getDirect || c.inline(ctx) { // the hot path: no closure to allocate
		return c.s.Get(ctx, key)
	}
	type got struct {
		v  any
		ok bool
	}
	g, err := interruptible(ctx, func() (got, error) {
		v, ok, err := c.s.Get(ctx, key)
		return got{v, ok}, err
	})
	return g.v, g.ok, err
}

func (c cancelable) Set(ctx context.Context, key string, value any, ttl time.Duration) error {
	if c.inline(ctx) {
		return c.s.Set(ctx, key, value, ttl)
	}
	return interruptibleErr(ctx, func() error { return c.s.Set(ctx, key, value, ttl) })
}

func (c cancelable) Delete(ctx context.Context, key string) error {
	if c.inline(ctx) {
		return c.s.Delete(ctx, key)
	}
	return interruptibleErr(ctx, func() error { return c.s.Delete(ctx, key) })
}

func (c cancelable) Has(ctx context.Context, key string) (bool, error) {
	if c.inline(ctx) {
		return Has(ctx, c.s, key)
	}
	return interruptible(ctx, func() (bool, error) { return Has(ctx, c.s, key) })
}

func (c cancelable) Touch(ctx context.Context, key string, ttl time.Duration) error {
	if c.inline(ctx) {
		return Touch(ctx, c.s, key, ttl)
	}
	return interruptibleErr(ctx, func() error { return Touch(ctx, c.s, key, ttl) })
}

func (c cancelable) Remove(ctx context.Context, key string) (bool, error) {
	if c.inline(ctx) {
		return Remove(ctx, c.s, key)
	}
	return interruptible(ctx, func() (bool, error) { return Remove(ctx, c.s, key) })
}

func (c cancelable) SetIfAbsent(ctx context.Context, key string, value any, ttl time.Duration) (bool, error) {
	if c.inline(ctx) {
		return SetIfAbsent(ctx, c.s, key, value, ttl)
	}
	return interruptible(ctx, func() (bool, error) { return SetIfAbsent(ctx, c.s, key, value, ttl) })
}

// BulkCanceler is a backend whose bulk forms (GetMany, GetManyBytes,
// HasMany, SetMany, SetManyTTL, DeleteMany, TouchMany) may stop by
// themselves when their ctx ends: a [Cancelable] wrapper then calls them
// directly.
type BulkCanceler interface {
	// CancelsBulk reports whether the bulk forms return when ctx ends.
	CancelsBulk() bool
}

// direct reports whether a bulk call can run with no goroutine: its ctx
// cannot end, or the backend stops it itself.
func (c cancelable) direct(ctx context.Context) bool {
	if c.inline(ctx) {
		return true
	}
	b, ok := c.s.(BulkCanceler)
	return ok && b.CancelsBulk()
}

func (c cancelable) GetMany(ctx context.Context, keys []string) ([]any, []bool, error) {
	if c.direct(ctx) {
		return GetMany(ctx, c.s, keys)
	}
	type got struct {
		v  []any
		ok []bool
	}
	g, err := interruptible(ctx, func() (got, error) {
		v, ok, err := GetMany(ctx, c.s, keys)
		return got{v, ok}, err
	})
	return g.v, g.ok, err
}

func (c cancelable) GetManyBytes(ctx context.Context, keys []string) ([][]byte, error) {
	if c.direct(ctx) {
		return GetManyBytes(ctx, c.s, keys)
	}
	return interruptible(ctx, func() ([][]byte, error) { return GetManyBytes(ctx, c.s, keys) })
}

func (c cancelable) SetMany(ctx context.Context, keys []string, values []any, ttl time.Duration) error {
	if c.direct(ctx) {
		return SetMany(ctx, c.s, keys, values, ttl)
	}
	return interruptibleErr(ctx, func() error { return SetMany(ctx, c.s, keys, values, ttl) })
}

func (c cancelable) DeleteMany(ctx context.Context, keys []string) error {
	if c.direct(ctx) {
		return DeleteMany(ctx, c.s, keys)
	}
	return interruptibleErr(ctx, func() error { return DeleteMany(ctx, c.s, keys) })
}

func (c cancelable) HasMany(ctx context.Context, keys []string) ([]bool, error) {
	if c.direct(ctx) {
		return HasMany(ctx, c.s, keys)
	}
	return interruptible(ctx, func() ([]bool, error) { return HasMany(ctx, c.s, keys) })
}

func (c cancelable) TouchMany(ctx context.Context, keys []string, ttl time.Duration) error {
	if c.direct(ctx) {
		return TouchMany(ctx, c.s, keys, ttl)
	}
	return interruptibleErr(ctx, func() error { return TouchMany(ctx, c.s, keys, ttl) })
}

func (c cancelable) Clear(ctx context.Context, prefix string, match func(string) bool) error {
	return interruptibleErr(ctx, func() error { return ClearMatch(ctx, c.s, prefix, match) })
}

// CheckExpiry forwards to the wrapped backend's check, if it has one.
func (c cancelable) CheckExpiry(ttl time.Duration) error {
	if ec, ok := c.s.(ExpiryChecker); ok {
		return ec.CheckExpiry(ttl)
	}
	return nil
}

// Close closes the wrapped backend, if it owns resources.
func (c cancelable) Close() error {
	if cl, ok := c.s.(Closer); ok {
		return cl.Close()
	}
	return nil
}
