package ringhttp

import (
	"net/http"
	"net/textproto"
	"slices"
	"strconv"
	"strings"
	"time"
)

// cacheControl is the part of a Cache-Control field this cache reads.
// A delta-seconds of -1 means the directive is absent.
type cacheControl struct {
	noStore, noCache, private, public, mustRevalidate, onlyIfCached bool
	maxAge, sMaxAge                                                 int64
	// swr and sie are stale-while-revalidate and stale-if-error (RFC
	// 5861), -1 when absent.
	swr, sie int64
}

// parseCacheControl reads every Cache-Control line of h. An unparsable
// max-age or s-maxage counts as 0 (RFC 9111 section 4.2.1: treat as stale).
func parseCacheControl(h http.Header) cacheControl {
	cc := cacheControl{maxAge: -1, sMaxAge: -1, swr: -1, sie: -1}
	for _, line := range h["Cache-Control"] {
		for part := range strings.SplitSeq(line, ",") {
			name, value, _ := strings.Cut(strings.TrimSpace(part), "=")
			value = strings.Trim(strings.TrimSpace(value), `"`)
			switch strings.ToLower(strings.TrimSpace(name)) {
			case "no-store":
				cc.noStore = true
			case "no-cache":
				cc.noCache = true
			case "private":
				cc.private = true
			case "public":
				cc.public = true
			case "must-revalidate", "proxy-revalidate":
				cc.mustRevalidate = true
			case "only-if-cached":
				cc.onlyIfCached = true
			case "max-age":
				cc.maxAge = deltaSeconds(value)
			case "s-maxage":
				cc.sMaxAge = deltaSeconds(value)
			case "stale-while-revalidate":
				cc.swr = deltaSeconds(value)
			case "stale-if-error":
				cc.sie = deltaSeconds(value)
			}
		}
	}
	return cc
}

func deltaSeconds(s string) int64 {
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		if err != nil && strings.Trim(s, "0123456789") == "" && s != "" {
			return 1<<31 - 1 // overflow: RFC 9111 1.2.2 says use 2^31
		}
		return 0
	}
	return min(n, 1<<31-1)
}

// parseVary returns the canonical, sorted, unique field names of the Vary
// lines of h, and whether one is "*".
func parseVary(h http.Header) (names []string, star bool) {
	for _, line := range h.Values("Vary") {
		for part := range strings.SplitSeq(line, ",") {
			n := strings.TrimSpace(part)
			switch {
			case n == "":
			case n == "*":
				star = true
			default:
				names = append(names, textproto.CanonicalMIMEHeaderKey(n))
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names), star
}

// heuristic are the statuses RFC 9110 section 15.1 calls heuristically
// cacheable: stored with their explicit freshness, or ring.Expire without.
var heuristic = map[int]bool{200: true, 203: true, 204: true, 300: true, 301: true, 308: true,
	404: true, 405: true, 410: true, 414: true, 501: true}

// explicitOnly are statuses stored only with explicit freshness (max-age,
// s-maxage or Expires).
var explicitOnly = map[int]bool{302: true, 307: true}

// lifetime is a response's freshness lifetime: s-maxage, then max-age, then
// Expires minus Date, then def for a heuristically cacheable status. 0 means
// do not store.
func lifetime(status int, h http.Header, cc cacheControl, now time.Time, def time.Duration) time.Duration {
	switch {
	case cc.sMaxAge >= 0:
		return time.Duration(cc.sMaxAge) * time.Second
	case cc.maxAge >= 0:
		return time.Duration(cc.maxAge) * time.Second
	case h.Get("Expires") != "":
		exp, err := http.ParseTime(h.Get("Expires"))
		if err != nil {
			return 0 // an invalid Expires means already expired
		}
		date := now
		if d, err := http.ParseTime(h.Get("Date")); err == nil {
			date = d
		}
		return max(exp.Sub(date), 0)
	case heuristic[status]:
		return def
	}
	return 0
}

// staleWindow is how long past its freshness a response with Cache-Control
// cc may be served stale while one request renders it again (RFC 5861):
// its stale-while-revalidate, else def; none when it says must-revalidate
// or proxy-revalidate (RFC 9111 section 5.2.2.2 forbids serving it stale).
func staleWindow(cc cacheControl, def time.Duration) time.Duration {
	switch {
	case cc.mustRevalidate:
		return 0
	case cc.swr >= 0:
		return time.Duration(cc.swr) * time.Second
	}
	return def
}

// errorWindow is how long past its freshness a response with
// Cache-Control cc may answer in place of a failing render (RFC 5861
// stale-if-error): its stale-if-error, else def; none when it says
// must-revalidate or proxy-revalidate.
func errorWindow(cc cacheControl, def time.Duration) time.Duration {
	switch {
	case cc.mustRevalidate:
		return 0
	case cc.sie >= 0:
		return time.Duration(cc.sie) * time.Second
	}
	return def
}

// whyNot returns why a response may not be stored ("" when it may), and
// whether a request with Authorization may later be served from it.
func whyNot(status int, h http.Header, cc cacheControl, auth bool) (reason string, authOK bool) {
	shared := cc.public || cc.sMaxAge >= 0
	authOK = shared || cc.mustRevalidate
	switch {
	case !heuristic[status] && !explicitOnly[status]:
		return "status", authOK
	case explicitOnly[status] && cc.sMaxAge < 0 && cc.maxAge < 0 && h.Get("Expires") == "":
		return "status", authOK
	case cc.noStore:
		return "no-store", authOK
	case cc.private:
		return "private", authOK
	case cc.noCache:
		return "no-cache", authOK
	case auth && !authOK:
		return "authorization", authOK
	case len(h.Values("Set-Cookie")) > 0 && !shared:
		return "set-cookie", authOK
	}
	if _, star := parseVary(h); star {
		return "vary-star", authOK
	}
	return "", authOK
}

// notModified reports whether a request's conditional fields let the
// stored response be answered with 304 (RFC 9110 section 13.2.2: If-None-Match
// first, If-Modified-Since only without it; 200 responses only).
func notModified(r *http.Request, e *entry) bool {
	if e.status != http.StatusOK {
		return false
	}
	if inm := r.Header["If-None-Match"]; len(inm) > 0 {
		etag := field(e.header, "Etag")
		if etag == "" {
			return false
		}
		for _, line := range inm {
			for t := range strings.SplitSeq(line, ",") {
				t = strings.TrimSpace(t)
				if t == "*" || weakEqual(t, etag) {
					return true
				}
			}
		}
		return false
	}
	ims := field(r.Header, "If-Modified-Since")
	lm := field(e.header, "Last-Modified")
	if ims == "" || lm == "" {
		return false
	}
	since, err1 := http.ParseTime(ims)
	mod, err2 := http.ParseTime(lm)
	return err1 == nil && err2 == nil && !mod.After(since)
}

func weakEqual(a, b string) bool {
	return strings.TrimPrefix(a, "W/") == strings.TrimPrefix(b, "W/")
}

// notModifiedFields are the fields a 304 carries (RFC 9110 section 15.4.5),
// plus Last-Modified when there is no ETag.
var notModifiedFields = []string{"Cache-Control", "Content-Location", "Date", "Etag", "Expires", "Vary"}

// hopByHop are the fields RFC 9111 section 3.1 says a cache does not
// store: they concern one connection.
var hopByHop = []string{"Connection", "Keep-Alive", "Proxy-Connection", "Te", "Trailer", "Transfer-Encoding", "Upgrade"}

// conditionalFields are removed from a request before it renders for the
// cache, so that the handler renders the full response; the cache answers
// the conditions itself.
var conditionalFields = []string{"If-None-Match", "If-Modified-Since", "If-Match", "If-Unmodified-Since", "If-Range"}

// field is h.Get(key) for a key already in canonical form, without
// canonicalizing it again (the hit path reads several fields). net/http
// stores a request's fields under canonical keys.
func field(h http.Header, key string) string {
	if vs := h[key]; len(vs) > 0 {
		return vs[0]
	}
	return ""
}

func sortedKeys(h http.Header) []string {
	keys := make([]string, 0, len(h))
	for k := range h {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
