package ringhttp

import (
	"errors"
	"fmt"
	"time"

	"github.com/ringcache/ring"
)

// pageView is the result type of the PageView method of ring's options
// (ring/pageview.go): what the ring options given to New set, as a page
// cache reads them. The two must stay identical.
type pageView = struct {
	Expire                   time.Duration
	Jitter                   float64
	StorageTimeout           *time.Duration
	BreakerSet               bool
	BreakerFailures          int
	BreakerCoolDown          time.Duration
	OnError                  func(ring.Event)
	StaleMax, StaleTimeout   time.Duration
	StaleIfError             time.Duration
	Lease                    time.Duration
	AheadAfter, AheadTimeout time.Duration
	Refused                  []string
	Store                    ring.Option
}

type pageViewer interface {
	PageView() (pageView, error)
}

// defaultRefreshTimeout bounds a background render of a stale page when
// no ring.StaleWhileRevalidate gives a timeout (the response's own
// stale-while-revalidate directive gives none): 30s.
const defaultRefreshTimeout = 30 * time.Second

// defaultStorageTimeout, defaultBreakerFailures and defaultBreakerCoolDown
// are a ring's defaults on a remote storage (ring.StorageTimeout,
// ring.CircuitBreaker), which a Handler keeps.
const (
	defaultStorageTimeout  = 100 * time.Millisecond
	defaultBreakerFailures = 5
	defaultBreakerCoolDown = 500 * time.Millisecond
)

// policy is what the ring options say about pages (see New).
type policy struct {
	expire         time.Duration // default freshness (Expire)
	jitter         float64       // ExpireJitter's fraction
	storageTimeout *time.Duration
	breakerSet     bool
	failures       int
	coolDown       time.Duration
	onError        func(ring.Event)
	swr            time.Duration // StaleWhileRevalidate's default window
	refreshTimeout time.Duration // bound of a background render
	sie            time.Duration // StaleIfError's default window
	lease          time.Duration
	ahead          time.Duration // RefreshAhead's age (0: none)
}

// why says, per option that describes a cached function, why a page cache
// refuses it.
var why = map[string]string{
	"Ignore":          "a page's key is built from its request (URL, host, and the fields its Vary names)",
	"KeyFunc":         "a page's key is built from its request (URL, host, and the fields its Vary names)",
	"HashKeys":        "a page's key is built from its request, and hashed past 200 bytes already",
	"PythonKeys":      "a page's key is built from its request, not from Python arguments",
	"WithStrategy":    "the page cache's semantics are RFC 9111's",
	"TTLFunc":         "a page's lifetime comes from its response, or from Expire when it gives none",
	"Exclude":         "the response's status and Cache-Control say what is stored",
	"IfNotExists":     "a new render replaces the stored page",
	"Choose":          "one storage holds a handler's pages and their vary specs",
	"BulkConcurrency": "pages render one request at a time",
	"BatchWindow":     "pages render one request at a time",
	"NegativeCache":   "a 404 or 410 is stored as any cacheable status is",
	"XFetch":          "use RefreshAhead or StaleWhileRevalidate (the render time of a page is not a function's)",
}

// readOptions reads ring options for a page cache: the policy, the option
// that builds the store, or every option that does not apply.
func readOptions(opts []ring.Option) (policy, ring.Option, error) {
	var p policy
	for i, o := range opts {
		if o == nil {
			return p, nil, fmt.Errorf("ringhttp: ring option %d is nil", i+1)
		}
	}
	v, ok := ring.Preset(opts...).(pageViewer)
	if !ok {
		return p, nil, errors.New("ringhttp: ring options cannot be read (ring and ringhttp come from different versions of the module)")
	}
	pv, err := v.PageView()
	if err != nil {
		return p, nil, fmt.Errorf("ringhttp: %w", err)
	}
	var bad []error
	for _, name := range pv.Refused {
		bad = append(bad, fmt.Errorf("ringhttp: option %s does not apply to a page cache: %s", name, why[name]))
	}
	if len(bad) > 0 {
		return p, nil, errors.Join(bad...)
	}
	p = policy{expire: pv.Expire, jitter: pv.Jitter, storageTimeout: pv.StorageTimeout,
		breakerSet: pv.BreakerSet, failures: pv.BreakerFailures, coolDown: pv.BreakerCoolDown,
		onError: pv.OnError, swr: pv.StaleMax, refreshTimeout: defaultRefreshTimeout,
		sie: pv.StaleIfError, lease: pv.Lease, ahead: pv.AheadAfter}
	// Background renders get the longest timeout any policy gives, as a
	// ring's refreshes do.
	if t := max(pv.StaleTimeout, pv.AheadTimeout); t > 0 {
		p.refreshTimeout = t
	}
	return p, pv.Store, nil
}
