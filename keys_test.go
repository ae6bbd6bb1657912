package ring_test

import (
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strconv"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/descriptor"
)

// user9 and team9 have the same JSON shape, so one decodes as the other.
type user9 struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

type team9 struct {
	ID   int    `json:"id"`
	Name string `json:"name"`
}

// loadEntity is a generic function: the runtime names loadEntity[user9]
// and loadEntity[team9] alike, "ring_test.loadEntity[...]".
func loadEntity[T user9 | team9](ctx context.Context, id int) (T, error) {
	var t T
	switch p := any(&t).(type) {
	case *user9:
		*p = user9{ID: id, Name: "user" + strconv.Itoa(id)}
	case *team9:
		*p = team9{ID: id, Name: "team" + strconv.Itoa(id)}
	}
	return t, nil
}

// kindOf is a generic function whose type parameter is in neither its
// parameters nor its result: even the signature cannot tell
// kindOf[user9] from kindOf[team9].
func kindOf[T any](ctx context.Context, id int) (string, error) {
	return fmt.Sprintf("%T/%d", *new(T), id), nil
}

// box is a generic type: the runtime names (*box[user9]).Get and
// (*box[team9]).Get alike, but the receiver's type names its argument.
type box[T user9 | team9] struct{ id int }

func (b *box[T]) RingKey() string { return runID + "/" + strconv.Itoa(b.id) }

func (b *box[T]) Get(ctx context.Context) (T, error) { return loadEntity[T](ctx, b.id) }

func generic9Shape(t *testing.T) string {
	s, err := descriptor.Describe(loadEntity[user9], descriptor.Auto)
	require.NoError(t, err)
	s2, err := descriptor.Describe(loadEntity[team9], descriptor.Auto)
	require.NoError(t, err)
	require.Equal(t, s.Name, s2.Name, "the runtime gives both instantiations one name")
	return s.Name
}

// TestGenericInstantiationsNeverShare reproduces issue 9's collision (two
// instantiations of one generic function keyed by the one runtime name: on
// a shared Redis with the json coder, teams.Call returned the user) and
// checks that default prefixes can no longer produce it: a generic
// function on a storage other rings may share needs a KeyPrefix, and
// methods of different instantiations of a generic type get different
// prefixes.
func TestGenericInstantiationsNeverShare(t *testing.T) {
	ctx := context.Background()
	name := generic9Shape(t)
	sharedDict := backends.NewDict()
	for _, tc := range []struct {
		name   string
		shared ring.Option
	}{
		{"redis+json", ring.Preset(ring.Storage(redisstore.New(sharedRedis(t))), ring.Coder("json"))},
		{"shared in-process storage", ring.Storage(sharedDict)},
		{"shared in-process storage+json", ring.Preset(ring.Storage(sharedDict), ring.Coder("json"))},
	} {
		t.Run(tc.name, func(t *testing.T) {
			id := int(nextID.Add(1))
			// The collision, reproduced with the prefix the runtime name
			// gave both rings before the fix.
			same := ring.KeyPrefix(name + ":" + runID)
			users := ring.Must(ring.Func1(loadEntity[user9], tc.shared, same))
			teams := ring.Must(ring.Func1(loadEntity[team9], tc.shared, same))
			kindsU := ring.Must(ring.Func1(kindOf[user9], tc.shared, same))
			kindsT := ring.Must(ring.Func1(kindOf[team9], tc.shared, same))
			u, err := users.Call(ctx, id)
			require.NoError(t, err)
			require.Equal(t, user9{ID: id, Name: "user" + strconv.Itoa(id)}, u)
			if tc.name != "shared in-process storage" { // Go values of another type are a miss there
				tm, err := teams.Call(ctx, id)
				require.NoError(t, err)
				require.Equal(t, team9{ID: id, Name: "user" + strconv.Itoa(id)}, tm, "the collision of issue 9: a team served the user's data")
			}
			k, err := kindsU.Call(ctx, id)
			require.NoError(t, err)
			k2, err := kindsT.Call(ctx, id)
			require.NoError(t, err)
			require.Equal(t, k, k2, "same signature, same name: the team ring served the user ring's entry")
			require.Contains(t, k2, "user9")
			require.NoError(t, users.Delete(ctx, id))
			require.NoError(t, kindsU.Delete(ctx, id))

			// Default prefixes refuse the shared storage.
			for _, fn := range []any{loadEntity[user9], loadEntity[team9], kindOf[user9]} {
				_, err := ring.New(fn, tc.shared)
				require.ErrorContains(t, err, "the runtime gives every instantiation of a generic function this one name")
				require.ErrorContains(t, err, "add KeyPrefix(...) naming this instantiation")
			}
			_, err = ring.Func1(loadEntity[team9], tc.shared)
			require.ErrorContains(t, err, "ring_test.loadEntity[...]")

			// Distinct prefixes: each gets its own data.
			users = ring.Must(ring.Func1(loadEntity[user9], tc.shared, ring.KeyPrefix("users:"+runID)))
			teams = ring.Must(ring.Func1(loadEntity[team9], tc.shared, ring.KeyPrefix("teams:"+runID)))
			_, err = users.Call(ctx, id)
			require.NoError(t, err)
			tm, err := teams.Call(ctx, id)
			require.NoError(t, err)
			require.Equal(t, team9{ID: id, Name: "team" + strconv.Itoa(id)}, tm)
			require.NoError(t, users.Delete(ctx, id))
			require.NoError(t, teams.Delete(ctx, id))

			// Methods of a generic type: the receiver names the instantiation.
			ub := ring.Must(ring.Property((*box[user9]).Get, tc.shared))
			tb := ring.Must(ring.Property((*box[team9]).Get, tc.shared))
			ku, err := ub.Bind(&box[user9]{id: id}).Key()
			require.NoError(t, err)
			kt, err := tb.Bind(&box[team9]{id: id}).Key()
			require.NoError(t, err)
			require.Equal(t, "github.com/ringcache/ring_test.box[github.com/ringcache/ring_test.user9].Get:"+runID+"/"+strconv.Itoa(id), ku)
			require.NotEqual(t, ku, kt)
			gu, err := ub.Call(&box[user9]{id: id}, ctx)
			require.NoError(t, err)
			require.Equal(t, "user"+strconv.Itoa(id), gu.Name)
			gt, err := tb.Call(&box[team9]{id: id}, ctx)
			require.NoError(t, err)
			require.Equal(t, team9{ID: id, Name: "team" + strconv.Itoa(id)}, gt)
			require.NoError(t, ub.Bind(&box[user9]{id: id}).Delete(ctx))
			require.NoError(t, tb.Bind(&box[team9]{id: id}).Delete(ctx))
		})
	}

	// A storage of the ring's own (LRU, Dict, Dummy; the default) holds no
	// other ring's entries: the default prefix is allowed there.
	for _, o := range []ring.Option{ring.LRU(8), ring.Dict(), ring.Dummy()} {
		r, err := ring.Func1(kindOf[user9], o)
		require.NoError(t, err, o.String())
		v, err := r.Call(ctx, 1)
		require.NoError(t, err)
		require.Equal(t, "ring_test.user9/1", v)
	}
	r := ring.Must(ring.Func1(kindOf[team9]))
	v, err := r.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "ring_test.team9/1", v)
}

// TestClosurePrefixOnSharedStorage: one function literal makes many
// closures with one runtime name; on a storage other rings may share they
// would serve each other's entries, so a KeyPrefix is required there.
func TestClosurePrefixOnSharedStorage(t *testing.T) {
	ctx := context.Background()
	shared := backends.NewDict()
	mk := func(region string, opts ...ring.Option) (*ring.Ring1[int, string], error) {
		return ring.Func1(func(ctx context.Context, id int) (string, error) {
			return region + strconv.Itoa(id), nil
		}, append(opts, ring.Storage(shared))...)
	}
	_, err := mk("eu")
	require.ErrorContains(t, err, "every closure a function literal makes has its name")
	require.ErrorContains(t, err, "add KeyPrefix(...)")
	_, err = ring.Func1(func(ctx context.Context, id int) (int, error) { return id, nil },
		ring.Choose(func(context.Context, string, []any) backends.Storage { return shared }))
	require.ErrorContains(t, err, "the storages Choose picks")

	eu := ring.Must(mk("eu", ring.KeyPrefix("eu")))
	us := ring.Must(mk("us", ring.KeyPrefix("us")))
	a, err := eu.Call(ctx, 1)
	require.NoError(t, err)
	b, err := us.Call(ctx, 1)
	require.NoError(t, err)
	require.Equal(t, "eu1", a)
	require.Equal(t, "us1", b)
	// A closure's ring on its own storage needs none.
	_, err = ring.Func1(func(ctx context.Context, id int) (int, error) { return id, nil }, ring.LRU(4))
	require.NoError(t, err)
}

// query9 has only unexported fields: a structural hash of it sees nothing,
// so every value would key to one constant.
type query9 struct {
	sku  string
	page int
}

// TestStructKeysSeeEveryField: a struct parameter whose structural hash
// would not see all its fields is refused when the ring is built, naming
// the field; inside an interface parameter the same check fails the call
// (every errors.New value used to key to one constant).
func TestStructKeysSeeEveryField(t *testing.T) {
	ctx := context.Background()
	_ = query9{page: 1} // the field exists to be unseen
	_, err := ring.Func1(func(ctx context.Context, q query9) (string, error) { return q.sku, nil })
	require.ErrorContains(t, err, "parameter 2 (ring_test.query9): type ring_test.query9 is not keyable: field sku type string is unexported, so the structural hash would not see it")
	require.ErrorContains(t, err, "give ring_test.query9 a RingKey() string or String() string method")
	var de *descriptor.Error
	require.ErrorAs(t, err, &de)

	var runs counter
	describeErr := ring.Must(ring.Func1(func(ctx context.Context, e error) (string, error) {
		runs.add()
		return e.Error(), nil
	}, ring.KeyPrefix("err")))
	for _, name := range []string{"a", "b"} {
		_, err := describeErr.Call(ctx, errors.New(name))
		require.ErrorContains(t, err, "ring_test.TestStructKeysSeeEveryField.func2: key: type *errors.errorString is not keyable: element type errors.errorString: field s type string is unexported")
	}
	require.Zero(t, runs.get(), "a call whose key cannot be built does not run the function")
	_, err = describeErr.Key(errors.New("a"))
	require.ErrorContains(t, err, "not keyable")

	anyArg := ring.Must(ring.New(func(v any) string { return fmt.Sprint(v) }, ring.KeyPrefix("any")))
	_, err = anyArg.Call(ctx, errors.New("x"))
	require.ErrorContains(t, err, "field s type string is unexported")
	_, err = anyArg.Call(ctx, query9{sku: "a"})
	require.ErrorContains(t, err, "field sku type string is unexported")
	v, err := anyArg.Call(ctx, "a")
	require.NoError(t, err)
	require.Equal(t, "a", v)
}

// TestIgnoreUnkeyable: an ignored parameter is never encoded, so any type
// is allowed there.
func TestIgnoreUnkeyable(t *testing.T) {
	ctx := context.Background()
	var runs counter
	r, err := ring.Func2(func(ctx context.Context, id int, next func() int) (int, error) {
		runs.add()
		return id + next(), nil
	}, ring.KeyPrefix("ign"), ring.Ignore(3))
	require.NoError(t, err)
	v, err := r.Call(ctx, 1, func() int { return 10 })
	require.NoError(t, err)
	require.Equal(t, 11, v)
	v, err = r.Call(ctx, 1, func() int { return 20 })
	require.NoError(t, err)
	require.Equal(t, 11, v, "the ignored parameter is not in the key")
	require.EqualValues(t, 1, runs.get())
	k, err := r.Key(1, nil)
	require.NoError(t, err)
	require.Equal(t, "ign:1", k)

	// chan, unsafe.Pointer and a struct the hash would not see, through New.
	u, err := ring.New(func(ch chan int, p unsafe.Pointer, q query9, id int) int { return id }, ring.KeyPrefix("u"), ring.Ignore(1, 2, 3))
	require.NoError(t, err)
	k, err = u.Key(make(chan int), nil, query9{}, 4)
	require.NoError(t, err)
	require.Equal(t, "u:4", k)

	// Without Ignore the same types are refused when the ring is built.
	_, err = ring.Func2(func(ctx context.Context, id int, next func() int) (int, error) { return id, nil }, ring.KeyPrefix("ign"))
	require.ErrorContains(t, err, "parameter 3 (func() int): type func() int is not keyable: it is a func")
	_, err = ring.New(func(p unsafe.Pointer) int { return 0 }, ring.KeyPrefix("u"))
	require.ErrorContains(t, err, "type unsafe.Pointer is not keyable")
	// A KeyFunc builds the key itself: no encoder either.
	_, err = ring.Func1(func(ctx context.Context, q query9) (string, error) { return q.sku, nil },
		ring.KeyFunc(func(args ...any) string { return args[0].(query9).sku }))
	require.NoError(t, err)
}

// nextID gives each subtest its own ids on the shared servers.
var nextID atomic.Int64

// rec9 is a struct keyed by the structural hash; every field is exported.
type rec9 struct {
	Name string
	N    int64
	Tags []string
}

func fetch9(ctx context.Context, s string) (string, error) { return s, nil }

func search9(ctx context.Context, r rec9, extra any) (int, error) { return len(r.Tags), nil }

// keyOf9 builds the key of one fuzzed call on one of several rings that
// share a storage: a plain function, methods of two instantiations of a
// generic type, and a function of a hashed struct and an interface.
type keyOf9 func(which uint8, s string, n int64) (ring int, key string)

func newKeyOf9(tb testing.TB, shared ring.Option) keyOf9 {
	plain := ring.Must(ring.Func1(fetch9, shared))
	ub := ring.Must(ring.Property((*box[user9]).Get, shared))
	tb2 := ring.Must(ring.Property((*box[team9]).Get, shared))
	st := ring.Must(ring.Func2(search9, shared))
	return func(which uint8, s string, n int64) (int, string) {
		var k string
		var err error
		r := int(which % 4)
		switch r {
		case 0:
			k, err = plain.Key(s)
		case 1:
			k, err = ub.Bind(&box[user9]{id: int(n)}).Key()
		case 2:
			k, err = tb2.Bind(&box[team9]{id: int(n)}).Key()
		case 3:
			var extra any = s
			if n&1 == 1 {
				extra = n
			}
			k, err = st.Key(rec9{Name: s, N: n >> 1, Tags: []string{s}}, extra)
		}
		if err != nil {
			tb.Fatal(err)
		}
		return r, k
	}
}

// FuzzRingKeysInjective: on one shared storage, two calls get the same key
// exactly when they are the same ring's call with equal arguments, across
// a plain function, two instantiations of a generic type's method, and a
// hashed struct with an interface.
func FuzzRingKeysInjective(f *testing.F) {
	f.Add(uint8(1), "a", int64(7), uint8(2), "a", int64(7))
	f.Add(uint8(0), "7", int64(7), uint8(1), "7", int64(7))
	f.Add(uint8(3), "a:b", int64(2), uint8(3), "a", int64(2))
	f.Add(uint8(3), "x", int64(3), uint8(3), "x", int64(2))
	key := newKeyOf9(f, ring.Storage(backends.NewDict()))
	f.Fuzz(func(t *testing.T, w1 uint8, s1 string, n1 int64, w2 uint8, s2 string, n2 int64) {
		r1, k1 := key(w1, s1, n1)
		r2, k2 := key(w2, s2, n2)
		var same bool
		if r1 == r2 {
			switch r1 {
			case 0:
				same = s1 == s2
			case 1, 2:
				same = int(n1) == int(n2)
			case 3:
				same = s1 == s2 && n1 == n2
			}
		}
		if same != (k1 == k2) {
			t.Fatalf("same call=%v but same key=%v:\n%q\n%q", same, k1 == k2, k1, k2)
		}
	})
}

// TestMainPackagePrefix builds a command: a function of package main is
// named "main.f" in every program, so a ring over one refuses a storage
// outside the process without a KeyPrefix (in a test binary the package has
// its import path, so only a built command shows it).
func TestMainPackagePrefix(t *testing.T) {
	bin, _ := buildCommand(t, func(dir string) string {
		return `package main

import (
	"context"
	"fmt"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/diskstore"
)

func fetch(ctx context.Context, id int) (int, error) { return id, nil }

func main() {
	disk, err := diskstore.New(` + "`" + dir + "/store`" + `)
	if err != nil {
		panic(err)
	}
	defer disk.Close()
	_, err = ring.Func1(fetch, ring.Storage(disk), ring.Coder("json"))
	fmt.Println(err)
	_, err = ring.Func1(fetch, ring.Storage(disk), ring.Coder("json"), ring.KeyPrefix("fetch"))
	fmt.Println(err)
	_, err = ring.Func1(fetch, ring.Storage(backends.NewDict()))
	fmt.Println(err)
}
`
	})
	out, err := exec.Command(bin).CombinedOutput()
	require.NoError(t, err, string(out))
	require.Equal(t, "ring: main.fetch: a function of package main has this name in every command, so entries stored in disk could be served to a same-named function of another program: add KeyPrefix(...)\n<nil>\n<nil>\n", string(out))
}
