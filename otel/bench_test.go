package ringotel_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/ringcache/ring"
	"github.com/ringcache/ring/backends/redisstore"
	"github.com/ringcache/ring/internal/servertest"
	"github.com/ringcache/ring/observe"
	ringotel "github.com/ringcache/ring/otel"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
)

// The cost of OpenTelemetry on a ring (docs/benchmarks.md, "Observability
// cost"): each benchmark runs the same ring without an observer ("off"),
// with an observer that does nothing ("base": observe.Base, the cost of
// the core's seam), with metrics only ("metrics"), and with metrics and
// traces ("traces":
// every span sampled and recorded, exported nowhere, so that what is
// measured is ring's instrumentation, not an exporter). Run both sides in
// one invocation and compare with benchstat:
//
//	go test -run '^$' -bench 'Observer' -benchmem -count 6 . > otel.txt
//	benchstat -col /otel otel.txt

// benchObservers returns the observer options of each variant.
func benchObservers(b *testing.B) []struct {
	name string
	opts []ring.Option
} {
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()))
	tp := sdktrace.NewTracerProvider(sdktrace.WithSampler(sdktrace.AlwaysSample()))
	b.Cleanup(func() {
		_ = mp.Shutdown(context.Background())
		_ = tp.Shutdown(context.Background())
	})
	metrics, err := ringotel.New(ringotel.WithMeterProvider(mp), ringotel.WithTracerProvider(tp), ringotel.MetricsOnly())
	if err != nil {
		b.Fatal(err)
	}
	traces, err := ringotel.New(ringotel.WithMeterProvider(mp), ringotel.WithTracerProvider(tp))
	if err != nil {
		b.Fatal(err)
	}
	return []struct {
		name string
		opts []ring.Option
	}{
		{"otel=off", nil},
		{"otel=base", []ring.Option{ring.Observe(observe.Base{})}},
		{"otel=metrics", []ring.Option{ring.Observe(metrics)}},
		{"otel=traces", []ring.Option{ring.Observe(traces)}},
	}
}

// BenchmarkObserverHitLRU is the in-process hit: one Call of a key in the
// LRU, observed as one request (no span: an LRU hit has no load and no
// backend operation).
func BenchmarkObserverHitLRU(b *testing.B) {
	for _, v := range benchObservers(b) {
		b.Run(v.name, func(b *testing.B) {
			r := ring.Must(ring.Func1(squareOf, append([]ring.Option{ring.LRU(1024)}, v.opts...)...))
			ctx := context.Background()
			if _, err := r.Call(ctx, 7); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Call(ctx, 7); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkObserverHitRedis is a hit on the shared Redis: one Call, one
// GET round trip, observed as one request and one backend operation (and
// its span).
func BenchmarkObserverHitRedis(b *testing.B) {
	rdb := redis.NewClient(&redis.Options{Addr: servertest.RedisAddr(b)})
	b.Cleanup(func() { _ = rdb.Close() })
	prefix := fmt.Sprintf("ringotel-bench:%d", time.Now().UnixNano())
	for _, v := range benchObservers(b) {
		b.Run(v.name, func(b *testing.B) {
			opts := append([]ring.Option{ring.Storage(redisstore.New(rdb)), ring.Coder("json"),
				ring.KeyPrefix(prefix), ring.Expire(time.Minute)}, v.opts...)
			r := ring.Must(ring.Func1(squareOf, opts...))
			ctx := context.Background()
			if _, err := r.Call(ctx, 7); err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			for b.Loop() {
				if _, err := r.Call(ctx, 7); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
