package main

import (
	"strings"
	"testing"

	"github.com/ringcache/ring/internal/servertest"
)

func TestRun(t *testing.T) {
	addr := servertest.RedisAddr(t)
	for i := range 2 {
		queries = 0
		var b strings.Builder
		if err := run(&b, addr); err != nil {
			t.Fatalf("run %d: %v", i+1, err)
		}
		if b.String() != want {
			t.Fatalf("run %d: got\n%s\nwant\n%s", i+1, b.String(), want)
		}
	}
}

func TestNoServer(t *testing.T) {
	err := run(&strings.Builder{}, "")
	if err == nil || !strings.Contains(err.Error(), "RING_REDIS_ADDR") {
		t.Fatalf("got %v", err)
	}
}

const want = `Call: {Order:1001 Items:[tea cups] Total:12.5}
Call: {Order:1001 Items:[tea cups] Total:12.5}
the method ran 1 time(s)
key: example:order-summary:1001:EUR
raw bytes in Redis: {"order":1001,"items":["tea","cups"],"total":12.5}
expiry set: true
decoded: {Order:1001 Items:[tea cups] Total:12.5}
after a raw write, Get: {Order:1001 Items:[tea] Total:6} (found true)
cache prefix: example:order-summary:
deleted through the Cache: true
Get after the delete: found false
`
