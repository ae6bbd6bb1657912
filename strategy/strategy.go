// Package strategy is the seam that gives a ring's sub-functions their
// semantics (Python Ring's "user interface"): a [Strategy] receives one
// [Op] per invocation, with the key, the wrapped function and the ring's
// entries, so that a new strategy (stale-while-revalidate, a backup copy)
// needs no change to any storage. Pass one to a ring with
// ring.WithStrategy; embed [Default] and override what should change.
//
// A ring without a strategy of its own runs Default's semantics on a typed
// path of its own, whose hit allocates nothing beyond the key.
package strategy

import (
	"context"
	"errors"
	"time"

	"github.com/ringcache/ring/internal/rope"
)

// Op is one sub-function invocation handed to a Strategy: the backend key,
// the wrapped function with its arguments bound, and the ring's entries,
// read and written with the ring's coder, key rewriting, write policies
// and hook. Only a ring makes an Op; every method of the zero Op fails
// (Report does nothing).
type Op rope.Op

func (o Op) entries() rope.Entries {
	if e := rope.Op(o).Entries(); e != nil {
		return e
	}
	return noEntries{}
}

// errZeroOp is what the methods of the zero Op return.
var errZeroOp = errors.New("ring: strategy: the zero Op belongs to no ring: use the Op a ring hands to the strategy")

// noEntries are the entries of the zero Op: every call fails with
// errZeroOp, never a panic.
type noEntries struct{}

func (noEntries) Load(context.Context, string) (any, bool, error)            { return nil, false, errZeroOp }
func (noEntries) Store(context.Context, string, any) error                   { return errZeroOp }
func (noEntries) StoreTTL(context.Context, string, any, time.Duration) error { return errZeroOp }
func (noEntries) Delete(context.Context, string) error                       { return errZeroOp }
func (noEntries) Has(context.Context, string) (bool, error)                  { return false, errZeroOp }
func (noEntries) Touch(context.Context, string) error                        { return errZeroOp }
func (noEntries) Report(string, string, error)                               {}
func (noEntries) Flight(context.Context, string, func(context.Context) (any, error)) (any, error) {
	return nil, errZeroOp
}

// Key returns the backend key.
func (o Op) Key() string { return rope.Op(o).Key() }

// Execute runs the wrapped function without touching the cache. Inside a
// flight it receives the run's context, except that the function's own
// writes to a ring (through the ring's Set, say) are ordinary writes, not
// the fill's.
func (o Op) Execute(ctx context.Context) (any, error) {
	exec := rope.Op(o).Exec()
	if exec == nil {
		return nil, errZeroOp
	}
	return exec(rope.Outside(ctx))
}

// Load reads key (any key: a strategy may keep entries of its own, such as
// a backup copy) the way the default strategy does: decoded with the
// ring's coder into the ring's result type. A stored value that does not
// decode, or holds another type, is a miss, reported to the OnError hook.
func (o Op) Load(ctx context.Context, key string) (any, bool, error) {
	return o.entries().Load(ctx, key)
}

// Store writes v under key with the ring's expiry (or TTL function) and
// coder; a value the ring's Exclude rejects is not written, and with
// IfNotExists an existing entry is kept. With the context of this Op's
// flight (see Flight) it is the fill's write, skipped once a newer write
// of the key was made; otherwise it is a newer write itself.
func (o Op) Store(ctx context.Context, key string, v any) error {
	return o.entries().Store(ctx, key, v)
}

// StoreTTL is Store with the time-to-live ttl (0: none) instead of the
// ring's, for entries of the strategy's own such as a backup copy.
func (o Op) StoreTTL(ctx context.Context, key string, v any, ttl time.Duration) error {
	return o.entries().StoreTTL(ctx, key, v, ttl)
}

// Delete removes key (any key: a strategy may keep entries of its own); an
// absent key is not an error. Like Store, it is the fill's own effect
// under the context of a flight and a newer write otherwise.
func (o Op) Delete(ctx context.Context, key string) error {
	return o.entries().Delete(ctx, key)
}

// Report sends a failure the strategy absorbed to the OnError hook, as an
// event of this Op's key.
func (o Op) Report(op string, err error) { o.entries().Report(op, o.Key(), err) }

// Flight runs fn once for all concurrent callers of this key: fn receives
// the run's context, which no single caller's cancellation ends, and must
// use it for its reads, its Execute and its writes, so that its writes
// never undo a newer write of the key. Each caller returns as soon as its
// own ctx ends; a caller that arrives after a newer write of the key does
// not join the run.
func (o Op) Flight(ctx context.Context, fn func(ctx context.Context) (any, error)) (any, error) {
	return o.entries().Flight(ctx, o.Key(), fn)
}

// Strategy gives the sub-functions their semantics. Embed Default and
// override the methods to change; every method receives the Op of one
// invocation. Implementations must be safe for concurrent use.
type Strategy interface {
	// Get reads the cache; found is false on a miss.
	Get(ctx context.Context, op Op) (value any, found bool, err error)
	// GetOrUpdate is the default action of Call.
	GetOrUpdate(ctx context.Context, op Op) (any, error)
	// Update runs the function and writes its result.
	Update(ctx context.Context, op Op) (any, error)
	// Set writes value.
	Set(ctx context.Context, op Op, value any) error
	// Delete removes the entry.
	Delete(ctx context.Context, op Op) error
	// Has reports whether the entry is present.
	Has(ctx context.Context, op Op) (bool, error)
	// Touch resets the entry's expiry.
	Touch(ctx context.Context, op Op) error
	// Execute runs the function without touching the cache.
	Execute(ctx context.Context, op Op) (any, error)
}

// Default is the standard strategy (the table in docs/subfunctions.md):
// Call and GetOrUpdate read, run the function once per key across
// concurrent misses (checking the cache again inside the flight), write on
// success unless a newer write of the key was made meanwhile, and fail
// open: a storage failure is reported to the hook and the function's
// result is returned. Get, Update's write, Set, Delete, Has and Touch
// return storage errors.
type Default struct{}

// Get reads the cache.
func (Default) Get(ctx context.Context, op Op) (any, bool, error) {
	return op.Load(ctx, op.Key())
}

// GetOrUpdate reads the cache and, on a miss, runs the function once per key
// across concurrent callers and writes its result (Fill).
func (Default) GetOrUpdate(ctx context.Context, op Op) (any, error) {
	v, ok, err := op.Load(ctx, op.Key())
	if err != nil {
		op.Report("get", err)
	} else if ok {
		return v, nil
	}
	return Fill(ctx, op, err == nil)
}

// Fill is the miss path of Default.GetOrUpdate, for strategies that keep
// it: inside the key's single flight, on the run's context, it reads the
// cache once more when recheck is set (another caller may have filled the
// entry between the first read and the start of the flight), runs the
// function, and writes its result unless a newer write of the key (Set,
// Update, Delete, ...) was made since the flight started: the callers
// still receive the result. A failed write is reported, not returned
// (fail-open); a function error is returned and nothing is written.
func Fill(ctx context.Context, op Op, recheck bool) (any, error) {
	return op.Flight(ctx, func(ctx context.Context) (any, error) {
		if recheck {
			if v, ok, err := op.Load(ctx, op.Key()); err == nil && ok {
				return v, nil
			}
		}
		v, err := op.Execute(ctx)
		if err != nil {
			return v, err
		}
		if err := op.Store(ctx, op.Key(), v); err != nil {
			op.Report("set", err)
		}
		return v, nil
	})
}

// Update runs the function and writes its result, a newer write of the key;
// the write's error is returned with the fresh value.
func (Default) Update(ctx context.Context, op Op) (any, error) {
	v, err := op.Execute(ctx)
	if err != nil {
		return v, err
	}
	return v, op.Store(ctx, op.Key(), v)
}

// Set writes value, a newer write of the key.
func (Default) Set(ctx context.Context, op Op, value any) error {
	return op.Store(ctx, op.Key(), value)
}

// Delete removes the entry, a newer write of the key; an absent entry is
// not an error.
func (Default) Delete(ctx context.Context, op Op) error {
	return op.Delete(ctx, op.Key())
}

// Has reports whether the entry is present (and not expired).
func (Default) Has(ctx context.Context, op Op) (bool, error) {
	return op.entries().Has(ctx, op.Key())
}

// Touch resets the entry's expiry to the ring's. On a ring without an
// expiry it returns an error wrapping ring.ErrNoExpiry and leaves the entry
// as it is, on every backend.
func (Default) Touch(ctx context.Context, op Op) error {
	return op.entries().Touch(ctx, op.Key())
}

// Execute runs the function.
func (Default) Execute(ctx context.Context, op Op) (any, error) {
	return op.Execute(ctx)
}
