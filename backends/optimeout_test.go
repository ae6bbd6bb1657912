package backends_test

import (
	"context"
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ringcache/ring/backends"
)

type ctxKey struct{}

// TestWithOpTimeoutShared pins the shared deadlines of contexts that
// cannot end: the deadline is between d and d+d/16 from the start, the
// context ends at it with DeadlineExceeded, the parent's values are kept,
// a context derived from it ends with it, and on context.Background() it
// allocates nothing.
func TestWithOpTimeoutShared(t *testing.T) {
	const d = 80 * time.Millisecond
	parents := map[string]context.Context{
		"background": context.Background(),
		"values":     context.WithValue(context.Background(), ctxKey{}, "v"),
		"todo":       context.TODO(),
	}
	for name, parent := range parents {
		t.Run(name, func(t *testing.T) {
			start := time.Now()
			ctx, cancel := backends.WithOpTimeout(parent, d)
			defer cancel()
			dl, ok := ctx.Deadline()
			if !ok {
				t.Fatal("no deadline")
			}
			if left := dl.Sub(start); left < d || left > d+d/16+5*time.Millisecond {
				t.Errorf("deadline %v after the start, want between %v and %v", left, d, d+d/16)
			}
			if got := ctx.Value(ctxKey{}); got != parent.Value(ctxKey{}) {
				t.Errorf("Value = %v, want the parent's %v", got, parent.Value(ctxKey{}))
			}
			child, stop := context.WithCancel(ctx)
			defer stop()
			select {
			case <-child.Done():
			case <-time.After(2 * time.Second):
				t.Fatal("the derived context did not end")
			}
			<-ctx.Done()
			if took := time.Since(start); took < d {
				t.Errorf("ended after %v, before its timeout %v", took, d)
			}
			if !errors.Is(ctx.Err(), context.DeadlineExceeded) || !errors.Is(child.Err(), context.DeadlineExceeded) {
				t.Errorf("Err = %v, child's %v, want DeadlineExceeded", ctx.Err(), child.Err())
			}
		})
	}

	if allocs := testing.AllocsPerRun(100, func() {
		_, cancel := backends.WithOpTimeout(context.Background(), time.Second)
		cancel()
	}); allocs != 0 {
		t.Errorf("WithOpTimeout(context.Background(), 1s) allocates %v times, want 0", allocs)
	}

	// A cancelable parent keeps its own timer and its cancellation.
	parent, cancelParent := context.WithCancel(context.Background())
	ctx, cancel := backends.WithOpTimeout(parent, time.Hour)
	defer cancel()
	cancelParent()
	select {
	case <-ctx.Done():
	case <-time.After(time.Second):
		t.Fatal("the parent's cancel did not end the op context")
	}
}

// TestWithOpTimeoutManyTimeouts: many distinct timeouts at once, from
// many goroutines (run with -race): each context gets its own timeout or
// a shared one, never a shorter deadline.
func TestWithOpTimeoutManyTimeouts(t *testing.T) {
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 200 {
				d := time.Duration(1+(g*200+i)%40) * time.Millisecond
				start := time.Now()
				ctx, cancel := backends.WithOpTimeout(context.Background(), d)
				dl, _ := ctx.Deadline()
				cancel()
				if dl.Sub(start) < d {
					t.Errorf("timeout %v: deadline %v after the start", d, dl.Sub(start))
					return
				}
			}
		})
	}
	wg.Wait()
}
