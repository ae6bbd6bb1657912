package main

import (
	"strings"
	"testing"
)

func TestRun(t *testing.T) {
	for i := range 2 {
		fetches = 0
		var b strings.Builder
		if err := run(&b, "memory://?size=1024", "msgpack+s2://"); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		got := strings.ReplaceAll(b.String(), "github.com/ringcache/ring/examples/config.", "main.")
		if got != want {
			t.Fatalf("run %d: got\n%s\nwant\n%s", i+1, got, want)
		}
	}
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
bad URL: ring: open "redis://user:xxxxx@localhost:6379/0?pool=3": unknown parameter pool for redis:// (it takes: dial_timeout, read_timeout, write_timeout, pool_timeout, pool_size, min_idle_conns, max_idle_conns, max_retries, protocol, client_name, db)
bad coder: ring: main.fetchRate: coder json+lz4: unknown compression layer "lz4" (layers: gzip, s2, zstd)
`
