package ringotel_test

import (
	"context"
	"testing"
	"time"

	"github.com/ringcache/ring/observe"
	ringotel "github.com/ringcache/ring/otel"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// TestMetricsAllocateNothing pins the cost of the metrics on the real
// SDK: once a series exists, recording a request, a load, an operation or
// an event allocates nothing (the attribute sets are built once per ring).
// Spans allocate (the SDK's span); MetricsOnly observers make none.
func TestMetricsAllocateNothing(t *testing.T) {
	h := newHarness(t)
	o := newObserver(t, ringotel.WithMeterProvider(h.mp), ringotel.WithTracerProvider(h.tp), ringotel.MetricsOnly())
	info := &observe.Info{Ring: "main.user", Backend: "redis", Tier: observe.TierRemote}
	ctx := context.Background()
	load := observe.Load{Kind: observe.LoadFill, Keys: 1, Duration: time.Millisecond}
	op := observe.Op{Name: "get", Keys: 1, Found: 1, Duration: time.Millisecond}
	ev := observe.Event{Kind: observe.EventFailOpen, Op: "set", N: 1}
	for name, f := range map[string]func(){
		"Request": func() { o.Request(ctx, info, observe.Hit, 1) },
		"Load":    func() { o.EndLoad(o.StartLoad(ctx, info, observe.LoadFill), info, load) },
		"Op":      func() { o.EndOp(o.StartOp(ctx, info, op), info, op) },
		"Event":   func() { o.Event(ctx, info, ev) },
	} {
		f() // the series
		if n := testing.AllocsPerRun(1000, f); n != 0 {
			t.Errorf("%s: %.1f allocations per call, want 0", name, n)
		}
	}
}

// BenchmarkObserverMethods is the cost of each method on the real SDK,
// without a ring: spans are sampled and recorded, exported nowhere.
func BenchmarkObserverMethods(b *testing.B) {
	h := newHarness(b)
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() { _ = tp.Shutdown(context.Background()) })
	metrics := newObserver(b, ringotel.WithMeterProvider(h.mp), ringotel.MetricsOnly())
	traces := newObserver(b, ringotel.WithMeterProvider(h.mp), ringotel.WithTracerProvider(tp))
	info := &observe.Info{Ring: "main.user", Backend: "redis", Tier: observe.TierRemote}
	ctx := context.Background()
	op := observe.Op{Name: "get", Keys: 1, Found: 1, Duration: time.Millisecond}
	b.Run("Request", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			metrics.Request(ctx, info, observe.Hit, 1)
		}
	})
	b.Run("Op/metrics", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			metrics.EndOp(metrics.StartOp(ctx, info, op), info, op)
		}
	})
	b.Run("Op/traces", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			traces.EndOp(traces.StartOp(ctx, info, op), info, op)
		}
	})
}
