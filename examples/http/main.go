// Command http is a small news site cached by ringhttp: an article list, an
// article page and a publish action that expires the list with the
// sub-function DeletePath. Every page shows its render count.
//
//	go run ./examples/http                 # a walk-through on a loopback port, then exit
//	go run ./examples/http -serve :8080    # serve the site until interrupted
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"strings"
	"time"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/examples/http/site"
)

func main() {
	serve := flag.String("serve", "", "serve the site on this address until interrupted (default: run the walk-through)")
	flag.Parse()
	var err error
	if *serve != "" {
		err = listen(*serve)
	} else {
		err = run(os.Stdout)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func listen(addr string) error {
	s, err := site.New(ring.LRU(10000))
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: addr, Handler: s.Cache, ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	errc := make(chan error, 1)
	go func() { errc <- srv.ListenAndServe() }()
	fmt.Printf("serving on http://%s/articles (Ctrl-C to stop)\n", addr)
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		err := srv.Shutdown(sctx)
		<-errc
		return err
	}
}

// run serves the site on a loopback port, requests its pages like a
// browser would and prints what the cache did. Every line is deterministic.
func run(w io.Writer) error {
	s, err := site.New(ring.LRU(1000))
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: s.Cache, ReadHeaderTimeout: 10 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	defer func() {
		_ = srv.Close()
		<-done
	}()
	base := "http://" + ln.Addr().String()
	tr := &http.Transport{}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

	etag := ""
	show := func(method, path, form string, header ...string) error {
		var body io.Reader
		if form != "" {
			body = strings.NewReader(form)
		}
		req, err := http.NewRequest(method, base+path, body)
		if err != nil {
			return err
		}
		if form != "" {
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		}
		for i := 0; i+1 < len(header); i += 2 {
			req.Header.Set(header[i], header[i+1])
		}
		resp, err := client.Do(req)
		if err != nil {
			return err
		}
		defer resp.Body.Close()
		page, err := io.ReadAll(resp.Body)
		if err != nil {
			return err
		}
		status, _, _ := strings.Cut(resp.Header.Get("Cache-Status"), "; ttl=")
		if e := resp.Header.Get("ETag"); e != "" {
			etag = e
		}
		fmt.Fprintf(w, "%-4s %-12s %d  %-28s renders of %s: %d", method, path, resp.StatusCode, status, path, s.Renders(path))
		if n := strings.Count(string(page), "<li>"); n > 0 {
			fmt.Fprintf(w, ", %d articles", n)
		}
		fmt.Fprintln(w)
		return nil
	}
	say := func(line string) func() error {
		return func() error { _, err := fmt.Fprintln(w, line); return err }
	}
	steps := []func() error{
		say("== the first load renders, the second is served from the cache"),
		func() error { return show("GET", "/articles", "") },
		func() error { return show("GET", "/articles", "") },
		func() error { return show("HEAD", "/articles", "") },
		func() error { return show("GET", "/articles/1", "") },
		func() error { return show("GET", "/articles/1", "") },
		say("== a browser's revalidation is answered with 304 from the cache"),
		func() error { return show("GET", "/articles/1", "", "If-None-Match", etag) },
		say("== publishing expires the list (DeletePath); the article pages stay"),
		func() error {
			return show("POST", "/publish", url.Values{"title": {"Fresh news"}, "body": {"Shown at once."}}.Encode())
		},
		func() error { return show("GET", "/articles", "") },
		func() error { return show("GET", "/articles", "") },
		func() error { return show("GET", "/articles/1", "") },
		func() error { return show("GET", "/articles/3", "") },
	}
	for _, step := range steps {
		if err := step(); err != nil {
			return err
		}
	}
	return nil
}
