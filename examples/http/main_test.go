package main

import (
	"testing"

	"github.com/ringcache/ring/internal/exampletest"
)

// TestRun runs the walk-through against a real server and compares its
// output with the golden text below: a hit that becomes a miss or an extra
// render breaks it.
func TestRun(t *testing.T) {
	exampletest.Check(t, "github.com/ringcache/ring/examples/http", want, run)
}

// want is the expected output of run, byte for byte.
const want = `== the first load renders, the second is served from the cache
GET  /articles    200  ring; fwd=uri-miss; stored   renders of /articles: 1, 2 articles
GET  /articles    200  ring; hit                    renders of /articles: 1, 2 articles
HEAD /articles    200  ring; hit                    renders of /articles: 1
GET  /articles/1  200  ring; fwd=uri-miss; stored   renders of /articles/1: 1
GET  /articles/1  200  ring; hit                    renders of /articles/1: 1
== a browser's revalidation is answered with 304 from the cache
GET  /articles/1  304  ring; hit                    renders of /articles/1: 1
== publishing expires the list (DeletePath); the article pages stay
POST /publish     303  ring; fwd=method             renders of /publish: 0
GET  /articles    200  ring; fwd=uri-miss; stored   renders of /articles: 2, 3 articles
GET  /articles    200  ring; hit                    renders of /articles: 2, 3 articles
GET  /articles/1  200  ring; hit                    renders of /articles/1: 1
GET  /articles/3  200  ring; fwd=uri-miss; stored   renders of /articles/3: 1
`
