package ring_test

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// TestConcurrentStorage runs the sub-functions on the Concurrent option:
// the store is typed (a backends.Concurrent of the result type), and each
// ring of a Preset gets its own.
func TestConcurrentStorage(t *testing.T) {
	ctx := context.Background()
	var runs counter
	preset := ring.Preset(ring.Concurrent(64), ring.Expire(time.Minute))
	require.Equal(t, "Preset(Concurrent(64), Expire(1m0s))", preset.String())
	r := ring.Must(ring.Func2(price(&runs), preset, ring.KeyPrefix("price")))
	_, typed := r.Cache().Storage().(*backends.Concurrent[string])
	require.True(t, typed, "storage is %T", r.Cache().Storage())
	require.Equal(t, "concurrent", r.Cache().Storage().Name())

	v, err := r.Call(ctx, "apple", 3)
	require.NoError(t, err)
	v2, err := r.Call(ctx, "apple", 3)
	require.NoError(t, err)
	require.Equal(t, v, v2)
	require.EqualValues(t, 1, runs.get())

	got, ok, err := r.Get(ctx, "apple", 3)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, v, got)
	cv, ok, err := r.Cache().Get(ctx, "apple:3")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, v, cv)

	require.NoError(t, r.Set(ctx, "set", "apple", 3))
	v, err = r.Call(ctx, "apple", 3)
	require.NoError(t, err)
	require.Equal(t, "set", v)
	require.NoError(t, r.Touch(ctx, "apple", 3))
	has, err := r.Has(ctx, "apple", 3)
	require.NoError(t, err)
	require.True(t, has)
	require.NoError(t, r.Delete(ctx, "apple", 3))
	_, ok, err = r.Get(ctx, "apple", 3)
	require.NoError(t, err)
	require.False(t, ok)
	v, err = r.Update(ctx, "pear", 2)
	require.NoError(t, err)
	got, _, _ = r.Get(ctx, "pear", 2)
	require.Equal(t, v, got)

	// Bulk forms and Clear.
	vs, err := r.Many().GetOrUpdate(ctx, []ring.Args2[string, int]{{P1: "a", P2: 1}, {P1: "b", P2: 2}})
	require.NoError(t, err)
	require.Len(t, vs, 2)
	require.NoError(t, r.Cache().Clear(ctx))
	_, ok, _ = r.Get(ctx, "a", 1)
	require.False(t, ok, "Clear left an entry")

	// Another ring of the preset has a store of its own.
	r2 := ring.Must(ring.Func2(price(&runs), preset, ring.KeyPrefix("price")))
	require.NoError(t, r2.Set(ctx, "only in r2", "x", 1))
	_, ok, _ = r.Get(ctx, "x", 1)
	require.False(t, ok, "two rings of one preset share a store")

	// A function literal keeps its default prefix: the store is private.
	_, err = ring.Func1(func(ctx context.Context, n int) (int, error) { return n, nil }, ring.Concurrent(8))
	require.NoError(t, err)

	_, err = ring.Func1(func(ctx context.Context, n int) (int, error) { return n, nil }, ring.Concurrent(0), ring.KeyPrefix("zero"))
	require.ErrorContains(t, err, "backend concurrent: size must be positive, got 0")
}

// TestConcurrentStorageUntyped covers the configurations that store other
// values than the results, on a backends.Concurrent[any]: a coder's bytes,
// NegativeCache's entries, and a Concurrent of another type given with
// Storage.
func TestConcurrentStorageUntyped(t *testing.T) {
	ctx := context.Background()
	errMissing := errors.New("missing")
	for name, opts := range map[string][]ring.Option{
		"coder":    {ring.Concurrent(64), ring.Coder("json")},
		"negative": {ring.Concurrent(64), ring.NegativeCache(time.Minute, errMissing)},
		"storage":  {ring.Storage(must(backends.NewConcurrent[any](64)))},
	} {
		t.Run(name, func(t *testing.T) {
			var runs counter
			r := ring.Must(ring.Func2(func(ctx context.Context, item string, qty int) (string, error) {
				runs.add()
				if item == "none" {
					return "", errMissing
				}
				return item + strconv.Itoa(qty), nil
			}, append(opts, ring.KeyPrefix("u"))...))
			_, typed := r.Cache().Storage().(*backends.Concurrent[string])
			require.False(t, typed)
			for range 2 {
				v, err := r.Call(ctx, "apple", 3)
				require.NoError(t, err)
				require.Equal(t, "apple3", v)
			}
			require.EqualValues(t, 1, runs.get())
			if name == "negative" {
				for range 2 {
					_, err := r.Call(ctx, "none", 1)
					require.ErrorIs(t, err, errMissing)
				}
				require.EqualValues(t, 2, runs.get(), "the negative entry was not served")
			}
		})
	}
	// A typed store given with Storage is read typed, with its own options.
	var evicted []string
	s := must(backends.NewConcurrent[string](1, backends.OnEvictKey(func(k string) { evicted = append(evicted, k) })))
	r := ring.Must(ring.Func2(lookup, ring.Storage(s), ring.KeyPrefix("t")))
	for _, item := range []string{"a", "b"} {
		_, err := r.Call(ctx, item, 1)
		require.NoError(t, err)
	}
	require.Equal(t, []string{"t:a:1"}, evicted)
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// TestConcurrentStorageParallel is the 64-goroutine mix: 100 hot keys, one
// call in ten a miss on a key of its own. Every call returns its key's
// value, and every hot key runs the function once (single flight; the
// store holds 16384 entries, more than the 12,900 keys, so nothing is
// evicted).
func TestConcurrentStorageParallel(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	runs := map[string]int{}
	fn := func(ctx context.Context, item string, n int) (string, error) {
		mu.Lock()
		runs[item+":"+strconv.Itoa(n)]++
		mu.Unlock()
		return item + "=" + strconv.Itoa(n), nil
	}
	r := ring.Must(ring.Func2(fn, ring.Concurrent(16384), ring.KeyPrefix("mix"), ring.Expire(time.Minute)))
	var wg sync.WaitGroup
	errs := make(chan error, 64)
	for g := range 64 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 2000 {
				item, n := "hot", (i*31+g)%100
				if i%10 == 0 {
					item, n = "cold"+strconv.Itoa(g), i
				}
				v, err := r.Call(ctx, item, n)
				if err == nil && v != item+"="+strconv.Itoa(n) {
					err = errors.New("Call(" + item + ", " + strconv.Itoa(n) + ") = " + v)
				}
				if err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	for n := range 100 {
		if got := runs["hot:"+strconv.Itoa(n)]; got != 1 {
			t.Errorf("hot key %d ran the function %d times, want 1 (single flight)", n, got)
		}
	}
}

// TestConcurrentStorageRefreshAhead checks RefreshAhead on the typed store:
// a due hit is served at once and refreshed in the background.
func TestConcurrentStorageRefreshAhead(t *testing.T) {
	ctx := context.Background()
	var runs counter
	r := ring.Must(ring.Func1(func(ctx context.Context, n int) (int, error) {
		runs.add()
		return int(runs.get()), nil
	}, ring.Concurrent(16), ring.KeyPrefix("ahead"), ring.Expire(time.Minute), ring.RefreshAhead(100*time.Millisecond, time.Second)))
	_, typed := r.Cache().Storage().(*backends.Concurrent[int])
	require.True(t, typed)
	v, err := r.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, 1, v)
	time.Sleep(150 * time.Millisecond)
	v, err = r.Call(ctx, 1) // due: served as it is, refreshed behind
	require.NoError(t, err)
	require.Equal(t, 1, v)
	require.Eventually(t, func() bool {
		v, ok, _ := r.Get(ctx, 1)
		return ok && v == 2
	}, 2*time.Second, 5*time.Millisecond, "the due entry was not refreshed")
}
