package ringotel

import (
	"sync"
	"sync/atomic"

	"github.com/ringcache/ring/observe"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// attrs is one attribute set of a histogram, with the option that
// records with it, built once: passing a stored option slice to Record
// allocates nothing (a variadic list written at the call would be
// allocated at each call, as it goes through an interface).
type attrs struct {
	rec []metric.RecordOption
}

func newAttrs(kvs ...attribute.KeyValue) *attrs {
	return &attrs{rec: []metric.RecordOption{metric.WithAttributeSet(attribute.NewSet(kvs...))}}
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

// ringsByInfo finds the ringAttrs of an *observe.Info: first by the
// pointer (a ring passes the same one with every event, and a map keyed
// by a pointer is the cheapest lookup), then by value. The pointer map
// holds at most maxPointers entries, so that a program that builds rings
// without end does not keep their Infos alive: past it, lookups go by
// value, which is bounded by the number of distinct labels.
type ringsByInfo struct {
	byPtr   *sets[*observe.Info, ringAttrs]
	byValue *sets[observe.Info, ringAttrs]
	ptrs    atomic.Int32
}

// maxPointers bounds the pointer map of ringsByInfo.
const maxPointers = 4096

func newRingsByInfo() *ringsByInfo {
	r := &ringsByInfo{byValue: newSets(newRingAttrs)}
	r.byPtr = newSets(func(info *observe.Info) *ringAttrs { return r.byValue.get(*info) })
	return r
}

// get returns the series of info.
func (r *ringsByInfo) get(info *observe.Info) *ringAttrs {
	if a, ok := (*r.byPtr.m.Load())[info]; ok {
		return a
	}
	if r.ptrs.Load() >= maxPointers {
		return r.byValue.get(*info)
	}
	r.ptrs.Add(1)
	return r.byPtr.get(info)
}

// all returns every ring's series, once each.
func (r *ringsByInfo) all() map[observe.Info]*ringAttrs { return *r.byValue.m.Load() }

// counted is one series of a counter: its count, kept here and reported
// to the SDK when it collects (an observable counter), so that counting
// costs one atomic add. A series is reported once it counted something.
type counted struct {
	n   atomic.Int64
	obs []metric.ObserveOption
}

func newCounted(kvs ...attribute.KeyValue) *counted {
	return &counted{obs: []metric.ObserveOption{metric.WithAttributeSet(attribute.NewSet(kvs...))}}
}

// observe reports c's count as inst's series.
func (c *counted) observe(o metric.Observer, inst metric.Int64Observable) {
	if n := c.n.Load(); n > 0 {
		o.ObserveInt64(inst, n, c.obs...)
	}
}

// ringAttrs are the series of one ring on one storage (one observe.Info):
// those of the fixed label values built at once, those of operations on
// first use.
type ringAttrs struct {
	base []attribute.KeyValue // cache.name, cache.backend, cache.tier

	// Counters.
	gets          [observe.NumResults]*counted
	coalesced     *counted
	decode        *counted
	breakerOpen   *counted
	breakerClosed *counted
	evicted       *counted
	expired       *counted
	refreshes     [2]*counted // success, error
	failOpens     *sets[string, counted]

	// Histograms.
	loads     [3][2]*attrs // LoadKind × (success, error)
	leaseWait *attrs
	ops       *sets[opKey, attrs]
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
	kvs := func(more ...attribute.KeyValue) []attribute.KeyValue {
		return append(append([]attribute.KeyValue(nil), base...), more...)
	}
	str := attribute.String
	a := &ringAttrs{base: base}
	for r := range a.gets {
		a.gets[r] = newCounted(kvs(str(AttrResult, observe.Result(r).String()))...)
	}
	a.coalesced = newCounted(kvs()...)
	a.decode = newCounted(kvs()...)
	a.breakerOpen = newCounted(kvs(str(AttrBreakerState, "open"))...)
	a.breakerClosed = newCounted(kvs(str(AttrBreakerState, "closed"))...)
	a.evicted = newCounted(kvs(str(AttrEvictionReason, "size"))...)
	a.expired = newCounted(kvs(str(AttrEvictionReason, "expired"))...)
	for out := range a.refreshes {
		a.refreshes[out] = newCounted(kvs(str(AttrOutcome, outcomes[out]))...)
	}
	a.failOpens = newSets(func(op string) *counted { return newCounted(kvs(str(AttrOperation, op))...) })

	for k := range a.loads {
		for out := range a.loads[k] {
			a.loads[k][out] = newAttrs(kvs(str(AttrLoadKind, observe.LoadKind(k).String()), str(AttrOutcome, outcomes[out]))...)
		}
	}
	a.leaseWait = newAttrs(kvs()...)
	a.ops = newSets(func(k opKey) *attrs {
		if k.errType == "" {
			return newAttrs(kvs(str(AttrOperation, k.op))...)
		}
		return newAttrs(kvs(str(AttrOperation, k.op), str(AttrErrorType, k.errType))...)
	})
	return a
}

// op returns the attribute set of an operation's duration.
func (a *ringAttrs) op(name, errType string) *attrs { return a.ops.get(opKey{name, errType}) }
