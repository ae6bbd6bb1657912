package ringhttp_test

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/ringhttp"
)

func page(cacheControl string) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		if cacheControl != "" {
			w.Header().Set("Cache-Control", cacheControl)
		}
		w.Header().Set("Content-Type", "text/plain")
		fmt.Fprintf(w, "render %d of %s", n.Add(1), r.URL.Path)
	}
}

func TestHitAfterMiss(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := newSite(t, b, ringhttp.Options{}, page("max-age=60"))
		first := s.get("/a")
		require.Equal(t, http.StatusOK, first.status)
		assert.Equal(t, "ring; fwd=uri-miss; stored", first.cacheStatus())
		assert.Empty(t, first.header.Get("Age"))
		second := s.get("/a")
		assert.Equal(t, first.body, second.body)
		assert.Regexp(t, `^ring; hit; ttl=(5[0-9]|60)$`, second.cacheStatus())
		assert.Equal(t, "0", second.header.Get("Age"))
		assert.Equal(t, first.header.Get("Date"), second.header.Get("Date"), "the stored Date is replayed")
		assert.Equal(t, strconv.Itoa(len(first.body)), second.header.Get("Content-Length"))
		assert.Equal(t, int64(1), s.renders.Load())
		// Another URL and another query are other entries.
		s.get("/a?x=1")
		s.get("/b")
		assert.Equal(t, int64(3), s.renders.Load())
	})
}

func TestHeadServedFromGet(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := newSite(t, b, ringhttp.Options{}, page("max-age=60"))
		g := s.get("/h")
		head := s.do(http.MethodHead, "/h")
		assert.Contains(t, head.cacheStatus(), "hit")
		assert.Empty(t, head.body)
		assert.Equal(t, strconv.Itoa(len(g.body)), head.header.Get("Content-Length"))
		// A HEAD miss renders a GET and stores it for both.
		head = s.do(http.MethodHead, "/h2")
		assert.Equal(t, "ring; fwd=uri-miss; stored", head.cacheStatus())
		assert.Empty(t, head.body)
		g = s.get("/h2")
		assert.Contains(t, g.cacheStatus(), "hit")
		assert.Equal(t, "render 2 of /h2", g.body)
		assert.Equal(t, int64(2), s.renders.Load())
	})
}

func TestUnsafeMethodPassesAndExpires(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := newSite(t, b, ringhttp.Options{}, page("max-age=60"))
		s.get("/p")
		post := s.do(http.MethodPost, "/p")
		assert.Equal(t, "ring; fwd=method", post.cacheStatus())
		assert.Equal(t, "render 2 of /p", post.body)
		again := s.get("/p")
		assert.Equal(t, "ring; fwd=uri-miss; stored", again.cacheStatus(), "a successful POST expires its URL")
		assert.Equal(t, "render 3 of /p", again.body)
	})
}

func TestStatuses(t *testing.T) {
	cases := []struct {
		status int
		cc     string
		ttl    time.Duration
		stored bool
	}{
		{200, "", time.Minute, true},
		{200, "", 0, false}, // no freshness at all
		{204, "", time.Minute, true},
		{301, "", time.Minute, true},
		{404, "", time.Minute, true},
		{410, "", time.Minute, true},
		{302, "", time.Minute, false}, // only with explicit freshness
		{302, "max-age=60", 0, true},
		{307, "s-maxage=60", 0, true},
		{500, "max-age=60", time.Minute, false},
		{503, "max-age=60", time.Minute, false},
		{206, "max-age=60", time.Minute, false},
		{200, "max-age=0", time.Minute, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%d %q ttl %v", c.status, c.cc, c.ttl), func(t *testing.T) {
			b := backendsUnderTest[0]
			s := newSite(t, b, ringhttp.Options{}, func(w http.ResponseWriter, r *http.Request) {
				if c.cc != "" {
					w.Header().Set("Cache-Control", c.cc)
				}
				if c.status/100 == 3 {
					w.Header().Set("Location", "/elsewhere")
				}
				w.WriteHeader(c.status)
			}, ring.Expire(c.ttl))
			s.get("/s")
			r := s.get("/s")
			assert.Equal(t, c.status, r.status)
			if c.stored {
				assert.Contains(t, r.cacheStatus(), "hit")
				assert.Equal(t, int64(1), s.renders.Load())
			} else {
				assert.NotContains(t, r.cacheStatus(), "hit")
				assert.Equal(t, int64(2), s.renders.Load())
			}
		})
	}
}

func TestResponseCacheControl(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		for _, cc := range []string{"no-store", "private, max-age=60", "no-cache, max-age=60", `no-cache="Set-Cookie", max-age=60`} {
			t.Run(cc, func(t *testing.T) {
				s := newSite(t, b, ringhttp.Options{}, page(cc), ring.Expire(time.Minute))
				s.get("/x")
				r := s.get("/x")
				assert.Regexp(t, `^ring; fwd=uri-miss; detail=(no-store|private|no-cache)$`, r.cacheStatus())
				assert.Equal(t, int64(2), s.renders.Load())
			})
		}
		t.Run("s-maxage over max-age", func(t *testing.T) {
			s := newSite(t, b, ringhttp.Options{}, page("max-age=0, s-maxage=100"))
			s.get("/x")
			r := s.get("/x")
			assert.Regexp(t, `^ring; hit; ttl=(9[0-9]|100)$`, r.cacheStatus())
			assert.Equal(t, "max-age=0, s-maxage=100", r.header.Get("Cache-Control"), "the client's own directives are replayed")
		})
		t.Run("MaxTTL caps", func(t *testing.T) {
			s := newSite(t, b, ringhttp.Options{MaxTTL: 10 * time.Second}, page("max-age=3600"))
			s.get("/x")
			assert.Regexp(t, `^ring; hit; ttl=([5-9]|10)$`, s.get("/x").cacheStatus())
		})
		t.Run("Expires", func(t *testing.T) {
			s := newSite(t, b, ringhttp.Options{}, func(w http.ResponseWriter, r *http.Request) {
				now := time.Now().UTC()
				w.Header().Set("Date", now.Format(http.TimeFormat))
				w.Header().Set("Expires", now.Add(30*time.Second).Format(http.TimeFormat))
			})
			s.get("/x")
			assert.Regexp(t, `^ring; hit; ttl=(2[0-9]|30)$`, s.get("/x").cacheStatus())
		})
		t.Run("expires after max-age", func(t *testing.T) {
			// 2 s: memcached counts expiry in whole seconds.
			s := newSite(t, b, ringhttp.Options{}, page("max-age=2"))
			s.get("/x")
			assert.Contains(t, s.get("/x").cacheStatus(), "hit")
			time.Sleep(2100 * time.Millisecond)
			assert.Equal(t, "ring; fwd=uri-miss; stored", s.get("/x").cacheStatus())
			assert.Equal(t, int64(2), s.renders.Load())
		})
	})
}

func TestRequestCacheControl(t *testing.T) {
	b := backendsUnderTest[0]
	s := newSite(t, b, ringhttp.Options{}, page("max-age=60"))
	r := s.get("/only", "Cache-Control", "only-if-cached")
	assert.Equal(t, http.StatusGatewayTimeout, r.status)
	assert.Equal(t, int64(0), s.renders.Load())

	r = s.get("/r", "Cache-Control", "no-store")
	assert.Equal(t, "ring; fwd=request; detail=no-store", r.cacheStatus())
	assert.Equal(t, "ring; fwd=uri-miss; stored", s.get("/r").cacheStatus(), "no-store stored nothing")

	r = s.get("/r", "Cache-Control", "no-cache")
	assert.Equal(t, "ring; fwd=request; stored", r.cacheStatus())
	assert.Equal(t, "render 3 of /r", r.body)
	assert.Equal(t, "render 3 of /r", s.get("/r").body, "a no-cache render is stored")
	r = s.get("/r", "Pragma", "no-cache")
	assert.Equal(t, "ring; fwd=request; stored", r.cacheStatus())

	assert.Contains(t, s.get("/r", "Cache-Control", "max-age=5").cacheStatus(), "hit")
	time.Sleep(1100 * time.Millisecond)
	r = s.get("/r", "Cache-Control", "max-age=0")
	assert.Equal(t, "ring; fwd=request; stored", r.cacheStatus(), "older than the request's max-age")
	assert.Contains(t, s.get("/r", "Cache-Control", "only-if-cached").cacheStatus(), "hit")

	t.Run("ignored", func(t *testing.T) {
		s := newSite(t, b, ringhttp.Options{IgnoreRequestCacheControl: true}, page("max-age=60"))
		s.get("/r")
		for _, cc := range []string{"no-cache", "no-store", "max-age=0"} {
			assert.Contains(t, s.get("/r", "Cache-Control", cc).cacheStatus(), "hit")
		}
		assert.Equal(t, int64(1), s.renders.Load())
	})
}

// cookiePage sets a cookie of its own on every render.
func cookiePage(cc string) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		id := n.Add(1)
		w.Header().Set("Cache-Control", cc)
		http.SetCookie(w, &http.Cookie{Name: "session", Value: fmt.Sprintf("secret-%d", id)})
		time.Sleep(20 * time.Millisecond) // let concurrent requests meet in the flight
		fmt.Fprintf(w, "page %d", id)
	}
}

func TestSetCookieNeverReplayed(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		t.Run("not shared", func(t *testing.T) {
			s := newSite(t, b, ringhttp.Options{}, cookiePage("max-age=60"), ring.Expire(time.Minute))
			seen := map[string]bool{}
			var mu sync.Mutex
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					r := s.get("/c")
					c := r.header.Get("Set-Cookie")
					mu.Lock()
					defer mu.Unlock()
					assert.NotEmpty(t, c)
					assert.False(t, seen[c], "cookie %s replayed", c)
					seen[c] = true
					assert.Contains(t, r.cacheStatus(), "detail=set-cookie")
				})
			}
			wg.Wait()
			assert.Equal(t, int64(8), s.renders.Load(), "each client renders its own")
		})
		t.Run("public: stored without the cookie", func(t *testing.T) {
			s := newSite(t, b, ringhttp.Options{}, cookiePage("public, max-age=60"))
			first := s.get("/c")
			assert.Equal(t, "session=secret-1", first.header.Get("Set-Cookie"), "the client that rendered gets its cookie")
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() {
					r := s.get("/c")
					assert.Empty(t, r.header.Values("Set-Cookie"))
					assert.Equal(t, "page 1", r.body)
				})
			}
			wg.Wait()
			resp, found, err := s.h.Get(httptestRequest(s.srv.URL + "/c"))
			require.NoError(t, err)
			require.True(t, found)
			assert.Empty(t, resp.Header.Values("Set-Cookie"))
		})
		t.Run("public: collapsed followers get no cookie", func(t *testing.T) {
			s := newSite(t, b, ringhttp.Options{}, cookiePage("public, max-age=60"))
			cookies := make(chan string, 8)
			var wg sync.WaitGroup
			for range 8 {
				wg.Go(func() { cookies <- s.get("/c").header.Get("Set-Cookie") })
			}
			wg.Wait()
			close(cookies)
			n := 0
			for c := range cookies {
				if c != "" {
					n++
				}
			}
			assert.Equal(t, int(s.renders.Load()), n, "one cookie per render, to its own client")
		})
	})
}

// whoAmI renders the user named by Authorization.
func whoAmI(cc string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if cc != "" {
			w.Header().Set("Cache-Control", cc)
		}
		user := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		if user == "" {
			user = "anonymous"
		}
		fmt.Fprintf(w, "hello %s", user)
	}
}

func TestAuthorization(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		t.Run("never another user's entry", func(t *testing.T) {
			s := newSite(t, b, ringhttp.Options{}, whoAmI("max-age=60"), ring.Expire(time.Minute))
			assert.Equal(t, "hello alice", s.get("/me", "Authorization", "Bearer alice").body)
			r := s.get("/me", "Authorization", "Bearer bob")
			assert.Equal(t, "hello bob", r.body)
			assert.Equal(t, "ring; fwd=uri-miss; detail=authorization", r.cacheStatus())
			assert.Equal(t, "hello anonymous", s.get("/me").body)
			assert.Equal(t, "ring; fwd=uri-miss; stored", s.get("/me2").cacheStatus())
			r = s.get("/me2", "Authorization", "Bearer carol")
			assert.Equal(t, "hello carol", r.body, "an anonymous entry is not served to a request with Authorization")
			assert.Equal(t, "ring; fwd=miss; detail=authorization", r.cacheStatus())
			var wg sync.WaitGroup
			for i := range 10 {
				wg.Go(func() {
					user := fmt.Sprintf("user%d", i)
					assert.Equal(t, "hello "+user, s.get("/me3", "Authorization", "Bearer "+user).body)
				})
			}
			wg.Wait()
		})
		t.Run("public may be shared", func(t *testing.T) {
			s := newSite(t, b, ringhttp.Options{}, whoAmI("public, max-age=60"))
			assert.Equal(t, "hello alice", s.get("/pub", "Authorization", "Bearer alice").body)
			r := s.get("/pub", "Authorization", "Bearer bob")
			assert.Contains(t, r.cacheStatus(), "hit")
			assert.Equal(t, "hello alice", r.body, "the response said it may be shared")
		})
	})
}

// negotiated renders by Accept-Encoding and says so in Vary.
func negotiated(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "max-age=60")
	w.Header().Set("Vary", "Accept-Encoding")
	time.Sleep(10 * time.Millisecond)
	if strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
		w.Header().Set("Content-Encoding", "gzip")
		fmt.Fprint(w, "GZIP-BODY")
		return
	}
	fmt.Fprint(w, "plain body")
}

func TestVaryNeverMixed(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := newSite(t, b, ringhttp.Options{}, negotiated)
		var wg sync.WaitGroup
		for i := range 40 {
			wg.Go(func() {
				if i%2 == 0 {
					r := s.get("/v", "Accept-Encoding", "gzip")
					assert.Equal(t, "GZIP-BODY", r.body)
					assert.Equal(t, "gzip", r.header.Get("Content-Encoding"))
				} else {
					r := s.get("/v")
					assert.Equal(t, "plain body", r.body)
					assert.Empty(t, r.header.Get("Content-Encoding"))
				}
			})
		}
		wg.Wait()
		n := s.renders.Load()
		assert.Equal(t, "ring; hit; ttl=", s.get("/v", "Accept-Encoding", "gzip").cacheStatus()[:15])
		assert.Equal(t, "plain body", s.get("/v").body)
		assert.Equal(t, n, s.renders.Load(), "both variants are stored")
		r := s.get("/v", "Accept-Encoding", "br")
		assert.Equal(t, "ring; fwd=vary-miss; stored", r.cacheStatus())
		assert.Equal(t, "Accept-Encoding", r.header.Get("Vary"))
	})
}

func TestVaryStar(t *testing.T) {
	s := newSite(t, backendsUnderTest[0], ringhttp.Options{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=60")
		w.Header().Set("Vary", "*")
	})
	s.get("/star")
	assert.Equal(t, "ring; fwd=uri-miss; detail=vary-star", s.get("/star").cacheStatus())
}

func TestConditional(t *testing.T) {
	lastMod := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	eachBackend(t, func(t *testing.T, b backend) {
		s := newSite(t, b, ringhttp.Options{}, func(w http.ResponseWriter, r *http.Request) {
			assert.Empty(t, r.Header.Get("If-None-Match"), "the handler renders the whole response")
			w.Header().Set("Cache-Control", "max-age=60")
			w.Header().Set("ETag", `"v1"`)
			w.Header().Set("Last-Modified", lastMod.Format(http.TimeFormat))
			fmt.Fprint(w, "full body")
		})
		r := s.get("/e", "If-None-Match", `"v1"`)
		assert.Equal(t, http.StatusNotModified, r.status, "a miss answers the condition too")
		assert.Equal(t, "ring; fwd=uri-miss; stored", r.cacheStatus())
		r = s.get("/e", "If-None-Match", `"v0", W/"v1"`)
		assert.Equal(t, http.StatusNotModified, r.status)
		assert.Empty(t, r.body)
		assert.Equal(t, `"v1"`, r.header.Get("ETag"))
		assert.Equal(t, "max-age=60", r.header.Get("Cache-Control"))
		assert.NotEmpty(t, r.header.Get("Age"))
		assert.Contains(t, r.cacheStatus(), "hit")
		r = s.get("/e", "If-None-Match", `"v2"`)
		assert.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, "full body", r.body)
		assert.Equal(t, http.StatusNotModified, s.get("/e", "If-None-Match", "*").status)
		assert.Equal(t, http.StatusNotModified, s.get("/e", "If-Modified-Since", lastMod.Format(http.TimeFormat)).status)
		assert.Equal(t, http.StatusOK, s.get("/e", "If-Modified-Since", lastMod.Add(-time.Second).Format(http.TimeFormat)).status)
		assert.Equal(t, http.StatusOK, s.get("/e", "If-None-Match", `"v2"`, "If-Modified-Since", lastMod.Format(http.TimeFormat)).status,
			"If-Modified-Since is ignored with If-None-Match")
		assert.Equal(t, int64(1), s.renders.Load())
	})
	t.Run("generated ETag", func(t *testing.T) {
		s := newSite(t, backendsUnderTest[0], ringhttp.Options{ETag: true}, page("max-age=60"))
		etag := s.get("/g").header.Get("ETag")
		require.NotEmpty(t, etag)
		assert.Equal(t, http.StatusNotModified, s.get("/g", "If-None-Match", etag).status)
	})
}

func TestConcurrentRequestsRenderOnce(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := newSite(t, b, ringhttp.Options{}, func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(200 * time.Millisecond)
			w.Header().Set("Cache-Control", "max-age=60")
			fmt.Fprint(w, "slow page")
		})
		statuses := make(chan string, 30)
		var wg sync.WaitGroup
		for range 30 {
			wg.Go(func() {
				r := s.get("/slow")
				assert.Equal(t, "slow page", r.body)
				statuses <- r.cacheStatus()
			})
		}
		wg.Wait()
		close(statuses)
		assert.Equal(t, int64(1), s.renders.Load())
		count := map[string]int{}
		for st := range statuses {
			count[st]++
		}
		assert.Equal(t, 1, count["ring; fwd=uri-miss; stored"], "%v", count)
	})
}

func TestPanicReleasesFollowers(t *testing.T) {
	var first atomic.Bool
	s := newSite(t, backendsUnderTest[0], ringhttp.Options{}, func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(50 * time.Millisecond)
		if first.CompareAndSwap(false, true) {
			panic(http.ErrAbortHandler)
		}
		w.Header().Set("Cache-Control", "max-age=60")
		fmt.Fprint(w, "ok")
	})
	var wg sync.WaitGroup
	var ok atomic.Int64
	for range 5 {
		wg.Go(func() {
			req, _ := http.NewRequest(http.MethodGet, s.srv.URL+"/p", nil)
			resp, err := s.client.Do(req)
			if err == nil {
				resp.Body.Close()
				ok.Add(1)
			}
		})
	}
	wg.Wait()
	assert.Equal(t, int64(4), ok.Load(), "the followers of a leader that panicked render for themselves")
}

func TestOuterHeadersKept(t *testing.T) {
	b := backendsUnderTest[0]
	s := &site{t: t}
	inner := page("max-age=60")
	h, err := ringhttp.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.renders.Add(1)
		w.Header().Set("Connection", "close")
		inner(w, r)
	}), ringhttp.Options{}, b.opts(t)...)
	require.NoError(t, err)
	s.h = h
	// An outer middleware sets a field before the cache answers.
	outer := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		h.ServeHTTP(w, r)
	})
	srv := httptestServer(t, outer)
	for range 2 {
		resp, err := http.Get(srv + "/o")
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, "*", resp.Header.Get("Access-Control-Allow-Origin"), resp.Header.Get("Cache-Status"))
	}
	resp, found, err := h.Get(httptestRequest(srv + "/o"))
	require.NoError(t, err)
	require.True(t, found)
	assert.Empty(t, resp.Header.Get("Connection"), "hop-by-hop fields are not stored")
}

func TestVaryCookieKeepsUsersApart(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := newSite(t, b, ringhttp.Options{}, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Cache-Control", "max-age=60")
			w.Header().Set("Vary", "Cookie")
			c, err := r.Cookie("user")
			name := "guest"
			if err == nil {
				name = c.Value
			}
			time.Sleep(10 * time.Millisecond)
			fmt.Fprintf(w, "hello %s", name)
		})
		var wg sync.WaitGroup
		for i := range 30 {
			wg.Go(func() {
				user := fmt.Sprintf("u%d", i%3)
				assert.Equal(t, "hello "+user, s.get("/home", "Cookie", "user="+user).body)
			})
		}
		wg.Wait()
		// One render per variant, give or take a request that started its
		// own flight in the instant the URL's Vary became known: without
		// the second look, each of the other users' requests that waited
		// on the first render would render alone (up to 20).
		assert.LessOrEqual(t, s.renders.Load(), int64(6))
		assert.Equal(t, "hello guest", s.get("/home").body)
		assert.Contains(t, s.get("/home", "Cookie", "user=u1").cacheStatus(), "hit")
	})
}

// TestHostsKeptApart: one handler serving two sites never answers a
// request for one with the other's page, not even when concurrent
// requests of the same path for both hosts collapse; DeletePath of the
// path removes both.
func TestHostsKeptApart(t *testing.T) {
	eachBackend(t, func(t *testing.T, b backend) {
		s := newSite(t, b, ringhttp.Options{}, func(w http.ResponseWriter, r *http.Request) {
			time.Sleep(50 * time.Millisecond)
			w.Header().Set("Cache-Control", "max-age=60")
			fmt.Fprintf(w, "home of %s", r.Host)
		})
		path := fmt.Sprintf("/home-%d", time.Now().UnixNano()) // a run of its own on a shared server
		var wg sync.WaitGroup
		for range 10 {
			for _, host := range []string{"a.example", "B.example"} {
				wg.Go(func() {
					r := s.get(path, "Host", host)
					assert.Equal(t, "home of "+host, r.body)
				})
			}
		}
		wg.Wait()
		assert.Equal(t, int64(2), s.renders.Load(), "one render per host")
		r := s.get(path, "Host", "b.EXAMPLE") // host names are case-insensitive
		assert.Equal(t, "home of B.example", r.body)
		assert.Contains(t, r.cacheStatus(), "hit")
		require.NoError(t, s.h.DeletePath(context.Background(), path))
		for _, host := range []string{"a.example", "b.example"} {
			r = s.get(path, "Host", host)
			assert.Equal(t, "home of "+host, r.body)
			assert.NotContains(t, r.cacheStatus(), "hit", "DeletePath removed every host's page")
		}
		assert.Equal(t, int64(4), s.renders.Load())
	})
}
