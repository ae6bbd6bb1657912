package ringotel

// The names of the instruments, their units and the attribute keys. There
// is no OpenTelemetry semantic convention for caches yet
// (semantic-conventions issue 1747): the names follow the de facto one,
// Micrometer's (cache.gets with a result, cache.evictions), put in OTel's
// form: a dotted namespace, durations as histograms in seconds,
// namespaced attribute keys. docs/observability.md lists them with their
// Prometheus names.
const (
	// MetricGets counts requests by result: Micrometer's cache.gets, with
	// more results than hit and miss.
	MetricGets = "cache.gets"
	// MetricLoadDuration is the duration of each run of the cached
	// function, by kind and outcome.
	MetricLoadDuration = "cache.load.duration"
	// MetricOperationDuration is the duration of each operation on a
	// remote backend, by operation and error.
	MetricOperationDuration = "cache.operation.duration"
	// MetricCoalesced counts callers that joined a load already running
	// for their key (single flight).
	MetricCoalesced = "cache.coalesced"
	// MetricFailOpen counts failures the ring absorbed instead of
	// returning them, by operation.
	MetricFailOpen = "cache.fail_open"
	// MetricDecodeErrors counts stored values that no longer decoded and
	// were treated as misses.
	MetricDecodeErrors = "cache.decode_errors"
	// MetricBreakerTransitions counts the state changes of a storage's
	// circuit breaker, by the new state.
	MetricBreakerTransitions = "cache.breaker.transitions"
	// MetricLeaseWaitDuration is the time a caller waited for another
	// process's lease (Lease).
	MetricLeaseWaitDuration = "cache.lease.wait.duration"
	// MetricEvictions counts entries that left an in-process store, by
	// reason: Micrometer's cache.evictions.
	MetricEvictions = "cache.evictions"
	// MetricRefreshes counts the loads that refreshed an entry (refresh
	// ahead, stale-while-revalidate, XFetch, Refresh), by outcome.
	MetricRefreshes = "cache.refreshes"
)

// Attribute keys. None ever holds a cache key.
const (
	// AttrName is the ring's name (observe.Info.Ring): Micrometer's
	// "cache" tag.
	AttrName = "cache.name"
	// AttrBackend is the storage's name: "lru", "redis", "memcache", ...
	AttrBackend = "cache.backend"
	// AttrTier is "local", "remote" or "near".
	AttrTier = "cache.tier"
	// AttrResult is a request's result: "hit", "miss", "stale",
	// "negative", "bypass", "error".
	AttrResult = "cache.result"
	// AttrLoadKind is why the function ran: "fill", "refresh", "update".
	AttrLoadKind = "cache.load.kind"
	// AttrOutcome is how a load ended: "success" or "error".
	AttrOutcome = "cache.load.outcome"
	// AttrOperation is a backend operation ("get", "set", "get_many",
	// "set_if_absent", ...: the core's names, words joined by '_') or, on
	// cache.fail_open, the operation whose failure was absorbed.
	AttrOperation = "cache.operation"
	// AttrBreakerState is the state a breaker moved to: "open", "closed".
	AttrBreakerState = "cache.breaker.state"
	// AttrEvictionReason is "size" (made room) or "expired".
	AttrEvictionReason = "cache.eviction.reason"
	// AttrErrorType is OpenTelemetry's error.type, set on a failed
	// operation only: "timeout", "unavailable" (breaker open),
	// "canceled", or "_OTHER".
	AttrErrorType = "error.type"
	// AttrHit is set on the span of a single-key get: whether it found
	// the entry.
	AttrHit = "cache.hit"
	// AttrKeys is the number of keys of a bulk operation or a batch load.
	AttrKeys = "cache.keys"
)

// Span names: SpanLoad around each load, SpanOpPrefix followed by the
// operation ("ring.get", "ring.set_many") around each backend operation.
const (
	SpanLoad     = "ring.load"
	SpanOpPrefix = "ring."
)
