package redisstore

import (
	"context"
	"time"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/storeutil"
)

// SetManyTTL stores the entries, each with its own time-to-live (0: none),
// with one SET (PX, rounded up to whole milliseconds) per entry in one
// pipeline; on a cluster, go-redis sends each node its share of the
// pipeline. Every value must be a []byte; a wrong type, wrong lengths or a
// negative ttl are reported before anything is written.
func (r *Store) SetManyTTL(ctx context.Context, keys []string, values []any, ttls []time.Duration) error {
	if err := r.ready(ctx, "set many"); err != nil {
		return err
	}
	if err := backends.CheckManyTTL(r, keys, values, ttls); err != nil {
		return err
	}
	bs := make([][]byte, len(values))
	for i, v := range values {
		b, err := storeutil.BytesValue(r.Name(), "set many", keys[i], v)
		if err != nil {
			return err
		}
		bs[i] = b
	}
	switch len(keys) {
	case 0:
		return nil
	case 1:
		return r.Set(ctx, keys[0], bs[0], ttls[0])
	}
	pipe := r.client.Pipeline()
	for i, k := range keys {
		pipe.Set(ctx, k, bs[i], ceilMillis(ttls[i]))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return r.failN("set many", len(keys), err)
	}
	return nil
}
