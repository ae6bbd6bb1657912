package ring_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
)

// storages are the in-process configurations every sub-function test runs
// on: values kept as they are, and encoded copies.
func storages(clk *clock) map[string][]ring.Option {
	lru := func() ring.Option {
		s, err := backends.NewLRU(64, backends.WithClock(clk.Now))
		if err != nil {
			panic(err)
		}
		return ring.Storage(s)
	}
	return map[string][]ring.Option{
		"lru":      {lru()},
		"dict":     {ring.Storage(backends.NewDict(backends.WithClock(clk.Now)))},
		"lru+json": {lru(), ring.Coder("json")},
		"dict+gob": {ring.Storage(backends.NewDict(backends.WithClock(clk.Now))), ring.Coder("gob")},
	}
}

func TestSubFunctions(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	for name, opts := range storages(clk) {
		t.Run(name, func(t *testing.T) {
			var runs counter
			r, err := ring.Func2(price(&runs), append(opts, ring.KeyPrefix("price"), ring.Expire(10*time.Second))...)
			require.NoError(t, err)

			key, err := r.Key("apple", 3)
			require.NoError(t, err)
			require.Equal(t, "price:apple:3", key)

			// Get on a miss: found is false, no run.
			v, found, err := r.Get(ctx, "apple", 3)
			require.NoError(t, err)
			require.False(t, found)
			require.Equal(t, "", v)
			require.EqualValues(t, 0, runs.get())

			// Call runs once, then hits.
			for range 3 {
				v, err = r.Call(ctx, "apple", 3)
				require.NoError(t, err)
				require.Equal(t, "applex3", v)
			}
			require.EqualValues(t, 1, runs.get())
			v, found, err = r.Get(ctx, "apple", 3)
			require.NoError(t, err)
			require.True(t, found)
			require.Equal(t, "applex3", v)

			ok, err := r.Has(ctx, "apple", 3)
			require.NoError(t, err)
			require.True(t, ok)

			// Update runs and overwrites.
			v, err = r.Update(ctx, "apple", 3)
			require.NoError(t, err)
			require.Equal(t, "applex3", v)
			require.EqualValues(t, 2, runs.get())

			// Set writes a value of our choosing; Call then serves it.
			require.NoError(t, r.Set(ctx, "manual", "apple", 3))
			v, err = r.Call(ctx, "apple", 3)
			require.NoError(t, err)
			require.Equal(t, "manual", v)
			require.EqualValues(t, 2, runs.get())

			// Delete removes; deleting again is fine.
			require.NoError(t, r.Delete(ctx, "apple", 3))
			require.NoError(t, r.Delete(ctx, "apple", 3))
			ok, err = r.Has(ctx, "apple", 3)
			require.NoError(t, err)
			require.False(t, ok)

			// Execute runs without writing.
			v, err = r.Execute(ctx, "apple", 3)
			require.NoError(t, err)
			require.Equal(t, "applex3", v)
			require.EqualValues(t, 3, runs.get())
			ok, _ = r.Has(ctx, "apple", 3)
			require.False(t, ok)

			// Expiry, and Touch resetting it.
			_, err = r.Call(ctx, "pear", 1)
			require.NoError(t, err)
			clk.Add(8 * time.Second)
			require.NoError(t, r.Touch(ctx, "pear", 1))
			clk.Add(8 * time.Second)
			ok, _ = r.Has(ctx, "pear", 1)
			require.True(t, ok, "touch must reset the expiry")
			clk.Add(3 * time.Second)
			ok, _ = r.Has(ctx, "pear", 1)
			require.False(t, ok, "has must respect expiry")
			_, found, _ = r.Get(ctx, "pear", 1)
			require.False(t, found)
			require.NoError(t, r.Touch(ctx, "absent", 1), "touching an absent key is not an error")

			// Errors are returned and never cached.
			before := runs.get()
			for range 2 {
				_, err = r.Call(ctx, "fail", 1)
				require.EqualError(t, err, `no price for "fail"`)
			}
			require.Equal(t, before+2, runs.get())
			ok, _ = r.Has(ctx, "fail", 1)
			require.False(t, ok)

			require.Equal(t, opts[0].String()[:len("Storage(")], "Storage(")
			require.NotNil(t, r.Cache().Storage())
		})
	}
}

func TestCachedZeroIsNotAMiss(t *testing.T) {
	ctx := context.Background()
	var runs counter
	r := ring.Must(ring.Func1(func(ctx context.Context, id int) (*string, error) {
		runs.add()
		return nil, nil
	}))
	_, found, err := r.Get(ctx, 1)
	require.NoError(t, err)
	require.False(t, found)
	v, err := r.Call(ctx, 1)
	require.NoError(t, err)
	require.Nil(t, v)
	v, found, err = r.Get(ctx, 1)
	require.NoError(t, err)
	require.True(t, found, "a cached nil is found")
	require.Nil(t, v)
	_, _ = r.Call(ctx, 1)
	require.EqualValues(t, 1, runs.get())

	zero := ring.Must(ring.Func1(func(ctx context.Context, id int) (int, error) { return 0, nil }, ring.Coder("json")))
	_, err = zero.Call(ctx, 7)
	require.NoError(t, err)
	n, found, err := zero.Get(ctx, 7)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, 0, n)
}

func TestRunAndUntyped(t *testing.T) {
	ctx := context.Background()
	var runs counter
	r := ring.Must(ring.Func2(price(&runs), ring.KeyPrefix("p")))
	u := r.Untyped()

	v, err := r.Untyped().Run(ctx, "call", "kiwi", 2)
	require.NoError(t, err)
	require.Equal(t, "kiwix2", v)
	v, err = r.Untyped().Run(ctx, "get", "kiwi", 2)
	require.NoError(t, err)
	require.Equal(t, "kiwix2", v)
	v, err = r.Untyped().Run(ctx, "get_or_update", "kiwi", 2)
	require.NoError(t, err)
	require.Equal(t, "kiwix2", v)
	_, err = r.Untyped().Run(ctx, "set", "typed", "kiwi", 2)
	require.NoError(t, err)
	v, err = u.Call(ctx, "kiwi", 2)
	require.NoError(t, err)
	require.Equal(t, "typed", v)
	v, err = r.Untyped().Run(ctx, "has", "kiwi", 2)
	require.NoError(t, err)
	require.Equal(t, true, v)
	v, err = r.Untyped().Run(ctx, "key", "kiwi", 2)
	require.NoError(t, err)
	require.Equal(t, "p:kiwi:2", v)
	_, err = r.Untyped().Run(ctx, "touch", "kiwi", 2)
	require.ErrorIs(t, err, ring.ErrNoExpiry, "the ring has no expiry")
	_, err = r.Untyped().Run(ctx, "delete", "kiwi", 2)
	require.NoError(t, err)
	v, err = r.Untyped().Run(ctx, "has", "kiwi", 2)
	require.NoError(t, err)
	require.Equal(t, false, v)
	v, err = r.Untyped().Run(ctx, "update", "kiwi", 2)
	require.NoError(t, err)
	require.Equal(t, "kiwix2", v)
	v, err = r.Untyped().Run(ctx, "execute", "kiwi", 5)
	require.NoError(t, err)
	require.Equal(t, "kiwix5", v)

	_, err = r.Untyped().Run(ctx, "frobnicate", "kiwi", 2)
	require.ErrorContains(t, err, `unknown sub-function "frobnicate"`)

	// Wrong argument types and counts are errors naming position and types.
	_, err = u.Call(ctx, "kiwi", "2")
	var ae *ring.ArgError
	require.ErrorAs(t, err, &ae)
	require.Equal(t, 3, ae.Pos)
	require.Regexp(t, `^ring: github.com/ringcache/ring_test\.(TestRunAndUntyped\.)?price\.func1: parameter 3: got string, want int$`, err.Error())
	_, err = u.Call(ctx, "kiwi")
	var ce *ring.CountError
	require.ErrorAs(t, err, &ce)
	require.Contains(t, err.Error(), "got 1 arguments, want 2 [string int]")
	_, err = u.Call(ctx, nil, 2)
	require.ErrorContains(t, err, "parameter 2: got nil, want string")
	err = u.Set(ctx, 42, "kiwi", 2)
	require.ErrorContains(t, err, "set: value is int, want string")
	_, err = r.Untyped().Run(ctx, "set")
	require.ErrorContains(t, err, "want the value first")

	// The untyped view shares keys and entries with the typed ring.
	k1, _ := r.Key("a:b", 1)
	k2, err := u.Key("a:b", 1)
	require.NoError(t, err)
	require.Equal(t, k1, k2)
	require.Equal(t, `p:a\:b:1`, k1)
	require.Contains(t, u.Name(), "price.func1")
}

func TestNewAnyShape(t *testing.T) {
	ctx := context.Background()
	var runs counter
	// No context, no error, three parameters, a variadic tail.
	join := func(sep string, n int, parts ...string) string {
		runs.add()
		return strings.Repeat(strings.Join(parts, sep), n)
	}
	r, err := ring.New(join, ring.KeyPrefix("join"))
	require.NoError(t, err)
	for range 2 {
		v, err := r.Call(ctx, "-", 2, []string{"a", "b"})
		require.NoError(t, err)
		require.Equal(t, "a-ba-b", v)
	}
	require.EqualValues(t, 1, runs.get())
	key, err := r.Key("-", 2, []string{"a", "b"})
	require.NoError(t, err)
	require.Equal(t, "join:-:2:[a,b]", key)
	v, found, err := r.Get(ctx, "-", 2, []string{"a", "b"})
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "a-ba-b", v)

	// Context anywhere, with an error result.
	mid := func(a int, ctx context.Context, b int) (int, error) {
		if ctx == nil {
			return 0, errors.New("no context")
		}
		return a + b, nil
	}
	m := ring.Must(ring.New(mid))
	out, err := m.Call(ctx, 1, 2)
	require.NoError(t, err)
	require.Equal(t, 3, out)

	// Bulk forms of the untyped view.
	vals, err := m.Many().GetOrUpdate(ctx, [][]any{{1, 1}, {2, 2}})
	require.NoError(t, err)
	require.Equal(t, []any{2, 4}, vals)
	got, found2, err := m.Many().Get(ctx, [][]any{{1, 1}, {9, 9}})
	require.NoError(t, err)
	require.Equal(t, []bool{true, false}, found2)
	require.Equal(t, 2, got[0])
	_, _, err = m.Many().Get(ctx, [][]any{{1}})
	require.ErrorContains(t, err, "argument set 0")
}

func TestBulk(t *testing.T) {
	ctx := context.Background()
	var runs counter
	lru, err := backends.NewLRU(128)
	require.NoError(t, err)
	store := &faulty{Storage: lru}
	r := ring.Must(ring.Func2(price(&runs), ring.Storage(store), ring.KeyPrefix("b")))
	type A = ring.Args2[string, int]
	args := []A{{"a", 1}, {"b", 2}, {"c", 3}}

	keys, err := r.Many().Key(args)
	require.NoError(t, err)
	require.Equal(t, []string{"b:a:1", "b:b:2", "b:c:3"}, keys)

	require.NoError(t, r.Many().Set(ctx, []string{"A", "B"}, args[:2]))
	require.ErrorContains(t, r.Many().Set(ctx, []string{"A"}, args), "1 values for 3 argument sets")

	vals, found, err := r.Many().Get(ctx, args)
	require.NoError(t, err)
	require.Equal(t, []string{"A", "B", ""}, vals)
	require.Equal(t, []bool{true, true, false}, found)

	// Many().GetOrUpdate: one bulk read, runs only the misses, each distinct
	// miss once.
	store.gets.Store(0)
	store.bulks.Store(0)
	withDup := append(args, A{"d", 4}, A{"d", 4}, A{"fail", 1})
	vals, err = r.Many().GetOrUpdate(ctx, withDup)
	require.ErrorContains(t, err, `argument set 5: no price for "fail"`)
	require.Equal(t, []string{"A", "B", "cx3", "dx4", "dx4", ""}, vals)
	require.EqualValues(t, 3, runs.get(), "c, d and fail ran once each")
	require.EqualValues(t, 1, store.bulks.Load())
	require.EqualValues(t, 0, store.gets.Load())

	has, err := r.Many().Has(ctx, withDup)
	require.NoError(t, err)
	require.Equal(t, []bool{true, true, true, true, true, false}, has)

	vals, err = r.Many().Update(ctx, args)
	require.NoError(t, err)
	require.Equal(t, []string{"ax1", "bx2", "cx3"}, vals)
	require.EqualValues(t, 6, runs.get())

	vals, err = r.Many().Execute(ctx, []A{{"z", 9}})
	require.NoError(t, err)
	require.Equal(t, []string{"zx9"}, vals)
	ok, _ := r.Has(ctx, "z", 9)
	require.False(t, ok)

	require.ErrorIs(t, r.Many().Touch(ctx, args), ring.ErrNoExpiry, "the ring has no expiry")
	require.NoError(t, r.Many().Delete(ctx, args))
	has, err = r.Many().Has(ctx, args)
	require.NoError(t, err)
	require.Equal(t, []bool{false, false, false}, has)
}

func TestFailOpen(t *testing.T) {
	ctx := context.Background()
	var runs counter
	var ev events
	lru, err := backends.NewLRU(16)
	require.NoError(t, err)
	store := &faulty{Storage: lru}
	r := ring.Must(ring.Func2(price(&runs), ring.Storage(store), ring.KeyPrefix("p"), ring.OnError(ev.hook)))

	store.down.Store(true)
	for range 2 {
		v, err := r.Call(ctx, "x", 1)
		require.NoError(t, err, "Call fails open")
		require.Equal(t, "xx1", v)
	}
	require.EqualValues(t, 2, runs.get())
	require.Equal(t, []string{"get", "set", "get", "set"}, ev.ops())
	_, _, err = r.Get(ctx, "x", 1)
	require.ErrorIs(t, err, errDown, "explicit sub-functions return the storage error")
	require.ErrorIs(t, r.Set(ctx, "v", "x", 1), errDown)
	_, err = r.Update(ctx, "x", 1)
	require.ErrorIs(t, err, errDown)
	vals, err := r.Many().GetOrUpdate(ctx, []ring.Args2[string, int]{{"x", 1}})
	require.NoError(t, err)
	require.Equal(t, []string{"xx1"}, vals)

	// Back up: caching resumes.
	store.down.Store(false)
	before := runs.get()
	for range 3 {
		_, err := r.Call(ctx, "x", 1)
		require.NoError(t, err)
	}
	require.Equal(t, before+1, runs.get())
}

func TestCorruptBytesAreAMiss(t *testing.T) {
	ctx := context.Background()
	var runs counter
	var ev events
	lru, err := backends.NewLRU(16)
	require.NoError(t, err)
	r := ring.Must(ring.Func2(price(&runs), ring.Storage(lru), ring.KeyPrefix("p"), ring.Coder("gob"), ring.OnError(ev.hook)))
	key, _ := r.Key("x", 1)
	for _, junk := range []any{[]byte("\xff\x00garbage"), []byte{}, "not bytes at all"} {
		require.NoError(t, lru.Set(ctx, key, junk, 0))
		_, found, err := r.Get(ctx, "x", 1)
		require.NoError(t, err)
		require.False(t, found, "corrupt bytes are a miss")
		require.NoError(t, lru.Set(ctx, key, junk, 0))
		v, err := r.Call(ctx, "x", 1)
		require.NoError(t, err)
		require.Equal(t, "xx1", v)
	}
	require.EqualValues(t, 3, runs.get())
	require.Contains(t, ev.ops(), "decode")
	// Decode of junk through the ring is an error, not a panic.
	_, err = r.Cache().Decode([]byte("\x01\x02"))
	require.Error(t, err)
	b, err := r.Cache().Encode("hello")
	require.NoError(t, err)
	s, err := r.Cache().Decode(b)
	require.NoError(t, err)
	require.Equal(t, "hello", s)
}

func TestEncodeWithoutCoder(t *testing.T) {
	r := ring.Must(ring.Func1(func(ctx context.Context, a int) (int, error) { return a, nil }))
	_, err := r.Cache().Encode(1)
	require.ErrorContains(t, err, "no coder configured")
	_, err = r.Cache().Decode(nil)
	require.ErrorContains(t, err, "no coder configured")
}

func TestCoderFuncs(t *testing.T) {
	ctx := context.Background()
	var encodes counter
	r := ring.Must(ring.Func1(func(ctx context.Context, a int) (string, error) { return "v", nil },
		ring.CoderFuncs(func(v any) ([]byte, error) {
			encodes.add()
			return []byte("<" + v.(string) + ">"), nil
		}, func(data []byte, target any) error {
			*target.(*string) = strings.Trim(string(data), "<>")
			return nil
		})))
	_, err := r.Call(ctx, 1)
	require.NoError(t, err)
	raw, found, err := r.Cache().Storage().Get(ctx, mustKey(t, r, 1))
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, []byte("<v>"), raw)
	v, found, err := r.Get(ctx, 1)
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "v", v)
	require.EqualValues(t, 1, encodes.get())
}

func mustKey(t *testing.T, r *ring.Ring1[int, string], a int) string {
	t.Helper()
	k, err := r.Key(a)
	require.NoError(t, err)
	return k
}

func TestOptions(t *testing.T) {
	ctx := context.Background()
	fn := func(ctx context.Context, a string, b int) (string, error) { return a, nil }

	// Preset: later options override the preset.
	preset := ring.Preset(ring.Dict(), ring.KeyPrefix("team"), ring.Expire(time.Minute))
	r := ring.Must(ring.Func2(fn, preset))
	k, _ := r.Key("a", 1)
	require.Equal(t, "team:a:1", k)
	require.Equal(t, "dict", r.Cache().Storage().Name())
	r = ring.Must(ring.Func2(fn, preset, ring.KeyPrefix("mine"), ring.LRU(8)))
	k, _ = r.Key("a", 1)
	require.Equal(t, "mine:a:1", k)
	require.Equal(t, "lru", r.Cache().Storage().Name())
	require.Equal(t, `Preset(Dict(), KeyPrefix("team"), Expire(1m0s))`, preset.String())

	// Each ring built from a preset gets its own in-process store.
	r2 := ring.Must(ring.Func2(fn, preset))
	r3 := ring.Must(ring.Func2(fn, preset))
	require.NoError(t, r2.Set(ctx, "only in r2", "a", 1))
	_, found, _ := r3.Get(ctx, "a", 1)
	require.False(t, found)

	// Empty prefix, Ignore, KeyFunc.
	r = ring.Must(ring.Func2(fn, ring.KeyPrefix("")))
	k, _ = r.Key("a", 1)
	require.Equal(t, ":a:1", k)
	r = ring.Must(ring.Func2(fn, ring.KeyPrefix("i"), ring.Ignore(3)))
	k, _ = r.Key("a", 1)
	require.Equal(t, "i:a", k)
	r = ring.Must(ring.Func2(fn, ring.KeyPrefix("f"), ring.KeyFunc(func(args ...any) string {
		return strings.ToUpper(args[0].(string))
	})))
	k, _ = r.Key("a", 1)
	require.Equal(t, "f:A", k)

	// Every bad option is reported at construction, all at once.
	_, err := ring.Func2(fn, ring.Coder("nope"), ring.Expire(-time.Second), nil)
	require.ErrorContains(t, err, `unknown coder "nope"`)
	require.ErrorContains(t, err, "Expire(-1s): negative expiry")
	require.ErrorContains(t, err, "nil option")
	_, err = ring.Func2(fn, ring.Ignore(4))
	require.ErrorContains(t, err, "Ignore(4): the function has 3 parameters")
	_, err = ring.Func2(fn, ring.Ignore(1))
	require.ErrorContains(t, err, "parameter 1 is the context")
	_, err = ring.Func2(fn, ring.LRU(0))
	require.ErrorContains(t, err, "size must be positive, got 0")
	_, err = ring.Func2(fn, ring.Storage(nil))
	require.ErrorContains(t, err, "Storage(nil)")
}

func TestTTLFuncExcludeIfNotExists(t *testing.T) {
	ctx := context.Background()
	clk := newClock()
	lru, err := backends.NewLRU(16, backends.WithClock(clk.Now))
	require.NoError(t, err)
	var runs counter
	r := ring.Must(ring.Func2(price(&runs), ring.Storage(lru), ring.KeyPrefix("p"),
		ring.TTLFunc(func(key string, v any) time.Duration {
			if strings.HasPrefix(v.(string), "short") {
				return time.Second
			}
			return 0
		}),
		ring.Exclude(func(key string, v any) bool { return strings.HasPrefix(v.(string), "skip") })))
	_, _ = r.Call(ctx, "short", 1)
	_, _ = r.Call(ctx, "long", 1)
	_, _ = r.Call(ctx, "skip", 1)
	clk.Add(2 * time.Second)
	has, err := r.Many().Has(ctx, []ring.Args2[string, int]{{"short", 1}, {"long", 1}, {"skip", 1}})
	require.NoError(t, err)
	require.Equal(t, []bool{false, true, false}, has)

	keep := ring.Must(ring.Func2(price(&runs), ring.IfNotExists()))
	require.NoError(t, keep.Set(ctx, "first", "a", 1))
	require.NoError(t, keep.Set(ctx, "second", "a", 1))
	v, _, _ := keep.Get(ctx, "a", 1)
	require.Equal(t, "first", v)
}

func TestDummyAlwaysRuns(t *testing.T) {
	ctx := context.Background()
	var runs counter
	r := ring.Must(ring.Func2(price(&runs), ring.Dummy()))
	for range 3 {
		_, err := r.Call(ctx, "a", 1)
		require.NoError(t, err)
	}
	require.EqualValues(t, 3, runs.get())
}

func TestBytesBackendNeedsCoder(t *testing.T) {
	fn := func(ctx context.Context, a int) (map[string]int, error) { return nil, nil }
	_, err := ring.Func1(fn, ring.Storage(bytesOnly{}), ring.KeyPrefix("m"))
	require.ErrorContains(t, err, "stores bytes and the value type map[string]int needs a coder")
	// string and []byte results default to the string and bytes coders.
	_, err = ring.Func1(func(ctx context.Context, a int) (string, error) { return "", nil }, ring.Storage(bytesOnly{}), ring.KeyPrefix("s"))
	require.NoError(t, err)
	// A closure's name is not stable across builds: a store outside the
	// process needs an explicit prefix.
	_, err = ring.Func1(fn, ring.Storage(bytesOnly{}), ring.Coder("json"))
	require.ErrorContains(t, err, "not stable across builds")
	require.ErrorContains(t, err, "add KeyPrefix")
}

// bytesOnly claims to store bytes; only construction is exercised.
type bytesOnly struct{ backends.Dummy }

func (bytesOnly) Bytes() bool { return true }

var _ = errors.New

func TestCoderChains(t *testing.T) {
	ctx := context.Background()
	for _, name := range []string{"msgpack", "json+zstd", "gob+gzip://?level=9", "msgpack+s2://"} {
		var runs counter
		r, err := ring.Func2(price(&runs), ring.Dict(), ring.Coder(name))
		require.NoError(t, err, name)
		for range 2 {
			v, err := r.Call(ctx, "plum", 2)
			require.NoError(t, err)
			require.Equal(t, "plumx2", v)
		}
		require.EqualValues(t, 1, runs.get(), name)
		key, _ := r.Key("plum", 2)
		raw, found, err := r.Cache().Storage().Get(ctx, key)
		require.NoError(t, err)
		require.True(t, found)
		require.IsType(t, []byte{}, raw, "a coder makes an in-process ring store encoded bytes")
	}
	_, err := ring.Func2(price(&counter{}), ring.Coder("json+lz4"))
	require.ErrorContains(t, err, "lz4")
	_, err = ring.Func2(price(&counter{}), ring.Coder("json+zstd://?level=99"))
	require.ErrorContains(t, err, "99")
}
