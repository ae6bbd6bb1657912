package redisstore_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/backendtest"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

func redisClient(t testing.TB, addr string) *redis.Client {
	t.Helper()
	c := redis.NewClient(&redis.Options{Addr: addr, ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func redisCluster(t testing.TB) *redis.ClusterClient {
	t.Helper()
	c := redis.NewClusterClient(&redis.ClusterOptions{Addrs: servertest.RedisClusterAddrs(t), ContextTimeoutEnabled: true})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

var redisOptions = backendtest.Options{HonoursContext: true}

func TestRedisConformance(t *testing.T) {
	c := redisClient(t, servertest.RedisAddr(t))
	backendtest.Run(t, func(*testing.T) backends.Storage { return redisstore.New(c) }, redisOptions)
}

func TestRedisClusterConformance(t *testing.T) {
	c := redisCluster(t)
	backendtest.Run(t, func(*testing.T) backends.Storage { return redisstore.New(c) }, redisOptions)
}

// TestRedisRingConformance runs the suite on a client-side sharded
// redis.Ring of the shared server and a private one, where multi-key
// commands must be split per key.
func TestRedisRingConformance(t *testing.T) {
	shared := servertest.RedisAddr(t)
	private := servertest.StartRedis(t)
	ring := redis.NewRing(&redis.RingOptions{
		Addrs:                 map[string]string{"a": shared, "b": private.Addr()},
		ContextTimeoutEnabled: true,
	})
	t.Cleanup(func() { _ = ring.Close() })
	backendtest.Run(t, func(*testing.T) backends.Storage { return redisstore.New(ring) }, redisOptions)

	// Both shards got keys: the test did exercise the sharding.
	r := redisstore.New(ring)
	keys := make([]string, 50)
	vals := make([]any, 50)
	for i := range keys {
		keys[i], vals[i] = fmt.Sprintf("ring-test:ring-spread:%d", i), []byte("v")
	}
	if err := r.SetMany(t.Context(), keys, vals, time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.DeleteMany(context.Background(), keys) })
	n, err := redisClient(t, private.Addr()).DBSize(t.Context()).Result()
	if err != nil || n == 0 || n == 50 {
		t.Errorf("private shard holds %d of 50 keys (err %v): want some, not all", n, err)
	}
}

// TestRedisClusterBulkAcrossSlots writes and reads keys that fall in many
// slots (and some that share a hash tag) in single bulk calls: no CROSSSLOT.
func TestRedisClusterBulkAcrossSlots(t *testing.T) {
	r := redisstore.New(redisCluster(t))
	ctx := t.Context()
	var keys []string
	var vals []any
	for i := range 300 {
		k := fmt.Sprintf("ring-test:slots:%d:%d", time.Now().UnixNano(), i)
		if i%3 == 0 {
			k = fmt.Sprintf("ring-test:{tag}:%d:%d", time.Now().UnixNano(), i)
		}
		keys, vals = append(keys, k), append(vals, []byte(k))
	}
	if err := r.SetMany(ctx, keys, vals, time.Minute); err != nil {
		t.Fatal(err)
	}
	got, found, err := r.GetMany(ctx, append(keys, "ring-test:slots:missing"))
	if err != nil {
		t.Fatalf("GetMany across slots: %v", err)
	}
	for i, k := range keys {
		if !found[i] || string(got[i].([]byte)) != k {
			t.Fatalf("GetMany %q = %v, %v", k, got[i], found[i])
		}
	}
	if found[len(keys)] {
		t.Error("a missing key was found")
	}
	if err := r.DeleteMany(ctx, keys); err != nil {
		t.Fatalf("DeleteMany across slots: %v", err)
	}
	has, err := r.HasMany(ctx, keys)
	if err != nil {
		t.Fatal(err)
	}
	for i, h := range has {
		if h {
			t.Fatalf("%q survived DeleteMany", keys[i])
		}
	}
}

func TestRedisRawAndName(t *testing.T) {
	c := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1})
	t.Cleanup(func() { _ = c.Close() })
	r := redisstore.New(c)
	if r.Raw() != redis.UniversalClient(c) {
		t.Error("Raw() is not the client")
	}
	if r.Name() != "redis" || !r.Bytes() {
		t.Errorf("Name %q Bytes %v", r.Name(), r.Bytes())
	}
	// A client given to New stays open after Close.
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := c.Ping(t.Context()).Err(); errors.Is(err, redis.ErrClosed) {
		t.Error("Close closed a client it does not own")
	}
}

// faultClient is a client with short timeouts and no retries, so that a
// call against a stopped or frozen server fails fast.
func faultClient(t *testing.T, addr string, read time.Duration) *redis.Client {
	c := redis.NewClient(&redis.Options{
		Addr:                  addr,
		DialTimeout:           200 * time.Millisecond,
		ReadTimeout:           read,
		WriteTimeout:          read,
		MaxRetries:            -1,
		ContextTimeoutEnabled: true,
	})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestRedisServerRestart stops the server in the middle: calls fail fast
// with errors naming the backend and the operation; after a restart on the
// same port the same client works again.
func TestRedisServerRestart(t *testing.T) {
	srv := servertest.StartRedis(t)
	r := redisstore.New(faultClient(t, srv.Addr(), 200*time.Millisecond))
	ctx := t.Context()
	if err := r.Set(ctx, "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}

	srv.Stop()
	start := time.Now()
	_, _, err := r.Get(ctx, "k")
	if err == nil || !strings.HasPrefix(err.Error(), `ring: backend redis: get "k": `) {
		t.Fatalf("Get against a stopped server: %v", err)
	}
	if err := r.Set(ctx, "k", []byte("v"), 0); err == nil {
		t.Fatal("Set against a stopped server: no error")
	}
	if _, _, err := r.GetMany(ctx, []string{"a", "b"}); err == nil {
		t.Fatal("GetMany against a stopped server: no error")
	}
	if err := r.Clear(ctx, "x", nil); err == nil {
		t.Fatal("Clear against a stopped server: no error")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("four calls against a stopped server took %v", d)
	}

	srv.Restart()
	deadline := time.Now().Add(3 * time.Second)
	for {
		_, found, err := r.Get(ctx, "k")
		if err == nil {
			if found {
				t.Error("the restarted server kept data: it should start empty")
			}
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the client does not recover after the restart: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err := r.Set(ctx, "k", []byte("again"), 0); err != nil {
		t.Fatalf("Set after the restart: %v", err)
	}
	if v, _, err := r.Get(ctx, "k"); err != nil || string(v.([]byte)) != "again" {
		t.Fatalf("Get after the restart = %v, %v", v, err)
	}
}

// TestRedisFrozenServer freezes the server (it accepts but never answers): a
// ctx deadline ends the call well before the client's read timeout, and a
// cancelled ctx fails at once.
func TestRedisFrozenServer(t *testing.T) {
	srv := servertest.StartRedis(t)
	r := redisstore.New(faultClient(t, srv.Addr(), 10*time.Second))
	if err := r.Set(t.Context(), "k", []byte("v"), 0); err != nil {
		t.Fatal(err)
	}
	srv.Pause()
	defer srv.Resume()

	ctx, cancel := context.WithTimeout(t.Context(), 150*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, _, err := r.Get(ctx, "k")
	if err == nil {
		t.Fatal("Get against a frozen server: no error")
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Get with a 150ms deadline took %v against a frozen server", d)
	}

	cctx, ccancel := context.WithCancel(t.Context())
	ccancel()
	start = time.Now()
	if _, _, err := r.Get(cctx, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get with a cancelled ctx: %v, want context.Canceled", err)
	}
	if d := time.Since(start); d > 100*time.Millisecond {
		t.Errorf("Get with a cancelled ctx took %v", d)
	}
}
