package ring

import (
	"context"
	"time"

	"github.com/ringcache/ring/backends"
)

var _ backends.TTLGetter = (*guard)(nil)

// GetWithTTL reads key and its time left (backends.GetWithTTL on the
// storage), guarded as Get is: RefreshAhead reads its hits with it.
func (g *guard) GetWithTTL(ctx context.Context, key string) (any, time.Duration, bool, error) {
	defer g.FlushEvents() // a read: the ring holds no write lock here
	type got struct {
		v   any
		ttl time.Duration
		ok  bool
	}
	r, err := guarded(g, ctx, "get", key, 0, func(ctx context.Context) (got, error) {
		v, ttl, ok, err := backends.GetWithTTL(ctx, g.s, key)
		return got{v, ttl, ok}, err
	})
	return r.v, r.ttl, r.ok, err
}
