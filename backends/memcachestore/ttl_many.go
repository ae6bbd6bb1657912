package memcachestore

import (
	"context"
	"strconv"
	"time"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/internal/storeutil"
)

// SetManyTTL stores the entries, each with its own time-to-live (0: none;
// memcached counts whole seconds, so a ttl is rounded up to one): pipelined
// with the selector, as SetMany is (every set sent before any answer is
// read, one round trip per server), by a loop of Set without it. Every
// value must be a []byte; a wrong type, wrong lengths or a bad ttl are
// reported before anything is written.
func (m *Store) SetManyTTL(ctx context.Context, keys []string, values []any, ttls []time.Duration) error {
	if err := m.ready(ctx, "set many"); err != nil {
		return err
	}
	if err := backends.CheckManyTTL(m, keys, values, ttls); err != nil {
		return err
	}
	exps := make([]int32, len(ttls))
	for i, ttl := range ttls {
		exp, err := m.expiration(ttl)
		if err != nil {
			return err
		}
		exps[i] = exp
	}
	bs := make([][]byte, len(values))
	for i, v := range values {
		var err error
		if bs[i], err = storeutil.BytesValue(m.Name(), "set many", keys[i], v); err != nil {
			return err
		}
	}
	if m.pipe != nil && len(keys) > 0 {
		return m.pipelined("set many", keys, func(rk []string) error {
			return m.pipe.setManyExp(ctx, rk, keys, bs, exps)
		})
	}
	for i, k := range keys {
		if err := m.ready(ctx, "set many"); err != nil {
			return err
		}
		if err := m.set(k, bs[i], exps[i]); err != nil {
			return err
		}
	}
	return nil
}

// setManyExp stores bs under keys with one set each, entry i with the
// expiration exps[i], pipelined.
func (p *mcPipe) setManyExp(ctx context.Context, keys, names []string, bs [][]byte, exps []int32) error {
	return p.writeMany(ctx, keys, names, mcCommand{
		verb: "set",
		args: func(b []byte, i int) []byte {
			b = append(b, " 0 "...)
			b = strconv.AppendInt(b, int64(exps[i]), 10)
			b = append(b, ' ')
			return strconv.AppendInt(b, int64(len(bs[i])), 10)
		},
		data: func(i int) []byte { return bs[i] },
		ok:   []string{"STORED"},
	})
}
