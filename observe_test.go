package ring_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
	"github.com/ringcache/ring/observe"
	"github.com/ringcache/ring/observe/slogobserve"
)

// secret marks the keys of these tests: no label may ever hold it.
const secret = "SECRETKEY"

type loadCtxKey struct{}
type opCtxKey struct{}

// recorder is an Observer that counts every event and checks what it is
// given: the context a Start method returns reaches its End, labels hold
// no key.
type recorder struct {
	mu        sync.Mutex
	requests  map[observe.Result]int
	loads     map[observe.LoadKind]int
	loadKeys  int
	loadErrs  int
	ops       map[string]int
	opErrs    int
	events    map[observe.EventKind]int
	lost      []string // Start contexts that did not reach End
	labels    []string // every Info field, op and event op seen
	eventKeys []string
	infos     map[*observe.Info]bool
}

func newRecorder() *recorder {
	return &recorder{requests: map[observe.Result]int{}, loads: map[observe.LoadKind]int{},
		ops: map[string]int{}, events: map[observe.EventKind]int{}, infos: map[*observe.Info]bool{}}
}

func (r *recorder) info(i *observe.Info) {
	if !r.infos[i] {
		r.infos[i] = true
		r.labels = append(r.labels, i.Ring, i.Backend, i.Tier)
	}
}

func (r *recorder) Request(_ context.Context, info *observe.Info, res observe.Result, n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.info(info)
	r.requests[res] += n
}

func (r *recorder) StartLoad(ctx context.Context, _ *observe.Info, kind observe.LoadKind) context.Context {
	return context.WithValue(ctx, loadCtxKey{}, kind)
}

func (r *recorder) EndLoad(ctx context.Context, info *observe.Info, l observe.Load) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.info(info)
	if k, ok := ctx.Value(loadCtxKey{}).(observe.LoadKind); !ok || k != l.Kind {
		r.lost = append(r.lost, "load "+l.Kind.String())
	}
	r.loads[l.Kind]++
	r.loadKeys += l.Keys
	if l.Err != nil {
		r.loadErrs++
	}
}

func (r *recorder) StartOp(ctx context.Context, _ *observe.Info, op observe.Op) context.Context {
	return context.WithValue(ctx, opCtxKey{}, op.Name)
}

func (r *recorder) EndOp(ctx context.Context, info *observe.Info, op observe.Op) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.info(info)
	if n, _ := ctx.Value(opCtxKey{}).(string); n != op.Name {
		r.lost = append(r.lost, "op "+op.Name)
	}
	r.ops[op.Name]++
	r.labels = append(r.labels, op.Name)
	if op.Err != nil {
		r.opErrs++
		r.labels = append(r.labels, op.Err.Error())
	}
}

func (r *recorder) Event(_ context.Context, info *observe.Info, ev observe.Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.info(info)
	r.events[ev.Kind] += ev.N
	r.labels = append(r.labels, ev.Op)
	if ev.Err != nil {
		r.labels = append(r.labels, ev.Err.Error()) // error texts hide the key too
	}
	if ev.Key != "" {
		r.eventKeys = append(r.eventKeys, ev.Key)
	}
}

func (r *recorder) req(res observe.Result) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.requests[res]
}

// check asserts that no label holds a key and that every Start context
// reached its End.
func (r *recorder) check(t *testing.T) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	require.Empty(t, r.lost, "Start contexts that did not reach End")
	for _, l := range r.labels {
		require.NotContains(t, l, secret, "a label holds a key")
	}
}

// agree asserts that the recorder and Stats saw the same requests, loads
// and events.
func (r *recorder) agree(t *testing.T, s observe.Snapshot) {
	t.Helper()
	r.mu.Lock()
	defer r.mu.Unlock()
	got := observe.Snapshot{
		Hits: uint64(r.requests[observe.Hit]), Misses: uint64(r.requests[observe.Miss]), Stale: uint64(r.requests[observe.Stale]),
		Negative: uint64(r.requests[observe.Negative]), Bypasses: uint64(r.requests[observe.Bypass]), Errors: uint64(r.requests[observe.Error]),
		Loads: uint64(r.loads[observe.LoadFill] + r.loads[observe.LoadRefresh] + r.loads[observe.LoadUpdate]), LoadErrors: uint64(r.loadErrs),
		Refreshes: uint64(r.loads[observe.LoadRefresh]), OpErrors: uint64(r.opErrs),
		Coalesced: uint64(r.events[observe.EventCoalesced]), FailOpens: uint64(r.events[observe.EventFailOpen]),
		DecodeErrors: uint64(r.events[observe.EventDecode]), BreakerOpens: uint64(r.events[observe.EventBreakerOpen]),
		LeaseWaits: uint64(r.events[observe.EventLeaseWait]), Evictions: uint64(r.events[observe.EventEviction]),
	}
	for _, n := range r.ops {
		got.Ops += uint64(n)
	}
	s.LoadTime = 0
	require.Equal(t, s, got, "the recorder and Stats disagree")
}

// counts is a Snapshot without its times, for exact comparisons.
func counts(s observe.Snapshot) observe.Snapshot {
	s.LoadTime = 0
	return s
}

// TestObserveInProcess: a scripted sequence on an LRU of two entries, with
// exact counts through an observer and through Stats.
func TestObserveInProcess(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder()
	errBoom := errors.New("boom")
	var seenLoad []any // what the function saw of the load's context
	var mu sync.Mutex
	r := ring.Must(ring.Func1(func(ctx context.Context, id int) (string, error) {
		mu.Lock()
		seenLoad = append(seenLoad, ctx.Value(loadCtxKey{}))
		mu.Unlock()
		if id < 0 {
			return "", errBoom
		}
		return fmt.Sprint("v", id), nil
	}, ring.LRU(2), ring.KeyPrefix(secret), ring.WithStats(), ring.Observe(rec)))
	require.Equal(t, observe.Snapshot{}, counts(r.Stats()))

	call := func(id int) {
		_, _ = r.Call(ctx, id)
	}
	call(1)                     // miss, fill
	call(1)                     // hit
	call(1)                     // hit
	call(2)                     // miss, fill
	call(3)                     // miss, fill, evicts 1 (the least recently used)
	_, ok, err := r.Get(ctx, 1) // miss
	require.NoError(t, err)
	require.False(t, ok)
	_, ok, _ = r.Get(ctx, 3) // hit
	require.True(t, ok)
	_, err = r.Call(ctx, -1) // miss, a failed fill
	require.ErrorIs(t, err, errBoom)
	_, err = r.Update(ctx, 2) // an update
	require.NoError(t, err)
	_, err = r.Many().GetOrUpdate(ctx, []int{2, 3, 4}) // 2 hits, 1 miss, fill, evicts
	require.NoError(t, err)

	want := observe.Snapshot{Hits: 5, Misses: 6, Loads: 6, LoadErrors: 1, Evictions: 2}
	require.Equal(t, want, counts(r.Stats()))
	require.Equal(t, 5, rec.loads[observe.LoadFill])
	require.Equal(t, 1, rec.loads[observe.LoadUpdate])
	require.Empty(t, rec.ops, "an in-process store reports no operations")
	rec.check(t)
	rec.agree(t, r.Stats())
	require.InDelta(t, 5.0/11, r.Stats().HitRatio(), 1e-9)
	require.Positive(t, r.Stats().AverageLoadTime())
	// The function ran with the context StartLoad returned.
	require.Equal(t, []any{observe.LoadFill, observe.LoadFill, observe.LoadFill, observe.LoadFill, observe.LoadUpdate, observe.LoadFill}, seenLoad)
	// Every view shares the counters.
	require.Equal(t, counts(r.Stats()), counts(r.Untyped().Stats()))
	require.Equal(t, counts(r.Stats()), counts(r.Cache().Stats()))
	// The labels.
	for i := range rec.infos {
		require.Equal(t, observe.Info{Ring: r.Untyped().Name(), Backend: "lru", Tier: observe.TierLocal}, *i)
	}
}

// TestObserveWithoutOptions: without WithStats, Stats is zero and no
// observer runs.
func TestObserveWithoutOptions(t *testing.T) {
	r := ring.Must(ring.Func1(func(ctx context.Context, id int) (int, error) { return id, nil }, ring.KeyPrefix("obs-none")))
	for range 3 {
		_, _ = r.Call(context.Background(), 1)
	}
	require.Equal(t, observe.Snapshot{}, r.Stats())
	require.Equal(t, 1.0, r.Stats().HitRatio())
}

// TestObserveNegativeBypassDecode: a cached "not found", a bypass through
// Choose, a stored value that no longer decodes.
func TestObserveNegativeBypassDecode(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder()
	dict := backends.NewDict()
	r := ring.Must(ring.Func1(func(ctx context.Context, id int) (int, error) {
		if id == 0 {
			return 0, ring.ErrNotFound
		}
		return id * 10, nil
	}, ring.Storage(dict), ring.Coder("json"), ring.KeyPrefix("obs-neg-"+secret), ring.NegativeCache(time.Minute),
		ring.Choose(func(ctx context.Context, key string, args []any) backends.Storage {
			if args[0].(int) == 99 {
				return nil // bypass
			}
			return dict
		}), ring.WithStats(), ring.Observe(rec)))

	_, err := r.Call(ctx, 0) // miss, fill: not found, cached
	require.ErrorIs(t, err, ring.ErrNotFound)
	_, err = r.Call(ctx, 0) // negative
	require.ErrorIs(t, err, ring.ErrNotFound)
	_, _, err = r.Get(ctx, 0) // negative
	require.ErrorIs(t, err, ring.ErrNotFound)
	v, err := r.Call(ctx, 99) // bypass
	require.NoError(t, err)
	require.Equal(t, 990, v)
	key, err := r.Key(5)
	require.NoError(t, err)
	require.NoError(t, dict.Set(ctx, key, []byte("{not json"), 0))
	v, err = r.Call(ctx, 5) // decode failure: a miss, fill
	require.NoError(t, err)
	require.Equal(t, 50, v)

	require.Equal(t, observe.Snapshot{Misses: 2, Negative: 2, Bypasses: 1, Loads: 2, LoadErrors: 1, DecodeErrors: 1}, counts(r.Stats()))
	require.Equal(t, []string{key}, rec.eventKeys, "the key is given in Event.Key only")
	rec.check(t)
	rec.agree(t, r.Stats())
}

// TestObserveStaleAndRefresh: a stale entry served while it is refreshed
// in the background; the explicit Refresh.
func TestObserveStaleAndRefresh(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder()
	clk := newClock()
	r := ring.Must(ring.Func1(func(ctx context.Context, id int) (int, error) { return id, nil },
		ring.Storage(backends.NewDict(backends.WithClock(clk.Now))), ring.KeyPrefix("obs-stale"),
		ring.Expire(time.Minute), ring.StaleWhileRevalidate(time.Hour, 5*time.Second), ring.WithStats(), ring.Observe(rec)))
	_, _ = r.Call(ctx, 1) // miss, fill
	_, _ = r.Call(ctx, 1) // hit
	clk.Add(2 * time.Minute)
	_, _ = r.Call(ctx, 1) // stale, refresh in the background
	ring.WaitRefreshesForTest(r.Cache())
	_, _ = r.Call(ctx, 1) // hit: refreshed
	require.NoError(t, r.Refresh(ctx, 1))
	ring.WaitRefreshesForTest(r.Cache())
	require.Equal(t, observe.Snapshot{Hits: 2, Misses: 1, Stale: 1, Loads: 3, Refreshes: 2}, counts(r.Stats()))
	rec.check(t)
	rec.agree(t, r.Stats())
}

// TestObserveCoalesced: 16 callers of one missing key; one load, 15
// coalesced.
func TestObserveCoalesced(t *testing.T) {
	rec := newRecorder()
	release := make(chan struct{})
	r := ring.Must(ring.Func1(func(ctx context.Context, id int) (int, error) {
		<-release
		return id, nil
	}, ring.KeyPrefix("obs-flight"), ring.WithStats(), ring.Observe(rec)))
	var wg sync.WaitGroup
	for range 16 {
		wg.Go(func() {
			v, err := r.Call(context.Background(), 7)
			require.NoError(t, err)
			require.Equal(t, 7, v)
		})
	}
	require.Eventually(t, func() bool { return rec.req(observe.Miss) == 16 }, 10*time.Second, time.Millisecond)
	time.Sleep(200 * time.Millisecond) // from the miss to joining the flight: a few instructions
	close(release)
	wg.Wait()
	require.Equal(t, observe.Snapshot{Misses: 16, Loads: 1, Coalesced: 15}, counts(r.Stats()))
	rec.check(t)
	rec.agree(t, r.Stats())
}

// TestObserveRedisOutage: a private Redis killed and restarted: remote
// operations, fail-open, the breaker opening and closing, exact counts.
func TestObserveRedisOutage(t *testing.T) {
	ctx := context.Background()
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	rec := newRecorder()
	var logs bytes.Buffer
	var logMu sync.Mutex
	logger := slog.New(slog.NewTextHandler(lockedWriter{&logs, &logMu}, nil))
	r := ring.Must(ring.Func1(func(ctx context.Context, id int) (int, error) { return id, nil },
		ring.Storage(redisstore.New(rdb)), ring.Coder("json"), ring.KeyPrefix(fmt.Sprintf("obs-%s-%s", runID, secret)),
		ring.StorageTimeout(2*time.Second), ring.CircuitBreaker(2, 300*time.Millisecond),
		ring.WithStats(), ring.Observe(rec), ring.Observe(slogobserve.New(logger, nil))))

	_, _ = r.Call(ctx, 1) // miss: get, fill (no get again inside the flight: no write since the get), set
	_, _ = r.Call(ctx, 1) // hit: get
	srv.Stop()
	_, _ = r.Call(ctx, 2) // get fails (error, fail-open), fill, set fails (fail-open): the breaker opens
	_, _ = r.Call(ctx, 3) // breaker open: get skipped (error), fill, set skipped
	srv.Restart()
	time.Sleep(400 * time.Millisecond) // the cool-down
	_, _ = r.Call(ctx, 4)              // the probe: get (miss) closes the breaker, fill (no get again), set

	require.Equal(t, observe.Snapshot{Hits: 1, Misses: 2, Errors: 2, Loads: 4, Ops: 7, OpErrors: 2, FailOpens: 2, BreakerOpens: 1},
		counts(r.Stats()))
	require.Equal(t, map[string]int{"get": 4, "set": 3}, rec.ops)
	require.Equal(t, 1, rec.events[observe.EventBreakerClosed])
	rec.check(t)
	rec.agree(t, r.Stats())
	for i := range rec.infos {
		require.Equal(t, "redis", i.Backend)
		require.Equal(t, observe.TierRemote, i.Tier)
	}
	logMu.Lock()
	out := logs.String()
	logMu.Unlock()
	require.Equal(t, 2, strings.Count(out, "level=WARN msg=\"ring: fail-open\""), out)
	require.Equal(t, 1, strings.Count(out, "level=WARN msg=\"ring: breaker open\""), out)
	require.Equal(t, 1, strings.Count(out, "level=INFO msg=\"ring: breaker closed\""), out)
	require.NotContains(t, out, secret, "a record holds a key without Options.Keys")
}

type lockedWriter struct {
	b  *bytes.Buffer
	mu *sync.Mutex
}

func (w lockedWriter) Write(p []byte) (int, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.b.Write(p)
}

// TestObserveLeaseWait: two rings on one Redis stand for two processes;
// the second waits for the first one's lease.
func TestObserveLeaseWait(t *testing.T) {
	ctx := context.Background()
	rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t)})
	t.Cleanup(func() { _ = rdb.Close() })
	prefix := fmt.Sprintf("obs-lease-%s-%d", runID, time.Now().UnixNano())
	started := make(chan struct{}, 1)
	mk := func(rec *recorder) *ring.Ring1[int, int] {
		return ring.Must(ring.Func1(func(ctx context.Context, id int) (int, error) {
			started <- struct{}{}
			time.Sleep(300 * time.Millisecond)
			return id, nil
		}, ring.Storage(redisstore.New(rdb)), ring.Coder("json"), ring.KeyPrefix(prefix), ring.Lease(5*time.Second),
			ring.StorageTimeout(2*time.Second), ring.WithStats(), ring.Observe(rec)))
	}
	recA, recB := newRecorder(), newRecorder()
	a, b := mk(recA), mk(recB)
	t.Cleanup(func() { _ = a.Delete(context.Background(), 1) })
	done := make(chan struct{})
	go func() {
		defer close(done)
		_, _ = a.Call(ctx, 1)
	}()
	<-started
	v, err := b.Call(ctx, 1) // waits for a's lease, then reads its value
	require.NoError(t, err)
	require.Equal(t, 1, v)
	<-done
	require.Equal(t, uint64(1), a.Stats().Loads)
	require.Equal(t, uint64(0), b.Stats().Loads)
	require.Equal(t, uint64(1), b.Stats().LeaseWaits)
	require.Equal(t, 1, len(recB.eventKeys))
	recB.check(t)
	recB.agree(t, b.Stats())
}

// TestObserveConcurrent: many goroutines on a small LRU; every request is
// counted once, and the observer and Stats agree (run with -race).
func TestObserveConcurrent(t *testing.T) {
	rec := newRecorder()
	r := ring.Must(ring.Func1(func(ctx context.Context, id int) (int, error) { return id, nil },
		ring.LRU(16), ring.KeyPrefix("obs-conc"), ring.WithStats(), ring.Observe(rec)))
	const workers, calls = 8, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			rnd := rand.New(rand.NewPCG(uint64(w), 1))
			for range calls {
				_, _ = r.Call(context.Background(), rnd.IntN(32))
			}
		})
	}
	wg.Wait()
	s := r.Stats()
	require.Equal(t, uint64(workers*calls), s.Hits+s.Misses)
	require.LessOrEqual(t, s.Loads+s.Coalesced, s.Misses)
	require.Positive(t, s.Evictions)
	rec.check(t)
	rec.agree(t, s)
}

// TestObserveNewCache: a Cache from NewCache reports its reads.
func TestObserveNewCache(t *testing.T) {
	ctx := context.Background()
	rec := newRecorder()
	c, err := ring.NewCache[string](ring.KeyPrefix("obs:"), ring.WithStats(), ring.Observe(rec))
	require.NoError(t, err)
	_, err = c.Set(ctx, "a", "x", ring.SetOptions{})
	require.NoError(t, err)
	_, _, _ = c.Get(ctx, "a")
	_, _, _ = c.Get(ctx, "b")
	_, _ = c.GetMany(ctx, "a", "b", "c")
	require.Equal(t, observe.Snapshot{Hits: 2, Misses: 3}, counts(c.Stats()))
	rec.agree(t, c.Stats())
	for i := range rec.infos {
		require.Equal(t, `cache "obs:"`, i.Ring)
	}
}
