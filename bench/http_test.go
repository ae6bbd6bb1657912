package bench

import (
	"fmt"
	"html/template"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/stampede"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/ringhttp"
)

// The HTTP workload: an article list of 20 entries rendered with
// html/template (about 2 KB), served for GET /articles. Each middleware is
// called through ServeHTTP with a reused request and a ResponseWriter that
// discards the body, so the numbers are the middleware's cost on a hit,
// without a network. "uncached" renders the page every time.

var articlesPage = template.Must(template.New("list").Parse(`<!doctype html>
<html><head><title>Articles</title></head><body><h1>Articles</h1><ul>
{{range .}}<li><a href="/articles/{{.ID}}">{{.Title}}</a> <em>{{.Summary}}</em></li>
{{end}}</ul></body></html>`))

type article struct {
	ID             int
	Title, Summary string
}

var articles = func() []article {
	a := make([]article, 20)
	for i := range a {
		a[i] = article{i + 1, fmt.Sprintf("Article number %d", i+1), "A short summary <with> characters to escape & more."}
	}
	return a
}()

func renderList(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "public, max-age=60")
	_ = articlesPage.Execute(w, articles)
}

// discard is a ResponseWriter that keeps the status and counts the body.
type discard struct {
	h      http.Header
	status int
	n      int
	body   strings.Builder
	keep   bool
}

func (d *discard) Header() http.Header { return d.h }
func (d *discard) WriteHeader(code int) {
	if d.status == 0 {
		d.status = code
	}
}

func (d *discard) Write(p []byte) (int, error) {
	if d.keep {
		d.body.Write(p)
	}
	d.n += len(p)
	return len(p), nil
}

// httpCaches are the handlers compared, each built fresh for one benchmark.
func httpCaches(tb testing.TB) []struct {
	name string
	h    http.Handler
} {
	page := http.HandlerFunc(renderList)
	ringLRU, err := ringhttp.New(page, ringhttp.Options{}, ring.LRU(1024), ring.KeyPrefix("page:"))
	if err != nil {
		tb.Fatal(err)
	}
	out := []struct {
		name string
		h    http.Handler
	}{
		{"uncached", page},
		{"ringhttp-lru", ringLRU},
		{"stampede", stampede.Handler(1024, time.Minute)(page)},
	}
	return out
}

func serveOnce(h http.Handler, r *http.Request, d *discard) {
	clear(d.h)
	d.status, d.n = 0, 0
	h.ServeHTTP(d, r)
}

// TestHTTPPeersServeTheSamePage checks that every handler answers the
// benchmark's request with the page the handler renders, from its cache
// on the second request.
func TestHTTPPeersServeTheSamePage(t *testing.T) {
	want := httptest.NewRecorder()
	renderList(want, httptest.NewRequest(http.MethodGet, "/articles", nil))
	for _, c := range httpCaches(t) {
		for i := range 2 {
			d := &discard{h: http.Header{}, keep: true}
			serveOnce(c.h, httptest.NewRequest(http.MethodGet, "/articles", nil), d)
			if d.status != http.StatusOK && d.status != 0 || d.body.String() != want.Body.String() {
				t.Fatalf("%s request %d: status %d, body of %d bytes (want %d)", c.name, i+1, d.status, d.n, want.Body.Len())
			}
		}
	}
}

func BenchmarkHTTPHit(b *testing.B) {
	for _, c := range httpCaches(b) {
		b.Run(c.name, func(b *testing.B) {
			r := httptest.NewRequest(http.MethodGet, "/articles", nil)
			d := &discard{h: http.Header{}}
			serveOnce(c.h, r, d) // warm up: the first request renders
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				serveOnce(c.h, r, d)
			}
		})
	}
	b.Run("ringhttp-redis", func(b *testing.B) {
		rdb := redisClient(b)
		h, err := ringhttp.New(http.HandlerFunc(renderList), ringhttp.Options{},
			ring.Storage(redisstore.New(rdb)), ring.KeyPrefix(fmt.Sprintf("bench-http:%d:", time.Now().UnixNano())))
		if err != nil {
			b.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodGet, "/articles", nil)
		d := &discard{h: http.Header{}}
		serveOnce(h, r, d)
		b.ReportAllocs()
		b.ResetTimer()
		for b.Loop() {
			serveOnce(h, r, d)
		}
	})
}
