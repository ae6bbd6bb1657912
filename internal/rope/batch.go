package rope

import (
	"context"
	"math/bits"
)

// FlightMany is Flight for many distinct keys with one function call (a
// batch function's fill): each key with a run in flight (a Flight's or
// another FlightMany's) is joined, the others are led by one call of fn,
// which receives the indices in keys of the keys it leads and returns an
// outcome for each, in that order. It returns the outcome of every key;
// the ones not done when ctx ends get ctx's error.
//
// fn's context keeps ctx's values and ends when every caller of every key
// it leads has gone. A fill of its keys writes with FillMany on that
// context: a newer write of a key made since the batch started wins over
// it, as over a single fill.
func (r *Rope) FlightMany(ctx context.Context, keys []string, fn func(ctx context.Context, lead []int) ([]any, []error)) ([]any, []error) {
	return r.flight.DoMany(ctx, keys, fn)
}

// FlightManyShared is FlightMany that also returns how many of keys
// joined a run another caller had started (single flight coalesced them).
func (r *Rope) FlightManyShared(ctx context.Context, keys []string, fn func(ctx context.Context, lead []int) ([]any, []error)) ([]any, []error, int) {
	return r.flight.DoManyShared(ctx, keys, fn)
}

// FillMany runs do, one storage command that writes several keys. Called
// with the context FlightMany handed to its function, it is the batch's
// fill: it holds the locks of the keys' stripes as a fill (groupFill) (taken in stripe
// order, so that it cannot deadlock with bulk writes) and gives do the
// indices of the keys whose run is not stale (no newer write of the key
// since the batch started, and a caller still waiting); do is skipped when
// there is none. It counts as a write of each stripe either way, and as
// the WriteMark's own that ctx carries, if any. Called with any other
// context it is Write: a newer write of every key, given every index.
//
// do runs under the stripes' locks: it must not call back into writes of
// the same rope.
func (r *Rope) FillMany(ctx context.Context, keys []string, do func(keep []int) error) error {
	b := r.flight.RunningBatch(ctx)
	if b == nil {
		all := make([]int, len(keys))
		for i := range all {
			all[i] = i
		}
		return r.Write(keys, func() error { return do(all) })
	}
	defer r.flushEvents() // runs last: after the locks are released
	var set uint64
	for _, k := range keys {
		set |= 1 << r.stripeOf(k)
	}
	for s := set; s != 0; s &= s - 1 {
		r.stripes[bits.TrailingZeros64(s)].mu.lock(groupFill)
	}
	m, _ := ctx.Value(markKey{}).(*WriteMark)
	for s := set; s != 0; s &= s - 1 {
		i := bits.TrailingZeros64(s)
		r.stripes[i].writes.Add(1)
		if m != nil && m.rope == r {
			m.own[i].Add(1)
		}
	}
	defer func() {
		for s := set; s != 0; s &= s - 1 {
			r.stripes[bits.TrailingZeros64(s)].mu.unlock()
		}
	}()
	keep := make([]int, 0, len(keys))
	for i, k := range keys {
		if run := b.Run(k); run != nil && !run.Stale() {
			keep = append(keep, i)
		}
	}
	if len(keep) == 0 {
		return nil
	}
	return do(keep)
}
