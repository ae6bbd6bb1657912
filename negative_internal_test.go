package ring

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// TestNegativeSeam checks the two functions other policies call (a batch
// function's missing IDs): negative classifies an error by the ring's
// list, putNegative writes the entry that Call then serves without
// running the function, on a store of Go values and on one of bytes.
func TestNegativeSeam(t *testing.T) {
	ctx := context.Background()
	gone := errors.New("gone")
	for name, storage := range map[string][]Option{
		"lru":      {LRU(8)},
		"lru+json": {LRU(8), Coder("json")},
	} {
		t.Run(name, func(t *testing.T) {
			var runs atomic.Int32
			r, err := Func1(func(ctx context.Context, id int) (string, error) {
				runs.Add(1)
				return "v", nil
			}, append(storage, KeyPrefix("seam"), NegativeCache(time.Minute, ErrNotFound, gone))...)
			require.NoError(t, err)
			st := r.Cache()

			target, ok := st.negative(fmt.Errorf("id 1: %w", gone))
			require.True(t, ok)
			require.Equal(t, gone, target)
			target, ok = st.negative(ErrNotFound)
			require.True(t, ok)
			require.Equal(t, ErrNotFound, target)
			_, ok = st.negative(errors.New("other"))
			require.False(t, ok)
			_, ok = st.negative(nil)
			require.False(t, ok)

			key, err := r.Key(1)
			require.NoError(t, err)
			require.NoError(t, st.putNegative(ctx, key, gone))
			_, err = r.Call(ctx, 1)
			require.ErrorIs(t, err, gone)
			require.Zero(t, runs.Load(), "served by the entry putNegative wrote")
			_, found, err := r.Get(ctx, 1)
			require.ErrorIs(t, err, gone)
			require.False(t, found)

			require.ErrorContains(t, st.putNegative(ctx, key, errors.New("gone")), "is not one of NegativeCache's errors")
		})
	}
	plain, err := Func1(func(ctx context.Context, id int) (string, error) { return "v", nil }, LRU(8), KeyPrefix("plain"))
	require.NoError(t, err)
	_, ok := plain.Cache().negative(ErrNotFound)
	require.False(t, ok, "a ring without NegativeCache classifies nothing")
	require.ErrorContains(t, plain.Cache().putNegative(ctx, "plain:1", ErrNotFound), "the ring has no NegativeCache")
}
