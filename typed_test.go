package ring_test

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
)

// depot is a receiver for the method rings below.
type depot struct{ id int }

func (d *depot) RingKey() string { return "d" + strconv.Itoa(d.id) }

// TestRing0Wire runs every sub-function of a Ring0 (the wire of a function
// of a context alone, with no receiver) and checks them against each other
// and against the untyped view and the Cache.
func TestRing0Wire(t *testing.T) {
	ctx := context.Background()
	var runs counter
	r := ring.Must(ring.Func0(func(ctx context.Context) (string, error) {
		runs.add()
		return "cfg" + strconv.Itoa(int(runs.get())), nil
	}, ring.KeyPrefix("zero"), ring.Expire(time.Minute)))

	key, err := r.Key()
	require.NoError(t, err)
	require.Equal(t, "zero", key, "one entry: the key is the prefix")
	_, found, err := r.Get(ctx)
	require.NoError(t, err)
	require.False(t, found)
	v, err := r.Call(ctx)
	require.NoError(t, err)
	require.Equal(t, "cfg1", v)
	u, err := r.Untyped().GetOrUpdate(ctx)
	require.NoError(t, err)
	require.Equal(t, "cfg1", u, "a hit through the untyped view's GetOrUpdate")
	v, err = r.Update(ctx)
	require.NoError(t, err)
	require.Equal(t, "cfg2", v)
	v, err = r.Execute(ctx)
	require.NoError(t, err)
	require.Equal(t, "cfg3", v)
	v, _, _ = r.Get(ctx)
	require.Equal(t, "cfg2", v, "Execute wrote nothing")
	require.NoError(t, r.Set(ctx, "set"))
	u, err = r.Untyped().Call(ctx)
	require.NoError(t, err)
	require.Equal(t, "set", u, "the untyped view shares the entry")
	cv, found, err := r.Cache().Get(ctx, "")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "set", cv, "and so does the Cache")
	require.NoError(t, r.Touch(ctx))
	ok, err := r.Has(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	require.NoError(t, r.Delete(ctx))
	ok, _ = r.Has(ctx)
	require.False(t, ok)
	require.EqualValues(t, 3, runs.get())
}

// TestRing3Wire runs every sub-function and every bulk form of a Ring3, the
// wire of a three-argument function with no receiver, and checks that the
// single, bulk and untyped forms agree on keys and entries.
func TestRing3Wire(t *testing.T) {
	ctx := context.Background()
	var runs counter
	r := ring.Must(ring.Func3(func(ctx context.Context, w, h int, unit string) (string, error) {
		runs.add()
		if unit == "" {
			return "", fmt.Errorf("no unit")
		}
		return strconv.Itoa(w*h) + unit, nil
	}, ring.KeyPrefix("area3"), ring.Expire(time.Minute)))

	key, err := r.Key(3, 4, "m2")
	require.NoError(t, err)
	require.Equal(t, "area3:3:4:m2", key)
	keys, err := r.Many().Key([]ring.Args3[int, int, string]{{3, 4, "m2"}, {1, 2, "cm2"}})
	require.NoError(t, err)
	require.Equal(t, []string{"area3:3:4:m2", "area3:1:2:cm2"}, keys)
	ukey, err := r.Untyped().Key(3, 4, "m2")
	require.NoError(t, err)
	require.Equal(t, key, ukey)

	v, err := r.Call(ctx, 3, 4, "m2")
	require.NoError(t, err)
	require.Equal(t, "12m2", v)
	_, err = r.Call(ctx, 3, 4, "")
	require.ErrorContains(t, err, "no unit")
	_, found, _ := r.Get(ctx, 3, 4, "")
	require.False(t, found, "an error is not cached")

	args := []ring.Args3[int, int, string]{{3, 4, "m2"}, {5, 5, "m2"}, {1, 1, ""}}
	vals, err := r.Many().GetOrUpdate(ctx, args)
	require.ErrorContains(t, err, "argument set 2: no unit")
	require.Equal(t, []string{"12m2", "25m2", ""}, vals)
	got, found2, err := r.Many().Get(ctx, args)
	require.NoError(t, err)
	require.Equal(t, []bool{true, true, false}, found2)
	require.Equal(t, "25m2", got[1])
	has, err := r.Many().Has(ctx, args)
	require.NoError(t, err)
	require.Equal(t, []bool{true, true, false}, has)

	require.NoError(t, r.Many().Set(ctx, []string{"a", "b"}, args[:2]))
	v, _, _ = r.Get(ctx, 5, 5, "m2")
	require.Equal(t, "b", v, "a bulk write is seen by the single form")
	uv, found, err := r.Untyped().Get(ctx, 3, 4, "m2")
	require.NoError(t, err)
	require.True(t, found)
	require.Equal(t, "a", uv, "and by the untyped view")

	before := runs.get()
	out, err := r.Many().Execute(ctx, args[:2])
	require.NoError(t, err)
	require.Equal(t, []string{"12m2", "25m2"}, out)
	v, _, _ = r.Get(ctx, 3, 4, "m2")
	require.Equal(t, "a", v, "Execute wrote nothing")
	out, err = r.Many().Update(ctx, args[:2])
	require.NoError(t, err)
	require.Equal(t, []string{"12m2", "25m2"}, out)
	v, _, _ = r.Get(ctx, 3, 4, "m2")
	require.Equal(t, "12m2", v, "Update wrote")
	require.EqualValues(t, before+4, runs.get())

	require.NoError(t, r.Many().Touch(ctx, args[:2]))
	require.NoError(t, r.Many().Delete(ctx, args[:2]))
	has, _ = r.Many().Has(ctx, args)
	require.Equal(t, []bool{false, false, false}, has)

	require.NoError(t, r.Set(ctx, "s", 7, 7, "x"))
	v, err = r.Call(ctx, 7, 7, "x")
	require.NoError(t, err)
	require.Equal(t, "s", v)
	v, err = r.Update(ctx, 7, 7, "x")
	require.NoError(t, err)
	require.Equal(t, "49x", v)
	v, err = r.Execute(ctx, 7, 7, "x")
	require.NoError(t, err)
	require.Equal(t, "49x", v)
	require.NoError(t, r.Touch(ctx, 7, 7, "x"))
	ok, _ := r.Has(ctx, 7, 7, "x")
	require.True(t, ok)
	require.NoError(t, r.Delete(ctx, 7, 7, "x"))
	ok, _ = r.Has(ctx, 7, 7, "x")
	require.False(t, ok)
}

// TestWireBulkBindsItsReceiver checks that a wire's bulk forms are the
// method ring's bulk forms with the wire's receiver in every argument set:
// the same keys and the same entries, and never another receiver's.
func TestWireBulkBindsItsReceiver(t *testing.T) {
	ctx := context.Background()
	stock := ring.Must(ring.Method2(func(d *depot, ctx context.Context, sku string, size int) (string, error) {
		return fmt.Sprintf("%s/%s/%d", d.RingKey(), sku, size), nil
	}, ring.KeyPrefix("stock2")))
	d1, d2 := &depot{id: 1}, &depot{id: 2}
	w1 := stock.Bind(d1)

	own := []ring.Args2[string, int]{{"fig", 1}, {"kiwi", 2}}
	across := []ring.Args3[*depot, string, int]{{d1, "fig", 1}, {d1, "kiwi", 2}}
	k1, err := w1.Many().Key(own)
	require.NoError(t, err)
	k2, err := stock.Many().Key(across)
	require.NoError(t, err)
	require.Equal(t, k2, k1)
	require.Equal(t, []string{"stock2:d1:fig:1", "stock2:d1:kiwi:2"}, k1)

	require.NoError(t, w1.Many().Set(ctx, []string{"a", "b"}, own))
	got, found, err := stock.Many().Get(ctx, across)
	require.NoError(t, err)
	require.Equal(t, []bool{true, true}, found)
	require.Equal(t, []string{"a", "b"}, got)
	_, found, err = stock.Bind(d2).Many().Get(ctx, own)
	require.NoError(t, err)
	require.Equal(t, []bool{false, false}, found, "another receiver's wire sees none of them")
	v, err := stock.Call(d1, ctx, "fig", 1)
	require.NoError(t, err)
	require.Equal(t, "a", v)

	vals, err := stock.Bind(d2).Many().GetOrUpdate(ctx, own)
	require.NoError(t, err)
	require.Equal(t, []string{"d2/fig/1", "d2/kiwi/2"}, vals)
	has, err := stock.Many().Has(ctx, []ring.Args3[*depot, string, int]{{d1, "fig", 1}, {d2, "fig", 1}, {d2, "plum", 3}})
	require.NoError(t, err)
	require.Equal(t, []bool{true, true, false}, has)
	require.NoError(t, w1.Many().Delete(ctx, own))
	has, _ = stock.Many().Has(ctx, []ring.Args3[*depot, string, int]{{d1, "fig", 1}, {d2, "fig", 1}})
	require.Equal(t, []bool{false, true}, has, "a wire deletes only its receiver's entries")

	// A property's ring: the bulk forms across receivers, and the
	// receiver's wire, of a function of the receiver alone.
	name := ring.Must(ring.Property(func(d *depot, ctx context.Context) (string, error) {
		return "depot " + d.RingKey(), nil
	}, ring.KeyPrefix("depot-name")))
	names, err := name.Many().GetOrUpdate(ctx, []*depot{d1, d2})
	require.NoError(t, err)
	require.Equal(t, []string{"depot d1", "depot d2"}, names)
	v, found2, err := name.Bind(d2).Get(ctx)
	require.NoError(t, err)
	require.True(t, found2)
	require.Equal(t, "depot d2", v)
}

// TestUntypedBulk runs the bulk forms of the untyped view, with argument
// sets checked against the signature.
func TestUntypedBulk(t *testing.T) {
	ctx := context.Background()
	u := ring.Must(ring.New(func(a, b int) int { return a * b }, ring.KeyPrefix("mul"), ring.Expire(time.Minute)))
	bulk := u.Many()
	sets := [][]any{{2, 3}, {4, 5}}
	keys, err := bulk.Key(sets)
	require.NoError(t, err)
	require.Equal(t, []string{"mul:2:3", "mul:4:5"}, keys)
	vals, err := bulk.GetOrUpdate(ctx, sets)
	require.NoError(t, err)
	require.Equal(t, []any{6, 20}, vals)
	require.NoError(t, bulk.Set(ctx, []any{7, 8}, sets))
	got, found, err := bulk.Get(ctx, append(sets, []any{9, 9}))
	require.NoError(t, err)
	require.Equal(t, []bool{true, true, false}, found)
	require.Equal(t, []any{7, 8, nil}, got)
	vals, err = bulk.Execute(ctx, sets)
	require.NoError(t, err)
	require.Equal(t, []any{6, 20}, vals)
	vals, err = bulk.Update(ctx, sets)
	require.NoError(t, err)
	require.Equal(t, []any{6, 20}, vals)
	require.NoError(t, bulk.Touch(ctx, sets))
	has, err := bulk.Has(ctx, sets)
	require.NoError(t, err)
	require.Equal(t, []bool{true, true}, has)
	require.NoError(t, bulk.Delete(ctx, sets))
	has, _ = bulk.Has(ctx, sets)
	require.Equal(t, []bool{false, false}, has)

	require.EqualError(t, bulk.Set(ctx, []any{1}, sets), "ring: "+u.Name()+": set many: 1 values for 2 argument sets")
	_, err = bulk.Key([][]any{{1, 2}, {1}})
	require.ErrorContains(t, err, "argument set 1")
	var ce *ring.CountError
	require.ErrorAs(t, err, &ce)

	noExpiry := ring.Must(ring.New(func(a int) int { return a }, ring.KeyPrefix("id")))
	require.ErrorIs(t, noExpiry.Many().Touch(ctx, [][]any{{1}}), ring.ErrNoExpiry)
}

// TestCacheEncodeDecode checks the typed coder access of Cache: a ring's
// Cache uses the ring's coder, a NewCache its own, and without a coder both
// are an error wrapping ring.ErrNoCoder, never a panic.
func TestCacheEncodeDecode(t *testing.T) {
	ctx := context.Background()
	type point struct{ X, Y int }
	r := ring.Must(ring.Func1(func(ctx context.Context, n int) (point, error) {
		return point{n, -n}, nil
	}, ring.Coder("json"), ring.KeyPrefix("pt")))
	_, err := r.Call(ctx, 3)
	require.NoError(t, err)
	c := r.Cache()
	key, _ := r.Key(3)
	raw, found, err := c.Storage().Get(ctx, key)
	require.NoError(t, err)
	require.True(t, found)
	require.JSONEq(t, `{"X":3,"Y":-3}`, string(raw.([]byte)), "the ring stored JSON through its coder")
	p, err := c.Decode(raw.([]byte))
	require.NoError(t, err)
	require.Equal(t, point{3, -3}, p)
	b, err := c.Encode(point{1, 2})
	require.NoError(t, err)
	require.JSONEq(t, `{"X":1,"Y":2}`, string(b))
	_, err = c.Decode([]byte("{not json"))
	require.Error(t, err)

	lru := ring.Must(ring.Func1(func(ctx context.Context, n int) (point, error) { return point{}, nil }))
	_, err = lru.Cache().Encode(point{})
	require.ErrorIs(t, err, ring.ErrNoCoder)
	require.ErrorContains(t, err, "ring: ")
	_, err = lru.Cache().Decode([]byte("{}"))
	require.ErrorIs(t, err, ring.ErrNoCoder)

	plain, err := ring.NewCache[point]()
	require.NoError(t, err)
	_, err = plain.Encode(point{})
	require.ErrorIs(t, err, ring.ErrNoCoder)
	require.True(t, strings.HasPrefix(err.Error(), "ring: cache: encode: "), err.Error())
	_, err = plain.Decode(nil)
	require.ErrorIs(t, err, ring.ErrNoCoder)

	coded, err := ring.NewCache[point](ring.Coder("gob"))
	require.NoError(t, err)
	b, err = coded.Encode(point{5, 6})
	require.NoError(t, err)
	p, err = coded.Decode(b)
	require.NoError(t, err)
	require.Equal(t, point{5, 6}, p)
	_, err = coded.Decode([]byte{0xff})
	require.Error(t, err)
}
