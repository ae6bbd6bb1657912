package ring

import (
	"context"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ring/backends"
)

// ErrStorageTimeout is wrapped by the error of a storage operation that
// got no answer within the ring's StorageTimeout.
var ErrStorageTimeout = errors.New("storage timeout")

// ErrStorageUnavailable is wrapped by the error of an explicit
// sub-function (Get, Set, Delete, ...) called while the circuit breaker of
// the ring's storage is open, and by the Err of an OpBreakerOpen event.
// Call never returns it: it runs the function instead.
var ErrStorageUnavailable = errors.New("storage unavailable (circuit breaker open)")

// Ops of the events a ring sends to OnError when the circuit breaker of
// its storage changes state. Each ring reports the changes it sees: the
// ring whose failure opened the breaker at once, the other rings on the
// same storage at their next use of it.
const (
	// OpBreakerOpen: the storage failed repeatedly and is skipped. Err
	// wraps ErrStorageUnavailable and the failure that opened it.
	OpBreakerOpen = "breaker open"
	// OpBreakerClosed: a probe succeeded; the storage is used again. Err
	// says how long it was open.
	OpBreakerClosed = "breaker closed"
)

// guard bounds the storage operations of one ring with its timeout and
// gates them with the storage's circuit breaker. It wraps every remote
// storage (and any other the options ask to guard); in-process storages
// are used as they are, so their hit path costs nothing more.
type guard struct {
	s       backends.Storage  // wrapped with backends.Cancelable: returns when its ctx ends
	br      *backends.Breaker // nil: no breaker for this ring
	timeout time.Duration     // 0: none
	ring    string
	hook    func(Event)
	// node names the server of a key on a storage that spreads keys over
	// several (a Redis Cluster); its single-key operations then go through
	// that server's breaker, br.Node(name). refresh, if set, makes the
	// client learn the layout again when a server's breaker opens.
	node    func(ctx context.Context, key string) (string, error)
	refresh func()
	// obs reports the operations and the breaker's changes (observe.go);
	// nil without Observe and WithStats. lastKey is the key of the last
	// failure the ring fed the breaker, hidden from obs.
	obs     *observer
	lastKey atomic.Pointer[string]
	// seenOpen is whether the ring last reported br open; seen holds the
	// same for each node breaker (*backends.Breaker -> *atomic.Bool).
	seenOpen atomic.Bool
	seen     sync.Map
	// skipped is returned while the breaker is open: built once, so that
	// a Call skipping the storage allocates nothing for it.
	skipped error
	// pending holds the breaker events not yet given to hook: they are
	// delivered by FlushEvents, which runs where the ring holds none of
	// the locks that order its writes (after a read of the storage, and
	// after each write once the rope has released its locks), so that a
	// hook may use the ring itself.
	pendMu     sync.Mutex
	pending    []Event
	hasPending atomic.Bool
}

// emit queues ev for the hook (see pending).
func (g *guard) emit(ev Event) {
	g.pendMu.Lock()
	g.pending = append(g.pending, ev)
	g.hasPending.Store(true)
	g.pendMu.Unlock()
}

// FlushEvents gives the queued breaker events to the hook, in order. The
// rope (internal/rope) calls it once it holds no lock of the ring (it
// checks for this method on its storage); the guard calls it after each
// read.
func (g *guard) FlushEvents() {
	if !g.hasPending.Load() {
		return
	}
	g.pendMu.Lock()
	evs := g.pending
	g.pending = nil
	g.hasPending.Store(false)
	g.pendMu.Unlock()
	for _, ev := range evs {
		if g.hook != nil {
			g.hook(ev)
		}
		if g.obs != nil {
			var key string
			if k := g.lastKey.Load(); k != nil {
				key = *k
			}
			g.obs.breaker(ev, key) // observe.go
		}
	}
}

// The guard offers every capability; each forwards to the storage, which
// says when it lacks one.
var (
	_ backends.Clearer       = (*guard)(nil)
	_ backends.Remover       = (*guard)(nil)
	_ backends.BulkGetter    = (*guard)(nil)
	_ backends.BulkToucher   = (*guard)(nil)
	_ backends.Toucher       = (*guard)(nil)
	_ backends.Haser         = (*guard)(nil)
	_ backends.SetIfAbsenter = (*guard)(nil)
)

// guardRefactor is a guard over a storage that rewrites keys.
type guardRefactor struct{ *guard }

func (g guardRefactor) RefactorKey(key string) string { return backends.RefactorKey(g.s, key) }

// remoteStorage reports whether s is a network storage: wrapped with
// backends.Cancelable (as Redis, RedisHash, Memcache and Open make them)
// or one of the package's client backends passed as it is.
func remoteStorage(s backends.Storage) bool { return backends.Remote(s) }

// guardStorage returns s guarded as cfg asks: with the default timeout
// and breaker when s is remote, as it is when no guard applies. lenient
// (for storages a Choose function picks) keeps the policy a breaker already
// has instead of failing.
func guardStorage(ring string, s backends.Storage, cfg *config, obs *observer, lenient bool) (backends.Storage, error) {
	switch g := s.(type) { // another ring's Storage(): guard the storage under it
	case *guard:
		s = g.s
	case guardRefactor:
		s = g.s
	}
	remote := remoteStorage(s)
	var timeout time.Duration
	switch {
	case cfg.storageTimeout != nil:
		timeout = *cfg.storageTimeout
	case remote:
		timeout = defaultStorageTimeout
	}
	var policy breakerPolicy
	switch {
	case cfg.breaker != nil:
		policy = *cfg.breaker
	case remote:
		policy = breakerPolicy{failures: defaultBreakerFailures, coolDown: defaultBreakerCoolDown}
	}
	if timeout == 0 && policy.failures == 0 {
		return s, nil
	}
	if backends.BreakerOf(s) == nil {
		// Not remote, guarded on request: it needs the wrapper to return
		// at the timeout, and gets a breaker of its own.
		s = backends.Cancelable(s)
	}
	g := &guard{s: s, timeout: timeout, ring: ring, hook: cfg.onError, obs: obs.on(s),
		skipped: fmt.Errorf("ring: backend %s: %w", s.Name(), ErrStorageUnavailable)}
	if policy.failures > 0 {
		g.br = backends.BreakerOf(s)
		g.node, g.refresh = backends.NodeOf(s)
		if err := g.br.SetPolicy(policy.failures, policy.coolDown); err != nil && !lenient {
			n, cd := g.br.Policy()
			return nil, fmt.Errorf("ring: %s: %s: storage %s already has a circuit breaker set to %s by the first ring built on it; rings on one storage share its breaker: give them the same CircuitBreaker option",
				ring, policy, s.Name(), breakerPolicy{failures: n, coolDown: cd})
		}
	}
	if _, ok := s.(backends.KeyRefactorer); ok {
		return guardRefactor{g}, nil
	}
	return g, nil
}

// guardChoose wraps a Choose function so that the storages it picks are
// guarded like the ring's own: own is the ring's guarded storage, raw the
// storage under it. Each picked storage gets one guard per ring, so the
// store layer (and its rope) per storage is found again.
func guardChoose(ring string, choose func(context.Context, string, []any) backends.Storage, own, raw backends.Storage, cfg *config, obs *observer) func(context.Context, string, []any) backends.Storage {
	if choose == nil {
		return nil
	}
	var guards sync.Map // picked storage -> guarded storage
	return func(ctx context.Context, key string, args []any) backends.Storage {
		st := choose(ctx, key, args)
		if st == nil || !reflect.TypeOf(st).Comparable() {
			return st // nil bypasses the cache; an incomparable one is refused by the core
		}
		if st == raw || st == own {
			return own
		}
		if g, ok := guards.Load(st); ok {
			return g.(backends.Storage)
		}
		g, err := guardStorage(ring, st, cfg, obs, true)
		if err != nil { // not reached: lenient
			return st
		}
		v, _ := guards.LoadOrStore(st, g)
		return v.(backends.Storage)
	}
}

// quietSkips drops, from the events a ring reports, the operations it
// skipped because the breaker is open: the OpBreakerOpen event said so
// once, and a Call during an outage must not flood the hook.
func quietSkips(hook func(Event)) func(Event) {
	if hook == nil {
		return nil
	}
	return func(e Event) {
		if errors.Is(e.Err, ErrStorageUnavailable) {
			return
		}
		hook(e)
	}
}

// noCancel is the cancel function of an operation that needs no context of
// its own.
func noCancel() {}

// bound returns the context of one operation on n keys (0 for one key):
// ctx with the ring's timeout, or ctx itself when its deadline comes first
// or the ring has no timeout.
func (g *guard) bound(ctx context.Context, n int) (context.Context, context.CancelFunc) {
	if g.timeout <= 0 {
		return ctx, noCancel
	}
	d := g.timeout
	if n > 100 {
		d *= time.Duration((n + 99) / 100)
	}
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) <= d {
		return ctx, noCancel
	}
	return backends.WithOpTimeout(ctx, d)
}

// breakerFor returns the breaker of a single-key operation on key: the
// key's server's on a storage that spreads keys over several, the
// storage's own otherwise (and for bulk operations, which span servers).
func (g *guard) breakerFor(ctx context.Context, key string, single bool) *backends.Breaker {
	if g.br == nil || g.node == nil || !single {
		return g.br
	}
	name, err := g.node(ctx, key)
	if err != nil {
		return g.br
	}
	return g.br.Node(name)
}

// admit asks br whether the operation may go; it reports skip when it may
// not.
func (g *guard) admit(br *backends.Breaker) (probe, skip bool) {
	if br == nil {
		return false, false
	}
	probe, ok := br.Allow()
	if !ok {
		g.observe(br)
	}
	return probe, !ok
}

// finish classifies the outcome of an operation that ran on octx (derived
// from the caller's ctx), feeds br and returns the error to give the
// caller: a timeout of the ring's own becomes a timeoutError.
func (g *guard) finish(ctx, octx context.Context, br *backends.Breaker, probe bool, op, key string, n int, err error) error {
	callerDone := ended(ctx)
	ownTimeout := err != nil && octx != ctx && ended(octx) && !callerDone
	if ownTimeout {
		err = &timeoutError{backend: g.s.Name(), op: op, key: key, n: n, timeout: g.timeout, err: err}
	}
	if br == nil {
		return err
	}
	switch {
	case err == nil:
		br.Success(probe)
	case ownTimeout || (!callerDone && backends.Unreachable(err)):
		before := br.State()
		if g.obs != nil && key != "" {
			k := key // a copy: key itself does not escape, so a call that succeeds allocates nothing here
			g.lastKey.Store(&k)
		}
		br.Failure(probe, err)
		if g.refresh != nil && before != backends.BreakerOpen && br.State() == backends.BreakerOpen {
			g.refresh() // a server is gone: a failover may have moved its keys
		}
	case callerDone: // the caller gave up: no verdict
		br.Abandon(probe)
	default: // an answer, if a refusal: the storage is up
		br.Success(probe)
	}
	g.observe(br)
	return err
}

// observe reports a change of br's state that this ring has not reported
// yet.
func (g *guard) observe(br *backends.Breaker) {
	seen := &g.seenOpen
	if br != g.br {
		v, ok := g.seen.Load(br)
		if !ok {
			v, _ = g.seen.LoadOrStore(br, new(atomic.Bool))
		}
		seen = v.(*atomic.Bool)
	}
	open := br.State() != backends.BreakerClosed
	if seen.Load() == open || !seen.CompareAndSwap(!open, open) || (g.hook == nil && g.obs == nil) {
		return
	}
	where := g.s.Name()
	if node := br.NodeName(); node != "" {
		where += ": node " + node
	}
	if open {
		n, cd := br.Policy()
		g.emit(Event{Ring: g.ring, Op: OpBreakerOpen, Err: &breakerOpenError{
			where: where, failures: n, coolDown: cd, last: br.LastFailure()}})
		return
	}
	var was time.Duration
	if since := br.Since(); !since.IsZero() {
		was = time.Since(since).Round(time.Millisecond)
	}
	g.emit(Event{Ring: g.ring, Op: OpBreakerClosed,
		Err: fmt.Errorf("ring: backend %s: a probe succeeded after %v open: the storage is used again", where, was)})
}

// guarded runs one operation on key (n == 0) or on n keys through the
// guard.
func guarded[T any](g *guard, ctx context.Context, op, key string, n int, fn func(ctx context.Context) (T, error)) (T, error) {
	octx, cancel := g.bound(ctx, n)
	defer cancel()
	br := g.breakerFor(octx, key, n == 0)
	probe, skip := g.admit(br)
	if skip {
		var zero T
		return zero, g.skipped
	}
	if g.obs != nil {
		return guardedObserved(g, ctx, octx, br, probe, op, key, n, fn) // observe.go
	}
	v, err := fn(octx)
	return v, g.finish(ctx, octx, br, probe, op, key, n, err)
}

func guardedErr(g *guard, ctx context.Context, op, key string, n int, fn func(ctx context.Context) error) error {
	_, err := guarded(g, ctx, op, key, n, func(ctx context.Context) (struct{}, error) { return struct{}{}, fn(ctx) })
	return err
}

// timeoutError is an operation that got no answer within the ring's
// StorageTimeout.
type timeoutError struct {
	backend, op, key string
	n                int
	timeout          time.Duration
	err              error
}

func (e *timeoutError) Error() string {
	what := e.op + " " + strconv.Quote(e.key)
	if e.n > 0 {
		what = fmt.Sprintf("%s (%d keys)", e.op, e.n)
	}
	return fmt.Sprintf("ring: backend %s: %s: no answer within StorageTimeout(%v)", e.backend, what, e.timeout)
}

func (e *timeoutError) Unwrap() []error {
	return []error{ErrStorageTimeout, context.DeadlineExceeded, e.err}
}

// breakerOpenError is the Err of an OpBreakerOpen event.
type breakerOpenError struct {
	where    string // the backend, and the node for a node's breaker
	failures int
	coolDown time.Duration
	last     error
}

func (e *breakerOpenError) Error() string {
	return fmt.Sprintf("ring: backend %s: %d consecutive failures, the last: %v; the storage is skipped, with a probe every %v: %v",
		e.where, e.failures, e.last, e.coolDown, ErrStorageUnavailable)
}

func (e *breakerOpenError) Unwrap() []error {
	if e.last == nil {
		return []error{ErrStorageUnavailable}
	}
	return []error{ErrStorageUnavailable, e.last}
}

// The storage interface and its capabilities, each operation guarded.

func (g *guard) Name() string { return g.s.Name() }
func (g *guard) Bytes() bool  { return g.s.Bytes() }
func (g *guard) Raw() any     { return g.s.Raw() }

// Unwrap returns the backend under the guard and its wrapper.
func (g *guard) Unwrap() backends.Storage { return backends.Unwrap(g.s) }

// Breaker returns the storage's circuit breaker (shared with the other
// rings on the storage), or nil when the ring uses none.
func (g *guard) Breaker() *backends.Breaker { return g.br }

func (g *guard) Get(ctx context.Context, key string) (any, bool, error) {
	octx, cancel := g.bound(ctx, 0)
	br := g.breakerFor(octx, key, true)
	probe, skip := g.admit(br)
	if skip {
		cancel()
		g.FlushEvents()
		return nil, false, g.skipped
	}
	var v any
	var ok bool
	var err error
	if o := g.obs; o != nil {
		sctx, start := o.startOp(octx, "get", 1)
		v, ok, err = g.s.Get(sctx, key)
		o.endOp(sctx, "get", 1, foundCount(ok), start, hideKey(err, key))
	} else {
		v, ok, err = g.s.Get(octx, key)
	}
	err = g.finish(ctx, octx, br, probe, "get", key, 0, err)
	cancel()
	g.FlushEvents() // a read: the ring holds no write lock here
	return v, ok, err
}

func (g *guard) Set(ctx context.Context, key string, value any, ttl time.Duration) error {
	return guardedErr(g, ctx, "set", key, 0, func(ctx context.Context) error { return g.s.Set(ctx, key, value, ttl) })
}

func (g *guard) Delete(ctx context.Context, key string) error {
	return guardedErr(g, ctx, "delete", key, 0, func(ctx context.Context) error { return g.s.Delete(ctx, key) })
}

func (g *guard) Has(ctx context.Context, key string) (bool, error) {
	defer g.FlushEvents() // a read: the ring holds no write lock here
	return guarded(g, ctx, "has", key, 0, func(ctx context.Context) (bool, error) { return backends.Has(ctx, g.s, key) })
}

func (g *guard) Touch(ctx context.Context, key string, ttl time.Duration) error {
	return guardedErr(g, ctx, "touch", key, 0, func(ctx context.Context) error { return backends.Touch(ctx, g.s, key, ttl) })
}

func (g *guard) Remove(ctx context.Context, key string) (bool, error) {
	return guarded(g, ctx, "remove", key, 0, func(ctx context.Context) (bool, error) { return backends.Remove(ctx, g.s, key) })
}

func (g *guard) SetIfAbsent(ctx context.Context, key string, value any, ttl time.Duration) (bool, error) {
	return guarded(g, ctx, "set if absent", key, 0, func(ctx context.Context) (bool, error) {
		return backends.SetIfAbsent(ctx, g.s, key, value, ttl)
	})
}

func (g *guard) GetMany(ctx context.Context, keys []string) ([]any, []bool, error) {
	defer g.FlushEvents() // a read: the ring holds no write lock here
	type got struct {
		v  []any
		ok []bool
	}
	r, err := guarded(g, ctx, "get many", "", len(keys), func(ctx context.Context) (got, error) {
		v, ok, err := backends.GetMany(ctx, g.s, keys)
		return got{v, ok}, err
	})
	return r.v, r.ok, err
}

func (g *guard) GetManyBytes(ctx context.Context, keys []string) ([][]byte, error) {
	defer g.FlushEvents() // a read: the ring holds no write lock here
	return guarded(g, ctx, "get many", "", len(keys), func(ctx context.Context) ([][]byte, error) {
		return backends.GetManyBytes(ctx, g.s, keys)
	})
}

func (g *guard) SetMany(ctx context.Context, keys []string, values []any, ttl time.Duration) error {
	return guardedErr(g, ctx, "set many", "", len(keys), func(ctx context.Context) error {
		return backends.SetMany(ctx, g.s, keys, values, ttl)
	})
}

func (g *guard) DeleteMany(ctx context.Context, keys []string) error {
	return guardedErr(g, ctx, "delete many", "", len(keys), func(ctx context.Context) error {
		return backends.DeleteMany(ctx, g.s, keys)
	})
}

func (g *guard) HasMany(ctx context.Context, keys []string) ([]bool, error) {
	defer g.FlushEvents() // a read: the ring holds no write lock here
	return guarded(g, ctx, "has many", "", len(keys), func(ctx context.Context) ([]bool, error) {
		return backends.HasMany(ctx, g.s, keys)
	})
}

func (g *guard) TouchMany(ctx context.Context, keys []string, ttl time.Duration) error {
	return guardedErr(g, ctx, "touch many", "", len(keys), func(ctx context.Context) error {
		return backends.TouchMany(ctx, g.s, keys, ttl)
	})
}

// Clear is gated by the breaker but not bounded by the timeout: it scans
// the whole keyspace, so only its context bounds it.
func (g *guard) Clear(ctx context.Context, prefix string, match func(string) bool) error {
	probe, skip := g.admit(g.br)
	if skip {
		return g.skipped
	}
	err := backends.ClearMatch(ctx, g.s, prefix, match)
	return g.finish(ctx, ctx, g.br, probe, "clear", prefix, 0, err)
}

// CheckExpiry forwards to the storage's check, if it has one.
func (g *guard) CheckExpiry(ttl time.Duration) error {
	if ec, ok := g.s.(backends.ExpiryChecker); ok {
		return ec.CheckExpiry(ttl)
	}
	return nil
}

// Close closes the storage, if it owns resources.
func (g *guard) Close() error {
	if c, ok := g.s.(backends.Closer); ok {
		return c.Close()
	}
	return nil
}

// ended reports whether ctx has ended, or is past its deadline: a client
// that stops a call at its context's deadline itself (go-redis with
// ContextTimeoutEnabled) may return its i/o timeout a moment before the
// context reports its end, and that error is the caller's deadline, not a
// verdict on the storage.
func ended(ctx context.Context) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !time.Now().Before(dl)
}
