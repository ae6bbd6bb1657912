package ring

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime/debug"
	"sync/atomic"
	"time"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/flight"
	"github.com/ringcache/ring/internal/rope"
)

// StaleWhileRevalidate makes Call serve an entry past its expiry, up to
// maxStale past it, at once, and refresh it in the background as
// RefreshAhead does (once per key, in the key's single flight, on a
// context with the caller's values and a deadline timeout from its start;
// a failure keeps the old value and is reported to OnError with Op
// "refresh"). An entry more than maxStale past its expiry is never served
// by it: Call waits for the function, as on a miss.
//
// There is no envelope: the ring writes its entries with a time-to-live of
// Expire plus a grace, the largest staleness any of its policies may serve
// (maxStale here, StaleIfError's maxAge), and reads an entry's time left
// with its value (backends.GetWithTTL). An entry with grace or less left is
// past its expiry; its staleness is grace less its time left. ExpireJitter
// shortens the Expire part only. Touch resets an entry to Expire plus the
// grace.
//
// Get, Has and Many().Get report what Call would serve without running the
// function: a fresh entry or one within maxStale is found, a staler one (kept
// only for StaleIfError) is a miss. Many().GetOrUpdate serves entries within
// maxStale as they are, without starting a refresh. The ring's Cache view
// sees entries as stored, stale ones included.
//
// It composes with RefreshAhead, StaleIfError and XFetch, and has the same
// needs as RefreshAhead (Expire, not TTLFunc; a backends.TTLGetter storage;
// no custom strategy); maxStale and timeout must be positive. When several
// policies give a refresh timeout, refreshes get the longest.
func StaleWhileRevalidate(maxStale, timeout time.Duration) Option {
	name := fmt.Sprintf("StaleWhileRevalidate(%v, %v)", maxStale, timeout)
	return newOption(name, func(c *config) {
		if maxStale <= 0 || timeout <= 0 {
			c.fail(fmt.Errorf("ring: %s: the maximum staleness and the timeout must be positive", name))
			return
		}
		c.fresh.swr = &swrPolicy{maxStale: maxStale, timeout: timeout}
	})
}

// StaleIfError makes Call answer with the last good value when the function
// fails: if the function returns an error, panics, or the caller's context
// ends before it returns, and the key's entry is at most maxAge past its
// expiry, Call returns that value with a nil error and the function's error
// goes to OnError as an Event with Op "stale-if-error" ("refresh" when the
// failed run was a background refresh). It is decided inside the key's
// single flight, so every caller that joined the run gets the stale value.
// An entry more than maxAge past its expiry is not served: the error is
// returned as without the option.
//
// An error that errors.Is ErrNotFound is never masked: the source says the
// entry no longer exists, and Call returns that error. (A function that
// keeps its own timeouts reports them as errors: they are masked.)
//
// The entry is kept past its expiry for the ring's grace (see
// StaleWhileRevalidate, which shares it), so a Call that finds it stale
// waits for the function as on a miss unless StaleWhileRevalidate serves
// it; Get and Has report such an entry as a miss. It has the same needs
// as RefreshAhead; maxAge must be positive.
func StaleIfError(maxAge time.Duration) Option {
	name := fmt.Sprintf("StaleIfError(%v)", maxAge)
	return newOption(name, func(c *config) {
		if maxAge <= 0 {
			c.fail(fmt.Errorf("ring: %s: the maximum age must be positive", name))
			return
		}
		c.fresh.maxAge = maxAge
	})
}

// XFetch makes Call refresh entries early with probabilistic early
// recomputation (Vattani, Chierichetti and Lowenstein, "Optimal
// Probabilistic Cache Stampede Prevention"): a hit of an entry with left
// until its expiry is served at once and refreshed in the background, as
// RefreshAhead does, when
//
//	left <= delta * beta * -ln(U)
//
// with U uniform in (0, 1], drawn on each hit, and delta the ring's moving
// average of the function's own execution time (the fills' and refreshes'
// runs, measured with atomics). An entry near its expiry is thus refreshed
// by one of its first hits; processes that share a store spread their
// refreshes without coordinating. beta above 1 refreshes earlier, below 1
// later; 1 is the paper's choice. Until the function has run once in the
// process, delta is unknown and no entry is refreshed early.
//
// It composes with RefreshAhead (an entry is due when either says so),
// StaleWhileRevalidate and StaleIfError, and has the same needs as
// RefreshAhead; beta and timeout must be positive.
func XFetch(beta float64, timeout time.Duration) Option {
	name := fmt.Sprintf("XFetch(%v, %v)", beta, timeout)
	return newOption(name, func(c *config) {
		if !(beta > 0 && beta < math.Inf(1)) || timeout <= 0 {
			c.fail(fmt.Errorf("ring: %s: beta and the timeout must be positive", name))
			return
		}
		c.fresh.xfetch = &xfetchPolicy{beta: beta, timeout: timeout}
	})
}

// freshConfig is what StaleWhileRevalidate, StaleIfError and XFetch set.
type freshConfig struct {
	swr    *swrPolicy
	maxAge time.Duration
	xfetch *xfetchPolicy
}

type swrPolicy struct{ maxStale, timeout time.Duration }

type xfetchPolicy struct {
	beta    float64
	timeout time.Duration
}

// names lists the options set, for errors.
func (f freshConfig) names() []string {
	var out []string
	if f.swr != nil {
		out = append(out, fmt.Sprintf("StaleWhileRevalidate(%v, %v)", f.swr.maxStale, f.swr.timeout))
	}
	if f.maxAge > 0 {
		out = append(out, fmt.Sprintf("StaleIfError(%v)", f.maxAge))
	}
	if f.xfetch != nil {
		out = append(out, fmt.Sprintf("XFetch(%v, %v)", f.xfetch.beta, f.xfetch.timeout))
	}
	return out
}

// apply sets the policies on a.
func (f freshConfig) apply(a *refresher) {
	if f.swr != nil {
		a.swr, a.maxStale = true, f.swr.maxStale
		a.timeout = max(a.timeout, f.swr.timeout)
	}
	a.maxAge = f.maxAge
	a.grace = max(a.maxStale, a.maxAge)
	if f.xfetch != nil {
		a.xf = &xfetcher{beta: f.xfetch.beta, u: rand.Float64}
		a.timeout = max(a.timeout, f.xfetch.timeout)
	}
}

// notDue reports whether an entry read again inside a refresh's flight,
// with ttl left, needs no refresh: it has no expiry, was written again
// since it was found due with seen left, or is fresh for every policy but
// XFetch, whose draw found it due.
func (a *refresher) notDue(ttl, seen time.Duration) bool {
	switch {
	case ttl == backends.TTLUnknown:
		return false
	case ttl == 0 || ttl > seen:
		return true
	case ttl <= a.grace || ttl <= a.fresh:
		return false
	}
	return a.xf == nil
}

// servable reports whether an entry with ttl left is one Call serves
// without running the function: not past its expiry, or within
// StaleWhileRevalidate's maxStale. A store that cannot tell
// (backends.TTLUnknown) serves it.
func (a *refresher) servable(ttl time.Duration) bool {
	if ttl <= 0 || ttl > a.grace {
		return true
	}
	return a.swr && a.grace-ttl <= a.maxStale
}

// xfetcher is XFetch's state: beta, and delta, the moving average of the
// function's execution time.
type xfetcher struct {
	beta  float64
	delta atomic.Int64 // nanoseconds; 0 until the first run
	// u is uniform in [0, 1): rand.Float64, or a test's source.
	u func() float64
}

// maxDraw bounds -ln(U) for U = 1 - u(), u a float64 in [0, 1): U is at
// least 2^-53.
const maxDraw = 53 * math.Ln2

// due reports whether an entry left before its expiry is due (false on a
// nil xfetcher). The draw is skipped while no U could make it due.
func (x *xfetcher) due(left time.Duration) bool {
	if x == nil {
		return false
	}
	d := x.delta.Load()
	if d <= 0 {
		return false
	}
	gap := float64(d) * x.beta
	if float64(left) > gap*maxDraw {
		return false
	}
	return float64(left) <= gap*-math.Log(1-x.u())
}

// observe adds one execution time to delta: an exponential moving average
// with weight 1/8. Concurrent observers may lose a sample; none blocks.
func (x *xfetcher) observe(d time.Duration) {
	if d <= 0 {
		d = 1
	}
	old := x.delta.Load()
	if old == 0 {
		x.delta.Store(int64(d))
		return
	}
	x.delta.Store(old + (int64(d)-old)/8)
}

// fillRun runs the function for a fill or a refresh (fillExec, observe.go,
// reports it as a load): timed for XFetch,
// and with StaleIfError a panic comes back as a *flight.PanicError, so
// that a stale value can answer it (staleIfError panics again with it when
// none can).
func (c *core[K, R]) fillRun(ctx context.Context, st *Cache[R], k K) (r R, err error) {
	a := st.ahead
	if a == nil {
		return c.exec(rope.Outside(ctx), k)
	}
	if a.maxAge > 0 {
		defer func() {
			if p := recover(); p != nil {
				pe, ok := p.(*flight.PanicError)
				if !ok {
					pe = &flight.PanicError{Value: p, Stack: debug.Stack()}
				}
				err = pe
			}
		}()
	}
	if a.xf == nil {
		return c.exec(rope.Outside(ctx), k)
	}
	start := time.Now()
	r, err = c.exec(rope.Outside(ctx), k)
	a.xf.observe(time.Since(start))
	return r, err
}

// staleIfError is the outcome of a fill or refresh of key whose function
// failed with err (v is what it returned): with StaleIfError, the entry
// read again if it is at most maxAge past its expiry, with a nil error,
// the error reported with op; otherwise v and err. A panic comes back as
// one. An error that is ErrNotFound is never masked, nor is the error of
// a run that every caller left.
func (c *Cache[V]) staleIfError(ctx context.Context, key string, v any, err error, op string) (any, error) {
	a := c.ahead
	if a == nil || a.maxAge <= 0 {
		return v, err
	}
	// A run every caller left (its context cancelled) answers no one.
	_, listed := c.negative(err) // a "not found" NegativeCache lists is an outcome, not a failure
	if !listed && !errors.Is(err, ErrNotFound) && !errors.Is(ctx.Err(), context.Canceled) {
		sv, ttl, ok, gerr := backends.GetWithTTL(ctx, c.store, key)
		if gerr == nil && ok && ttl != backends.TTLUnknown && (ttl == 0 || ttl > a.grace || a.grace-ttl <= a.maxAge) {
			if r, ok := c.fromStored(key, sv); ok {
				c.report(op, key, err)
				return any(r), nil
			}
		}
	}
	var pe *flight.PanicError
	if errors.As(err, &pe) && err == error(pe) {
		panic(pe)
	}
	return v, err
}

// fillStale is the miss path of a stale entry the ring does not serve as
// it is (staleness past its expiry; r its value): a fill, which
// StaleIfError answers with the stale value inside the flight when the
// function fails; and, when the caller's context ends before the fill
// returns, the stale value too if it is within maxAge.
func (c *core[K, R]) fillStale(ctx context.Context, st *Cache[R], key string, k K, r R, staleness time.Duration) (R, error) {
	got, err := c.fill(ctx, st, key, k, true, nil)
	if err != nil && ctx.Err() != nil && errors.Is(err, ctx.Err()) {
		if a := st.ahead; a.maxAge > 0 && staleness <= a.maxAge {
			st.report("stale-if-error", key, fmt.Errorf("ring: no result before the caller's context ended: %w", err))
			return r, nil
		}
	}
	return got, err
}

// loadLive is load for Get and a fill's second read: with a grace, an
// entry Call would not serve (past its expiry beyond StaleWhileRevalidate's
// maxStale) is a miss.
func (c *Cache[V]) loadLive(ctx context.Context, key string) (value V, found bool, err error) {
	a := c.ahead
	if a == nil || a.grace == 0 {
		return c.load(ctx, key)
	}
	v, ttl, ok, err := backends.GetWithTTL(ctx, c.store, key)
	if err == nil && ok {
		if c.neg != nil { // a negative entry lives its own TTL, without a grace
			if hit, isNeg := c.negativeRead(key, v); isNeg {
				return value, false, hit
			}
		}
		if a.servable(ttl) {
			value, found = c.fromStored(key, v)
		}
	}
	return value, found, err
}

// hasLive is Has with a grace: an entry Call would not serve is absent.
func (c *Cache[V]) hasLive(ctx context.Context, key string) (bool, error) {
	a := c.ahead
	if a == nil || a.grace == 0 {
		return backends.Has(ctx, c.store, key)
	}
	_, ttl, ok, err := backends.GetWithTTL(ctx, c.store, key)
	return err == nil && ok && a.servable(ttl), err
}

// loadManyLive is loadMany for Many().Get and Many().GetOrUpdate: with a
// grace, the time left comes with the values (backends.GetManyWithTTL) and
// an entry Call would not serve is a miss. hits holds, with NegativeCache,
// the outcome of each negative entry found (as loadMany's).
func (c *Cache[V]) loadManyLive(ctx context.Context, keys []string) (out []V, found []bool, hits []error, err error) {
	a := c.ahead
	if a == nil || a.grace == 0 {
		return c.loadMany(ctx, keys)
	}
	values, ttls, ok, err := backends.GetManyWithTTL(ctx, c.store, keys)
	if err != nil {
		return nil, nil, nil, err
	}
	out = make([]V, len(keys))
	found = make([]bool, len(keys))
	for i := range keys {
		if !ok[i] {
			continue
		}
		if c.neg != nil { // a negative entry lives its own TTL, without a grace
			if hit, isNeg := c.negativeRead(keys[i], values[i]); isNeg {
				if hit != nil {
					if hits == nil {
						hits = make([]error, len(keys))
					}
					hits[i] = hit
				}
				continue
			}
		}
		if a.servable(ttls[i]) {
			out[i], found[i] = c.fromStored(keys[i], values[i])
		}
	}
	return out, found, hits, nil
}

// refresh is the Refresh sub-function: a background refresh of k's entry
// now, whatever its state (startRefresh with refreshNow).
func (c *core[K, R]) refresh(ctx context.Context, k K) error {
	key, st, err := c.target(ctx, k)
	switch {
	case err != nil:
		return err
	case st == nil: // Choose bypasses the cache: nothing to refresh
		return nil
	case c.strategy != nil:
		return fmt.Errorf("ring: %s: refresh: a custom strategy (WithStrategy) gives the sub-functions their semantics: use Update", c.name)
	}
	startRefresh(ctx, c, st, key, k, refreshNow)
	return nil
}

var _ backends.BulkTTLGetter = (*guard)(nil)

// GetManyWithTTL reads keys and their time left (backends.GetManyWithTTL
// on the storage), guarded as GetMany is.
func (g *guard) GetManyWithTTL(ctx context.Context, keys []string) ([]any, []time.Duration, []bool, error) {
	defer g.FlushEvents()
	type got struct {
		v   []any
		ttl []time.Duration
		ok  []bool
	}
	r, err := guarded(g, ctx, "get many", "", len(keys), func(ctx context.Context) (got, error) {
		v, ttl, ok, err := backends.GetManyWithTTL(ctx, g.s, keys)
		return got{v, ttl, ok}, err
	})
	return r.v, r.ttl, r.ok, err
}
