package ringhttp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/bradfitz/gomemcache/memcache"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/memcachestore"
	"github.com/ringcache/ring/backends/redisstore"
	_ "github.com/ringcache/ring/coders/compression" // zstd for TestCoderAndCompression
	"github.com/ringcache/ring/internal/servertest"
	"github.com/ringcache/ring/ringhttp"
)

// eventLog collects the events a Handler reports to OnError.
type eventLog struct {
	mu  sync.Mutex
	evs []ring.Event
}

func (l *eventLog) option() ring.Option {
	return ring.OnError(func(ev ring.Event) {
		l.mu.Lock()
		defer l.mu.Unlock()
		l.evs = append(l.evs, ev)
	})
}

func (l *eventLog) ops(op string) []ring.Event {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []ring.Event
	for _, ev := range l.evs {
		if ev.Op == op {
			out = append(out, ev)
		}
	}
	return out
}

// failingPage renders "good page" with Cache-Control cc the first time, then
// fails as mode says ("panic", "500", "503", "timeout": waits for the
// request's deadline and writes nothing) while *broken is set, and renders
// "page N" again once it is not.
func failingPage(cc, mode string, broken *atomic.Bool, n *atomic.Int64) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		k := n.Add(1)
		if k > 1 && broken.Load() {
			time.Sleep(300 * time.Millisecond) // long enough for followers to join, under -race on a busy machine
			switch mode {
			case "panic":
				panic("render failed")
			case "timeout":
				<-r.Context().Done()
				return
			default:
				code, _ := strconv.Atoi(mode)
				w.Header().Set("Cache-Control", cc)
				http.Error(w, "down", code)
				return
			}
		}
		w.Header().Set("Cache-Control", cc)
		if k == 1 {
			fmt.Fprint(w, "good page")
			return
		}
		fmt.Fprintf(w, "page %d", k)
	}
}

// deadline gives each request a deadline of d, as a server with a request
// timeout in front of the cache does.
func deadline(h http.Handler, d time.Duration) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), d)
		defer cancel()
		h.ServeHTTP(w, r.WithContext(ctx))
	})
}

// getURL gets url; host, if given, is the request's Host (two servers on
// two ports then serve one site).
func getURL(t *testing.T, url string, host ...string) reply {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	if len(host) > 0 {
		req.Host = host[0]
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return reply{status: resp.StatusCode, header: resp.Header, body: string(body)}
}

// TestStaleIfError: a render that fails (a panic, a 500, a 503, the
// request's deadline) answers with the stale page within the
// StaleIfError window, every collapsed request too, and the failure goes
// to OnError; once the handler recovers the next request stores a new
// page.
func TestStaleIfError(t *testing.T) {
	for _, mode := range []string{"panic", "500", "503", "timeout"} {
		t.Run(mode, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				var broken atomic.Bool
				var n atomic.Int64
				var log eventLog
				s := newSite(t, b, ringhttp.Options{}, failingPage("max-age=1", mode, &broken, &n),
					ring.StaleIfError(time.Minute), log.option())
				url := httptestServer(t, deadline(s.h, 500*time.Millisecond))
				require.Equal(t, "good page", getURL(t, url+"/p").body)
				broken.Store(true)
				time.Sleep(1100 * time.Millisecond)
				var wg sync.WaitGroup
				for range 4 {
					wg.Go(func() {
						r := getURL(t, url+"/p")
						assert.Equal(t, http.StatusOK, r.status)
						assert.Equal(t, "good page", r.body)
						assert.Contains(t, r.cacheStatus(), "detail=stale-if-error")
						assert.NotEmpty(t, r.header.Get("Age"))
					})
				}
				wg.Wait()
				assert.Equal(t, int64(2), n.Load(), "one failing render for the 4 requests")
				evs := log.ops("stale-if-error")
				require.Len(t, evs, 1)
				assert.Equal(t, "/p", evs[0].Key)
				assert.Equal(t, "ringhttp "+s.h.Cache().Prefix(), evs[0].Ring)
				want := map[string]string{"panic": "the handler panicked: render failed", "500": "status 500",
					"503": "status 503", "timeout": "the request's deadline passed"}[mode]
				assert.Contains(t, evs[0].Err.Error(), "ringhttp: render /p: "+want+": the stale page answered")
				broken.Store(false)
				r := getURL(t, url+"/p")
				assert.Equal(t, "page 3", r.body)
				assert.Contains(t, r.cacheStatus(), "stored")
				assert.Equal(t, "page 3", getURL(t, url+"/p").body, "stored")
			})
		})
	}
}

// TestStaleIfErrorLimits: without a window (no option, no directive) a
// failing render is served as it is; a response's own stale-if-error wins
// over the option both ways; must-revalidate forbids; past the window the
// page is gone; a request with no-cache is not served stale.
func TestStaleIfErrorLimits(t *testing.T) {
	run := func(t *testing.T, cc string, opts ...ring.Option) (*site, *atomic.Bool) {
		var broken atomic.Bool
		var n atomic.Int64
		s := newSite(t, backendsUnderTest[0], ringhttp.Options{}, failingPage(cc, "503", &broken, &n), opts...)
		require.Equal(t, "good page", s.get("/p").body)
		broken.Store(true)
		time.Sleep(1100 * time.Millisecond)
		return s, &broken
	}
	t.Run("none", func(t *testing.T) {
		s, _ := run(t, "max-age=1")
		assert.Equal(t, http.StatusServiceUnavailable, s.get("/p").status)
	})
	t.Run("directive", func(t *testing.T) {
		s, _ := run(t, "max-age=1, stale-if-error=60")
		r := s.get("/p")
		assert.Equal(t, "good page", r.body)
		assert.Contains(t, r.cacheStatus(), "detail=stale-if-error")
	})
	t.Run("directive zero wins", func(t *testing.T) {
		s, _ := run(t, "max-age=1, stale-if-error=0", ring.StaleIfError(time.Minute))
		assert.Equal(t, http.StatusServiceUnavailable, s.get("/p").status)
	})
	t.Run("must-revalidate", func(t *testing.T) {
		s, _ := run(t, "max-age=1, must-revalidate", ring.StaleIfError(time.Minute))
		assert.Equal(t, http.StatusServiceUnavailable, s.get("/p").status)
	})
	t.Run("request no-cache", func(t *testing.T) {
		s, _ := run(t, "max-age=1", ring.StaleIfError(time.Minute))
		assert.Equal(t, http.StatusServiceUnavailable, s.get("/p", "Cache-Control", "no-cache").status)
		assert.Equal(t, "good page", s.get("/p").body)
	})
	t.Run("past the window", func(t *testing.T) {
		s, _ := run(t, "max-age=1", ring.StaleIfError(time.Second))
		assert.Equal(t, "good page", s.get("/p").body, "within")
		time.Sleep(1100 * time.Millisecond)
		assert.Equal(t, http.StatusServiceUnavailable, s.get("/p").status, "past it")
	})
	t.Run("without a stale page a panic is raised", func(t *testing.T) {
		var broken atomic.Bool
		var n atomic.Int64
		broken.Store(true)
		s := newSite(t, backendsUnderTest[0], ringhttp.Options{}, failingPage("max-age=1", "panic", &broken, &n), ring.StaleIfError(time.Minute))
		n.Store(1) // the first render fails too
		req, err := http.NewRequest(http.MethodGet, s.srv.URL+"/q", nil)
		require.NoError(t, err)
		_, err = s.client.Do(req)
		require.Error(t, err, "net/http closes the connection of a handler that panicked")
	})
}

// TestExpireAndJitter: ring.Expire is the freshness of a response that
// gives none; ExpireJitter shortens each stored lifetime by a random factor
// in (1-fraction, 1]; a response's own max-age is jittered too.
func TestExpireAndJitter(t *testing.T) {
	s := newSite(t, backendsUnderTest[0], ringhttp.Options{}, page(""), ring.Expire(100*time.Second), ring.ExpireJitter(0.5))
	ttl := regexp.MustCompile(`ttl=(\d+)`)
	seen := map[int]bool{}
	for i := range 30 {
		p := fmt.Sprintf("/j%d", i)
		s.get(p)
		r := s.get(p)
		m := ttl.FindStringSubmatch(r.cacheStatus())
		require.NotNil(t, m, r.cacheStatus())
		v, _ := strconv.Atoi(m[1])
		assert.True(t, v >= 49 && v <= 100, "ttl %d within (50s, 100s]", v)
		seen[v] = true
	}
	assert.Greater(t, len(seen), 3, "lifetimes spread: %v", seen)
	s2 := newSite(t, backendsUnderTest[0], ringhttp.Options{}, page(""))
	s2.get("/n")
	assert.Equal(t, "ring; fwd=uri-miss; detail=stale", s2.get("/n").cacheStatus(), "without Expire, a page without freshness is not stored")
}

// TestRefreshAhead: a hit older than RefreshAhead's age is served at once
// and rendered again in the background.
func TestRefreshAhead(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := newSite(t, b, ringhttp.Options{}, page("max-age=60"), ring.RefreshAhead(time.Second, 5*time.Second))
		assert.Equal(t, "render 1 of /a", s.get("/a").body)
		assert.Equal(t, "render 1 of /a", s.get("/a").body, "young: a plain hit")
		ringhttp.WaitRefreshes(s.h)
		assert.Equal(t, int64(1), s.renders.Load())
		time.Sleep(1100 * time.Millisecond)
		r := s.get("/a")
		assert.Equal(t, "render 1 of /a", r.body, "served at once")
		assert.Contains(t, r.cacheStatus(), "hit")
		ringhttp.WaitRefreshes(s.h)
		assert.Equal(t, int64(2), s.renders.Load())
		assert.Equal(t, "render 2 of /a", s.get("/a").body)
	})
}

// TestLease: two processes (two handlers with clients of their own on one
// Redis or memcached) render a page once between them with ring.Lease; the
// other process's requests wait for its page. Without Lease, each process
// renders it once (the control: the test can fail).
func TestLease(t *testing.T) {
	stores := map[string]func(t *testing.T) ring.Option{
		"redis": func(t *testing.T) ring.Option {
			rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t)})
			t.Cleanup(func() { _ = rdb.Close() })
			return ring.Storage(redisstore.New(rdb))
		},
		"memcached": func(t *testing.T) ring.Option {
			ss := new(memcache.ServerList)
			require.NoError(t, ss.SetServers(servertest.MemcacheAddrs(t)...))
			mc := memcache.NewFromSelector(ss)
			t.Cleanup(func() { _ = mc.Close() })
			return ring.Storage(memcachestore.New(mc, memcachestore.WithSelector(ss))) // leases need the selector
		},
	}
	for name, store := range stores {
		for _, lease := range []bool{true, false} {
			t.Run(fmt.Sprintf("%s/lease=%v", name, lease), func(t *testing.T) {
				var renders atomic.Int64
				slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
					n := renders.Add(1)
					time.Sleep(500 * time.Millisecond) // every request arrives meanwhile
					w.Header().Set("Cache-Control", "max-age=60")
					fmt.Fprintf(w, "render %d", n)
				})
				var urls []string
				var log eventLog
				for range 2 { // two processes: a client and a handler each
					opts := []ring.Option{store(t), prefix(t), ring.StorageTimeout(2 * time.Second), log.option()}
					if lease {
						opts = append(opts, ring.Lease(5*time.Second))
					}
					h, err := ringhttp.New(slow, ringhttp.Options{}, opts...)
					require.NoError(t, err)
					urls = append(urls, httptestServer(t, h))
				}
				var wg sync.WaitGroup
				var mu sync.Mutex
				bodies := map[string]int{}
				statuses := map[string]int{}
				for i := range 8 {
					wg.Go(func() {
						r := getURL(t, urls[i%2]+"/l", "site.test")
						assert.Equal(t, http.StatusOK, r.status)
						mu.Lock()
						defer mu.Unlock()
						bodies[r.body]++
						statuses[strings.SplitN(r.cacheStatus(), ";", 2)[1]]++
					})
				}
				wg.Wait()
				t.Logf("bodies %v, Cache-Status %v", bodies, statuses)
				assert.Empty(t, log.evs)
				if lease {
					assert.Equal(t, int64(1), renders.Load(), "one render across the two processes")
					assert.Len(t, bodies, 1)
					waited := 0
					for st, n := range statuses {
						if strings.Contains(st, "detail=lease") {
							waited += n
						}
					}
					assert.Equal(t, 1, waited, "the other process's leader waited for the page")
				} else {
					assert.Equal(t, int64(2), renders.Load(), "one render per process")
				}
			})
		}
	}
}

// TestLeaseFreedWithoutAPage: a holder whose response may not be stored
// gives the lease up, and the waiting process renders for itself.
func TestLeaseFreedWithoutAPage(t *testing.T) {
	var renders atomic.Int64
	slow := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		renders.Add(1)
		time.Sleep(200 * time.Millisecond)
		w.Header().Set("Cache-Control", "private")
		fmt.Fprint(w, "mine")
	})
	var urls []string
	for range 2 {
		rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t)})
		t.Cleanup(func() { _ = rdb.Close() })
		h, err := ringhttp.New(slow, ringhttp.Options{}, ring.Storage(redisstore.New(rdb)), prefix(t),
			ring.StorageTimeout(2*time.Second), ring.Lease(10*time.Second))
		require.NoError(t, err)
		urls = append(urls, httptestServer(t, h))
	}
	start := time.Now()
	var wg sync.WaitGroup
	for i := range 2 {
		wg.Go(func() { assert.Equal(t, "mine", getURL(t, urls[i]+"/m", "site.test").body) })
	}
	wg.Wait()
	assert.Equal(t, int64(2), renders.Load())
	assert.Less(t, time.Since(start), 2*time.Second, "the waiter did not wait for the lease's time-to-live")
}

// TestCoderAndCompression: a coder chain from ring.Coder encodes the
// entries, as on a ring: what Redis holds is the zstd frame, not the entry
// format, and pages are served from it.
func TestCoderAndCompression(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(t)})
	t.Cleanup(func() { _ = rdb.Close() })
	b := backend{"redis", func(t *testing.T) []ring.Option {
		return []ring.Option{ring.Storage(redisstore.New(rdb)), prefix(t), ring.Coder("bytes+zstd")}
	}}
	s := newSite(t, b, ringhttp.Options{}, page("max-age=60"))
	s.get("/z")
	r := s.get("/z")
	assert.Equal(t, "render 1 of /z", r.body)
	assert.Contains(t, r.cacheStatus(), "hit")
	key, err := s.h.Key(httptestRequest("/z"))
	require.NoError(t, err)
	raw, err := rdb.Get(t.Context(), key).Bytes()
	require.NoError(t, err)
	assert.False(t, strings.HasPrefix(string(raw), "RS\x01"), "the spec is encoded by the coder chain, not stored as it is")
	assert.Equal(t, "zstd", s.h.Cache().Coder().Name()[len(s.h.Cache().Coder().Name())-4:])
}
