package ring

import (
	"fmt"
	"time"
)

// DefaultStorageTimeout bounds each operation of a ring on a remote storage
// when no StorageTimeout option is given: long enough for a round trip to a
// healthy cache on the same network, short enough that a Call against a
// frozen or unreachable cache loses at most two of them (read, then write)
// before it returns the function's result.
const DefaultStorageTimeout = 100 * time.Millisecond

// DefaultBreakerFailures is how many consecutive failures of a remote
// storage open its circuit breaker when no CircuitBreaker option is given.
const DefaultBreakerFailures = 5

// DefaultBreakerCoolDown is how long an open circuit breaker skips its
// storage before it lets a probe through, when no CircuitBreaker option is
// given.
const DefaultBreakerCoolDown = 500 * time.Millisecond

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
// The default is DefaultStorageTimeout (100ms) on remote storages: those
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
// CircuitBreaker(DefaultBreakerFailures, DefaultBreakerCoolDown), that is
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
