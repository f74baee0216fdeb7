// Package api is Whistle's HTTP API: a Fiber app serving the operations of
// openapi/openapi.yaml through the generated strict-server interface.
//
// Every request passes, in order: its trace span, request id, the caching
// and sniffing headers of its answer, logging and metrics, panic recovery, a
// deadline, and validation against the contract (authentication first, then
// parameters and body). The web console (backend/console) is mounted under
// /console before that validation: its pages are HTML, outside the
// contract. Handlers return errors; the one error
// handler renders them as RFC 9457 problem+json with a stable code.
package api

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/trace"
	"go.opentelemetry.io/otel/trace/noop"

	"github.com/whistle/whistle/backend/archive"
	"github.com/whistle/whistle/backend/assess"
	"github.com/whistle/whistle/backend/console"
	"github.com/whistle/whistle/backend/idempotency"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/telemetry"
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
	Logger      *slog.Logger
	Identity    *identity.Service
	Users       identity.UserStore      // to find accounts by username (admin acts)
	Passwords   identity.PasswordHasher // hashes passwords of imported logins
	Org         OrgStore
	Trail       Trail
	Sync        Sync
	Inspections Inspections
	Cases       Cases
	Reviews     EvidenceReviews
	Whistles    Whistles
	Evidence    Evidence
	Deadlines   Deadlines
	// Bundles reads what a case's export bundle holds (nil: no export).
	Bundles        Bundles
	Archives       *archive.Service // the completeness check, archive closing, annexes and explanations of late deadlines
	Review         Review           // department review grants; the zero value: the review routes answer 503
	Performance    Performance      // performance records of seconded officers; without a store the routes answer 503
	Assess         *assess.Service  // the departments' assessment; nil: its routes answer 503
	Now            func() time.Time // the clock (required)
	Dependencies   []Dependency
	Registry       *prometheus.Registry // request metrics are registered here and /metrics serves it
	RequestTimeout time.Duration        // deadline of every request
	BodyLimit      int                  // bytes; larger bodies get 413
	// Idempotency keeps the answers of creates sent with an
	// Idempotency-Key (the operations declaring it in the contract); nil
	// ignores the header.
	Idempotency idempotency.Store
	// Tracing makes the server span of each request (nil: no spans); the
	// caller's W3C traceparent is honoured either way.
	Tracing trace.TracerProvider
}

// New returns the Fiber app of the API.
func New(cfg Config) (*fiber.App, error) {
	doc, err := openapi.Load()
	if err != nil {
		return nil, err
	}
	docs, err := renderDocs(doc)
	if err != nil {
		return nil, fmt.Errorf("render docs: %w", err)
	}
	if err := judgePushesApart(doc); err != nil {
		return nil, err
	}
	router, err := openapi.NewRouter(doc)
	if err != nil {
		return nil, fmt.Errorf("openapi router: %w", err)
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
		// Evidence uploads stream their bodies (registerTus); every other
		// route is held to BodyLimit by limitBody.
		StreamRequestBody: true,
	})
	tracing := cfg.Tracing
	if tracing == nil {
		tracing = noop.NewTracerProvider()
	}
	app.Use(traceRequests(tracing, telemetry.Propagator))
	app.Use(requestID)
	app.Use(privateAnswers)
	app.Use(observe(cfg.Logger, NewMetrics(cfg.Registry), onError))
	app.Use(recoverPanic(cfg.Logger))
	app.Use(deadline(cfg.RequestTimeout))
	app.Use(limitBody(cfg.BodyLimit))

	if cfg.Now == nil {
		return nil, errors.New("api: Config.Now (the clock) is required")
	}
	if cfg.Sync.Service != nil {
		// Offline acts are validated against the contract like online ones.
		validate, err := MutationArgsValidator()
		if err != nil {
			return nil, err
		}
		cfg.Sync.Service.ValidateArgs(validate)
	}
	srv := &server{log: cfg.Logger, ids: cfg.Identity, org: cfg.Org, trail: cfg.Trail, sync: cfg.Sync, inspections: cfg.Inspections, cases: cfg.Cases, reviews: cfg.Reviews, whistles: cfg.Whistles, evidence: cfg.Evidence, review: cfg.Review, deadlines: cfg.Deadlines, bundles: cfg.Bundles, archives: cfg.Archives, perf: cfg.Performance, assess: cfg.Assess, users: cfg.Users, passwords: cfg.Passwords,
		now: cfg.Now, deps: cfg.Dependencies, gatherer: cfg.Registry, docs: docs,
		acts: newActCounter(cfg.Registry)}
	if cfg.Inspections.Service != nil && cfg.Identity != nil && cfg.Org != nil {
		// The console's HTML pages are outside the contract: mounted before
		// its validator, on the same services and the same middleware above.
		ccfg := console.Config{Logger: cfg.Logger, Identity: cfg.Identity, Org: cfg.Org,
			Inspections: cfg.Inspections.Service, Deadlines: cfg.Deadlines, Whistles: cfg.Whistles.Service,
			Cases: cfg.Cases.Service, Archives: cfg.Archives, Now: cfg.Now,
			CaseEvidence: cfg.Review.Evidence, Reviews: cfg.Reviews.Service}
		if cfg.Review.Service != nil {
			ccfg.Grants = cfg.Review.Service
		}
		if cfg.Evidence.Service != nil && cfg.Evidence.Media != nil {
			ccfg.Evidence = newConsoleEvidence(srv)
		}
		// The grid operator's pages
		ccfg.Grid = console.GridConfig{Reference: cfg.Org}

		// The assessment pages
		ccfg.Assessment = console.AssessmentConfig{Service: cfg.Assess, CSV: AssessmentCSV, Departments: cfg.Org}

		// The administrator's pages
		ccfg.Admin = console.AdminConfig{Org: cfg.Org, Passwords: cfg.Passwords}
		if cfg.Trail.Store != nil {
			ccfg.Admin.Trail = cfg.Trail.Store
		}

		// The team pages
		ccfg.Team = console.TeamConfig{}
		if cfg.Sync.Reports != nil {
			ccfg.Team.Devices = cfg.Sync.Reports
		}

		con, err := console.New(ccfg)
		if err != nil {
			return nil, err
		}
		con.Mount(app)
	}
	app.Use(validateRequest(doc, router, cfg.Identity))
	srv.registerTus(app)
	openapi.RegisterHandlers(app, openapi.NewStrictHandler(srv, []openapi.StrictMiddlewareFunc{keepRawBody, keepRequestURI,
		idempotent(cfg.Idempotency, idempotentOperations(doc))}))
	return app, nil
}
