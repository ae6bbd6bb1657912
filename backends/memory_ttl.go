package backends

import (
	"context"
	"time"
)

// The in-process backends read an entry's remaining time-to-live from the
// expiry they keep beside the value (see TTLGetter).

var (
	_ TTLGetter     = (*LRU)(nil)
	_ BulkTTLGetter = (*LRU)(nil)
	_ TTLGetter     = (*Dict)(nil)
	_ BulkTTLGetter = (*Dict)(nil)
	_ TTLGetter     = Dummy{}
)

// remaining returns the time e has left at now (a clock reading): 0 when e
// has no expiry, and a positive duration otherwise (e is live, so its
// expiry is after now).
func (e entry) remaining(now int64) time.Duration {
	if e.expiresAt == 0 {
		return 0
	}
	return time.Duration(e.expiresAt - now)
}

// GetWithTTL returns the value under key and the time it has left, to the
// nanosecond (0: no expiry), under one lock and one clock reading; like Get,
// it marks the entry recently used, and an expired entry is a miss and is
// removed.
func (l *LRU) GetWithTTL(_ context.Context, key string) (any, time.Duration, bool, error) {
	l.mu.Lock()
	e, ok := l.lru.Get(key)
	var ttl time.Duration
	if ok && e.expiresAt != 0 {
		now := l.now()
		if e.expired(now) {
			l.lru.Remove(key)
			l.mu.Unlock()
			l.evict.report(1, true)
			return nil, 0, false, nil
		}
		ttl = e.remaining(now)
	}
	l.mu.Unlock()
	if !ok {
		return nil, 0, false, nil
	}
	return e.value, ttl, true, nil
}

// GetManyWithTTL reads keys and the time each has left under one lock and
// one clock reading.
func (l *LRU) GetManyWithTTL(_ context.Context, keys []string) ([]any, []time.Duration, []bool, error) {
	values := make([]any, len(keys))
	ttls := make([]time.Duration, len(keys))
	found := make([]bool, len(keys))
	l.mu.Lock()
	now := l.now()
	for i, k := range keys {
		e, ok := l.lru.Get(k)
		if ok && e.expired(now) {
			l.lru.Remove(k)
			ok = false
		}
		if ok {
			values[i], ttls[i], found[i] = e.value, e.remaining(now), true
		}
	}
	l.mu.Unlock()
	return values, ttls, found, nil
}

// GetWithTTL returns the value under key and the time it has left, to the
// nanosecond (0: no expiry), from one clock reading; an expired entry is a
// miss and is removed.
func (d *Dict) GetWithTTL(_ context.Context, key string) (any, time.Duration, bool, error) {
	d.mu.RLock()
	e, ok := d.m[key]
	var ttl time.Duration
	stale := false
	if ok && e.expiresAt != 0 {
		now := d.now()
		if e.expired(now) {
			ok, stale = false, true
		} else {
			ttl = e.remaining(now)
		}
	}
	d.mu.RUnlock()
	if stale {
		d.removeIfExpired(key)
	}
	if !ok {
		return nil, 0, false, nil
	}
	return e.value, ttl, true, nil
}

// GetManyWithTTL reads keys and the time each has left under one lock and
// one clock reading.
func (d *Dict) GetManyWithTTL(_ context.Context, keys []string) ([]any, []time.Duration, []bool, error) {
	values := make([]any, len(keys))
	ttls := make([]time.Duration, len(keys))
	found := make([]bool, len(keys))
	d.mu.RLock()
	now := d.now()
	for i, k := range keys {
		if e, ok := d.live(k, now); ok {
			values[i], ttls[i], found[i] = e.value, e.remaining(now), true
		}
	}
	d.mu.RUnlock()
	return values, ttls, found, nil
}

// GetWithTTL always misses.
func (Dummy) GetWithTTL(context.Context, string) (any, time.Duration, bool, error) {
	return nil, 0, false, nil
}
