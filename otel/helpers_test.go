package ringotel_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

// harness is a real SDK meter and tracer provider whose readings a test
// asserts: a ManualReader for the metrics, a SpanRecorder for the spans.
type harness struct {
	reader *sdkmetric.ManualReader
	mp     *sdkmetric.MeterProvider
	spans  *tracetest.SpanRecorder
	tp     *sdktrace.TracerProvider
}

func newHarness(t testing.TB) *harness {
	h := &harness{reader: sdkmetric.NewManualReader(), spans: tracetest.NewSpanRecorder()}
	h.mp = sdkmetric.NewMeterProvider(sdkmetric.WithReader(h.reader))
	h.tp = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(h.spans))
	t.Cleanup(func() {
		_ = h.mp.Shutdown(context.Background())
		_ = h.tp.Shutdown(context.Background())
	})
	return h
}

// series is one data point: the metric name and its attributes, printed
// as name{k=v,...} with the attributes sorted.
func series(name string, set attribute.Set) string {
	var kv []string
	for _, a := range set.ToSlice() {
		kv = append(kv, fmt.Sprintf("%s=%s", a.Key, a.Value.String()))
	}
	slices.Sort(kv)
	return name + "{" + strings.Join(kv, ",") + "}"
}

// collect reads every metric: the value of each counter's series, and the
// count of each histogram's series (with the suffix " count").
func (h *harness) collect(t testing.TB) (map[string]int64, metricdata.ResourceMetrics) {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := h.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				for _, p := range d.DataPoints {
					out[series(m.Name, p.Attributes)] += p.Value
				}
			case metricdata.Histogram[float64]:
				for _, p := range d.DataPoints {
					out[series(m.Name, p.Attributes)+" count"] += int64(p.Count)
				}
			default:
				t.Fatalf("metric %s: unexpected data %T", m.Name, m.Data)
			}
		}
	}
	return out, rm
}

// histogramBounds returns the bucket boundaries of the first point of the
// histogram name.
func histogramBounds(t testing.TB, rm metricdata.ResourceMetrics, name string) []float64 {
	t.Helper()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if d, ok := m.Data.(metricdata.Histogram[float64]); ok && m.Name == name && len(d.DataPoints) > 0 {
				return d.DataPoints[0].Bounds
			}
		}
	}
	t.Fatalf("no histogram %s", name)
	return nil
}

// histogramSum adds up the sums and counts of the points of histogram
// name whose attributes hold the value withValue.
func histogramSum(t testing.TB, rm metricdata.ResourceMetrics, name, withValue string) (float64, uint64) {
	t.Helper()
	var sum float64
	var n uint64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			d, ok := m.Data.(metricdata.Histogram[float64])
			if !ok || m.Name != name {
				continue
			}
			for _, p := range d.DataPoints {
				if strings.Contains(series("", p.Attributes), "="+withValue) {
					sum += p.Sum
					n += p.Count
				}
			}
		}
	}
	return sum, n
}

// noKeyInSpans fails if any recorded span holds a backend key (which
// contains marker) in its name, attributes, status or events.
func noKeyInSpans(t testing.TB, h *harness, marker string) {
	t.Helper()
	for _, s := range h.spans.Ended() {
		texts := []string{s.Name(), s.Status().Description}
		for _, kv := range s.Attributes() {
			texts = append(texts, kv.Value.String())
		}
		for _, ev := range s.Events() {
			for _, kv := range ev.Attributes {
				texts = append(texts, kv.Value.String())
			}
		}
		for _, text := range texts {
			if strings.Contains(text, marker) {
				t.Errorf("span %s holds a key: %q", s.Name(), text)
			}
		}
	}
}
