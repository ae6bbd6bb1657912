package ring_test

import (
	"context"
	"testing"
	"time"

	"github.com/ringcache/ring"
)

// missCtxKey is the key of a value on a caller's context.
type missCtxKey struct{}

// TestMissAllocations pins the allocations of the miss path (Call on a
// Dummy storage, which keeps nothing, so every call misses and fills):
// the key, one for the fill and its flight's Run together, the function's
// result and its boxing for the write (the hand-written get-compute-set
// has the last three too). Neither the run's context nor its
// cancellation allocates while the function does not look at them. A
// caller whose context can end runs the function on a goroutine of its
// own: that costs the goroutine (its start), a WithoutCancel, the channel
// its callers wait on, and the wait's select: 9 in all.
func TestMissAllocations(t *testing.T) {
	if raceEnabled {
		t.Skip("allocation counts differ under -race; run without it")
	}
	r := ring.Must(ring.Func2(lookup, ring.Dummy(), ring.KeyPrefix("lookup")))
	bg := context.Background()
	if got := testing.AllocsPerRun(1000, func() { _, _ = r.Call(bg, "apple", 42) }); got > 4 {
		t.Errorf("a miss allocates %v times, want at most 4", got)
	}
	values := context.WithValue(bg, missCtxKey{}, "v")
	if got := testing.AllocsPerRun(1000, func() { _, _ = r.Call(values, "apple", 42) }); got > 4 {
		t.Errorf("a miss with a context of values allocates %v times, want at most 4", got)
	}
	ctx, cancel := context.WithTimeout(bg, time.Hour)
	defer cancel()
	if got := testing.AllocsPerRun(1000, func() { _, _ = r.Call(ctx, "apple", 42) }); got > 9 {
		t.Errorf("a miss with a deadline allocates %v times, want at most 9", got)
	}
}
