package strategy_test

import (
	"context"
	"errors"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring/strategy"
)

// The zero Op belongs to no ring: every method fails with an error that
// says so, never a panic, and so does Default on it. (An Op made by a ring
// is tested in the root package, where rings are.)
func TestZeroOp(t *testing.T) {
	ctx := context.Background()
	var op strategy.Op
	var d strategy.Default
	require.Equal(t, "", op.Key())
	op.Report("get", errors.New("dropped"))
	errs := []error{}
	add := func(err error) { errs = append(errs, err) }
	_, err := op.Execute(ctx)
	add(err)
	_, _, err = op.Load(ctx, "k")
	add(err)
	add(op.Store(ctx, "k", 1))
	add(op.StoreTTL(ctx, "k", 1, 0))
	add(op.Delete(ctx, "k"))
	_, err = op.Flight(ctx, func(context.Context) (any, error) { return 1, nil })
	add(err)
	_, _, err = d.Get(ctx, op)
	add(err)
	_, err = d.GetOrUpdate(ctx, op)
	add(err)
	_, err = d.Update(ctx, op)
	add(err)
	add(d.Set(ctx, op, 1))
	add(d.Delete(ctx, op))
	_, err = d.Has(ctx, op)
	add(err)
	add(d.Touch(ctx, op))
	_, err = d.Execute(ctx, op)
	add(err)
	_, err = strategy.Fill(ctx, op, true)
	add(err)
	for i, err := range errs {
		require.ErrorContains(t, err, "ring: strategy: the zero Op belongs to no ring", "call %d", i)
	}
}
