package backends

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// BreakerState is the state of a [Breaker].
type BreakerState uint32

const (
	// BreakerClosed: the storage is used.
	BreakerClosed BreakerState = iota
	// BreakerOpen: the storage failed repeatedly and is skipped until the
	// cool-down ends.
	BreakerOpen
	// BreakerHalfOpen: the cool-down ended and one operation (the probe)
	// is trying the storage; the others still skip it.
	BreakerHalfOpen
)

// String returns "closed", "open" or "half-open".
func (s BreakerState) String() string {
	switch s {
	case BreakerClosed:
		return "closed"
	case BreakerOpen:
		return "open"
	case BreakerHalfOpen:
		return "half-open"
	}
	return fmt.Sprintf("BreakerState(%d)", uint32(s))
}

// Breaker is the circuit breaker of one storage: the health that every
// ring using the storage shares. [Cancelable] gives each wrapped storage
// one ([BreakerOf] returns it); ring consults it around every storage
// operation, and this type only keeps the state.
//
// Closed, it counts consecutive failures; a success resets the count.
// When the count reaches the policy's failures, it opens for the policy's
// cool-down, during which [Breaker.Allow] refuses every operation. Then
// the first operation to ask becomes the probe (half-open): its success
// closes the breaker, its failure opens it for another cool-down, and an
// operation that ends without a verdict (its caller gave up) hands the
// probe to the next operation. A probe that takes longer than a cool-down
// lets another operation probe too.
//
// The zero value is closed with no policy: it never opens until
// [Breaker.SetPolicy] is called. A Breaker is safe for concurrent use; a
// closed breaker costs one atomic load per [Breaker.Allow] and one per
// success.
type Breaker struct {
	state    atomic.Uint32 // a BreakerState
	failures atomic.Int64  // consecutive failures
	// until is, while open, when the next probe may go (Unix nanoseconds);
	// while half-open, when a further probe may go.
	until atomic.Int64
	// since is when the breaker last opened from closed (Unix nanoseconds).
	since atomic.Int64
	// threshold is the policy's failures (0: no policy, never opens).
	threshold atomic.Int64
	coolDown  atomic.Int64

	mu        sync.Mutex // guards policySet, last and the state changes
	policySet bool
	last      error
	now       func() time.Time // nil: time.Now; set by tests

	node  string   // the server of a per-node breaker ("" for a storage's own)
	nodes sync.Map // server name -> *Breaker: see Node
}

func (b *Breaker) clock() time.Time {
	if b.now != nil {
		return b.now()
	}
	return time.Now()
}

// SetPolicy sets how many consecutive failures open the breaker and how
// long it stays open before a probe. The first call sets it; a later call
// with the same policy does nothing and one with another policy returns an
// error naming the policy in force. failures must be at least 1 and
// coolDown positive.
func (b *Breaker) SetPolicy(failures int, coolDown time.Duration) error {
	if failures < 1 || coolDown <= 0 {
		return fmt.Errorf("ring: circuit breaker: %d failures and a cool-down of %v: want at least 1 failure and a positive cool-down", failures, coolDown)
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.policySet {
		b.coolDown.Store(int64(coolDown))
		b.threshold.Store(int64(failures))
		b.policySet = true
		return nil
	}
	if int64(failures) == b.threshold.Load() && int64(coolDown) == b.coolDown.Load() {
		return nil
	}
	return fmt.Errorf("ring: circuit breaker already set to open after %d failures for %v", b.threshold.Load(), time.Duration(b.coolDown.Load()))
}

// Node returns the breaker of one server of a storage that spreads its
// keys over several (see [NodeOf]), made on first use with b's policy:
// on a Redis Cluster, a frozen or dead master is skipped while the others
// keep serving. Call it after [Breaker.SetPolicy].
func (b *Breaker) Node(name string) *Breaker {
	if v, ok := b.nodes.Load(name); ok {
		return v.(*Breaker)
	}
	n := &Breaker{now: b.now, node: name, policySet: true}
	n.threshold.Store(b.threshold.Load())
	n.coolDown.Store(b.coolDown.Load())
	v, _ := b.nodes.LoadOrStore(name, n)
	return v.(*Breaker)
}

// NodeName returns the server a breaker made by [Breaker.Node] stands
// for, "" for a storage's own breaker.
func (b *Breaker) NodeName() string { return b.node }

// Policy returns the breaker's policy; failures is 0 when none is set.
func (b *Breaker) Policy() (failures int, coolDown time.Duration) {
	return int(b.threshold.Load()), time.Duration(b.coolDown.Load())
}

// State returns the breaker's state.
func (b *Breaker) State() BreakerState { return BreakerState(b.state.Load()) }

// Since returns when the breaker last opened from closed (the zero time if
// it never did).
func (b *Breaker) Since() time.Time {
	if n := b.since.Load(); n != 0 {
		return time.Unix(0, n)
	}
	return time.Time{}
}

// LastFailure returns the failure that last opened the breaker or kept it
// open (nil if it never opened).
func (b *Breaker) LastFailure() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.last
}

// Allow reports whether an operation may use the storage now (ok), and
// whether it is the probe of a half-open breaker. Every allowed operation
// must report its outcome with [Breaker.Success], [Breaker.Failure] or
// [Breaker.Abandon], passing probe back.
func (b *Breaker) Allow() (probe, ok bool) {
	switch BreakerState(b.state.Load()) {
	case BreakerClosed:
		return false, true
	case BreakerOpen:
		now := b.clock().UnixNano()
		if now < b.until.Load() {
			return false, false
		}
		b.mu.Lock()
		defer b.mu.Unlock()
		if BreakerState(b.state.Load()) != BreakerOpen || now < b.until.Load() {
			return false, false
		}
		b.until.Store(now + b.coolDown.Load())
		b.state.Store(uint32(BreakerHalfOpen))
		return true, true
	default: // half-open: one probe at a time, unless it is slow
		now := b.clock().UnixNano()
		until := b.until.Load()
		if now < until || !b.until.CompareAndSwap(until, now+b.coolDown.Load()) {
			return false, false
		}
		return true, true
	}
}

// Success reports that an operation got an answer from the storage (an
// answer that is an error about the request, such as a value too large,
// counts: the storage is up). A probe's success closes the breaker.
func (b *Breaker) Success(probe bool) {
	if probe {
		b.mu.Lock()
		if BreakerState(b.state.Load()) == BreakerHalfOpen {
			b.failures.Store(0)
			b.state.Store(uint32(BreakerClosed))
		}
		b.mu.Unlock()
		return
	}
	if b.failures.Load() != 0 {
		b.failures.Store(0)
	}
}

// Failure reports that an operation found the storage unreachable: a
// timeout, a refused or broken connection (see [Unreachable]). It opens a
// closed breaker when the consecutive failures reach the policy's count,
// and opens a half-open one again when the probe failed.
func (b *Breaker) Failure(probe bool, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	now := b.clock().UnixNano()
	switch st := BreakerState(b.state.Load()); {
	case probe && st == BreakerHalfOpen:
		b.last = err
		b.until.Store(now + b.coolDown.Load())
		b.state.Store(uint32(BreakerOpen))
	case st == BreakerClosed:
		n := b.failures.Add(1)
		if th := b.threshold.Load(); th > 0 && n >= th {
			b.last = err
			b.since.Store(now)
			b.until.Store(now + b.coolDown.Load())
			b.state.Store(uint32(BreakerOpen))
		}
	}
}

// Abandon reports that an operation ended without telling whether the
// storage is up (its caller's context ended first). A probe that is
// abandoned lets the next operation probe at once.
func (b *Breaker) Abandon(probe bool) {
	if !probe {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	if BreakerState(b.state.Load()) == BreakerHalfOpen {
		b.until.Store(b.clock().UnixNano())
		b.state.Store(uint32(BreakerOpen))
	}
}

// BreakerOf returns the circuit breaker a storage carries (every
// [Cancelable] storage has one, which ring shares between the rings that
// use the storage), or nil.
func BreakerOf(s Storage) *Breaker {
	if b, ok := s.(interface{ Breaker() *Breaker }); ok {
		return b.Breaker()
	}
	return nil
}

// NodeOf returns, for a storage that spreads its keys over several servers
// by key, the function that names the server holding a key, and a function
// that asks the client to learn the servers' layout again; both are nil
// for other storages. A storage says so by implementing [NodeLocator]: a
// redisstore.Store on a *redis.ClusterClient (the master of the key's slot,
// from the client's cached slot map) and a memcachestore.Store that knows
// its client's selector do. s may be wrapped with [Cancelable].
func NodeOf(s Storage) (node func(ctx context.Context, key string) (string, error), refresh func()) {
	// An interface, not a type switch on the client backends: a program
	// that uses none of them must not link their clients' types (every
	// method of a reachable type is kept where reflection asks for methods
	// by name, as package descriptor does).
	if l, ok := Unwrap(s).(NodeLocator); ok {
		return l.Nodes()
	}
	return nil, nil
}

// NodeLocator is a storage that spreads its keys over several servers and
// can name the server of a key. ring gives each server a breaker of its
// own ([Breaker.Node]) when the storage's Nodes returns a non-nil node
// function; refresh, when not nil, asks the client to learn the layout
// again (ring calls it when a server's breaker opens: a failover may have
// moved its keys).
type NodeLocator interface {
	Nodes() (node func(ctx context.Context, key string) (string, error), refresh func())
}

// RemoteStorage is a storage that talks to a server over the network.
// ring guards such a storage with a timeout and a circuit breaker by
// default, and wraps it with [Cancelable]. The client-backed storages of
// backends/redisstore and backends/memcachestore are remote; a storage of
// your own says so by implementing this interface.
type RemoteStorage interface {
	Storage
	// Remote reports whether calls cross the network.
	Remote() bool
}

// Remote reports whether s talks to a server over the network: a storage
// wrapped with [Cancelable], or a [RemoteStorage] passed as it is.
func Remote(s Storage) bool {
	if BreakerOf(s) != nil {
		return true
	}
	r, ok := Unwrap(s).(RemoteStorage)
	return ok && r.Remote()
}

// ErrorClassifier is a storage that knows which of its client's errors mean
// that the server could not be reached (a pool timeout, a "loading" reply),
// beyond the network errors [Unreachable] knows. ring's breaker counts
// them as failures of the storage.
type ErrorClassifier interface {
	Unreachable(err error) bool
}

// UnreachableFor returns the function that tells, for s, whether an error
// means that its server could not be reached: s's own [ErrorClassifier]
// (looked for under a [Cancelable] wrapper too) together with
// [Unreachable].
func UnreachableFor(s Storage) func(error) bool {
	if c, ok := Unwrap(s).(ErrorClassifier); ok {
		return func(err error) bool { return Unreachable(err) || c.Unreachable(err) }
	}
	return Unreachable
}

// Unreachable reports whether err says that a storage could not be
// reached or did not answer, as opposed to an answer that refused the
// request: a network error of any kind (refused, reset or broken
// connection, i/o timeout, DNS), or an end of stream. A storage's client
// may have errors of its own that mean the same (go-redis's pool timeout,
// a Redis LOADING reply): the storage reports them through
// [ErrorClassifier], and [UnreachableFor] combines both. A miss is not an
// error; a value too large, a wrong type or an unsupported operation are
// answers, not failures. A context's end is not a failure of the storage
// either: the caller who gave up decides that.
func Unreachable(err error) bool {
	if err == nil {
		return false
	}
	var netErr netError
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return false // context.DeadlineExceeded is a net.Error too
	case errors.As(err, &netErr):
		return true // net.ErrClosed is one too
	}
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

// netError has the methods of net.Error, so that errors.As finds the same
// errors without this package importing net: a program that uses only
// in-process storages does not link the network stack for it.
type netError interface {
	error
	Timeout() bool
	Temporary() bool
}
