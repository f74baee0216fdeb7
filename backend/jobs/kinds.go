package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/riverqueue/river"

	"github.com/whistle/whistle/backend/clock"
)

// ThumbnailArgs is the job deriving the thumbnail of one verified image.
type ThumbnailArgs struct {
	EvidenceID string `json:"evidence_id"`
}

// Kind names the job in River's tables.
func (ThumbnailArgs) Kind() string { return "evidence.thumbnail" }

// InsertOpts puts thumbnails on their own queue with bounded attempts.
func (ThumbnailArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{Queue: QueueThumbnails, MaxAttempts: ThumbnailAttempts}
}

// thumbnailWorker works one ThumbnailArgs. At the last attempt it marks the
// item failed with the reason, and the job ends discarded with its errors.
type thumbnailWorker struct {
	river.WorkerDefaults[ThumbnailArgs]
	thumbs Thumbnailer
}

func (w *thumbnailWorker) Work(ctx context.Context, job *river.Job[ThumbnailArgs]) error {
	err := w.thumbs.DeriveThumbnail(ctx, job.Args.EvidenceID)
	if err == nil || job.Attempt < job.MaxAttempts {
		return err
	}
	reason := fmt.Sprintf("%s (after %d attempts)", err.Error(), job.Attempt)
	if ferr := w.thumbs.FailThumbnail(ctx, job.Args.EvidenceID, reason); ferr != nil {
		return fmt.Errorf("%w; marking it failed: %w", err, ferr)
	}
	return err
}

// AnchorArgs is the periodic job signing the audit chain heads into the
// evidence bucket under Object Lock.
type AnchorArgs struct{}

// Kind names the job in River's tables.
func (AnchorArgs) Kind() string { return "audit.anchor" }

// InsertOpts: one attempt; the next period is the retry.
func (AnchorArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// RecheckArgs is the periodic job re-hashing a batch of stored originals.
type RecheckArgs struct{}

// Kind names the job in River's tables.
func (RecheckArgs) Kind() string { return "evidence.recheck" }

// InsertOpts: one attempt; the next period takes up where it stopped.
func (RecheckArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// PurgeArgs is the periodic job purging sync deletion records past their
// retention.
type PurgeArgs struct{}

// Kind names the job in River's tables.
func (PurgeArgs) Kind() string { return "sync.purge_tombstones" }

// InsertOpts: one attempt; the next period is the retry.
func (PurgeArgs) InsertOpts() river.InsertOpts { return river.InsertOpts{MaxAttempts: 1} }

// EscalateArgs is the job escalating one statutory deadline at its due
// instant. Due is part of the args so that a deadline re-scheduled (paused,
// then resumed) gets a job of its own, while the same deadline and instant
// inserted twice are one job (unique by args).
type EscalateArgs struct {
	DeadlineID string    `json:"deadline_id"`
	Due        time.Time `json:"due"`
}

// Kind names the job in River's tables.
func (EscalateArgs) Kind() string { return "deadline.escalate" }

// InsertOpts: unique by args among the jobs not finished yet; retried as
// any job when the store fails.
func (EscalateArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: EscalateAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// EscalateAttempts bounds the attempts at one escalation (the store
// failing); waiting for a due instant that moved is a snooze, not an attempt.
const EscalateAttempts = 10

// Escalator escalates deadlines that are due (postgres.DeadlineStore).
type Escalator interface {
	// Escalate escalates the deadline if it is open and due by the one
	// clock; for an open deadline not due yet it returns its due instant,
	// else the zero time.
	Escalate(ctx context.Context, deadlineID string) (time.Time, error)
}

// escalateWorker works one EscalateArgs: the store judges the deadline
// under lock; a deadline not due yet (its due instant moved) is waited for.
type escalateWorker struct {
	river.WorkerDefaults[EscalateArgs]
	deadlines Escalator
	now       clock.Clock
}

func (w *escalateWorker) Work(ctx context.Context, job *river.Job[EscalateArgs]) error {
	if w.deadlines == nil {
		return errors.New("jobs: no deadline escalator configured")
	}
	next, err := w.deadlines.Escalate(ctx, job.Args.DeadlineID)
	if err != nil || next.IsZero() {
		return err
	}
	return river.JobSnooze(max(next.Sub(w.now()), time.Second))
}

// funcWorker runs a periodic job's function.
type funcWorker[T river.JobArgs] struct {
	river.WorkerDefaults[T]
	run func(ctx context.Context) error
}

func (w *funcWorker[T]) Work(ctx context.Context, _ *river.Job[T]) error { return w.run(ctx) }

// WhistleEscalateArgs is the job escalating one step of a whistle's called department at its due
// instant: unique by whistle, department, step and due, so that the same step scheduled twice is
// one job.
type WhistleEscalateArgs struct {
	WhistleID  string    `json:"whistle_id"`
	Department string    `json:"department_code"`
	Step       string    `json:"step"`
	Due        time.Time `json:"due"`
}

// Kind names the job in River's tables.
func (WhistleEscalateArgs) Kind() string { return "whistle.escalate" }

// InsertOpts: unique by args among the jobs not finished yet; retried as any job when the store
// fails.
func (WhistleEscalateArgs) InsertOpts() river.InsertOpts {
	return river.InsertOpts{MaxAttempts: EscalateAttempts, UniqueOpts: river.UniqueOpts{ByArgs: true}}
}

// WhistleEscalator escalates the late steps of whistles (postgres.WhistleStore).
type WhistleEscalator interface {
	// Escalate escalates the step if it is still not done and due by the one clock; for a step
	// not due yet it returns its due instant, else the zero time.
	Escalate(ctx context.Context, whistleID, department, step string) (time.Time, error)
}

// whistleEscalateWorker works one WhistleEscalateArgs: the store judges the step under lock.
type whistleEscalateWorker struct {
	river.WorkerDefaults[WhistleEscalateArgs]
	whistles WhistleEscalator
	now      clock.Clock
}

func (w *whistleEscalateWorker) Work(ctx context.Context, job *river.Job[WhistleEscalateArgs]) error {
	if w.whistles == nil {
		return errors.New("jobs: no whistle escalator configured")
	}
	a := job.Args
	next, err := w.whistles.Escalate(ctx, a.WhistleID, a.Department, a.Step)
	if err != nil || next.IsZero() {
		return err
	}
	return river.JobSnooze(max(next.Sub(w.now()), time.Second))
}
