// Package jobs runs the server's background work on River
// (github.com/riverqueue/river), in the same PostgreSQL as the data: jobs
// for one item (a thumbnail, a deadline's or a whistle step's escalation at its due instant),
// inserted in the transaction of the change that
// calls for them, so that a committed change always has its job and a
// rolled-back one never does; and periodic work (anchoring the audit chain
// heads, re-hashing stored originals, purging sync tombstones), run by the elected leader of the
// instances. Retries are bounded (MaxAttempts) and each job is worked on its
// own: one that keeps failing never holds up the others.
//
// The client uses River's database/sql driver over the pool GORM uses, with
// a pgx pool for LISTEN/NOTIFY only: GORM's transactions are *sql.Tx (pgx
// through database/sql), and pgx cannot hand out the pgx.Tx under an open
// *sql.Tx, so River's pgx driver could not join them. River's schema is
// migrated with the application's (postgres.Migrate).
//
// This package knows job kinds, workers and schedules; what a job does is
// done by the interfaces it is given (media for thumbnails, the audit trail
// for anchoring).
package jobs

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver/riverdatabasesql"
	"github.com/riverqueue/river/rivertype"

	"github.com/whistle/whistle/backend/clock"
)

// Defaults of Config.
const (
	// DefaultRetryBase is the wait before the first retry of a failed job;
	// each later retry waits twice as long.
	DefaultRetryBase = 10 * time.Second
	// ThumbnailAttempts bounds the attempts at one thumbnail: with
	// DefaultRetryBase an item whose original stays unreadable is marked
	// failed about 2.5 minutes after it was verified.
	ThumbnailAttempts = 5
)

// QueueThumbnails holds thumbnail jobs, worked one at a time: decoding is
// the largest allocation the server makes.
const QueueThumbnails = "thumbnails"

// Thumbnailer derives the thumbnail of one verified item (media implements it).
type Thumbnailer interface {
	// DeriveThumbnail makes and records the thumbnail of an item whose
	// thumbnail is pending; an item no longer pending is left alone. An
	// error means it may pass if tried again (the store failed).
	DeriveThumbnail(ctx context.Context, evidenceID string) error
	// FailThumbnail records that the item's thumbnail could not be made,
	// with the reason, after the last attempt.
	FailThumbnail(ctx context.Context, evidenceID, reason string) error
}

// Config is what the jobs need.
type Config struct {
	// DB is the database/sql pool of the stores (postgres.DB.SQL): jobs are
	// inserted in its transactions and worked through it.
	DB *sql.DB
	// Listener is a pgx pool on the same database, used only to LISTEN for
	// new jobs (so they start at once); nil polls every FetchPollInterval.
	Listener *pgxpool.Pool
	// Now is the one clock: River schedules, retries and periodic runs by it.
	Now clock.Clock
	Log *slog.Logger // slog.Default() when nil

	// Thumbnails derives thumbnails (required).
	Thumbnails Thumbnailer
	// Deadlines escalates statutory deadlines at their due instants; nil
	// fails those jobs (they are retried, then kept discarded).
	Deadlines Escalator
	// Whistles escalates the late steps of whistles at their due instants; nil fails those jobs.
	Whistles WhistleEscalator
	// Anchor signs the audit chain heads into the evidence bucket; it runs
	// every AnchorInterval (0: never).
	Anchor         func(ctx context.Context) error
	AnchorInterval time.Duration
	// Recheck re-hashes a batch of stored originals; it runs every
	// RecheckInterval (0: never).
	Recheck         func(ctx context.Context) error
	RecheckInterval time.Duration
	// Purge purges sync tombstones and expired idempotency keys; it runs every PurgeInterval (0: never).
	Purge         func(ctx context.Context) error
	PurgeInterval time.Duration

	// RetryBase is the first retry's wait (DefaultRetryBase when 0).
	RetryBase time.Duration
	// FetchPollInterval is how often idle workers look for jobs without a
	// notification (River's default, 1s, when 0).
	FetchPollInterval time.Duration
	// TestOnly starts the client without River's start-up jitter.
	TestOnly bool
}

// Jobs is the River client of the server.
type Jobs struct {
	client *river.Client[*sql.Tx]
	log    *slog.Logger
}

// New returns the jobs over cfg, not started: it can insert jobs at once,
// and works them after Start.
func New(cfg Config) (*Jobs, error) {
	if cfg.DB == nil || cfg.Now == nil || cfg.Thumbnails == nil {
		return nil, errors.New("jobs: Config.DB, Now and Thumbnails are required")
	}
	log := cfg.Log
	if log == nil {
		log = slog.Default()
	}
	driver := riverdatabasesql.New(cfg.DB)
	if cfg.Listener != nil {
		driver = riverdatabasesql.NewWithPgxListener(cfg.DB, cfg.Listener)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &thumbnailWorker{thumbs: cfg.Thumbnails})
	river.AddWorker(workers, &escalateWorker{deadlines: cfg.Deadlines, now: cfg.Now})
	river.AddWorker(workers, &whistleEscalateWorker{whistles: cfg.Whistles, now: cfg.Now})
	var periodic []*river.PeriodicJob
	if cfg.Anchor != nil && cfg.AnchorInterval > 0 {
		river.AddWorker(workers, &funcWorker[AnchorArgs]{run: cfg.Anchor})
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.AnchorInterval),
			func() (river.JobArgs, *river.InsertOpts) { return AnchorArgs{}, nil }, &river.PeriodicJobOpts{ID: AnchorArgs{}.Kind()}))
	}
	if cfg.Recheck != nil && cfg.RecheckInterval > 0 {
		river.AddWorker(workers, &funcWorker[RecheckArgs]{run: cfg.Recheck})
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.RecheckInterval),
			func() (river.JobArgs, *river.InsertOpts) { return RecheckArgs{}, nil }, &river.PeriodicJobOpts{ID: RecheckArgs{}.Kind()}))
	}
	if cfg.Purge != nil && cfg.PurgeInterval > 0 {
		river.AddWorker(workers, &funcWorker[PurgeArgs]{run: cfg.Purge})
		periodic = append(periodic, river.NewPeriodicJob(river.PeriodicInterval(cfg.PurgeInterval),
			func() (river.JobArgs, *river.InsertOpts) { return PurgeArgs{}, nil }, &river.PeriodicJobOpts{ID: PurgeArgs{}.Kind()}))
	}
	queues := map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: 2}, QueueThumbnails: {MaxWorkers: 1}}
	base := cfg.RetryBase
	if base <= 0 {
		base = DefaultRetryBase
	}
	client, err := river.NewClient(driver, &river.Config{
		Logger:            log,
		Queues:            queues,
		Workers:           workers,
		PeriodicJobs:      periodic,
		RetryPolicy:       retryPolicy{base: base, now: cfg.Now},
		FetchPollInterval: cfg.FetchPollInterval,
		FetchCooldown:     min(cfg.FetchPollInterval, river.FetchCooldownDefault),
		// River's default (an hour) would hold a killed instance's job, a
		// whistle's escalation among them, for an hour before another runs it.
		RescueStuckJobsAfter: RescueAfter,
		TestOnly:             cfg.TestOnly,
		// River's only hook for its time is named for tests; it is how
		// River reads the one clock everywhere (inserts, fetches, retries,
		// leadership, periodic runs), never the database's now().
		Test: river.TestConfig{Time: timeGenerator{cfg.Now}},
	})
	if err != nil {
		return nil, fmt.Errorf("jobs: %w", err)
	}
	return &Jobs{client: client, log: log}, nil
}

// Start works jobs until Stop (or until ctx ends, which cancels the running
// ones).
func (j *Jobs) Start(ctx context.Context) error { return j.client.Start(ctx) }

// Stop stops fetching jobs and waits, until ctx ends, for the running ones
// to finish.
func (j *Jobs) Stop(ctx context.Context) error { return j.client.Stop(ctx) }

// ThumbnailTx inserts, in tx, the job that derives the thumbnail of the
// verified item evidenceID.
func (j *Jobs) ThumbnailTx(ctx context.Context, tx *sql.Tx, evidenceID string) error {
	_, err := j.client.InsertTx(ctx, tx, ThumbnailArgs{EvidenceID: evidenceID}, nil)
	return err
}

// EscalateTx inserts, in tx, the job escalating deadline deadlineID at its
// due instant: River holds it, scheduled, until the one clock reaches due,
// and works it once on one instance.
func (j *Jobs) EscalateTx(ctx context.Context, tx *sql.Tx, deadlineID string, due time.Time) error {
	_, err := j.client.InsertTx(ctx, tx, EscalateArgs{DeadlineID: deadlineID, Due: due.UTC()}, &river.InsertOpts{ScheduledAt: due})
	return err
}

// WhistleEscalateTx inserts, in tx, the job escalating step of department's call by whistle
// whistleID at its due instant.
func (j *Jobs) WhistleEscalateTx(ctx context.Context, tx *sql.Tx, whistleID, department, step string, due time.Time) error {
	_, err := j.client.InsertTx(ctx, tx, WhistleEscalateArgs{WhistleID: whistleID, Department: department, Step: step, Due: due.UTC()},
		&river.InsertOpts{ScheduledAt: due})
	return err
}

// retryPolicy waits base, then twice as long at each attempt.
type retryPolicy struct {
	base time.Duration
	now  clock.Clock
}

func (p retryPolicy) NextRetry(job *rivertype.JobRow) time.Time {
	wait := p.base << min(max(job.Attempt-1, 0), 20)
	return p.now().Add(wait)
}

// timeGenerator is the clock as River reads time.
type timeGenerator struct{ now clock.Clock }

func (g timeGenerator) Now() time.Time { return g.now() }

func (g timeGenerator) NowOrNil() *time.Time {
	t := g.now()
	return &t
}

// RescueAfter is how long a job may stay running before River takes it for
// stuck (its instance died) and runs it again elsewhere: five times River's
// job timeout (one minute; no worker sets its own), so a job still at work
// is never run twice.
const RescueAfter = 5 * river.JobTimeoutDefault
