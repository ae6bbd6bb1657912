package ring_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/strategy"
)

// capture is strategy.Default that keeps the Op of its last Get.
type capture struct {
	strategy.Default
	mu sync.Mutex
	op strategy.Op
}

func (c *capture) Get(ctx context.Context, op strategy.Op) (any, bool, error) {
	c.mu.Lock()
	c.op = op
	c.mu.Unlock()
	return c.Default.Get(ctx, op)
}

// The Op a ring hands to a strategy reads and writes the ring's entries
// with its coder and hook, and Default's methods do what the typed path
// does.
func TestStrategyOpAndDefault(t *testing.T) {
	ctx := context.Background()
	var ev events
	runs := 0
	st := &capture{}
	r := ring.Must(ring.Func1(func(context.Context, string) (string, error) { runs++; return "fresh", nil },
		ring.Dict(), ring.Coder("json"), ring.KeyPrefix("f"), ring.OnError(ev.hook), ring.WithStrategy(st)))
	_, _, err := r.Get(ctx, "a")
	require.NoError(t, err)
	op, d := st.op, strategy.Default{}
	require.Equal(t, "f:a", op.Key())

	v, err := d.GetOrUpdate(ctx, op)
	require.NoError(t, err)
	require.Equal(t, "fresh", v)
	v, ok, err := d.Get(ctx, op)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "fresh", v)
	require.Equal(t, 1, runs)
	// The entry is the ring's, encoded with its coder.
	raw, ok, err := r.Cache().Storage().Get(ctx, "f:a")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, `"fresh"`, string(raw.([]byte)))

	// Entries of a strategy's own, with their own expiry.
	require.NoError(t, op.StoreTTL(ctx, "f:a:back", "backup", 0))
	v, ok, _ = op.Load(ctx, "f:a:back")
	require.True(t, ok)
	require.Equal(t, "backup", v)
	require.NoError(t, op.Delete(ctx, "f:a:back"))
	_, ok, _ = op.Load(ctx, "f:a:back")
	require.False(t, ok)

	// Stored bytes that do not decode are a miss, reported.
	require.NoError(t, r.Cache().Storage().Set(ctx, "f:a", []byte("{"), 0))
	_, ok, err = d.Get(ctx, op)
	require.NoError(t, err)
	require.False(t, ok)
	got := ev.list()
	require.Len(t, got, 1)
	require.Equal(t, "decode", got[0].Op)
	require.Contains(t, got[0].Error(), `decode "f:a": `)
	require.NotNil(t, errors.Unwrap(got[0]))

	op.Report("mine", errors.New("boom"))
	require.Equal(t, "mine", ev.list()[1].Op)
	require.Equal(t, "f:a", ev.list()[1].Key)

	require.NoError(t, d.Delete(ctx, op))
	ok, err = d.Has(ctx, op)
	require.NoError(t, err)
	require.False(t, ok)
	require.NoError(t, d.Set(ctx, op, "set"))
	ok, err = d.Has(ctx, op)
	require.NoError(t, err)
	require.True(t, ok)
	require.ErrorIs(t, d.Touch(ctx, op), ring.ErrNoExpiry, "the ring has no expiry")
	v, err = d.Execute(ctx, op)
	require.NoError(t, err)
	require.Equal(t, "fresh", v)
	v, err = d.Update(ctx, op)
	require.NoError(t, err)
	require.Equal(t, "fresh", v)
	require.Equal(t, 3, runs)
	v, err = strategy.Fill(ctx, op, true)
	require.NoError(t, err)
	require.Equal(t, "fresh", v, "the re-check finds Update's entry")
	require.Equal(t, 3, runs)
	v, err = op.Flight(ctx, func(ctx context.Context) (any, error) { return op.Execute(ctx) })
	require.NoError(t, err)
	require.Equal(t, "fresh", v)
	require.Equal(t, 4, runs)
}

// A value stored under a ring's key that is not of the ring's result type
// (another ring wrote it) is a miss, reported the same way wherever it is
// read: the ring's sub-functions, its bulk forms, its Cache, and the Op of
// a strategy.
func TestStoredValueOfAnotherType(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		opts   []ring.Option
		stored any
		want   string
	}{
		{"go values", nil, "a string", "stored value is string, want int"},
		{"coder", []ring.Option{ring.Coder("json")}, 42, "stored value is int, not []byte"},
		{"coder, bad bytes", []ring.Option{ring.Coder("json")}, []byte(`"a string"`), "cannot unmarshal string"},
	} {
		t.Run(c.name, func(t *testing.T) {
			store := backends.NewDict()
			var ev events
			st := &capture{}
			opts := append([]ring.Option{ring.Storage(store), ring.KeyPrefix("n"), ring.OnError(ev.hook)}, c.opts...)
			runs := 0
			fn := func(context.Context, string) (int, error) { runs++; return 7, nil }
			r := ring.Must(ring.Func1(fn, opts...))
			custom := ring.Must(ring.Func1(fn, append(opts, ring.WithStrategy(st))...))
			require.NoError(t, store.Set(ctx, "n:a", c.stored, 0))

			reads := map[string]func() bool{
				"Get": func() bool { _, ok, err := r.Get(ctx, "a"); require.NoError(t, err); return ok },
				"GetMany": func() bool {
					_, found, err := r.Many().Get(ctx, []string{"a"})
					require.NoError(t, err)
					return found[0]
				},
				"Cache().Get": func() bool { _, ok, err := r.Cache().Get(ctx, "a"); require.NoError(t, err); return ok },
				"Cache().GetMany": func() bool {
					m, err := r.Cache().GetMany(ctx, "a")
					require.NoError(t, err)
					_, ok := m["a"]
					return ok
				},
				"strategy Get": func() bool { _, ok, err := custom.Get(ctx, "a"); require.NoError(t, err); return ok },
				"Op.Load":      func() bool { _, ok, err := st.op.Load(ctx, "n:a"); require.NoError(t, err); return ok },
			}
			for _, name := range []string{"Get", "GetMany", "Cache().Get", "Cache().GetMany", "strategy Get", "Op.Load"} {
				before := len(ev.list())
				require.False(t, reads[name](), name)
				got := ev.list()
				require.Len(t, got, before+1, name)
				require.Equal(t, "decode", got[before].Op, name)
				require.Equal(t, "n:a", got[before].Key, name)
				require.Equal(t, r.Untyped().Name(), got[before].Ring, name)
				require.ErrorContains(t, got[before], c.want, name)
			}
			require.Same(t, r.Cache(), r.Cache(), "the ring's store layer, not a copy")
			// Call runs the function and writes over the entry, without
			// reading it again inside the flight.
			before := len(ev.list())
			v, err := r.Call(ctx, "a")
			require.NoError(t, err)
			require.Equal(t, 7, v)
			require.Equal(t, 1, runs)
			require.Len(t, ev.list(), before+1)
			v, err = r.Call(ctx, "a")
			require.NoError(t, err)
			require.Equal(t, 7, v)
			require.Equal(t, 1, runs, "the fill was written")
		})
	}
}

// wrongType is a strategy whose Get returns a value of another type than
// the ring's result.
type wrongType struct{ strategy.Default }

func (wrongType) Get(context.Context, strategy.Op) (any, bool, error) { return "a string", true, nil }

// A strategy that returns a value of another type gives a reported miss,
// never a panic nor a zero value presented as found.
func TestStrategyReturnsAnotherType(t *testing.T) {
	var ev events
	r := ring.Must(ring.Func1(func(context.Context, string) (int, error) { return 1, nil },
		ring.Dict(), ring.KeyPrefix("w"), ring.OnError(ev.hook), ring.WithStrategy(wrongType{})))
	_, ok, err := r.Get(context.Background(), "a")
	require.NoError(t, err)
	require.False(t, ok)
	got := ev.list()
	require.Len(t, got, 1)
	require.ErrorContains(t, got[0], "strategy ring_test.wrongType returned a string, want int")
}

// list returns a copy of the events so far.
func (e *events) list() []ring.Event {
	e.mu.Lock()
	defer e.mu.Unlock()
	return append([]ring.Event(nil), e.all...)
}

// An Op writes with the ring's policy: Exclude keeps a value out, with
// IfNotExists an existing entry stays, and the TTL function gives the
// time-to-live, unless StoreTTL gives one of its own.
func TestStrategyOpWritesWithRingPolicy(t *testing.T) {
	ctx := context.Background()
	store := backends.NewDict()
	st := &capture{}
	var ttls []string
	r := ring.Must(ring.Func1(func(context.Context, string) (string, error) { return "x", nil },
		ring.Storage(store), ring.KeyPrefix("p"), ring.WithStrategy(st), ring.IfNotExists(),
		ring.Exclude(func(_ string, v any) bool { return v == "skip" }),
		ring.TTLFunc(func(key string, _ any) time.Duration { ttls = append(ttls, key); return time.Hour })))
	_, _, err := r.Get(ctx, "a")
	require.NoError(t, err)
	op := st.op

	require.NoError(t, op.Store(ctx, "p:a", "skip"))
	_, ok, err := store.Get(ctx, "p:a")
	require.NoError(t, err)
	require.False(t, ok, "Exclude kept the value out")
	ttls = nil

	require.NoError(t, op.Store(ctx, "p:a", "first"))
	require.NoError(t, op.Store(ctx, "p:a", "second"))
	v, ok, err := op.Load(ctx, "p:a")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "first", v, "IfNotExists kept the entry")
	require.Equal(t, []string{"p:a", "p:a"}, ttls, "the TTL function of each write")

	require.NoError(t, op.StoreTTL(ctx, "p:b", "own", 0))
	require.Len(t, ttls, 2, "StoreTTL's time-to-live is its own")
	v, ok, err = op.Load(ctx, "p:b")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, "own", v)
}
