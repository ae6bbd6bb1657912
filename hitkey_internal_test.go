package ring

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

type hitKeyPoint struct{ X, Y int }

type hitKeyPair[T any] struct {
	A T
	B string
}

type hitKeyer struct{ id int }

func (h hitKeyer) RingKey() string { return fmt.Sprint("keyer-", h.id) }

// checkKeyBytes: the bytes Call looks a key up by are the key's string,
// built into a dirty reused buffer as callBytes does.
func checkKeyBytes[K, R any](t *testing.T, name string, c *core[K, R], k K) {
	t.Helper()
	want, werr := c.key(k)
	buf := []byte(strings.Repeat("#", 700))[:0]
	b, err := c.appendKey(buf, k)
	if werr != nil {
		require.Error(t, err, name)
		return
	}
	require.NoError(t, err, name)
	require.Equal(t, want, string(b), name)
	// The near tier's hit builds only the part after the Cache's prefix
	// (appendTuple; one component by hand), and looks it up in a tier
	// keyed by what follows that prefix.
	tb, err := c.appendTuple([]byte(strings.Repeat("#", 700))[:0], k)
	require.NoError(t, err, name)
	require.Equal(t, want, c.store.prefix+string(tb), name)
	if c.keyFunc == nil && c.hashed == nil && len(c.comps) == 1 {
		one, err := c.comps[0]([]byte(strings.Repeat("#", 700))[:0], k)
		require.NoError(t, err, name)
		require.Equal(t, string(tb), string(one), name)
	}
	if i, ok := c.intArg(&k); ok { // the digits a function of one int's near hit builds
		require.Equal(t, want, c.store.prefix+strconv.Itoa(i), name)
	}
	if n := c.store.near; n != nil {
		require.Equal(t, c.store.prefix, n.pre, name)
		lk, ok := n.local(want)
		require.True(t, ok, name)
		require.Equal(t, string(tb), lk, name)
	}
}

func hitKeyString(r *rand.Rand) string {
	const alphabet = "ab:\\ é%\x00\n'\"{}[]"
	n := r.IntN(40)
	if r.IntN(8) == 0 {
		n = maxKeyHint + r.IntN(3*maxKeyHint) // longer than any hint
	}
	var sb strings.Builder
	for range n {
		sb.WriteString(string([]rune(alphabet)[r.IntN(len([]rune(alphabet)))]))
	}
	return sb.String()
}

// TestKeyBytesEqualKey: for every kind of key component (strings with
// separators, numbers, floats, bools, structs, generic and unexported
// types, slices, maps, pointers, RingKey), KeyFunc, Ignore, HashKeys,
// PythonKeys and long keys, the bytes of the hit by bytes are key's.
func TestKeyBytesEqualKey(t *testing.T) {
	ctx := context.Background()
	fn2 := func(context.Context, string, int) (string, error) { return "", nil }
	r := rand.New(rand.NewPCG(1, 2))
	type opts = []Option
	rings := map[string]opts{
		"plain":        {Concurrent(8)},
		"hash":         {Concurrent(8), HashKeys(sha256.New)},
		"keyfunc":      {Concurrent(8), KeyFunc(func(a ...any) string { return fmt.Sprint(a...) })},
		"ignore":       {Concurrent(8), Ignore(3)},
		"python":       {Concurrent(8), PythonKeys(), KeyPrefix("py:")},
		"prefix":       {Concurrent(8), KeyPrefix(strings.Repeat("p", 600))},
		"near-lru":     {LRU(8), Near(8, time.Minute)},
		"near-hash":    {LRU(8), Near(8, time.Minute), HashKeys(sha256.New)},
		"near-keyfunc": {LRU(8), Near(8, time.Minute), KeyFunc(func(a ...any) string { return fmt.Sprint(a...) })},
		"near-ignore":  {LRU(8), Near(8, time.Minute), Ignore(3)},
		"near-python":  {LRU(8), Near(8, time.Minute), PythonKeys(), KeyPrefix("py:")},
		"near-prefix":  {LRU(8), Near(8, time.Minute), KeyPrefix(strings.Repeat("p", 600))},
	}
	for name, o := range rings {
		w, err := Func2(fn2, o...)
		require.NoError(t, err, name)
		require.True(t, w.c.byBytes, name)
		for range 300 {
			a, n := hitKeyString(r), r.IntN(1<<40)-1<<39
			checkKeyBytes(t, name, w.c, argsOf(w, a, n))
		}
		_, _ = w.Call(ctx, "x", 1)
	}
	// More component kinds, one parameter each.
	check := func(name string, f func(t *testing.T)) { t.Run(name, f) }
	check("float", func(t *testing.T) {
		w := Must(Func1(func(context.Context, float64) (int, error) { return 0, nil }, Concurrent(8)))
		for range 300 {
			checkKeyBytes(t, "float", w.c, argsOf1(w, r.NormFloat64()*1e10))
		}
	})
	check("int", func(t *testing.T) {
		fn := func(context.Context, int) (int, error) { return 0, nil }
		for name, o := range map[string]opts{
			"concurrent": {Concurrent(8)}, "near": {LRU(8), Near(8, time.Minute)},
			"near-python":  {LRU(8), Near(8, time.Minute), PythonKeys(), KeyPrefix("py:")},
			"near-hash":    {LRU(8), Near(8, time.Minute), HashKeys(sha256.New)},
			"near-keyfunc": {LRU(8), Near(8, time.Minute), KeyFunc(func(a ...any) string { return fmt.Sprint(a...) })},
		} {
			w := Must(Func1(fn, o...))
			k := argsOf1(w, 1)
			_, direct := w.c.intArg(&k)
			require.Equal(t, name != "near-hash" && name != "near-keyfunc", direct, name)
			for _, i := range []int{0, -1, 1, 9, 10, -10, math.MaxInt, math.MinInt} {
				checkKeyBytes(t, name, w.c, argsOf1(w, i))
			}
			for range 300 {
				checkKeyBytes(t, name, w.c, argsOf1(w, int(r.Uint64())>>r.IntN(64)))
			}
		}
	})
	check("struct", func(t *testing.T) {
		w := Must(Func1(func(context.Context, hitKeyPoint) (int, error) { return 0, nil }, Concurrent(8)))
		for range 300 {
			checkKeyBytes(t, "struct", w.c, argsOf1(w, hitKeyPoint{r.Int(), -r.Int()}))
		}
	})
	check("generic", func(t *testing.T) {
		w := Must(Func1(func(context.Context, hitKeyPair[[]int]) (int, error) { return 0, nil }, Concurrent(8)))
		for range 300 {
			checkKeyBytes(t, "generic", w.c, argsOf1(w, hitKeyPair[[]int]{A: []int{r.Int(), r.IntN(9)}, B: hitKeyString(r)}))
		}
	})
	check("map", func(t *testing.T) {
		w := Must(Func1(func(context.Context, map[string]bool) (int, error) { return 0, nil }, Concurrent(8)))
		for range 300 {
			checkKeyBytes(t, "map", w.c, argsOf1(w, map[string]bool{hitKeyString(r): true, hitKeyString(r): false}))
		}
	})
	check("keyer", func(t *testing.T) {
		w := Must(Func1(func(context.Context, hitKeyer) (int, error) { return 0, nil }, Concurrent(8)))
		for range 300 {
			checkKeyBytes(t, "keyer", w.c, argsOf1(w, hitKeyer{r.Int()}))
		}
	})
	check("bool-pointer", func(t *testing.T) {
		w := Must(Func2(func(context.Context, bool, *int) (int, error) { return 0, nil }, Concurrent(8)))
		for range 300 {
			n := r.Int()
			checkKeyBytes(t, "bool-pointer", w.c, argsOf(w, r.IntN(2) == 0, &n))
		}
	})
}

// TestNearTierLockFreeReads: readers racing writers, invalidations,
// flushes and growth never see a copy once the write that dropped it has
// returned, nor a value other than the one filled for its key.
func TestNearTierLockFreeReads(t *testing.T) {
	n := newNearTier[int](256, time.Minute, nil)
	const keys = 512 // more than the tier holds: evictions and growth
	var version [keys]atomic.Int64
	var stop atomic.Bool
	var wg sync.WaitGroup
	var bad atomic.Int64
	for w := range 3 { // writers, each of its own keys: drop, then fill the new version
		wg.Go(func() {
			r := rand.New(rand.NewPCG(rand.Uint64(), 0))
			for !stop.Load() {
				i := r.IntN(keys/3)*3 + w
				k := fmt.Sprint("k", i)
				switch r.IntN(50) {
				case 0:
					n.invalidated(nil, true)
				case 1:
					n.WroteAll()
				}
				tok, start := n.reserve(k) // a read that races the write
				n.Wrote(k)
				v := int(version[i].Add(1))   // the write is done: no reader may see v-1 now
				tok2, start2 := n.reserve(k)  // the next read
				n.fill(k, tok, start, v-1, 0) // the racing read keeps nothing
				n.fill(k, tok2, start2, v, 0)
			}
		})
	}
	for range 3 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(rand.Uint64(), 1))
			for !stop.Load() {
				i := r.IntN(keys)
				before := version[i].Load()
				if v, ok := n.get(fmt.Sprint("k", i)); ok && int64(v) < before {
					bad.Add(1)
				}
			}
		})
	}
	time.Sleep(time.Second)
	stop.Store(true)
	wg.Wait()
	require.Zero(t, bad.Load(), "reads returned a dropped copy")
	require.LessOrEqual(t, n.len(), 256)
}

func argsOf1[A, R any](_ *Ring1[A, R], a A) Args2[struct{}, A] {
	return Args2[struct{}, A]{P2: a}
}

func argsOf[A, B, R any](_ *Ring2[A, B, R], a A, b B) Args3[struct{}, A, B] {
	return Args3[struct{}, A, B]{P2: a, P3: b}
}
