package ringotel_test

import (
	"context"
	"testing"

	"github.com/ringcache/ring"
	ringotel "github.com/ringcache/ring/otel"
	"go.opentelemetry.io/otel"
)

// globalsSet is whether a run of TestGlobalProviders set the global
// providers already (-count): OpenTelemetry's global providers delegate
// to the first ones set, once per process.
var globalsSet bool

// TestGlobalProviders: without options an Observer uses the global
// providers, also when they are set after it was built (OpenTelemetry's
// global providers delegate to the ones set later: checked on the first
// run in a process; later runs set them before New).
func TestGlobalProviders(t *testing.T) {
	h := newHarness(t)
	var o *ringotel.Observer
	if !globalsSet {
		o = newObserver(t) // before the global providers are set
	}
	otel.SetMeterProvider(h.mp)
	otel.SetTracerProvider(h.tp)
	if globalsSet {
		o = newObserver(t)
	}
	globalsSet = true
	r := ring.Must(ring.Func1(squareOf, ring.KeyPrefix("global"), ring.LRU(10), ring.Observe(o)))
	for range 3 {
		if _, err := r.Call(context.Background(), 2); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := h.collect(t)
	l := "cache.backend=lru,cache.name=" + r.Untyped().Name() + ",cache.tier=local"
	wantSeries(t, got, map[string]int64{
		"cache.gets{" + l + ",cache.result=hit}":                                               2,
		"cache.gets{" + l + ",cache.result=miss}":                                              1,
		"cache.load.duration{" + l + ",cache.load.kind=fill,cache.load.outcome=success} count": 1,
	})
	if n := len(h.spans.Ended()); n != 1 {
		t.Errorf("%d spans, want 1 (the load)", n)
	}
}
