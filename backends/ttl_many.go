package backends

import (
	"context"
	"fmt"
	"time"
)

// checkTTLs checks the arguments of a SetManyTTL: the three lengths agree
// and no ttl is negative.
func checkTTLs(s Storage, keys []string, values []any, ttls []time.Duration) error {
	if len(keys) != len(values) || len(keys) != len(ttls) {
		return fmt.Errorf("ring: backend %s: set many with ttls: %d keys, %d values and %d ttls", s.Name(), len(keys), len(values), len(ttls))
	}
	for _, ttl := range ttls {
		if err := CheckTTL(s, ttl); err != nil {
			return err
		}
	}
	return nil
}

// CheckManyTTL returns the error SetManyTTL returns for its arguments
// before it writes anything: lengths that differ, or a negative ttl. A
// backend's own SetManyTTL calls it first.
func CheckManyTTL(s Storage, keys []string, values []any, ttls []time.Duration) error {
	return checkTTLs(s, keys, values, ttls)
}

// expiriesAt returns the expiry of each ttl as a clock reading (0: none),
// from one reading of the clock, and only when some ttl is positive.
func expiriesAt(now func() int64, ttls []time.Duration) []int64 {
	out := make([]int64, len(ttls))
	var t int64
	for i, ttl := range ttls {
		if ttl <= 0 {
			continue
		}
		if t == 0 {
			t = now()
		}
		out[i] = t + int64(ttl)
	}
	return out
}

// SetManyTTL stores entries, each with its own expiry (0: none), under one
// lock and one clock reading.
func (l *LRU) SetManyTTL(_ context.Context, keys []string, values []any, ttls []time.Duration) error {
	if err := checkTTLs(l, keys, values, ttls); err != nil {
		return err
	}
	exps := expiriesAt(l.now, ttls)
	evicted := 0
	l.mu.Lock()
	for i, k := range keys {
		if l.lru.Add(k, entry{value: values[i], expiresAt: exps[i]}) {
			evicted++
		}
	}
	l.mu.Unlock()
	l.evict.report(evicted, false)
	return nil
}

// SetManyTTL stores entries, each with its own expiry (0: none), under one
// lock and one clock reading.
func (d *Dict) SetManyTTL(_ context.Context, keys []string, values []any, ttls []time.Duration) error {
	if err := checkTTLs(d, keys, values, ttls); err != nil {
		return err
	}
	exps := expiriesAt(d.now, ttls)
	swept := 0
	d.mu.Lock()
	for i, k := range keys {
		swept += d.setLocked(k, entry{value: values[i], expiresAt: exps[i]})
	}
	d.mu.Unlock()
	d.evict.report(swept, true)
	return nil
}

// SetManyTTL forgets the entries. Wrong lengths or a negative ttl are an
// error, as on every backend.
func (d Dummy) SetManyTTL(_ context.Context, keys []string, values []any, ttls []time.Duration) error {
	return checkTTLs(d, keys, values, ttls)
}

func (c cancelable) SetManyTTL(ctx context.Context, keys []string, values []any, ttls []time.Duration) error {
	if c.direct(ctx) {
		return SetManyTTL(ctx, c.s, keys, values, ttls)
	}
	return interruptibleErr(ctx, func() error { return SetManyTTL(ctx, c.s, keys, values, ttls) })
}
