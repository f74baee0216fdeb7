// Package api is Whistle's HTTP API: a Fiber app serving the operations of
// openapi/openapi.yaml through the generated strict-server interface.
//
// Every request passes, in order: request id, logging and metrics, panic
// recovery, a deadline, and then, inside its operation's route, validation
// against the contract with the operation's security requirement. Handlers
// return errors; the one error handler renders them as RFC 9457
// problem+json with a stable code.
package api

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/openapi"
)

// Pinger is a dependency that can say whether it is reachable.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Dependency is a named dependency checked by GET /readyz.
type Dependency struct {
	Name  string // as in the contract's Check.name: postgres, object_store
	Check Pinger
}

// Config is what the API needs, wired by main.
type Config struct {
	Logger         *slog.Logger
	Identity       *identity.Service
	Users          identity.UserStore      // to find accounts by username (admin acts)
	Passwords      identity.PasswordHasher // hashes passwords of imported logins
	Org            OrgStore
	Trail          Trail
	Now            func() time.Time // the clock; time.Now when nil
	Dependencies   []Dependency
	Registry       *prometheus.Registry // request metrics are registered here and /metrics serves it
	RequestTimeout time.Duration        // deadline of every request
	BodyLimit      int                  // bytes; larger bodies get 413
}

// New returns the Fiber app of the API.
func New(cfg Config) (*fiber.App, error) {
	doc, err := openapi.Load()
	if err != nil {
		return nil, err
	}
	router, err := openapi.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi router: %w", err)
	}
	docs, err := renderDocs(doc)
	if err != nil {
		return nil, fmt.Errorf("render docs: %w", err)
	}
	onError := errorHandler(cfg.Logger)
	app := fiber.New(fiber.Config{
		AppName:               "whistle",
		ErrorHandler:          onError,
		BodyLimit:             cfg.BodyLimit,
		ReadTimeout:           cfg.RequestTimeout + 5*time.Second,
		WriteTimeout:          cfg.RequestTimeout + 5*time.Second,
		IdleTimeout:           2 * time.Minute,
		DisableStartupMessage: true,
	})
	app.Use(requestID)
	app.Use(observe(cfg.Logger, NewMetrics(cfg.Registry), onError))
	app.Use(recoverPanic(cfg.Logger))
	app.Use(deadline(cfg.RequestTimeout))

	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	srv := &server{log: cfg.Logger, ids: cfg.Identity, org: cfg.Org, trail: cfg.Trail, users: cfg.Users, passwords: cfg.Passwords,
		now: cfg.Now, deps: cfg.Dependencies, gatherer: cfg.Registry, docs: docs}
	openapi.RegisterHandlersWithOptions(app, openapi.NewStrictHandler(srv, nil), openapi.FiberServerOptions{
		HandlerMiddlewares: []openapi.HandlerMiddlewareFunc{validateRequest(router, cfg.Identity)},
	})
	return app, nil
}
