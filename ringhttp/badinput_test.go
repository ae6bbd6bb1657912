package ringhttp_test

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
	"github.com/ringcache/ring/ringhttp"
)

func TestNewErrors(t *testing.T) {
	_, err := ringhttp.New(nil, ringhttp.Options{MaxTTL: -1, MaxBody: -1}, ring.Expire(-1), ring.StaleWhileRevalidate(-1, time.Second), ring.StorageTimeout(-1))
	require.Error(t, err)
	for _, want := range []string{"ringhttp: nil handler", "ringhttp: negative MaxTTL -1ns", "ringhttp: negative MaxBody -1",
		"ringhttp: ring: Expire(-1ns): negative expiry", "ring: StaleWhileRevalidate(-1ns, 1s): the maximum staleness and the timeout must be positive",
		"ring: StorageTimeout(-1ns): negative timeout"} {
		assert.Contains(t, err.Error(), want)
	}
	_, err = ringhttp.New(http.NotFoundHandler(), ringhttp.Options{}, ring.LRU(10), ring.Preset(ring.Ignore(1), ring.KeyFunc(func(...any) string { return "" })),
		ring.BatchWindow(time.Millisecond, 10), ring.NegativeCache(time.Second), ring.TTLFunc(func(string, any) time.Duration { return 0 }), ring.Expire(time.Minute))
	require.Error(t, err)
	for _, want := range []string{
		"ringhttp: option Ignore does not apply to a page cache: a page's key is built from its request",
		"ringhttp: option KeyFunc does not apply to a page cache",
		"ringhttp: option BatchWindow does not apply to a page cache: pages render one request at a time",
		"ringhttp: option NegativeCache does not apply to a page cache",
		"ringhttp: option TTLFunc does not apply to a page cache: a page's lifetime comes from its response, or from Expire when it gives none",
	} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NotContains(t, err.Error(), "Expire(", "Expire applies")
	_, err = ringhttp.New(http.NotFoundHandler(), ringhttp.Options{}, ring.LRU(1), nil)
	require.EqualError(t, err, "ringhttp: ring option 2 is nil")
	// Every option of a ring that means something for pages is accepted.
	_, err = ringhttp.New(http.NotFoundHandler(), ringhttp.Options{}, ring.Preset(ring.LRU(10), ring.Coder("gob"), ring.KeyPrefix("p:")),
		ring.Expire(time.Minute), ring.ExpireJitter(0.1), ring.StorageTimeout(time.Second), ring.CircuitBreaker(3, time.Second),
		ring.OnError(func(ring.Event) {}), ring.StaleWhileRevalidate(time.Minute, time.Second), ring.StaleIfError(time.Hour),
		ring.Lease(time.Second), ring.RefreshAhead(30*time.Second, time.Second))
	require.NoError(t, err)
}

// raw sends one request line and header as bytes and returns the status
// line of the answer.
func raw(t *testing.T, addr, request string) string {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	require.NoError(t, conn.SetDeadline(time.Now().Add(5*time.Second)))
	_, err = conn.Write([]byte(request))
	require.NoError(t, err)
	line, err := bufio.NewReader(conn).ReadString('\n')
	require.NoError(t, err)
	return strings.TrimSpace(line)
}

func TestHostileInput(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := newSite(t, b, ringhttp.Options{}, page("max-age=60"))
		addr := strings.TrimPrefix(s.srv.URL, "http://")
		for _, path := range []string{"/../../etc/passwd", "/a%00b", "/a%0d%0aSet-Cookie:%20x", "/%e2%80%ae", "/" + strings.Repeat("long/", 2000), "/" + strings.Repeat("a", 199), "/q?" + strings.Repeat("k=v&", 1000) + "%ff"} {
			name := path
			if len(name) > 40 {
				name = name[:40]
			}
			t.Run(name, func(t *testing.T) {
				req := "GET " + path + " HTTP/1.1\r\nHost: " + addr + "\r\nConnection: close\r\n\r\n" // the host s.get names
				assert.Equal(t, "HTTP/1.1 200 OK", raw(t, addr, req))
				r := s.get(path)
				assert.Contains(t, r.cacheStatus(), "hit", "stored under a key the backend accepts")
				assert.Empty(t, r.header.Get("Set-Cookie"))
				key, err := s.h.Key(httptestRequest(path))
				require.NoError(t, err)
				assert.LessOrEqual(t, len(key)-len(s.h.Cache().Prefix()), 202, "keys are bounded")
			})
		}
		// What net/http refuses never reaches the cache.
		assert.Equal(t, "HTTP/1.1 400 Bad Request", raw(t, addr, "GET /%zz HTTP/1.1\r\nHost: x\r\n\r\n"))
		assert.Equal(t, "HTTP/1.1 431 Request Header Fields Too Large",
			raw(t, addr, "GET / HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("a", 2<<20)+"\r\n\r\n"))
		// A huge value of a field the response varies on is hashed into the key.
		v := newSite(t, b, ringhttp.Options{}, negotiated)
		huge := strings.Repeat("gzip, ", 50000)
		v.get("/v", "Accept-Encoding", huge)
		r := v.get("/v", "Accept-Encoding", huge)
		assert.Contains(t, r.cacheStatus(), "hit")
		assert.Equal(t, "GZIP-BODY", r.body)
	})
}

func TestCorruptEntryIsAMiss(t *testing.T) {
	var mu sync.Mutex
	var reported []error
	b := backendsUnderTest[0]
	s := newSite(t, b, ringhttp.Options{}, page("max-age=60"), onError(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err)
	}))
	s.get("/c")
	key, err := s.h.Key(httptestRequest("/c"))
	require.NoError(t, err)
	_, err = s.h.Cache().Set(t.Context(), strings.TrimPrefix(key, s.h.Cache().Prefix()), []byte("garbage"), ring.SetOptions{})
	require.NoError(t, err)
	r := s.get("/c")
	assert.Equal(t, "ring; fwd=uri-miss; stored", r.cacheStatus())
	assert.Contains(t, s.get("/c").cacheStatus(), "hit", "the bad spec was replaced")
	mu.Lock()
	defer mu.Unlock()
	require.NotEmpty(t, reported)
	assert.Contains(t, reported[0].Error(), "ringhttp: the vary spec of /c does not decode (a miss)")
}

func TestStorageDownFailsOpen(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close()) // nothing listens there now
	rdb := redis.NewClient(&redis.Options{Addr: addr, DialTimeout: 200 * time.Millisecond, MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	var mu sync.Mutex
	var reported []error
	down := backend{"down", func(t *testing.T) []ring.Option { return []ring.Option{ring.Storage(redisstore.New(rdb)), prefix(t)} }}
	s := newSite(t, down, ringhttp.Options{}, page("max-age=60"), onError(func(err error) {
		mu.Lock()
		defer mu.Unlock()
		reported = append(reported, err)
	}))
	for i := range 2 {
		r := s.get("/d")
		assert.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, fmt.Sprintf("render %d of /d", i+1), r.body)
		assert.Equal(t, "ring; fwd=miss; detail=storage", r.cacheStatus())
	}
	mu.Lock()
	defer mu.Unlock()
	require.Len(t, reported, 2)
	assert.True(t, strings.HasPrefix(reported[0].Error(), "ringhttp: read the vary spec of /d: "), reported[0].Error())
}

func TestFrozenStorageFailsOpenWithinTheTimeout(t *testing.T) {
	srv := servertest.StartRedis(t)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1,
		DialTimeout: time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
	t.Cleanup(func() { _ = rdb.Close() })
	var reported atomic.Int64
	frozen := backend{"frozen", func(t *testing.T) []ring.Option { return []ring.Option{ring.Storage(redisstore.New(rdb)), prefix(t)} }}
	s := newSite(t, frozen, ringhttp.Options{}, page("max-age=60"), onError(func(error) { reported.Add(1) }))
	s.get("/f")
	require.Contains(t, s.get("/f").cacheStatus(), "hit")
	srv.Pause()
	defer srv.Resume()
	start := time.Now()
	r := s.get("/f")
	took := time.Since(start)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "ring; fwd=miss; detail=storage", r.cacheStatus())
	assert.Less(t, took, time.Second, "bounded by the default storage timeout (100ms)")
	assert.Equal(t, int64(1), reported.Load())
}
