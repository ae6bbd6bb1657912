// Package ringotel reports ring's events (package observe) to
// OpenTelemetry: metrics through a meter, spans through a tracer. It lives
// in a module of its own, github.com/ringcache/ring/otel, so that the core
// module never depends on OpenTelemetry.
//
//	obs, err := ringotel.New() // the global providers; or WithMeterProvider, WithTracerProvider
//	if err != nil {
//		return err
//	}
//	users := ring.Must(ring.Func1(loadUser, ring.Storage(store), ring.Observe(obs)))
//
// One [Observer] serves any number of rings, concurrently.
//
// # Metrics
//
// OpenTelemetry has no semantic convention for caches yet
// (semantic-conventions issue 1747). The names follow the de facto one,
// Micrometer's (cache.gets with a result, cache.evictions), in
// OpenTelemetry's form: a dotted namespace, durations as histograms in
// seconds, namespaced attribute keys. Every series carries the ring's name
// ([AttrName]), its backend ([AttrBackend]) and its tier ([AttrTier]);
// never a key.
//
//   - [MetricGets] (counter): requests, by [AttrResult];
//   - [MetricLoadDuration] (histogram, s): runs of the cached function, by
//     [AttrLoadKind] and [AttrOutcome];
//   - [MetricOperationDuration] (histogram, s): operations on a remote
//     backend, by [AttrOperation] and, when they failed, [AttrErrorType];
//   - [MetricCoalesced], [MetricFailOpen] (by [AttrOperation]),
//     [MetricDecodeErrors], [MetricBreakerTransitions] (by
//     [AttrBreakerState]), [MetricEvictions] (by [AttrEvictionReason]),
//     [MetricRefreshes] (by [AttrOutcome]): counters;
//   - [MetricLeaseWaitDuration] (histogram, s): waits for another
//     process's lease.
//
// The counters are observable instruments: an event adds to an atomic
// integer, and the SDK reads the totals when it collects, so that a hit
// costs a map lookup and an atomic add (no allocation). The histograms
// are recorded as the events come, with attribute sets built once per
// ring.
//
// # Spans
//
// [SpanLoad] surrounds each load, a child of the caller's span (the
// context of the Call), and [SpanOpPrefix] followed by the operation
// ("ring.get", "ring.set", "ring.get_many") each operation on a remote
// backend, with [AttrHit] on a single-key get. The operations made by the
// cached function (a ring inside a ring) are children of the load's span.
// A hit on an in-process store makes no span. An Observer ends only the
// spans it started: a span its sampler dropped leaves the caller's alone.
//
// # Options
//
// [WithMeterProvider] and [WithTracerProvider] choose the providers (the
// global ones by default), [MetricsOnly] and [TracesOnly] turn one signal
// off, [WithDurationBuckets] replaces the histograms' boundaries
// ([DefaultDurationBuckets]: 1 µs to 10 s).
package ringotel
