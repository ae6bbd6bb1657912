package ring_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/strategy"
)

// errGone is a not-found error of the user's own.
var errGone = errors.New("user gone")

// directory is a data source for negative-caching tests: an id names a
// user when present is set for it; otherwise id%2 == 0 is "not found"
// (ErrNotFound, wrapped) and an odd id is the zero result. Runs are
// counted per id.
type directory struct {
	mu      sync.Mutex
	present map[int]string
	runs    map[int]int
	hold    chan struct{} // when set, runs wait for it
}

func newDirectory() *directory {
	return &directory{present: map[int]string{}, runs: map[int]int{}}
}

func (d *directory) fn(ctx context.Context, id int) (string, error) {
	d.mu.Lock()
	d.runs[id]++
	v, ok := d.present[id]
	hold := d.hold
	d.mu.Unlock()
	if hold != nil {
		<-hold
	}
	switch {
	case ok:
		return v, nil
	case id%2 == 0:
		return "", fmt.Errorf("user %d: %w", id, ring.ErrNotFound)
	}
	return "", nil
}

// closure is fn as a function literal (a method value hides its
// receiver, and a ring refuses it).
func (d *directory) closure() func(ctx context.Context, id int) (string, error) {
	return func(ctx context.Context, id int) (string, error) { return d.fn(ctx, id) }
}

func (d *directory) set(id int, v string) {
	d.mu.Lock()
	d.present[id] = v
	d.mu.Unlock()
}

func (d *directory) unset(id int) {
	d.mu.Lock()
	delete(d.present, id)
	d.mu.Unlock()
}

func (d *directory) ran(id int) int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.runs[id]
}

// negativeBackends are the storages every negative-caching promise is
// tested on, each with whether it stores bytes (a coder).
func negativeBackends() map[string]func(t *testing.T) []ring.Option {
	return map[string]func(t *testing.T) []ring.Option{
		"lru":  func(t *testing.T) []ring.Option { return []ring.Option{ring.LRU(256)} },
		"dict": func(t *testing.T) []ring.Option { return []ring.Option{ring.Dict()} },
		"lru+json": func(t *testing.T) []ring.Option {
			return []ring.Option{ring.LRU(256), ring.Coder("json")}
		},
		"disk": func(t *testing.T) []ring.Option {
			return []ring.Option{diskOpt(t, t.TempDir()), ring.Coder("json")}
		},
		"redis": func(t *testing.T) []ring.Option {
			return []ring.Option{ring.Storage(redisstore.New(sharedRedis(t))), ring.Coder("json"), ring.StorageTimeout(2 * time.Second)}
		},
		"cluster": func(t *testing.T) []ring.Option {
			return []ring.Option{ring.Storage(redisstore.New(sharedCluster(t))), ring.Coder("json"), ring.StorageTimeout(2 * time.Second)}
		},
		"memcache": func(t *testing.T) []ring.Option {
			return []ring.Option{ring.Storage(memcachestore.New(sharedMemcache(t))), ring.Coder("json"), ring.StorageTimeout(2 * time.Second)}
		},
	}
}

// negTTL is the negative entries' time-to-live in the backend tests: 2 s,
// since memcached counts whole seconds.
const negTTL = 2 * time.Second

func negativeRing(t *testing.T, d *directory, storage []ring.Option, evs *events, extra ...ring.Option) *ring.Ring1[int, string] {
	t.Helper()
	opts := append([]ring.Option{
		ring.KeyPrefix("neg:" + runID + ":" + t.Name()), ring.Expire(time.Minute),
		ring.NegativeCache(negTTL, ring.ErrNotFound, errGone, ring.ErrZeroResult),
		ring.OnError(evs.hook),
	}, storage...)
	r, err := ring.Func1(d.closure(), append(opts, extra...)...)
	require.NoError(t, err)
	t.Cleanup(func() { _ = r.Many().Delete(context.Background(), []int{1, 2, 3, 4, 5, 6, 8, 10, 12, 14, 16}) })
	return r
}

// TestNegativeCacheBackends checks every promise of NegativeCache on
// every backend, with real servers for Redis, a Redis Cluster and
// memcached.
func TestNegativeCacheBackends(t *testing.T) {
	for name, storage := range negativeBackends() {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			negativeOn(t, storage(t))
		})
	}
}

func negativeOn(t *testing.T, storage []ring.Option) {
	// A context that can end takes the Cancelable path of remote stores.
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	d := newDirectory()
	var evs events
	r := negativeRing(t, d, storage, &evs)

	t.Run("concurrent calls run once", func(t *testing.T) {
		d.mu.Lock()
		d.hold = make(chan struct{})
		hold := d.hold
		d.mu.Unlock()
		const n = 32
		errs := make([]error, n)
		vals := make([]string, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				vals[i], errs[i] = r.Call(ctx, 2)
			}()
		}
		// Let the callers pile up on the flight, then let the run finish.
		require.Eventually(t, func() bool { return d.ran(2) == 1 }, 5*time.Second, time.Millisecond)
		time.Sleep(20 * time.Millisecond)
		close(hold)
		wg.Wait()
		d.mu.Lock()
		d.hold = nil
		d.mu.Unlock()
		for i := range n {
			require.ErrorIs(t, errs[i], ring.ErrNotFound)
			require.Empty(t, vals[i])
		}
		require.Equal(t, 1, d.ran(2))
		// Later calls are served by the negative entry.
		for range 5 {
			v, err := r.Call(ctx, 2)
			require.ErrorIs(t, err, ring.ErrNotFound)
			require.Empty(t, v)
			require.Contains(t, err.Error(), "cached not-found result")
		}
		require.Equal(t, 1, d.ran(2), "the function is not run again within the ttl")
		require.Empty(t, evs.ops())
	})

	t.Run("get tells a negative entry from a miss and a value", func(t *testing.T) {
		v, found, err := r.Get(ctx, 2)
		require.ErrorIs(t, err, ring.ErrNotFound)
		require.False(t, found)
		require.Empty(t, v)
		require.Equal(t, "ring: "+r.Untyped().Name()+": cached not-found result: not found", err.Error())

		_, found, err = r.Get(ctx, 14) // never filled
		require.NoError(t, err)
		require.False(t, found)

		d.set(16, "sixteen")
		_, err = r.Call(ctx, 16)
		require.NoError(t, err)
		v, found, err = r.Get(ctx, 16)
		require.NoError(t, err)
		require.True(t, found)
		require.Equal(t, "sixteen", v)

		has, err := r.Has(ctx, 2)
		require.NoError(t, err)
		require.True(t, has, "a negative entry is cached")

		vs, fs, err := r.Many().Get(ctx, []int{16, 2, 14})
		require.ErrorIs(t, err, ring.ErrNotFound)
		require.Contains(t, err.Error(), "argument set 1")
		require.NotContains(t, err.Error(), "argument set 0")
		require.NotContains(t, err.Error(), "argument set 2")
		require.Equal(t, []bool{true, false, false}, fs)
		require.Equal(t, []string{"sixteen", "", ""}, vs)

		cv, found, err := r.Cache().Get(ctx, "2")
		require.ErrorIs(t, err, ring.ErrNotFound)
		require.False(t, found)
		require.Empty(t, cv)
		m, err := r.Cache().GetMany(ctx, "2", "16")
		require.NoError(t, err)
		require.Equal(t, map[string]string{"16": "sixteen"}, m)

		untyped, found, err := r.Untyped().Get(ctx, 2)
		require.ErrorIs(t, err, ring.ErrNotFound)
		require.False(t, found)
		require.Nil(t, untyped)
	})

	t.Run("bulk get or update serves negative entries", func(t *testing.T) {
		before := d.ran(2)
		vs, err := r.Many().GetOrUpdate(ctx, []int{16, 2, 4})
		require.ErrorIs(t, err, ring.ErrNotFound)
		require.Contains(t, err.Error(), "argument set 1")
		require.Contains(t, err.Error(), "argument set 2")
		require.Equal(t, []string{"sixteen", "", ""}, vs)
		require.Equal(t, before, d.ran(2), "a negative hit runs nothing")
		require.Equal(t, 1, d.ran(4), "a miss ran once")
		_, err = r.Call(ctx, 4)
		require.ErrorIs(t, err, ring.ErrNotFound)
		require.Equal(t, 1, d.ran(4), "the bulk fill wrote a negative entry")
	})

	t.Run("zero result", func(t *testing.T) {
		for range 3 {
			v, err := r.Call(ctx, 1)
			require.NoError(t, err)
			require.Empty(t, v)
		}
		require.Equal(t, 1, d.ran(1))
		v, found, err := r.Get(ctx, 1)
		require.ErrorIs(t, err, ring.ErrZeroResult)
		require.False(t, found)
		require.Empty(t, v)
		vs, err := r.Many().GetOrUpdate(ctx, []int{1})
		require.NoError(t, err)
		require.Equal(t, []string{""}, vs)
		require.Equal(t, 1, d.ran(1))
	})

	t.Run("set replaces", func(t *testing.T) {
		require.NoError(t, r.Set(ctx, "set", 2))
		v, err := r.Call(ctx, 2)
		require.NoError(t, err)
		require.Equal(t, "set", v)
		v, found, err := r.Get(ctx, 2)
		require.NoError(t, err)
		require.True(t, found)
		require.Equal(t, "set", v)
	})

	t.Run("update replaces, both ways", func(t *testing.T) {
		_, err := r.Call(ctx, 6)
		require.ErrorIs(t, err, ring.ErrNotFound)
		d.set(6, "six")
		v, err := r.Update(ctx, 6)
		require.NoError(t, err)
		require.Equal(t, "six", v)
		v, err = r.Call(ctx, 6)
		require.NoError(t, err)
		require.Equal(t, "six", v)
		// The user is deleted at the source: Update writes the negative entry
		// over the value, so Call no longer serves the old value.
		d.unset(6)
		_, err = r.Update(ctx, 6)
		require.ErrorIs(t, err, ring.ErrNotFound)
		runs := d.ran(6)
		_, err = r.Call(ctx, 6)
		require.ErrorIs(t, err, ring.ErrNotFound)
		require.Contains(t, err.Error(), "cached not-found result")
		require.Equal(t, runs, d.ran(6))
		// And in bulk.
		d.set(6, "again")
		vs, err := r.Many().Update(ctx, []int{6, 8})
		require.ErrorIs(t, err, ring.ErrNotFound)
		require.Equal(t, []string{"again", ""}, vs)
		runs8 := d.ran(8)
		_, err = r.Call(ctx, 8)
		require.ErrorIs(t, err, ring.ErrNotFound)
		require.Equal(t, runs8, d.ran(8), "Many().Update wrote the negative entry")
		v, err = r.Call(ctx, 6)
		require.NoError(t, err)
		require.Equal(t, "again", v)
	})

	t.Run("delete removes", func(t *testing.T) {
		_, err := r.Call(ctx, 10)
		require.ErrorIs(t, err, ring.ErrNotFound)
		require.NoError(t, r.Delete(ctx, 10))
		has, err := r.Has(ctx, 10)
		require.NoError(t, err)
		require.False(t, has)
		_, err = r.Call(ctx, 10)
		require.ErrorIs(t, err, ring.ErrNotFound)
		require.Equal(t, 2, d.ran(10), "deleted: the function ran again")
	})

	t.Run("foreign marker is a miss", func(t *testing.T) {
		// Another ring on the same storage and keys lists other errors:
		// its negative entry names one this ring does not know.
		other, err := ring.Func1(func(ctx context.Context, id int) (string, error) {
			return "", fmt.Errorf("id %d: %w", id, errForeign)
		}, append([]ring.Option{ring.KeyPrefix(r.Cache().Prefix()[:len(r.Cache().Prefix())-1]),
			ring.NegativeCache(negTTL, errForeign)}, sharedStorage(r)...)...)
		require.NoError(t, err)
		_, err = other.Call(ctx, 12)
		require.ErrorIs(t, err, errForeign)
		_, found, err := other.Get(ctx, 12)
		require.ErrorIs(t, err, errForeign)
		require.False(t, found)

		_, found, err = r.Get(ctx, 12)
		require.NoError(t, err, "a marker of an unknown error is a miss")
		require.False(t, found)
		d.set(12, "twelve")
		v, err := r.Call(ctx, 12)
		require.NoError(t, err)
		require.Equal(t, "twelve", v)
		require.Equal(t, 1, d.ran(12))
		require.Contains(t, evs.ops(), "decode")
	})

	t.Run("expires after its ttl", func(t *testing.T) {
		_, err := r.Call(ctx, 14)
		require.ErrorIs(t, err, ring.ErrNotFound)
		require.Equal(t, 1, d.ran(14))
		time.Sleep(negTTL / 2)
		_, err = r.Call(ctx, 14)
		require.ErrorIs(t, err, ring.ErrNotFound)
		require.Equal(t, 1, d.ran(14), "within the ttl")
		require.Eventually(t, func() bool {
			_, err := r.Call(ctx, 14)
			return errors.Is(err, ring.ErrNotFound) && d.ran(14) == 2
		}, negTTL+3*time.Second, 100*time.Millisecond, "the function runs again once the ttl has passed")
	})
}

var errForeign = errors.New("foreign not found")

// sharedStorage returns the options that put a ring on r's storage and
// coder.
func sharedStorage(r *ring.Ring1[int, string]) []ring.Option {
	opts := []ring.Option{ring.Storage(r.Cache().Storage())}
	if cd := r.Cache().Coder(); cd != nil {
		opts = append(opts, ring.WithCoder(cd))
	}
	return opts
}

// TestNegativeCacheCorruptMarker: bytes that start like a marker but are
// cut short, or name nothing, are a miss on a store of bytes, never a
// value or a negative outcome.
func TestNegativeCacheCorruptMarker(t *testing.T) {
	ctx := context.Background()
	d := newDirectory()
	var evs events
	r := negativeRing(t, d, []ring.Option{ring.LRU(16), ring.Coder("json")}, &evs)
	d.set(2, "two")
	for _, raw := range []string{"\x00ring-neg", "\x00ring-negative\x00", "\x00ring-negative\x00ring: not foun", "\x00"} {
		key, err := r.Key(2)
		require.NoError(t, err)
		require.NoError(t, r.Cache().Storage().Set(ctx, key, []byte(raw), 0))
		_, found, err := r.Get(ctx, 2)
		require.NoError(t, err, "%q", raw)
		require.False(t, found, "%q", raw)
		v, err := r.Call(ctx, 2)
		require.NoError(t, err, "%q", raw)
		require.Equal(t, "two", v, "%q", raw)
	}
	require.Equal(t, 4, d.ran(2))
}

// TestNegativeCacheIdentityCoder: with the string coder a result can be
// any bytes; one that starts with the marker is refused, not cached, so it
// is never read back as a negative entry.
func TestNegativeCacheIdentityCoder(t *testing.T) {
	ctx := context.Background()
	var runs atomic.Int32
	fake := "\x00ring-negative\x00ring: not found"
	var evs events
	r, err := ring.Func1(func(ctx context.Context, id int) (string, error) {
		runs.Add(1)
		return fake, nil
	}, ring.Storage(redisstore.New(sharedRedis(t))), ring.KeyPrefix("neg:"+runID+":"+t.Name()),
		ring.NegativeCache(time.Minute), ring.OnError(evs.hook), ring.StorageTimeout(2*time.Second))
	require.NoError(t, err)
	require.Equal(t, "string", r.Cache().Coder().Name())
	for i := 1; i <= 2; i++ {
		v, err := r.Call(ctx, 1)
		require.NoError(t, err)
		require.Equal(t, fake, v)
		require.EqualValues(t, i, runs.Load(), "not cached")
	}
	require.Equal(t, []string{"set", "set"}, evs.ops())
	require.ErrorContains(t, evs.all[0].Err, "marker of NegativeCache's entries")
	err = r.Set(ctx, fake, 1)
	require.ErrorContains(t, err, "would be read back as one")
	_, found, err := r.Get(ctx, 1)
	require.NoError(t, err)
	require.False(t, found)
	// A value that merely contains the marker later on is cached.
	_, err = r.Cache().Set(ctx, "2", "x"+fake, ring.SetOptions{})
	require.NoError(t, err)
	v, found, err := r.Get(ctx, 2)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "x"+fake, v)
	_ = r.Delete(ctx, 2)
}

// TestNegativeCacheStoredForm pins the bytes of a negative entry on Redis,
// as a raw client (or Python Ring) sees them, and its time-to-live.
func TestNegativeCacheStoredForm(t *testing.T) {
	ctx := context.Background()
	rdb := sharedRedis(t)
	d := newDirectory()
	var evs events
	r := negativeRing(t, d, []ring.Option{ring.Storage(redisstore.New(rdb)), ring.Coder("json")}, &evs)
	_, err := r.Call(ctx, 2)
	require.ErrorIs(t, err, ring.ErrNotFound)
	key, err := r.Key(2)
	require.NoError(t, err)
	raw, err := rdb.Get(ctx, key).Bytes()
	require.NoError(t, err)
	require.Equal(t, "\x00ring-negative\x00ring: not found", string(raw))
	ttl, err := rdb.PTTL(ctx, key).Result()
	require.NoError(t, err)
	require.Greater(t, ttl, negTTL-time.Second)
	require.LessOrEqual(t, ttl, negTTL, "the negative ttl, not Expire")
	_, err = r.Call(ctx, 1)
	require.NoError(t, err)
	key, _ = r.Key(1)
	raw, err = rdb.Get(ctx, key).Bytes()
	require.NoError(t, err)
	require.Equal(t, "\x00ring-negative\x00ring: zero result", string(raw))
	// The order of the targets does not matter: a ring listing them the
	// other way round reads the same entry.
	r2, err := ring.Func1(d.closure(), ring.Storage(redisstore.New(rdb)), ring.Coder("json"),
		ring.KeyPrefix("neg:"+runID+":"+t.Name()), ring.NegativeCache(negTTL, ring.ErrZeroResult, errGone, ring.ErrNotFound))
	require.NoError(t, err)
	_, found, err := r2.Get(ctx, 2)
	require.ErrorIs(t, err, ring.ErrNotFound)
	require.False(t, found)
}

// TestNegativeCacheUserError: the user's own errors, matched with
// errors.Is through wrapping; an error that is not listed is returned and
// not cached.
func TestNegativeCacheUserError(t *testing.T) {
	ctx := context.Background()
	var runs atomic.Int32
	boom := errors.New("boom")
	r, err := ring.Func1(func(ctx context.Context, id int) (int, error) {
		runs.Add(1)
		switch id {
		case 1:
			return 0, fmt.Errorf("lookup %d: %w", id, errGone)
		case 2:
			return 0, boom
		}
		return id, nil
	}, ring.LRU(8), ring.NegativeCache(time.Minute, errGone))
	require.NoError(t, err)
	for range 3 {
		_, err = r.Call(ctx, 1)
		require.ErrorIs(t, err, errGone)
		require.NotErrorIs(t, err, ring.ErrNotFound)
	}
	require.EqualValues(t, 1, runs.Load())
	for range 3 {
		_, err = r.Call(ctx, 2)
		require.ErrorIs(t, err, boom)
	}
	require.EqualValues(t, 4, runs.Load(), "an error not listed is not cached")
	// Without ErrZeroResult a zero result is a value.
	r0, err := ring.Func1(func(ctx context.Context, id int) (int, error) { runs.Add(1); return 0, nil },
		ring.LRU(8), ring.NegativeCache(time.Minute))
	require.NoError(t, err)
	_, _ = r0.Call(ctx, 1)
	v, found, err := r0.Get(ctx, 1)
	require.NoError(t, err)
	require.True(t, found)
	require.Zero(t, v)
}

// TestNegativeCacheZeroKinds: ErrZeroResult on result types of each kind
// that has a zero test, typed and untyped.
func TestNegativeCacheZeroKinds(t *testing.T) {
	ctx := context.Background()
	check := func(t *testing.T, r *ring.Ring, zeroArg, valueArg int) {
		t.Helper()
		_, err := r.Call(ctx, zeroArg)
		require.NoError(t, err)
		_, found, err := r.Get(ctx, zeroArg)
		require.ErrorIs(t, err, ring.ErrZeroResult, "zero is negative")
		require.False(t, found)
		_, err = r.Call(ctx, valueArg)
		require.NoError(t, err)
		_, found, err = r.Get(ctx, valueArg)
		require.NoError(t, err, "a value is a value")
		require.True(t, found)
	}
	opts := []ring.Option{ring.LRU(8), ring.NegativeCache(time.Minute, ring.ErrZeroResult)}
	t.Run("slice", func(t *testing.T) {
		r, err := ring.Func1(func(ctx context.Context, n int) ([]int, error) {
			if n == 0 {
				return nil, nil
			}
			return make([]int, 0, n), nil // empty, not nil: a value
		}, opts...)
		require.NoError(t, err)
		check(t, r.Untyped(), 0, 1)
	})
	t.Run("map", func(t *testing.T) {
		r, err := ring.Func1(func(ctx context.Context, n int) (map[int]int, error) {
			if n == 0 {
				return nil, nil
			}
			return map[int]int{}, nil
		}, opts...)
		require.NoError(t, err)
		check(t, r.Untyped(), 0, 1)
	})
	t.Run("pointer", func(t *testing.T) {
		r, err := ring.Func1(func(ctx context.Context, n int) (*int, error) {
			if n == 0 {
				return nil, nil
			}
			return &n, nil
		}, opts...)
		require.NoError(t, err)
		check(t, r.Untyped(), 0, 1)
	})
	t.Run("struct", func(t *testing.T) {
		type point struct{ X, Y int }
		r, err := ring.Func1(func(ctx context.Context, n int) (point, error) { return point{X: n}, nil }, opts...)
		require.NoError(t, err)
		check(t, r.Untyped(), 0, 1)
	})
	t.Run("interface", func(t *testing.T) {
		r, err := ring.Func1(func(ctx context.Context, n int) (any, error) {
			if n == 0 {
				return nil, nil
			}
			return 0, nil // a boxed zero int is not a nil interface
		}, opts...)
		require.NoError(t, err)
		check(t, r.Untyped(), 0, 1)
		// The in-process negative entry is never handed out as a value of
		// an interface result type.
		v, err := r.Call(ctx, 0)
		require.NoError(t, err)
		require.Nil(t, v)
	})
	t.Run("untyped slice", func(t *testing.T) {
		r, err := ring.New(func(ctx context.Context, n int) ([]string, error) {
			if n == 0 {
				return nil, nil
			}
			return []string{}, nil
		}, opts...)
		require.NoError(t, err)
		check(t, r, 0, 1)
	})
	t.Run("untyped int", func(t *testing.T) {
		r, err := ring.New(func(ctx context.Context, n int) (int, error) { return n, nil }, opts...)
		require.NoError(t, err)
		check(t, r, 0, 1)
		v, err := r.Call(ctx, 0)
		require.NoError(t, err)
		require.Equal(t, 0, v)
	})
}

// TestNegativeCacheInterfaceResult: on an in-process store a negative
// entry of a ring whose result is an interface is never returned as a
// value by any reader.
func TestNegativeCacheInterfaceResult(t *testing.T) {
	ctx := context.Background()
	r, err := ring.Func1(func(ctx context.Context, n int) (any, error) { return nil, ring.ErrNotFound },
		ring.LRU(8), ring.NegativeCache(time.Minute))
	require.NoError(t, err)
	for range 2 {
		v, err := r.Call(ctx, 1)
		require.ErrorIs(t, err, ring.ErrNotFound)
		require.Nil(t, v)
	}
	v, found, err := r.Get(ctx, 1)
	require.ErrorIs(t, err, ring.ErrNotFound)
	require.False(t, found)
	require.Nil(t, v)
	vs, fs, err := r.Many().Get(ctx, []int{1})
	require.ErrorIs(t, err, ring.ErrNotFound)
	require.Equal(t, []bool{false}, fs)
	require.Equal(t, []any{nil}, vs)
	vs, err = r.Many().GetOrUpdate(ctx, []int{1})
	require.ErrorIs(t, err, ring.ErrNotFound)
	require.Equal(t, []any{nil}, vs)
	cv, found, err := r.Cache().Get(ctx, "1")
	require.ErrorIs(t, err, ring.ErrNotFound)
	require.False(t, found)
	require.Nil(t, cv)
	m, err := r.Cache().GetMany(ctx, "1")
	require.NoError(t, err)
	require.Empty(t, m)
}

// TestNegativeCacheWithRefreshAhead: a negative entry is served on the
// refresh-ahead hit path too, and never refreshed ahead.
func TestNegativeCacheWithRefreshAhead(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	lru, err := backends.NewLRU(64, backends.WithClock(clk.Now))
	require.NoError(t, err)
	d := newDirectory()
	r, err := ring.Func1(d.closure(), ring.Storage(lru), ring.KeyPrefix("negahead"), ring.Expire(10*time.Minute),
		ring.RefreshAhead(time.Minute, time.Second), ring.NegativeCache(5*time.Minute))
	require.NoError(t, err)
	t.Cleanup(func() { ring.WaitRefreshesForTest(r.Cache()) })
	_, err = r.Call(ctx, 2)
	require.ErrorIs(t, err, ring.ErrNotFound)
	clk.Add(2 * time.Minute) // older than the refresh point of values
	_, err = r.Call(ctx, 2)
	require.ErrorIs(t, err, ring.ErrNotFound)
	ring.WaitRefreshesForTest(r.Cache())
	require.Equal(t, 1, d.ran(2))
	clk.Add(4 * time.Minute) // past the negative ttl
	_, err = r.Call(ctx, 2)
	require.ErrorIs(t, err, ring.ErrNotFound)
	require.Equal(t, 2, d.ran(2))

	// A value whose entity is deleted at the source: the refresh learns
	// "not found" and writes the negative entry, so the stale value is no
	// longer served.
	d.set(4, "four")
	v, err := r.Call(ctx, 4)
	require.NoError(t, err)
	require.Equal(t, "four", v)
	d.unset(4)
	clk.Add(2 * time.Minute) // due
	v, err = r.Call(ctx, 4)
	require.NoError(t, err)
	require.Equal(t, "four", v, "served at once, refreshed in the background")
	ring.WaitRefreshesForTest(r.Cache())
	require.Equal(t, 2, d.ran(4))
	_, err = r.Call(ctx, 4)
	require.ErrorIs(t, err, ring.ErrNotFound)
	require.Contains(t, err.Error(), "cached not-found result")
	require.Equal(t, 2, d.ran(4))
}

// TestNegativeCacheBuildErrors: what NegativeCache refuses, each with a
// clear error when the ring is built.
func TestNegativeCacheBuildErrors(t *testing.T) {
	fn := func(ctx context.Context, id int) (string, error) { return "", nil }
	type point struct{ Tags []string }
	cases := []struct {
		name  string
		build func() error
		want  string
	}{
		{"zero ttl", func() error { _, err := ring.Func1(fn, ring.NegativeCache(0)); return err },
			": NegativeCache(0s, ErrNotFound): the time-to-live must be positive"},
		{"nil target", func() error { _, err := ring.Func1(fn, ring.NegativeCache(time.Second, nil)); return err },
			": NegativeCache(1s, nil): not-found error 1 is nil"},
		{"same text", func() error {
			_, err := ring.Func1(fn, ring.NegativeCache(time.Second, errGone, errors.New("user gone")))
			return err
		}, `two not-found errors read "user gone"`},
		{"strategy", func() error {
			_, err := ring.Func1(fn, ring.NegativeCache(time.Second), ring.WithStrategy(strategy.Default{}))
			return err
		}, "a custom strategy (WithStrategy) gives Call its semantics"},
		{"cache", func() error { _, err := ring.NewCache[string](ring.NegativeCache(time.Second)); return err },
			"ring: cache: option NegativeCache does not apply to a Cache"},
		{"zero of a struct with a slice", func() error {
			_, err := ring.Func1(func(ctx context.Context, id int) (point, error) { return point{}, nil },
				ring.NegativeCache(time.Second, ring.ErrZeroResult))
			return err
		}, "ErrZeroResult: the result type ring_test.point cannot be compared with =="},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := c.build()
			require.Error(t, err)
			require.Contains(t, err.Error(), c.want)
		})
	}
	require.Equal(t, `NegativeCache(1s, ErrNotFound, "user gone", ErrZeroResult)`,
		ring.NegativeCache(time.Second, ring.ErrNotFound, errGone, ring.ErrZeroResult).String())
}

// TestNegativeCacheChoose: a storage that Choose picks keeps the policy.
func TestNegativeCacheChoose(t *testing.T) {
	ctx := context.Background()
	other := backends.NewDict()
	d := newDirectory()
	r, err := ring.Func1(d.closure(), ring.LRU(8), ring.KeyPrefix("negchoose"), ring.NegativeCache(time.Minute),
		ring.Choose(func(ctx context.Context, key string, args []any) backends.Storage { return other }))
	require.NoError(t, err)
	for range 3 {
		_, err = r.Call(ctx, 2)
		require.ErrorIs(t, err, ring.ErrNotFound)
	}
	require.Equal(t, 1, d.ran(2))
	_, found, err := r.Get(ctx, 2)
	require.ErrorIs(t, err, ring.ErrNotFound)
	require.False(t, found)
}

// TestNegativeCacheBytesResultInProcess: on an in-process store without a
// coder a []byte result is kept as it is, so one that equals a marker is
// a value, not a negative entry.
func TestNegativeCacheBytesResultInProcess(t *testing.T) {
	ctx := context.Background()
	marker := []byte("\x00ring-negative\x00ring: not found")
	var runs atomic.Int32
	r, err := ring.Func1(func(ctx context.Context, id int) ([]byte, error) {
		runs.Add(1)
		return marker, nil
	}, ring.LRU(8), ring.NegativeCache(time.Minute))
	require.NoError(t, err)
	for range 2 {
		v, err := r.Call(ctx, 1)
		require.NoError(t, err)
		require.Equal(t, marker, v)
	}
	require.EqualValues(t, 1, runs.Load())
	v, found, err := r.Get(ctx, 1)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, marker, v)
}

// TestNegativeCacheIfNotExists: on an IfNotExists ring a negative entry
// is written only where the key is absent, as values are.
func TestNegativeCacheIfNotExists(t *testing.T) {
	ctx := context.Background()
	d := newDirectory()
	r, err := ring.Func1(d.closure(), ring.LRU(8), ring.KeyPrefix("negifnx"), ring.IfNotExists(),
		ring.NegativeCache(time.Minute))
	require.NoError(t, err)
	_, err = r.Cache().Set(ctx, "2", "kept", ring.SetOptions{})
	require.NoError(t, err)
	_, err = r.Update(ctx, 2)
	require.ErrorIs(t, err, ring.ErrNotFound)
	v, found, err := r.Get(ctx, 2)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "kept", v, "the negative entry did not replace the value")
	require.NoError(t, r.Delete(ctx, 2))
	for range 2 {
		_, err = r.Call(ctx, 2)
		require.ErrorIs(t, err, ring.ErrNotFound)
	}
	require.Equal(t, 2, d.ran(2), "absent: written, then served")
}
