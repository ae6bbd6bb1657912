package ringhttp_test

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"time"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/ringhttp"
)

// A page cached for a minute, expired by path when its content changes:
// Django's cache_page(60) with Ring's sub-functions.
func Example() {
	articles := []string{"first"}
	renders := 0
	mux := http.NewServeMux()
	mux.HandleFunc("GET /articles", func(w http.ResponseWriter, r *http.Request) {
		renders++
		fmt.Fprintf(w, "%s (render %d)", strings.Join(articles, ", "), renders)
	})
	h, err := ringhttp.New(mux, ringhttp.Options{}, ring.LRU(1000), ring.KeyPrefix("page:"), ring.Expire(time.Minute))
	if err != nil {
		fmt.Println(err)
		return
	}
	srv := httptest.NewServer(h)
	defer srv.Close()
	get := func() {
		resp, err := http.Get(srv.URL + "/articles")
		if err != nil {
			fmt.Println(err)
			return
		}
		defer resp.Body.Close()
		body, _ := io.ReadAll(resp.Body)
		status, _, _ := strings.Cut(resp.Header.Get("Cache-Status"), "; ttl=")
		fmt.Printf("%s | %s\n", body, status)
	}
	get()
	get()
	articles = append(articles, "second") // publish...
	if err := h.DeletePath(context.Background(), "/articles"); err != nil {
		fmt.Println(err)
	}
	get()
	// Output:
	// first (render 1) | ring; fwd=uri-miss; stored
	// first (render 1) | ring; hit
	// first, second (render 2) | ring; fwd=uri-miss; stored
}

// Update renders a page again now and stores it, whatever is stored.
func ExampleHandler_Update() {
	version := 1
	h, err := ringhttp.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "max-age=300")
		fmt.Fprintf(w, "version %d", version)
	}), ringhttp.Options{})
	if err != nil {
		fmt.Println(err)
		return
	}
	req := httptest.NewRequest(http.MethodGet, "/doc", nil)
	version = 2
	resp, err := h.Update(req)
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(string(resp.Body), resp.Expires.Sub(resp.Stored))
	has, _ := h.Has(req)
	fmt.Println("stored:", has)
	// Output:
	// version 2 5m0s
	// stored: true
}

// Ring's own options: Expire is the freshness of a page that gives none,
// StaleIfError keeps the last good page for a render that fails (RFC
// 5861 stale-if-error), and the failure goes to OnError.
func ExampleNew_staleIfError() {
	down := false
	h, err := ringhttp.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down {
			http.Error(w, "database down", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprint(w, "the news")
	}), ringhttp.Options{},
		ring.LRU(1000), ring.Expire(time.Second), ring.StaleIfError(time.Hour),
		ring.OnError(func(ev ring.Event) { fmt.Println("OnError:", ev.Op, ev.Err) }))
	if err != nil {
		fmt.Println(err)
		return
	}
	get := func() {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/news", nil))
		fmt.Printf("%d %s | %s\n", w.Code, w.Body, w.Header().Get("Cache-Status"))
	}
	get()
	down = true
	time.Sleep(1100 * time.Millisecond) // the page is now stale
	get()
	// Output:
	// 200 the news | ring; fwd=uri-miss; stored
	// OnError: stale-if-error ringhttp: render /news: status 503: the stale page answered
	// 200 the news | ring; fwd=stale; detail=stale-if-error
}
