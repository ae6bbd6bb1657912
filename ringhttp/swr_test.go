package ringhttp_test

import (
	"fmt"
	"net/http"
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

// slowRender renders "render N" after renderTime, with Cache-Control cc.
func slowRender(cc string, renderTime time.Duration) http.HandlerFunc {
	var n atomic.Int64
	return func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(renderTime)
		w.Header().Set("Cache-Control", cc)
		fmt.Fprintf(w, "render %d", n.Add(1))
	}
}

func TestStaleWhileRevalidate(t *testing.T) {
	const renderTime = 500 * time.Millisecond
	eachBackend(t, func(t *testing.T, b backend) {
		s := newSite(t, b, ringhttp.Options{}, slowRender("max-age=1, stale-while-revalidate=2", renderTime))
		first := s.get("/swr")
		require.Equal(t, "ring; fwd=uri-miss; stored", first.cacheStatus())
		require.Equal(t, "render 1", first.body)
		time.Sleep(1200 * time.Millisecond) // stale, within the window

		// 20 concurrent requests: all answered at once from the stale
		// entry, one background render.
		type got struct {
			r    reply
			took time.Duration
		}
		replies := make(chan got, 20)
		var wg sync.WaitGroup
		for range 20 {
			wg.Go(func() {
				start := time.Now()
				r := s.get("/swr")
				replies <- got{r, time.Since(start)}
			})
		}
		wg.Wait()
		close(replies)
		for g := range replies {
			assert.Equal(t, "render 1", g.r.body)
			assert.Regexp(t, `^ring; hit; ttl=(0|-[0-9]+); detail=stale$`, g.r.cacheStatus())
			assert.NotEmpty(t, g.r.header.Get("Age"))
			assert.Less(t, g.took, renderTime/2, "a stale hit waits for no render")
		}
		ringhttp.WaitRefreshes(s.h)
		assert.Equal(t, int64(2), s.renders.Load(), "one background render for 20 stale hits")

		// The re-render replaced the entry: a fresh hit with the new body.
		next := s.get("/swr")
		assert.Equal(t, "render 2", next.body)
		assert.Regexp(t, `^ring; hit; ttl=[01]$`, next.cacheStatus())
		assert.Equal(t, int64(2), s.renders.Load())

		// Past freshness + window: a miss as without stale-while-revalidate.
		time.Sleep(3200 * time.Millisecond)
		past := s.get("/swr")
		assert.Equal(t, "ring; fwd=uri-miss; stored", past.cacheStatus())
		assert.Equal(t, "render 3", past.body)
		ringhttp.WaitRefreshes(s.h)
		assert.Equal(t, int64(3), s.renders.Load())
	})
}

func TestStaleWhileRevalidateDefaultAndLimits(t *testing.T) {
	b := backendsUnderTest[0]
	s := newSite(t, b, ringhttp.Options{}, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", map[string]string{
			"/default": "max-age=1",
			"/must":    "max-age=1, must-revalidate",
			"/proxy":   "max-age=1, proxy-revalidate",
			"/zero":    "max-age=1, stale-while-revalidate=0",
			"/req":     "max-age=1",
		}[r.URL.Path])
		fmt.Fprint(w, "page")
	}, ring.StaleWhileRevalidate(5*time.Second, 30*time.Second))
	for _, p := range []string{"/default", "/must", "/proxy", "/zero", "/req"} {
		s.get(p)
	}
	time.Sleep(1100 * time.Millisecond)
	assert.Contains(t, s.get("/default").cacheStatus(), "detail=stale", "ring.StaleWhileRevalidate applies to a response that gives none")
	for _, p := range []string{"/must", "/proxy", "/zero"} {
		assert.Equal(t, "ring; fwd=uri-miss; stored", s.get(p).cacheStatus(), p)
	}
	// A request that limits what it accepts is not served stale.
	assert.Equal(t, "ring; fwd=uri-miss; stored", s.get("/req", "Cache-Control", "no-cache").cacheStatus(), "a miss, as past the window")
	time.Sleep(1100 * time.Millisecond)
	st := s.get("/req", "Cache-Control", "max-age=600").cacheStatus()
	assert.NotContains(t, st, "hit", "a request with max-age is not served stale")
	assert.Contains(t, st, "stored")
	ringhttp.WaitRefreshes(s.h)
}

func TestStaleWhileRevalidateFailingRender(t *testing.T) {
	for _, mode := range []string{"panic", "500"} {
		t.Run(mode, func(t *testing.T) {
			eachBackend(t, func(t *testing.T, b backend) {
				var errs sync.Map
				var nerr atomic.Int64
				var n atomic.Int64
				s := newSite(t, b, ringhttp.Options{}, func(w http.ResponseWriter, r *http.Request) {
					if n.Add(1) > 1 {
						if mode == "panic" {
							panic("render failed")
						}
						w.Header().Set("Cache-Control", "max-age=1, stale-while-revalidate=3")
						http.Error(w, "down", http.StatusInternalServerError)
						return
					}
					w.Header().Set("Cache-Control", "max-age=1, stale-while-revalidate=3")
					fmt.Fprint(w, "good page")
				}, onError(func(err error) {
					errs.Store(err.Error(), true)
					nerr.Add(1)
				}))
				require.Equal(t, "good page", s.get("/f").body)
				time.Sleep(1200 * time.Millisecond)
				for i := range 3 {
					r := s.get("/f")
					assert.Equal(t, http.StatusOK, r.status, "request %d", i)
					assert.Equal(t, "good page", r.body, "request %d", i)
					assert.Contains(t, r.cacheStatus(), "detail=stale")
					ringhttp.WaitRefreshes(s.h)
				}
				assert.Equal(t, int64(4), n.Load(), "one re-render per stale hit once the last one failed")
				assert.Equal(t, int64(3), nerr.Load())
				var msgs []string
				errs.Range(func(k, _ any) bool { msgs = append(msgs, k.(string)); return true })
				require.NotEmpty(t, msgs)
				want := map[string]string{"panic": "the handler panicked: render failed", "500": "response not stored: status"}[mode]
				assert.Contains(t, strings.Join(msgs, "\n"), want)
			})
		})
	}
}

func TestStaleWhileRevalidateRefreshTimeout(t *testing.T) {
	var n atomic.Int64
	var errs sync.Map
	s := newSite(t, backendsUnderTest[0], ringhttp.Options{}, func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) > 1 {
			<-r.Context().Done() // a render that outlasts the refresh timeout
		}
		w.Header().Set("Cache-Control", "max-age=1, stale-while-revalidate=5")
		fmt.Fprintf(w, "render %d", n.Load())
	}, ring.StaleWhileRevalidate(time.Second, 100*time.Millisecond), onError(func(err error) {
		errs.Store(err.Error(), true)
	}))
	require.Equal(t, "render 1", s.get("/t").body)
	time.Sleep(1100 * time.Millisecond)
	start := time.Now()
	r := s.get("/t")
	assert.Equal(t, "render 1", r.body)
	assert.Contains(t, r.cacheStatus(), "detail=stale")
	ringhttp.WaitRefreshes(s.h)
	assert.Less(t, time.Since(start), time.Second, "the background render ended at StaleWhileRevalidate's timeout")
	_, aborted := errs.Load("ringhttp: refresh /t: ringhttp: response not stored: aborted")
	assert.True(t, aborted, "the timeout is reported")
	assert.Equal(t, "render 1", s.get("/t").body, "the stale page still answers")
	ringhttp.WaitRefreshes(s.h)
}
