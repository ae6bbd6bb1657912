//go:build !race

package ringhttp_test

import (
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/ringcache/ring"
	"github.com/ringcache/ring/ringhttp"
)

// discardWriter is a ResponseWriter that keeps nothing but its header map.
type discardWriter struct{ h http.Header }

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) WriteHeader(int)             {}
func (d *discardWriter) Write(p []byte) (int, error) { return len(p), nil }

// TestHitAllocations pins the cost of a cached page on the LRU: the two
// backend keys (the store layer prefixes them); the variant key, the
// decodings and the fields of a hit are kept (hit.go). It was 16 before
// (BenchmarkHTTPHit in bench/, docs/benchmarks.md).
func TestHitAllocations(t *testing.T) {
	for _, c := range []struct {
		name, target string
		hdr          []string
		max          float64
	}{
		{"plain", "/articles", nil, 2},
		{"vary", "/articles", []string{"Accept-Language", "fr"}, 2},
		// The URL key with a query is built: one more.
		{"query", "/articles?page=2&sort=date", []string{"Accept-Language", "fr"}, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, err := ringhttp.New(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Cache-Control", "max-age=600")
				w.Header().Set("Vary", "Accept-Language")
				_, _ = w.Write([]byte("<html>a page</html>"))
			}), ringhttp.Options{}, ring.LRU(100), ring.KeyPrefix("page:"))
			require.NoError(t, err)
			r := httptest.NewRequest(http.MethodGet, c.target, nil)
			for i := 0; i+1 < len(c.hdr); i += 2 {
				r.Header.Set(c.hdr[i], c.hdr[i+1])
			}
			w := &discardWriter{h: http.Header{}}
			h.ServeHTTP(w, r)
			allocs := testing.AllocsPerRun(500, func() {
				clear(w.h)
				h.ServeHTTP(w, r)
			})
			require.Contains(t, w.h.Get("Cache-Status"), "hit")
			require.Equal(t, "19", w.h.Get("Content-Length"))
			t.Logf("%s: %.1f allocations", c.target, allocs)
			require.LessOrEqual(t, allocs, c.max)
		})
	}
}
