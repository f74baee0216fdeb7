package api

import (
	"strconv"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/whistle/whistle/backend/audit"
)

// traceRequests starts the server span of each request, as a child of the
// caller's W3C traceparent when it sends one, and puts it in the request's
// context: the SQL and S3 spans of the request hang under it, and its log
// lines carry its trace id. The span is named by the contract's path
// template once routing has found it, and carries the caller's user and
// device ids once authentication has named them.
func traceRequests(tp trace.TracerProvider, propagator propagation.TextMapPropagator) fiber.Handler {
	tracer := tp.Tracer("github.com/whistle/whistle/backend/api")
	return func(c *fiber.Ctx) error {
		ctx := propagator.Extract(c.UserContext(), headerCarrier{&c.Request().Header})
		method := string([]byte(c.Method()))
		ctx, span := tracer.Start(ctx, method, trace.WithSpanKind(trace.SpanKindServer),
			trace.WithAttributes(semconv.HTTPRequestMethodKey.String(method), semconv.URLPath(string([]byte(c.Path())))))
		defer span.End()
		c.SetUserContext(ctx)
		err := c.Next()
		route, _ := c.Locals(routeKey).(string)
		if route != "" {
			span.SetName(method + " " + route)
			span.SetAttributes(semconv.HTTPRoute(route))
		}
		if a := audit.ActorFrom(c.UserContext()); a.UserID != "" {
			span.SetAttributes(attribute.String("whistle.user_id", a.UserID))
			if a.DeviceID != "" {
				span.SetAttributes(attribute.String("whistle.device_id", a.DeviceID))
			}
		}
		status := c.Response().StatusCode()
		span.SetAttributes(semconv.HTTPResponseStatusCode(status))
		if status >= 500 {
			span.SetStatus(codes.Error, strconv.Itoa(status))
		}
		return err
	}
}

// headerCarrier reads a trace context from fasthttp request headers.
type headerCarrier struct{ h *fasthttp.RequestHeader }

// Get returns the value of header key, copied out of Fiber's buffer.
func (hc headerCarrier) Get(key string) string { return string(hc.h.Peek(key)) }

// Set is not used on requests the server receives.
func (hc headerCarrier) Set(key, value string) { hc.h.Set(key, value) }

// Keys lists the header names of the request.
func (hc headerCarrier) Keys() []string {
	var keys []string
	hc.h.VisitAll(func(k, _ []byte) { keys = append(keys, string(k)) })
	return keys
}
