package ringhttp_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
	"github.com/ringcache/ring/ringhttp"
)

// The defaults of a ring on a remote storage, which a Handler keeps:
// StorageTimeout(100ms), CircuitBreaker(5, 500ms).
const (
	storageTimeout  = 100 * time.Millisecond
	breakerFailures = 5
	breakerCoolDown = 500 * time.Millisecond
)

// errorLog collects what a Handler reports to OnError.
type errorLog struct {
	mu   sync.Mutex
	errs []error
}

func (l *errorLog) add(err error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.errs = append(l.errs, err)
}

// count returns how many errors were reported, and how many of them say
// that the breaker is open.
func (l *errorLog) count() (all, open int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, err := range l.errs {
		if errors.Is(err, ring.ErrStorageUnavailable) {
			open++
		}
	}
	return len(l.errs), open
}

// frozenRedis starts a private redis-server (the test may freeze it) and
// returns it with a client that stops each call at its context's deadline.
func frozenRedis(t *testing.T) (*servertest.Server, *redis.Client) {
	t.Helper()
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1,
		DialTimeout: time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	return srv, rdb
}

// slowPage renders a cacheable page in about d, and adds the time each
// render took to spent.
func slowPage(d time.Duration, spent *atomic.Int64) http.HandlerFunc {
	inner := page("max-age=60")
	return func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		time.Sleep(d)
		inner(w, r)
		spent.Add(int64(time.Since(start)))
	}
}

func TestBreakerDefaults(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	t.Cleanup(func() { _ = rdb.Close() })
	h, err := ringhttp.New(page(""), ringhttp.Options{}, ring.Storage(redisstore.New(rdb)))
	require.NoError(t, err)
	require.NotNil(t, h.Breaker())
	n, cd := h.Breaker().Policy()
	assert.Equal(t, breakerFailures, n, "as a ring's")
	assert.Equal(t, breakerCoolDown, cd, "as a ring's")
	assert.Same(t, backends.BreakerOf(h.Cache().Storage()), h.Breaker(), "the storage's own")

	h, err = ringhttp.New(page(""), ringhttp.Options{}, ring.Storage(redisstore.New(rdb)), ring.CircuitBreaker(0, 0))
	require.NoError(t, err)
	assert.Nil(t, h.Breaker(), "turned off")

	h, err = ringhttp.New(page(""), ringhttp.Options{}, ring.LRU(10))
	require.NoError(t, err)
	assert.Nil(t, h.Breaker(), "none in-process")

	h, err = ringhttp.New(page(""), ringhttp.Options{}, ring.LRU(10), ring.CircuitBreaker(2, time.Second))
	require.NoError(t, err)
	require.NotNil(t, h.Breaker(), "asked for")
	n, cd = h.Breaker().Policy()
	assert.Equal(t, 2, n)
	assert.Equal(t, time.Second, cd)

	_, err = ringhttp.New(page(""), ringhttp.Options{}, ring.LRU(10), ring.CircuitBreaker(2, -1))
	require.EqualError(t, err, "ringhttp: ring: CircuitBreaker(2, -1ns): want 0 failures (off), or 1 or more with a positive cool-down")
}

// TestBreakerPolicyShared: a handler on a storage whose breaker a ring set
// keeps the ring's policy by default, and refuses another one.
func TestBreakerPolicyShared(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1"}) // never dialled
	t.Cleanup(func() { _ = rdb.Close() })
	st := ring.Storage(redisstore.New(rdb))
	r, err := ring.New(func(ctx context.Context, k string) (string, error) { return k, nil },
		st, ring.KeyPrefix("r:"), ring.CircuitBreaker(3, time.Second))
	require.NoError(t, err)
	h, err := ringhttp.New(page(""), ringhttp.Options{}, st, ring.KeyPrefix("p:"))
	require.NoError(t, err)
	assert.Same(t, backends.BreakerOf(r.Storage()), h.Breaker())
	n, cd := h.Breaker().Policy()
	assert.Equal(t, 3, n)
	assert.Equal(t, time.Second, cd)
	_, err = ringhttp.New(page(""), ringhttp.Options{}, st, ring.KeyPrefix("p:"), ring.CircuitBreaker(3, time.Second))
	require.NoError(t, err, "the same policy")
	_, err = ringhttp.New(page(""), ringhttp.Options{}, st, ring.KeyPrefix("p:"), ring.CircuitBreaker(4, 500*time.Millisecond))
	require.ErrorContains(t, err, "ringhttp: CircuitBreaker(4, 500ms): storage redis already has a circuit breaker set to 3 failures and 1s")
}

// TestBreakerOpensOnFrozenStorage: a SIGSTOPped Redis costs the first 5
// requests StorageTimeout each; then the breaker opens and pages render at
// their own speed, until a probe after the cool-down finds the server back
// and the cached page is served again.
func TestBreakerOpensOnFrozenStorage(t *testing.T) {
	const render = 20 * time.Millisecond
	const coolDown = 2 * time.Second // longer than the 20 requests below, under -race
	srv, rdb := frozenRedis(t)
	var log errorLog
	frozen := backend{"frozen", func(t *testing.T) []ring.Option { return []ring.Option{ring.Storage(redisstore.New(rdb)), prefix(t)} }}
	var spent atomic.Int64
	s := newSite(t, frozen, ringhttp.Options{}, slowPage(render, &spent), onError(log.add), ring.CircuitBreaker(breakerFailures, coolDown))
	br := s.h.Breaker()
	require.NotNil(t, br)
	s.get("/f")
	require.Contains(t, s.get("/f").cacheStatus(), "hit")

	srv.Pause()
	defer srv.Resume()
	for i := range breakerFailures {
		start := time.Now()
		r := s.get("/f")
		took := time.Since(start)
		assert.Equal(t, "ring; fwd=miss; detail=storage", r.cacheStatus(), "request %d", i)
		assert.GreaterOrEqual(t, took, storageTimeout, "request %d waits for the storage", i)
	}
	assert.Equal(t, backends.BreakerOpen, br.State())
	all, open := log.count()
	assert.Equal(t, breakerFailures+1, all, "each failure, and the opening")
	assert.Equal(t, 1, open)

	const n = 20
	spent.Store(0)
	start := time.Now()
	for i := range n {
		r := s.get("/f")
		assert.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, "ring; fwd=miss; detail=breaker-open", r.cacheStatus(), "request %d", i)
	}
	took, rendering := time.Since(start), time.Duration(spent.Load())
	t.Logf("%d requests with the breaker open: %v, %v of it rendering (closed but frozen, each would wait %v more)", n, took, rendering, storageTimeout)
	assert.Less(t, took-rendering, 5*render, "at render speed: not %v more", n*storageTimeout)
	all, open = log.count()
	assert.Equal(t, breakerFailures+1, all, "the skipped steps are not reported")
	assert.Equal(t, 1, open, "the opening is reported once")

	// The sub-functions fail at once too.
	start = time.Now()
	_, _, err := s.h.Get(httptest.NewRequest(http.MethodGet, "/f", nil))
	assert.ErrorIs(t, err, ring.ErrStorageUnavailable)
	assert.Less(t, time.Since(start), storageTimeout)
	require.ErrorIs(t, s.h.DeletePath(context.Background(), "/f"), ring.ErrStorageUnavailable)
	// An unsafe method's expiry of its URL, skipped, is reported: the URL
	// was not expired.
	assert.Equal(t, "ring; fwd=method", s.do(http.MethodPost, "/f").cacheStatus())
	all, _ = log.count()
	assert.Equal(t, breakerFailures+2, all)

	srv.Resume()
	time.Sleep(time.Until(br.Since().Add(coolDown + 50*time.Millisecond)))
	r := s.get("/f")
	assert.Contains(t, r.cacheStatus(), "ring; hit", "the probe closed the breaker and the page was still stored")
	assert.Equal(t, backends.BreakerClosed, br.State())
	assert.Equal(t, "ring; hit; ttl=", s.get("/f").cacheStatus()[:len("ring; hit; ttl=")])
	all, _ = log.count()
	assert.Equal(t, breakerFailures+2, all)
}

// TestBreakerSharedWithARing: a ring on the same storage value opens the
// breaker; the handler then skips the storage without waiting once, and
// reports the opening.
func TestBreakerSharedWithARing(t *testing.T) {
	srv, rdb := frozenRedis(t)
	st := ring.Storage(redisstore.New(rdb)) // one option value: one breaker
	var calls atomic.Int64
	r, err := ring.New(func(ctx context.Context, k string) (string, error) { calls.Add(1); return "v" + k, nil },
		st, ring.KeyPrefix(runID+":ring:"))
	require.NoError(t, err)
	var log errorLog
	shared := backend{"shared", func(t *testing.T) []ring.Option { return []ring.Option{st, prefix(t)} }}
	s := newSite(t, shared, ringhttp.Options{}, page("max-age=60"), onError(log.add))
	require.Same(t, backends.BreakerOf(r.Storage()), s.h.Breaker())
	s.get("/s")
	require.Contains(t, s.get("/s").cacheStatus(), "hit")

	srv.Pause()
	defer srv.Resume()
	for i := range breakerFailures {
		v, err := r.Call(context.Background(), fmt.Sprint(i))
		require.NoError(t, err, "fail-open")
		require.Equal(t, fmt.Sprint("v", i), v)
	}
	require.Equal(t, backends.BreakerOpen, s.h.Breaker().State(), "the ring's failures opened it")
	start := time.Now()
	rep := s.get("/s")
	took := time.Since(start)
	assert.Equal(t, "ring; fwd=miss; detail=breaker-open", rep.cacheStatus())
	assert.Less(t, took, storageTimeout, "no wait for the storage")
	all, open := log.count()
	assert.Equal(t, 1, all, "only the opening")
	assert.Equal(t, 1, open)

	srv.Resume()
	time.Sleep(time.Until(s.h.Breaker().Since().Add(breakerCoolDown + 50*time.Millisecond)))
	assert.Contains(t, s.get("/s").cacheStatus(), "ring; hit")
	assert.Equal(t, backends.BreakerClosed, s.h.Breaker().State())

	// The other way round: the handler's failures open it for the ring.
	srv.Pause()
	for i := range breakerFailures {
		assert.Equal(t, "ring; fwd=miss; detail=storage", s.get("/s").cacheStatus(), "request %d", i)
	}
	require.Equal(t, backends.BreakerOpen, s.h.Breaker().State())
	start = time.Now()
	v, err := r.Call(context.Background(), "x")
	require.NoError(t, err)
	assert.Equal(t, "vx", v)
	assert.Less(t, time.Since(start), storageTimeout, "the ring skips the storage too")
	all, open = log.count()
	assert.Equal(t, 1+breakerFailures+1, all, "the first opening, 5 failures, the second opening")
	assert.Equal(t, 2, open)
}

// failing is an in-process storage whose every operation fails as if it
// could not be reached.
type failing struct{ calls atomic.Int64 }

var errDown = fmt.Errorf("failing: %w", syscall.ECONNREFUSED)

func (f *failing) Name() string { return "failing" }
func (f *failing) Bytes() bool  { return true }
func (f *failing) Raw() any     { return nil }
func (f *failing) Get(context.Context, string) (any, bool, error) {
	f.calls.Add(1)
	return nil, false, errDown
}
func (f *failing) Set(context.Context, string, any, time.Duration) error {
	f.calls.Add(1)
	return errDown
}
func (f *failing) Delete(context.Context, string) error { f.calls.Add(1); return errDown }

// TestBreakerNeverOpensInProcess: an in-process storage has no breaker by
// default, so every request tries it, however often it fails.
func TestBreakerNeverOpensInProcess(t *testing.T) {
	f := &failing{}
	require.False(t, backends.Remote(f))
	var log errorLog
	in := backend{"in-process", func(t *testing.T) []ring.Option { return []ring.Option{ring.Storage(f), prefix(t)} }}
	s := newSite(t, in, ringhttp.Options{}, page("max-age=60"), onError(log.add))
	require.Nil(t, s.h.Breaker())
	for range 3 * breakerFailures {
		assert.Equal(t, "ring; fwd=miss; detail=storage", s.get("/p").cacheStatus())
	}
	assert.Equal(t, int64(3*breakerFailures), f.calls.Load())
	all, open := log.count()
	assert.Equal(t, 3*breakerFailures, all)
	assert.Zero(t, open)
}

// TestBreakerClientCancelIsNoFailure: requests whose clients give up while
// the storage hangs are no verdict on the storage: the breaker stays
// closed.
func TestBreakerClientCancelIsNoFailure(t *testing.T) {
	srv, rdb := frozenRedis(t)
	h, err := ringhttp.New(page("max-age=60"), ringhttp.Options{},
		ring.Storage(redisstore.New(rdb)), ring.KeyPrefix(runID+":cancel:"), ring.StorageTimeout(5*time.Second))
	require.NoError(t, err)
	srv.Pause()
	defer srv.Resume()
	for i := range 2 * breakerFailures {
		// A client that leaves (its request's context cancelled), or a
		// request's own deadline that comes before StorageTimeout.
		var ctx context.Context
		var cancel context.CancelFunc
		if i%2 == 0 {
			ctx, cancel = context.WithCancel(context.Background())
		} else {
			ctx, cancel = context.WithTimeout(context.Background(), 20*time.Millisecond)
		}
		stop := time.AfterFunc(20*time.Millisecond, cancel)
		_, _, err := h.Get(httptest.NewRequest(http.MethodGet, "/c", nil).WithContext(ctx))
		stop.Stop()
		require.Error(t, err)
		require.Equal(t, backends.BreakerClosed, h.Breaker().State(), "request %d: %v", i, err)
		cancel()
	}
	assert.Equal(t, backends.BreakerClosed, h.Breaker().State())
}

// TestBreakerPerClusterNode: on a Redis Cluster each master has its own
// breaker, as a ring's: a frozen master opens its own, while the pages
// whose keys live on the other masters are still served from the cache.
func TestBreakerPerClusterNode(t *testing.T) {
	// A long node timeout: the other masters must not declare the cluster
	// down while one is frozen.
	c := servertest.StartRedisCluster(t, servertest.ClusterOptions{Masters: 3, NodeTimeout: time.Minute})
	rdb := redis.NewClusterClient(&redis.ClusterOptions{Addrs: c.Addrs(), ContextTimeoutEnabled: true, MaxRetries: -1,
		DialTimeout: time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	ctx := context.Background()
	require.NoError(t, rdb.ForEachShard(ctx, func(ctx context.Context, n *redis.Client) error { return n.Ping(ctx).Err() }))
	var log errorLog
	cluster := backend{"cluster", func(t *testing.T) []ring.Option {
		return []ring.Option{ring.Storage(redisstore.New(rdb)), ring.KeyPrefix(runID + ":node:")}
	}}
	s := newSite(t, cluster, ringhttp.Options{}, page("max-age=60"), onError(log.add), ring.CircuitBreaker(breakerFailures, time.Minute))

	// A page, cached; its keys (the vary spec and the entry) live on at
	// most two masters: freeze another one.
	s.get("/ok")
	require.Contains(t, s.get("/ok").cacheStatus(), "hit")
	var mu sync.Mutex // ForEachMaster runs fn on every master at once
	holds := map[string]bool{}
	require.NoError(t, rdb.ForEachMaster(ctx, func(ctx context.Context, n *redis.Client) error {
		keys, err := n.Keys(ctx, runID+":node:*").Result()
		mu.Lock()
		defer mu.Unlock()
		if len(keys) > 0 {
			holds[n.Options().Addr] = true
		}
		return err
	}))
	var frozen *servertest.Server
	for _, m := range c.Masters() {
		if !holds[m.Addr()] {
			frozen = m
		}
	}
	require.NotNil(t, frozen)
	// A path whose vary spec lives on the frozen master.
	bad := ""
	for i := 0; bad == ""; i++ {
		p := fmt.Sprintf("/bad%d", i)
		key, err := s.h.Key(httptest.NewRequest(http.MethodGet, p, nil))
		require.NoError(t, err)
		m, err := rdb.MasterForKey(ctx, key)
		require.NoError(t, err)
		if m.Options().Addr == frozen.Addr() {
			bad = p
		}
	}

	frozen.Pause()
	defer frozen.Resume()
	for i := range breakerFailures {
		assert.Equal(t, "ring; fwd=miss; detail=storage", s.get(bad).cacheStatus(), "request %d", i)
	}
	start := time.Now()
	assert.Equal(t, "ring; fwd=miss; detail=breaker-open", s.get(bad).cacheStatus())
	assert.Contains(t, s.get("/ok").cacheStatus(), "ring; hit", "the other masters still serve")
	assert.Less(t, time.Since(start), storageTimeout)
	assert.Equal(t, backends.BreakerClosed, s.h.Breaker().State(), "the storage's own breaker")
	all, open := log.count()
	assert.Equal(t, breakerFailures+1, all)
	assert.Equal(t, 1, open)
	log.mu.Lock()
	defer log.mu.Unlock()
	for _, err := range log.errs {
		if errors.Is(err, ring.ErrStorageUnavailable) {
			assert.Contains(t, err.Error(), "ringhttp: storage redis: node "+frozen.Addr()+": circuit breaker open after 5 consecutive failures")
		}
	}
}
