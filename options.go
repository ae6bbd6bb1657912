package ring

import (
	"context"
	"errors"
	"fmt"
	"hash"
	"reflect"
	"strings"
	"time"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/coders"
	"github.com/ringcache/ring/observe"
	"github.com/ringcache/ring/strategy"
)

// defaultLRUSize is the size of the LRU backend a ring gets when no storage
// option is given (the embedded default).
const defaultLRUSize = backends.DefaultMemorySize

// Option configures a ring. Options are values with a String method, so
// they can be printed and compared; later options override earlier ones.
type Option interface {
	apply(*config)
	String() string
}

// config is what the options fill in.
type config struct {
	newStorage  func() (backends.Storage, error)
	storageName string
	concurrent  int // Concurrent's size (memstore.go)
	coder       coders.Coder
	expire      time.Duration
	prefix      *string
	ignore      []int
	keyFunc     func(args ...any) string
	onError     func(Event)
	strategy    strategy.Strategy
	ttl         func(key string, value any) time.Duration
	jitter      float64
	exclude     func(key string, value any) bool
	ifNotExists bool
	hashKeys    func() hash.Hash
	pythonKeys  bool // PythonKeys: pykeys.go
	choose      func(ctx context.Context, key string, args []any) backends.Storage
	// storageTimeout and breaker are set by StorageTimeout and
	// CircuitBreaker (nil: the default, see guard.go).
	storageTimeout *time.Duration
	breaker        *breakerPolicy
	bulk           int
	ahead          *aheadPolicy    // RefreshAhead (refresh.go)
	fresh          freshConfig     // StaleWhileRevalidate, StaleIfError, XFetch (fresh.go)
	negative       *negativeOption // NegativeCache (negative.go)
	errs           []error

	lease time.Duration // Lease (lease.go)

	// window is set by BatchWindow (batch_window.go).
	window *windowPolicy

	observers []observe.Observer // Observe (observe.go)
	stats     bool               // WithStats (observe.go)
	near      *nearPolicy        // Near (near.go)
}

func (c *config) fail(err error) { c.errs = append(c.errs, err) }

type option struct {
	name string
	fn   func(*config)
}

func (o option) apply(c *config) { o.fn(c) }
func (o option) String() string  { return o.name }

func newOption(name string, fn func(*config)) Option { return option{name: name, fn: fn} }

// LRU stores entries in an in-process least-recently-used cache of at most
// size entries (golang-lru/v2), with per-entry expiry. Values are kept as Go
// values, not encoded. Each ring built with this option gets its own LRU,
// also when the option comes from a Preset shared by many rings. It is the
// embedded default, with 1024 entries.
func LRU(size int) Option {
	return newOption(fmt.Sprintf("LRU(%d)", size), func(c *config) {
		c.storageName = "lru"
		c.newStorage = func() (backends.Storage, error) { return backends.NewLRU(size) }
	})
}

// Dict stores entries in an unbounded in-process map with per-entry expiry.
// Each ring built with this option gets its own map.
func Dict() Option {
	return newOption("Dict()", func(c *config) {
		c.storageName = "dict"
		c.newStorage = func() (backends.Storage, error) { return backends.NewDict(), nil }
	})
}

// Dummy stores nothing: every read is a miss, so every Call runs the
// function. Use it to turn caching off by configuration.
func Dummy() Option {
	return newOption("Dummy()", func(c *config) {
		c.storageName = "dummy"
		c.newStorage = func() (backends.Storage, error) { return backends.NewDummy(), nil }
	})
}

// Storage uses s, which may be shared by many rings: keys start with each
// ring's prefix, and a ring whose default prefix cannot tell it apart from
// other rings (a generic function, a function literal) refuses to be built
// on s without a KeyPrefix.
//
// A storage that talks to a server (backends.Remote: the stores of
// backends/redisstore and backends/memcachestore, or a RemoteStorage of
// your own) is wrapped once here with backends.Cancelable, so that a call
// returns as soon as its context ends (go-redis alone stops at a deadline,
// not at a cancel; gomemcache takes no context), and every ring built with
// this option value (a Preset holding it too) shares the wrapper's circuit
// breaker. A storage already wrapped, as storeurl.Open returns them, is
// used as it is.
func Storage(s backends.Storage) Option {
	name := "<nil>"
	if s != nil {
		name = s.Name()
		if backends.BreakerOf(s) == nil && backends.Remote(s) {
			s = backends.Cancelable(s)
		}
	}
	return newOption(fmt.Sprintf("Storage(%s)", name), func(c *config) {
		c.storageName = "Storage(" + name + ")" // shared: not a private "lru" (see privateStorage)
		c.newStorage = func() (backends.Storage, error) {
			if s == nil {
				return nil, errors.New("ring: Storage(nil)")
			}
			return s, nil
		}
	})
}

// Coder chooses the coder by its registered name ("json", "gob", "bytes",
// "string", "msgpack" once coders/msgpackcoder is imported, or one added
// with coders.Register), by a chain of a coder and compression layers
// ("json+zstd", with coders/compression imported for zstd, s2 and gzip), or
// by a coder URL with parameters ("msgpack+s2://", "json+zstd://?level=3";
// see coders.Open). Backends that store bytes need one; for in-process
// backends a coder makes the ring store encoded copies instead of the values
// themselves. An unknown name, a name whose package is not imported, or a
// bad parameter is an error when the ring is built.
func Coder(name string) Option {
	shown := name
	if strings.Contains(name, ":") {
		shown = backends.RedactURL(name) // a backend URL given by mistake may hold a password
	}
	return newOption(fmt.Sprintf("Coder(%q)", shown), func(c *config) {
		var cd coders.Coder
		var err error
		switch {
		case strings.Contains(name, "://"):
			cd, err = coders.Open(name)
		case strings.Contains(name, "+"):
			cd, err = coders.Open(name + "://")
		default:
			cd, err = coders.Lookup(name)
		}
		if err != nil {
			c.fail(err)
			return
		}
		c.coder = cd
	})
}

// WithCoder uses the coder c.
func WithCoder(cd coders.Coder) Option {
	return newOption("WithCoder(...)", func(c *config) {
		if cd == nil {
			c.fail(errors.New("ring: WithCoder(nil)"))
			return
		}
		c.coder = cd
	})
}

// CoderFuncs overrides encoding and decoding for one ring (Python Ring's
// @f.ring.encode and @f.ring.decode).
func CoderFuncs(encode func(v any) ([]byte, error), decode func(data []byte, target any) error) Option {
	return newOption("CoderFuncs(...)", func(c *config) {
		if encode == nil || decode == nil {
			c.fail(errors.New("ring: CoderFuncs: encode and decode must both be set"))
			return
		}
		c.coder = coders.Funcs{CoderName: "funcs", EncodeFn: encode, DecodeFn: decode}
	})
}

// Expire sets the time-to-live of the entries the ring writes; 0 (the
// default) means no expiry.
func Expire(d time.Duration) Option {
	return newOption(fmt.Sprintf("Expire(%v)", d), func(c *config) {
		if d < 0 {
			c.fail(fmt.Errorf("ring: Expire(%v): negative expiry", d))
			return
		}
		c.expire = d
	})
}

// TTLFunc computes the time-to-live of each entry from its key and value,
// overriding Expire for writes (a result of 0 or less means no expiry).
// Touch still uses Expire.
func TTLFunc(fn func(key string, value any) time.Duration) Option {
	return newOption("TTLFunc(...)", func(c *config) { c.ttl = fn })
}

// ExpireJitter spreads the expiry of the entries the ring writes: each
// written entry's time-to-live is the one Expire or TTLFunc gives it,
// times a random factor in (1-fraction, 1], drawn anew for every entry.
// Entries written together (a deploy, a warm-up, a bulk form) then expire
// over a window instead of all at once, so their refills do not stampede
// the function or its data source. The factor only shortens: an entry
// never outlives the time-to-live the ring asked for, so Expire stays the
// bound on how stale a value can be. An entry without expiry stays
// without one.
//
// fraction must be above 0 and below 1 (0.1 spreads the expiry over the
// last tenth of the time-to-live); anything else is an error when the ring
// is built. Every write of the ring draws its factor: Call's fill, Update,
// Set, the bulk forms, a strategy's Op.Store. A bulk form still writes in
// one round trip on the backends that have a bulk write with a
// time-to-live per entry (backends.BulkTTLSetter: every backend of this
// module). Writes that name their own time-to-live are left as they are:
// Touch (which resets to Expire), a strategy's Op.StoreTTL and the Cache
// view's Set and SetMany. The random source is math/rand/v2's, safe for
// concurrent use without a lock.
func ExpireJitter(fraction float64) Option {
	return newOption(fmt.Sprintf("ExpireJitter(%v)", fraction), func(c *config) {
		if !(fraction > 0 && fraction < 1) {
			c.fail(fmt.Errorf("ring: ExpireJitter(%v): the fraction must be above 0 and below 1", fraction))
			return
		}
		c.jitter = fraction
	})
}

// Exclude keeps a result out of the cache when fn returns true for its key
// and value (cachetory's exclude); the result is still returned.
func Exclude(fn func(key string, value any) bool) Option {
	return newOption("Exclude(...)", func(c *config) { c.exclude = fn })
}

// IfNotExists makes the ring's writes keep an entry that is already there
// (set-if-absent) instead of overwriting it.
func IfNotExists() Option {
	return newOption("IfNotExists()", func(c *config) { c.ifNotExists = true })
}

// HashKeys makes keys fixed-length: the part after the prefix becomes the
// hex digest, by the hash newHash makes, of what it would have been, for
// long arguments or backends with short key limits. With
// HashKeys(sha256.New) a key is "prefix:" and 64 hex digits. Keys stop
// being readable; they stay distinct as long as the hash has no collision:
// use a cryptographic hash (crypto/sha256). The hash is a parameter so
// that a program pays for a hash package only when it uses one. A nil
// newHash is an error when the ring is built.
func HashKeys(newHash func() hash.Hash) Option {
	return newOption("HashKeys(func)", func(c *config) {
		if newHash == nil {
			c.fail(errors.New("ring: HashKeys(nil): give a hash constructor, such as sha256.New"))
			return
		}
		c.hashKeys = newHash
	})
}

// Choose picks the storage for each call from its key and arguments (the
// receiver first for methods); a nil result bypasses the cache: Call runs
// the function, Get misses, writes do nothing. Chosen storages share the
// ring's coder, expiry and strategy. Bulk forms then go item by item.
func Choose(fn func(ctx context.Context, key string, args []any) backends.Storage) Option {
	return newOption("Choose(...)", func(c *config) { c.choose = fn })
}

// KeyPrefix replaces the default key prefix (the definition's fully
// qualified name). An empty prefix is allowed: keys then start with ':'.
func KeyPrefix(prefix string) Option {
	return newOption(fmt.Sprintf("KeyPrefix(%q)", prefix), func(c *config) { c.prefix = &prefix })
}

// Ignore leaves the parameters at the given 1-based positions out of the
// key (positions count every parameter of the wrapped function, receiver
// and context included; the context is never part of the key anyway).
func Ignore(positions ...int) Option {
	return newOption(fmt.Sprintf("Ignore(%v)", positions), func(c *config) {
		c.ignore = append(c.ignore[:0:0], positions...)
	})
}

// KeyFunc replaces key building: the key is the prefix, ':' and fn's
// result. fn receives the key arguments (the receiver first for methods,
// never the context). Its result is used as it is, not escaped: making it
// unique per argument tuple is fn's job.
func KeyFunc(fn func(args ...any) string) Option {
	return newOption("KeyFunc(...)", func(c *config) { c.keyFunc = fn })
}

// OnError receives the failures a Call absorbs (the cache is down: the
// function's result is returned anyway), stored values that no longer
// decode (they are misses), the state changes of the storage's circuit
// breaker (see StorageTimeout and docs/reliability.md) and the failed
// background refreshes of RefreshAhead (Op "refresh"). fn must be safe for
// concurrent use. It runs on the goroutine of the operation that saw the
// event, never while the ring holds the locks that order its writes (the
// breaker's events seen during a write are delivered once the write has
// released them), so fn may call the ring itself, its writes included.
func OnError(fn func(Event)) Option {
	return newOption("OnError(...)", func(c *config) { c.onError = fn })
}

// WithStrategy replaces the semantics of the sub-functions (Python Ring's
// user_interface). Embed strategy.Default and override what should change.
func WithStrategy(s strategy.Strategy) Option {
	name := "<nil>"
	if s != nil {
		name = reflect.TypeOf(s).String()
	}
	return newOption(fmt.Sprintf("WithStrategy(%s)", name), func(c *config) { c.strategy = s })
}

// Preset bundles options into one, the analog of functools.partial over a
// Ring factory: a project defines its cache policy once and passes the
// preset to every ring. Options after the preset override it.
func Preset(opts ...Option) Option {
	names := make([]string, 0, len(opts))
	for _, o := range opts {
		if o != nil {
			names = append(names, o.String())
		}
	}
	return newOption("Preset("+strings.Join(names, ", ")+")", func(c *config) {
		for _, o := range opts {
			if o != nil {
				o.apply(c)
			}
		}
	})
}

// build applies opts over the defaults.
func build(opts []Option) (*config, error) {
	c := &config{}
	LRU(defaultLRUSize).apply(c)
	for _, o := range opts {
		if o == nil {
			c.fail(errors.New("ring: nil option"))
			continue
		}
		o.apply(c)
	}
	if len(c.errs) > 0 {
		return nil, errors.Join(c.errs...)
	}
	return c, nil
}

// defaultBulkConcurrency is how many functions the bulk forms
// [Bulk.GetOrUpdate] and [Bulk.Update] run at once when BulkConcurrency is
// not given.
const defaultBulkConcurrency = 8

// BulkConcurrency bounds how many functions one Many().GetOrUpdate or
// Many().Update call runs at once (default 8; 1 runs them
// one after another). Each miss of Many().GetOrUpdate runs inside its key's
// single flight, as Call does. The goroutines belong to the call: it
// returns when all of them have finished, and a panic in one of the
// functions is raised again on the calling goroutine.
func BulkConcurrency(n int) Option {
	return newOption(fmt.Sprintf("BulkConcurrency(%d)", n), func(c *config) {
		if n < 1 {
			c.fail(fmt.Errorf("ring: BulkConcurrency(%d): the bound must be at least 1", n))
			return
		}
		c.bulk = n
	})
}

// defaultStorageTimeout bounds each operation of a ring on a remote storage
// when no StorageTimeout option is given: long enough for a round trip to a
// healthy cache on the same network, short enough that a Call against a
// frozen or unreachable cache loses at most two of them (read, then write)
// before it returns the function's result.
const defaultStorageTimeout = 100 * time.Millisecond

// defaultBreakerFailures is how many consecutive failures of a remote
// storage open its circuit breaker when no CircuitBreaker option is given.
const defaultBreakerFailures = 5

// defaultBreakerCoolDown is how long an open circuit breaker skips its
// storage before it lets a probe through, when no CircuitBreaker option is
// given.
const defaultBreakerCoolDown = 500 * time.Millisecond

// StorageTimeout bounds every storage operation of the ring: each read and
// write of Call and of the explicit sub-functions (Get, Set, Delete, Has,
// Touch, Update's write, the Cache view), each bulk operation (d for every
// 100 keys or part of them), but not Clear, which scans and is bounded by
// its context alone. The bound is separate from the function's context:
// the function is never cut short by it. The caller's context still ends
// an operation sooner when its deadline comes first.
//
// An operation that hits the bound fails with an error wrapping
// ErrStorageTimeout and context.DeadlineExceeded; Call reports it to
// OnError and returns the function's result (fail-open), the explicit
// sub-functions return it.
//
// The default is 100ms on remote storages: those
// of Redis, RedisHash, Memcache, Open with a remote scheme, and any storage
// wrapped with backends.Cancelable. In-process storages (LRU, Dict, Dummy)
// and Disk get no timeout unless this option asks for one. d = 0 turns the
// timeout off; a negative d is an error when the ring is built.
func StorageTimeout(d time.Duration) Option {
	return newOption(fmt.Sprintf("StorageTimeout(%v)", d), func(c *config) {
		if d < 0 {
			c.fail(fmt.Errorf("ring: StorageTimeout(%v): negative timeout", d))
			return
		}
		c.storageTimeout = &d
	})
}

// breakerPolicy is what CircuitBreaker sets.
type breakerPolicy struct {
	failures int
	coolDown time.Duration
}

func (p breakerPolicy) String() string {
	return fmt.Sprintf("CircuitBreaker(%d, %v)", p.failures, p.coolDown)
}

// CircuitBreaker tunes the circuit breaker of the ring's storage: after
// failures consecutive failures (timeouts, refused or broken connections;
// not misses, not values that do not decode, not errors the server answers
// with), the storage is skipped for coolDown, then one operation probes it;
// the probe's success closes the breaker, its failure opens it for another
// coolDown.
//
// While the breaker is open, Call runs the function and returns its result
// without waiting on the storage, and the explicit sub-functions fail at
// once with an error wrapping ErrStorageUnavailable. The changes are
// reported to OnError as events with Op OpBreakerOpen and OpBreakerClosed.
//
// The breaker belongs to the storage, not to the ring: rings built on the
// same storage value (one Redis, Memcache or Open option value, a Preset
// holding it, or one backends.Storage passed with Storage) share it, so one
// ring's failures spare the others the wait. They must then agree on its
// policy: building a ring whose CircuitBreaker differs from the policy of
// the storage's breaker fails, naming both.
//
// The default on remote storages (see StorageTimeout) is
// CircuitBreaker(5, 500*time.Millisecond), that is
// 5 failures and 500ms. CircuitBreaker(0, 0) turns the breaker off for the
// ring (its calls neither consult nor feed it). failures must be 0 or
// more, and coolDown positive when failures is not 0.
func CircuitBreaker(failures int, coolDown time.Duration) Option {
	p := breakerPolicy{failures: failures, coolDown: coolDown}
	return newOption(p.String(), func(c *config) {
		if failures < 0 || (failures > 0 && coolDown <= 0) {
			c.fail(fmt.Errorf("ring: %s: want 0 failures (off), or 1 or more with a positive cool-down", p))
			return
		}
		c.breaker = &p
	})
}
