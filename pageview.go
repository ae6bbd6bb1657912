package ring

import "time"

// PageView is the page cache's reading of ring options (ringhttp.New is its
// one caller, through an interface assertion on a Preset of the options it
// was given). It is an exported method of the unexported option type, so
// it is no part of the package's API: no user can name it in a program
// that compiles against a documented identifier. Store is an option that
// sets everything the options set except what the fields report, so that
// NewCache accepts it and every other option (a storage, a coder, a
// prefix, OnError, and any option added later, such as an observer)
// reaches the page cache's store. Refused names the options set that
// describe a cached function and mean nothing for a page cache.
//
// Its result type is written out in ringhttp too: the two must stay
// identical (a difference fails every ringhttp.New, which its tests see).
func (o option) PageView() (v struct {
	Expire                   time.Duration
	Jitter                   float64
	StorageTimeout           *time.Duration
	BreakerSet               bool
	BreakerFailures          int
	BreakerCoolDown          time.Duration
	OnError                  func(Event)
	StaleMax, StaleTimeout   time.Duration
	StaleIfError             time.Duration
	Lease                    time.Duration
	AheadAfter, AheadTimeout time.Duration
	Refused                  []string
	Store                    Option
}, err error) {
	cfg, err := build([]Option{o})
	if err != nil {
		return v, err
	}
	v.Expire, v.Jitter, v.StorageTimeout = cfg.expire, cfg.jitter, cfg.storageTimeout
	if cfg.breaker != nil {
		v.BreakerSet, v.BreakerFailures, v.BreakerCoolDown = true, cfg.breaker.failures, cfg.breaker.coolDown
	}
	v.OnError = cfg.onError
	if cfg.fresh.swr != nil {
		v.StaleMax, v.StaleTimeout = cfg.fresh.swr.maxStale, cfg.fresh.swr.timeout
	}
	v.StaleIfError, v.Lease = cfg.fresh.maxAge, cfg.lease
	if cfg.ahead != nil {
		v.AheadAfter, v.AheadTimeout = cfg.ahead.after, cfg.ahead.timeout
	}
	for _, r := range []struct {
		name string
		set  bool
	}{
		{"Ignore", len(cfg.ignore) > 0},
		{"KeyFunc", cfg.keyFunc != nil},
		{"HashKeys", cfg.hashKeys != nil},
		{"PythonKeys", cfg.pythonKeys},
		{"WithStrategy", cfg.strategy != nil},
		{"TTLFunc", cfg.ttl != nil},
		{"Exclude", cfg.exclude != nil},
		{"IfNotExists", cfg.ifNotExists},
		{"Choose", cfg.choose != nil},
		{"BulkConcurrency", cfg.bulk != 0},
		{"BatchWindow", cfg.window != nil},
		{"NegativeCache", cfg.negative != nil},
		{"XFetch", cfg.fresh.xfetch != nil},
	} {
		if r.set {
			v.Refused = append(v.Refused, r.name)
		}
	}
	v.Store = newOption("page store", func(c *config) {
		o.apply(c)
		c.expire, c.jitter, c.storageTimeout, c.breaker = 0, 0, nil, nil
		c.fresh, c.lease, c.ahead = freshConfig{}, 0, nil
		c.ignore, c.keyFunc, c.hashKeys, c.pythonKeys, c.strategy = nil, nil, nil, false, nil
		c.ttl, c.exclude, c.ifNotExists, c.choose, c.bulk = nil, nil, false, nil, 0
		c.window, c.negative = nil, nil
	})
	return v, nil
}
