package ringotel

import (
	"sync"
	"sync/atomic"

	"github.com/ringcache/ring/observe"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// attrs is one attribute set, with the measurement options that record
// with it, built once: passing a stored option slice to Add or Record
// allocates nothing (a variadic list written at the call would be
// allocated at each call, as it goes through an interface).
type attrs struct {
	add []metric.AddOption
	rec []metric.RecordOption
}

func newAttrs(kvs ...attribute.KeyValue) *attrs {
	o := metric.WithAttributeSet(attribute.NewSet(kvs...))
	return &attrs{add: []metric.AddOption{o}, rec: []metric.RecordOption{o}}
}

// sets holds a value built once for each key K: a lookup is a read of an
// immutable map, with no lock and no allocation. A new key copies the map
// (there are few: rings × backends, operations).
type sets[K comparable, V any] struct {
	m    atomic.Pointer[map[K]*V]
	mu   sync.Mutex // serializes the copies
	make func(K) *V
}

func newSets[K comparable, V any](mk func(K) *V) *sets[K, V] {
	s := &sets[K, V]{make: mk}
	m := map[K]*V{}
	s.m.Store(&m)
	return s
}

// get returns k's value, built on first use.
func (s *sets[K, V]) get(k K) *V {
	if v, ok := (*s.m.Load())[k]; ok {
		return v
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.m.Load()
	if v, ok := old[k]; ok {
		return v
	}
	v := s.make(k)
	m := make(map[K]*V, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[k] = v
	s.m.Store(&m)
	return v
}

// ringAttrs are the attribute sets of one ring on one storage (one
// observe.Info): those of the fixed label values built at once, those of
// operations on first use.
type ringAttrs struct {
	base          []attribute.KeyValue // cache.name, cache.backend, cache.tier
	plain         *attrs
	results       [observe.NumResults]*attrs
	loads         [3][2]*attrs // LoadKind × (success, error)
	refreshes     [2]*attrs    // success, error
	breakerOpen   *attrs
	breakerClosed *attrs
	evicted       *attrs
	expired       *attrs
	ops           *sets[opKey, attrs]
	failOpens     *sets[string, attrs]
}

// opKey labels a backend operation's duration.
type opKey struct{ op, errType string }

var outcomes = [2]string{"success", "error"}

func newRingAttrs(info observe.Info) *ringAttrs {
	base := []attribute.KeyValue{
		attribute.String(AttrName, info.Ring),
		attribute.String(AttrBackend, info.Backend),
		attribute.String(AttrTier, info.Tier),
	}
	with := func(kvs ...attribute.KeyValue) *attrs {
		return newAttrs(append(append([]attribute.KeyValue(nil), base...), kvs...)...)
	}
	a := &ringAttrs{base: base, plain: with()}
	for r := range a.results {
		a.results[r] = with(attribute.String(AttrResult, observe.Result(r).String()))
	}
	for k := range a.loads {
		for out := range a.loads[k] {
			a.loads[k][out] = with(attribute.String(AttrLoadKind, observe.LoadKind(k).String()),
				attribute.String(AttrOutcome, outcomes[out]))
		}
	}
	for out := range a.refreshes {
		a.refreshes[out] = with(attribute.String(AttrOutcome, outcomes[out]))
	}
	a.breakerOpen = with(attribute.String(AttrBreakerState, "open"))
	a.breakerClosed = with(attribute.String(AttrBreakerState, "closed"))
	a.evicted = with(attribute.String(AttrEvictionReason, "size"))
	a.expired = with(attribute.String(AttrEvictionReason, "expired"))
	a.ops = newSets(func(k opKey) *attrs {
		if k.errType == "" {
			return with(attribute.String(AttrOperation, k.op))
		}
		return with(attribute.String(AttrOperation, k.op), attribute.String(AttrErrorType, k.errType))
	})
	a.failOpens = newSets(func(op string) *attrs { return with(attribute.String(AttrOperation, op)) })
	return a
}

// op returns the attribute set of an operation's duration.
func (a *ringAttrs) op(name, errType string) *attrs { return a.ops.get(opKey{name, errType}) }

// failOpen returns the attribute set of an absorbed failure of op.
func (a *ringAttrs) failOpen(op string) *attrs { return a.failOpens.get(op) }
