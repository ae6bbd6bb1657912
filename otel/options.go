package ringotel

import (
	"fmt"

	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/trace"
)

// Option configures [New]. Options are values with a String method, so
// they can be printed; later options override earlier ones.
type Option interface {
	apply(*config)
	String() string
}

// config is what the options fill in.
type config struct {
	meters  metric.MeterProvider // nil: otel.GetMeterProvider()
	tracers trace.TracerProvider // nil: otel.GetTracerProvider()
	metrics bool
	traces  bool
	buckets []float64
}

type option struct {
	name string
	fn   func(*config)
}

func (o option) apply(c *config) { o.fn(c) }
func (o option) String() string  { return o.name }

// WithMeterProvider records the metrics with mp's meter. The default is
// the global provider (otel.GetMeterProvider()).
func WithMeterProvider(mp metric.MeterProvider) Option {
	return option{fmt.Sprintf("WithMeterProvider(%T)", mp), func(c *config) { c.meters = mp }}
}

// WithTracerProvider starts the spans with tp's tracer. The default is the
// global provider (otel.GetTracerProvider()).
func WithTracerProvider(tp trace.TracerProvider) Option {
	return option{fmt.Sprintf("WithTracerProvider(%T)", tp), func(c *config) { c.tracers = tp }}
}

// MetricsOnly records metrics and starts no span: a load or a backend
// operation then costs one histogram record and no allocation.
func MetricsOnly() Option {
	return option{"MetricsOnly()", func(c *config) { c.metrics, c.traces = true, false }}
}

// TracesOnly starts spans and records no metric.
func TracesOnly() Option {
	return option{"TracesOnly()", func(c *config) { c.metrics, c.traces = false, true }}
}

// WithDurationBuckets replaces the bucket boundaries, in seconds, of the
// two duration histograms (default: [DefaultDurationBuckets]). They must
// be strictly increasing; New reports them otherwise.
func WithDurationBuckets(bounds ...float64) Option {
	b := append([]float64(nil), bounds...)
	return option{fmt.Sprintf("WithDurationBuckets(%v)", b), func(c *config) { c.buckets = b }}
}

// DefaultDurationBuckets returns the boundaries, in seconds, of the
// load-duration and operation-duration histograms: from 1 µs (an
// in-process store) through the milliseconds of a network round trip to
// 10 s (a slow load), three per decade. Each call returns a new slice.
func DefaultDurationBuckets() []float64 {
	return []float64{
		0.000001, 0.0000025, 0.000005,
		0.00001, 0.000025, 0.00005,
		0.0001, 0.00025, 0.0005,
		0.001, 0.0025, 0.005,
		0.01, 0.025, 0.05,
		0.1, 0.25, 0.5,
		1, 2.5, 5, 10,
	}
}
