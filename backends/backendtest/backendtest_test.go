package backendtest_test

import (
	"context"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/backendtest"
)

func TestLRU(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Storage {
		l, err := backends.NewLRU(10_000)
		if err != nil {
			t.Fatal(err)
		}
		return l
	}, backendtest.Options{})
}

func TestDict(t *testing.T) {
	backendtest.Run(t, func(*testing.T) backends.Storage { return backends.NewDict() }, backendtest.Options{})
}

func TestDummy(t *testing.T) {
	backendtest.Run(t, func(*testing.T) backends.Storage { return backends.NewDummy() }, backendtest.Options{StoresNothing: true})
}

// The suite must catch broken backends. Each broken backend below wraps a
// Dict with one bug; TestSuiteCatches runs the suite on it in a child
// process (a failing subtest cannot be contained in-process) and expects a
// failure in the named subtest.

// touchDropsExpiry is Python Ring's lru bug: a touched entry stops expiring.
type touchDropsExpiry struct{ *backends.Dict }

func (b touchDropsExpiry) Touch(ctx context.Context, key string, _ time.Duration) error {
	return b.Dict.Touch(ctx, key, 0)
}

// hasIgnoresExpiry is Python Ring's dict bug. It is safe for concurrent use
// like the others (a plain map here crashed the child in the Concurrent
// subtest, before it could report the bug being looked for).
type hasIgnoresExpiry struct {
	*backends.Dict
	seen *sync.Map
}

func (b hasIgnoresExpiry) Set(ctx context.Context, key string, v any, ttl time.Duration) error {
	b.seen.Store(key, true)
	return b.Dict.Set(ctx, key, v, ttl)
}

func (b hasIgnoresExpiry) Has(_ context.Context, key string) (bool, error) {
	_, ok := b.seen.Load(key)
	return ok, nil
}

// nilIsMiss forgets stored nil values, as Ring's remote backends do.
type nilIsMiss struct{ *backends.Dict }

func (b nilIsMiss) Get(ctx context.Context, key string) (any, bool, error) {
	v, ok, err := b.Dict.Get(ctx, key)
	return v, ok && v != nil, err
}

// sloppyClear clears by a prefix shorter by one byte.
type sloppyClear struct{ *backends.Dict }

func (b sloppyClear) Clear(ctx context.Context, prefix string, match func(string) bool) error {
	return b.Dict.Clear(ctx, prefix[:len(prefix)-1], match)
}

// touchCreates writes an absent key on Touch.
type touchCreates struct{ *backends.Dict }

func (b touchCreates) Touch(ctx context.Context, key string, ttl time.Duration) error {
	return b.Dict.Set(ctx, key, "ghost", ttl)
}

// ttlClaimsNoExpiry reports every hit as an entry without expiry.
type ttlClaimsNoExpiry struct{ *backends.Dict }

func (b ttlClaimsNoExpiry) GetWithTTL(ctx context.Context, key string) (any, time.Duration, bool, error) {
	v, _, ok, err := b.Dict.GetWithTTL(ctx, key)
	return v, 0, ok, err
}

// ttlKeepsExpired reads the time left from expiries it recorded itself and
// never forgets an entry: an expired one reads with a negative ttl.
type ttlKeepsExpired struct {
	*backends.Dict
	seen *sync.Map
}

type recorded struct {
	v   any
	exp time.Time
}

func (b ttlKeepsExpired) Set(ctx context.Context, key string, v any, ttl time.Duration) error {
	b.seen.Store(key, recorded{v, time.Now().Add(ttl)})
	return b.Dict.Set(ctx, key, v, ttl)
}

func (b ttlKeepsExpired) GetWithTTL(_ context.Context, key string) (any, time.Duration, bool, error) {
	r, ok := b.seen.Load(key)
	if !ok {
		return nil, 0, false, nil
	}
	return r.(recorded).v, time.Until(r.(recorded).exp), true, nil
}

// bulkTTLUnknown reads ttls natively one by one but reports TTLUnknown in
// bulk.
type bulkTTLUnknown struct{ *backends.Dict }

func (b bulkTTLUnknown) GetManyWithTTL(ctx context.Context, keys []string) ([]any, []time.Duration, []bool, error) {
	v, ttls, found, err := b.Dict.GetManyWithTTL(ctx, keys)
	for i := range ttls {
		if found[i] {
			ttls[i] = backends.TTLUnknown
		}
	}
	return v, ttls, found, err
}

// ttlManyFirst writes every entry of a SetManyTTL with the first ttl.
type ttlManyFirst struct{ *backends.Dict }

func (b ttlManyFirst) SetManyTTL(ctx context.Context, keys []string, values []any, ttls []time.Duration) error {
	if len(ttls) == 0 {
		return nil
	}
	return b.Dict.SetMany(ctx, keys, values, ttls[0])
}

// ttlManyUnchecked writes a SetManyTTL's entries up to the first negative
// ttl, then fails: a partial write.
type ttlManyUnchecked struct{ *backends.Dict }

func (b ttlManyUnchecked) SetManyTTL(ctx context.Context, keys []string, values []any, ttls []time.Duration) error {
	for i, k := range keys {
		if err := b.Dict.Set(ctx, k, values[i], ttls[min(i, len(ttls)-1)]); err != nil {
			return err
		}
	}
	return nil
}

var broken = map[string]func() backends.Storage{
	"ttlManyFirst":      func() backends.Storage { return ttlManyFirst{backends.NewDict()} },
	"ttlManyUnchecked":  func() backends.Storage { return ttlManyUnchecked{backends.NewDict()} },
	"ttlClaimsNoExpiry": func() backends.Storage { return ttlClaimsNoExpiry{backends.NewDict()} },
	"ttlKeepsExpired":   func() backends.Storage { return ttlKeepsExpired{backends.NewDict(), new(sync.Map)} },
	"bulkTTLUnknown":    func() backends.Storage { return bulkTTLUnknown{backends.NewDict()} },
	"touchDropsExpiry":  func() backends.Storage { return touchDropsExpiry{backends.NewDict()} },
	"hasIgnoresExpiry":  func() backends.Storage { return hasIgnoresExpiry{backends.NewDict(), new(sync.Map)} },
	"nilIsMiss":         func() backends.Storage { return nilIsMiss{backends.NewDict()} },
	"sloppyClear":       func() backends.Storage { return sloppyClear{backends.NewDict()} },
	"touchCreates":      func() backends.Storage { return touchCreates{backends.NewDict()} },
}

const brokenEnv = "RING_BACKENDTEST_BROKEN"

// TestBrokenChild runs the suite on the broken backend named by the
// environment; it only runs as TestSuiteCatches' child.
func TestBrokenChild(t *testing.T) {
	name := os.Getenv(brokenEnv)
	if name == "" {
		t.Skip("only run by TestSuiteCatches")
	}
	backendtest.Run(t, func(*testing.T) backends.Storage { return broken[name]() }, backendtest.Options{})
}

func TestSuiteCatches(t *testing.T) {
	if testing.Short() {
		t.Skip("runs child processes")
	}
	for name, subtest := range map[string]string{
		"touchDropsExpiry":  "Expiry/TouchKeepsAnExpiry:after",
		"hasIgnoresExpiry":  "Expiry/Expires:after",
		"nilIsMiss":         "Values",
		"sloppyClear":       "Clear",
		"touchCreates":      "Expiry/TouchAbsent:before",
		"ttlClaimsNoExpiry": "TTL",
		"ttlKeepsExpired":   "Expiry/TTLCountsDown:after",
		"bulkTTLUnknown":    "TTL",
		"ttlManyFirst":      "Expiry/BulkTTLEach:after",
		"ttlManyUnchecked":  "BulkTTL",
	} {
		t.Run(name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], "-test.run=^TestBrokenChild$", "-test.v")
			cmd.Env = append(os.Environ(), brokenEnv+"="+name)
			out, err := cmd.CombinedOutput()
			if err == nil {
				t.Fatalf("the suite passed a backend with the bug %s:\n%s", name, out)
			}
			if want := "--- FAIL: TestBrokenChild/" + subtest; !strings.Contains(string(out), want) {
				t.Fatalf("the suite did not fail in %s:\n%s", want, out)
			}
		})
	}
}

func TestConcurrent(t *testing.T) {
	backendtest.Run(t, func(t *testing.T) backends.Storage {
		c, err := backends.NewConcurrent[any](10_000)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}, backendtest.Options{})
}
