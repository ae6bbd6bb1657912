package main

import (
	"io"
	"strings"
	"testing"

	"github.com/ringcache/ring/internal/exampletest"
	"github.com/ringcache/ring/internal/servertest"
)

func TestRun(t *testing.T) {
	addr := servertest.RedisAddr(t)
	exampletest.Check(t, "github.com/ringcache/ring/examples/redis", want, func(w io.Writer) error {
		queries = 0
		return run(w, addr)
	})
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
