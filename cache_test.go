package ring_test

import (
	"context"
	"crypto/sha256"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/diskstore"
)

type item struct {
	Name  string
	Price int
}

func TestCache(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	disk, err := diskstore.New(t.TempDir(), diskstore.WithClock(clk.Now))
	require.NoError(t, err)
	t.Cleanup(func() { _ = disk.Close() })
	lru, err := backends.NewLRU(64, backends.WithClock(clk.Now))
	require.NoError(t, err)
	setups := map[string][]ring.Option{
		"lru":       {ring.Storage(lru)},
		"disk+json": {ring.Storage(disk), ring.Coder("json")},
	}
	for name, opts := range setups {
		t.Run(name, func(t *testing.T) {
			c, err := ring.NewCache[item](append(opts, ring.KeyPrefix("shop:"))...)
			require.NoError(t, err)
			other, err := ring.NewCache[item](append(opts, ring.KeyPrefix("other:"))...)
			require.NoError(t, err)

			_, found, err := c.Get(ctx, "apple")
			require.NoError(t, err)
			require.False(t, found)

			written, err := c.Set(ctx, "apple", item{"apple", 3}, ring.SetOptions{})
			require.NoError(t, err)
			require.True(t, written)
			v, found, err := c.Get(ctx, "apple")
			require.NoError(t, err)
			require.True(t, found)
			require.Equal(t, item{"apple", 3}, v)

			// The prefix is applied on the way to the backend.
			require.Equal(t, "shop:apple", c.Key("apple"))
			ok, err := backends.Has(ctx, c.Storage(), "shop:apple")
			require.NoError(t, err)
			require.True(t, ok)

			// A zero value is found, not a miss.
			_, err = c.Set(ctx, "zero", item{}, ring.SetOptions{})
			require.NoError(t, err)
			v, found, _ = c.Get(ctx, "zero")
			require.True(t, found)
			require.Equal(t, item{}, v)

			// If not exists.
			written, err = c.Set(ctx, "apple", item{"pear", 1}, ring.SetOptions{IfNotExists: true})
			require.NoError(t, err)
			require.False(t, written)
			written, err = c.Set(ctx, "kiwi", item{"kiwi", 1}, ring.SetOptions{IfNotExists: true})
			require.NoError(t, err)
			require.True(t, written)

			// Bulk: prefixes on every key, results by the caller's keys.
			require.NoError(t, c.SetMany(ctx, map[string]item{"a": {"a", 1}, "b": {"b", 2}}, 0))
			got, err := c.GetMany(ctx, "a", "b", "missing", "apple")
			require.NoError(t, err)
			require.Equal(t, map[string]item{"a": {"a", 1}, "b": {"b", 2}, "apple": {"apple", 3}}, got)
			_, err = other.Set(ctx, "a", item{"other", 9}, ring.SetOptions{})
			require.NoError(t, err)
			got, _ = other.GetMany(ctx, "a", "b")
			require.Equal(t, map[string]item{"a": {"other", 9}}, got)

			// Expiry: a TTL, ExpireIn to extend, 0 to persist.
			_, err = c.Set(ctx, "short", item{"s", 1}, ring.SetOptions{TTL: 10 * time.Second})
			require.NoError(t, err)
			_, err = c.Set(ctx, "keep", item{"k", 1}, ring.SetOptions{TTL: 10 * time.Second})
			require.NoError(t, err)
			require.NoError(t, c.ExpireIn(ctx, "keep", 0))
			clk.Add(11 * time.Second)
			_, found, _ = c.Get(ctx, "short")
			require.False(t, found)
			_, found, _ = c.Get(ctx, "keep")
			require.True(t, found)

			existed, err := c.Delete(ctx, "apple")
			require.NoError(t, err)
			require.True(t, existed)
			existed, err = c.Delete(ctx, "apple")
			require.NoError(t, err)
			require.False(t, existed)
			require.NoError(t, c.DeleteMany(ctx, "a", "b"))
			ok, _ = c.Has(ctx, "a")
			require.False(t, ok)

			// Clear removes this cache's keys only.
			require.NoError(t, c.Clear(ctx))
			ok, _ = c.Has(ctx, "kiwi")
			require.False(t, ok)
			_, found, _ = other.Get(ctx, "a")
			require.True(t, found, "another prefix survives Clear")
		})
	}
}

func TestCacheErrors(t *testing.T) {
	ctx := context.Background()
	c, err := ring.NewCache[int]()
	require.NoError(t, err)
	require.ErrorContains(t, c.Clear(ctx), "Clear needs a key prefix")

	_, err = ring.NewCache[int](ring.Expire(time.Second), ring.KeyFunc(func(...any) string { return "" }))
	require.ErrorContains(t, err, "option Expire (pass SetOptions.TTL) does not apply to a Cache")
	require.ErrorContains(t, err, "option KeyFunc does not apply to a Cache")
	// The same text on every run (it was in map order).
	for range 20 {
		_, again := ring.NewCache[int](ring.Expire(time.Second), ring.KeyFunc(func(...any) string { return "" }), ring.HashKeys(sha256.New))
		require.Equal(t, "ring: cache: option Expire (pass SetOptions.TTL) does not apply to a Cache\n"+
			"ring: cache: option KeyFunc does not apply to a Cache\n"+
			"ring: cache: option HashKeys does not apply to a Cache", again.Error())
	}

	disk, err := diskstore.New(t.TempDir())
	require.NoError(t, err)
	t.Cleanup(func() { _ = disk.Close() })
	_, err = ring.NewCache[item](ring.Storage(disk))
	require.ErrorContains(t, err, "backend disk stores bytes and the value type ring_test.item needs a coder")
	s, err := ring.NewCache[string](ring.Storage(disk), ring.KeyPrefix("s:"))
	require.NoError(t, err, "string values need no coder")
	_, err = s.Set(ctx, "k", "v", ring.SetOptions{})
	require.NoError(t, err)

	// Corrupt bytes are a miss, reported.
	var ev events
	j, err := ring.NewCache[item](ring.Storage(disk), ring.Coder("json"), ring.KeyPrefix("s:"), ring.OnError(ev.hook))
	require.NoError(t, err)
	_, found, err := j.Get(ctx, "k")
	require.NoError(t, err)
	require.False(t, found)
	require.Equal(t, []string{"decode"}, ev.ops())
}

func TestRingCache(t *testing.T) {
	ctx := context.Background()
	var runs counter
	r := ring.Must(ring.Func2(price(&runs), ring.KeyPrefix("price")))
	_, err := r.Call(ctx, "fig", 2)
	require.NoError(t, err)
	c := r.Cache()
	require.Equal(t, "price:", c.Prefix())
	v, found, err := c.Get(ctx, "fig:2")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "figx2", v)
	_, err = c.Set(ctx, "fig:3", "from the cache", ring.SetOptions{})
	require.NoError(t, err)
	v, err = r.Call(ctx, "fig", 3)
	require.NoError(t, err)
	require.Equal(t, "from the cache", v)
	require.EqualValues(t, 1, runs.get())
	require.NoError(t, c.Clear(ctx))
	ok, _ := r.Has(ctx, "fig", 2)
	require.False(t, ok)

	r0 := ring.Must(ring.Func0(func(ctx context.Context) (string, error) { return "only", nil }, ring.KeyPrefix("zero")))
	_, _ = r0.Call(ctx)
	v, found, _ = r0.Cache().Get(ctx, "")
	require.True(t, found)
	require.Equal(t, "only", v)
	require.True(t, strings.HasPrefix(r0.Cache().Key(""), "zero"))
}
