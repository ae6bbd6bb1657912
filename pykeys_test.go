package ring_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
	_ "github.com/ringcache/ring/coders/pyjson"
	"github.com/ringcache/ring/internal/servertest"
	"github.com/ringcache/ring/pykey"
)

// pyFixture is testdata/python-ring-0.10.1.json, made by Python Ring
// 0.10.1 itself (see /work/shared/interop/README.md, copied in
// docs/python-ring.md).
type pyFixture struct {
	Keys []struct {
		ID           string            `json:"id"`
		Kind         string            `json:"kind"`
		Prefix       string            `json:"prefix"`
		Receiver     map[string]string `json:"receiver"`
		ReceiverType string            `json:"receiver_type"`
		Args         []json.RawMessage `json:"args"`
		Key          string            `json:"key"`
		MemcacheKey  string            `json:"memcache_key"`
		Error        string            `json:"error"`
	} `json:"keys"`
}

func loadPyFixture(t *testing.T) pyFixture {
	t.Helper()
	b, err := os.ReadFile("testdata/python-ring-0.10.1.json")
	require.NoError(t, err)
	var f pyFixture
	require.NoError(t, json.Unmarshal(b, &f))
	return f
}

// pyRK is a Python object whose __ring_key__ returns its string.
type pyRK string

func (k pyRK) RingKey() string { return string(k) }

// pyValue builds the Go value a fixture tag stands for, by the mapping of
// package pykey: int -> int64, str -> string, None -> nil, list -> []any,
// tuple -> [N]any, dict of str keys -> map[string]any, set ->
// map[T]struct{}, ringkey -> a RingKey type.
func pyValue(t *testing.T, raw json.RawMessage) any {
	t.Helper()
	var tag map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(raw, &tag))
	require.Len(t, tag, 1)
	for k, v := range tag {
		switch k {
		case "int":
			var i int64
			require.NoError(t, json.Unmarshal(v, &i))
			return i
		case "str":
			var s string
			require.NoError(t, json.Unmarshal(v, &s))
			return s
		case "bool":
			var b bool
			require.NoError(t, json.Unmarshal(v, &b))
			return b
		case "none":
			return nil
		case "float":
			var f float64
			require.NoError(t, json.Unmarshal(v, &f))
			return f
		case "ringkey":
			var s string
			require.NoError(t, json.Unmarshal(v, &s))
			return pyRK(s)
		case "list", "tuple", "set":
			var elems []json.RawMessage
			require.NoError(t, json.Unmarshal(v, &elems))
			vals := make([]any, len(elems))
			for i, e := range elems {
				vals[i] = pyValue(t, e)
			}
			switch k {
			case "list":
				return vals
			case "tuple":
				arr := reflect.New(reflect.ArrayOf(len(vals), reflect.TypeFor[any]())).Elem()
				for i, x := range vals {
					if x != nil {
						arr.Index(i).Set(reflect.ValueOf(x))
					}
				}
				return arr.Interface()
			}
			if len(vals) > 0 {
				if _, ok := vals[0].(int64); ok {
					s := map[int64]struct{}{}
					for _, x := range vals {
						s[x.(int64)] = struct{}{}
					}
					return s
				}
			}
			s := map[string]struct{}{}
			for _, x := range vals {
				s[x.(string)] = struct{}{}
			}
			return s
		case "dict":
			var pairs [][2]json.RawMessage
			require.NoError(t, json.Unmarshal(v, &pairs))
			m := map[string]any{}
			for _, p := range pairs {
				m[pyValue(t, p[0]).(string)] = pyValue(t, p[1])
			}
			return m
		}
	}
	t.Fatalf("unknown tag %s", raw)
	return nil
}

type pyUser struct{ id string }

func (u *pyUser) RingKey() string { return u.id }

func (u *pyUser) posts(_ context.Context, n int64) (string, error) { return "", nil }
func (u *pyUser) prof(_ context.Context) (string, error)           { return "", nil }

// User is the class of the fixture's classmethod: its key is the bare name.
type User struct{}

func (*User) cm(_ context.Context, n int64) (string, error) { return "", nil }

func noop3(context.Context, any, any, any) (string, error) { return "", nil }
func noop2(context.Context, any, any) (string, error)      { return "", nil }
func noop1(context.Context, any) (string, error)           { return "", nil }
func noop0(context.Context) (string, error)                { return "", nil }

// pyKeyOf builds the key of args through a typed ring of as many `any`
// parameters, with storage opt.
func pyKeyOf(prefix string, st ring.Option, args []any) (string, error) {
	opts := []ring.Option{ring.PythonKeys(), ring.KeyPrefix(prefix), st}
	switch len(args) {
	case 0:
		r, err := ring.Func0(noop0, opts...)
		if err != nil {
			return "", err
		}
		return r.Key()
	case 1:
		r, err := ring.Func1(noop1, opts...)
		if err != nil {
			return "", err
		}
		return r.Key(args[0])
	case 2:
		r, err := ring.Func2(noop2, opts...)
		if err != nil {
			return "", err
		}
		return r.Key(args[0], args[1])
	case 3:
		r, err := ring.Func3(noop3, opts...)
		if err != nil {
			return "", err
		}
		return r.Key(args[0], args[1], args[2])
	}
	return "", fmt.Errorf("%d args", len(args))
}

// untypedKeyOf builds the same key through ring.New, the reflective path.
func untypedKeyOf(prefix string, args []any) (string, error) {
	fns := []any{noop0, noop1, noop2, noop3}
	r, err := ring.New(fns[len(args)], ring.PythonKeys(), ring.KeyPrefix(prefix), ring.Dict())
	if err != nil {
		return "", err
	}
	return r.Key(args...)
}

// TestPythonKeysFixture runs every key case Python Ring 0.10.1 produced
// through real rings built with PythonKeys: the same key on a Dict, the
// same memcached key (Ring's key_refactor) on a memcache storage, and the
// same refusal for floats.
func TestPythonKeysFixture(t *testing.T) {
	f := loadPyFixture(t)
	require.Len(t, f.Keys, 173)
	mc := ring.Storage(memcachestore.New(memcache.New("127.0.0.1:1")))
	dict := ring.Dict()
	var n int
	for _, c := range f.Keys {
		t.Run(c.ID, func(t *testing.T) {
			args := make([]any, len(c.Args))
			for i, a := range c.Args {
				args[i] = pyValue(t, a)
			}
			var key, mkey string
			var err, merr error
			switch c.Kind {
			case "method":
				r := ring.Must(ring.Method1((*pyUser).posts, ring.PythonKeys(), ring.KeyPrefix(c.Prefix), dict))
				key, err = r.Bind(&pyUser{c.Receiver["ringkey"]}).Key(args[0].(int64))
				rm := ring.Must(ring.Method1((*pyUser).posts, ring.PythonKeys(), ring.KeyPrefix(c.Prefix), mc))
				mkey, merr = rm.Bind(&pyUser{c.Receiver["ringkey"]}).Key(args[0].(int64))
			case "property":
				r := ring.Must(ring.Property((*pyUser).prof, ring.PythonKeys(), ring.KeyPrefix(c.Prefix), dict))
				key, err = r.Bind(&pyUser{c.Receiver["ringkey"]}).Key()
				mkey, merr = key, err
			case "class":
				require.Equal(t, "User", c.ReceiverType)
				r := ring.Must(ring.Class1((*User).cm, ring.PythonKeys(), ring.KeyPrefix(c.Prefix), dict))
				key, err = r.Bind(&User{}).Key(args[0].(int64))
				mkey, merr = key, err
			default:
				key, err = pyKeyOf(c.Prefix, dict, args)
				mkey, merr = pyKeyOf(c.Prefix, mc, args)
				ukey, uerr := untypedKeyOf(c.Prefix, args)
				require.Equal(t, err == nil, uerr == nil, "untyped: %v", uerr)
				require.Equal(t, key, ukey, "untyped ring.New")
			}
			if c.Error != "" {
				require.Error(t, err)
				require.ErrorIs(t, err, pykey.ErrUnsupported)
				require.Contains(t, err.Error(), "float")
				require.Error(t, merr)
				n++
				return
			}
			require.NoError(t, err)
			require.Equal(t, c.Key, key)
			require.NoError(t, merr)
			if c.MemcacheKey != "" {
				require.Equal(t, c.MemcacheKey, mkey)
			}
			n++
		})
	}
	require.Equal(t, 173, n)
}

// TestPythonKeysRefusedAtConstruction: a float parameter, as Python Ring
// refuses a float argument, and types with no Python form fail when the
// ring is built, naming the type and why.
func TestPythonKeysRefusedAtConstruction(t *testing.T) {
	opts := []ring.Option{ring.PythonKeys(), ring.KeyPrefix("p")}
	_, err := ring.Func1(func(context.Context, float64) (int, error) { return 0, nil }, opts...)
	require.ErrorIs(t, err, pykey.ErrUnsupported)
	require.ErrorContains(t, err, "float64")
	require.ErrorContains(t, err, "Python Ring refuses a float argument")

	_, err = ring.Func1(func(context.Context, [][]map[string]int) (int, error) { return 0, nil }, opts...)
	require.ErrorIs(t, err, pykey.ErrUnsupported)
	require.ErrorContains(t, err, "map[string]int")

	_, err = ring.Func1(func(context.Context, []pyRK) (int, error) { return 0, nil }, opts...)
	require.ErrorContains(t, err, "RingKey")

	_, err = ring.Func1(func(context.Context, struct{ a int }) (int, error) { return 0, nil }, opts...)
	require.ErrorContains(t, err, "unexported field a")

	_, err = ring.Func1(func(context.Context, map[[2]int]int) (int, error) { return 0, nil }, opts...)
	require.ErrorContains(t, err, "map key type [2]int")

	_, err = ring.Func1(func(context.Context, int) (int, error) { return 0, nil }, ring.PythonKeys())
	require.ErrorContains(t, err, "PythonKeys needs a KeyPrefix")
	_, err = ring.Func1(func(context.Context, int) (int, error) { return 0, nil }, append(opts, ring.KeyFunc(func(...any) string { return "" }))...)
	require.ErrorContains(t, err, "KeyFunc")
}

// TestPythonKeysMapping pins the Go to Python mapping of docs/python-ring.md
// beyond the fixture: each case is what CPython prints (checked with
// python3 -c "print(...)", spaces removed where Ring removes them).
func TestPythonKeysMapping(t *testing.T) {
	type point struct{ X, Y int }
	one := 1
	cases := []struct {
		v    any
		want string
	}{
		{uint8(7), "7"},
		{[]float64{1, 0.1, 1e16, 1e-5}, "[1.0,0.1,1e+16,1e-05]"},
		{map[string]float64{"b": 2, "a": 0.5}, "a,0.5,b,2.0"},
		{map[int][]string{10: {"x y"}, 9: nil}, "9,[],10,['x y']"},
		{map[bool]int{true: 1, false: 0}, "False,0,True,1"},
		{map[float64]struct{}{2.5: {}, -1: {}}, "{-1.0,2.5}"},
		{point{1, 2}, "(1,2)"},
		{[1]string{"a"}, "('a',)"},
		{[]byte("a'b"), `b"a'b"`},
		{[][]byte{[]byte("\x00 ")}, `[b'\x00']`},
		{&one, "1"},
		{(*int)(nil), "None"},
		{[]*int{nil, &one}, "[None,1]"},
		{[]string{"it's", `"q"`, "\u00a0é\x7f"}, `["it's",'"q"','\xa0é\x7f']`},
		{[]any{[]any{"a", 1}, true}, "[['a',1],True]"},
	}
	for _, c := range cases {
		key, err := pyKeyOf("p", ring.Dict(), []any{c.v})
		require.NoError(t, err, "%#v", c.v)
		require.Equal(t, "p:"+c.want, key, "%#v", c.v)
	}
	// A nested map and a float argument inside `any` are refused at call
	// time, the only refusals not found at construction.
	_, err := pyKeyOf("p", ring.Dict(), []any{[]any{map[string]int{"a": 1}}})
	require.ErrorIs(t, err, pykey.ErrUnsupported)
	_, err = pyKeyOf("p", ring.Dict(), []any{1.5})
	require.ErrorIs(t, err, pykey.ErrUnsupported)
	require.False(t, errors.Is(err, backends.ErrNotSupported))
}

// TestPythonKeysNotInjective shows what docs/python-ring.md warns about:
// Python's format gives different arguments one key.
func TestPythonKeysNotInjective(t *testing.T) {
	a, _ := pyKeyOf("p", ring.Dict(), []any{[]string{"a b"}})
	b, _ := pyKeyOf("p", ring.Dict(), []any{[]string{"ab"}})
	require.Equal(t, a, b)
	c, _ := pyKeyOf("p", ring.Dict(), []any{"a:b"})
	d, _ := pyKeyOf("p", ring.Dict(), []any{"a", "b"})
	require.Equal(t, c, d)
}

// TestPythonKeysRemote writes through Go rings with PythonKeys and the
// pyjson coder on a real Redis and a real memcached, then reads each entry
// raw at the key Python Ring 0.10.1 computed (the fixture's key, or its
// memcache_key after Ring's key_refactor), finding Python's bytes; and
// reads Python's bytes written raw through the Go ring.
func TestPythonKeysRemote(t *testing.T) {
	ctx := context.Background()
	f := loadPyFixture(t)
	var cases []int
	for i, c := range f.Keys {
		if c.ID == "memcache-10-spa" || c.ID == "key-943528-13" || c.ID == "memcache-260-yyy" {
			cases = append(cases, i)
		}
	}
	require.Len(t, cases, 3)
	const value = `{"ok": true, "name": "caf\u00e9", "ratio": 1.0}`
	t.Run("memcache", func(t *testing.T) {
		ss := new(memcache.ServerList)
		require.NoError(t, ss.SetServers(servertest.MemcacheAddrs(t)...))
		mc := memcache.NewFromSelector(ss)
		st := ring.Storage(memcachestore.New(mc, memcachestore.WithSelector(ss)))
		for _, i := range cases {
			c := f.Keys[i]
			args := make([]any, len(c.Args))
			for j, a := range c.Args {
				args[j] = pyValue(t, a)
			}
			r := ring.Must(ring.New(fnOfArity(len(args)), ring.PythonKeys(), ring.KeyPrefix(c.Prefix), st, ring.Coder("pyjson")))
			require.NoError(t, r.Set(ctx, pyResult{true, "café", 1}, args...))
			it, err := mc.Get(c.MemcacheKey)
			require.NoError(t, err, c.ID)
			require.Equal(t, value, string(it.Value))
			require.NoError(t, mc.Set(&memcache.Item{Key: c.MemcacheKey, Value: []byte(`{"ok": false, "name": "\u65e5", "ratio": NaN}`)}))
			got, found, err := r.Get(ctx, args...)
			require.NoError(t, err)
			require.True(t, found)
			require.Equal(t, "日", got.(pyResult).Name)
			require.NoError(t, r.Delete(ctx, args...))
		}
	})
	t.Run("redis", func(t *testing.T) {
		rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t)})
		defer rdb.Close()
		st := ring.Storage(redisstore.New(rdb))
		for _, i := range cases {
			c := f.Keys[i]
			args := make([]any, len(c.Args))
			for j, a := range c.Args {
				args[j] = pyValue(t, a)
			}
			r := ring.Must(ring.New(fnOfArity(len(args)), ring.PythonKeys(), ring.KeyPrefix(c.Prefix), st, ring.Coder("pyjson"), ring.Expire(time.Minute)))
			require.NoError(t, r.Set(ctx, pyResult{true, "café", 1}, args...))
			raw, err := rdb.Get(ctx, c.Key).Result()
			require.NoError(t, err, c.ID)
			require.Equal(t, value, raw)
			ttl, err := rdb.TTL(ctx, c.Key).Result()
			require.NoError(t, err)
			require.True(t, ttl > 0 && ttl <= time.Minute, "SET ... EX, as Python Ring's redis storage")
			require.NoError(t, r.Delete(ctx, args...))
		}
	})
}

// pyResult is the dict a Python Ring function returns.
type pyResult struct {
	OK    bool    `json:"ok"`
	Name  string  `json:"name"`
	Ratio float64 `json:"ratio"`
}

// fnOfArity is a function of n `any` parameters returning a result, for
// ring.New.
func fnOfArity(n int) any {
	return []any{
		func(context.Context) (pyResult, error) { return pyResult{}, nil },
		func(context.Context, any) (pyResult, error) { return pyResult{}, nil },
		func(context.Context, any, any) (pyResult, error) { return pyResult{}, nil },
		func(context.Context, any, any, any) (pyResult, error) { return pyResult{}, nil },
	}[n]
}
