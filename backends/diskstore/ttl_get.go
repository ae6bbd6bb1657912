package diskstore

import (
	"context"
	"fmt"
	"time"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/storeutil"
)

// Reading a value with its remaining time-to-live (backends.TTLGetter):
// every record already holds its expiry, so the time left comes from the
// same record as the value, in the same read transaction.

var (
	_ backends.TTLGetter     = (*Store)(nil)
	_ backends.BulkTTLGetter = (*Store)(nil)
)

// getWithTTL returns the live value under key, aliasing the database's
// memory, and the time it has left at the transaction's clock reading (0:
// no expiry).
func (r diskReader) getWithTTL(key string) ([]byte, time.Duration, bool, error) {
	rec := r.entries.Get(diskEntryKey(key))
	if rec == nil {
		return nil, 0, false, nil
	}
	exp, _, v, err := diskParse(rec)
	if err != nil {
		return nil, 0, false, err
	}
	if exp == 0 {
		return v, 0, true, nil
	}
	if r.now >= exp {
		return nil, 0, false, nil
	}
	return v, time.Duration(exp - r.now), true, nil
}

// GetWithTTL returns a copy of the value under key and the time it has
// left, to the nanosecond (0: no expiry), from one record in one read
// transaction; an expired entry is a miss.
func (d *Store) GetWithTTL(ctx context.Context, key string) (any, time.Duration, bool, error) {
	var out []byte
	var ttl time.Duration
	var found bool
	err := d.view(ctx, func(r diskReader) error {
		v, left, ok, err := r.getWithTTL(key)
		if ok {
			out, ttl, found = append([]byte{}, v...), left, true
		}
		return err
	})
	if err != nil {
		return nil, 0, false, d.fail("get with ttl", key, err)
	}
	if !found {
		return nil, 0, false, nil
	}
	return out, ttl, true, nil
}

// GetManyWithTTL reads keys and the time each has left in one read
// transaction, at one clock reading.
func (d *Store) GetManyWithTTL(ctx context.Context, keys []string) ([]any, []time.Duration, []bool, error) {
	values := make([]any, len(keys))
	ttls := make([]time.Duration, len(keys))
	found := make([]bool, len(keys))
	err := d.view(ctx, func(r diskReader) error {
		for i, k := range keys {
			v, left, ok, err := r.getWithTTL(k)
			if err != nil {
				return fmt.Errorf("key %s: %w", storeutil.QuoteKey(k), err)
			}
			if ok {
				values[i], ttls[i], found[i] = append([]byte{}, v...), left, true
			}
		}
		return nil
	})
	if err != nil {
		return nil, nil, nil, d.failN("get many with ttl", len(keys), err)
	}
	return values, ttls, found, nil
}
