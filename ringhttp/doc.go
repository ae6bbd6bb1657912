// Package ringhttp caches the responses of any http.Handler in a ring
// cache: the Go analog of Ring's django cache_page, with sub-functions to
// read, render again and expire a page from anywhere in the program.
//
//	h, err := ringhttp.New(mux, ringhttp.Options{}, ring.Storage(redisstore.New(rdb)), ring.KeyPrefix("page:"),
//		ring.Expire(time.Minute), ring.StaleIfError(time.Hour))
//	http.ListenAndServe(addr, h)
//	...
//	h.DeletePath(ctx, "/articles") // every variant of the list, now
//
// # What is stored and served
//
// The Handler is a shared cache under RFC 9111:
//
//   - Only GET is stored; HEAD is served from the GET entry. Another
//     method passes through, and its success (status below 400) expires
//     its URL (section 4.4). A request with Range or Upgrade passes through.
//   - Statuses 200, 203, 204, 300, 301, 308, 404, 405, 410, 414 and 501 are
//     stored with their explicit freshness (s-maxage, then max-age, then
//     Expires) or ring.Expire; 302 and 307 only with explicit freshness;
//     no other status.
//   - The response's no-store, private and no-cache prevent storing (a
//     cache inside the server has no cheaper way to revalidate than to
//     render, so no-cache is treated as no-store).
//   - A response with Set-Cookie is stored only when it says public or
//     s-maxage, and then without its Set-Cookie: a cookie reaches only the
//     client whose request rendered it.
//   - A response to a request with Authorization is stored only when it
//     says public, s-maxage or must-revalidate, and a request with
//     Authorization is served only from such an entry.
//   - The request's no-store (nothing stored), no-cache (render),
//     max-age (render when older), only-if-cached (504 on a miss) and
//     Pragma: no-cache are honoured unless
//     Options.IgnoreRequestCacheControl.
//   - Vary is learned from the responses: each URL has a vary spec entry
//     that names the request fields its responses vary on; each response
//     is stored under the URL, the spec's generation and the request's
//     values of those fields. Vary: * is not stored.
//   - If-None-Match and If-Modified-Since are answered with 304 from the
//     stored response; the wrapped handler always renders the whole
//     response (the cache removes the conditional fields before it calls
//     it).
//   - A response served from the cache has Age; every response has
//     Cache-Status (RFC 9211): "ring; hit; ttl=N", "ring; fwd=uri-miss;
//     stored", "ring; fwd=vary-miss; stored", "ring; fwd=uri-miss;
//     collapsed", "ring; fwd=request; detail=no-store", "ring;
//     fwd=uri-miss; detail=set-cookie" and so on.
//   - A response's stale-while-revalidate=N (RFC 5861), or
//     ring.StaleWhileRevalidate for one that gives none, keeps it stored
//     N seconds past its freshness: a request then is answered from it at
//     once ("ring; hit; ttl=-S; detail=stale") while one background render
//     per key replaces it; must-revalidate, and a request's no-cache or
//     max-age, forbid that.
//   - A response's stale-if-error=N (RFC 5861), or ring.StaleIfError for
//     one that gives none, keeps it N seconds past its freshness for a
//     render that fails (a panic, a 500, 502, 503 or 504, the request's
//     deadline): that request, and the requests collapsed on it, are
//     answered with the stale page ("ring; fwd=stale;
//     detail=stale-if-error"), and the failure goes to OnError.
//   - Concurrent requests for one key render once: the first renders, the
//     others wait and receive a copy of the stored response. A follower
//     renders for itself when the response could not be shared (it was
//     not stored); one whose value of a varied field differs looks again
//     once the URL's Vary is known, and shares its own variant's render.
//   - A body larger than Options.MaxBody is never buffered whole: once
//     MaxBody bytes are buffered, the header and those bytes are sent and
//     the rest streams through, uncached. A handler that flushes streams
//     the same way.
//
// # Sub-functions
//
// Keyed by request, as a ring's are by arguments: [Handler.Key],
// [Handler.Get], [Handler.Has], [Handler.Update] (render again now),
// [Handler.Delete] (one variant), [Handler.Touch]. [Handler.DeletePath]
// removes every variant of a URL in one write, whatever Vary said: it
// deletes the URL's vary spec, whose generation every variant key includes.
// While the storage's circuit breaker is open they fail at once with an
// error wrapping ring.ErrStorageUnavailable.
//
// # Ring options
//
// A Handler is built from the same options as any ring, which mean what
// they mean on a ring (see [New]): the storage, Coder, KeyPrefix, Preset;
// Expire and ExpireJitter; StorageTimeout and CircuitBreaker; OnError;
// StaleWhileRevalidate, StaleIfError and RefreshAhead; Lease, which makes
// one process at a time render a page among all those that share a Redis
// or memcached storage. Options that describe a cached function (key
// options, TTLFunc, WithStrategy, BatchWindow...) are an error naming them.
//
// # Storage
//
// Entries are stored through ring's store layer ([ring.Cache] of []byte),
// so any ring storage works (LRU, Redis, memcached, disk...) with any
// KeyPrefix or Preset. The entry format is in docs/http.md.
//
// The cache fails open: a storage step that fails (or takes longer than
// ring.StorageTimeout) renders the page uncached, with Cache-Status
// "ring; fwd=miss; detail=storage". A circuit breaker (ring.CircuitBreaker;
// by default on a remote storage 5 consecutive failures open it for 500ms,
// as a ring's) then skips the storage: pages render at once with
// "ring; fwd=miss; detail=breaker-open" until a probe after the cool-down
// finds the storage back. On a storage wrapped with backends.Cancelable (as
// ring.Storage wraps Redis and memcached) the breaker is the storage's own,
// shared with the rings on it.
package ringhttp
