package redisstore

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring/internal/servertest"
)

func TestRedisSlotKnownValues(t *testing.T) {
	// Values from the Redis Cluster specification and redis-cli.
	for _, c := range []struct {
		key  string
		slot int
	}{
		{"123456789", 12739}, // CRC16 check value 0x31C3
		{"", 0},
		{"foo", 12182},
		{"bar", 5061},
		{"{user1000}.following", 3443},
		{"{user1000}.followers", 3443},
		{"user1000", 3443},
		{"foo{}{bar}", 8363},    // empty first tag: the whole key is hashed
		{"foo{{bar}}zap", 4015}, // the tag is "{bar"
		{"foo{bar}{zap}", 5061}, // only the first tag counts: "bar"
	} {
		if got := redisSlot(c.key); got != c.slot {
			t.Errorf("redisSlot(%q) = %d, want %d", c.key, got, c.slot)
		}
	}
}

// TestRedisSlotMatchesServer compares redisSlot with CLUSTER KEYSLOT on the
// test cluster for keys with and without hash tags and binary bytes.
func TestRedisSlotMatchesServer(t *testing.T) {
	addrs := servertest.RedisClusterAddrs(t)
	c := redis.NewClient(&redis.Options{Addr: addrs[0]})
	t.Cleanup(func() { _ = c.Close() })
	keys := []string{"", "a", "{", "}", "{}", "{}a", "a{b}", "a{b", "a}b{c}", "{a}{b}", "\x00\xff{\x01}", strings.Repeat("x", 300)}
	for i := range 256 {
		keys = append(keys, "k"+string([]byte{byte(i)}), "{t"+string([]byte{byte(i)})+"}rest")
	}
	for _, k := range keys {
		want, err := c.ClusterKeySlot(t.Context(), k).Result()
		if err != nil {
			t.Fatalf("CLUSTER KEYSLOT %q: %v", k, err)
		}
		if got := redisSlot(k); int64(got) != want {
			t.Errorf("redisSlot(%q) = %d, server says %d", k, got, want)
		}
	}
}

func TestGlobEscape(t *testing.T) {
	for in, want := range map[string]string{
		"":            "",
		"plain:key":   "plain:key",
		`a*b?c[d]e\f`: `a\*b\?c\[d\]e\\f`,
		"^-!":         "^-!",
	} {
		if got := globEscape(in); got != want {
			t.Errorf("globEscape(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestCeilMillis(t *testing.T) {
	for in, want := range map[time.Duration]time.Duration{
		0:                       0,
		time.Nanosecond:         time.Millisecond,
		time.Millisecond:        time.Millisecond,
		1500 * time.Microsecond: 2 * time.Millisecond,
		time.Second:             time.Second,
	} {
		if got := ceilMillis(in); got != want {
			t.Errorf("ceilMillis(%v) = %v, want %v", in, got, want)
		}
	}
}

func TestRedisGroups(t *testing.T) {
	keys := make([]string, 1200)
	for i := range keys {
		keys[i] = "k" + strings.Repeat("x", i%7)
	}
	check := func(name string, r *Store, wantGroups int, sameSlot bool) {
		t.Helper()
		g := r.groups(keys)
		if wantGroups > 0 && len(g) != wantGroups {
			t.Errorf("%s: %d groups, want %d", name, len(g), wantGroups)
		}
		seen := make([]bool, len(keys))
		for _, idx := range g {
			if len(idx) == 0 || len(idx) > maxKeysPerCommand {
				t.Errorf("%s: group of %d keys", name, len(idx))
			}
			for _, i := range idx {
				if seen[i] {
					t.Errorf("%s: key %d in two groups", name, i)
				}
				seen[i] = true
				if sameSlot && redisSlot(keys[i]) != redisSlot(keys[idx[0]]) {
					t.Errorf("%s: group mixes slots", name)
				}
			}
		}
		for i, s := range seen {
			if !s {
				t.Errorf("%s: key %d in no group", name, i)
			}
		}
	}
	for _, tc := range []struct {
		name     string
		client   redis.UniversalClient
		want     int
		sameSlot bool
	}{
		{"single node", redis.NewClient(&redis.Options{}), 3, false},
		{"cluster", redis.NewClusterClient(&redis.ClusterOptions{}), 0, true},
		{"ring", redis.NewRing(&redis.RingOptions{}), len(keys), false},
	} {
		check(tc.name, New(tc.client), tc.want, tc.sameSlot)
		_ = tc.client.Close() // clients start goroutines: stop them
	}
}

func TestRedisNilClient(t *testing.T) {
	r := New(nil)
	if _, _, err := r.Get(context.Background(), "k"); err == nil || !strings.Contains(err.Error(), "nil client") {
		t.Errorf("Get on a nil client: %v", err)
	}
	h := NewHash(nil, "h")
	if err := h.Set(context.Background(), "k", []byte("v"), 0); err == nil || !strings.Contains(err.Error(), "nil client") {
		t.Errorf("Set on a nil client: %v", err)
	}
}
