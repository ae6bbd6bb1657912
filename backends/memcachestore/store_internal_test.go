package memcachestore

import (
	"context"
	"strings"
	"testing"
	"time"
)

func TestMemcacheRefactorKey(t *testing.T) {
	m := New(nil)
	// Python Ring: "ring-sha1:" + hashlib.sha1(key.encode()).hexdigest().
	const helloSHA1 = "ring-sha1:2aae6c35c94fcfb415dbe95f408b9ce91ee846ed" // sha1("hello world")
	for _, c := range []struct {
		name, key, want string
	}{
		{"plain", "prefix:1:2", "prefix:1:2"},
		{"printable edges", "!~", "!~"},
		{"249 bytes", strings.Repeat("a", 249), strings.Repeat("a", 249)},
		{"250 bytes", strings.Repeat("a", 250), ""},
		{"space", "hello world", helloSHA1},
		{"DEL", "a\x7f", ""},
		{"control", "a\nb", ""},
		{"non-ASCII", "caf\xc3\xa9", ""},
		{"empty", "", ""},
	} {
		got := m.RefactorKey(c.key)
		if c.want == "" {
			if !strings.HasPrefix(got, KeyPrefix) || len(got) != len(KeyPrefix)+40 {
				t.Errorf("%s: RefactorKey = %q, want a ring-sha1 key", c.name, got)
			}
		} else if got != c.want {
			t.Errorf("%s: RefactorKey = %q, want %q", c.name, got, c.want)
		}
		if again := m.RefactorKey(got); again != got {
			t.Errorf("%s: RefactorKey is not idempotent: %q -> %q", c.name, got, again)
		}
	}
}

func TestMemcacheExpiration(t *testing.T) {
	now := time.Unix(1_700_000_000, 0)
	clock := func() time.Time { return now }
	for _, c := range []struct {
		ttl  time.Duration
		want int32
	}{
		{0, 0},
		{time.Nanosecond, 1},
		{time.Second, 1},
		{1500 * time.Millisecond, 2},
		{30 * 24 * time.Hour, 30 * 24 * 3600},
		{30*24*time.Hour + time.Second, 1_700_000_000 + 30*24*3600 + 1},
		{365 * 24 * time.Hour, 1_700_000_000 + 365*24*3600},
	} {
		got, err := memcacheExpiration(c.ttl, clock)
		if err != nil || got != c.want {
			t.Errorf("memcacheExpiration(%v) = %d, %v; want %d", c.ttl, got, err, c.want)
		}
	}
	if _, err := memcacheExpiration(100*365*24*time.Hour, clock); err == nil || !strings.Contains(err.Error(), "2038") {
		t.Errorf("an expiry past 2038: %v", err)
	}
}

func TestMemcacheOptionPrints(t *testing.T) {
	ss, err := NewServers("localhost:11211")
	if err != nil {
		t.Fatal(err)
	}
	for o, want := range map[Option]string{
		WithSelector(ss):  "WithSelector(*memcachestore.Servers)",
		WithSelector(nil): "WithSelector(nil)",
	} {
		if got := o.String(); got != want {
			t.Errorf("String() = %q, want %q", got, want)
		}
	}
	// A nil option is skipped, as the other constructors skip them.
	if m := New(nil, nil); m == nil {
		t.Fatal("NewMemcache(nil, nil) = nil")
	}
}

func TestMemcacheNilClient(t *testing.T) {
	m := New(nil)
	if _, err := m.Has(context.Background(), "k"); err == nil || !strings.Contains(err.Error(), "nil client") {
		t.Errorf("Has on a nil client: %v", err)
	}
}
