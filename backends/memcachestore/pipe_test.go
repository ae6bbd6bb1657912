package memcachestore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/backendtest"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/internal/servertest"
)

// memcacheWithSelector returns a backend whose bulk reads go through its own
// pipelined connections (backends.WithSelector), closed at the end of t.
func memcacheWithSelector(t testing.TB, addrs ...string) (*memcachestore.Store, *memcache.Client) {
	t.Helper()
	return memcacheWithOptions(t, addrs)
}

// memcacheWithOptions is memcacheWithSelector with more options.
func memcacheWithOptions(t testing.TB, addrs []string, opts ...memcachestore.Option) (*memcachestore.Store, *memcache.Client) {
	t.Helper()
	ss := new(memcache.ServerList)
	if err := ss.SetServers(addrs...); err != nil {
		t.Fatal(err)
	}
	c := memcache.NewFromSelector(ss)
	m := memcachestore.New(c, append([]memcachestore.Option{memcachestore.WithSelector(ss)}, opts...)...)
	t.Cleanup(func() {
		_ = m.Close()
		_ = c.Close()
	})
	return m, c
}

func TestMemcacheSelectorConformance(t *testing.T) {
	m, _ := memcacheWithSelector(t, servertest.MemcacheAddrs(t)...)
	backendtest.Run(t, func(*testing.T) backends.Storage { return m }, memcacheOptions)
}

// TestMemcachePipelinedGetMany reads more keys than one request carries,
// spread over every server, with misses, repeated keys, empty, binary and
// large values, and compares each answer with what the client's own Get
// returns.
func TestMemcachePipelinedGetMany(t *testing.T) {
	addrs := servertest.MemcacheAddrs(t)
	m, c := memcacheWithSelector(t, addrs...)
	ctx := t.Context()
	base := fmt.Sprintf("ring-test:pipe:%d:", time.Now().UnixNano())
	var keys []string
	want := map[string][]byte{}
	for i := range 350 {
		k := base + fmt.Sprint(i)
		keys = append(keys, k)
		if i%3 == 0 {
			continue // a miss
		}
		v := []byte(fmt.Sprintf("value %d\r\nEND\r\n", i)) // protocol words inside a value
		switch i {
		case 1:
			v = []byte{}
		case 2:
			v = bytes.Repeat([]byte{0, 0xff, '\n'}, 300<<10/3) // 300 KiB
		}
		if err := m.Set(ctx, k, v, time.Minute); err != nil {
			t.Fatal(err)
		}
		want[k] = v
	}
	// Repeats, in and out of order, and a key that needs refactoring.
	long := base + strings.Repeat("long ", 60)
	if err := m.Set(ctx, long, []byte("long"), time.Minute); err != nil {
		t.Fatal(err)
	}
	want[long] = []byte("long")
	keys = append(keys, keys[1], keys[5], keys[5], long, keys[0])

	got, err := m.GetManyBytes(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != len(keys) {
		t.Fatalf("GetManyBytes returned %d values for %d keys", len(got), len(keys))
	}
	for i, k := range keys {
		w, hit := want[k]
		switch {
		case !hit && got[i] != nil:
			t.Errorf("key %d (%s): a miss read as %q", i, k, got[i])
		case hit && got[i] == nil:
			t.Errorf("key %d (%s): a hit read as a miss", i, k)
		case hit && !bytes.Equal(got[i], w):
			t.Errorf("key %d (%s): read %d bytes, want %d", i, k, len(got[i]), len(w))
		}
		if hit {
			it, err := c.Get(m.RefactorKey(k))
			if err != nil || !bytes.Equal(it.Value, got[i]) {
				t.Errorf("key %d: the client's Get disagrees: %v", i, err)
			}
		}
	}
	// Every slice is the caller's: writing to one changes no other.
	got[len(keys)-4][0] = 'X' // keys[5], asked for twice
	if got[len(keys)-3][0] == 'X' {
		t.Error("two answers for one key share their bytes")
	}
	has, err := m.HasMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		if _, hit := want[k]; has[i] != hit {
			t.Errorf("HasMany[%d] = %v, want %v", i, has[i], hit)
		}
	}
}

// TestMemcachePipelinedCancel freezes the server: a bulk read returns at a
// cancel and at a deadline, well before the client's Timeout, and once the
// server runs again the next read works on a new connection.
func TestMemcachePipelinedCancel(t *testing.T) {
	srv := servertest.StartMemcached(t)
	m, c := memcacheWithSelector(t, srv.Addr())
	c.Timeout = 10 * time.Second
	ctx := t.Context()
	if err := m.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	if _, err := m.GetManyBytes(ctx, []string{"k"}); err != nil { // a pooled connection
		t.Fatal(err)
	}
	srv.Pause()
	resumed := false
	defer func() {
		if !resumed {
			srv.Resume()
		}
	}()

	cctx, cancel := context.WithCancel(ctx)
	time.AfterFunc(100*time.Millisecond, cancel)
	start := time.Now()
	_, err := m.GetManyBytes(cctx, []string{"k", "other"})
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "ring: backend memcache: get many (2 keys): ") {
		t.Fatalf("GetManyBytes on a frozen server, cancelled: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the cancel took %v to stop the read", d)
	}

	dctx, dcancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer dcancel()
	start = time.Now()
	_, err = m.HasMany(dctx, []string{"k"})
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("HasMany on a frozen server past its deadline: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the deadline took %v to stop the read", d)
	}

	wctx, wcancel := context.WithCancel(ctx)
	time.AfterFunc(100*time.Millisecond, wcancel)
	start = time.Now()
	err = m.SetMany(wctx, []string{"k", "k2"}, []any{[]byte("v"), make([]byte, 64<<10)}, 0)
	if !errors.Is(err, context.Canceled) || !strings.HasPrefix(err.Error(), "ring: backend memcache: set many (2 keys): ") {
		t.Fatalf("SetMany on a frozen server, cancelled: %v", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("the cancel took %v to stop the writes", d)
	}

	srv.Resume()
	resumed = true
	got, err := m.GetManyBytes(ctx, []string{"k"})
	if err != nil || string(got[0]) != "v" {
		t.Fatalf("GetManyBytes after the server resumed = %q, %v", got, err)
	}
}

// TestMemcachePipelinedRestart: idle connections the server closed when it
// restarted are found dead and replaced within the same call. (gomemcache's
// own calls fail once on such a connection: the writes here go through a
// client of their own.)
func TestMemcachePipelinedRestart(t *testing.T) {
	srv := servertest.StartMemcached(t)
	m, c := memcacheWithSelector(t, srv.Addr())
	c.Timeout = 500 * time.Millisecond
	ctx := t.Context()
	set := func(v string) {
		t.Helper()
		w := memcache.New(srv.Addr())
		defer w.Close()
		if err := w.Set(&memcache.Item{Key: "a", Value: []byte(v)}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := m.GetManyBytes(ctx, []string{"a", "b"}); err != nil { // a pooled connection
		t.Fatal(err)
	}
	srv.Stop()
	if _, err := m.GetManyBytes(ctx, []string{"a"}); err == nil || !strings.Contains(err.Error(), "server "+srv.Addr()) {
		t.Fatalf("GetManyBytes against a stopped server: %v, want an error naming the server", err)
	}
	srv.Restart()
	set("after")
	// Pool a connection, restart the server under it, and read again.
	if got, err := m.GetManyBytes(ctx, []string{"a"}); err != nil || string(got[0]) != "after" {
		t.Fatalf("GetManyBytes after the restart = %q, %v", got, err)
	}
	srv.Restart()
	set("again")
	got, err := m.GetManyBytes(ctx, []string{"a", "b"})
	if err != nil || string(got[0]) != "again" || got[1] != nil {
		t.Fatalf("GetManyBytes on a stale pooled connection = %q, %v", got, err)
	}
}

func TestMemcachePipelinedClosed(t *testing.T) {
	m, _ := memcacheWithSelector(t, servertest.MemcacheAddrs(t)...)
	if _, err := m.GetManyBytes(t.Context(), []string{"a"}); err != nil {
		t.Fatal(err)
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	_, err := m.GetManyBytes(t.Context(), []string{"a"})
	if err == nil || !strings.Contains(err.Error(), "closed") {
		t.Fatalf("GetManyBytes after Close: %v", err)
	}
	if err := m.Set(t.Context(), "a", []byte("v"), 0); err != nil {
		t.Fatalf("Set after Close (the client is the caller's): %v", err)
	}
}

// TestMemcachePipelinedWrites: SetMany, TouchMany and DeleteMany over more
// keys than one round carries and every server, checked key by key through
// the client; a value the server refuses fails alone and leaves the stream
// in step for the next call on the same connections.
func TestMemcachePipelinedWrites(t *testing.T) {
	m, c := memcacheWithSelector(t, servertest.MemcacheAddrs(t)...)
	ctx := t.Context()
	base := fmt.Sprintf("ring-test:pipew:%d:", time.Now().UnixNano())
	keys := make([]string, 230)
	values := make([]any, len(keys))
	for i := range keys {
		keys[i] = base + fmt.Sprint(i)
		values[i] = []byte(fmt.Sprintf("v%d\r\nSTORED\r\n", i))
	}
	keys[7] = base + "a key with spaces, refactored"
	if err := m.SetMany(ctx, keys, values, time.Minute); err != nil {
		t.Fatal(err)
	}
	for i, k := range keys {
		it, err := c.Get(m.RefactorKey(k))
		if err != nil || !bytes.Equal(it.Value, values[i].([]byte)) {
			t.Fatalf("key %d after SetMany: %v", i, err)
		}
	}

	// One oversize value among good ones.
	values[3] = make([]byte, 2<<20)
	values[200] = []byte("changed")
	err := m.SetMany(ctx, keys, values, time.Minute)
	for _, want := range []string{
		"ring: backend memcache: set many (230 keys): 1 of 230 keys failed, the first: ",
		fmt.Sprintf("set %q (2097152 bytes): server answered \"SERVER_ERROR", keys[3]),
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("SetMany with a 2 MiB value: error %v, want one saying %q", err, want)
		}
	}
	got, err := m.GetManyBytes(ctx, keys)
	if err != nil {
		t.Fatalf("GetManyBytes after a refused value (is the stream in step?): %v", err)
	}
	if string(got[200]) != "changed" {
		t.Errorf("the value after the refused one = %q, want it written", got[200])
	}
	if !bytes.HasPrefix(got[3], []byte("v3")) && got[3] != nil {
		t.Errorf("the refused key holds %d bytes", len(got[3]))
	}

	// TouchMany to persistent, with absent keys among them.
	absent := base + "absent"
	if err := m.TouchMany(ctx, append([]string{absent}, keys...), 0); err != nil {
		t.Fatalf("TouchMany with an absent key: %v", err)
	}
	if ok, _ := m.Has(ctx, absent); ok {
		t.Fatal("TouchMany created an absent key")
	}
	// DeleteMany, absent keys included, leaves none.
	if err := m.DeleteMany(ctx, append(keys, absent)); err != nil {
		t.Fatalf("DeleteMany: %v", err)
	}
	has, err := m.HasMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range has {
		if h {
			t.Errorf("key %d survived DeleteMany", i)
		}
	}
}

// TestMemcachePipelinedPool: the bulk forms dial through the client's
// DialContext and keep connections for reuse: sequential calls dial once,
// and after concurrent calls at most MaxIdleConns stay idle (the next
// calls reuse them without dialing).
func TestMemcachePipelinedPool(t *testing.T) {
	srv := servertest.StartMemcached(t)
	m, c := memcacheWithSelector(t, srv.Addr())
	var dials atomic.Int64
	c.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		var d net.Dialer
		return d.DialContext(ctx, network, addr)
	}
	c.MaxIdleConns = 2
	ctx := t.Context()
	for range 5 {
		if _, err := m.GetManyBytes(ctx, []string{"a", "b"}); err != nil {
			t.Fatal(err)
		}
		if err := m.SetMany(ctx, []string{"a"}, []any{[]byte("v")}, 0); err != nil {
			t.Fatal(err)
		}
	}
	if n := dials.Load(); n != 1 {
		t.Fatalf("10 sequential bulk calls dialed %d times, want 1 (through the client's DialContext)", n)
	}
	var wg sync.WaitGroup
	for range 6 {
		wg.Go(func() {
			for range 20 {
				if _, err := m.GetManyBytes(ctx, []string{"a"}); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	before := dials.Load()
	for range 5 {
		if _, err := m.GetManyBytes(ctx, []string{"a"}); err != nil {
			t.Fatal(err)
		}
	}
	if n := dials.Load(); n != before {
		t.Errorf("sequential calls after the concurrent ones dialed %d more times, want 0 (idle connections reused)", n-before)
	}
}
