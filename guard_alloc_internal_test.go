package ring

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ringcache/ring/backends"
)

// TestGuardFinishAllocs: classifying an operation that succeeded allocates
// nothing. The key of a failure that counts against the breaker is kept
// for the observer; that used to move the key to the heap on every call, a
// success's too: one allocation per storage operation of every guarded
// (remote) ring.
func TestGuardFinishAllocs(t *testing.T) {
	br := new(backends.Breaker)
	if err := br.SetPolicy(5, time.Second); err != nil {
		t.Fatal(err)
	}
	g := &guard{s: backends.Cancelable(backends.NewDict()), timeout: time.Second, br: br, obs: &observer{}}
	ctx := context.Background()
	octx, cancel := backends.WithOpTimeout(ctx, time.Second)
	defer cancel()
	other := errors.New("a decode error")
	key := string([]byte("some-key")) // not a constant: a heap string like a real key
	if n := testing.AllocsPerRun(1000, func() {
		if err := g.finish(ctx, octx, br, false, "get", key, 0, nil); err != nil {
			t.Fatal(err)
		}
	}); n != 0 {
		t.Errorf("guard.finish of a success: %v allocations, want 0", n)
	}
	if n := testing.AllocsPerRun(1000, func() { _ = g.finish(ctx, octx, br, false, "get", key, 0, other) }); n > 1 {
		t.Errorf("guard.finish of a non-storage error: %v allocations, want at most 1", n)
	}
}
