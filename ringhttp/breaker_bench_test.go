package ringhttp_test

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
	"github.com/ringcache/ring/ringhttp"
)

// BenchmarkFrozenStorage measures a request to a Handler on a private
// Redis: a hit while it answers, then, with the server SIGSTOPped, a
// request with the circuit breaker open and one without a breaker (each
// waits StorageTimeout, as every request did before the breaker opened).
//
//	go test ./ringhttp -run '^$' -bench FrozenStorage -benchtime 2s
func BenchmarkFrozenStorage(b *testing.B) {
	srv := servertest.StartRedis(b)
	rdb := redis.NewClient(&redis.Options{Addr: srv.Addr(), ContextTimeoutEnabled: true, MaxRetries: -1,
		DialTimeout: time.Second, ReadTimeout: 5 * time.Second, WriteTimeout: 5 * time.Second})
	b.Cleanup(func() { _ = rdb.Close() })
	st := ring.Storage(redisstore.New(rdb))
	open, err := ringhttp.New(page("max-age=600"), ringhttp.Options{},
		st, ring.KeyPrefix(runID+":bench:"), ring.CircuitBreaker(5, time.Hour))
	if err != nil {
		b.Fatal(err)
	}
	off, err := ringhttp.New(page("max-age=600"), ringhttp.Options{},
		st, ring.KeyPrefix(runID+":bench:"), ring.CircuitBreaker(0, 0))
	if err != nil {
		b.Fatal(err)
	}
	serve := func(b *testing.B, h http.Handler, want string) {
		b.Helper()
		w := httptest.NewRecorder()
		h.ServeHTTP(w, httptest.NewRequest(http.MethodGet, "/b", nil))
		if got := w.Header().Get("Cache-Status"); len(got) < len(want) || got[:len(want)] != want {
			b.Fatalf("Cache-Status %q, want %q", got, want)
		}
	}
	serve(b, open, "ring; fwd=uri-miss; stored")
	b.Run("healthy-hit", func(b *testing.B) {
		for b.Loop() {
			serve(b, open, "ring; hit")
		}
	})
	srv.Pause()
	defer srv.Resume()
	for open.Breaker().State() != backends.BreakerOpen {
		serve(b, open, "ring; fwd=miss; detail=storage")
	}
	b.Run("frozen-breaker-open", func(b *testing.B) {
		for b.Loop() {
			serve(b, open, "ring; fwd=miss; detail=breaker-open")
		}
	})
	b.Run("frozen-no-breaker", func(b *testing.B) {
		for b.Loop() {
			serve(b, off, "ring; fwd=miss; detail=storage")
		}
	})
}
