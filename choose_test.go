package ring_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"hash/fnv"
	"regexp"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/diskstore"
	"github.com/ringcache/ring/backends/storeurl"
)

func TestHashKeys(t *testing.T) {
	ctx := context.Background()
	var runs counter
	r := ring.Must(ring.Func2(price(&runs), ring.KeyPrefix("h"), ring.HashKeys(sha256.New)))
	long := strings.Repeat("x", 10_000)
	k1, err := r.Key(long, 1)
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`^h:[0-9a-f]{64}$`), k1)
	k2, _ := r.Key(long, 2)
	require.NotEqual(t, k1, k2)
	k3, _ := r.Key("a", 1)
	require.Len(t, k3, len("h:")+64)
	for range 2 {
		v, err := r.Call(ctx, long, 1)
		require.NoError(t, err)
		require.Equal(t, long+"x1", v)
	}
	require.EqualValues(t, 1, runs.get())

	// The hash is the caller's: the same key as a direct SHA-256, another
	// length with another hash, and no hash at all is refused.
	want, _ := ring.Must(ring.Func2(price(&runs), ring.KeyPrefix("h"))).Key("a", 1)
	sum := sha256.Sum256([]byte(strings.TrimPrefix(want, "h:")))
	require.Equal(t, "h:"+hex.EncodeToString(sum[:]), k3)
	f := ring.Must(ring.Func2(price(&runs), ring.KeyPrefix("h"), ring.HashKeys(func() hash.Hash { return fnv.New64a() })))
	k4, err := f.Key(long, 1)
	require.NoError(t, err)
	require.Regexp(t, regexp.MustCompile(`^h:[0-9a-f]{16}$`), k4)
	_, err = ring.Func2(price(&runs), ring.KeyPrefix("h"), ring.HashKeys(nil))
	require.ErrorContains(t, err, ": HashKeys(nil): give a hash constructor")
}

// TestHashKeysConcurrent: the pooled hashers never mix two keys' bytes.
func TestHashKeysConcurrent(t *testing.T) {
	r := ring.Must(ring.Func2(price(&counter{}), ring.KeyPrefix("h"), ring.HashKeys(sha256.New)))
	plain := ring.Must(ring.Func2(price(&counter{}), ring.KeyPrefix("h")))
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 500 {
				arg := strings.Repeat(string(rune('a'+g)), i%50+1)
				k, err := r.Key(arg, i)
				require.NoError(t, err)
				p, _ := plain.Key(arg, i)
				sum := sha256.Sum256([]byte(strings.TrimPrefix(p, "h:")))
				require.Equal(t, "h:"+hex.EncodeToString(sum[:]), k)
			}
		})
	}
	wg.Wait()
}

func TestChoose(t *testing.T) {
	ctx := context.Background()
	var runs counter
	hot, err := backends.NewLRU(8)
	require.NoError(t, err)
	cold := backends.NewDict()
	r := ring.Must(ring.Func2(price(&runs), ring.KeyPrefix("c"),
		ring.Choose(func(ctx context.Context, key string, args []any) backends.Storage {
			switch args[0].(string) {
			case "hot":
				return hot
			case "nocache":
				return nil
			}
			return cold
		})))

	for range 2 {
		_, err := r.Call(ctx, "hot", 1)
		require.NoError(t, err)
		_, err = r.Call(ctx, "cold", 1)
		require.NoError(t, err)
		_, err = r.Call(ctx, "nocache", 1)
		require.NoError(t, err)
	}
	require.EqualValues(t, 4, runs.get(), "hot and cold once each, nocache every time")
	require.Equal(t, 1, hot.Len())
	require.Equal(t, 1, cold.Len())

	_, found, err := r.Get(ctx, "nocache", 1)
	require.NoError(t, err)
	require.False(t, found)
	require.NoError(t, r.Set(ctx, "ignored", "nocache", 1))
	ok, _ := r.Has(ctx, "nocache", 1)
	require.False(t, ok)

	// Bulk forms go item by item through the choice.
	vals, err := r.Many().GetOrUpdate(ctx, []ring.Args2[string, int]{{"hot", 1}, {"cold", 2}, {"nocache", 3}})
	require.NoError(t, err)
	require.Equal(t, []string{"hotx1", "coldx2", "nocachex3"}, vals)
	require.Equal(t, 2, cold.Len())
	require.NoError(t, r.Many().Delete(ctx, []ring.Args2[string, int]{{"hot", 1}, {"cold", 1}}))
	require.Equal(t, 0, hot.Len())
	require.Equal(t, 1, cold.Len())

	// A chosen storage that needs a coder the ring lacks is an error.
	disk, err := diskstore.New(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = disk.Close() })
	bad := ring.Must(ring.Func1(func(ctx context.Context, a int) (map[string]int, error) { return nil, nil },
		ring.KeyPrefix("bad"), ring.Choose(func(context.Context, string, []any) backends.Storage { return disk })))
	_, err = bad.Call(ctx, 1)
	require.ErrorContains(t, err, "backend disk stores bytes: choose a coder")
}

// uncomparable is a Storage value type that cannot be a map key.
type uncomparable struct {
	backends.Dummy
	tags []string
}

func TestChooseUncomparable(t *testing.T) {
	r := ring.Must(ring.Func2(price(&counter{}), ring.KeyPrefix("p"), ring.Choose(func(context.Context, string, []any) backends.Storage {
		return uncomparable{tags: []string{"x"}}
	})))
	_, err := r.Call(context.Background(), "a", 1)
	require.ErrorContains(t, err, "Choose returned a ring_test.uncomparable, which cannot be compared: return a pointer")
}

func TestOpenURLHidesPassword(t *testing.T) {
	_, err := storeurl.Open("redis://user:s3cret@127.0.0.1:1/0?nope=1")
	require.Error(t, err)
	require.NotContains(t, err.Error(), "s3cret")
	require.Contains(t, err.Error(), "xxxxx")
	require.Contains(t, err.Error(), "nope")
	require.Equal(t, "<malformed redis URL: host 1 of 1: an IPv6 address without its closing ']'>", backends.RedactURL("redis://u:p@[::1"))
}
