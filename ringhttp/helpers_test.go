package ringhttp_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
	"github.com/ringcache/ring/ringhttp"
)

// runID keeps the keys of one run apart on the shared servers.
var runID = fmt.Sprintf("run%d", time.Now().UnixNano())

// backend names a storage and returns its ring options for one test.
type backend struct {
	name string
	opts func(t *testing.T) []ring.Option
}

func prefix(t *testing.T) ring.Option {
	return ring.KeyPrefix("ringhttp-test:" + runID + ":" + strings.ReplaceAll(t.Name(), "/", ":") + ":")
}

var backendsUnderTest = []backend{
	{"lru", func(t *testing.T) []ring.Option { return []ring.Option{ring.LRU(1000), prefix(t)} }},
	{"redis", func(t *testing.T) []ring.Option {
		rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t)})
		t.Cleanup(func() { _ = rdb.Close() })
		return []ring.Option{ring.Storage(redisstore.New(rdb)), prefix(t)}
	}},
	{"memcached", func(t *testing.T) []ring.Option {
		mc := memcache.New(servertest.MemcacheAddrs(t)...)
		t.Cleanup(func() { _ = mc.Close() })
		return []ring.Option{ring.Storage(memcachestore.New(mc)), prefix(t)}
	}},
}

// eachBackend runs fn on every storage.
func eachBackend(t *testing.T, fn func(t *testing.T, b backend)) {
	for _, b := range backendsUnderTest {
		t.Run(b.name, func(t *testing.T) { fn(t, b) })
	}
}

// onError is ring.OnError for a test that reads the events' errors.
func onError(fn func(error)) ring.Option {
	return ring.OnError(func(ev ring.Event) { fn(ev.Err) })
}

// site is a real server with the cache in front of a handler that counts
// its renders.
type site struct {
	t       *testing.T
	h       *ringhttp.Handler
	srv     *httptest.Server
	client  *http.Client
	renders atomic.Int64
}

// newSite builds the site on b's storage, with opts and ringOpts (after
// b's own ring options).
func newSite(t *testing.T, b backend, opts ringhttp.Options, fn http.HandlerFunc, ringOpts ...ring.Option) *site {
	t.Helper()
	s := &site{t: t}
	all := b.opts(t)
	if b.name == "redis" || b.name == "memcached" {
		// These tests check the rules, not timeouts: the default 100ms
		// expires under -race on a loaded machine with shared servers
		// (TestFrozenStorageFailsOpenWithinTheTimeout checks the default).
		// A test's own StorageTimeout comes later and wins.
		all = append(all, ring.StorageTimeout(2*time.Second))
	}
	all = append(all, ringOpts...)
	inner := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renders.Add(1)
		fn(w, r)
	})
	h, err := ringhttp.New(inner, opts, all...)
	require.NoError(t, err)
	s.h = h
	s.srv = httptest.NewServer(h)
	tr := &http.Transport{DisableCompression: true, MaxIdleConnsPerHost: 64}
	s.client = &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	t.Cleanup(func() {
		tr.CloseIdleConnections()
		s.srv.Close()
	})
	return s
}

// reply is one response as the client read it.
type reply struct {
	status int
	header http.Header
	body   string
}

func (r reply) cacheStatus() string { return r.header.Get("Cache-Status") }

func (s *site) do(method, path string, header ...string) reply {
	s.t.Helper()
	req, err := http.NewRequest(method, s.srv.URL+path, nil)
	require.NoError(s.t, err)
	for i := 0; i+1 < len(header); i += 2 {
		if header[i] == "Host" { // the client sends req.Host, not a Host field
			req.Host = header[i+1]
			continue
		}
		req.Header.Add(header[i], header[i+1])
	}
	resp, err := s.client.Do(req)
	require.NoError(s.t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(s.t, err)
	return reply{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

func (s *site) get(path string, header ...string) reply {
	s.t.Helper()
	return s.do(http.MethodGet, path, header...)
}
