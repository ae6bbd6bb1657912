package ringotel_test

import (
	"bufio"
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/ringcache/ring"
	ringotel "github.com/ringcache/ring/otel"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// squareOf is the cached function of the examples.
func squareOf(_ context.Context, n int) (int, error) { return n * n, nil }

// Example serves a ring's metrics to Prometheus through OpenTelemetry's
// Prometheus exporter, and scrapes them as Prometheus would.
func Example() {
	reg := prometheus.NewRegistry()
	exporter, err := otelprom.New(otelprom.WithRegisterer(reg), otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		panic(err)
	}
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exporter))
	defer mp.Shutdown(context.Background())

	obs, err := ringotel.New(ringotel.WithMeterProvider(mp))
	if err != nil {
		panic(err)
	}
	square := ring.Must(ring.Func1(squareOf, ring.LRU(100), ring.Observe(obs)))
	ctx := context.Background()
	for _, n := range []int{3, 3, 3, 4} {
		_, _ = square.Call(ctx, n) // 3: a miss, then two hits; 4: a miss
	}

	srv := httptest.NewServer(promhttp.HandlerFor(reg, promhttp.HandlerOpts{}))
	defer srv.Close()
	for _, line := range scrape(srv.URL+"/metrics", "cache_gets_total", "cache_load_duration_seconds_count") {
		fmt.Println(line)
	}
	// Output:
	// cache_gets_total{cache_backend="lru",cache_name="github.com/ringcache/ring/otel_test.squareOf",cache_result="hit",cache_tier="local"} 2
	// cache_gets_total{cache_backend="lru",cache_name="github.com/ringcache/ring/otel_test.squareOf",cache_result="miss",cache_tier="local"} 2
	// cache_load_duration_seconds_count{cache_backend="lru",cache_load_kind="fill",cache_load_outcome="success",cache_name="github.com/ringcache/ring/otel_test.squareOf",cache_tier="local"} 2
}

// scrape GETs url and returns its sample lines of the named series,
// sorted.
func scrape(url string, names ...string) []string {
	resp, err := http.Get(url)
	if err != nil {
		panic(err)
	}
	defer resp.Body.Close()
	series := regexp.MustCompile(`^([a-z_]+)[{ ]`)
	var out []string
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if m := series.FindStringSubmatch(line); m != nil && slices.Contains(names, m[1]) && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	slices.Sort(out)
	return out
}
