package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"go.opentelemetry.io/otel/trace"

	"github.com/whistle/whistle/backend/api"
	"github.com/whistle/whistle/backend/archive"
	"github.com/whistle/whistle/backend/argon2id"
	"github.com/whistle/whistle/backend/assess"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/backend/grant"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/jobs"
	"github.com/whistle/whistle/backend/jwt"
	"github.com/whistle/whistle/backend/numbering"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/review"
	"github.com/whistle/whistle/backend/telemetry"
	"github.com/whistle/whistle/backend/whistle"
	"github.com/whistle/whistle/media"
	wsync "github.com/whistle/whistle/sync"
)

func newLogHandler(w io.Writer, level slog.Level) slog.Handler {
	return api.NewLogHandler(slog.NewJSONHandler(w, &slog.HandlerOptions{Level: level}))
}

// serve runs the API until ctx is cancelled (SIGINT/SIGTERM), then lets
// in-flight requests finish within the shutdown timeout and closes.
func serve(ctx context.Context, cfg Config, log *slog.Logger) error {
	if cfg.Env == "development" {
		log.Warn("development mode: default credentials and the fixed development signing key are in use")
	}
	// Bind first, so that a taken port fails before minutes of waiting.
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		return fmt.Errorf("WHISTLE_ADDR: cannot listen on %s: %w", cfg.Addr, err)
	}
	defer ln.Close()

	if cfg.PprofAddr != "" {
		pl, err := net.Listen("tcp", cfg.PprofAddr)
		if err != nil {
			return fmt.Errorf("WHISTLE_PPROF_ADDR: cannot listen on %s: %w", cfg.PprofAddr, err)
		}
		pctx, stop := context.WithCancel(ctx)
		defer stop()
		go servePprof(pctx, pl, log)
	}
	tracing, stopTracing, err := telemetry.New(ctx, telemetry.Config{Exporter: cfg.OtelExporter,
		ServiceName: "whistle", Version: version, Stdout: os.Stdout})
	if err != nil {
		return fmt.Errorf("WHISTLE_OTEL_EXPORTER: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := stopTracing(sctx); err != nil {
			log.Error("trace spans not all exported", "err", err.Error())
		}
	}()

	st, err := wire(ctx, cfg, log, tracing)
	if err != nil {
		return err
	}
	defer st.db.Close()
	db, app := st.db, st.app

	// Background work runs on River: thumbnails one item per job, off the
	// upload path; anchoring and the purge periodically, on the leader.
	listener, err := listenerPool(ctx, cfg.DatabaseURL)
	if err != nil {
		return err
	}
	defer listener.Close()
	work, err := newJobs(cfg, log, st, listener)
	if err != nil {
		return err
	}
	db.Jobs = work
	// Jobs run with a context of their own: on shutdown, Stop lets the
	// running ones finish rather than cancelling them.
	if err := work.Start(context.WithoutCancel(ctx)); err != nil {
		return fmt.Errorf("jobs: %w", err)
	}
	defer func() {
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), cfg.ShutdownTimeout)
		defer cancel()
		if err := work.Stop(sctx); err != nil {
			log.Error("jobs did not stop in time", "err", err.Error())
		}
	}()
	served := make(chan error, 1)
	go func() { served <- app.Listener(ln) }()
	log.Info("serving", "addr", ln.Addr().String(), "version", versionString())
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests", "timeout", cfg.ShutdownTimeout.String())
	if err := app.ShutdownWithTimeout(cfg.ShutdownTimeout); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	log.Info("stopped")
	return nil
}

// mutationHandlers are the sync mutations this server applies, by
// name@version: keep every version still in the field.
func mutationHandlers(inspections *inspection.Service, cases *casework.Service, reviews *review.Service, whistles *whistle.Service) map[string]wsync.Handler {
	handlers := map[string]wsync.Handler{}
	for name, h := range inspection.SyncHandlers(inspections) {
		handlers[name] = h
	}
	for name, h := range casework.SyncHandlers(cases) {
		handlers[name] = h
	}
	for name, h := range review.SyncHandlers(reviews) {
		handlers[name] = h
	}
	for name, h := range whistle.SyncHandlers(whistles) {
		handlers[name] = h
	}
	return handlers
}

// newTrail wires the audit trail and its anchoring in the evidence bucket.
func newTrail(cfg Config, db *postgres.DB, store *media.Store) api.Trail {
	return api.Trail{Store: postgres.NewAuditStore(db), Sink: store, Key: cfg.SigningKey,
		LockMode: cfg.LockMode, Retention: cfg.LockRetention}
}

// RecheckBatch is how many originals one run of the evidence.recheck job
// re-hashes at most.
const RecheckBatch = 500

// recheckEvidence re-hashes the stored originals due for it, a batch per
// run, and logs what it found.
func recheckEvidence(log *slog.Logger, uploads *media.Service, age time.Duration) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		checked, failed, err := uploads.Recheck(ctx, age, RecheckBatch)
		if checked > 0 || err != nil {
			log.InfoContext(ctx, "evidence re-hashed", "checked", checked, "failed", failed)
		}
		return err
	}
}

// anchorHeads signs the audit chain heads into the evidence bucket, for the
// periodic job. A double anchor is only a second version: objects are named
// by head. A broken chain is never anchored: the job fails, naming it.
func anchorHeads(log *slog.Logger, trail api.Trail, now clock.Clock) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		anchors, brk, err := trail.Anchor(ctx, now())
		switch {
		case err != nil:
			return fmt.Errorf("audit anchoring failed: %w", err)
		case brk != nil:
			log.Error("audit chain broken: not anchored", "chain", brk.Chain, "seq", brk.Seq, "reason", brk.Reason)
			return fmt.Errorf("audit chain %s broken at seq %d (%s): not anchored", brk.Chain, brk.Seq, brk.Reason)
		}
		log.Info("audit heads anchored", "count", len(anchors))
		return nil
	}
}

// listenerPool is the small pgx pool River listens for new jobs on.
func listenerPool(ctx context.Context, dsn string) (*pgxpool.Pool, error) {
	pc, err := pgxpool.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("WHISTLE_DATABASE_URL: %w", err)
	}
	pc.MinConns, pc.MaxConns = 0, 2
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		return nil, fmt.Errorf("WHISTLE_DATABASE_URL: %w", err)
	}
	return pool, nil
}

// ensureBucket waits for the object store within timeout and makes sure the
// evidence bucket exists with Object Lock.
func ensureBucket(ctx context.Context, store *media.Store, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for {
		cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		err := store.EnsureBucket(cctx)
		cancel()
		if err == nil || time.Now().After(deadline) || ctx.Err() != nil {
			if err != nil {
				return fmt.Errorf("object store not ready after %s: %w", timeout, err)
			}
			return nil
		}
		time.Sleep(500 * time.Millisecond)
	}
}

// openDB opens the database of cfg with cfg's clock.
func openDB(ctx context.Context, cfg Config) (*postgres.DB, error) {
	db, err := postgres.Open(ctx, cfg.DatabaseURL, cfg.StartupTimeout)
	if err != nil {
		return nil, fmt.Errorf("WHISTLE_DATABASE_URL: %w", err)
	}
	db.Clock = cfg.Clock
	return db, nil
}

// migrate applies pending migrations and prints them.
func migrate(ctx context.Context, cfg Config, out io.Writer) error {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := postgres.Migrate(ctx, db.SQL)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintln(out, "migrate: schema is up to date")
	}
	for _, a := range applied {
		fmt.Fprintln(out, "migrate: applied", a)
	}
	return nil
}

// healthcheck asks the API listening on addr whether it is alive. It stands in
// for curl in the container image, which has no shell or tools.
func healthcheck(ctx context.Context, addr string) error {
	host, port, _ := net.SplitHostPort(addr)
	if host == "" || host == "0.0.0.0" || host == "::" {
		host = "127.0.0.1"
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(host, port)+"/healthz", nil)
	if err != nil {
		return err
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: /healthz answered %d", res.StatusCode)
	}
	return nil
}

var errProduction = errors.New("the demo data set is refused when WHISTLE_ENV=production")

// stack is the API wired to its database and object store: what serve
// listens with, and what seed demo drives in-process to write the demo
// story through the same commands.
type stack struct {
	db               *postgres.DB
	store            *media.Store
	app              *fiber.App
	uploads          *media.Service
	trail            api.Trail
	whistleStore     *postgres.WhistleStore
	syncStore        *postgres.SyncStore
	idempotencyStore *postgres.IdempotencyStore
}

// wire opens the database and the object store of cfg and builds the API
// on them, without its background jobs. The caller closes st.db.
func wire(ctx context.Context, cfg Config, log *slog.Logger, tracing trace.TracerProvider) (*stack, error) {
	db, err := openDB(ctx, cfg)
	if err != nil {
		return nil, err
	}
	st := &stack{db: db}
	fail := func(err error) (*stack, error) { db.Close(); return nil, err }
	db.Deadlines = &postgres.DeadlineRules{Policy: cfg.Deadlines, Calendar: cfg.Calendar}
	if err := telemetry.TraceGORM(db.Gorm, tracing); err != nil {
		return fail(fmt.Errorf("trace SQL: %w", err))
	}
	if cfg.MigrateOnStart {
		applied, err := postgres.Migrate(ctx, db.SQL)
		if err != nil {
			return fail(err)
		}
		log.Info("migrations applied", "count", len(applied), "applied", applied)
	}
	s3 := cfg.S3
	s3.Tracing = tracing
	store, err := media.New(s3)
	if err != nil {
		return fail(fmt.Errorf("WHISTLE_S3_ENDPOINT: %w", err))
	}
	if err := ensureBucket(ctx, store, cfg.StartupTimeout); err != nil {
		return fail(fmt.Errorf("WHISTLE_S3_ENDPOINT: %w", err))
	}

	users := postgres.NewUserStore(db)
	passwords := argon2id.Hasher{Params: argon2id.Default}
	ids, err := identity.NewService(identity.Options{
		Users:           users,
		Sessions:        postgres.NewSessionStore(db),
		Throttles:       postgres.NewThrottleStore(db),
		Passwords:       passwords,
		Tokens:          jwt.NewSigner(cfg.SigningKey, cfg.AccessTokenTTL, cfg.Clock),
		Now:             cfg.Clock,
		SessionCheckTTL: identity.DefaultSessionCheckTTL, // a session ended on another instance is refused here within 2 s
		Log:             log,
	})
	if err != nil {
		return fail(err)
	}
	trail := newTrail(cfg, db, store)
	syncStore := postgres.NewSyncStore(db)
	orgStore := postgres.NewOrgStore(db)
	inspectionStore := postgres.NewInspectionStore(db)
	inspections := inspection.NewService(inspectionStore, orgStore, cfg.Calendar, cfg.Clock)
	inspections.SetWise(inspectionStore) // an online create is a batch of one
	cases := casework.NewService(postgres.NewCaseStore(db), orgStore, cfg.Clock, cfg.Cases)
	grantStore := postgres.NewGrantStore(db)
	grants := grant.NewService(grantStore, orgStore, cfg.Clock)
	// Reviewers see cases, and the records that are their sources, under their department's live grants.
	cases.ReviewedUnder(grants)
	inspections.ReviewedUnder(grants)
	inspections.OnApproved(db.InTx, cases.ApprovalHook(uuid.NewString)) // an approved record needing follow-up opens its clue
	reviews := review.NewService(postgres.NewEvidenceReviewStore(db), cases, orgStore, cfg.Clock)
	whistleStore := postgres.NewWhistleStore(db)
	whistles := whistle.NewService(whistleStore, orgStore, cfg.WhistleDeadlines, cfg.WhistleNumber, numbering.YearOf, cfg.Clock, uuid.NewString)
	syncService := wsync.NewService(syncStore, mutationHandlers(inspections, cases, reviews, whistles), cfg.Clock)
	syncService.RetryLimit(cfg.SyncRetryLimit)
	syncService.SetWise(inspections.SyncBatcher(inspectionStore))
	evidenceStore := postgres.NewEvidenceStore(db)
	evidenceRules, err := evidence.NewService(evidence.Config{Records: evidenceStore, Index: inspections,
		UploadKey: media.UploadKey, UploadExpiry: cfg.EvidenceExpiry, Now: cfg.Clock, Log: log})
	if err != nil {
		return fail(err)
	}
	uploads, err := media.NewService(media.ServiceConfig{Store: store, Evidence: evidenceRules,
		LockMode: cfg.LockMode, Retention: cfg.LockRetention, Log: log})
	if err != nil {
		return fail(err)
	}
	idempotencyStore := postgres.NewIdempotencyStore(db)
	assessment, err := assess.NewService(postgres.NewAssessStore(db), orgStore, cfg.Assessment, cfg.Clock)
	if err != nil {
		return fail(err)
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		collectors.NewDBStatsCollector(db.SQL, "whistle"),
		buildInfo(),
		postgres.NewMetrics(db),
	)
	app, err := api.New(api.Config{
		Logger:      log,
		Now:         cfg.Clock,
		Identity:    ids,
		Users:       users,
		Passwords:   passwords,
		Org:         orgStore,
		Trail:       trail,
		Inspections: api.Inspections{Service: inspections, Blocks: inspectionStore},
		Cases:       api.Cases{Service: cases},
		Reviews:     api.EvidenceReviews{Service: reviews},
		Whistles:    api.Whistles{Service: whistles},
		Archives:    archive.NewService(postgres.NewArchiveStore(db), orgStore, cfg.ArchiveRules, cfg.ArchiveNumber, cfg.Clock),
		Assess:      assessment,
		Review:      api.Review{Service: grants, Evidence: grantStore, LinkKey: api.LinkKey(cfg.SigningKey.Seed())},
		Performance: api.Performance{Store: postgres.NewPerformanceStore(db), Points: cfg.PerformancePoints, Grades: cfg.PerformanceGrades},
		Evidence: api.Evidence{Service: evidenceRules, Media: uploads, Orphans: evidenceStore, OrphanAge: cfg.EvidenceOrphanAge,
			IdleTimeout: cfg.EvidenceIdle},
		Deadlines: postgres.NewDeadlineStore(db),
		Bundles:   postgres.NewBundleStore(db),
		Sync: api.Sync{
			Service:           syncService,
			Devices:           postgres.NewSessionStore(db),
			Reports:           syncStore,
			MinPullAppVersion: cfg.MinPullAppVersion,
		},
		Dependencies: []api.Dependency{
			{Name: "postgres", Check: db},
			{Name: "object_store", Check: store},
		},
		Registry:       reg,
		RequestTimeout: cfg.RequestTimeout,
		BodyLimit:      cfg.BodyLimit,
		Idempotency:    idempotencyStore,
		Tracing:        tracing,
	})
	if err != nil {
		return fail(err)
	}

	st.store, st.app, st.uploads, st.trail = store, app, uploads, trail
	st.whistleStore, st.syncStore, st.idempotencyStore = whistleStore, syncStore, idempotencyStore
	return st, nil
}

// newJobs is the River client of st: serve starts it; seed demo only
// queues on it (thumbnails, deadline and whistle escalations), for the
// server to run.
func newJobs(cfg Config, log *slog.Logger, st *stack, listener *pgxpool.Pool) (*jobs.Jobs, error) {
	db, uploads, trail := st.db, st.uploads, st.trail
	whistleStore, syncStore, idempotencyStore := st.whistleStore, st.syncStore, st.idempotencyStore
	return jobs.New(jobs.Config{DB: db.SQL, Listener: listener, Now: cfg.Clock, Log: log,
		Thumbnails: uploads,
		Deadlines:  postgres.NewDeadlineStore(db),
		Whistles:   whistleStore,
		Anchor:     anchorHeads(log, trail, cfg.Clock), AnchorInterval: cfg.AnchorInterval,
		Recheck: recheckEvidence(log, uploads, cfg.RecheckAge), RecheckInterval: cfg.RecheckInterval,
		Purge:         purge(log, syncStore, cfg.TombstoneRetention, idempotencyStore, cfg.IdempotencyRetention, cfg.Clock),
		PurgeInterval: time.Hour,
	})
}
