package ring_test

import (
	"context"
	"crypto/sha256"
	"fmt"
	"testing"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
)

// TestCacheClearOwnEntriesOnly shares one storage between rings whose
// prefixes nest ("cfg", "cfg.tenant", "cfg:x", ...) and checks that each
// ring's Cache().Clear removes its own entries and no other ring's, on an
// in-process storage and on a real Redis.
func TestCacheClearOwnEntriesOnly(t *testing.T) {
	t.Run("lru", func(t *testing.T) {
		lru, err := backends.NewLRU(10_000)
		require.NoError(t, err)
		clearOwnEntries(t, "", ring.Storage(lru))
	})
	t.Run("redis", func(t *testing.T) {
		rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t)})
		t.Cleanup(func() { _ = rdb.Close() })
		clearOwnEntries(t, runID+"clear:", ring.Storage(redisstore.New(rdb)), ring.Coder("json"))
	})
}

func clearOwnEntries(t *testing.T, base string, store ...ring.Option) {
	ctx := context.Background()
	opts := func(prefix string, more ...ring.Option) []ring.Option {
		return append(append(append([]ring.Option{}, store...), ring.KeyPrefix(base+prefix)), more...)
	}
	str := func(ctx context.Context, s string) (string, error) { return "s" + s, nil }
	two := func(ctx context.Context, a []string, b int) (string, error) { return fmt.Sprint(a, b), nil }

	cfg := ring.Must(ring.Func0(func(ctx context.Context) (string, error) { return "cfg", nil }, opts("cfg")...))
	// The case: a zero-argument ring "cfg" and a ring whose keys
	// start with "cfg" too.
	tenant := ring.Must(ring.Func1(str, opts("cfg.tenant")...))
	// A one-argument ring "cfg" and rings whose prefixes start with "cfg:".
	// (A ring "cfg:x" with one argument would share its keys with a ring
	// "cfg" of two: "cfg:x:a" is both. That is a key collision the user's
	// prefixes make, which no Clear can undo; docs/descriptors-and-keys.md
	// lists it. So the nested ring here has two arguments: three components
	// after "cfg", which neither "cfg" ring has.)
	one := ring.Must(ring.Func1(str, opts("cfg")...))
	nested := ring.Must(ring.Func2(func(ctx context.Context, s string, _ bool) (string, error) { return s, nil }, opts("cfg:x")...))
	pair := ring.Must(ring.Func2(two, opts("cfg")...))
	// Hashed keys: one component of 64 hex digits; the ring "cfg.h" of one
	// plain argument keeps its entries when the hashed ring "cfg.h" clears.
	hashed := ring.Must(ring.Func1(str, opts("cfg.h", ring.HashKeys(sha256.New))...))
	plainH := ring.Must(ring.Func1(str, opts("cfg.h")...))

	_, err := cfg.Call(ctx)
	require.NoError(t, err)
	tenantArgs := []string{"acme", "a:b", `back\slash`, "[x:y]"}
	oneArgs := []string{"1", "a:b", "", "{k=v}:(1,2)", `\`}
	for _, a := range tenantArgs {
		_, err = tenant.Call(ctx, a)
		require.NoError(t, err)
		_, err = nested.Call(ctx, a, true)
		require.NoError(t, err)
	}
	for _, a := range oneArgs {
		_, err = one.Call(ctx, a)
		require.NoError(t, err)
		_, err = hashed.Call(ctx, a)
		require.NoError(t, err)
		_, err = plainH.Call(ctx, a)
		require.NoError(t, err)
	}
	pairArgs := [][]string{{"a:b", "c"}, {}, {"x"}}
	for i, a := range pairArgs {
		_, err = pair.Call(ctx, a, i)
		require.NoError(t, err)
	}

	has1 := func(r interface {
		Has(context.Context, string) (bool, error)
	}, args []string, want bool, what string) {
		t.Helper()
		for _, a := range args {
			ok, err := r.Has(ctx, a)
			require.NoError(t, err)
			require.Equal(t, want, ok, "%s %q", what, a)
		}
	}
	hasPair := func(want bool) {
		t.Helper()
		for i, a := range pairArgs {
			ok, err := pair.Has(ctx, a, i)
			require.NoError(t, err)
			require.Equal(t, want, ok, "pair %q", a)
		}
	}

	// The zero-argument ring clears its one entry and nothing else.
	require.NoError(t, cfg.Cache().Clear(ctx))
	ok, err := cfg.Has(ctx)
	require.NoError(t, err)
	require.False(t, ok, "cfg's own entry survived its Clear")
	has1(tenant, tenantArgs, true, "cfg.tenant entry removed by cfg's Clear")
	has1(one, oneArgs, true, "one-argument cfg entry removed by the zero-argument ring's Clear")

	// The one-argument ring clears its entries, not those of the two-argument
	// ring, the hashed ring or the ring with prefix "cfg:x" that share "cfg:".
	require.NoError(t, one.Cache().Clear(ctx))
	has1(one, oneArgs, false, "one-argument entry survived its Clear")
	has1(nestedTrue{nested}, tenantArgs, true, "cfg:x entry removed by cfg's Clear")
	has1(hashed, oneArgs, true, "hashed entry removed by cfg's Clear")
	hasPair(true)

	require.NoError(t, pair.Cache().Clear(ctx))
	hasPair(false)
	has1(nestedTrue{nested}, tenantArgs, true, "cfg:x entry removed by the pair's Clear")
	has1(hashed, oneArgs, true, "hashed entry removed by the pair's Clear")

	require.NoError(t, hashed.Cache().Clear(ctx))
	has1(hashed, oneArgs, false, "hashed entry survived its Clear")
	has1(plainH, oneArgs, true, "plain cfg.h entry removed by the hashed ring's Clear")
	has1(nestedTrue{nested}, tenantArgs, true, "cfg:x entry removed by the hashed ring's Clear")
	has1(tenant, tenantArgs, true, "cfg.tenant entry removed")

	require.NoError(t, nested.Cache().Clear(ctx))
	has1(nestedTrue{nested}, tenantArgs, false, "cfg:x entry survived its Clear")
	require.NoError(t, tenant.Cache().Clear(ctx))
	has1(tenant, tenantArgs, false, "cfg.tenant entry survived its Clear")
}

// nestedTrue is the ring "cfg:x" with its second argument fixed.
type nestedTrue struct {
	r *ring.Ring2[string, bool, string]
}

func (n nestedTrue) Has(ctx context.Context, s string) (bool, error) { return n.r.Has(ctx, s, true) }

// TestKeyComponents pins the component count that Cache().Clear uses to
// tell a ring's keys from those of a ring with a longer prefix.
func TestKeyComponents(t *testing.T) {
	for tail, want := range map[string]int{
		"":                1,
		"a":               1,
		"a:b":             2,
		`a\:b`:            1,
		`a\\:b`:           2,
		"[a,b]:c":         2,
		"[a:b]":           1, // not a ring key, but nested: one
		"{k=v,x=[1,2]}:3": 2,
		"(1,-2):x:y":      3,
		`\N:\E`:           2,
		`a\`:              -1,
		"[a":              -1,
		"a]":              -1,
	} {
		require.Equal(t, want, ring.KeyComponentsForTest(tail), "%q", tail)
	}
}
