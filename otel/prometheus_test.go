package ringotel_test

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/redis/go-redis/v9"
	"github.com/ringcache/ring"
	"github.com/ringcache/ring/internal/servertest"
	ringotel "github.com/ringcache/ring/otel"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// TestPrometheus scrapes /metrics from a real HTTP server, served by
// OpenTelemetry's Prometheus exporter, after a scripted sequence on an
// LRU ring (hits, misses, evictions, a failing load, a refresh) and on
// Redis rings (operations, a refused connection absorbed, a breaker
// opening), and checks the exact set of metric families exposed and
// their types.
func TestPrometheus(t *testing.T) {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg))
	if err != nil {
		t.Fatal(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	t.Cleanup(func() { _ = mp.Shutdown(context.Background()) })
	o := newObserver(t, ringotel.WithMeterProvider(mp), ringotel.MetricsOnly())

	ctx := context.Background()
	u := &users{gate: make(chan struct{})}
	lru := ring.Must(ring.Func1(func(ctx context.Context, id int) (string, error) { return u.name(ctx, id) },
		ring.KeyPrefix("users"), ring.LRU(2), ring.Observe(o)))
	for _, id := range []int{1, 1, 2, 3, -1} {
		_, _ = lru.Call(ctx, id)
	}
	if err := lru.Refresh(ctx, 3); err != nil {
		t.Fatal(err)
	}
	shared := redisRing(t, newRedis(t, servertest.RedisAddr(t)), o)
	for _, id := range []int{1, 1} {
		if _, err := shared.Call(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	rdb := redis.NewClient(&redis.Options{Addr: closedPort(t), MaxRetries: -1, DialerRetries: 1, DialerRetryTimeout: time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	down := redisRing(t, rdb, o, ring.CircuitBreaker(1, time.Minute), ring.StorageTimeout(5*time.Second))
	if _, err := down.Call(ctx, 1); err != nil {
		t.Fatal(err)
	}

	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	t.Cleanup(srv.Close)
	var families []string
	deadline := time.Now().Add(10 * time.Second)
	for {
		families = scrapeTypes(t, srv.URL+"/metrics")
		if slices.Contains(families, "cache_refreshes_total counter") || time.Now().After(deadline) {
			break // the refresh runs in the background
		}
		time.Sleep(5 * time.Millisecond)
	}
	want := []string{
		"cache_breaker_transitions_total counter",
		"cache_fail_open_total counter",
		"cache_evictions_total counter",
		"cache_gets_total counter",
		"cache_load_duration_seconds histogram",
		"cache_operation_duration_seconds histogram",
		"cache_refreshes_total counter",
		"target_info gauge",
	}
	slices.Sort(want)
	if !slices.Equal(families, want) {
		t.Errorf("families\n%s\nwant\n%s", strings.Join(families, "\n"), strings.Join(want, "\n"))
	}
	// Both Redis rings are one function: one name, one set of series.
	scope := regexp.MustCompile(`,otel_scope_[a-z_]+="[^"]*"`)
	var lines []string
	for _, l := range scrape(srv.URL+"/metrics", "cache_gets_total") {
		lines = append(lines, scope.ReplaceAllString(l, ""))
	}
	local := `cache_backend="lru",cache_name="` + lru.Untyped().Name() + `"`
	rds := `cache_backend="redis",cache_name="` + shared.Untyped().Name() + `"`
	wantLines := []string{
		`cache_gets_total{` + local + `,cache_result="hit",cache_tier="local"} 1`,
		`cache_gets_total{` + local + `,cache_result="miss",cache_tier="local"} 4`,
		`cache_gets_total{` + rds + `,cache_result="error",cache_tier="remote"} 1`,
		`cache_gets_total{` + rds + `,cache_result="hit",cache_tier="remote"} 1`,
		`cache_gets_total{` + rds + `,cache_result="miss",cache_tier="remote"} 1`,
	}
	if !slices.Equal(lines, wantLines) {
		t.Errorf("cache_gets_total:\n%s\nwant\n%s", strings.Join(lines, "\n"), strings.Join(wantLines, "\n"))
	}
}

// scrapeTypes returns the "name type" of each metric family url exposes,
// sorted.
func scrapeTypes(t testing.TB, url string) []string {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s", url, resp.Status)
	}
	var out []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "# TYPE "); ok {
			out = append(out, rest)
		}
	}
	slices.Sort(out)
	return out
}
