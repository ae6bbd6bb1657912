package ring

import (
	"fmt"
	"reflect"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/observe"
)

// Observe gives the ring's events to o (package observe): requests by
// result, loads, operations on a remote backend, coalesced callers,
// absorbed failures, decode failures, breaker changes, lease waits and
// evictions from an in-process store (docs/observability.md lists them
// all). It may be given more than once: every observer sees every event,
// in the order of the options. A nil o is ignored. Observers run on the
// goroutine that saw the event, never while the ring holds a lock; a ring
// without any (and without WithStats) pays one nil check per request.
func Observe(o observe.Observer) Option {
	name := "<nil>"
	if o != nil {
		name = reflect.TypeOf(o).String()
	}
	return newOption(fmt.Sprintf("Observe(%s)", name), func(c *config) {
		if o != nil {
			c.observers = append(c.observers, o)
		}
	})
}

// WithStats makes the ring count its events for its Stats method:
// requests by result, loads and their time, operations, coalesced
// callers, absorbed failures, evictions (observe.Snapshot). The counters
// are striped across cores: a hit costs a few nanoseconds more and no
// allocation. Without it, Stats returns zeros and costs nothing.
func WithStats() Option {
	return newOption("WithStats()", func(c *config) { c.stats = true })
}

// Stats returns the ring's counters (see observe.Snapshot) when it was
// built with WithStats, zeros otherwise. The counts cover every storage
// the ring uses (Choose) and, for a method ring, every receiver. It
// allocates nothing and may be called at any time, concurrently with the
// ring's use.
func (r *Ring) Stats() observe.Snapshot { return r.c.stats() }

// Stats returns the Cache's counters when it was built with WithStats
// (see [Ring.Stats]); a ring's Cache shares the ring's.
func (c *Cache[V]) Stats() observe.Snapshot {
	if c.obs == nil || c.obs.stats == nil {
		return observe.Snapshot{}
	}
	return c.obs.stats.Snapshot()
}

// stats is the ring's Stats.
func (c *core[K, R]) stats() observe.Snapshot { return c.store.Stats() }

// observer is the observation state of one store layer (Cache[V]): the
// labels of its events, the ring's counters (shared by the store layers
// of every storage the ring uses) and its observers. A store layer without
// WithStats and without Observe has none (nil): its paths then check one
// pointer.
type observer struct {
	info  observe.Info
	stats *observe.Stats   // WithStats; nil without
	o     observe.Observer // the Observe options' (observe.Multi); nil without
}

// newObserver returns the observer of a ring named ring on store, or nil
// when cfg asks for none.
func newObserver(cfg *config, ring string, store backends.Storage) *observer {
	if !cfg.stats && len(cfg.observers) == 0 {
		return nil
	}
	o := &observer{o: observe.Multi(cfg.observers...)}
	if cfg.stats {
		o.stats = observe.NewStats()
	}
	o.info = observe.Info{Ring: ring, Backend: store.Name(), Tier: tierOf(store)}
	return o
}

// tierOf is the tier label of a storage.
func tierOf(s backends.Storage) string {
	if backends.Remote(s) {
		return observe.TierRemote
	}
	return observe.TierLocal
}

// on returns the observer of the same ring on another storage: its
// counters and observers, that storage's labels.
func (o *observer) on(store backends.Storage) *observer {
	if o == nil {
		return nil
	}
	n := *o
	n.info.Backend = store.Name()
	n.info.Tier = tierOf(store)
	return &n
}
