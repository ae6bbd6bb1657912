// Package site is the small news site of examples/http: an article list, an
// article page and a publish action, cached by ringhttp. Every page shows
// how many times it was rendered, in the page and in the X-Renders header,
// so that a reader (or a browser test) sees when the cache answered.
package site

import (
	"fmt"
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/ringhttp"
)

// Article is one article of the site.
type Article struct {
	ID    int
	Title string
	Body  string
}

// Site is the site's state: its articles and the render count of each page.
type Site struct {
	mu       sync.Mutex
	articles []Article
	renders  map[string]int
	// Cache is the cached handler in front of the site; serve it.
	Cache *ringhttp.Handler
}

// New builds the site with two articles, cached with ringOpts as the
// storage (an LRU when none). Pages are shared-cacheable for a minute
// (s-maxage=60) and revalidated by browsers on every load (max-age=0 and an
// ETag), so a browser's reload is answered with a 304 from the cache. The
// cache ignores the request's Cache-Control (a browser's reload sends
// max-age=0), as Django's cache middleware does: no visitor can force a
// render.
func New(ringOpts ...ring.Option) (*Site, error) {
	s := &Site{
		articles: []Article{
			{1, "Ring for Go", "A caching library with sub-functions."},
			{2, "Caching pages", "ringhttp caches any http.Handler."},
		},
		renders: map[string]int{},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /{$}", func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/articles", http.StatusFound)
	})
	mux.HandleFunc("GET /articles", s.list)
	mux.HandleFunc("GET /articles/{id}", s.article)
	mux.HandleFunc("POST /publish", s.publish)
	mux.HandleFunc("GET /stats", s.stats)
	h, err := ringhttp.New(mux, ringhttp.Options{ETag: true, IgnoreRequestCacheControl: true}, ringOpts...)
	if err != nil {
		return nil, err
	}
	s.Cache = h
	return s, nil
}

// Renders returns how many times path was rendered.
func (s *Site) Renders(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.renders[path]
}

// rendered counts a render of r's page and returns the count.
func (s *Site) rendered(r *http.Request) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.renders[r.URL.Path]++
	return s.renders[r.URL.Path]
}

func cacheable(w http.ResponseWriter, n int) {
	w.Header().Set("Cache-Control", "public, s-maxage=60, max-age=0")
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Renders", strconv.Itoa(n))
}

var listPage = template.Must(template.New("list").Parse(`<!doctype html>
<html><head><title>Articles</title></head><body>
<h1>Articles</h1>
<ul id="articles">{{range .Articles}}
<li><a href="/articles/{{.ID}}">{{.Title}}</a></li>{{end}}
</ul>
<form method="post" action="/publish">
<input name="title" id="title" placeholder="title"> <input name="body" id="body" placeholder="body">
<button id="publish" type="submit">Publish</button>
</form>
<p id="renders">rendered {{.Renders}} times</p>
</body></html>
`))

var articlePage = template.Must(template.New("article").Parse(`<!doctype html>
<html><head><title>{{.Article.Title}}</title></head><body>
<h1>{{.Article.Title}}</h1>
<p>{{.Article.Body}}</p>
<p><a href="/articles">All articles</a></p>
<p id="renders">rendered {{.Renders}} times</p>
</body></html>
`))

func (s *Site) list(w http.ResponseWriter, r *http.Request) {
	n := s.rendered(r)
	s.mu.Lock()
	articles := append([]Article(nil), s.articles...)
	s.mu.Unlock()
	cacheable(w, n)
	_ = listPage.Execute(w, map[string]any{"Articles": articles, "Renders": n})
}

func (s *Site) article(w http.ResponseWriter, r *http.Request) {
	id, err := strconv.Atoi(r.PathValue("id"))
	s.mu.Lock()
	var a *Article
	for i := range s.articles {
		if s.articles[i].ID == id {
			a = &s.articles[i]
		}
	}
	s.mu.Unlock()
	if err != nil || a == nil {
		w.Header().Set("Cache-Control", "public, s-maxage=60")
		http.NotFound(w, r)
		return
	}
	n := s.rendered(r)
	cacheable(w, n)
	_ = articlePage.Execute(w, map[string]any{"Article": a, "Renders": n})
}

// publish adds an article and expires the list with the sub-function
// DeletePath: the next load of /articles shows it.
func (s *Site) publish(w http.ResponseWriter, r *http.Request) {
	title := strings.TrimSpace(r.FormValue("title"))
	if title == "" || len(title) > 200 {
		http.Error(w, "site: a title of 1 to 200 characters is needed", http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	id := len(s.articles) + 1
	s.articles = append(s.articles, Article{id, title, r.FormValue("body")})
	s.mu.Unlock()
	if err := s.Cache.DeletePath(r.Context(), "/articles"); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	http.Redirect(w, r, "/articles", http.StatusSeeOther)
}

// stats is never cached: it reports the render counts.
func (s *Site) stats(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "no-store")
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, p := range []string{"/articles", "/articles/1", "/articles/2", "/articles/3"} {
		fmt.Fprintf(w, "%s %d\n", p, s.renders[p])
	}
}
