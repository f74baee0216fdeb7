package api

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
)

// newBareApp is the middleware chain of New around test-only handlers, for
// behaviour no contract route can trigger on purpose (panics, hung handlers).
func newBareApp(timeout time.Duration, routes func(app *fiber.App)) *fiber.App {
	log := slog.New(NewLogHandler(slog.NewJSONHandler(io.Discard, nil)))
	onError := errorHandler(log)
	app := fiber.New(fiber.Config{ErrorHandler: onError, DisableStartupMessage: true})
	app.Use(requestID)
	app.Use(observe(log, NewMetrics(prometheus.NewRegistry()), onError))
	app.Use(recoverPanic(log))
	app.Use(deadline(timeout))
	routes(app)
	return app
}

func TestRecoverPanic(t *testing.T) {
	app := newBareApp(time.Second, func(app *fiber.App) {
		app.Get("/boom", func(c *fiber.Ctx) error { panic("nil map somewhere") })
	})
	res, err := app.Test(httptest.NewRequest(http.MethodGet, "/boom", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	_ = json.NewDecoder(res.Body).Decode(&p)
	if res.StatusCode != 500 || p["code"] != "internal" || res.Header.Get("Content-Type") != "application/problem+json" {
		t.Fatalf("panic answered %d %v (%s), want a 500 internal problem", res.StatusCode, p, res.Header.Get("Content-Type"))
	}
	if d, _ := p["detail"].(string); d == "" || strings.Contains(d, "nil map") {
		t.Fatalf("detail %q leaks internals or is empty", d)
	}
}

func TestDeadline(t *testing.T) {
	app := newBareApp(50*time.Millisecond, func(app *fiber.App) {
		app.Get("/hang", func(c *fiber.Ctx) error {
			<-c.UserContext().Done() // what a query does when its context ends
			return c.UserContext().Err()
		})
	})
	res, err := app.Test(httptest.NewRequest(http.MethodGet, "/hang", nil), -1)
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	_ = json.NewDecoder(res.Body).Decode(&p)
	if res.StatusCode != http.StatusGatewayTimeout || p["code"] != "timeout" {
		t.Fatalf("hung handler answered %d %v, want 504 timeout", res.StatusCode, p)
	}
}
