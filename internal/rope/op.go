package rope

import (
	"context"
	"time"
)

// Entries is what an Op works on: the entries of one ring on one storage,
// with the ring's key rewriting, coder, write policies and hook. The root
// package's store layer implements it.
type Entries interface {
	// Load reads key and converts what is stored to the ring's result
	// type; a value that does not convert is a miss, reported.
	Load(ctx context.Context, key string) (any, bool, error)
	// Store writes v under key with the ring's expiry (or TTL function),
	// Exclude and IfNotExists; StoreTTL with the time-to-live ttl.
	Store(ctx context.Context, key string, v any) error
	StoreTTL(ctx context.Context, key string, v any, ttl time.Duration) error
	// Delete removes key; Has reports whether it is present; Touch resets
	// its time-to-live to the ring's.
	Delete(ctx context.Context, key string) error
	Has(ctx context.Context, key string) (bool, error)
	Touch(ctx context.Context, key string) error
	// Report sends an event to the ring's hook.
	Report(op, key string, err error)
	// Flight runs fn once per key across concurrent callers (Rope.Flight).
	Flight(ctx context.Context, key string, fn func(ctx context.Context) (any, error)) (any, error)
}

// Op is the representation of strategy.Op, which is defined as Op: the
// ring makes one with NewOp and converts it, and package strategy
// converts it back to reach its fields. No other package can make one.
type Op struct {
	entries Entries
	key     string
	exec    func(ctx context.Context) (any, error)
}

// NewOp binds the entries of a ring, a backend key and the wrapped
// function with its arguments.
func NewOp(e Entries, key string, exec func(ctx context.Context) (any, error)) Op {
	return Op{entries: e, key: key, exec: exec}
}

// Entries returns the entries the Op works on.
func (o Op) Entries() Entries { return o.entries }

// Key returns the backend key.
func (o Op) Key() string { return o.key }

// Exec returns the wrapped function with its arguments bound.
func (o Op) Exec() func(ctx context.Context) (any, error) { return o.exec }
