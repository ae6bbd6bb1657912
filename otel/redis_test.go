package ringotel_test

import (
	"context"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
	ringotel "github.com/ringcache/ring/otel"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// redisRing is a ring of users.name on rdb, observed by o.
func redisRing(t testing.TB, rdb redis.UniversalClient, o *ringotel.Observer, opts ...ring.Option) *ring.Ring1[int, string] {
	u := &users{gate: make(chan struct{})}
	close(u.gate)
	prefix := fmt.Sprintf("ringotel-test:%s:%d", t.Name(), time.Now().UnixNano())
	opts = append([]ring.Option{ring.Storage(redisstore.New(rdb)), ring.Coder("json"), ring.KeyPrefix(prefix),
		ring.Expire(time.Minute), ring.Observe(o)}, opts...)
	return ring.Must(ring.Func1(func(ctx context.Context, id int) (string, error) { return u.name(ctx, id) }, opts...))
}

func newRedis(t testing.TB, addr string) *redis.Client {
	rdb := redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	return rdb
}

// TestRingRedis runs a miss, a hit and a failing load on the shared Redis
// and checks the exact series, and that every span is a child of the
// caller's: the reads and the write of a fill, and its load.
func TestRingRedis(t *testing.T) {
	h := newHarness(t)
	o := newObserver(t, ringotel.WithMeterProvider(h.mp), ringotel.WithTracerProvider(h.tp))
	r := redisRing(t, newRedis(t, servertest.RedisAddr(t)), o)
	name := r.Untyped().Name()
	ctx, caller := h.tp.Tracer("test").Start(context.Background(), "handler")
	for _, id := range []int{1, 1, -1} {
		if _, err := r.Call(ctx, id); (err != nil) != (id < 0) {
			t.Fatalf("Call(%d): %v", id, err)
		}
	}
	caller.End()

	got, _ := h.collect(t)
	l := "cache.backend=redis,cache.name=" + name + ",cache.tier=remote"
	wantSeries(t, got, map[string]int64{
		"cache.gets{" + l + ",cache.result=hit}":  1,
		"cache.gets{" + l + ",cache.result=miss}": 2,
		// Each miss reads once (on a server's storage the flight reads
		// again only after a write of the key's stripe); the fill of 1
		// writes once.
		"cache.operation.duration{" + l + ",cache.operation=get} count":                        3,
		"cache.operation.duration{" + l + ",cache.operation=set} count":                        1,
		"cache.load.duration{" + l + ",cache.load.kind=fill,cache.load.outcome=success} count": 1,
		"cache.load.duration{" + l + ",cache.load.kind=fill,cache.load.outcome=error} count":   1,
	})

	count := map[string]int{}
	var hits, misses int
	for _, s := range h.spans.Ended() {
		count[s.Name()]++
		if s.Name() == "handler" {
			continue
		}
		if s.Parent().SpanID() != caller.SpanContext().SpanID() {
			t.Errorf("span %s: parent %s, want the caller's %s", s.Name(), s.Parent().SpanID(), caller.SpanContext().SpanID())
		}
		if s.Name() == "ring.get" {
			for _, kv := range s.Attributes() {
				if kv.Key == ringotel.AttrHit {
					if kv.Value.AsBool() {
						hits++
					} else {
						misses++
					}
				}
			}
		}
		if s.Name() == ringotel.SpanLoad && s.Status().Code == codes.Error && len(s.Events()) != 1 {
			t.Errorf("failed load span: %d events, want the error's", len(s.Events()))
		}
	}
	if want := map[string]int{"handler": 1, "ring.get": 3, "ring.set": 1, "ring.load": 2}; fmt.Sprint(count) != fmt.Sprint(want) {
		t.Errorf("spans %v, want %v", count, want)
	}
	if hits != 1 || misses != 2 {
		t.Errorf("ring.get spans: %d with cache.hit=true, %d false; want 1 and 2", hits, misses)
	}
}

// closedPort returns a loopback address nothing listens on.
func closedPort(t testing.TB) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	return addr
}

// TestRingRedisFailOpen: a Redis that refuses connections. The first
// Call fails to read and to write (two absorbed failures, which open a
// breaker set to two), the second finds the breaker open and does not
// try; both return the function's result.
func TestRingRedisFailOpen(t *testing.T) {
	h := newHarness(t)
	o := newObserver(t, ringotel.WithMeterProvider(h.mp), ringotel.WithTracerProvider(h.tp))
	// One dial, no retry: the refusal is the error, not the timeout.
	rdb := redis.NewClient(&redis.Options{Addr: closedPort(t), MaxRetries: -1, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	r := redisRing(t, rdb, o, ring.CircuitBreaker(2, time.Minute), ring.StorageTimeout(5*time.Second))
	name := r.Untyped().Name()
	for range 2 {
		if v, err := r.Call(context.Background(), 3); err != nil || v != "user3" {
			t.Fatalf("Call = %q, %v", v, err)
		}
	}
	got, _ := h.collect(t)
	l := "cache.backend=redis,cache.name=" + name + ",cache.tier=remote"
	wantSeries(t, got, map[string]int64{
		"cache.gets{" + l + ",cache.result=error}":                                             2,
		"cache.operation.duration{" + l + ",cache.operation=get,error.type=_OTHER} count":      1,
		"cache.operation.duration{" + l + ",cache.operation=set,error.type=_OTHER} count":      1,
		"cache.fail_open{" + l + ",cache.operation=get}":                                       1,
		"cache.fail_open{" + l + ",cache.operation=set}":                                       1,
		"cache.breaker.transitions{" + l + ",cache.breaker.state=open}":                        1,
		"cache.load.duration{" + l + ",cache.load.kind=fill,cache.load.outcome=success} count": 2,
	})
	failed := 0
	for _, s := range h.spans.Ended() {
		if s.Status().Code == codes.Error {
			failed++
		}
	}
	if failed != 2 {
		t.Errorf("%d spans with an error status, want 2 (the get and the set)", failed)
	}
	noKeyInSpans(t, h, "ringotel-test:")
}

// TestRingRedisFrozen: a private Redis frozen (SIGSTOP) answers nothing;
// the ring's 50 ms storage timeout ends the read and the write, which are
// recorded with error.type=timeout and absorbed.
func TestRingRedisFrozen(t *testing.T) {
	srv := servertest.StartRedis(t)
	h := newHarness(t)
	o := newObserver(t, ringotel.WithMeterProvider(h.mp), ringotel.WithTracerProvider(h.tp))
	r := redisRing(t, newRedis(t, srv.Addr()), o, ring.StorageTimeout(50*time.Millisecond), ring.CircuitBreaker(100, time.Minute))
	name := r.Untyped().Name()
	if _, err := r.Call(context.Background(), 1); err != nil { // connects, fills
		t.Fatal(err)
	}
	h.collect(t)
	srv.Pause()
	t.Cleanup(srv.Resume)
	start := time.Now()
	if v, err := r.Call(context.Background(), 2); err != nil || v != "user2" {
		t.Fatalf("Call = %q, %v", v, err)
	}
	took := time.Since(start)
	got, rm := h.collect(t)
	l := "cache.backend=redis,cache.name=" + name + ",cache.tier=remote"
	wantSeries(t, got, map[string]int64{
		"cache.gets{" + l + ",cache.result=miss}":  1,
		"cache.gets{" + l + ",cache.result=error}": 1,
		// The read of Call(1)'s miss before the freeze (one: nothing was
		// written since it, so the flight does not read again).
		"cache.operation.duration{" + l + ",cache.operation=get} count":                        1,
		"cache.operation.duration{" + l + ",cache.operation=set} count":                        1,
		"cache.operation.duration{" + l + ",cache.operation=get,error.type=timeout} count":     1,
		"cache.operation.duration{" + l + ",cache.operation=set,error.type=timeout} count":     1,
		"cache.fail_open{" + l + ",cache.operation=get}":                                       1,
		"cache.fail_open{" + l + ",cache.operation=set}":                                       1,
		"cache.load.duration{" + l + ",cache.load.kind=fill,cache.load.outcome=success} count": 2,
	})
	// The timed-out operations took the timeout, not the Call's time.
	sum, n := histogramSum(t, rm, ringotel.MetricOperationDuration, "timeout")
	if n != 2 || sum < 0.1 || sum > took.Seconds() {
		t.Errorf("timed-out operations: %d, %.3f s in all (the Call took %v)", n, sum, took)
	}
	noKeyInSpans(t, h, "ringotel-test:")
}

// TestNestedRingSpans: a ring whose function calls another ring (an LRU
// in front of a Redis-backed one). The inner ring's operations and load
// run inside the outer load: their spans are the outer load's children,
// which is the caller's child.
func TestNestedRingSpans(t *testing.T) {
	h := newHarness(t)
	o := newObserver(t, ringotel.WithMeterProvider(h.mp), ringotel.WithTracerProvider(h.tp))
	inner := redisRing(t, newRedis(t, servertest.RedisAddr(t)), o)
	outer := ring.Must(ring.Func1(func(ctx context.Context, id int) (string, error) {
		v, err := inner.Call(ctx, id)
		return "outer:" + v, err
	}, ring.KeyPrefix("outer"), ring.LRU(10), ring.Observe(o)))
	ctx, caller := h.tp.Tracer("test").Start(context.Background(), "handler")
	if v, err := outer.Call(ctx, 5); err != nil || v != "outer:user5" {
		t.Fatalf("Call = %q, %v", v, err)
	}
	caller.End()

	var outerLoad sdktrace.ReadOnlySpan
	for _, s := range h.spans.Ended() {
		if s.Name() == ringotel.SpanLoad && attr(s, ringotel.AttrBackend) == "lru" {
			outerLoad = s
		}
	}
	if outerLoad == nil {
		t.Fatal("no load span of the outer ring")
	}
	if outerLoad.Parent().SpanID() != caller.SpanContext().SpanID() {
		t.Errorf("outer load: parent %s, want the caller's", outerLoad.Parent().SpanID())
	}
	n := 0
	for _, s := range h.spans.Ended() {
		if attr(s, ringotel.AttrBackend) != "redis" {
			continue
		}
		n++
		if s.Parent().SpanID() != outerLoad.SpanContext().SpanID() {
			t.Errorf("inner %s: parent %s, want the outer load %s", s.Name(), s.Parent().SpanID(), outerLoad.SpanContext().SpanID())
		}
		if s.SpanContext().TraceID() != caller.SpanContext().TraceID() {
			t.Errorf("inner %s: another trace", s.Name())
		}
	}
	if n != 3 { // get, load, set (no read again in the flight: no write since the first)
		t.Errorf("%d spans of the inner ring, want 3", n)
	}
}

// attr returns the value of a span's string attribute key.
func attr(s sdktrace.ReadOnlySpan, key string) string {
	for _, kv := range s.Attributes() {
		if string(kv.Key) == key {
			return kv.Value.String()
		}
	}
	return ""
}

// TestRingRedisBulk: a bulk Get of three keys, one of them stored, is one
// "get many" round trip (span ring.get_many with cache.keys=3) and three
// requests: one hit, two misses.
func TestRingRedisBulk(t *testing.T) {
	h := newHarness(t)
	o := newObserver(t, ringotel.WithMeterProvider(h.mp), ringotel.WithTracerProvider(h.tp))
	r := redisRing(t, newRedis(t, servertest.RedisAddr(t)), o)
	ctx := context.Background()
	if err := r.Set(ctx, "stored", 1); err != nil {
		t.Fatal(err)
	}
	h.spans.Reset()
	_, found, err := r.Many().Get(ctx, []int{1, 2, 3})
	if err != nil || fmt.Sprint(found) != "[true false false]" {
		t.Fatalf("Get = %v, %v", found, err)
	}
	got, _ := h.collect(t)
	l := "cache.backend=redis,cache.name=" + r.Untyped().Name() + ",cache.tier=remote"
	wantSeries(t, got, map[string]int64{
		"cache.gets{" + l + ",cache.result=hit}":                             1,
		"cache.gets{" + l + ",cache.result=miss}":                            2,
		"cache.operation.duration{" + l + ",cache.operation=set} count":      1,
		"cache.operation.duration{" + l + ",cache.operation=get_many} count": 1,
	})
	spans := h.spans.Ended()
	if len(spans) != 1 || spans[0].Name() != "ring.get_many" || attr(spans[0], ringotel.AttrKeys) != "3" {
		t.Fatalf("spans %v, want one ring.get_many with cache.keys=3", spans)
	}
}

// TestRingRedisCoalesced: five callers of one key on the shared Redis
// while its load is held open: five misses, one load, four callers
// coalesced, one write; every span a child of its own caller's.
func TestRingRedisCoalesced(t *testing.T) {
	h := newHarness(t)
	o := newObserver(t, ringotel.WithMeterProvider(h.mp), ringotel.WithTracerProvider(h.tp))
	u := &users{gate: make(chan struct{})}
	prefix := fmt.Sprintf("ringotel-test:%s:%d", t.Name(), time.Now().UnixNano())
	r := ring.Must(ring.Func1(func(ctx context.Context, id int) (string, error) { return u.name(ctx, id) },
		ring.Storage(redisstore.New(newRedis(t, servertest.RedisAddr(t)))), ring.Coder("json"), ring.KeyPrefix(prefix),
		ring.Expire(time.Minute), ring.Observe(o)))
	l := "cache.backend=redis,cache.name=" + r.Untyped().Name() + ",cache.tier=remote"
	miss := "cache.gets{" + l + ",cache.result=miss}"
	done := make(chan error, 5)
	for range 5 {
		go func() {
			ctx, span := h.tp.Tracer("test").Start(context.Background(), "handler")
			defer span.End()
			v, err := r.Call(ctx, 7)
			if err == nil && v != "user7" {
				err = fmt.Errorf("Call(7) = %q", v)
			}
			done <- err
		}()
	}
	h.waitFor(t, normalizeKey(miss), 5) // every caller missed...
	time.Sleep(50 * time.Millisecond)   // ...and joined the flight
	close(u.gate)
	for range 5 {
		if err := <-done; err != nil {
			t.Error(err)
		}
	}
	got, _ := h.collect(t)
	wantSeries(t, got, map[string]int64{
		miss:                         5,
		"cache.coalesced{" + l + "}": 4,
		// Five reads before the flight, none inside it (no write of the
		// key's stripe since the leader's read); one write.
		"cache.operation.duration{" + l + ",cache.operation=get} count":                        5,
		"cache.operation.duration{" + l + ",cache.operation=set} count":                        1,
		"cache.load.duration{" + l + ",cache.load.kind=fill,cache.load.outcome=success} count": 1,
	})
	handlers := map[string]bool{}
	for _, s := range h.spans.Ended() {
		if s.Name() == "handler" {
			handlers[s.SpanContext().SpanID().String()] = true
		}
	}
	for _, s := range h.spans.Ended() {
		if s.Name() != "handler" && !handlers[s.Parent().SpanID().String()] {
			t.Errorf("span %s: parent %s is no caller's", s.Name(), s.Parent().SpanID())
		}
	}
}
