package api

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"regexp"
	"runtime/debug"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/derrors"
)

// HeaderRequestID carries the request id in both directions.
const HeaderRequestID = "X-Request-ID"

// A client-supplied request id is kept only if it is short and plain, so that
// logs cannot be forged through it.
var validRequestID = regexp.MustCompile(`^[A-Za-z0-9._-]{1,64}$`)

// requestID takes the caller's X-Request-ID or makes one, puts it in the
// request's context (for logs and problem bodies) and echoes it back.
func requestID(c *fiber.Ctx) error {
	id := c.Get(HeaderRequestID)
	if !validRequestID.MatchString(id) {
		b := make([]byte, 12)
		_, _ = rand.Read(b)
		id = hex.EncodeToString(b)
	} else {
		id = string([]byte(id)) // copy out of Fiber's reused buffer
	}
	ctx := withRequestID(c.UserContext(), id)
	// Until authentication names the caller, trail entries carry the request id alone.
	ctx = audit.WithActor(ctx, audit.Actor{RequestID: id})
	c.SetUserContext(context.WithValue(ctx, addrKey, c.IP()))
	c.Set(HeaderRequestID, id)
	return c.Next()
}

// privateAnswers sets the caching and sniffing rule of every answer before
// any handler runs, so that problems carry it too: every answer gets
// X-Content-Type-Options: nosniff (a browser never reinterprets evidence
// content, or anything else, as another type), and every /v1 answer gets
// Cache-Control: no-store, since answers under /v1 carry tokens, personal
// data of parties and officers, or evidence, which no browser or proxy may
// keep. A route that may be cached would set its own Cache-Control; none
// does.
func privateAnswers(c *fiber.Ctx) error {
	c.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	if strings.HasPrefix(c.Path(), "/v1/") {
		c.Set(fiber.HeaderCacheControl, "no-store")
	}
	return c.Next()
}

// recoverPanic turns a panic in a handler into an internal error (a 500
// problem response) and logs its stack with the request id.
func recoverPanic(log *slog.Logger) fiber.Handler {
	return func(c *fiber.Ctx) (err error) {
		defer func() {
			if r := recover(); r != nil {
				log.ErrorContext(c.UserContext(), "panic", "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
				err = fmt.Errorf("panic: %v", r)
			}
		}()
		return c.Next()
	}
}

// deadline bounds each request, so that a hung query cannot hang it: handlers
// pass c.UserContext() down and stop when it expires.
func deadline(d time.Duration) fiber.Handler {
	return func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), d)
		defer cancel()
		c.SetUserContext(ctx)
		return c.Next()
	}
}

// Metrics are the request metrics of the API.
type Metrics struct {
	requests *prometheus.CounterVec
	duration *prometheus.HistogramVec

	// series caches the children of requests and duration by label values,
	// so that a request costs a map lookup under a read lock instead of
	// hashing its labels in both vectors. The label values are bounded (the
	// contract's route templates, methods, statuses), so is the cache.
	mu     sync.RWMutex
	series map[seriesKey]*requestSeries
}

// seriesKey is the label values of one request series.
type seriesKey struct {
	route, method string
	status        int
}

// requestSeries is the counter and histogram of one seriesKey, and its
// method copied out of Fiber's buffers for the log line.
type requestSeries struct {
	method   string
	requests prometheus.Counter
	duration prometheus.Observer
}

// NewMetrics registers the request metrics on reg.
func NewMetrics(reg prometheus.Registerer) *Metrics {
	m := &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "whistle_http_requests_total",
			Help: "HTTP requests answered, by route template, method and status.",
		}, []string{"route", "method", "status"}),
		duration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "whistle_http_request_duration_seconds",
			Help:    "HTTP request latency, by route template, method and status.",
			Buckets: prometheus.DefBuckets,
		}, []string{"route", "method", "status"}),
		series: map[seriesKey]*requestSeries{},
	}
	reg.MustRegister(m.requests, m.duration)
	return m
}

// seriesOf returns the series of a request. method may be in Fiber's
// reused buffer: it is only read here, and copied into a new series.
func (m *Metrics) seriesOf(route, method string, status int) *requestSeries {
	key := seriesKey{route: route, method: method, status: status}
	m.mu.RLock()
	s, ok := m.series[key]
	m.mu.RUnlock()
	if ok {
		return s
	}
	key.method = strings.Clone(method)
	code := strconv.Itoa(status)
	s = &requestSeries{
		method:   key.method,
		requests: m.requests.WithLabelValues(route, key.method, code),
		duration: m.duration.WithLabelValues(route, key.method, code),
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if cached, ok := m.series[key]; ok {
		return cached
	}
	m.series[key] = s
	return s
}

// observe logs one line per request and records its metrics. It runs the
// error handler itself so that the status it sees is the one sent.
func observe(log *slog.Logger, m *Metrics, onError fiber.ErrorHandler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		if err := c.Next(); err != nil {
			if herr := onError(c, err); herr != nil {
				return herr
			}
		}
		elapsed := time.Since(start)
		status := c.Response().StatusCode()
		// The contract's path template keeps label cardinality bounded;
		// requests matching no operation share the label "unmatched".
		route, _ := c.Locals(routeKey).(string)
		if route == "" {
			route = "unmatched"
		}
		series := m.seriesOf(route, c.Method(), status)
		series.requests.Inc()
		series.duration.Observe(elapsed.Seconds())
		level := slog.LevelInfo
		if status >= 500 {
			level = slog.LevelError
		}
		log.LogAttrs(c.UserContext(), level, "request",
			slog.String("method", series.method), slog.String("path", c.Path()), slog.String("route", route),
			slog.Int("status", status), slog.Int64("duration_ms", elapsed.Milliseconds()), slog.Int("bytes", responseSize(c)))
		return nil
	}
}

// responseSize is the size of the response body, without reading a
// streamed body into memory (Body() would) to count it.
func responseSize(c *fiber.Ctx) int {
	if c.Response().IsBodyStream() {
		return c.Response().Header.ContentLength()
	}
	return len(c.Response().Body())
}

// limitBody refuses request bodies over limit bytes (413) before any
// handler reads them. The server streams request bodies (so that evidence
// uploads need not fit in memory); every route but the streaming ones is
// held to the limit here, chunked bodies included. The rest of a refused
// body is read and thrown away (drainBody) so that the client sees the 413.
func limitBody(limit int) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if streamsBody(c.Path()) {
			return c.Next()
		}
		n := c.Request().Header.ContentLength()
		if n > limit {
			drainBody(c, n)
			return derrors.New(derrors.PayloadTooLarge, "the body of %d bytes is over the limit of %d", n, limit)
		}
		if n == -1 { // chunked: read at most one byte past the limit
			if stream := c.Context().RequestBodyStream(); stream != nil {
				b, err := io.ReadAll(io.LimitReader(stream, int64(limit)+1))
				if err != nil {
					return derrors.Wrap(err, derrors.BadRequest, "the body could not be read")
				}
				if len(b) > limit {
					drainBody(c, n)
					return derrors.New(derrors.PayloadTooLarge, "the body is over the limit of %d bytes", limit)
				}
				c.Request().SetBodyRaw(b)
			}
		}
		return c.Next()
	}
}

// drainLimit bounds how much of a refused body is read and thrown away.
const drainLimit = 64 << 20

// drainBody reads the rest of a refused body of n bytes (-1: chunked), up
// to drainLimit, and closes the connection after the answer. A connection
// closed with unread data is reset by the kernel, and a client still sending
// then sees the reset instead of the answer (and a phone retries a reset as a
// network failure, forever). With Expect: 100-continue the server has sent
// the 100 already, so the body comes and is drained the same way. A body
// declared over the bound is not read: its client may see a reset.
func drainBody(c *fiber.Ctx, n int) {
	c.Context().SetConnectionClose()
	stream := c.Context().RequestBodyStream()
	if stream == nil || n > drainLimit {
		return
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(stream, drainLimit))
}
