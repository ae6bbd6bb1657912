// Package observe is the observability seam of ring: the [Observer]
// interface a ring reports its events to, the [Stats] counters behind a
// ring's Stats method, and [Multi]. Package slogobserve (under this one)
// turns the events into log/slog records; module
// github.com/ringcache/ring/otel into OpenTelemetry metrics and spans.
//
// # Events
//
// A ring built with ring.Observe(o) calls o for:
//
//   - each request ([Observer.Request]): a Call, Get, Has or the like,
//     by [Result] (hit, miss, stale, negative, bypass, error); a bulk
//     request reports a count per result;
//   - each load ([Observer.StartLoad], [Observer.EndLoad]): one execution
//     of the cached function to fill a miss, refresh an entry or update
//     it, with its duration and its error;
//   - each operation on a remote backend ([Observer.StartOp],
//     [Observer.EndOp]): Redis, memcached, any guarded storage, with its
//     name, its key count, its duration and its error. The in-process
//     stores (LRU, Dict) are not reported operation by operation: their
//     hit stays as fast as a hand-written map lookup; they report
//     evictions instead;
//   - everything else as an [Event]: callers coalesced by single flight,
//     failures the ring absorbed (fail-open), stored values that no
//     longer decode, circuit breaker state changes, lease waits and
//     evictions.
//
// Every method receives the ring's [Info] (its name, backend and tier),
// built once when the ring is built and passed by pointer: reporting an
// event allocates nothing. Labels never hold a key: only [Event.Key] does,
// for logs, and metrics must not use it.
//
// # Contexts and spans
//
// StartLoad and StartOp return the context the load or operation runs
// with, and EndLoad and EndOp receive that context: an observer that
// traces opens a span in Start (a child of the caller's span, which the
// context carries) and ends it in End. The operations of a load run with
// the context StartLoad returned, so their spans are children of the
// load's. An observer that does not trace returns ctx unchanged.
//
// # Writing an observer
//
// Embed [Base] and override the methods you need: Base's methods do
// nothing, and an observer that embeds it keeps compiling when the
// interface grows. [Multi] combines observers. Observers are called
// concurrently, from the goroutine of the request (or of the background
// refresh), never with a lock of the ring held; they must be safe for
// concurrent use and should return quickly.
package observe
