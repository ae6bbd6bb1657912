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

// DefaultBreakerFailures and DefaultBreakerCoolDown are
// Options.CircuitBreaker's defaults on a remote storage: 5 consecutive
// failures open the breaker for 500ms, as a ring's.
const (
	DefaultBreakerFailures = 5
	DefaultBreakerCoolDown = 500 * time.Millisecond
)

// BreakerPolicy is Options.CircuitBreaker: when the circuit breaker of the
// storage opens, and for how long.
type BreakerPolicy struct {
	// Failures is how many consecutive failures of the storage (a
	// StorageTimeout, a refused or broken connection; not a miss, not an
	// entry that does not decode, not an error the server answers with)
	// open the breaker. 0 means the default: DefaultBreakerFailures on a
	// remote storage, no breaker on an in-process one. A negative value
	// turns the breaker off.
	Failures int
	// CoolDown is how long an open breaker skips the storage before one
	// request probes it again. 0 means DefaultBreakerCoolDown.
	CoolDown time.Duration
}

// setBreaker picks the handler's breaker: the storage's own (shared with
// every ring on the storage) when it has one, else one of the handler's.
func (h *Handler) setBreaker() error {
	p := h.opts.CircuitBreaker
	if p.CoolDown < 0 {
		return fmt.Errorf("ringhttp: CircuitBreaker: negative CoolDown %v", p.CoolDown)
	}
	s := h.store.Storage()
	explicit := p.Failures > 0
	switch {
	case p.Failures < 0:
		return nil
	case p.Failures == 0 && !backends.Remote(s):
		return nil // an in-process storage: it has nothing to wait for
	case p.Failures == 0:
		p.Failures = DefaultBreakerFailures
	}
	if p.CoolDown == 0 {
		p.CoolDown = DefaultBreakerCoolDown
	} else {
		explicit = true
	}
	h.opts.CircuitBreaker = p
	br := backends.BreakerOf(s)
	if br == nil {
		br = new(backends.Breaker)
	}
	if err := br.SetPolicy(p.Failures, p.CoolDown); err != nil && explicit {
		n, cd := br.Policy()
		return fmt.Errorf("ringhttp: CircuitBreaker{%d, %v}: storage %s already has a circuit breaker set to %d failures and %v by a ring built on it; they share it: give them the same policy",
			p.Failures, p.CoolDown, s.Name(), n, cd)
	}
	// A default keeps the policy a ring set on the storage's breaker.
	h.br = br
	h.node, h.refresh = backends.NodeOf(s)
	h.unreachable = backends.UnreachableFor(s)
	h.skipped = fmt.Errorf("ringhttp: storage %s skipped: %w", s.Name(), ring.ErrStorageUnavailable)
	return nil
}

// Breaker returns the circuit breaker the handler consults around its
// storage operations: the storage's own, shared with the rings built on
// the same storage, or the handler's; nil when it has none (an in-process
// storage, or Options.CircuitBreaker turned off).
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
		h.report(fmt.Errorf("%s, the last: %w; %s: %w", what, last, how, ring.ErrStorageUnavailable))
		return
	}
	h.report(fmt.Errorf("%s; %s: %w", what, how, ring.ErrStorageUnavailable))
}

// skippedErr reports whether err is an operation the open breaker skipped.
func (h *Handler) skippedErr(err error) bool {
	return err != nil && h.skipped != nil && errors.Is(err, h.skipped)
}
