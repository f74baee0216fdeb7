package api

import (
	"context"
	"log/slog"

	"go.opentelemetry.io/otel/trace"

	"github.com/whistle/whistle/backend/audit"
)

type ctxKey int

const (
	requestIDKey ctxKey = iota
	userKey
)

// withRequestID returns ctx carrying the request id.
func withRequestID(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, requestIDKey, id)
}

// requestIDFrom returns the request id in ctx, or "".
func requestIDFrom(ctx context.Context) string {
	id, _ := ctx.Value(requestIDKey).(string)
	return id
}

// LogHandler wraps a slog.Handler so that every record logged with a request's
// context carries its request_id, the user_id and device_id of the caller
// once authentication has named them, and the trace_id and span_id of the
// request's trace, whichever package logs it.
type LogHandler struct{ slog.Handler }

// NewLogHandler returns a LogHandler over h.
func NewLogHandler(h slog.Handler) *LogHandler { return &LogHandler{Handler: h} }

// Handle adds the request id, caller and trace of ctx, if any, to r.
func (h *LogHandler) Handle(ctx context.Context, r slog.Record) error {
	// Collected first and added at once: the record grows its attributes
	// once per request line instead of once per field.
	var attrs [5]slog.Attr
	n := 0
	if id := requestIDFrom(ctx); id != "" {
		attrs[n] = slog.String("request_id", id)
		n++
	}
	if a := audit.ActorFrom(ctx); a.UserID != "" {
		attrs[n] = slog.String("user_id", a.UserID)
		n++
		if a.DeviceID != "" {
			attrs[n] = slog.String("device_id", a.DeviceID)
			n++
		}
	}
	if sc := trace.SpanContextFromContext(ctx); sc.IsValid() {
		attrs[n] = slog.String("trace_id", sc.TraceID().String())
		attrs[n+1] = slog.String("span_id", sc.SpanID().String())
		n += 2
	}
	r.AddAttrs(attrs[:n]...)
	return h.Handler.Handle(ctx, r)
}

// WithAttrs keeps the wrapper around the derived handler.
func (h *LogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	return &LogHandler{Handler: h.Handler.WithAttrs(attrs)}
}

// WithGroup keeps the wrapper around the derived handler.
func (h *LogHandler) WithGroup(name string) slog.Handler {
	return &LogHandler{Handler: h.Handler.WithGroup(name)}
}
