package memcachestore_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
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

// memcacheAutoPipelined returns a backend with a selector and AutoPipeline
// on, closed at the end of t.
func memcacheAutoPipelined(t testing.TB, addrs ...string) (*memcachestore.Store, *memcache.Client) {
	t.Helper()
	return memcacheWithOptions(t, addrs, memcachestore.AutoPipeline(true))
}

func TestMemcacheAutoPipelineConformance(t *testing.T) {
	m, _ := memcacheAutoPipelined(t, servertest.MemcacheAddrs(t)...)
	backendtest.Run(t, func(*testing.T) backends.Storage { return m }, memcacheOptions)
}

// TestMemcacheNoAutoPipelineConformance runs the suite with each Get a get
// of its own (AutoPipeline(false)), the path the option turns off.
func TestMemcacheNoAutoPipelineConformance(t *testing.T) {
	m, _ := memcacheWithOptions(t, servertest.MemcacheAddrs(t), memcachestore.AutoPipeline(false))
	if m.AutoPipelined() {
		t.Fatal("AutoPipeline(false) left the Store autopipelined")
	}
	backendtest.Run(t, func(*testing.T) backends.Storage { return m }, memcacheOptions)
}

// mcValue is the value of key i of goroutine g in the tests below: its own
// bytes, of a size that varies from 0 to large (every 50th is 300 KiB, so
// that small values queue behind large ones in one get).
func mcValue(g, i int) []byte {
	head := fmt.Sprintf("g%d/k%d/", g, i)
	switch {
	case i%50 == 49:
		return append([]byte(head), bytes.Repeat([]byte{byte(g)}, 300<<10)...)
	case i%7 == 3:
		return []byte{} // empty
	}
	return append([]byte(head), bytes.Repeat([]byte{byte(i)}, i%300)...)
}

// TestMemcacheAutoPipelineRepliesNotMixed: 64 goroutines read their own
// keys (hits of values from empty to 300 KiB, and misses), a quarter of
// them with contexts that end at random, some keys read by two
// goroutines at once (the same key twice in one get): every value read is
// the caller's own, every miss is a key never written, and the gets were
// combined.
func TestMemcacheAutoPipelineRepliesNotMixed(t *testing.T) {
	addrs := servertest.MemcacheAddrs(t)
	m, _ := memcacheAutoPipelined(t, addrs...)
	ctx := t.Context()
	prefix := fmt.Sprintf("ring-test:ap:%d:", time.Now().UnixNano())
	key := func(g, i int) string { return fmt.Sprintf("%sg%d:k%d", prefix, g, i) }
	const goroutines, perG = 64, 100
	var keys []string
	var values []any
	for g := range goroutines {
		for i := range perG {
			if i%5 == 4 {
				continue // a miss
			}
			keys = append(keys, key(g, i))
			values = append(values, mcValue(g, i))
		}
	}
	if err := m.SetMany(ctx, keys, values, time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.DeleteMany(context.Background(), keys) })
	var wg sync.WaitGroup
	var reads, ended atomic.Int64
	for g := range goroutines {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(g), 1))
			for round := range 3 {
				for i := range perG {
					// Goroutines g and g^1 share their keys half of the time.
					owner := g
					if (i+round)%2 == 0 {
						owner = g ^ 1
					}
					cctx, cancel := ctx, context.CancelFunc(func() {})
					if g%4 == 0 {
						cctx, cancel = context.WithTimeout(ctx, time.Duration(rnd.IntN(400))*time.Microsecond)
					}
					v, found, err := m.Get(cctx, key(owner, i))
					cancel()
					if err != nil {
						if g%4 == 0 && (errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)) {
							ended.Add(1)
							continue
						}
						t.Errorf("goroutine %d, key %d of %d: %v", g, i, owner, err)
						return
					}
					reads.Add(1)
					if i%5 == 4 {
						if found {
							t.Errorf("goroutine %d: a miss read %q", g, v)
						}
						continue
					}
					if !found || !bytes.Equal(v.([]byte), mcValue(owner, i)) {
						got := fmt.Sprint(found)
						if found {
							b := v.([]byte)
							got = fmt.Sprintf("%d bytes %q", len(b), b[:min(len(b), 20)])
						}
						t.Errorf("goroutine %d read key %d of %d: %s, want its own value", g, i, owner, got)
						return
					}
				}
			}
		})
	}
	wg.Wait()
	n := memcachestore.CombinedBatches(m)
	t.Logf("%d reads, %d ended by their context, %d combined gets", reads.Load(), ended.Load(), n)
	if n == 0 {
		t.Error("64 goroutines never shared a get")
	}
}

// TestMemcacheAutoPipelineLone: one caller's reads go alone, one get each,
// never combined.
func TestMemcacheAutoPipelineLone(t *testing.T) {
	m, _ := memcacheAutoPipelined(t, servertest.MemcacheAddrs(t)...)
	ctx := t.Context()
	k := fmt.Sprintf("ring-test:ap-lone:%d", time.Now().UnixNano())
	if err := m.Set(ctx, k, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Delete(context.Background(), k) })
	for range 200 {
		v, found, err := m.Get(ctx, k)
		if err != nil || !found || string(v.([]byte)) != "v" {
			t.Fatalf("Get = %q, %v, %v", v, found, err)
		}
	}
	if n := memcachestore.CombinedBatches(m); n != 0 {
		t.Errorf("a lone caller's reads were combined %d times", n)
	}
}

// TestMemcacheAutoPipelineLeaderGivesUp freezes the server under leaders
// whose deadlines are short, with callers queued behind them whose
// deadlines are long: a first caller (100ms) leads alone; a second
// (300ms), queued first, leads next and sends the others' keys with its
// own; each returns at its deadline, and once the server runs again the
// others read their own values (their keys are sent again, for them).
func TestMemcacheAutoPipelineLeaderGivesUp(t *testing.T) {
	srv := servertest.StartMemcached(t)
	m, c := memcacheAutoPipelined(t, srv.Addr())
	c.Timeout = 10 * time.Second
	ctx := t.Context()
	const n = 16
	for i := range n {
		if err := m.Set(ctx, fmt.Sprint("k", i), []byte(fmt.Sprint("v", i)), 0); err != nil {
			t.Fatal(err)
		}
	}
	if _, _, err := m.Get(ctx, "k0"); err != nil { // a pooled connection
		t.Fatal(err)
	}
	srv.Pause()
	resumed := false
	defer func() {
		if !resumed {
			srv.Resume()
		}
	}()
	start := time.Now()
	short := func(i int, d time.Duration, done chan<- error) {
		lctx, cancel := context.WithTimeout(ctx, d)
		defer cancel()
		_, _, err := m.Get(lctx, fmt.Sprint("k", i))
		done <- err
	}
	first, second := make(chan error, 1), make(chan error, 1)
	go short(0, 100*time.Millisecond, first)
	time.Sleep(30 * time.Millisecond) // the first get is on the wire
	go short(1, 300*time.Millisecond, second)
	time.Sleep(30 * time.Millisecond) // the second caller is the oldest queued
	var wg sync.WaitGroup
	for i := 2; i < n; i++ {
		wg.Go(func() {
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			v, found, err := m.Get(wctx, fmt.Sprint("k", i))
			if err != nil || !found || string(v.([]byte)) != fmt.Sprint("v", i) {
				t.Errorf("caller %d behind leaders that gave up: %q, %v, %v", i, v, found, err)
			}
		})
	}
	for i, ch := range []chan error{first, second} {
		err := <-ch
		if d := time.Since(start); !errors.Is(err, context.DeadlineExceeded) || d > 2*time.Second {
			t.Fatalf("leader %d on a frozen server: %v after %v, want its deadline", i+1, err, d)
		}
	}
	time.Sleep(100 * time.Millisecond)
	srv.Resume()
	resumed = true
	wg.Wait()
	if memcachestore.CombinedBatches(m) == 0 {
		t.Error("the second leader did not carry the others' keys")
	}
}

// TestMemcacheAutoPipelineFrozenServer: 32 callers with a deadline of
// 150ms on a frozen server all return by it (plus slack), with their
// context's error, and the reads work again once it runs.
func TestMemcacheAutoPipelineFrozenServer(t *testing.T) {
	srv := servertest.StartMemcached(t)
	m, c := memcacheAutoPipelined(t, srv.Addr())
	c.Timeout = 10 * time.Second
	ctx := t.Context()
	if err := m.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	srv.Pause()
	resumed := false
	defer func() {
		if !resumed {
			srv.Resume()
		}
	}()
	var wg sync.WaitGroup
	var late atomic.Int64
	for range 32 {
		wg.Go(func() {
			for range 3 {
				start := time.Now()
				dctx, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
				_, _, err := m.Get(dctx, "k")
				cancel()
				d := time.Since(start)
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Errorf("Get on a frozen server: %v, want its deadline", err)
				}
				if d > time.Second {
					late.Add(1)
					t.Errorf("Get on a frozen server returned after %v, its deadline was 150ms", d)
				}
			}
		})
	}
	wg.Wait()
	srv.Resume()
	resumed = true
	v, found, err := m.Get(ctx, "k")
	if err != nil || !found || string(v.([]byte)) != "v" {
		t.Fatalf("Get after the server resumed = %q, %v, %v", v, found, err)
	}
}

// TestMemcacheAutoPipelineServerKilled stops the server under 32 readers:
// every call returns (a value or an error naming the server, none of
// another key), none hangs, and after a restart the reads work again.
func TestMemcacheAutoPipelineServerKilled(t *testing.T) {
	srv := servertest.StartMemcached(t)
	m, c := memcacheAutoPipelined(t, srv.Addr())
	c.Timeout = 2 * time.Second
	ctx := t.Context()
	for i := range 32 {
		if err := m.Set(ctx, fmt.Sprint("k", i), []byte(fmt.Sprint("v", i)), 0); err != nil {
			t.Fatal(err)
		}
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var fails, hits atomic.Int64
	for g := range 32 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				start := time.Now()
				v, found, err := m.Get(ctx, fmt.Sprint("k", g))
				if d := time.Since(start); d > 5*time.Second {
					t.Errorf("a Get took %v", d)
				}
				switch {
				case err != nil:
					fails.Add(1)
					if !strings.Contains(err.Error(), "ring: backend memcache: get") {
						t.Errorf("Get on a killed server: %v", err)
					}
					time.Sleep(time.Millisecond)
				case found && string(v.([]byte)) != fmt.Sprint("v", g):
					t.Errorf("goroutine %d read %q", g, v)
				case found:
					hits.Add(1)
				}
			}
		})
	}
	time.Sleep(100 * time.Millisecond)
	srv.Stop()
	time.Sleep(200 * time.Millisecond)
	close(stop)
	wg.Wait()
	if fails.Load() == 0 || hits.Load() == 0 {
		t.Errorf("%d hits, %d failures: want both (reads before and after the kill)", hits.Load(), fails.Load())
	}
	srv.Restart()
	// gomemcache's own Set would fail once on its stale connection: write
	// with a client of its own.
	w := memcache.New(srv.Addr())
	defer w.Close()
	if err := w.Set(&memcache.Item{Key: "k0", Value: []byte("again")}); err != nil {
		t.Fatal(err)
	}
	v, found, err := m.Get(ctx, "k0")
	if err != nil || !found || string(v.([]byte)) != "again" {
		t.Fatalf("Get after the restart = %q, %v, %v", v, found, err)
	}
}

// TestMemcacheAutoPipelineLeaderPanics: the client's DialContext panics
// under a leader while other callers are queued behind it: the panic goes
// up the leader's stack, and the queued callers are served.
func TestMemcacheAutoPipelineLeaderPanics(t *testing.T) {
	addr := servertest.MemcacheAddrs(t)[0]
	m, c := memcacheAutoPipelined(t, addr)
	ctx := t.Context()
	k := fmt.Sprintf("ring-test:ap-panic:%d", time.Now().UnixNano())
	if err := m.Set(ctx, k, []byte("v"), time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = m.Delete(context.Background(), k) })
	release := make(chan struct{})
	var panicked atomic.Bool
	c.DialContext = func(ctx context.Context, network, a string) (net.Conn, error) {
		if panicked.CompareAndSwap(false, true) {
			<-release
			panic("dial hook")
		}
		var d net.Dialer
		return d.DialContext(ctx, network, a)
	}
	leader := make(chan any, 1)
	go func() {
		defer func() { leader <- recover() }()
		_, _, _ = m.Get(ctx, k)
	}()
	for !panicked.Load() {
		time.Sleep(time.Millisecond)
	}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			wctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			defer cancel()
			v, found, err := m.Get(wctx, k)
			if err != nil || !found || string(v.([]byte)) != "v" {
				t.Errorf("a caller queued behind a leader that panicked: %q, %v, %v", v, found, err)
			}
		})
	}
	time.Sleep(50 * time.Millisecond)
	close(release)
	if p := <-leader; p != "dial hook" {
		t.Errorf("the leader recovered %v, want the hook's panic", p)
	}
	wg.Wait()
}
