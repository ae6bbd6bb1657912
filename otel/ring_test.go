package ringotel_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/ringcache/ring"
	ringotel "github.com/ringcache/ring/otel"
)

// userName is the cached function of the ring tests: a negative id fails;
// id 7 waits for gate (to hold a load open while callers join it).
type users struct {
	gate chan struct{}
}

func (u *users) name(ctx context.Context, id int) (string, error) {
	if id < 0 {
		return "", fmt.Errorf("no user %d", id)
	}
	if id == 7 {
		<-u.gate
	}
	return fmt.Sprintf("user%d", id), nil
}

// waitFor polls the harness until series reaches want (up to 10 s).
func (h *harness) waitFor(t testing.TB, series string, want int64) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, _ := h.collect(t)
		if got[series] == want {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s = %d after 10 s, want %d", series, got[series], want)
		}
		time.Sleep(time.Millisecond)
	}
}

// TestRingLRU runs a scripted sequence on an LRU ring (hits, misses, a
// failing load, five callers of one key coalesced into one load) and
// checks the exact series and spans.
func TestRingLRU(t *testing.T) {
	h := newHarness(t)
	o := newObserver(t, ringotel.WithMeterProvider(h.mp), ringotel.WithTracerProvider(h.tp))
	u := &users{gate: make(chan struct{})}
	r := ring.Must(ring.Func1(func(ctx context.Context, id int) (string, error) { return u.name(ctx, id) },
		ring.KeyPrefix("users"), ring.LRU(100), ring.Observe(o)))
	name := r.Untyped().Name()
	ctx, caller := h.tp.Tracer("test").Start(context.Background(), "handler")

	for _, id := range []int{1, 1, 1, 2, -1, -1} {
		_, err := r.Call(ctx, id)
		if (err != nil) != (id < 0) {
			t.Fatalf("Call(%d): %v", id, err)
		}
	}
	l := "cache.backend=lru,cache.name=" + name + ",cache.tier=local"
	miss := "cache.gets{" + l + ",cache.result=miss}"
	h.waitFor(t, normalizeKey(miss), 4)

	var wg sync.WaitGroup
	for range 5 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if v, err := r.Call(ctx, 7); err != nil || v != "user7" {
				t.Errorf("Call(7) = %q, %v", v, err)
			}
		}()
	}
	h.waitFor(t, normalizeKey(miss), 9) // every caller missed...
	time.Sleep(50 * time.Millisecond)   // ...and joined the flight
	close(u.gate)
	wg.Wait()
	caller.End()

	got, _ := h.collect(t)
	wantSeries(t, got, map[string]int64{
		"cache.gets{" + l + ",cache.result=hit}": 2,
		miss:                                     9,
		"cache.load.duration{" + l + ",cache.load.kind=fill,cache.load.outcome=success} count": 3,
		"cache.load.duration{" + l + ",cache.load.kind=fill,cache.load.outcome=error} count":   2,
		"cache.coalesced{" + l + "}": 4,
	})

	// One span per load (1, 2, -1 twice, 7 once), each a child of the
	// caller's; the failed ones with an error status. A hit has none.
	var loads, failed int
	for _, s := range h.spans.Ended() {
		if s.Name() == "handler" {
			continue
		}
		if s.Name() != ringotel.SpanLoad {
			t.Errorf("unexpected span %q", s.Name())
			continue
		}
		loads++
		if s.Parent().SpanID() != caller.SpanContext().SpanID() {
			t.Errorf("load span's parent is %s, want the caller's %s", s.Parent().SpanID(), caller.SpanContext().SpanID())
		}
		if s.Status().Code.String() == "Error" {
			failed++
		}
	}
	if loads != 5 || failed != 2 {
		t.Errorf("%d load spans (%d failed), want 5 (2 failed)", loads, failed)
	}
}

// normalizeKey sorts the attributes of one series name.
func normalizeKey(k string) string {
	for k2 := range normalize(map[string]int64{k: 0}) {
		return k2
	}
	return k
}

// TestRingEvictionsAndRefresh: an LRU of two entries evicts one for a
// third key; the Refresh sub-function reloads an entry in the background,
// recorded as a load of kind refresh and a refresh.
func TestRingEvictionsAndRefresh(t *testing.T) {
	h := newHarness(t)
	o := newObserver(t, ringotel.WithMeterProvider(h.mp), ringotel.WithTracerProvider(h.tp))
	u := &users{gate: make(chan struct{})}
	r := ring.Must(ring.Func1(func(ctx context.Context, id int) (string, error) { return u.name(ctx, id) },
		ring.KeyPrefix("users"), ring.LRU(2), ring.Observe(o)))
	ctx := context.Background()
	for _, id := range []int{1, 2, 3} {
		if _, err := r.Call(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Refresh(ctx, 3); err != nil {
		t.Fatal(err)
	}
	l := "cache.backend=lru,cache.name=" + r.Untyped().Name() + ",cache.tier=local"
	h.waitFor(t, normalizeKey("cache.refreshes{"+l+",cache.load.outcome=success}"), 1)
	got, _ := h.collect(t)
	wantSeries(t, got, map[string]int64{
		"cache.gets{" + l + ",cache.result=miss}":                                                 3,
		"cache.evictions{" + l + ",cache.eviction.reason=size}":                                   1,
		"cache.load.duration{" + l + ",cache.load.kind=fill,cache.load.outcome=success} count":    3,
		"cache.load.duration{" + l + ",cache.load.kind=refresh,cache.load.outcome=success} count": 1,
		"cache.refreshes{" + l + ",cache.load.outcome=success}":                                   1,
	})
}
