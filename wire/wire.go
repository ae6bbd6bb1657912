// Package wire holds the machinery between a cached function and its
// storage: the Rope (one per wrapped definition: storage, coder, expiry,
// single flight, hooks) and the replaceable semantics of the sub-functions
// (the Strategy, Python Ring's "user interface").
//
// The root package ring builds keys and runs the function; wire decides what
// each sub-function does with them. A Strategy receives an Op, which gives
// it the key, the wrapped function and decode-aware storage access, so a new
// strategy (stale-while-revalidate, a backup copy) needs no change to any
// storage.
package wire

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"math/bits"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/internal/flight"
)

// Event describes a failure that a Call absorbed (fail-open) or a stored
// value that no longer decodes; it reaches the OnError hook.
type Event struct {
	// Ring is the ring's name (its definition name).
	Ring string
	// Op is the operation: "get", "set", "decode", "encode", ...
	Op string
	// Key is the backend key involved.
	Key string
	// Err is the error.
	Err error
}

// Error formats the event.
func (e Event) Error() string {
	return fmt.Sprintf("ring: %s: %s %q: %v", e.Ring, e.Op, e.Key, e.Err)
}

// Unwrap returns e.Err.
func (e Event) Unwrap() error { return e.Err }

// Config is what a Rope is built from. The root package fills it from a
// ring's options.
type Config struct {
	// Name is the ring's name, used in errors and events.
	Name string
	// Storage is the backend. Required.
	Storage backends.Storage
	// Coder encodes values before they are stored. Nil means values are
	// stored as they are, which only a backend whose Bytes() is false
	// accepts.
	Coder coders.Coder
	// Decode turns stored bytes back into a value of the result type.
	// Required when Coder is set.
	Decode func(data []byte) (any, error)
	// Expire is the time-to-live of written entries (0: none).
	Expire time.Duration
	// TTL, if set, computes the time-to-live per entry from its key and
	// value, overriding Expire.
	TTL func(key string, value any) time.Duration
	// Exclude, if set, keeps a result out of the cache when it returns true.
	Exclude func(key string, value any) bool
	// IfNotExists makes writes by Call, Update and Set keep an existing entry
	// (set-if-absent) instead of overwriting it.
	IfNotExists bool
	// Strategy gives the sub-functions their semantics; nil means Default.
	Strategy Strategy
	// OnError receives failures that a Call absorbed and values that no
	// longer decode. Nil drops them.
	OnError func(Event)
}

// Rope is the shared state of one cached definition. It is safe for
// concurrent use.
type Rope struct {
	cfg      Config
	strategy Strategy
	custom   bool
	flight   flight.Group
	// stripes order a fill's write of a key against the newer writes of
	// the same key (see commit and fillWrite); seed hashes a key to its
	// stripe.
	stripes [numStripes]stripe
	seed    maphash.Seed
	// flusher is the storage, when it holds back events until the rope
	// releases its locks (see eventFlusher).
	flusher eventFlusher
}

// stripe is the lock of the keys that hash to it, and the count of the
// writes of those keys that have finished (see WriteMark).
type stripe struct {
	mu     sync.RWMutex
	writes atomic.Uint64
}

// numStripes is the number of locks the keys of one rope are spread over:
// 64, so that a bulk write's set of stripes fits in a uint64.
const numStripes = 64

// NewRope checks cfg and returns a Rope.
func NewRope(cfg Config) (*Rope, error) {
	if cfg.Storage == nil {
		return nil, fmt.Errorf("ring: %s: no storage", cfg.Name)
	}
	if cfg.Expire < 0 {
		return nil, fmt.Errorf("ring: %s: negative expiry %v", cfg.Name, cfg.Expire)
	}
	if cfg.Coder == nil && cfg.Storage.Bytes() {
		return nil, fmt.Errorf("ring: %s: backend %s stores bytes: choose a coder (for example Coder(\"json\"))", cfg.Name, cfg.Storage.Name())
	}
	if ec, ok := cfg.Storage.(backends.ExpiryChecker); ok && cfg.Expire > 0 {
		if err := ec.CheckExpiry(cfg.Expire); err != nil {
			return nil, fmt.Errorf("ring: %s: Expire(%v): %w", cfg.Name, cfg.Expire, err)
		}
	}
	if cfg.Coder != nil && cfg.Decode == nil {
		return nil, fmt.Errorf("ring: %s: coder %s without a decode target", cfg.Name, cfg.Coder.Name())
	}
	r := &Rope{cfg: cfg, strategy: cfg.Strategy, seed: maphash.MakeSeed()}
	r.flusher, _ = cfg.Storage.(eventFlusher)
	if r.strategy == nil {
		r.strategy = Default{}
	} else {
		r.custom = true
	}
	return r, nil
}

// Config returns the rope's configuration.
func (r *Rope) Config() Config { return r.cfg }

// Storage returns the backend.
func (r *Rope) Storage() backends.Storage { return r.cfg.Storage }

// Strategy returns the strategy in use.
func (r *Rope) Strategy() Strategy { return r.strategy }

// CustomStrategy reports whether a strategy other than Default is in use;
// the typed hit path of the root package is only taken when it is not.
func (r *Rope) CustomStrategy() bool { return r.custom }

// RefactorKey rewrites key the way the backend stores it.
func (r *Rope) RefactorKey(key string) string { return backends.RefactorKey(r.cfg.Storage, key) }

// Report sends an event to the OnError hook.
func (r *Rope) Report(op, key string, err error) {
	if r.cfg.OnError != nil && err != nil {
		r.cfg.OnError(Event{Ring: r.cfg.Name, Op: op, Key: key, Err: err})
	}
}

// ErrNoCoder is wrapped by Encode and Decode on a ring that stores Go values
// without a coder.
var ErrNoCoder = errors.New("no coder configured")

// Encode encodes v with the rope's coder.
func (r *Rope) Encode(v any) ([]byte, error) {
	if r.cfg.Coder == nil {
		return nil, fmt.Errorf("ring: %s: encode: %w (backend %s stores Go values)", r.cfg.Name, ErrNoCoder, r.cfg.Storage.Name())
	}
	return r.cfg.Coder.Encode(v)
}

// Decode decodes data into a value of the result type.
func (r *Rope) Decode(data []byte) (any, error) {
	if r.cfg.Coder == nil {
		return nil, fmt.Errorf("ring: %s: decode: %w (backend %s stores Go values)", r.cfg.Name, ErrNoCoder, r.cfg.Storage.Name())
	}
	return r.cfg.Decode(data)
}

// Hit reads key the way the default strategy does: a stored value is
// returned as it is (in-process backends) or decoded (byte backends); a
// value that does not decode is a miss, reported to the hook. It is the
// allocation-free read the typed hit path uses.
func (r *Rope) Hit(ctx context.Context, key string) (any, bool, error) {
	v, ok, err := r.cfg.Storage.Get(ctx, key)
	if err != nil || !ok {
		return nil, false, err
	}
	if r.cfg.Coder == nil {
		return v, true, nil
	}
	return r.decodeStored(key, v)
}

func (r *Rope) decodeStored(key string, v any) (any, bool, error) {
	b, ok := v.([]byte)
	if !ok {
		r.Report("decode", key, fmt.Errorf("stored value is %T, not []byte", v))
		return nil, false, nil
	}
	out, err := r.cfg.Decode(b)
	if err != nil {
		r.Report("decode", key, err)
		return nil, false, nil
	}
	return out, true, nil
}

// encodeForStore turns v into what the backend stores.
func (r *Rope) encodeForStore(v any) (any, error) {
	if r.cfg.Coder == nil {
		return v, nil
	}
	b, err := r.cfg.Coder.Encode(v)
	if err != nil {
		return nil, err
	}
	return b, nil
}

// ttl returns the time-to-live for value under key.
func (r *Rope) ttl(key string, v any) time.Duration {
	if r.cfg.TTL != nil {
		if d := r.cfg.TTL(key, v); d > 0 {
			return d
		}
		return 0
	}
	return r.cfg.Expire
}

// Store writes v under key with the rope's expiry (or its TTL function),
// encoding it first if the rope has a coder. A value the Exclude predicate
// rejects is not written; with IfNotExists an existing entry is kept.
//
// Called with the context a flight handed to its function (see Flight),
// Store is that fill's write: it is skipped, and returns nil, when a newer
// write of the flight's key was made since the flight started, or every
// caller of the flight has gone. Called with any other context it is a
// newer write itself: fills of key in flight will not write over it, and
// later callers of key do not join them.
//
// The storage command runs under a lock of key's stripe: it must not call
// back into writes of the same rope, which would wait for that lock. A
// Storage wrapper that reports events to a hook the user may write from
// holds them back until the rope has released its locks (a FlushEvents
// method, see eventFlusher); ring's guard does.
func (r *Rope) Store(ctx context.Context, key string, v any) error {
	return r.StoreTTL(ctx, key, v, r.ttl(key, v))
}

// StoreTTL is Store with an explicit time-to-live (0: none), for strategies
// that keep entries of their own, such as a backup copy without expiry.
func (r *Rope) StoreTTL(ctx context.Context, key string, v any, ttl time.Duration) error {
	if r.cfg.Exclude != nil && r.cfg.Exclude(key, v) {
		return nil
	}
	sv, err := r.encodeForStore(v)
	if err != nil {
		return fmt.Errorf("ring: %s: encode %q: %w", r.cfg.Name, key, err)
	}
	return r.commit(ctx, key, func() error {
		if r.cfg.IfNotExists {
			_, err := backends.SetIfAbsent(ctx, r.cfg.Storage, key, sv, ttl)
			return err
		}
		return r.cfg.Storage.Set(ctx, key, sv, ttl)
	})
}

// Remove deletes key; an absent key is not an error. Like Store, it is the
// fill's own effect under a flight's context and a newer write otherwise.
func (r *Rope) Remove(ctx context.Context, key string) error {
	return r.commit(ctx, key, func() error { return r.cfg.Storage.Delete(ctx, key) })
}

// StoreMany writes values under keys in one bulk write where the backend
// has one. It is a newer write of every key (see Store).
func (r *Rope) StoreMany(ctx context.Context, keys []string, values []any) error {
	if len(keys) == 0 {
		return nil
	}
	if r.cfg.Exclude != nil || r.cfg.TTL != nil || r.cfg.IfNotExists {
		// Per-entry policy: write one by one.
		for i, k := range keys {
			if err := r.Store(ctx, k, values[i]); err != nil {
				return err
			}
		}
		return nil
	}
	stored := make([]any, len(values))
	for i, v := range values {
		sv, err := r.encodeForStore(v)
		if err != nil {
			return fmt.Errorf("ring: %s: encode %q: %w", r.cfg.Name, keys[i], err)
		}
		stored[i] = sv
	}
	return r.writeMany(keys, func() error {
		return backends.SetMany(ctx, r.cfg.Storage, keys, stored, r.cfg.Expire)
	})
}

// RemoveMany deletes keys in one bulk command where the backend has one. It
// is a newer write of every key (see Store).
func (r *Rope) RemoveMany(ctx context.Context, keys []string) error {
	if len(keys) == 0 {
		return nil
	}
	return r.writeMany(keys, func() error { return backends.DeleteMany(ctx, r.cfg.Storage, keys) })
}

// Newer writes and fills.
//
// A fill (the write of a flight's result) must never write over a newer
// write of the same key: a Set, Update, Delete or their bulk forms that
// began after the flight started. Two things make this exact in one
// process:
//
//   - A write first forgets the key's run in flight (flight.Group.Forget),
//     which marks it stale and makes later callers start a run of their own.
//   - The fill's check of that mark and its storage command run under the
//     key's stripe lock (write-locked), and a write holds the same lock
//     (read-locked, so that writes do not wait for one another) across its
//     storage command. So the storage receives the fill's command either
//     before the write's, or not at all.

// stripeOf returns the index of key's stripe.
func (r *Rope) stripeOf(key string) int {
	return int(maphash.String(r.seed, key) % numStripes)
}

// eventFlusher is a storage wrapper that holds back the events it reports
// to a hook while the storage command that saw them may run under the
// rope's write locks (ring's guard does, for its circuit breaker's state
// changes): the rope calls FlushEvents after each write, once it has
// released them, so that a hook can use the ring.
type eventFlusher interface{ FlushEvents() }

// flushEvents delivers the events the storage held back, if it does.
func (r *Rope) flushEvents() {
	if r.flusher != nil {
		r.flusher.FlushEvents()
	}
}

// commit runs do, the storage command that writes key: as the fill's own
// effect under a flight's context, as a newer write otherwise.
func (r *Rope) commit(ctx context.Context, key string, do func() error) error {
	defer r.flushEvents() // runs last: after the lock is released
	if run := r.flight.Running(ctx); run != nil {
		return r.fillWrite(ctx, run, do)
	}
	r.flight.Forget(key)
	st := &r.stripes[r.stripeOf(key)]
	st.mu.RLock()
	defer st.mu.RUnlock()
	defer st.writes.Add(1)
	return do()
}

// fillWrite runs do unless run is stale, atomically with respect to newer
// writes of run's key. It counts as a write of the stripe either way, and
// as one of the WriteMark that ctx carries, if any.
func (r *Rope) fillWrite(ctx context.Context, run *flight.Run, do func() error) error {
	i := r.stripeOf(run.Key())
	st := &r.stripes[i]
	st.mu.Lock()
	defer st.mu.Unlock()
	st.writes.Add(1)
	if m, _ := ctx.Value(markKey{}).(*WriteMark); m != nil && m.rope == r {
		m.own[i]++
	}
	if run.Stale() {
		return nil
	}
	return do()
}

// writeMany runs do, a storage command that writes every key of keys, as a
// newer write of each: their runs in flight are forgotten and do runs under
// their stripes' read locks, taken in stripe order so that bulk writes
// cannot deadlock.
func (r *Rope) writeMany(keys []string, do func() error) error {
	defer r.flushEvents() // runs last: after the locks are released
	var set uint64
	for _, k := range keys {
		r.flight.Forget(k)
		set |= 1 << r.stripeOf(k)
	}
	for s := set; s != 0; s &= s - 1 {
		r.stripes[bits.TrailingZeros64(s)].mu.RLock()
	}
	defer func() {
		for s := set; s != 0; s &= s - 1 {
			st := &r.stripes[bits.TrailingZeros64(s)]
			st.writes.Add(1)
			st.mu.RUnlock()
		}
	}()
	return do()
}

// Write runs do, a storage command that writes every key of keys (backend
// keys) made outside the rope's own methods, as a newer write of each: the
// rope's fills of those keys in flight do not write over it, and later
// callers of the keys do not join those flights. The low-level Cache of a
// ring writes through it.
func (r *Rope) Write(keys []string, do func() error) error {
	return r.writeMany(keys, do)
}

// WriteAll runs do, a storage command that may write any key of the rope
// (a Clear), as a newer write of every key.
func (r *Rope) WriteAll(do func() error) error {
	defer r.flushEvents() // runs last: after the locks are released
	r.flight.ForgetAll()
	for i := range r.stripes {
		r.stripes[i].mu.RLock()
	}
	defer func() {
		for i := range r.stripes {
			r.stripes[i].writes.Add(1)
			r.stripes[i].mu.RUnlock()
		}
	}()
	return do()
}

// WriteMark tells whether a write of a key may have finished since the mark
// was made, not counting the fills made under a context that carries the
// mark: a bulk read followed by fills of its misses uses it to re-read a
// missed key inside its flight only when some other write (a concurrent
// Call's fill, say) may have stored it since the bulk read began. It is
// exact for writes that go through the rope and safe for concurrent use.
type WriteMark struct {
	rope   *Rope
	counts [numStripes]uint64
	// own counts the fills made under the mark's context, per stripe;
	// changed and read under the stripe's lock.
	own [numStripes]uint64
}

type markKey struct{}

// MarkWrites returns a WriteMark of the writes finished so far, and ctx
// carrying it: fills (see Flight) started with that context are the
// mark's own and do not count as writes since the mark.
func (r *Rope) MarkWrites(ctx context.Context) (context.Context, *WriteMark) {
	m := &WriteMark{rope: r}
	for i := range r.stripes {
		m.counts[i] = r.stripes[i].writes.Load()
	}
	return context.WithValue(ctx, markKey{}, m), m
}

// WrittenSince reports whether a write that may concern key (one of key's
// stripe) finished since the mark was made, fills under the mark's context
// aside. False means that no write of key through the rope finished since.
func (m *WriteMark) WrittenSince(key string) bool {
	i := m.rope.stripeOf(key)
	st := &m.rope.stripes[i]
	st.mu.RLock()
	defer st.mu.RUnlock()
	return st.writes.Load()-m.counts[i] > m.own[i]
}

// Flight runs fn once per key across concurrent callers. fn receives the
// run's context: it keeps the values of the first caller's ctx, is not
// ended by any one caller's cancellation, and is cancelled when every
// caller has stopped waiting. Each caller returns as soon as its own ctx
// ends (with its error); the others still receive the result.
//
// Writes made with the run's context (Store, StoreTTL, Remove and the Op
// methods that call them) are the fill's: they do not happen once a newer
// write of key was made (see Store), nor once every caller has gone. A
// caller that arrives after such a newer write does not join the run.
func (r *Rope) Flight(ctx context.Context, key string, fn func(ctx context.Context) (any, error)) (any, error) {
	v, err, _ := r.flight.Do(ctx, key, fn)
	return v, err
}

// ErrNoExpiry is wrapped by the error of Touch and TouchMany on a ring with
// no expiry (Expire unset or 0): touching resets an entry's time-to-live to
// the ring's, and with none the entry would silently become persistent,
// dropping a time-to-live that was set some other way.
var ErrNoExpiry = errors.New("the ring has no expiry (Expire): Touch would make the entry persistent")

// Touch resets key's time-to-live to the ring's Expire. On a ring without
// one it returns an error wrapping ErrNoExpiry and leaves the entry alone.
func (r *Rope) Touch(ctx context.Context, key string) error {
	if r.cfg.Expire <= 0 {
		return r.noExpiry()
	}
	defer r.flushEvents() // no lock held: deliver what the storage held back
	return backends.Touch(ctx, r.cfg.Storage, key, r.cfg.Expire)
}

// TouchMany is Touch for many keys, in one round trip where the backend can.
func (r *Rope) TouchMany(ctx context.Context, keys []string) error {
	if r.cfg.Expire <= 0 {
		return r.noExpiry()
	}
	defer r.flushEvents() // no lock held: deliver what the storage held back
	return backends.TouchMany(ctx, r.cfg.Storage, keys, r.cfg.Expire)
}

func (r *Rope) noExpiry() error {
	return fmt.Errorf("ring: %s: touch: %w; set Expire, or give an entry a time-to-live through Cache().ExpireIn", r.cfg.Name, ErrNoExpiry)
}

// Op is one sub-function invocation handed to a Strategy: the key, the
// wrapped function with its arguments bound, and the rope.
type Op struct {
	rope *Rope
	key  string
	exec func(ctx context.Context) (any, error)
}

// NewOp binds a key and the wrapped function with its arguments.
func NewOp(r *Rope, key string, exec func(ctx context.Context) (any, error)) Op {
	return Op{rope: r, key: key, exec: exec}
}

// Key returns the backend key.
func (o Op) Key() string { return o.key }

// Rope returns the rope.
func (o Op) Rope() *Rope { return o.rope }

// Execute runs the wrapped function without touching the cache. Inside a
// flight it receives the run's context, except that the function's own
// writes to a ring (through the ring's Set, say) are ordinary writes, not
// the fill's.
func (o Op) Execute(ctx context.Context) (any, error) { return o.exec(outside(ctx)) }

// outside returns ctx without the run of a flight nor a WriteMark: the
// context for the wrapped function, whose own writes and fills are not the
// flight's.
func outside(ctx context.Context) context.Context {
	ctx = flight.Outside(ctx)
	if m, _ := ctx.Value(markKey{}).(*WriteMark); m != nil {
		ctx = context.WithValue(ctx, markKey{}, (*WriteMark)(nil))
	}
	return ctx
}

// Load reads key (any key: a strategy may keep entries of its own, such as a
// backup copy) the way the default strategy does.
func (o Op) Load(ctx context.Context, key string) (any, bool, error) { return o.rope.Hit(ctx, key) }

// Store writes v under key with the rope's expiry and coder. With the
// context of this Op's flight it is the fill's write, skipped once a newer
// write of the key was made; otherwise it is a newer write (Rope.Store).
func (o Op) Store(ctx context.Context, key string, v any) error { return o.rope.Store(ctx, key, v) }

// StoreTTL writes v under key with the time-to-live ttl (0: none), with the
// rope's coder, Exclude and IfNotExists, as Store does.
func (o Op) StoreTTL(ctx context.Context, key string, v any, ttl time.Duration) error {
	return o.rope.StoreTTL(ctx, key, v, ttl)
}

// Delete removes key (any key: a strategy may keep entries of its own). It
// is a newer write of key, or the fill's own effect under the context of a
// flight (Rope.Remove).
func (o Op) Delete(ctx context.Context, key string) error {
	return o.rope.Remove(ctx, key)
}

// Report sends a failure the strategy absorbed to the OnError hook.
func (o Op) Report(op string, err error) { o.rope.Report(op, o.key, err) }

// Flight runs fn once for all concurrent callers of this key (Rope.Flight):
// fn receives the run's context, which no single caller's cancellation
// ends, and must use it for its reads, its Execute and its writes, so that
// its writes never undo a newer write of the key.
func (o Op) Flight(ctx context.Context, fn func(ctx context.Context) (any, error)) (any, error) {
	return o.rope.Flight(ctx, o.key, fn)
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
	return op.Load(ctx, op.key)
}

// GetOrUpdate reads the cache and, on a miss, runs the function once per key
// across concurrent callers and writes its result.
func (Default) GetOrUpdate(ctx context.Context, op Op) (any, error) {
	v, ok, err := op.Load(ctx, op.key)
	if err != nil {
		op.Report("get", err)
	} else if ok {
		return v, nil
	}
	return Fill(ctx, op, err == nil)
}

// Fill is the miss path of GetOrUpdate: inside the key's single flight, on
// the run's context, it reads the cache once more when recheck is set
// (another caller may have filled the entry between the first read and the
// start of the flight), runs the function, and writes its result unless a
// newer write of the key (Set, Update, Delete, ...) was made since the
// flight started: the callers still receive the result. A failed write is
// reported, not returned (fail-open); a function error is returned and
// nothing is written.
func Fill(ctx context.Context, op Op, recheck bool) (any, error) {
	return op.Flight(ctx, func(ctx context.Context) (any, error) {
		if recheck {
			if v, ok, err := op.Load(ctx, op.key); err == nil && ok {
				return v, nil
			}
		}
		v, err := op.Execute(ctx)
		if err != nil {
			return v, err
		}
		if err := op.Store(ctx, op.key, v); err != nil {
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
	return v, op.Store(ctx, op.key, v)
}

// Set writes value, a newer write of the key.
func (Default) Set(ctx context.Context, op Op, value any) error {
	return op.Store(ctx, op.key, value)
}

// Delete removes the entry, a newer write of the key; an absent entry is
// not an error.
func (Default) Delete(ctx context.Context, op Op) error {
	return op.Delete(ctx, op.key)
}

// Has reports whether the entry is present (and not expired).
func (Default) Has(ctx context.Context, op Op) (bool, error) {
	return backends.Has(ctx, op.rope.cfg.Storage, op.key)
}

// Touch resets the entry's expiry to the ring's. On a ring without an
// expiry it returns an error wrapping ErrNoExpiry and leaves the entry as
// it is, on every backend.
func (Default) Touch(ctx context.Context, op Op) error {
	return op.rope.Touch(ctx, op.key)
}

// Execute runs the function.
func (Default) Execute(ctx context.Context, op Op) (any, error) {
	return op.Execute(ctx)
}
