// Package e2e drives the examples/http site with a real browser: headless
// Chromium from Debian, through chromedp. It is its own module so that the
// library never depends on chromedp. scripts/test.sh runs it (step e2e),
// installing chromium when it is missing; without chromium the test skips,
// and fails under CI=true.
package e2e

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/examples/http/site"
)

// hit is one request the server answered.
type hit struct {
	method, path, status, cacheStatus string
	conditional                       bool
}

// logged records every request's answer, as the server sent it.
type logged struct {
	next http.Handler
	mu   sync.Mutex
	hits []hit
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusRecorder) Write(p []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	return s.ResponseWriter.Write(p)
}

func (l *logged) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := &statusRecorder{ResponseWriter: w}
	l.next.ServeHTTP(rec, r)
	l.mu.Lock()
	defer l.mu.Unlock()
	l.hits = append(l.hits, hit{r.Method, r.URL.Path, http.StatusText(rec.status), w.Header().Get("Cache-Status"), r.Header.Get("If-None-Match") != ""})
}

// count returns how many requests were answered.
func (l *logged) count() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.hits)
}

// last returns the last answer to a GET of path.
func (l *logged) last(path string) hit {
	l.mu.Lock()
	defer l.mu.Unlock()
	for i := len(l.hits) - 1; i >= 0; i-- {
		if l.hits[i].method == http.MethodGet && l.hits[i].path == path {
			return l.hits[i]
		}
	}
	return hit{}
}

func chromium(t *testing.T) string {
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is not installed: scripts/test.sh installs it (apt-get install chromium)")
	}
	t.Skip("chromium is not installed: run scripts/test.sh e2e, or apt-get install chromium")
	return ""
}

func TestBrowser(t *testing.T) {
	exe := chromium(t)
	s, err := site.New(ring.LRU(1000))
	if err != nil {
		t.Fatal(err)
	}
	log := &logged{next: s.Cache}
	srv := httptest.NewServer(log)
	defer srv.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(exe),
		chromedp.NoSandbox, // root in CI
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-dev-shm-usage", true),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	if err := chromedp.Do(ctx); err != nil { // starts the browser: no timeout on this context
		t.Fatalf("start chromium: %v", err)
	}
	do := func(step string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, stop := context.WithTimeout(ctx, 30*time.Second)
		defer stop()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v", step, err)
		}
	}
	text := func(sel string) string {
		t.Helper()
		sctx, stop := context.WithTimeout(ctx, 30*time.Second)
		defer stop()
		v, err := chromedp.Run(sctx, chromedp.Text(sel))
		if err != nil {
			t.Fatalf("read %s: %v", sel, err)
		}
		return v
	}

	// First load: rendered.
	do("first load", chromedp.Navigate(srv.URL+"/articles"), chromedp.WaitVisible("#renders"))
	if got := text("#renders"); got != "rendered 1 times" || s.Renders("/articles") != 1 {
		t.Fatalf("first load: page says %q, renders %d", got, s.Renders("/articles"))
	}
	if h := log.last("/articles"); h.cacheStatus != "ring; fwd=uri-miss; stored" {
		t.Fatalf("first load: %+v", h)
	}

	// Second load (after another page): served from the cache, not
	// rendered again.
	do("second load", chromedp.Navigate(srv.URL+"/articles/1"), chromedp.WaitVisible("#renders"),
		chromedp.Navigate(srv.URL+"/articles"), chromedp.WaitVisible("#renders"))
	if got := text("#renders"); got != "rendered 1 times" || s.Renders("/articles") != 1 {
		t.Fatalf("second load: page says %q, renders %d", got, s.Renders("/articles"))
	}
	if h := log.last("/articles"); !strings.HasPrefix(h.cacheStatus, "ring; hit") {
		t.Fatalf("second load not served from the cache: %+v", h)
	}

	// Reload: the browser revalidates its copy and gets a 304 from the cache.
	n := log.count()
	do("reload", chromedp.Reload(), chromedp.WaitVisible("#renders"))
	h := log.last("/articles")
	if log.count() == n || !h.conditional || h.status != http.StatusText(http.StatusNotModified) || !strings.HasPrefix(h.cacheStatus, "ring; hit") {
		t.Fatalf("reload did not revalidate with a 304 from the cache: %+v", h)
	}
	if got := text("#renders"); got != "rendered 1 times" || s.Renders("/articles") != 1 {
		t.Fatalf("reload: page says %q, renders %d", got, s.Renders("/articles"))
	}

	// Publish: the list is expired, and the next load shows the article.
	do("publish",
		chromedp.SendKeys("#title", "Fresh news"),
		chromedp.SendKeys("#body", "Shown at once."),
		chromedp.Click("#publish"),
		chromedp.WaitVisible(`//a[text()="Fresh news"]`))
	if list, got := text("#articles"), text("#renders"); !strings.Contains(list, "Fresh news") || got != "rendered 2 times" {
		t.Fatalf("after publish: list %q, %q", list, got)
	}
	do("article page", chromedp.Click(`//a[text()="Fresh news"]`), chromedp.WaitVisible("#renders"))
	if got := text("h1"); got != "Fresh news" {
		t.Fatalf("article page: %q", got)
	}
}
