package memcachestore_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/internal/servertest"
)

// TestMemcacheLease checks the lease's promises on the real memcached:
// one holder at a time across two clients; the holder's write lands
// once, only with its token, and frees the lease; a write or a delete of
// the entry made while the lease is held makes the holder's write a
// no-op (compare-and-set); a release frees only its own lease; and the
// lease key is never an entry.
func TestMemcacheLease(t *testing.T) {
	addrs := servertest.MemcacheAddrs(t)
	a, _ := memcacheWithSelector(t, addrs...)
	b, _ := memcacheWithSelector(t, addrs...)
	ctx := t.Context()
	for i, long := range []bool{false, true} {
		key := fmt.Sprintf("ring-test:%s:%d:%d", t.Name(), time.Now().UnixNano(), i)
		if long { // rewritten to ring-sha1:..., and so is its lease key
			key += ":" + strings.Repeat("x", 300)
		}
		t.Cleanup(func() { _ = a.Delete(t.Context(), key) })

		tok, ok, err := a.TakeLease(ctx, key, time.Minute)
		if err != nil || !ok {
			t.Fatalf("TakeLease = %v, %v", ok, err)
		}
		if _, ok, err := b.TakeLease(ctx, key, time.Minute); err != nil || ok {
			t.Fatalf("a second TakeLease = %v, %v; want not taken", ok, err)
		}
		if _, found, _ := a.Get(ctx, key); found {
			t.Fatal("the lease is visible as the entry")
		}
		if w, err := b.SetLeased(ctx, key, "forged:0", []byte("x"), 0); err != nil || w {
			t.Fatalf("SetLeased with a forged token = %v, %v", w, err)
		}
		must(t, b.ReleaseLease(ctx, key, "forged:0"))
		if _, ok, _ := b.TakeLease(ctx, key, time.Minute); ok {
			t.Fatal("a forged release freed the lease")
		}
		if w, err := a.SetLeased(ctx, key, tok, []byte("v1"), time.Minute); err != nil || !w {
			t.Fatalf("SetLeased = %v, %v; want written", w, err)
		}
		v, ttl, found, err := a.GetWithTTL(ctx, key)
		if err != nil || !found || string(v.([]byte)) != "v1" || ttl <= 0 || ttl > time.Minute+time.Second {
			t.Fatalf("after SetLeased: %q, %v, %v, %v", v, ttl, found, err)
		}
		if w, _ := a.SetLeased(ctx, key, tok, []byte("v2"), 0); w {
			t.Fatal("SetLeased wrote twice with one lease")
		}

		// A write of the entry while the lease is held wins.
		tok2, ok, err := b.TakeLease(ctx, key, time.Minute)
		if err != nil || !ok {
			t.Fatalf("TakeLease after SetLeased = %v, %v", ok, err)
		}
		must(t, a.Set(ctx, key, []byte("newer"), time.Minute))
		if w, _ := b.SetLeased(ctx, key, tok2, []byte("stale"), time.Minute); w {
			t.Fatal("the holder wrote over a newer write")
		}
		if v, _, _ := a.Get(ctx, key); string(v.([]byte)) != "newer" {
			t.Fatalf("entry %q, want the newer write", v)
		}

		// A delete of the entry while the lease is held wins.
		tok3, ok, _ := b.TakeLease(ctx, key, time.Minute)
		if !ok {
			t.Fatal("the lease was not freed by the refused write")
		}
		must(t, a.Delete(ctx, key))
		if w, _ := b.SetLeased(ctx, key, tok3, []byte("stale"), time.Minute); w {
			t.Fatal("the holder wrote over a delete")
		}
		if _, found, _ := a.Get(ctx, key); found {
			t.Fatal("the entry came back after its delete")
		}

		// An entry that appears while a fill of it holds the lease wins.
		tok4, ok, _ := a.TakeLease(ctx, key, time.Minute)
		if !ok {
			t.Fatal("TakeLease of the absent entry failed")
		}
		must(t, b.Set(ctx, key, []byte("other"), time.Minute))
		if w, _ := a.SetLeased(ctx, key, tok4, []byte("fill"), time.Minute); w {
			t.Fatal("the fill wrote over an entry written meanwhile")
		}
		tok5, ok, _ := a.TakeLease(ctx, key, time.Minute)
		if !ok {
			t.Fatal("TakeLease after a refused fill failed")
		}
		must(t, a.ReleaseLease(ctx, key, tok5))
		if _, ok, _ := b.TakeLease(ctx, key, time.Minute); !ok {
			t.Fatal("ReleaseLease did not free the lease")
		}
	}
}

// TestMemcacheLeaseExpires: a holder that never comes back loses its lease
// within the lease's ttl (whole seconds on memcached).
func TestMemcacheLeaseExpires(t *testing.T) {
	a, _ := memcacheWithSelector(t, servertest.MemcacheAddrs(t)...)
	b, _ := memcacheWithSelector(t, servertest.MemcacheAddrs(t)...)
	ctx := t.Context()
	key := fmt.Sprintf("ring-test:%s:%d", t.Name(), time.Now().UnixNano())
	if _, ok, err := a.TakeLease(ctx, key, time.Second); err != nil || !ok {
		t.Fatal(ok, err)
	}
	start := time.Now()
	for {
		tok, ok, err := b.TakeLease(ctx, key, time.Second)
		if err != nil {
			t.Fatal(err)
		}
		if ok {
			must(t, b.ReleaseLease(ctx, key, tok))
			break
		}
		// memcached counts whole seconds from its own clock: from 1s to 2s.
		if time.Since(start) > 2500*time.Millisecond {
			t.Fatal("a lease of 1s still held after 2.5s")
		}
		time.Sleep(50 * time.Millisecond)
	}
	if d := time.Since(start); d < 900*time.Millisecond {
		t.Fatalf("a lease of 1s was free after %v", d)
	}
}

// TestMemcacheLeaseNeedsSelector: without the selector there are no meta
// commands, and TakeLease says leases are not supported.
func TestMemcacheLeaseNeedsSelector(t *testing.T) {
	m := memcachestore.New(memcacheClient(t, servertest.MemcacheAddrs(t)...))
	_, _, err := m.TakeLease(t.Context(), "k", time.Second)
	if !errors.Is(err, backends.ErrNotSupported) || !strings.HasPrefix(err.Error(), "ring: backend memcache: take lease") {
		t.Fatalf("TakeLease without the selector: %v", err)
	}
	s, _ := memcacheWithSelector(t, servertest.MemcacheAddrs(t)...)
	if _, _, err := s.TakeLease(t.Context(), "k", 0); err == nil {
		t.Fatal("TakeLease with ttl 0: no error")
	}
}

// TestMemcacheVivifiedPlaceholder records why leases do not use the meta
// protocol's vivify flag (N): the placeholder it creates is an empty
// value to a plain get, not a miss.
func TestMemcacheVivifiedPlaceholder(t *testing.T) {
	m, c := memcacheWithSelector(t, servertest.MemcacheAddrs(t)...)
	key := fmt.Sprintf("ring-test:%s:%d", t.Name(), time.Now().UnixNano())
	t.Cleanup(func() { _ = c.Delete(key) })
	must(t, m.VivifyForTest(t.Context(), key))
	it, err := c.Get(key)
	if err != nil || len(it.Value) != 0 {
		t.Fatalf("plain get of a vivified key: %v, %v; memcached no longer shows the placeholder as an empty value", it, err)
	}
	_ = memcache.ErrCacheMiss
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
