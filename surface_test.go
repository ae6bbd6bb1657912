package ring_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/coders"
)

// tariff is a receiver for the class and property constructors below.
type tariff struct{ zone int }

func (t *tariff) RingKey() string { return strconv.Itoa(t.zone) }

func (t *tariff) label(ctx context.Context) (string, error) {
	return "zone " + strconv.Itoa(t.zone), nil
}

func (t *tariff) quote(ctx context.Context, kg int, express bool) (int, error) {
	if express {
		return 2 * kg, nil
	}
	return kg, nil
}

func volume(ctx context.Context, w, h, d int) (int, error) { return w * h * d, nil }

// TestConstructorsOfEveryArity reaches the constructors no other test or
// example reaches (Func3, Method0, Class2, WithCoder), each with a call, a
// hit and its key.
func TestConstructorsOfEveryArity(t *testing.T) {
	ctx := context.Background()

	var runs counter
	vol := ring.Must(ring.Func3(func(ctx context.Context, w, h, d int) (int, error) {
		runs.add()
		return volume(ctx, w, h, d)
	}, ring.KeyPrefix("vol"), ring.WithCoder(coders.JSON{})))
	for range 3 {
		v, err := vol.Call(ctx, 2, 3, 4)
		require.NoError(t, err)
		require.Equal(t, 24, v)
	}
	require.EqualValues(t, 1, runs.get())
	key, err := vol.Key(2, 3, 4)
	require.NoError(t, err)
	require.Equal(t, "vol:2:3:4", key)
	// WithCoder: the LRU holds the JSON bytes, decoded on each hit.
	b, err := vol.Encode(24)
	require.NoError(t, err)
	require.Equal(t, "24", string(b))

	// Method0 is Property: keyed by the receiver alone.
	label := ring.Must(ring.Method0((*tariff).label, ring.KeyPrefix("label")))
	v, err := label.Call(&tariff{zone: 3}, ctx)
	require.NoError(t, err)
	require.Equal(t, "zone 3", v)
	key, err = label.Key(&tariff{zone: 3})
	require.NoError(t, err)
	require.Equal(t, "label:3", key)

	// Class2: keyed by the receiver's type, not its value.
	quote := ring.Must(ring.Class2((*tariff).quote, ring.KeyPrefix("quote")))
	q, err := quote.Call(&tariff{zone: 1}, ctx, 5, true)
	require.NoError(t, err)
	require.Equal(t, 10, q)
	k1, err := quote.Key(&tariff{zone: 1}, 5, true)
	require.NoError(t, err)
	k2, err := quote.Key(&tariff{zone: 2}, 5, true)
	require.NoError(t, err)
	require.Equal(t, k1, k2, "a class ring keys by type")
	require.Contains(t, k1, "tariff")
	got, found, err := quote.Get(&tariff{zone: 9}, ctx, 5, true)
	require.NoError(t, err)
	require.True(t, found, "another value of the type shares the entry")
	require.Equal(t, 10, got)

	_, err = ring.Func3(volume, ring.WithCoder(nil))
	require.ErrorContains(t, err, "WithCoder(nil)")
}
