package memcachestore_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ringcache/ring/internal/servertest"
)

// TestMemcacheGetStopsWithCtx: with the selector, Get reads on the bulk
// path and stops by itself at its ctx's deadline and at a cancel, long
// before the client's 5s timeout, against a frozen private memcached
// (SIGSTOP), so that a Cancelable wrapper may call it directly
// (TestCancelableGetDirect in package backends).
func TestMemcacheGetStopsWithCtx(t *testing.T) {
	srv := servertest.StartMemcached(t)
	m, c := memcacheWithSelector(t, srv.Addr())
	c.Timeout = 5 * time.Second
	ctx := context.Background()
	if err := m.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := m.Get(ctx, "k"); err != nil || !ok || string(v.([]byte)) != "v" {
		t.Fatalf("Get = %v, %v, %v", v, ok, err)
	}
	if _, ok, err := m.Get(ctx, "absent"); err != nil || ok {
		t.Fatalf("Get of an absent key = %v, %v", ok, err)
	}

	srv.Pause()
	defer srv.Resume()
	dctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := m.Get(dctx, "k")
	if !errors.Is(err, context.DeadlineExceeded) || !strings.HasPrefix(err.Error(), `ring: backend memcache: get "k": `) {
		t.Errorf("Get at a deadline on a frozen server: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Get with a 150ms deadline took %v", d)
	}

	cctx, ccancel := context.WithCancel(ctx)
	time.AfterFunc(50*time.Millisecond, ccancel)
	start = time.Now()
	if _, _, err := m.Get(cctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get cancelled on a frozen server: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Get cancelled after 50ms took %v", d)
	}
}
