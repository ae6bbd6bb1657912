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
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// hostileKeys are keys whose hash tag is absent, empty, or cut short by a
// '}', beside ordinary and tagged ones.
var hostileKeys = []string{
	"plain", "a}b{", "{}x", "{", "}", "}{", "{}", "x{}y{z}", "{a}{b}", "{{a}}", "a{b", "a{b}c",
	"ünïcødé:ключ:鍵", "{ünï}cødé", "}ünï{", "", "lease:ring-lease{x}", "ring-lease:{x}", "ring-lease{x}",
}

// TestLeaseKeySlot checks, against the real cluster's CLUSTER KEYSLOT,
// that every lease key is in its entry's slot, and that distinct keys
// get distinct lease keys.
func TestLeaseKeySlot(t *testing.T) {
	c := redisCluster(t)
	ctx := context.Background()
	seen := map[string]string{}
	keys := append([]string{}, hostileKeys...)
	for i := range 200 { // many slots for the third form
		keys = append(keys, fmt.Sprintf("k}%d", i))
	}
	for _, k := range keys {
		lk := redisstore.LeaseKey(k)
		if prev, dup := seen[lk]; dup {
			t.Fatalf("LeaseKey(%q) = LeaseKey(%q) = %q", k, prev, lk)
		}
		seen[lk] = k
		want, err := c.ClusterKeySlot(ctx, k).Result()
		if err != nil {
			t.Fatal(err)
		}
		got, err := c.ClusterKeySlot(ctx, lk).Result()
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("LeaseKey(%q) = %q: slot %d, the entry's is %d", k, lk, got, want)
		}
		if !strings.HasPrefix(lk, "ring-lease") {
			t.Errorf("LeaseKey(%q) = %q: not under ring-lease", k, lk)
		}
	}
}

// leaseStores are the Redis deployments leases run on.
func leaseStores(t *testing.T) map[string]func() *redisstore.Store {
	return map[string]func() *redisstore.Store{
		"node": func() *redisstore.Store { return redisstore.New(redisClient(t, servertest.RedisAddr(t))) },
		"cluster": func() *redisstore.Store {
			return redisstore.New(redisCluster(t))
		},
	}
}

// TestLease checks the lease's promises on a node and on the cluster,
// hostile keys included: one holder at a time; SetLeased writes only
// with the lease it holds and frees it; ReleaseLease frees only its own;
// the lease expires by itself; Delete, Remove and DeleteMany clear it.
func TestLease(t *testing.T) {
	for name, newStore := range leaseStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a, b := newStore(), newStore() // two clients, as two processes
			for i, hk := range hostileKeys {
				key := fmt.Sprintf("%s:lease:%d:%d:%s", t.Name(), time.Now().UnixNano(), i, hk)
				t.Cleanup(func() { _ = a.Delete(context.Background(), key) })

				tok, ok, err := a.TakeLease(ctx, key, time.Minute)
				if err != nil || !ok || tok == "" {
					t.Fatalf("%q: TakeLease = %q, %v, %v; want a token", key, tok, ok, err)
				}
				if _, ok, err := b.TakeLease(ctx, key, time.Minute); err != nil || ok {
					t.Fatalf("%q: a second TakeLease = %v, %v; want not taken", key, ok, err)
				}
				if w, err := b.SetLeased(ctx, key, "forged", []byte("x"), 0); err != nil || w {
					t.Fatalf("%q: SetLeased with a forged token = %v, %v; want not written", key, w, err)
				}
				if err := b.ReleaseLease(ctx, key, "forged"); err != nil {
					t.Fatal(err)
				}
				if _, ok, _ := b.TakeLease(ctx, key, time.Minute); ok {
					t.Fatalf("%q: a forged release freed the lease", key)
				}
				if w, err := a.SetLeased(ctx, key, tok, []byte("v1"), time.Minute); err != nil || !w {
					t.Fatalf("%q: SetLeased = %v, %v; want written", key, w, err)
				}
				v, ttl, found, err := a.GetWithTTL(ctx, key)
				if err != nil || !found || string(v.([]byte)) != "v1" || ttl <= 0 || ttl > time.Minute {
					t.Fatalf("%q: after SetLeased: %q, %v, %v, %v", key, v, ttl, found, err)
				}
				if w, _ := a.SetLeased(ctx, key, tok, []byte("v2"), 0); w {
					t.Fatalf("%q: SetLeased wrote twice with one lease", key)
				}
				// SetLeased freed the lease: b takes it; a Delete clears it.
				tok2, ok, err := b.TakeLease(ctx, key, time.Minute)
				if err != nil || !ok {
					t.Fatalf("%q: TakeLease after SetLeased = %v, %v", key, ok, err)
				}
				if err := a.Delete(ctx, key); err != nil {
					t.Fatal(err)
				}
				if w, _ := b.SetLeased(ctx, key, tok2, []byte("late"), 0); w {
					t.Fatalf("%q: a fill whose lease a Delete cleared still wrote", key)
				}
				if _, found, _ := a.Get(ctx, key); found {
					t.Fatalf("%q: the entry came back after Delete", key)
				}
				// Release frees; Remove clears, and still reports the entry.
				tok3, ok, _ := a.TakeLease(ctx, key, time.Minute)
				if !ok {
					t.Fatalf("%q: TakeLease after Delete failed", key)
				}
				if err := a.ReleaseLease(ctx, key, tok3); err != nil {
					t.Fatal(err)
				}
				tok4, ok, _ := b.TakeLease(ctx, key, time.Minute)
				if !ok {
					t.Fatalf("%q: TakeLease after ReleaseLease failed", key)
				}
				if existed, err := a.Remove(ctx, key); err != nil || existed {
					t.Fatalf("%q: Remove of a key with only a lease = %v, %v; want false", key, existed, err)
				}
				if w, _ := b.SetLeased(ctx, key, tok4, []byte("late"), 0); w {
					t.Fatalf("%q: a fill whose lease Remove cleared still wrote", key)
				}
				mustLease(t, a.Set(ctx, key, []byte("v"), 0))
				if existed, err := a.Remove(ctx, key); err != nil || !existed {
					t.Fatalf("%q: Remove = %v, %v; want true", key, existed, err)
				}
				// DeleteMany clears the leases of its keys too.
				tok5, ok, _ := a.TakeLease(ctx, key, time.Minute)
				if !ok {
					t.Fatalf("%q: TakeLease after Remove failed", key)
				}
				mustLease(t, b.DeleteMany(ctx, []string{key, key + ":other"}))
				if w, _ := a.SetLeased(ctx, key, tok5, []byte("late"), 0); w {
					t.Fatalf("%q: a fill whose lease DeleteMany cleared still wrote", key)
				}
				mustLease(t, a.Delete(ctx, key))
			}
		})
	}
}

// TestLeaseExpires checks that a holder that never comes back loses its
// lease within the lease's ttl, and that its late write is refused.
func TestLeaseExpires(t *testing.T) {
	for name, newStore := range leaseStores(t) {
		t.Run(name, func(t *testing.T) {
			ctx := context.Background()
			a, b := newStore(), newStore()
			key := fmt.Sprintf("%s:%d:a}b{", t.Name(), time.Now().UnixNano())
			t.Cleanup(func() { _ = a.Delete(context.Background(), key) })
			tok, ok, err := a.TakeLease(ctx, key, 150*time.Millisecond)
			if err != nil || !ok {
				t.Fatal(ok, err)
			}
			start := time.Now()
			for {
				_, ok, err := b.TakeLease(ctx, key, time.Minute)
				if err != nil {
					t.Fatal(err)
				}
				if ok {
					break
				}
				if time.Since(start) > time.Second {
					t.Fatal("the lease of 150ms still held after 1s")
				}
				time.Sleep(10 * time.Millisecond)
			}
			if d := time.Since(start); d < 100*time.Millisecond {
				t.Errorf("the lease of 150ms was free after %v", d)
			}
			if w, _ := a.SetLeased(ctx, key, tok, []byte("late"), 0); w {
				t.Fatal("the expired holder's write landed")
			}
		})
	}
}

// TestLeaseArguments checks the refusals: a ttl that is not positive, a
// value that is not bytes, a negative entry ttl; and that a sharded
// redis.Ring refuses the lease of a key it would place apart from its
// entry, as not supported.
func TestLeaseArguments(t *testing.T) {
	ctx := context.Background()
	s := redisstore.New(redisClient(t, servertest.RedisAddr(t)))
	key := fmt.Sprintf("%s:%d", t.Name(), time.Now().UnixNano())
	for _, ttl := range []time.Duration{0, -time.Second} {
		if _, _, err := s.TakeLease(ctx, key, ttl); err == nil || !strings.HasPrefix(err.Error(), "ring: backend redis: take lease") {
			t.Errorf("TakeLease(ttl %v): error %v", ttl, err)
		}
	}
	if _, err := s.SetLeased(ctx, key, "t", "not bytes", 0); err == nil {
		t.Error("SetLeased of a string: no error")
	}
	if _, err := s.SetLeased(ctx, key, "t", []byte("v"), -time.Second); err == nil {
		t.Error("SetLeased with a negative ttl: no error")
	}
	ring := redis.NewRing(&redis.RingOptions{Addrs: map[string]string{"a": servertest.RedisAddr(t)}})
	t.Cleanup(func() { _ = ring.Close() })
	rs := redisstore.New(ring)
	if _, _, err := rs.TakeLease(ctx, key+"a}b", time.Second); !errors.Is(err, backends.ErrNotSupported) {
		t.Errorf("TakeLease on a redis.Ring of a key with '}': %v, want ErrNotSupported", err)
	}
	tok, ok, err := rs.TakeLease(ctx, key+"{tag}", time.Second)
	if err != nil || !ok {
		t.Fatalf("TakeLease on a redis.Ring of a tagged key: %v, %v", ok, err)
	}
	mustLease(t, rs.ReleaseLease(ctx, key+"{tag}", tok))
}

func mustLease(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
