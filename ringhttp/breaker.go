package ringhttp

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// setBreaker picks the handler's breaker as ring.CircuitBreaker says (by
// default, on a remote storage only, 5 failures and 500ms, as a ring's):
// the storage's own, shared with every ring built on the same storage
// value, when it has one (ring.Storage wraps every remote storage with
// backends.Cancelable, which has one), else one of the handler's. On a
// storage that spreads keys over several servers (a Redis Cluster) each
// server has its own, as for a ring. A default policy keeps the one a
// ring already set on the storage's breaker; an explicit one that differs
// is an error.
func (h *Handler) setBreaker() error {
	s := h.store.Storage()
	failures, coolDown, explicit := defaultBreakerFailures, defaultBreakerCoolDown, h.pol.breakerSet
	switch {
	case explicit && h.pol.failures == 0:
		return nil // CircuitBreaker(0, 0): off
	case explicit:
		failures, coolDown = h.pol.failures, h.pol.coolDown
	case !backends.Remote(s):
		return nil // an in-process storage: it has nothing to wait for
	}
	br := backends.BreakerOf(s)
	if br == nil {
		br = new(backends.Breaker)
	}
	if err := br.SetPolicy(failures, coolDown); err != nil && explicit {
		n, cd := br.Policy()
		return fmt.Errorf("ringhttp: CircuitBreaker(%d, %v): storage %s already has a circuit breaker set to %d failures and %v by a ring built on it; they share it: give them the same policy",
			failures, coolDown, s.Name(), n, cd)
	}
	h.br = br
	h.node, h.refresh = backends.NodeOf(s)
	h.unreachable = backends.UnreachableFor(s)
	h.skipped = fmt.Errorf("ringhttp: storage %s skipped: %w", s.Name(), ring.ErrStorageUnavailable)
	return nil
}

// Breaker returns the circuit breaker the handler consults around its
// storage operations: the storage's own, shared with the rings built on
// the same storage, or the handler's; nil when it has none (an in-process
// storage without ring.CircuitBreaker, or CircuitBreaker(0, 0)).
func (h *Handler) Breaker() *backends.Breaker { return h.br }

// breakerFor returns the breaker of an operation on key: on a storage
// that spreads its keys over several servers (a Redis Cluster, memcached
// with several servers) the breaker of key's server, as a ring's, so that
// one frozen master does not stop the others; the storage's otherwise.
func (h *Handler) breakerFor(ctx context.Context, key string) *backends.Breaker {
	if h.node == nil {
		return h.br
	}
	name, err := h.node(ctx, h.store.Key(key))
	if err != nil {
		return h.br
	}
	return h.br.Node(name)
}

// admit asks the breaker of key (see breakerFor) whether a storage
// operation may run on octx: it returns h.skipped while the breaker is
// open. An admitted operation reports its outcome to br with done.
func (h *Handler) admit(octx context.Context, key string) (br *backends.Breaker, probe bool, err error) {
	if h.br == nil {
		return nil, false, nil
	}
	br = h.breakerFor(octx, key)
	probe, ok := br.Allow()
	if !ok {
		h.observe(br)
		return br, false, h.skipped
	}
	return br, probe, nil
}

// done feeds br the outcome err of an operation admit let run: ctx is the
// caller's context, octx the step's (ctx bounded by StorageTimeout). (A
// pair of calls rather than one taking a closure: the hit path allocates
// nothing for it.)
func (h *Handler) done(ctx, octx context.Context, br *backends.Breaker, probe bool, err error) {
	if br == nil {
		return
	}
	var now time.Time
	if err != nil {
		now = time.Now()
	}
	switch {
	case err == nil:
		br.Success(probe)
	case ended(ctx, now): // the client gave up: no verdict on the storage
		br.Abandon(probe)
	case ended(octx, now) || h.unreachable(err): // StorageTimeout, or down
		before := br.State()
		br.Failure(probe, err)
		if h.refresh != nil && before != backends.BreakerOpen && br.State() == backends.BreakerOpen {
			h.refresh() // a server is gone: a failover may have moved its keys
		}
	default: // an answer, if a refusal: the storage is up
		br.Success(probe)
	}
	h.observe(br)
}

// ended reports whether ctx ended by now. A client that stops a call at
// its context's deadline by itself (go-redis with ContextTimeoutEnabled)
// may return before the context's own timer has ended it: past the
// deadline counts as ended.
func ended(ctx context.Context, now time.Time) bool {
	if ctx.Err() != nil {
		return true
	}
	dl, ok := ctx.Deadline()
	return ok && !now.Before(dl)
}

// observe reports to OnError, once per opening, that br is open.
func (h *Handler) observe(br *backends.Breaker) {
	seen := &h.seenOpen
	if br != h.br {
		v, ok := h.seen.Load(br)
		if !ok {
			v, _ = h.seen.LoadOrStore(br, new(atomic.Bool))
		}
		seen = v.(*atomic.Bool)
	}
	open := br.State() != backends.BreakerClosed
	if seen.Load() == open || !seen.CompareAndSwap(!open, open) || !open {
		return
	}
	n, cd := br.Policy()
	where := h.store.Storage().Name()
	if node := br.NodeName(); node != "" {
		where += ": node " + node
	}
	what := fmt.Sprintf("ringhttp: storage %s: circuit breaker open after %d consecutive failures", where, n)
	how := fmt.Sprintf("pages render uncached (Cache-Status detail=breaker-open), with a probe of the storage every %v", cd)
	if last := br.LastFailure(); last != nil {
		h.report(ring.OpBreakerOpen, "", fmt.Errorf("%s, the last: %w; %s: %w", what, last, how, ring.ErrStorageUnavailable))
		return
	}
	h.report(ring.OpBreakerOpen, "", fmt.Errorf("%s; %s: %w", what, how, ring.ErrStorageUnavailable))
}

// skippedErr reports whether err is an operation the open breaker skipped.
func (h *Handler) skippedErr(err error) bool {
	return err != nil && h.skipped != nil && errors.Is(err, h.skipped)
}
