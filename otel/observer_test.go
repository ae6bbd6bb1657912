package ringotel_test

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/observe"
	ringotel "github.com/ringcache/ring/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	metricnoop "go.opentelemetry.io/otel/metric/noop"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"
	tracenoop "go.opentelemetry.io/otel/trace/noop"
)

func newObserver(t testing.TB, opts ...ringotel.Option) *ringotel.Observer {
	t.Helper()
	o, err := ringotel.New(opts...)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// wantSeries compares the collected series with want, listing every
// difference.
func wantSeries(t testing.TB, got, want map[string]int64) {
	t.Helper()
	want = normalize(want)
	if maps.Equal(got, want) {
		return
	}
	var diff []string
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if w, ok := want[k]; !ok || w != got[k] {
			diff = append(diff, fmt.Sprintf("got  %s = %d (want %d)", k, got[k], want[k]))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if _, ok := got[k]; !ok {
			diff = append(diff, fmt.Sprintf("miss %s = %d", k, want[k]))
		}
	}
	t.Errorf("series differ:\n%s", strings.Join(diff, "\n"))
}

// normalize sorts the attributes of each series name{k=v,...} of m.
func normalize(m map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, v := range m {
		open, end := strings.Index(k, "{"), strings.Index(k, "}")
		kv := strings.Split(k[open+1:end], ",")
		slices.Sort(kv)
		out[k[:open+1]+strings.Join(kv, ",")+k[end:]] = v
	}
	return out
}

// TestObserverMetrics calls every method of the Observer as a ring does
// and checks the exact series the SDK holds afterwards: names, attribute
// sets (never a key) and values.
func TestObserverMetrics(t *testing.T) {
	h := newHarness(t)
	o := newObserver(t, ringotel.WithMeterProvider(h.mp), ringotel.WithTracerProvider(h.tp))
	ctx := context.Background()
	info := &observe.Info{Ring: "main.user", Backend: "redis", Tier: observe.TierRemote}
	other := &observe.Info{Ring: "main.page", Backend: "lru", Tier: observe.TierLocal}

	o.Request(ctx, info, observe.Hit, 1)
	o.Request(ctx, info, observe.Hit, 2)
	o.Request(ctx, info, observe.Miss, 1)
	o.Request(ctx, info, observe.Error, 1)
	o.Request(ctx, other, observe.Hit, 5)
	o.Request(ctx, other, observe.Stale, 1)

	lctx := o.StartLoad(ctx, info, observe.LoadFill)
	o.EndLoad(lctx, info, observe.Load{Kind: observe.LoadFill, Keys: 1, Duration: 3 * time.Millisecond})
	lctx = o.StartLoad(ctx, info, observe.LoadFill)
	o.EndLoad(lctx, info, observe.Load{Kind: observe.LoadFill, Keys: 1, Duration: time.Millisecond, Err: errors.New("boom")})
	lctx = o.StartLoad(ctx, info, observe.LoadRefresh)
	o.EndLoad(lctx, info, observe.Load{Kind: observe.LoadRefresh, Keys: 1, Duration: time.Millisecond})

	for _, op := range []observe.Op{
		{Name: "get", Keys: 1, Found: 1, Duration: 200 * time.Microsecond},
		{Name: "get", Keys: 1, Duration: 100 * time.Microsecond},
		{Name: "set", Keys: 1, Duration: 300 * time.Microsecond},
		{Name: "get", Keys: 1, Duration: 5 * time.Millisecond, Err: fmt.Errorf("x: %w", ring.ErrStorageTimeout)},
		{Name: "get", Keys: 1, Err: fmt.Errorf("x: %w", ring.ErrStorageUnavailable)},
		{Name: "get many", Keys: 3, Found: 2, Duration: time.Millisecond, Err: errors.New("conn reset")},
	} {
		octx := o.StartOp(ctx, info, op)
		o.EndOp(octx, info, op)
	}

	o.Event(ctx, info, observe.Event{Kind: observe.EventCoalesced, N: 4})
	o.Event(ctx, info, observe.Event{Kind: observe.EventFailOpen, Op: "get", Key: "secret-key", N: 1})
	o.Event(ctx, info, observe.Event{Kind: observe.EventFailOpen, Op: "set", Key: "secret-key", N: 1})
	o.Event(ctx, info, observe.Event{Kind: observe.EventFailOpen, Op: "get", Key: "secret-key-2", N: 1})
	o.Event(ctx, info, observe.Event{Kind: observe.EventDecode, Key: "secret-key", N: 1})
	o.Event(ctx, info, observe.Event{Kind: observe.EventBreakerOpen, N: 1})
	o.Event(ctx, info, observe.Event{Kind: observe.EventBreakerClosed, N: 1})
	o.Event(ctx, info, observe.Event{Kind: observe.EventLeaseWait, Key: "secret-key", N: 1, Duration: 20 * time.Millisecond})
	o.Event(ctx, other, observe.Event{Kind: observe.EventEviction, Op: "evict", N: 7})
	o.Event(ctx, other, observe.Event{Kind: observe.EventEviction, Op: "expire", N: 2})

	got, _ := h.collect(t)
	r := "cache.backend=redis,cache.name=main.user,cache.tier=remote"
	l := "cache.backend=lru,cache.name=main.page,cache.tier=local"
	wantSeries(t, got, map[string]int64{
		"cache.gets{" + r + ",cache.result=hit}":   3,
		"cache.gets{" + r + ",cache.result=miss}":  1,
		"cache.gets{" + r + ",cache.result=error}": 1,
		"cache.gets{" + l + ",cache.result=hit}":   5,
		"cache.gets{" + l + ",cache.result=stale}": 1,

		"cache.load.duration{" + r + ",cache.load.kind=fill,cache.load.outcome=success} count":    1,
		"cache.load.duration{" + r + ",cache.load.kind=fill,cache.load.outcome=error} count":      1,
		"cache.load.duration{" + r + ",cache.load.kind=refresh,cache.load.outcome=success} count": 1,
		"cache.refreshes{" + r + ",cache.load.outcome=success}":                                   1,

		"cache.operation.duration{" + r + ",cache.operation=get} count":                        2,
		"cache.operation.duration{" + r + ",cache.operation=set} count":                        1,
		"cache.operation.duration{" + r + ",cache.operation=get,error.type=timeout} count":     1,
		"cache.operation.duration{" + r + ",cache.operation=get,error.type=unavailable} count": 1,
		"cache.operation.duration{" + r + ",cache.operation=get_many,error.type=_OTHER} count": 1,

		"cache.coalesced{" + r + "}":                                      4,
		"cache.fail_open{" + r + ",cache.operation=get}":                  2,
		"cache.fail_open{" + r + ",cache.operation=set}":                  1,
		"cache.decode_errors{" + r + "}":                                  1,
		"cache.breaker.transitions{" + r + ",cache.breaker.state=open}":   1,
		"cache.breaker.transitions{" + r + ",cache.breaker.state=closed}": 1,
		"cache.lease.wait.duration{" + r + "} count":                      1,
		"cache.evictions{" + l + ",cache.eviction.reason=size}":           7,
		"cache.evictions{" + l + ",cache.eviction.reason=expired}":        2,
	})
	for k := range got {
		if strings.Contains(k, "secret") {
			t.Errorf("a key went into a metric: %s", k)
		}
	}
}

// TestObserverSpans checks the spans of a load holding two backend
// operations: names, parents (the caller's span, then the load's),
// attributes (cache.hit on the single-key read) and error statuses.
func TestObserverSpans(t *testing.T) {
	h := newHarness(t)
	o := newObserver(t, ringotel.WithMeterProvider(h.mp), ringotel.WithTracerProvider(h.tp))
	info := &observe.Info{Ring: "main.user", Backend: "redis", Tier: observe.TierRemote}

	ctx, caller := h.tp.Tracer("test").Start(context.Background(), "handler")
	get := observe.Op{Name: "get", Keys: 1}
	gctx := o.StartOp(ctx, info, get)
	get.Found = 0
	o.EndOp(gctx, info, get)

	lctx := o.StartLoad(ctx, info, observe.LoadFill)
	if trace.SpanFromContext(lctx) == caller {
		t.Fatal("StartLoad returned the caller's span")
	}
	set := observe.Op{Name: "set", Keys: 1}
	sctx := o.StartOp(lctx, info, set)
	set.Err = fmt.Errorf("w: %w", ring.ErrStorageTimeout)
	o.EndOp(sctx, info, set)
	if !trace.SpanFromContext(lctx).IsRecording() {
		t.Fatal("EndOp ended the load's span")
	}
	o.EndLoad(lctx, info, observe.Load{Kind: observe.LoadFill, Keys: 1, Err: errors.New("boom")})
	if !caller.IsRecording() {
		t.Fatal("EndLoad ended the caller's span")
	}
	caller.End()

	spans := byName(t, h.spans, 4)
	root := spans["handler"].SpanContext().SpanID()
	checkSpan(t, spans["ring.get"], root, codes.Unset, map[string]any{
		"cache.name": "main.user", "cache.backend": "redis", "cache.tier": "remote",
		"cache.operation": "get", "cache.hit": false,
	})
	checkSpan(t, spans["ring.load"], root, codes.Error, map[string]any{
		"cache.name": "main.user", "cache.backend": "redis", "cache.tier": "remote", "cache.load.kind": "fill",
	})
	checkSpan(t, spans["ring.set"], spans["ring.load"].SpanContext().SpanID(), codes.Error, map[string]any{
		"cache.name": "main.user", "cache.operation": "set", "error.type": "timeout",
	})
	if k := spans["ring.get"].SpanKind(); k != trace.SpanKindClient {
		t.Errorf("ring.get is a %v span, want client", k)
	}
}

// byName returns the ended spans by name, failing unless there are
// exactly n with distinct names.
func byName(t testing.TB, sr *tracetest.SpanRecorder, n int) map[string]sdktrace.ReadOnlySpan {
	t.Helper()
	out := map[string]sdktrace.ReadOnlySpan{}
	var names []string
	for _, s := range sr.Ended() {
		out[s.Name()] = s
		names = append(names, s.Name())
	}
	if len(names) != n || len(out) != n {
		t.Fatalf("ended spans %q, want %d distinct", names, n)
	}
	return out
}

// checkSpan checks a span's parent, status and some of its attributes.
func checkSpan(t testing.TB, s sdktrace.ReadOnlySpan, parent trace.SpanID, status codes.Code, want map[string]any) {
	t.Helper()
	if s == nil {
		t.Fatal("no span")
	}
	if got := s.Parent().SpanID(); got != parent {
		t.Errorf("%s: parent %s, want %s", s.Name(), got, parent)
	}
	if got := s.Status().Code; got != status {
		t.Errorf("%s: status %v, want %v", s.Name(), got, status)
	}
	attrs := map[attribute.Key]attribute.Value{}
	for _, kv := range s.Attributes() {
		attrs[kv.Key] = kv.Value
	}
	for k, w := range want {
		v, ok := attrs[attribute.Key(k)]
		if !ok || v.AsInterface() != w {
			t.Errorf("%s: attribute %s = %v, want %v", s.Name(), k, v.AsInterface(), w)
		}
	}
}

// TestObserverNeverEndsForeignSpan: when the Observer's own span is not
// recorded (its provider samples nothing), End must leave the span in
// the context (the caller's) alone.
func TestObserverNeverEndsForeignSpan(t *testing.T) {
	h := newHarness(t)
	quiet := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.NeverSample()))
	t.Cleanup(func() { _ = quiet.Shutdown(context.Background()) })
	o := newObserver(t, ringotel.WithMeterProvider(h.mp), ringotel.WithTracerProvider(quiet))
	info := &observe.Info{Ring: "r", Backend: "redis", Tier: observe.TierRemote}

	ctx, caller := h.tp.Tracer("test").Start(context.Background(), "handler")
	lctx := o.StartLoad(ctx, info, observe.LoadFill)
	octx := o.StartOp(lctx, info, observe.Op{Name: "get", Keys: 1})
	o.EndOp(octx, info, observe.Op{Name: "get", Keys: 1})
	o.EndLoad(lctx, info, observe.Load{Kind: observe.LoadFill})
	if !caller.IsRecording() {
		t.Fatal("the observer ended the caller's span")
	}
	caller.End()
	if n := len(h.spans.Ended()); n != 1 {
		t.Fatalf("%d spans ended, want 1 (the caller's)", n)
	}

	// A load recorded, its operation dropped: EndOp must not end the
	// load's span, which the operation's context holds further up.
	h = newHarness(t)
	picky := sdktrace.NewTracerProvider(sdktrace.WithSampler(dropNamed("ring.get")), sdktrace.WithSpanProcessor(h.spans))
	t.Cleanup(func() { _ = picky.Shutdown(context.Background()) })
	o = newObserver(t, ringotel.WithMeterProvider(h.mp), ringotel.WithTracerProvider(picky))
	lctx = o.StartLoad(context.Background(), info, observe.LoadFill)
	octx = o.StartOp(lctx, info, observe.Op{Name: "get", Keys: 1})
	o.EndOp(octx, info, observe.Op{Name: "get", Keys: 1})
	if !trace.SpanFromContext(lctx).IsRecording() {
		t.Fatal("EndOp of a dropped operation ended the load's span")
	}
	o.EndLoad(lctx, info, observe.Load{Kind: observe.LoadFill})
	if n := len(h.spans.Ended()); n != 1 {
		t.Fatalf("%d spans ended, want 1 (the load's)", n)
	}
}

// dropNamed is a sampler that drops the spans named name.
type dropNamed string

func (d dropNamed) ShouldSample(p sdktrace.SamplingParameters) sdktrace.SamplingResult {
	if p.Name == string(d) {
		return sdktrace.SamplingResult{Decision: sdktrace.Drop}
	}
	return sdktrace.SamplingResult{Decision: sdktrace.RecordAndSample}
}

func (d dropNamed) Description() string { return "dropNamed(" + string(d) + ")" }

// TestObserverNoop: with no-op providers every method works, records
// nothing and returns the caller's context.
func TestObserverNoop(t *testing.T) {
	o := newObserver(t, ringotel.WithMeterProvider(metricnoop.NewMeterProvider()),
		ringotel.WithTracerProvider(tracenoop.NewTracerProvider()))
	info := &observe.Info{Ring: "r", Backend: "lru", Tier: observe.TierLocal}
	ctx := context.Background()
	o.Request(ctx, info, observe.Hit, 1)
	if got := o.StartLoad(ctx, info, observe.LoadFill); got != ctx {
		t.Errorf("StartLoad with a no-op tracer returned a new context")
	}
	o.EndLoad(ctx, info, observe.Load{Err: errors.New("x")})
	if got := o.StartOp(ctx, info, observe.Op{Name: "get", Keys: 1}); got != ctx {
		t.Errorf("StartOp with a no-op tracer returned a new context")
	}
	o.EndOp(ctx, info, observe.Op{Name: "get", Keys: 1, Err: errors.New("x")})
	o.Event(ctx, info, observe.Event{Kind: observe.EventEviction, N: 3})

	// On a ring: every sub-function works as without an observer.
	r := ring.Must(ring.Func1(squareOf, ring.KeyPrefix("noop"), ring.LRU(2), ring.Observe(o)))
	for _, n := range []int{2, 2, 3, 4} {
		if v, err := r.Call(ctx, n); err != nil || v != n*n {
			t.Fatalf("Call(%d) = %d, %v", n, v, err)
		}
	}
	if v, ok, err := r.Get(ctx, 4); err != nil || !ok || v != 16 {
		t.Fatalf("Get(4) = %d, %v, %v", v, ok, err)
	}
	if err := r.Delete(ctx, 4); err != nil {
		t.Fatal(err)
	}
}

// TestMetricsOnlyTracesOnly: each option turns the other signal off.
func TestMetricsOnlyTracesOnly(t *testing.T) {
	info := &observe.Info{Ring: "r", Backend: "redis", Tier: observe.TierRemote}
	run := func(o *ringotel.Observer) {
		ctx := context.Background()
		o.Request(ctx, info, observe.Miss, 1)
		lctx := o.StartLoad(ctx, info, observe.LoadFill)
		o.EndLoad(lctx, info, observe.Load{Kind: observe.LoadFill})
	}
	h := newHarness(t)
	run(newObserver(t, ringotel.WithMeterProvider(h.mp), ringotel.WithTracerProvider(h.tp), ringotel.MetricsOnly()))
	if got, _ := h.collect(t); len(got) != 2 || len(h.spans.Ended()) != 0 {
		t.Errorf("MetricsOnly: series %v, %d spans; want 2 series, no span", got, len(h.spans.Ended()))
	}
	h = newHarness(t)
	run(newObserver(t, ringotel.WithMeterProvider(h.mp), ringotel.WithTracerProvider(h.tp), ringotel.TracesOnly()))
	if got, _ := h.collect(t); len(got) != 0 || len(h.spans.Ended()) != 1 {
		t.Errorf("TracesOnly: series %v, %d spans; want no series, 1 span", got, len(h.spans.Ended()))
	}
}

// TestDurationBuckets: the histograms use the given boundaries; bad ones
// are refused with an error that names them.
func TestDurationBuckets(t *testing.T) {
	if _, err := ringotel.New(ringotel.WithDurationBuckets(0.1, 0.1)); err == nil || !strings.Contains(err.Error(), "[0.1 0.1]") {
		t.Errorf("New with equal buckets: %v", err)
	}
	h := newHarness(t)
	o := newObserver(t, ringotel.WithMeterProvider(h.mp), ringotel.WithDurationBuckets(0.001, 0.01))
	info := &observe.Info{Ring: "r", Backend: "lru", Tier: observe.TierLocal}
	o.EndLoad(context.Background(), info, observe.Load{Duration: 5 * time.Millisecond})
	_, rm := h.collect(t)
	b := histogramBounds(t, rm, ringotel.MetricLoadDuration)
	if !slices.Equal(b, []float64{0.001, 0.01}) {
		t.Errorf("bounds %v", b)
	}
	h = newHarness(t)
	o = newObserver(t, ringotel.WithMeterProvider(h.mp))
	o.EndLoad(context.Background(), info, observe.Load{Duration: 5 * time.Millisecond})
	_, rm = h.collect(t)
	if b := histogramBounds(t, rm, ringotel.MetricLoadDuration); !slices.Equal(b, ringotel.DefaultDurationBuckets()) {
		t.Errorf("default bounds %v", b)
	}
}

// TestTwoObservers: a ring observed by two traced Observers (two
// providers) and a metrics-only one. Each traced Observer ends exactly
// its own spans, nested as the Start calls were; the metrics-only one
// ends none.
func TestTwoObservers(t *testing.T) {
	h1, h2 := newHarness(t), newHarness(t)
	a := newObserver(t, ringotel.WithMeterProvider(h1.mp), ringotel.WithTracerProvider(h1.tp))
	b := newObserver(t, ringotel.WithMeterProvider(h2.mp), ringotel.WithTracerProvider(h2.tp))
	m := newObserver(t, ringotel.WithMeterProvider(h2.mp), ringotel.WithTracerProvider(h2.tp), ringotel.MetricsOnly())
	info := &observe.Info{Ring: "r", Backend: "redis", Tier: observe.TierRemote}
	multi := observe.Multi(a, m, b)

	ctx, caller := h1.tp.Tracer("test").Start(context.Background(), "handler")
	lctx := multi.StartLoad(ctx, info, observe.LoadFill)
	op := observe.Op{Name: "get", Keys: 1}
	octx := multi.StartOp(lctx, info, op)
	multi.EndOp(octx, info, op)
	for _, h := range []*harness{h1, h2} {
		if n := len(h.spans.Ended()); n != 1 {
			t.Fatalf("after EndOp, %d spans ended in a provider, want 1 (its ring.get)", n)
		}
	}
	multi.EndLoad(lctx, info, observe.Load{Kind: observe.LoadFill})
	if !caller.IsRecording() {
		t.Fatal("an observer ended the caller's span")
	}
	caller.End()

	// Multi threads the context through the observers in order: each span
	// is a child of the one started just before it, whichever Observer
	// started that one.
	s1 := byName(t, h1.spans, 3)
	s2 := byName(t, h2.spans, 2)
	checkSpan(t, s1["ring.load"], s1["handler"].SpanContext().SpanID(), codes.Unset, nil)
	checkSpan(t, s2["ring.load"], s1["ring.load"].SpanContext().SpanID(), codes.Unset, nil)
	checkSpan(t, s1["ring.get"], s2["ring.load"].SpanContext().SpanID(), codes.Unset, nil)
	checkSpan(t, s2["ring.get"], s1["ring.get"].SpanContext().SpanID(), codes.Unset, nil)
}
