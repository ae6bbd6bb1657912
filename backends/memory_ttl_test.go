package backends_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ringcache/ring/backends"
)

// fakeClock is a clock a test moves by hand.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestMemoryGetWithTTLExact reads the time left to the nanosecond on a
// clock the test moves: it counts down, reads 0 without expiry, and the
// entry is a miss (and removed) the moment it expires, never a hit with a
// ttl of 0 or less.
func TestMemoryGetWithTTLExact(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	lru, err := backends.NewLRU(10, backends.WithClock(clk.now))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range []interface {
		backends.Storage
		backends.TTLGetter
		backends.BulkTTLGetter
		Len() int
	}{lru, backends.NewDict(backends.WithClock(clk.now))} {
		t.Run(st.Name(), func(t *testing.T) {
			ctx := t.Context()
			if err := st.Set(ctx, "k", "v", 10*time.Second); err != nil {
				t.Fatal(err)
			}
			if err := st.Set(ctx, "p", "q", 0); err != nil {
				t.Fatal(err)
			}
			clk.add(3*time.Second + time.Nanosecond)
			v, ttl, found, err := st.GetWithTTL(ctx, "k")
			if err != nil || !found || v != "v" || ttl != 7*time.Second-time.Nanosecond {
				t.Fatalf("GetWithTTL = %v, %v, %v, %v; want v, 6.999999999s", v, ttl, found, err)
			}
			vs, ttls, fs, err := st.GetManyWithTTL(ctx, []string{"k", "p", "x"})
			if err != nil || !fs[0] || !fs[1] || fs[2] || ttls[0] != ttl || ttls[1] != 0 || ttls[2] != 0 || vs[1] != "q" || vs[2] != nil {
				t.Fatalf("GetManyWithTTL = %v, %v, %v, %v", vs, ttls, fs, err)
			}
			clk.add(ttl - time.Nanosecond)
			if _, ttl, found, _ := st.GetWithTTL(ctx, "k"); !found || ttl != time.Nanosecond {
				t.Fatalf("one nanosecond before the expiry: ttl %v, found %v", ttl, found)
			}
			clk.add(time.Nanosecond)
			if v, ttl, found, _ := st.GetWithTTL(ctx, "k"); found || ttl != 0 || v != nil {
				t.Fatalf("at the expiry: %v, %v, %v; want a miss", v, ttl, found)
			}
			if _, ttls, fs, _ := st.GetManyWithTTL(ctx, []string{"k"}); fs[0] || ttls[0] != 0 {
				t.Fatalf("GetManyWithTTL at the expiry: %v, %v", ttls, fs)
			}
			if n := st.Len(); n != 1 {
				t.Errorf("after reading the expired entry: Len %d, want 1 (removed)", n)
			}
		})
	}
}

// TestLRUGetWithTTLMarksUsed: GetWithTTL is a read like Get, so the entry
// it reads is the last the LRU evicts.
func TestLRUGetWithTTLMarksUsed(t *testing.T) {
	l, err := backends.NewLRU(2)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	_ = l.Set(ctx, "a", 1, 0)
	_ = l.Set(ctx, "b", 2, 0)
	if _, _, found, _ := l.GetWithTTL(ctx, "a"); !found {
		t.Fatal("a missing")
	}
	_ = l.Set(ctx, "c", 3, 0) // evicts the least recently used: b
	if ok, _ := l.Has(ctx, "a"); !ok {
		t.Error("GetWithTTL did not mark a as used: it was evicted")
	}
	if ok, _ := l.Has(ctx, "b"); ok {
		t.Error("b survived: a was not marked as used")
	}
}

// singleOnly has a native GetWithTTL and no bulk form: GetManyWithTTL loops
// over it, and stops at its first error.
type singleOnly struct {
	*backends.Dict
	calls *int
	fail  string
}

func (s singleOnly) GetWithTTL(ctx context.Context, k string) (any, time.Duration, bool, error) {
	*s.calls++
	if k == s.fail {
		return nil, 0, false, errors.New("ring: backend single: broken")
	}
	return s.Dict.GetWithTTL(ctx, k)
}

func (singleOnly) GetManyWithTTL() {} // hides the Dict's: not a BulkTTLGetter

func TestGetWithTTLHelpers(t *testing.T) {
	ctx := t.Context()
	p := noTTL{backends.NewDict()} // only the required methods: the helpers report TTLUnknown
	_ = p.Set(ctx, "k", "v", time.Hour)
	_ = p.Set(ctx, "n", "w", 0)
	v, ttl, found, err := backends.GetWithTTL(ctx, p, "k")
	if err != nil || !found || v != "v" || ttl != backends.TTLUnknown {
		t.Errorf("GetWithTTL on a backend without TTLGetter = %v, %v, %v, %v; want v, TTLUnknown", v, ttl, found, err)
	}
	if _, ttl, found, _ := backends.GetWithTTL(ctx, p, "x"); found || ttl != 0 {
		t.Errorf("a miss: ttl %v, found %v", ttl, found)
	}
	vs, ttls, fs, err := backends.GetManyWithTTL(ctx, p, []string{"k", "x", "n"})
	if err != nil || !fs[0] || fs[1] || !fs[2] || ttls[0] != backends.TTLUnknown || ttls[1] != 0 || ttls[2] != backends.TTLUnknown || vs[2] != "w" {
		t.Errorf("GetManyWithTTL without TTLGetter = %v, %v, %v, %v", vs, ttls, fs, err)
	}

	calls := 0
	s := singleOnly{backends.NewDict(), &calls, "bad"}
	_ = s.Set(ctx, "k", "v", time.Hour)
	vs, ttls, fs, err = backends.GetManyWithTTL(ctx, s, []string{"k", "x"})
	if err != nil || calls != 2 || !fs[0] || fs[1] || ttls[0] <= 59*time.Minute || vs[0] != "v" {
		t.Errorf("GetManyWithTTL over GetWithTTL = %v, %v, %v, %v (%d calls)", vs, ttls, fs, err, calls)
	}
	if _, _, _, err := backends.GetManyWithTTL(ctx, s, []string{"k", "bad", "x"}); err == nil || calls != 4 {
		t.Errorf("GetManyWithTTL with a failing key: err %v after %d calls, want an error after the second", err, calls)
	}
}

// TestCancelableGetWithTTL: the wrapper forwards to the native reads on
// both of its paths (a context that cannot end, and one that can), and a
// cancelled context ends the call.
func TestCancelableGetWithTTL(t *testing.T) {
	c := backends.Cancelable(backends.NewDict())
	bg := context.Background()
	cctx, cancel := context.WithCancel(bg)
	defer cancel()
	_ = c.Set(bg, "k", "v", time.Hour)
	for name, ctx := range map[string]context.Context{"inline": bg, "goroutine": cctx} {
		_, ttl, found, err := backends.GetWithTTL(ctx, c, "k")
		if err != nil || !found || ttl <= 59*time.Minute || ttl > time.Hour {
			t.Errorf("%s: GetWithTTL ttl %v, found %v, err %v", name, ttl, found, err)
		}
		_, ttls, fs, err := backends.GetManyWithTTL(ctx, c, []string{"k", "x"})
		if err != nil || !fs[0] || fs[1] || ttls[0] <= 59*time.Minute {
			t.Errorf("%s: GetManyWithTTL ttls %v, found %v, err %v", name, ttls, fs, err)
		}
	}
	cancel()
	if _, _, _, err := backends.GetWithTTL(cctx, c, "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("GetWithTTL on a cancelled context: %v", err)
	}
}
