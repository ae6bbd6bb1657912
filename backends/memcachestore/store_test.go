package memcachestore_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/backendtest"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/internal/servertest"
)

func memcacheClient(t testing.TB, addrs ...string) *memcache.Client {
	t.Helper()
	c := memcache.New(addrs...)
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// memcacheOptions: memcached counts whole seconds, stores items of up to
// 1 MiB including the key and the item header, and cannot list keys.
var memcacheOptions = backendtest.Options{
	TTL:            2 * time.Second,
	Slack:          time.Second,
	NoClear:        true,
	MaxValueSize:   1<<20 - 1024,
	OversizeValue:  1<<20 + 1,
	HonoursContext: true,
}

func TestMemcacheConformance(t *testing.T) {
	addrs := servertest.MemcacheAddrs(t)
	c := memcacheClient(t, addrs...)
	o := memcacheOptions
	o.UnknownTTL = true // without the selector there are no meta commands
	backendtest.Run(t, func(*testing.T) backends.Storage { return memcachestore.New(c) }, o)
}

// TestMemcacheSpreadsOverServers checks that keys land on every server of
// the client, and that each server holds only its share.
func TestMemcacheSpreadsOverServers(t *testing.T) {
	addrs := servertest.MemcacheAddrs(t)
	if len(addrs) < 2 {
		t.Skipf("needs two memcached servers, %s names %d", servertest.EnvMemcacheAddrs, len(addrs))
	}
	m := memcachestore.New(memcacheClient(t, addrs...))
	keys := make([]string, 60)
	vals := make([]any, len(keys))
	for i := range keys {
		keys[i] = fmt.Sprintf("ring-test:spread:%d:%d", time.Now().UnixNano(), i)
		vals[i] = []byte("v")
	}
	if err := m.SetMany(t.Context(), keys, vals, time.Minute); err != nil {
		t.Fatal(err)
	}
	total := 0
	for _, a := range addrs {
		one := memcacheClient(t, a)
		items, err := one.GetMulti(keys)
		if err != nil {
			t.Fatal(err)
		}
		if len(items) == 0 || len(items) == len(keys) {
			t.Errorf("server %s holds %d of %d keys", a, len(items), len(keys))
		}
		total += len(items)
	}
	if total != len(keys) {
		t.Errorf("the servers hold %d keys in all, want %d", total, len(keys))
	}
}

// TestMemcacheLongKey uses a key memcached would refuse: the backend
// refactors it in every method.
func TestMemcacheLongKey(t *testing.T) {
	m := memcachestore.New(memcacheClient(t, servertest.MemcacheAddrs(t)...))
	ctx := t.Context()
	k := "ring-test:" + strings.Repeat("long key ", 40) + time.Now().String()
	if err := m.Set(ctx, k, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if ok, err := m.Has(ctx, k); err != nil || !ok {
		t.Fatalf("Has = %v, %v", ok, err)
	}
	raw := m.Raw().(*memcache.Client)
	it, err := raw.Get(m.RefactorKey(k))
	if err != nil || string(it.Value) != "v" {
		t.Fatalf("the raw client does not find the refactored key: %v", err)
	}
	if err := m.Touch(ctx, k, time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := m.Delete(ctx, k); err != nil {
		t.Fatal(err)
	}
	if ok, _ := m.Has(ctx, k); ok {
		t.Fatal("Delete left the key")
	}
}

func TestMemcacheOversizeError(t *testing.T) {
	m := memcachestore.New(memcacheClient(t, servertest.MemcacheAddrs(t)...))
	err := m.Set(t.Context(), "ring-test:oversize", make([]byte, 2<<20), 0)
	if err == nil {
		t.Fatal("Set of 2 MiB: no error")
	}
	for _, want := range []string{`ring: backend memcache: set "ring-test:oversize"`, "2097152 bytes"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
}

func TestMemcacheClearNotSupported(t *testing.T) {
	m := memcachestore.New(memcache.New("127.0.0.1:1"))
	err := backends.Clear(t.Context(), m, "p")
	if !errors.Is(err, backends.ErrNotSupported) || !strings.Contains(err.Error(), "ring: backend memcache: clear") {
		t.Fatalf("Clear: %v", err)
	}
}

// TestMemcacheServerRestart stops the server in the middle: calls fail fast,
// and after a restart on the same port the same client works again.
func TestMemcacheServerRestart(t *testing.T) {
	srv := servertest.StartMemcached(t)
	c := memcacheClient(t, srv.Addr())
	c.Timeout = 200 * time.Millisecond
	m := memcachestore.New(c)
	ctx := t.Context()
	if err := m.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	start := time.Now()
	if _, _, err := m.Get(ctx, "k"); err == nil || !strings.HasPrefix(err.Error(), `ring: backend memcache: get "k"`) {
		t.Fatalf("Get against a stopped server: %v", err)
	}
	if err := m.Set(ctx, "k", []byte("v"), 0); err == nil {
		t.Fatal("Set against a stopped server: no error")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("two calls against a stopped server took %v", d)
	}
	srv.Restart()
	if err := m.Set(ctx, "k", []byte("again"), 0); err != nil {
		t.Fatalf("Set after the restart: %v", err)
	}
	if v, _, err := m.Get(ctx, "k"); err != nil || string(v.([]byte)) != "again" {
		t.Fatalf("Get after the restart = %v, %v", v, err)
	}
}
