package main

import (
	"io"
	"strings"
	"testing"

	"github.com/ringcache/ring/internal/exampletest"
)

func TestRun(t *testing.T) {
	exampletest.Check(t, "github.com/ringcache/ring/examples/config", want, func(w io.Writer) error {
		fetches = 0
		return run(w, "memory://?size=1024", "msgpack+s2://")
	})
}

func TestBadConfig(t *testing.T) {
	if err := run(&strings.Builder{}, "memcached://x", "json://"); err == nil || !strings.Contains(err.Error(), "memcached") {
		t.Fatalf("got %v", err)
	}
}

const want = `backend: lru (stores bytes: false)
policy: Preset(Storage(lru), Coder("msgpack+s2://"), Expire(1m0s))
rate: {From:EUR To:USD Value:3.3}
rate: {From:EUR To:USD Value:3.3}
fetches: 1
set visits if absent: written false
get many: map[visits:41]
deleted visits: true
bad URL: ring: open "redis://xxxxx@localhost:6379/0?pool=3": unknown parameter pool for redis:// (it takes: dial_timeout, read_timeout, write_timeout, pool_timeout, pool_size, min_idle_conns, max_idle_conns, max_retries, dial_attempts, protocol, client_name, min_retry_backoff, max_retry_backoff, conn_max_idle_time, conn_max_lifetime, max_active_conns, pool_fifo, db, autopipeline)
bad coder: ring: main.fetchRate: coder json+lz4: unknown compression layer "lz4" (layers: gzip, s2, zstd)
`
