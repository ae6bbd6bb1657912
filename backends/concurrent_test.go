package backends_test

import (
	"context"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringcache/ring/backends"
)

func newConcurrent[V any](t *testing.T, size int, opts ...backends.MemoryOption) *backends.Concurrent[V] {
	t.Helper()
	c, err := backends.NewConcurrent[V](size, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestConcurrentSize(t *testing.T) {
	for _, size := range []int{0, -1} {
		if _, err := backends.NewConcurrent[int](size); err == nil {
			t.Fatalf("NewConcurrent(%d) accepted", size)
		}
	}
	for _, size := range []int{1, 2, 31, 33, 100, 1024, 5000} {
		t.Run(strconv.Itoa(size), func(t *testing.T) {
			var evicted atomic.Int64
			c := newConcurrent[int](t, size, backends.OnEvictKey(func(string) { evicted.Add(1) }))
			for i := range 3 * size {
				if err := c.Store("k"+strconv.Itoa(i), i, 0); err != nil {
					t.Fatal(err)
				}
				if n := c.Len(); n > size {
					t.Fatalf("after %d writes Len() = %d, more than the size %d", i+1, n, size)
				}
			}
			// Every shard is full: the backend holds exactly size entries.
			if n := c.Len(); n != size {
				t.Fatalf("Len() = %d, want %d", n, size)
			}
			if got, want := c.Evictions(), uint64(2*size); got != want {
				t.Fatalf("Evictions() = %d, want %d", got, want)
			}
			if got := evicted.Load(); got != int64(2*size) {
				t.Fatalf("OnEvictKey saw %d evictions, want %d", got, 2*size)
			}
		})
	}
}

// TestConcurrentKeepsReadEntries checks the CLOCK policy: entries read
// between writes survive a flood of entries never read again.
func TestConcurrentKeepsReadEntries(t *testing.T) {
	const size, hot = 1024, 100
	c := newConcurrent[int](t, size)
	for i := range hot {
		_ = c.Store("hot"+strconv.Itoa(i), i, 0)
	}
	for i := range 20 * size {
		for j := range hot {
			if i%64 == 0 {
				if v, ok := c.Load("hot" + strconv.Itoa(j)); !ok || v != j {
					t.Fatalf("after %d cold writes hot%d = %d, %v; want %d", i, j, v, ok, j)
				}
			}
		}
		_ = c.Store("cold"+strconv.Itoa(i), i, 0)
	}
}

func TestConcurrentExpiry(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	var reads atomic.Int64
	now := func() time.Time { reads.Add(1); return clock.now() }
	c := newConcurrent[string](t, 100, backends.WithClock(now))
	ctx := context.Background()
	_ = c.Store("forever", "f", 0)
	_ = c.Store("soon", "s", time.Second)

	// A hit on an entry without expiry reads no clock; one with expiry reads
	// it once. (That is the clock WithClock gives; the default clock's reads
	// are judged by the coarse clock, ClockBefore: clock_internal_test.go.)
	reads.Store(0)
	if v, ok := c.Load("forever"); !ok || v != "f" {
		t.Fatalf(`Load("forever") = %q, %v`, v, ok)
	}
	if n := reads.Load(); n != 0 {
		t.Fatalf("a hit without expiry read the clock %d times", n)
	}
	if v, ttl, ok := c.LoadWithTTL("soon"); !ok || v != "s" || ttl != time.Second {
		t.Fatalf(`LoadWithTTL("soon") = %q, %v, %v`, v, ttl, ok)
	}
	if n := reads.Load(); n != 1 {
		t.Fatalf("a hit with expiry read the clock %d times, want 1", n)
	}

	clock.add(999 * time.Millisecond)
	if ok, _ := c.Has(ctx, "soon"); !ok {
		t.Fatal("an entry with 1ms left is gone")
	}
	clock.add(time.Millisecond)
	if _, ok := c.Load("soon"); ok {
		t.Fatal("an expired entry is a hit")
	}
	if n := c.Len(); n != 1 {
		t.Fatalf("the expired entry read is still held: Len() = %d", n)
	}
	// Touch moves an expiry; SetIfAbsent writes over an expired entry.
	_ = c.Store("t", "t", time.Second)
	_ = c.Touch(ctx, "t", time.Hour)
	clock.add(time.Minute)
	if _, ttl, ok := c.LoadWithTTL("t"); !ok || ttl != time.Hour-time.Minute {
		t.Fatalf("touched entry: ttl %v, found %v", ttl, ok)
	}
	_ = c.Store("gone", "old", time.Second)
	clock.add(time.Second)
	if ok, _ := c.SetIfAbsent(ctx, "gone", "new", 0); !ok {
		t.Fatal("SetIfAbsent refused to write over an expired entry")
	}
	if ok, _ := c.SetIfAbsent(ctx, "gone", "newer", 0); ok {
		t.Fatal("SetIfAbsent wrote over a live entry")
	}
	if v, _ := c.Load("gone"); v != "new" {
		t.Fatalf(`Load("gone") = %q, want "new"`, v)
	}
}

// TestConcurrentExpiredEvictedFirst fills a store with entries that then
// expire: a new write takes the room of expired entries, never of a live
// one, and the store stays bounded.
func TestConcurrentExpiredEvictedFirst(t *testing.T) {
	clock := &fakeClock{t: time.Unix(1_000_000, 0)}
	const size = 1000
	c := newConcurrent[int](t, size, backends.WithClock(clock.now))
	for i := range 2 * size {
		_ = c.Store("old"+strconv.Itoa(i), i, time.Second)
	}
	clock.add(2 * time.Second)
	ev := c.Evictions()
	_ = c.Store("new", 1, 0)
	if n := c.Evictions() - ev; n != 0 {
		t.Fatalf("%d live entries evicted while only expired ones were held", n)
	}
	for i := range size {
		_ = c.Store("new"+strconv.Itoa(i), i, 0)
		if n := c.Len(); n > size {
			t.Fatalf("Len() = %d > %d", n, size)
		}
	}
}

func TestConcurrentWrongType(t *testing.T) {
	c := newConcurrent[int](t, 10)
	ctx := context.Background()
	if err := c.Set(ctx, "k", "a string", 0); err == nil {
		t.Fatal("Set of a string into a Concurrent[int] succeeded")
	} else if want := "ring: backend concurrent: value is string, this store holds int"; err.Error() != want {
		t.Fatalf("error %q, want %q", err, want)
	}
	if err := c.SetMany(ctx, []string{"a", "b"}, []any{1, "x"}, 0); err == nil {
		t.Fatal("SetMany with a string succeeded")
	}
	if ok, _ := c.Has(ctx, "a"); ok {
		t.Fatal("a failed SetMany wrote some of its entries")
	}
	var a = newConcurrent[any](t, 10)
	if err := a.Set(ctx, "nil", nil, 0); err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := a.Get(ctx, "nil"); !ok || v != nil {
		t.Fatalf("nil stored, got %v, %v", v, ok)
	}
	if err := c.Set(ctx, "nil", nil, 0); err == nil {
		t.Fatal("Set of nil into a Concurrent[int] succeeded")
	}
}

// TestConcurrentRace has readers, writers, deleters, touchers and a
// clearer on a store small enough to evict and large enough to grow its
// tables. Every value read must be the one written under its key, and the
// store must never hold more than its size.
func TestConcurrentRace(t *testing.T) {
	const size = 4096
	c := newConcurrent[string](t, size)
	ctx := context.Background()
	const pinned = 16
	for i := range pinned {
		_ = c.Store("pin"+strconv.Itoa(i), "pin"+strconv.Itoa(i)+"=v", 0)
	}
	var wg sync.WaitGroup
	stop := make(chan struct{})
	errs := make(chan error, 16)
	worker := func(id int, fn func(i int) error) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := fn(i); err != nil {
					errs <- fmt.Errorf("worker %d: %w", id, err)
					return
				}
			}
		}()
	}
	for w := range 4 {
		worker(w, func(i int) error {
			k := "k" + strconv.Itoa((i*7+w)%(3*size))
			return c.Store(k, k+"=v", time.Duration(i%3)*time.Hour)
		})
	}
	for w := range 4 {
		worker(10+w, func(i int) error {
			k := "k" + strconv.Itoa((i*13+w)%(3*size))
			if v, ok := c.Load(k); ok && v != k+"=v" {
				return fmt.Errorf("Load(%q) = %q", k, v)
			}
			// A pinned key may be evicted when its readers are not
			// scheduled for a while (that is CLOCK's promise:
			// TestConcurrentKeepsReadEntries): it is written back.
			p := "pin" + strconv.Itoa(i%pinned)
			if v, ok := c.Load(p); ok && v != p+"=v" {
				return fmt.Errorf("pinned Load(%q) = %q", p, v)
			} else if !ok {
				return c.Store(p, p+"=v", 0)
			}
			return nil
		})
	}
	worker(20, func(i int) error {
		k := "k" + strconv.Itoa(i%(3*size))
		_, _ = c.Remove(ctx, k)
		return c.Touch(ctx, "k"+strconv.Itoa((i+1)%(3*size)), time.Minute)
	})
	worker(21, func(i int) error {
		if i%100 == 0 {
			return c.Clear(ctx, "k1", nil)
		}
		if n := c.Len(); n > size {
			return fmt.Errorf("Len() = %d > %d", n, size)
		}
		return nil
	})
	time.Sleep(500 * time.Millisecond)
	close(stop)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
}

func TestConcurrentLoadAllocs(t *testing.T) {
	c := newConcurrent[string](t, 100)
	_ = c.Store("k", "v", 0)
	_ = c.Store("e", "v", time.Minute)
	if n := testing.AllocsPerRun(100, func() {
		_, _ = c.Load("k")
		_, _, _ = c.LoadWithTTL("e")
		_, _ = c.Load("missing")
	}); n != 0 {
		t.Fatalf("Load allocates %v times", n)
	}
}

// TestConcurrentExpiredEvictedFirstDefaultClock is
// TestConcurrentExpiredEvictedFirst on the default clock, whose sweep
// judges expiries by the coarse clock (ClockBefore): entries that expired
// a moment ago, well within the coarse clock's 50ms margin and before its
// reading may have caught up, are still seen as expired, and the first
// write takes their room, not a live entry's.
func TestConcurrentExpiredEvictedFirstDefaultClock(t *testing.T) {
	const size = 1000
	for round := range 20 {
		c := newConcurrent[int](t, size)
		for i := range 2 * size {
			_ = c.Store("old"+strconv.Itoa(i), i, time.Millisecond)
		}
		time.Sleep(time.Millisecond + time.Duration(round)*100*time.Microsecond)
		ev := c.Evictions()
		_ = c.Store("new", 1, 0)
		if n := c.Evictions() - ev; n != 0 {
			t.Fatalf("round %d: %d live entries evicted while only expired ones were held", round, n)
		}
	}
	c := newConcurrent[int](t, size)
	for i := range 2 * size {
		_ = c.Store("more"+strconv.Itoa(i), i, 0)
		if n := c.Len(); n > size {
			t.Fatalf("Len() = %d > %d", n, size)
		}
	}
}
