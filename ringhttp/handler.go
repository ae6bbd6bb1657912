package ringhttp

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/maphash"
	"math/rand/v2"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// DefaultMaxBody is the body size past which a response streams through
// uncached when Options.MaxBody is 0: 1 MiB.
const DefaultMaxBody = 1 << 20

// specFloor is the least time-to-live of a vary spec: it must outlive a
// render that started under it.
const specFloor = 10 * time.Minute

// Options are the HTTP side of a Handler; the storage side is ring options.
// The zero value is valid: responses are stored only with explicit
// freshness, bodies up to DefaultMaxBody.
type Options struct {
	// MaxTTL caps every lifetime, explicit ones included; 0 means no cap.
	MaxTTL time.Duration
	// MaxBody is the largest body stored; a larger response streams to its
	// client once MaxBody bytes are buffered, and is not stored. 0 means
	// DefaultMaxBody.
	MaxBody int64
	// ETag adds a strong ETag computed from the body to a stored 200
	// response that has neither ETag nor Last-Modified, so that clients can
	// revalidate it with If-None-Match.
	ETag bool
	// IgnoreRequestCacheControl makes the cache ignore the request's
	// Cache-Control and Pragma (no-store, no-cache, max-age,
	// only-if-cached), as Django's cache middleware and most CDNs do, so
	// that no client can force a render. By default they are honoured
	// (RFC 9111).
	IgnoreRequestCacheControl bool
}

// Handler is an http.Handler that serves a wrapped handler's responses
// from a ring cache, as a shared cache under RFC 9111 (see the package doc
// for the rules). Its methods are its sub-functions. A Handler is safe for
// concurrent use.
type Handler struct {
	next  http.Handler
	opts  Options
	pol   policy
	store *ring.Cache[[]byte]
	// name is the Ring of the events reported to OnError; timeout bounds
	// each storage step (0: none); leases is set when Lease applies (a
	// storage that leases).
	name    string
	timeout time.Duration
	leases  bool
	flights flights
	// locks order, in this process, a render's store against DeletePath
	// for the same URL.
	locks [64]sync.Mutex
	seed  maphash.Seed
	// inProcess is set on a storage that hands back the bytes it stored
	// (an LRU or Dict without a coder): decoded keeps their decodings.
	inProcess bool
	decoded   decodedCache
	keys      keyCache
	// peak is the most body bytes one render has buffered.
	peak atomic.Int64
	// br is the circuit breaker (nil: none; see breaker.go), unreachable
	// tells the storage's failures from its answers, skipped is the error
	// of an operation the open breaker skipped, and seenOpen whether the
	// handler last reported br open. On a storage that spreads keys over
	// several servers, node names a key's server (whose breaker is
	// br.Node(name)), refresh asks the client to learn the layout again,
	// and seen holds seenOpen for each node's breaker
	// (*backends.Breaker -> *atomic.Bool).
	br          *backends.Breaker
	unreachable func(error) bool
	skipped     error
	seenOpen    atomic.Bool
	node        func(ctx context.Context, key string) (string, error)
	refresh     func()
	seen        sync.Map
	// refreshing holds the variant keys whose stale entry a background
	// render is replacing (string -> struct{}), and bg counts those
	// renders.
	refreshing sync.Map
	bg         sync.WaitGroup
}

// New returns a Handler caching the responses of next. opts are the HTTP
// side; the ring options are the same as any ring's, and mean what they
// mean on a ring (docs/http.md has the table):
//
//   - the storage (LRU, the default with 1024 entries, Dict, Dummy,
//     Storage with any backend, storeurl.Open's), Coder and its
//     compression layers, KeyPrefix, Preset;
//   - Expire: the freshness lifetime of a heuristically cacheable response
//     (200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501) that gives
//     none (no s-maxage, max-age or Expires), the timeout of Django's
//     cache_page(timeout); without it only responses with explicit
//     freshness are stored. ExpireJitter shortens every stored lifetime by
//     a random factor in (1-fraction, 1];
//   - StorageTimeout, CircuitBreaker: each storage step is bounded, and a
//     failing storage skipped, as a ring's (default on a remote storage
//     100ms, and 5 failures with a 500ms cool-down); the page is then
//     rendered uncached (fail-open);
//   - OnError: the failures the handler absorbs, as Events;
//   - StaleWhileRevalidate, StaleIfError (RFC 5861): the windows of a
//     response that gives none in its Cache-Control; RefreshAhead: a hit
//     older than its age is served and rendered again in the background;
//   - Lease: one render of a page at a time across the processes that
//     share a Redis or memcached storage;
//   - any other option a Cache takes (an observer) reaches the store.
//
// Options that describe a cached function (key options, TTLFunc,
// WithStrategy, BatchWindow and the like) are an error naming them.
func New(next http.Handler, opts Options, ringOpts ...ring.Option) (*Handler, error) {
	var bad []error
	if next == nil {
		bad = append(bad, errors.New("ringhttp: nil handler"))
	}
	if opts.MaxTTL < 0 {
		bad = append(bad, fmt.Errorf("ringhttp: negative MaxTTL %v", opts.MaxTTL))
	}
	if opts.MaxBody < 0 {
		bad = append(bad, fmt.Errorf("ringhttp: negative MaxBody %d", opts.MaxBody))
	}
	pol, storeOpt, err := readOptions(ringOpts)
	if err != nil {
		bad = append(bad, err)
	}
	if len(bad) > 0 {
		return nil, errors.Join(bad...)
	}
	if opts.MaxBody == 0 {
		opts.MaxBody = DefaultMaxBody
	}
	store, err := ring.NewCache[[]byte](storeOpt)
	if err != nil {
		return nil, fmt.Errorf("ringhttp: %w", err)
	}
	h := &Handler{next: next, opts: opts, pol: pol, store: store, seed: maphash.MakeSeed(),
		name: strings.TrimSpace("ringhttp " + store.Prefix())}
	switch {
	case pol.storageTimeout != nil:
		h.timeout = *pol.storageTimeout
	case backends.Remote(store.Storage()):
		h.timeout = defaultStorageTimeout
	}
	switch backends.Unwrap(store.Storage()).(type) {
	case *backends.LRU, *backends.Dict:
		h.inProcess = store.Coder() == nil
	}
	h.decoded.seed, h.keys.seed = h.seed, h.seed
	_, h.leases = backends.Unwrap(store.Storage()).(backends.Leaser)
	h.leases = h.leases && pol.lease > 0
	if err := h.setBreaker(); err != nil {
		return nil, err
	}
	return h, nil
}

// Cache returns the store layer underneath: the entries are []byte in the
// format documented in docs/http.md.
func (h *Handler) Cache() *ring.Cache[[]byte] { return h.store }

// report hands OnError an event: op names the step ("get", "set",
// "delete", "decode", "refresh", "stale-if-error", "lease",
// ring.OpBreakerOpen), key the URL or backend key.
func (h *Handler) report(op, key string, err error) {
	if h.pol.onError != nil && err != nil {
		h.pol.onError(ring.Event{Ring: h.name, Op: op, Key: key, Err: err})
	}
}

// failOpen serves r uncached after a storage step failed with err: a
// failure is reported, a step the open breaker skipped is not (the
// opening was).
func (h *Handler) failOpen(w http.ResponseWriter, r *http.Request, err error) {
	if h.skippedErr(err) {
		h.bypass(w, r, "ring; fwd=miss; detail=breaker-open")
		return
	}
	h.report("get", urlKey(r.URL), err)
	h.bypass(w, r, "ring; fwd=miss; detail=storage")
}

// ServeHTTP serves r from the cache when it can and renders it with the
// wrapped handler otherwise.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.serve(w, r, true) }

// serve is ServeHTTP; again tells whether a follower whose leader's
// response varied on a value of its own may look again (once), now that
// the URL's Vary is known, instead of rendering alone.
func (h *Handler) serve(w http.ResponseWriter, r *http.Request, again bool) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		h.serveUnsafe(w, r)
		return
	}
	if field(r.Header, "Range") != "" || field(r.Header, "Upgrade") != "" {
		h.bypass(w, r, "ring; fwd=bypass")
		return
	}
	reqCC := cacheControl{maxAge: -1, sMaxAge: -1}
	if !h.opts.IgnoreRequestCacheControl {
		reqCC = parseCacheControl(r.Header)
		if len(r.Header["Cache-Control"]) == 0 && strings.Contains(strings.ToLower(field(r.Header, "Pragma")), "no-cache") {
			reqCC.noCache = true
		}
	}
	if reqCC.noStore {
		h.bypass(w, r, "ring; fwd=request; detail=no-store")
		return
	}
	ctx := r.Context()
	uk := urlKey(r.URL)
	auth := field(r.Header, "Authorization") != ""
	sp, err := h.loadSpec(ctx, uk)
	if err != nil {
		h.failOpen(w, r, err)
		return
	}
	fwd := "uri-miss"
	// stale is a stored response past its freshness that StaleIfError
	// lets the render fall back on if it fails.
	var stale *entry
	if sp != nil && sp.learned {
		vk := h.keys.variant(uk, r.Host, sp.gen, sp.vary, r.Header)
		e, err := h.loadAny(ctx, vk)
		if err != nil {
			h.failOpen(w, r, err)
			return
		}
		now := time.Now()
		if e != nil && !now.Before(e.expires) {
			// A stale entry serves only a request that does not limit what
			// it accepts (RFC 5861 serves stale only when nothing forbids
			// it), within its windows.
			if !reqCC.noCache && reqCC.maxAge < 0 && (!auth || e.authOK) {
				cc := parseCacheControl(e.header)
				switch {
				case now.Before(e.expires.Add(staleWindow(cc, h.pol.swr))):
					h.revalidate(r, uk, sp, vk)
					h.write(w, r, e, hitStatus(e, now)+"; detail=stale", true)
					return
				case now.Before(e.expires.Add(errorWindow(cc, h.pol.sie))):
					stale = e
				}
			}
			e = nil
		}
		switch {
		case e == nil:
			if len(sp.vary) > 0 {
				fwd = "vary-miss"
			}
		case reqCC.noCache || (reqCC.maxAge >= 0 && age(e, now) > reqCC.maxAge):
			fwd = "request"
		case auth && !e.authOK:
			fwd = "miss" // an entry exists, but not for this request
		default:
			if h.pol.ahead > 0 && now.Sub(e.stored) >= h.pol.ahead {
				h.revalidate(r, uk, sp, vk) // RefreshAhead
			}
			h.writeHit(w, r, e, now)
			return
		}
	} else if reqCC.noCache {
		fwd = "request"
	}
	if reqCC.onlyIfCached {
		w.Header().Set("Cache-Status", "ring; fwd="+fwd+"; detail=only-if-cached")
		http.Error(w, "ringhttp: not in the cache (only-if-cached)", http.StatusGatewayTimeout)
		return
	}
	if sp == nil {
		if sp, err = h.createSpec(ctx, uk); err != nil {
			h.failOpen(w, r, err)
			return
		}
	}
	if auth || fwd == "request" {
		// Rendered for this request alone: never shared with a flight.
		h.render(w, r, uk, sp, fwd, "", nil, stale)
		return
	}
	h.collapse(w, r, uk, sp, fwd, again, stale)
}

// revalidate renders r again in the background, unless a render of its
// variant vk is already running, on r's context without its cancel,
// bounded by the refresh timeout (StaleWhileRevalidate's or
// RefreshAhead's, else 30s); the response is stored as a miss's would be,
// and a failure (a panic included) goes to OnError as a "refresh" event.
func (h *Handler) revalidate(r *http.Request, uk string, sp *spec, vk string) {
	if _, running := h.refreshing.LoadOrStore(vk, struct{}{}); running {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(r.Context()), h.pol.refreshTimeout)
	rr := r.Clone(ctx)
	rr.Body = http.NoBody
	rr.Method = http.MethodGet
	for _, f := range conditionalFields {
		rr.Header.Del(f)
	}
	h.bg.Add(1)
	go func() {
		defer h.bg.Done()
		defer h.refreshing.Delete(vk)
		defer cancel()
		defer func() {
			if p := recover(); p != nil {
				h.report("refresh", uk, fmt.Errorf("ringhttp: refresh %s: the handler panicked: %v", uk, p))
			}
		}()
		if h.leases {
			token, ok, err := h.takeLease(ctx, vk)
			switch {
			case err != nil && !h.skippedErr(err):
				h.report("lease", vk, err) // and render without it
			case err == nil && !ok:
				return // another process renders the page
			case ok:
				defer h.releaseLease(ctx, vk, token)
			}
		}
		switch _, reason := h.render(nil, rr, uk, sp, "stale", "", nil, nil); reason {
		case "", "deleted", "storage", "breaker-open":
			// Stored, expired meanwhile, or a storage failure render
			// reported (or the open breaker's, reported once).
		default:
			h.report("refresh", uk, fmt.Errorf("ringhttp: refresh %s: %w: %s", uk, ErrNotStored, reason))
		}
	}()
}

// collapse renders r once for every concurrent request of the same key:
// the first renders, the others wait and get a copy of what it stored, or
// render for themselves when it could not be shared with them. stale, if
// not nil, is what a failing render falls back on (StaleIfError).
func (h *Handler) collapse(w http.ResponseWriter, r *http.Request, uk string, sp *spec, fwd string, again bool, stale *entry) {
	ctx := r.Context()
	fk := uk + "\x00" + strings.ToLower(r.Host) + "\x00" + strconv.FormatUint(sp.gen, 16) + "\x00"
	if sp.learned {
		fk += variantKey(uk, r.Host, sp.gen, sp.vary, r.Header)
	}
	c, leader := h.flights.join(fk)
	if !leader {
		select {
		case <-c.done:
		case <-ctx.Done():
			if stale != nil && errors.Is(ctx.Err(), context.DeadlineExceeded) {
				// The request's deadline passed while the leader renders:
				// the stale page answers (the leader reports its failure).
				h.write(w, r, stale, "ring; fwd=stale; detail=stale-if-error; collapsed", true)
			}
			return // the client is gone: nothing to write to
		}
		res := c.res
		switch {
		case res.share && res.e != nil && sameValues(res, r.Header) && res.stale:
			h.write(w, r, res.e, "ring; fwd=stale; detail=stale-if-error; collapsed", true)
		case res.share && res.e != nil && sameValues(res, r.Header):
			h.write(w, r, res.e, "ring; fwd="+fwd+"; collapsed", false)
		case res.share && !sp.learned && again:
			// The leader stored a variant of another value: the URL's
			// Vary is now known, so this request's own variant has a
			// flight of its own.
			h.serve(w, r, false)
		default:
			h.render(w, r, uk, sp, fwd, "", nil, stale)
		}
		return
	}
	defer h.flights.finish(fk, c, result{}) // on every path, a panic included
	// Check again inside the flight: a render that just finished may have
	// stored the response.
	if sp2, err := h.loadSpec(ctx, uk); err == nil && sp2 != nil && sp2.learned && sp2.gen == sp.gen {
		vk := variantKey(uk, r.Host, sp2.gen, sp2.vary, r.Header)
		if e, err := h.loadEntry(ctx, vk); err == nil && e != nil {
			names, values := varyValues(sp2.vary, r.Header)
			h.flights.finish(fk, c, result{e: e, vary: names, values: values, share: true})
			h.write(w, r, e, hitStatus(e, time.Now()), true)
			return
		}
	}
	if h.leases {
		release, answered := h.awaitLease(w, r, uk, sp, fk, c)
		if answered {
			return
		}
		defer release()
	}
	h.render(w, r, uk, sp, fwd, fk, c, stale)
}

// render runs the wrapped handler for r, stores the response if it may be
// stored, resolves c (if not nil) and answers w (if not nil). It returns
// the response and why it was not stored ("" when it was). When the
// render fails (a panic, a 500, 502, 503 or 504, the request's deadline)
// and stale is not nil, stale answers instead (RFC 5861 stale-if-error),
// and followers of c get it too.
func (h *Handler) render(w http.ResponseWriter, r *http.Request, uk string, sp *spec, fwd, fk string, c *call, stale *entry) (*entry, string) {
	ctx := r.Context()
	rr := r.Clone(ctx)
	rr.Method = http.MethodGet
	for _, f := range conditionalFields {
		rr.Header.Del(f)
	}
	status := "ring; fwd=" + fwd
	rec := &recorder{w: w, header: make(http.Header), max: h.opts.MaxBody, peak: &h.peak}
	rec.onStream = func(reason string) {
		rec.snapshot.Set("Cache-Status", status+"; detail="+reason)
		if c != nil {
			h.flights.finish(fk, c, result{})
		}
	}
	p := h.run(rec, rr, stale != nil)
	if rec.streaming {
		if p != nil {
			panic(p) // too late to fall back: as without StaleIfError
		}
		return nil, "streamed"
	}
	if stale != nil {
		if failed := renderFailure(ctx, rec, p); failed != "" {
			h.report("stale-if-error", uk, fmt.Errorf("ringhttp: render %s: %s: %w", uk, failed, errRenderFailed))
			if c != nil {
				names, values := varyValues(sp.vary, rr.Header)
				h.flights.finish(fk, c, result{e: stale, vary: names, values: values, share: true, stale: true})
			}
			if w != nil {
				h.write(w, r, stale, "ring; fwd=stale; detail=stale-if-error", true)
			}
			return stale, "stale-if-error"
		}
		if p != nil {
			panic(p)
		}
	}
	if !rec.wrote {
		rec.WriteHeader(http.StatusOK)
	}
	now := time.Now()
	e := &entry{status: rec.status, header: rec.snapshot, body: rec.buf, stored: now}
	if e.header.Get("Date") == "" {
		e.header.Set("Date", now.UTC().Format(http.TimeFormat))
	}
	if h.opts.ETag && e.status == http.StatusOK && e.header.Get("Etag") == "" && e.header.Get("Last-Modified") == "" {
		sum := sha256.Sum256(e.body)
		e.header.Set("Etag", `"`+hex.EncodeToString(sum[:16])+`"`)
	}
	e.header.Del("Cache-Status")
	cc := parseCacheControl(e.header)
	reason, authOK := whyNot(e.status, e.header, cc, r.Header.Get("Authorization") != "")
	ttl := lifetime(e.status, e.header, cc, now, h.pol.expire)
	if h.opts.MaxTTL > 0 {
		ttl = min(ttl, h.opts.MaxTTL)
	}
	if h.pol.jitter > 0 {
		// ExpireJitter: a factor in (1-fraction, 1], as a ring's writes.
		ttl = time.Duration(float64(ttl) * (1 - h.pol.jitter*rand.Float64()))
	}
	// The entry stays stored for its stale windows too.
	keep := ttl + h.staleKeep(cc)
	if reason == "" && ttl <= 0 {
		reason = "stale"
	}
	if reason == "" && ctx.Err() != nil {
		reason = "aborted"
	}
	res := result{}
	if reason == "" {
		// The stored copy never carries a cookie: it is another client's.
		stored := &entry{status: e.status, header: e.header.Clone(), body: e.body, stored: now,
			expires: now.Add(ttl), authOK: authOK}
		stored.header.Del("Set-Cookie")
		for _, f := range hopByHop {
			stored.header.Del(f)
		}
		ok, err := h.put(ctx, uk, rr.Host, sp.gen, rr.Header, stored, keep)
		switch {
		case h.skippedErr(err):
			reason = "breaker-open"
		case err != nil:
			h.report("set", uk, err)
			reason = "storage"
		case !ok:
			reason = "deleted" // DeletePath ran during the render
		default:
			names, _ := parseVary(stored.header)
			_, values := varyValues(names, rr.Header)
			res = result{e: stored, vary: names, values: values, share: true}
			e.expires = stored.expires
		}
	}
	if c != nil {
		h.flights.finish(fk, c, res)
	}
	if w != nil {
		if reason == "" {
			status += "; stored"
		} else {
			status += "; detail=" + reason
		}
		h.write(w, r, e, status, false)
	}
	return e, reason
}

// errRenderFailed is what a stale-if-error event wraps.
var errRenderFailed = errors.New("the stale page answered")

// run runs the wrapped handler; with recovering set, a panic (other than
// http.ErrAbortHandler) is returned instead of raised.
func (h *Handler) run(rec *recorder, r *http.Request, recovering bool) (p any) {
	if recovering {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler { //nolint:errorlint // a sentinel value panicked with
					panic(v)
				}
				p = v
			}
		}()
	}
	h.next.ServeHTTP(rec, r)
	return nil
}

// renderFailure says how a render failed in the sense of RFC 5861's
// stale-if-error ("" when it did not): it panicked with p, its request's
// deadline passed, or it answered 500, 502, 503 or 504.
func renderFailure(ctx context.Context, rec *recorder, p any) string {
	switch {
	case p != nil:
		return fmt.Sprintf("the handler panicked: %v", p)
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return "the request's deadline passed"
	case rec.wrote:
		switch rec.status {
		case http.StatusInternalServerError, http.StatusBadGateway, http.StatusServiceUnavailable, http.StatusGatewayTimeout:
			return "status " + strconv.Itoa(rec.status)
		}
	}
	return ""
}

// staleKeep is how long past its freshness a response with Cache-Control
// cc stays stored: its longest stale window.
func (h *Handler) staleKeep(cc cacheControl) time.Duration {
	return max(staleWindow(cc, h.pol.swr), errorWindow(cc, h.pol.sie))
}

// write answers r with e: a 304 when r's conditions allow, the whole
// response otherwise (its header only for HEAD).
func (h *Handler) write(w http.ResponseWriter, r *http.Request, e *entry, status string, fromCache bool) {
	// Fields an outer middleware set on w stay, unless the entry has them.
	hdr := w.Header()
	if notModified(r, e) {
		for _, f := range notModifiedFields {
			if vs := e.header[f]; len(vs) > 0 {
				hdr[f] = append([]string(nil), vs...)
			}
		}
		if e.header.Get("Etag") == "" && e.header.Get("Last-Modified") != "" {
			hdr.Set("Last-Modified", e.header.Get("Last-Modified"))
		}
		if fromCache {
			hdr.Set("Age", strconv.FormatInt(age(e, time.Now()), 10))
		}
		hdr.Set("Cache-Status", status)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	for k, vs := range e.header {
		hdr[k] = vs[:len(vs):len(vs)] // read-only here; an append copies
	}
	if fromCache {
		hdr.Set("Age", strconv.FormatInt(age(e, time.Now()), 10))
	}
	hdr.Set("Cache-Status", status)
	if e.status != http.StatusNoContent && e.status != http.StatusNotModified {
		hdr.Set("Content-Length", strconv.Itoa(len(e.body)))
	}
	w.WriteHeader(e.status)
	if r.Method != http.MethodHead && len(e.body) > 0 {
		_, _ = w.Write(e.body)
	}
}

// bypass serves r with the wrapped handler, not stored.
func (h *Handler) bypass(w http.ResponseWriter, r *http.Request, status string) {
	w.Header().Set("Cache-Status", status)
	h.next.ServeHTTP(w, r)
}

// serveUnsafe passes a request with an unsafe method through, and
// invalidates its URL when the response succeeds (RFC 9111 section 4.4).
func (h *Handler) serveUnsafe(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Status", "ring; fwd=method")
	sw := &statusWriter{w: w}
	h.next.ServeHTTP(sw, r)
	if sw.status == 0 {
		sw.status = http.StatusOK
	}
	if sw.status < 400 {
		if err := h.deleteURL(context.WithoutCancel(r.Context()), urlKey(r.URL)); err != nil {
			h.report("delete", urlKey(r.URL), err)
		}
	}
}

// hitStatus is the Cache-Status of a hit on e.
func hitStatus(e *entry, now time.Time) string {
	var b [32]byte
	return string(strconv.AppendInt(append(b[:0], "ring; hit; ttl="...), int64(e.expires.Sub(now)/time.Second), 10))
}

func age(e *entry, now time.Time) int64 {
	return max(int64(now.Sub(e.stored)/time.Second), 0)
}

// urlKey is the part of the keys that names a URL: its escaped path and
// query, hashed when longer than 200 bytes.
func urlKey(u *url.URL) string {
	k := u.EscapedPath()
	if k == "" {
		k = "/"
	}
	if u.RawQuery != "" || u.ForceQuery {
		k += "?" + u.RawQuery
	}
	if len(k) > 200 || strings.ContainsAny(k, " \r\n\x00") {
		sum := sha256.Sum256([]byte(k))
		k = "#" + hex.EncodeToString(sum[:])
	}
	return k
}

func specKey(uk string) string { return "s:" + uk }

// variantKey is the key of the response to a request for host with header
// hdr, under generation gen of a URL whose responses vary on names. The
// host (lower-cased) is always part of it, as if every response varied on
// Host: one handler serving several sites never answers a request for one
// with a page of another, while the URL's vary spec, and so DeletePath,
// stays one per path. It is "e:", the URL key, ":", gen in hex, ":", and
// the first 16 bytes, in hex, of the SHA-256 of the host and of each
// field's name and values (joined with ", "), each followed by a 0 byte.
func variantKey(uk, host string, gen uint64, names []string, hdr http.Header) string {
	var buf [256]byte
	return keyOf(uk, gen, hashInput(buf[:0], host, names, hdr))
}

func varyValues(names []string, hdr http.Header) ([]string, []string) {
	values := make([]string, len(names))
	for i, n := range names {
		values[i] = strings.Join(hdr.Values(n), ", ")
	}
	return names, values
}

// sameValues reports whether hdr has the values res's request had for the
// fields res's response varies on.
func sameValues(res result, hdr http.Header) bool {
	_, values := varyValues(res.vary, hdr)
	return slices.Equal(values, res.values)
}

func (h *Handler) lock(uk string) *sync.Mutex {
	return &h.locks[maphash.String(h.seed, uk)%uint64(len(h.locks))]
}

// bound returns ctx bounded by the storage timeout, if any.
func (h *Handler) bound(ctx context.Context) (context.Context, context.CancelFunc) {
	if h.timeout <= 0 {
		return ctx, func() {}
	}
	return backends.WithOpTimeout(ctx, h.timeout)
}

func (h *Handler) loadSpec(ctx context.Context, uk string) (*spec, error) {
	octx, cancel := h.bound(ctx)
	defer cancel()
	return h.readSpec(ctx, octx, uk)
}

// readSpec reads uk's vary spec within a step: ctx is the caller's
// context, octx the step's.
func (h *Handler) readSpec(ctx, octx context.Context, uk string) (*spec, error) {
	br, probe, err := h.admit(octx, specKey(uk))
	if err != nil {
		return nil, fmt.Errorf("ringhttp: read the vary spec of %s: %w", uk, err)
	}
	b, ok, err := h.store.Get(octx, specKey(uk))
	h.done(ctx, octx, br, probe, err)
	if err != nil {
		return nil, fmt.Errorf("ringhttp: read the vary spec of %s: %w", uk, err)
	}
	if !ok {
		return nil, nil
	}
	sp, err := h.specOf(specKey(uk), b)
	if err != nil {
		h.report("decode", specKey(uk), fmt.Errorf("ringhttp: the vary spec of %s %w (a miss)", uk, err))
		return nil, nil
	}
	return sp, nil
}

// loadEntry reads the fresh entry under key: nil when absent or stale.
func (h *Handler) loadEntry(ctx context.Context, key string) (*entry, error) {
	e, err := h.loadAny(ctx, key)
	if e != nil && !time.Now().Before(e.expires) {
		return nil, err
	}
	return e, err
}

// loadAny reads the entry under key, stale or not.
func (h *Handler) loadAny(ctx context.Context, key string) (*entry, error) {
	octx, cancel := h.bound(ctx)
	defer cancel()
	br, probe, err := h.admit(octx, key)
	if err != nil {
		return nil, fmt.Errorf("ringhttp: read %s: %w", key, err)
	}
	b, ok, err := h.store.Get(octx, key)
	h.done(ctx, octx, br, probe, err)
	if err != nil {
		return nil, fmt.Errorf("ringhttp: read %s: %w", key, err)
	}
	if !ok {
		return nil, nil
	}
	e, err := h.entryOf(key, b)
	if err != nil {
		h.report("decode", key, fmt.Errorf("ringhttp: the entry %s %w (a miss)", key, err))
		return nil, nil
	}
	return e, nil
}

// set writes one entry within a step (see readSpec).
func (h *Handler) set(ctx, octx context.Context, key string, b []byte, o ring.SetOptions) (written bool, err error) {
	br, probe, err := h.admit(octx, key)
	if err != nil {
		return false, err
	}
	written, err = h.store.Set(octx, key, b, o)
	h.done(ctx, octx, br, probe, err)
	return written, err
}

// del deletes one entry within a step (see readSpec).
func (h *Handler) del(ctx, octx context.Context, key string) error {
	br, probe, err := h.admit(octx, key)
	if err != nil {
		return err
	}
	_, err = h.store.Delete(octx, key)
	h.done(ctx, octx, br, probe, err)
	return err
}

// createSpec starts a generation for uk, unless another request just did.
func (h *Handler) createSpec(ctx context.Context, uk string) (*spec, error) {
	sp := &spec{gen: rand.Uint64() | 1, expires: time.Now().Add(specFloor + h.pol.expire)}
	octx, cancel := h.bound(ctx)
	defer cancel()
	ok, err := h.set(ctx, octx, specKey(uk), sp.encode(), ring.SetOptions{TTL: time.Until(sp.expires), IfNotExists: true})
	if err != nil {
		return nil, fmt.Errorf("ringhttp: write the vary spec of %s: %w", uk, err)
	}
	if ok {
		return sp, nil
	}
	other, err := h.readSpec(ctx, octx, uk)
	if err != nil || other != nil {
		return other, err
	}
	// Gone meanwhile, or a stored spec that does not decode: replace it.
	if _, err := h.set(ctx, octx, specKey(uk), sp.encode(), ring.SetOptions{TTL: time.Until(sp.expires)}); err != nil {
		return nil, fmt.Errorf("ringhttp: write the vary spec of %s: %w", uk, err)
	}
	return sp, nil
}

// put stores e for ttl (its freshness and its stale windows)
// under generation gen of uk, unless DeletePath started another generation
// meanwhile (then it reports false), and learns the response's Vary.
func (h *Handler) put(ctx context.Context, uk, host string, gen uint64, reqHeader http.Header, e *entry, ttl time.Duration) (bool, error) {
	mu := h.lock(uk)
	mu.Lock()
	defer mu.Unlock()
	octx, cancel := h.bound(ctx)
	defer cancel()
	shared, err := h.readSpec(ctx, octx, uk)
	if err != nil || shared == nil || shared.gen != gen {
		return false, err
	}
	sp := &spec{gen: shared.gen, expires: shared.expires, learned: shared.learned, vary: shared.vary}
	names, _ := parseVary(e.header)
	if _, err := h.set(ctx, octx, variantKey(uk, host, gen, names, reqHeader), e.encode(), ring.SetOptions{TTL: ttl}); err != nil {
		return false, fmt.Errorf("ringhttp: write the response of %s: %w", uk, err)
	}
	until := time.Now().Add(ttl) // the spec outlives every entry it names
	if !sp.learned || !slices.Equal(sp.vary, names) || sp.expires.Before(until) {
		sp.learned, sp.vary = true, names
		if sp.expires.Before(until) {
			sp.expires = until
		}
		if _, err := h.set(ctx, octx, specKey(uk), sp.encode(), ring.SetOptions{TTL: time.Until(sp.expires)}); err != nil {
			return false, fmt.Errorf("ringhttp: write the vary spec of %s: %w", uk, err)
		}
	}
	return true, nil
}

func (h *Handler) deleteURL(ctx context.Context, uk string) error {
	mu := h.lock(uk)
	mu.Lock()
	defer mu.Unlock()
	octx, cancel := h.bound(ctx)
	defer cancel()
	if err := h.del(ctx, octx, specKey(uk)); err != nil {
		return fmt.Errorf("ringhttp: delete %s: %w", uk, err)
	}
	return nil
}
