// Package telemetry sets up OpenTelemetry tracing for the server: the tracer
// provider and its exporter (none, stdout or OTLP over HTTP), the W3C Trace
// Context propagator, and the instrumentation of the adapters that have no
// tracing of their own: SQL through GORM and S3 calls through minio-go's
// HTTP transport. The HTTP server spans come from backend/api.
//
// Tracing is off unless an exporter is configured: the provider is then a
// no-op one and no span is recorded, though an incoming traceparent is still
// honoured for the request log line.
package telemetry

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp"
	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdouttrace"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"
)

// The exporters of WHISTLE_OTEL_EXPORTER.
const (
	ExporterNone   = ""       // tracing off
	ExporterStdout = "stdout" // spans as JSON on standard output, one a line (for a look, not for production)
	ExporterOTLP   = "otlp"   // OTLP over HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (and the other standard OTEL_EXPORTER_OTLP_* variables)
)

// Config says where spans go.
type Config struct {
	Exporter    string    // one of the Exporter constants
	ServiceName string    // service.name of every span
	Version     string    // service.version
	Stdout      io.Writer // where the stdout exporter writes
}

// Propagator is the W3C Trace Context propagator (traceparent, tracestate)
// that the server honours on incoming requests.
var Propagator propagation.TextMapPropagator = propagation.TraceContext{}

// New returns the tracer provider of cfg and the function that flushes and
// stops it on shutdown. With no exporter it is a no-op provider.
func New(ctx context.Context, cfg Config) (trace.TracerProvider, func(context.Context) error, error) {
	var exp sdktrace.SpanExporter
	var err error
	switch cfg.Exporter {
	case ExporterNone:
		return noop.NewTracerProvider(), func(context.Context) error { return nil }, nil
	case ExporterStdout:
		exp, err = stdouttrace.New(stdouttrace.WithWriter(cfg.Stdout))
	case ExporterOTLP:
		// The endpoint, headers, TLS and timeout come from the standard
		// OTEL_EXPORTER_OTLP_* variables, read by the exporter itself.
		exp, err = otlptracehttp.New(ctx)
	default:
		return nil, nil, fmt.Errorf("%q is neither otlp, stdout nor empty", cfg.Exporter)
	}
	if err != nil {
		return nil, nil, err
	}
	res := resource.NewWithAttributes(semconv.SchemaURL,
		semconv.ServiceName(cfg.ServiceName), semconv.ServiceVersion(cfg.Version))
	var span sdktrace.SpanProcessor = sdktrace.NewBatchSpanProcessor(exp)
	if cfg.Exporter == ExporterStdout {
		// A look at a few requests: print each span as it ends.
		span = sdktrace.NewSimpleSpanProcessor(exp)
	}
	tp := sdktrace.NewTracerProvider(sdktrace.WithResource(res), sdktrace.WithSpanProcessor(span),
		sdktrace.WithSampler(sdktrace.ParentBased(sdktrace.AlwaysSample())))
	return tp, tp.Shutdown, nil
}

// S3Transport wraps base so that every call to the object store gets a
// client span named "S3 <method>", a child of the span in the request's
// context. It sends no traceparent to the store: the store is not traced.
func S3Transport(tp trace.TracerProvider, base http.RoundTripper) http.RoundTripper {
	return otelhttp.NewTransport(base,
		otelhttp.WithTracerProvider(tp),
		otelhttp.WithPropagators(propagation.NewCompositeTextMapPropagator()),
		otelhttp.WithSpanNameFormatter(func(_ string, r *http.Request) string { return "S3 " + r.Method }))
}
