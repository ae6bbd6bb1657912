package ringotel

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/observe"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// ScopeName is the instrumentation scope of the meter and the tracer.
const ScopeName = "github.com/ringcache/ring/otel"

// Observer reports a ring's events (package observe) as OpenTelemetry
// metrics and spans. Give it to rings with ring.Observe; one Observer may
// serve any number of rings, concurrently. Build it with [New].
type Observer struct {
	metrics bool
	traces  bool
	tracer  trace.Tracer

	// Counters are observable: each series counts in an atomic integer
	// (ringAttrs), which collect reports when the SDK reads.
	gets      metric.Int64ObservableCounter
	coalesced metric.Int64ObservableCounter
	failOpen  metric.Int64ObservableCounter
	decode    metric.Int64ObservableCounter
	breaker   metric.Int64ObservableCounter
	evictions metric.Int64ObservableCounter
	refreshes metric.Int64ObservableCounter

	loadDur   metric.Float64Histogram
	opDur     metric.Float64Histogram
	leaseWait metric.Float64Histogram

	rings   *ringsByInfo
	opNames *sets[string, opName]
}

var _ observe.Observer = (*Observer)(nil)

// New returns an Observer that records metrics with the meter provider
// and starts spans with the tracer provider of the options. The default
// is the global ones (otel.GetMeterProvider, otel.GetTracerProvider),
// which forward to the providers a program sets, also after New. It fails
// when an instrument cannot be created or the options are invalid.
func New(opts ...Option) (*Observer, error) {
	cfg := config{metrics: true, traces: true}
	for _, o := range opts {
		o.apply(&cfg)
	}
	if cfg.meters == nil {
		cfg.meters = otel.GetMeterProvider()
	}
	if cfg.tracers == nil {
		cfg.tracers = otel.GetTracerProvider()
	}
	buckets := cfg.buckets
	if buckets == nil {
		buckets = DefaultDurationBuckets()
	}
	for i := 1; i < len(buckets); i++ {
		if !(buckets[i] > buckets[i-1]) {
			return nil, fmt.Errorf("ring: otel: duration buckets %v are not strictly increasing (at index %d)", buckets, i)
		}
	}
	o := &Observer{metrics: cfg.metrics, traces: cfg.traces}
	o.tracer = cfg.tracers.Tracer(ScopeName)
	m := cfg.meters.Meter(ScopeName)
	var errs []error
	counter := func(name, unit, desc string) metric.Int64ObservableCounter {
		c, err := m.Int64ObservableCounter(name, metric.WithUnit(unit), metric.WithDescription(desc))
		errs = append(errs, err)
		return c
	}
	histogram := func(name, desc string) metric.Float64Histogram {
		h, err := m.Float64Histogram(name, metric.WithUnit("s"), metric.WithDescription(desc),
			metric.WithExplicitBucketBoundaries(buckets...))
		errs = append(errs, err)
		return h
	}
	o.gets = counter(MetricGets, "{request}", "Requests to a ring, by result.")
	o.loadDur = histogram(MetricLoadDuration, "Duration of the runs of a ring's cached function, by kind and outcome.")
	o.opDur = histogram(MetricOperationDuration, "Duration of the operations on a ring's remote backend, by operation and error.")
	o.coalesced = counter(MetricCoalesced, "{call}", "Callers that joined a load already running for their key (single flight).")
	o.failOpen = counter(MetricFailOpen, "{event}", "Failures a ring absorbed instead of returning them, by operation.")
	o.decode = counter(MetricDecodeErrors, "{entry}", "Stored values that no longer decoded and were treated as misses.")
	o.breaker = counter(MetricBreakerTransitions, "{transition}", "State changes of a storage's circuit breaker, by the new state.")
	o.leaseWait = histogram(MetricLeaseWaitDuration, "Time a caller waited for another process's lease.")
	o.evictions = counter(MetricEvictions, "{entry}", "Entries that left an in-process store, by reason.")
	o.refreshes = counter(MetricRefreshes, "{refresh}", "Loads that refreshed an entry, by outcome.")
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("ring: otel: %w", err)
	}
	o.rings = newRingsByInfo()
	o.opNames = newSets(newOpName)
	if o.metrics {
		// The registration lasts as long as the meter provider: an
		// Observer is meant to live as long as the program.
		if _, err := m.RegisterCallback(o.collect, o.gets, o.coalesced, o.failOpen, o.decode,
			o.breaker, o.evictions, o.refreshes); err != nil {
			return nil, fmt.Errorf("ring: otel: %w", err)
		}
	}
	return o, nil
}

// collect reports the counters' series to the SDK.
func (o *Observer) collect(_ context.Context, m metric.Observer) error {
	for _, a := range o.rings.all() {
		for _, c := range a.gets {
			c.observe(m, o.gets)
		}
		a.coalesced.observe(m, o.coalesced)
		a.decode.observe(m, o.decode)
		a.breakerOpen.observe(m, o.breaker)
		a.breakerClosed.observe(m, o.breaker)
		a.evicted.observe(m, o.evictions)
		a.expired.observe(m, o.evictions)
		for _, c := range a.refreshes {
			c.observe(m, o.refreshes)
		}
		for _, c := range *a.failOpens.m.Load() {
			c.observe(m, o.failOpen)
		}
	}
	return nil
}

// Request counts n requests of info's ring with result r (cache.gets).
func (o *Observer) Request(ctx context.Context, info *observe.Info, r observe.Result, n int) {
	if !o.metrics || int(r) >= observe.NumResults {
		return
	}
	o.rings.get(info).gets[r].n.Add(int64(n))
}

// StartLoad starts the span of a load (ring.load), a child of the span in
// ctx, and returns the context that carries it.
func (o *Observer) StartLoad(ctx context.Context, info *observe.Info, kind observe.LoadKind) context.Context {
	if !o.traces {
		return ctx
	}
	a := o.rings.get(info)
	sctx, span := o.tracer.Start(ctx, SpanLoad, trace.WithSpanKind(trace.SpanKindInternal), trace.WithAttributes(a.base...))
	if !span.IsRecording() {
		return o.notRecorded(ctx, sctx, span)
	}
	span.SetAttributes(attribute.String(AttrLoadKind, kind.String()))
	return &spanContext{Context: sctx, owner: o, span: span}
}

// EndLoad records the load's duration (cache.load.duration, and
// cache.refreshes for a refresh) and ends the span StartLoad started.
func (o *Observer) EndLoad(ctx context.Context, info *observe.Info, load observe.Load) {
	failed := load.Err != nil
	if o.metrics {
		a := o.rings.get(info)
		k := int(load.Kind)
		if k >= len(a.loads) {
			k = 0
		}
		out := 0
		if failed {
			out = 1
		}
		o.loadDur.Record(ctx, load.Duration.Seconds(), a.loads[k][out].rec...)
		if load.Kind == observe.LoadRefresh {
			a.refreshes[out].n.Add(1)
		}
	}
	if span := o.ownSpan(ctx); span != nil {
		if load.Keys > 1 {
			span.SetAttributes(attribute.Int(AttrKeys, load.Keys))
		}
		if failed {
			span.RecordError(load.Err)
			span.SetStatus(codes.Error, load.Err.Error())
		}
		span.End()
	}
}

// StartOp starts the span of a backend operation ("ring." and the
// operation), a child of the span in ctx (the load's, when the operation
// is part of one), and returns the context that carries it.
func (o *Observer) StartOp(ctx context.Context, info *observe.Info, op observe.Op) context.Context {
	if !o.traces {
		return ctx
	}
	a := o.rings.get(info)
	name := o.opNames.get(op.Name)
	sctx, span := o.tracer.Start(ctx, name.span, trace.WithSpanKind(trace.SpanKindClient), trace.WithAttributes(a.base...))
	if !span.IsRecording() {
		return o.notRecorded(ctx, sctx, span)
	}
	span.SetAttributes(attribute.String(AttrOperation, name.attr))
	if op.Keys > 1 {
		span.SetAttributes(attribute.Int(AttrKeys, op.Keys))
	}
	return &spanContext{Context: sctx, owner: o, span: span}
}

// EndOp records the operation's duration (cache.operation.duration) and
// ends the span StartOp started, with cache.hit on a single-key get.
func (o *Observer) EndOp(ctx context.Context, info *observe.Info, op observe.Op) {
	name := o.opNames.get(op.Name)
	if o.metrics {
		o.opDur.Record(ctx, op.Duration.Seconds(), o.rings.get(info).op(name.attr, errorType(op.Err)).rec...)
	}
	if span := o.ownSpan(ctx); span != nil {
		if op.Err != nil {
			span.SetAttributes(attribute.String(AttrErrorType, errorType(op.Err)))
			span.RecordError(op.Err)
			span.SetStatus(codes.Error, op.Err.Error())
		} else if name.attr == "get" && op.Keys == 1 {
			span.SetAttributes(attribute.Bool(AttrHit, op.Found > 0))
		}
		span.End()
	}
}

// opName is a backend operation's name as an attribute value ("get",
// "get_many": the core's words joined by '_') and as a span name.
type opName struct{ attr, span string }

func newOpName(op string) *opName {
	attr := strings.ReplaceAll(op, " ", "_")
	return &opName{attr: attr, span: SpanOpPrefix + attr}
}

// Event counts the other events: coalesced callers, absorbed failures,
// decode failures, breaker changes, lease waits and evictions.
func (o *Observer) Event(ctx context.Context, info *observe.Info, ev observe.Event) {
	if !o.metrics {
		return
	}
	a := o.rings.get(info)
	n := int64(ev.N)
	if n <= 0 {
		n = 1
	}
	switch ev.Kind {
	case observe.EventCoalesced:
		a.coalesced.n.Add(n)
	case observe.EventFailOpen:
		a.failOpens.get(ev.Op).n.Add(n)
	case observe.EventDecode:
		a.decode.n.Add(n)
	case observe.EventBreakerOpen:
		a.breakerOpen.n.Add(1)
	case observe.EventBreakerClosed:
		a.breakerClosed.n.Add(1)
	case observe.EventLeaseWait:
		o.leaseWait.Record(ctx, ev.Duration.Seconds(), a.leaseWait.rec...)
	case observe.EventEviction:
		if ev.Op == "expire" {
			a.expired.n.Add(n)
		} else {
			a.evicted.n.Add(n)
		}
	}
}

// errorType is the error.type of a failed operation: "" on success.
func errorType(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ring.ErrStorageUnavailable):
		return "unavailable"
	case errors.Is(err, ring.ErrStorageTimeout), errors.Is(err, context.DeadlineExceeded):
		return "timeout"
	case errors.Is(err, context.Canceled):
		return "canceled"
	}
	return "_OTHER"
}

// notRecorded is what Start returns for a span that is not recorded: the
// caller's ctx when the span only repeats the caller's span context (a
// no-op tracer: this Observer then records no span at all); otherwise (a
// span the sampler dropped: the operations under it are dropped too) sctx
// marked as this Observer's, with no span, so that End finds the mark and
// not a span of an enclosing load.
func (o *Observer) notRecorded(ctx, sctx context.Context, span trace.Span) context.Context {
	if span.SpanContext().Equal(trace.SpanContextFromContext(ctx)) {
		return ctx
	}
	return &spanContext{Context: sctx, owner: o}
}

// spanContext is the context a Start of owner returned: it carries the
// span it started (nil: none was recorded), which the matching End ends.
type spanContext struct {
	context.Context
	owner *Observer
	span  trace.Span
}

// spanKey finds, in a context, the innermost spanContext of o: with
// several Observers on a ring (observe.Multi), each finds its own.
type spanKey struct{ o *Observer }

// Value returns c for its owner's spanKey.
func (c *spanContext) Value(key any) any {
	if k, ok := key.(spanKey); ok && k.o == c.owner {
		return c
	}
	return c.Context.Value(key)
}

// ownSpan returns the span that the Start which returned ctx started, nil
// when it started none (tracing off, a span not recorded).
func (o *Observer) ownSpan(ctx context.Context) trace.Span {
	if !o.traces {
		return nil
	}
	if c, ok := ctx.(*spanContext); ok && c.owner == o {
		return c.span
	}
	if c, ok := ctx.Value(spanKey{o}).(*spanContext); ok {
		return c.span
	}
	return nil
}
