package diskstore

import (
	"context"
	"fmt"
	"time"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/storeutil"
)

// SetManyTTL stores the entries, each with its own time-to-live (0: none),
// in one transaction: all or none. Every value must be a []byte; a wrong
// type, wrong lengths or a negative ttl are reported before anything is
// written.
func (d *Store) SetManyTTL(ctx context.Context, keys []string, values []any, ttls []time.Duration) error {
	if err := backends.CheckManyTTL(d, keys, values, ttls); err != nil {
		return err
	}
	bs := make([][]byte, len(values))
	for i, v := range values {
		var err error
		if bs[i], err = storeutil.BytesValue(d.Name(), "set many", keys[i], v); err != nil {
			return err
		}
	}
	exps := make([]int64, len(ttls))
	for i, ttl := range ttls {
		exps[i] = d.expiry(ttl)
	}
	err := d.update(ctx, func(w *diskWriter) error {
		for i, k := range keys {
			if err := w.put(k, bs[i], exps[i]); err != nil {
				return fmt.Errorf("key %s (%d bytes): %w", storeutil.QuoteKey(k), len(bs[i]), err)
			}
		}
		return nil
	})
	if err != nil {
		return d.failN("set many", len(keys), err)
	}
	return nil
}
