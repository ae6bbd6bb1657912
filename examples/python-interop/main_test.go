package main

import (
	"io"
	"strings"
	"testing"

	"github.com/ringcache/ring/internal/exampletest"
	"github.com/ringcache/ring/internal/servertest"
)

// TestRun runs the example against the Redis of RING_REDIS_ADDR (skipped
// without it, failing under CI=true).
func TestRun(t *testing.T) {
	addr := servertest.RedisAddr(t)
	exampletest.Check(t, "github.com/ringcache/ring/examples/python-interop", want, func(w io.Writer) error {
		runs = 0
		return run(w, addr)
	})
}

func TestNoServer(t *testing.T) {
	err := run(&strings.Builder{}, "")
	if err == nil || !strings.Contains(err.Error(), "RING_REDIS_ADDR") {
		t.Fatalf("got %v", err)
	}
}

const want = `key: shop.prices:apple:3
Go read Python's entry: {SKU:apple Qty:3 Name:café Ratio:0.5 Tags:[a b]} (the Go function ran 0 times)
Go wrote for Python: {"sku": "pear", "qty": 2, "name": "poire", "ratio": 1.0, "tags": []}
expiry set: true
key of by_tags(['tea', 'green tea']): shop.by_tags:['tea','greentea']
`
