package memcachestore_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/storeurl"
	"github.com/ringcache/ring/internal/servertest"
)

// TestMemcacheServersPlaceKeysAsServerList: switching from gomemcache's
// ServerList to Servers keeps every key on its server.
func TestMemcacheServersPlaceKeysAsServerList(t *testing.T) {
	addrs := []string{"127.0.0.1:11211", "127.0.0.2:11212", "127.0.0.3:11213", "127.0.0.1:11211"}
	for n := 1; n <= len(addrs); n++ {
		var sl memcache.ServerList
		if err := sl.SetServers(addrs[:n]...); err != nil {
			t.Fatal(err)
		}
		ms, err := memcachestore.NewServers(addrs[:n]...)
		if err != nil {
			t.Fatal(err)
		}
		for i := range 2000 {
			k := fmt.Sprintf("key:%d:%s", i, strings.Repeat("x", i%300))
			a, err1 := sl.PickServer(k)
			b, err2 := ms.PickServer(k)
			if err1 != nil || err2 != nil || a.String() != b.String() || a.Network() != b.Network() {
				t.Fatalf("%d servers, key %d: ServerList %v %v, MemcacheServers %v %v", n, i, a, err1, b, err2)
			}
		}
	}
	var visited []string
	ms, _ := memcachestore.NewServers("h1:1", "/run/mc.sock")
	_ = ms.Each(func(a net.Addr) error { visited = append(visited, a.Network()+" "+a.String()); return nil })
	if strings.Join(visited, ",") != "tcp h1:1,unix /run/mc.sock" {
		t.Errorf("Each visited %v", visited)
	}
	stop := errors.New("stop")
	if err := ms.Each(func(net.Addr) error { return stop }); err != stop {
		t.Errorf("Each = %v, want the callback's error", err)
	}
	if _, err := new(memcachestore.Servers).PickServer("k"); !errors.Is(err, memcache.ErrNoServers) {
		t.Errorf("zero value: PickServer error %v", err)
	}
	for _, bad := range [][]string{nil, {""}, {"h1:1", "h2"}, {":11211"}} {
		if _, err := memcachestore.NewServers(bad...); err == nil || !strings.HasPrefix(err.Error(), "ring: memcache servers: ") {
			t.Errorf("NewMemcacheServers(%q) error %v", bad, err)
		}
	}
}

// TestMemcacheServersResolveAtEachDial: a name is handed to the dialer as
// it is, at each dial, so a name that changes its address is followed
// without rebuilding anything, by single calls and by the pipelined bulk
// path. The dialer here plays the resolver: first the name points nowhere
// (a refused port), then at a real server.
func TestMemcacheServersResolveAtEachDial(t *testing.T) {
	server := servertest.MemcacheAddrs(t)[0]
	ms, err := memcachestore.NewServers("cache.ring-test.invalid:11211")
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	target := "127.0.0.1:1"
	var asked []string
	c := memcache.NewFromSelector(ms)
	c.Timeout = 500 * time.Millisecond
	c.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		mu.Lock()
		asked = append(asked, addr)
		to := target
		mu.Unlock()
		var d net.Dialer
		return d.DialContext(ctx, network, to)
	}
	m := memcachestore.New(c, memcachestore.WithSelector(ms))
	t.Cleanup(func() { _ = m.Close(); _ = c.Close() })
	ctx := t.Context()
	key := fmt.Sprintf("ring-test:dns:%d", time.Now().UnixNano())
	if err := m.Set(ctx, key, []byte("v"), time.Minute); err == nil {
		t.Fatal("Set through a name that points nowhere succeeded")
	}
	if _, _, err := m.GetMany(ctx, []string{key, key + "2"}); err == nil {
		t.Fatal("GetMany through a name that points nowhere succeeded")
	}
	mu.Lock()
	target = server // the name now resolves to the server
	mu.Unlock()
	if err := m.Set(ctx, key, []byte("v"), time.Minute); err != nil {
		t.Fatalf("Set after the name moved: %v", err)
	}
	vals, found, err := m.GetMany(ctx, []string{key, key + "2"})
	if err != nil || !found[0] || found[1] || string(vals[0].([]byte)) != "v" {
		t.Fatalf("GetMany after the name moved = %v %v %v", vals, found, err)
	}
	mu.Lock()
	defer mu.Unlock()
	for _, a := range asked {
		if a != "cache.ring-test.invalid:11211" {
			t.Errorf("the dialer was asked for %q, not the name", a)
		}
	}
	if len(asked) < 3 {
		t.Errorf("%d dials, want one per attempt", len(asked))
	}
}

// TestOpenMemcacheUnresolvableName: a memcache:// host that does not
// resolve opens (no DNS at storeurl.Open), and every call fails with the lookup
// error instead, single and bulk.
func TestOpenMemcacheUnresolvableName(t *testing.T) {
	s, err := storeurl.Open("memcache://ring-test-no-such-host.invalid:11211,ring-test-2.invalid?timeout=300ms")
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() { _ = s.(backends.Closer).Close() })
	ctx := t.Context()
	if _, _, err := s.Get(ctx, "k"); err == nil || !strings.Contains(err.Error(), "no such host") && !strings.Contains(err.Error(), "lookup") {
		t.Errorf("Get error %v, want the lookup error", err)
	}
	if _, _, err := s.(backends.BulkGetter).GetMany(ctx, []string{"a", "b", "c"}); err == nil {
		t.Error("GetMany: no error")
	}
}

// TestOpenMemcacheLocalhost: a name that resolves (localhost) works, single
// calls and the pipelined bulk path.
func TestOpenMemcacheLocalhost(t *testing.T) {
	_, port, err := net.SplitHostPort(servertest.MemcacheAddrs(t)[0])
	if err != nil {
		t.Fatal(err)
	}
	s := openOK(t, "memcache://localhost:"+port)
	ctx := t.Context()
	key := fmt.Sprintf("ring-test:localhost:%d", time.Now().UnixNano())
	if err := s.Set(ctx, key, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	if err := s.(backends.BulkSetter).SetMany(ctx, []string{key + "a", key + "b"}, []any{[]byte("a"), []byte("b")}, time.Minute); err != nil {
		t.Fatal(err)
	}
	vals, found, err := s.(backends.BulkGetter).GetMany(ctx, []string{key, key + "a", key + "b", key + "c"})
	if err != nil || !found[0] || !found[1] || !found[2] || found[3] || string(vals[2].([]byte)) != "b" {
		t.Fatalf("GetMany = %v %v %v", vals, found, err)
	}
	_ = s.(backends.BulkDeleter).DeleteMany(ctx, []string{key, key + "a", key + "b"})
}

func openOK(t *testing.T, raw string) backends.Storage {
	t.Helper()
	s, err := storeurl.Open(raw)
	if err != nil {
		t.Fatalf("Open(%q): %v", raw, err)
	}
	t.Cleanup(func() { _ = s.(backends.Closer).Close() })
	return s
}

// A selector whose names are resolved at each dial, for a client made by
// hand: a name that does not resolve yet fails the calls, not the set-up.
func ExampleNewServers() {
	ss, err := memcachestore.NewServers("cache-1.internal:11211", "cache-2.internal:11211")
	if err != nil {
		panic(err)
	}
	mc := memcache.NewFromSelector(ss)
	m := memcachestore.New(mc, memcachestore.WithSelector(ss))
	defer m.Close()
	addr, _ := ss.PickServer("user:42")
	fmt.Println(addr.Network(), addr.String())
	// Output: tcp cache-1.internal:11211
}
