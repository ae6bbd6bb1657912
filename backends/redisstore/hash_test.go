package redisstore_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/backendtest"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// hashKey returns a hash key unique to this test run, removed at cleanup.
func hashKey(t *testing.T, c redis.UniversalClient) string {
	var b [6]byte
	_, _ = rand.Read(b[:])
	k := "ring-test:hash:" + hex.EncodeToString(b[:])
	t.Cleanup(func() { _ = c.Del(context.Background(), k).Err() })
	return k
}

var redisHashOptions = backendtest.Options{NoExpiry: true, HonoursContext: true}

func TestRedisHashConformance(t *testing.T) {
	c := redisClient(t, servertest.RedisAddr(t))
	k := hashKey(t, c)
	backendtest.Run(t, func(*testing.T) backends.Storage { return redisstore.NewHash(c, k) }, redisHashOptions)
}

func TestRedisHashClusterConformance(t *testing.T) {
	c := redisCluster(t)
	k := hashKey(t, c)
	backendtest.Run(t, func(*testing.T) backends.Storage { return redisstore.NewHash(c, k) }, redisHashOptions)
}

func TestRedisHashExpiryError(t *testing.T) {
	c := redisClient(t, servertest.RedisAddr(t))
	h := redisstore.NewHash(c, hashKey(t, c))
	err := h.Set(t.Context(), "f", []byte("v"), time.Minute)
	if !errors.Is(err, backends.ErrNotSupported) {
		t.Fatalf("Set with a ttl: %v, want ErrNotSupported", err)
	}
	for _, want := range []string{"ring: backend redis-hash: set with expiry 1m0s", "Redis 7.4", "HPEXPIRE"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if h.Raw() != redis.UniversalClient(c) || h.HashKey() == "" {
		t.Error("Raw or HashKey wrong")
	}
}

// TestRedisHashEntriesAreFields checks that the entries really are fields
// of the one hash, and that Clear with an empty prefix removes the hash.
func TestRedisHashEntriesAreFields(t *testing.T) {
	c := redisClient(t, servertest.RedisAddr(t))
	key := hashKey(t, c)
	h := redisstore.NewHash(c, key)
	ctx := t.Context()
	if err := h.SetMany(ctx, []string{"a", "b"}, []any{[]byte("1"), []byte("2")}, 0); err != nil {
		t.Fatal(err)
	}
	m, err := c.HGetAll(ctx, key).Result()
	if err != nil || len(m) != 2 || m["a"] != "1" || m["b"] != "2" {
		t.Fatalf("HGETALL %s = %v, %v", key, m, err)
	}
	if err := h.Clear(ctx, "", nil); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Exists(ctx, key).Result(); n != 0 {
		t.Error("Clear(\"\") left the hash")
	}
}
