package ring

import (
	"context"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// keep reserves and fills key with v, as a read through the tier does.
func (t *nearTier[V]) keep(key string, v V) {
	tok, start := t.reserve(key)
	t.fill(key, tok, start, v, 0)
}

// TestNearTierLocalKeys: the tier keys what follows its prefix; a key
// without the prefix is never kept, found or dropped in another's place,
// and keys whose local parts are alike are never taken for each other.
func TestNearTierLocalKeys(t *testing.T) {
	n := newNearTier[string](64, time.Minute, nil)
	n.pre = "p:"
	for _, k := range []string{"p:a", "p:", "p:ab", "p:a:b", "p:" + strings.Repeat("x", 40)} {
		n.keep(k, k)
	}
	for _, k := range []string{"p:a", "p:", "p:ab", "p:a:b", "p:" + strings.Repeat("x", 40)} {
		v, ok := n.get(k)
		require.True(t, ok, k)
		require.Equal(t, k, v)
		v, ok = n.getLocal(k[2:])
		require.True(t, ok, k)
		require.Equal(t, k, v)
	}
	// Not the prefix: never kept, never found, never dropping another.
	for _, k := range []string{"q:a", "a", "p", "", "P:a", "pp:a"} {
		tok, _ := n.reserve(k)
		require.Zero(t, tok, k)
		n.keep(k, "wrong")
		_, ok := n.get(k)
		require.False(t, ok, k)
		n.Wrote(k)
		n.invalidated([]string{k}, true)
	}
	require.Equal(t, 5, n.len())
	v, ok := n.get("p:a")
	require.True(t, ok)
	require.Equal(t, "p:a", v)
	n.Wrote("p:a")
	_, ok = n.get("p:a")
	require.False(t, ok)
	_, ok = n.get("p:ab")
	require.True(t, ok, "dropping p:a dropped p:ab")
}

// TestNearHashSpread: the local key's hash (wyhash's mixing up to 16
// bytes, maphash beyond) tells apart every key of each length, spreads
// keys that differ in one byte, and fills buckets and shards evenly; two
// tiers hash with different keys.
func TestNearHashSpread(t *testing.T) {
	h := newNearHasher()
	r := rand.New(rand.NewPCG(3, 4))
	seen := make(map[uint64]string)
	const buckets, shards = 1024, 64
	var inBucket [buckets]int
	var inShard [shards]int
	add := func(k string) {
		x := h.hash(k)
		if o, dup := seen[x]; dup {
			require.Equal(t, o, k, "two keys with one 64-bit hash")
			return
		}
		seen[x] = k
		inBucket[x&(buckets-1)]++
		inShard[x>>(64-6)]++
	}
	// Every key of 0-2 bytes, decimal numbers (a ring's int arguments),
	// and random keys of each length up to 40.
	add("")
	for a := range 256 {
		add(string([]byte{byte(a)}))
		for b := range 256 {
			add(string([]byte{byte(a), byte(b)}))
		}
	}
	for i := range 100000 {
		add(fmt.Sprint(i))
		add(fmt.Sprint(-i))
	}
	for n := 3; n <= 40; n++ {
		for range 2000 {
			b := make([]byte, n)
			for i := range b {
				b[i] = byte(r.UintN(256))
			}
			add(string(b))
			// Each byte of it changed: another hash.
			i := r.IntN(n)
			b[i] ^= byte(1 + r.UintN(255))
			add(string(b))
		}
	}
	total := len(seen)
	for i, c := range inBucket {
		require.InDelta(t, total/buckets, c, float64(total/buckets)/4, "bucket %d of %d keys", i, total)
	}
	for i, c := range inShard {
		require.InDelta(t, total/shards, c, float64(total/shards)/10, "shard %d of %d keys", i, total)
	}
	other := newNearHasher()
	same := 0
	for i := range 1000 {
		if h.hash(fmt.Sprint(i)) == other.hash(fmt.Sprint(i)) {
			same++
		}
	}
	require.Zero(t, same, "two tiers hash alike")
}

// TestNearRingLocalKeys: a ring whose near tier is keyed by its
// arguments alone returns each argument's own value, on the miss and on
// the near hit, for arguments of every length around the hash's cases,
// and for a ring without arguments.
func TestNearRingLocalKeys(t *testing.T) {
	ctx := context.Background()
	w := Must(Func1(func(_ context.Context, s string) (string, error) { return "v" + s, nil },
		LRU(10000), Near(10000, time.Minute), KeyPrefix("local")))
	require.True(t, w.c.byBytes)
	var args []string
	for n := range 20 {
		for c := range 8 {
			b := []byte(strings.Repeat("a", n))
			if n > 0 {
				b[c%n] = 'b' + byte(c)
				b[n-1-c%n] = 'b' + byte(c)
			}
			args = append(args, string(b))
		}
	}
	for range 2 { // misses, then near hits
		for _, a := range args {
			v, err := w.Call(ctx, a)
			require.NoError(t, err)
			require.Equal(t, "v"+a, v)
		}
	}
	for _, a := range args {
		require.True(t, NearHasForTest(w.Cache(), w.Cache().Key(a)), a)
	}
	calls := 0
	w0 := Must(Func0(func(context.Context) (int, error) { calls++; return calls, nil },
		LRU(8), Near(8, time.Minute), KeyPrefix("local0")))
	require.True(t, w0.c.byBytes)
	for range 3 {
		v, err := w0.Call(ctx)
		require.NoError(t, err)
		require.Equal(t, 1, v)
	}
	require.True(t, NearHasForTest(w0.Cache(), w0.Cache().Key("")))
}
