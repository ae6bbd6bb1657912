package ringotel

import (
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// attrs is one attribute set, with the measurement options that record
// with it, built once: passing a stored option slice to Add or Record
// allocates nothing (a variadic list written at the call would be
// allocated at each call, as it goes through an interface).
type attrs struct {
	kvs []attribute.KeyValue
	add []metric.AddOption
	rec []metric.RecordOption
}

// sets holds the attrs of each combination of attribute values K: a
// lookup is a read of an immutable map, with no lock and no allocation. A
// new combination copies the map (there are few: rings × backends ×
// results).
type sets[K comparable] struct {
	m     atomic.Pointer[map[K]*attrs]
	mu    sync.Mutex // serializes the copies
	kvsOf func(K) []attribute.KeyValue
}

func newSets[K comparable](kvsOf func(K) []attribute.KeyValue) *sets[K] {
	s := &sets[K]{kvsOf: kvsOf}
	m := map[K]*attrs{}
	s.m.Store(&m)
	return s
}

// get returns k's attribute set.
func (s *sets[K]) get(k K) *attrs {
	if a, ok := (*s.m.Load())[k]; ok {
		return a
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := *s.m.Load()
	if a, ok := old[k]; ok {
		return a
	}
	kvs := s.kvsOf(k)
	o := metric.WithAttributeSet(attribute.NewSet(kvs...))
	a := &attrs{kvs: kvs, add: []metric.AddOption{o}, rec: []metric.RecordOption{o}}
	m := make(map[K]*attrs, len(old)+1)
	for k, v := range old {
		m[k] = v
	}
	m[k] = a
	s.m.Store(&m)
	return a
}
