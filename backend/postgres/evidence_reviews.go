package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/review"
)

var _ review.Store = (*EvidenceReviewStore)(nil)

// EvidenceReviewStore stores the department reviews of cases' evidence (evidence_reviews,
// migration 00020). Each review made or answered writes its trail entry (on the case's street's
// chain) and publishes the review to its sync scopes in the same transaction.
type EvidenceReviewStore struct{ db *DB }

// NewEvidenceReviewStore returns an EvidenceReviewStore over db.
func NewEvidenceReviewStore(db *DB) *EvidenceReviewStore { return &EvidenceReviewStore{db: db} }

const evidenceReviewColumns = `id::text AS id, case_id::text AS case_id, department_code, reviewer_user_id::text AS reviewer_id,
	verdict, convert_to(items::text, 'UTF8') AS items, at, status, convert_to(answer::text, 'UTF8') AS answer, version`

// evidenceReviewRow is a row of evidence_reviews as read.
type evidenceReviewRow struct {
	ID, CaseID, DepartmentCode, ReviewerID, Verdict, Status string
	Items, Answer                                           []byte
	At                                                      time.Time
	Version                                                 int
}

func (r evidenceReviewRow) review() (review.Review, error) {
	out := review.Review{ID: r.ID, CaseID: r.CaseID, DepartmentCode: r.DepartmentCode, ReviewerID: r.ReviewerID,
		Verdict: review.Verdict(r.Verdict), At: r.At.UTC(), Status: review.Status(r.Status), Version: r.Version}
	if err := json.Unmarshal(r.Items, &out.Items); err != nil {
		return out, derrors.Wrap(err, derrors.Internal, "decode evidence review items")
	}
	if len(r.Answer) > 0 {
		out.Answer = &review.Answer{}
		if err := json.Unmarshal(r.Answer, out.Answer); err != nil {
			return out, derrors.Wrap(err, derrors.Internal, "decode evidence review answer")
		}
		out.Answer.At = out.Answer.At.UTC()
	}
	return out, nil
}

func evidenceReviews(rows []evidenceReviewRow) ([]review.Review, error) {
	out := make([]review.Review, len(rows))
	for i, r := range rows {
		var err error
		if out[i], err = r.review(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// finish writes the trail entry of c (before nil: created) and publishes the review.
func (s *EvidenceReviewStore) finish(ctx context.Context, tx *gorm.DB, c review.Change, before *review.Review) error {
	var b any
	if before != nil {
		b = before
	}
	r := c.Review
	if err := s.db.auditChange(ctx, tx, c.StreetCode, c.Action, "evidence_review", r.ID, b, r); err != nil {
		return err
	}
	pubs := make([]Publication, len(c.Scopes))
	for i, scope := range c.Scopes {
		pubs[i] = Publication{Scope: scope, EntityType: "evidence_review", EntityID: r.ID, State: r}
	}
	return s.db.publish(ctx, tx, pubs)
}

// Create stores a new review if check passes on the case's reviews, read under a transaction
// lock on the case's reviews. It returns derrors.Conflict when the id is taken.
func (s *EvidenceReviewStore) Create(ctx context.Context, c review.Change, check func([]review.Review) error) error {
	r := c.Review
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtextextended(?, 0))`, "evidence_review:"+r.CaseID).Error; err != nil {
			return err
		}
		if err := lockCaseWritable(tx, r.CaseID); err != nil {
			return err
		}
		var rows []evidenceReviewRow
		if err := tx.Raw(`SELECT `+evidenceReviewColumns+` FROM evidence_reviews WHERE case_id = ? ORDER BY at DESC, id`, r.CaseID).
			Scan(&rows).Error; err != nil {
			return err
		}
		existing, err := evidenceReviews(rows)
		if err != nil {
			return err
		}
		if err := check(existing); err != nil {
			return err
		}
		items, err := jsonText(r.Items)
		if err != nil {
			return err
		}
		res := tx.Exec(`INSERT INTO evidence_reviews (id, case_id, department_code, reviewer_user_id, verdict, items, at, status, version)
			VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
			r.ID, r.CaseID, r.DepartmentCode, r.ReviewerID, string(r.Verdict), items, r.At, string(r.Status), r.Version)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return derrors.New(derrors.Conflict, "evidence review %s already exists", r.ID)
		}
		return s.finish(ctx, tx, c, nil)
	})
	return translate(err, "create evidence review")
}

// Update stores the next version of a review (its status and answer) if it is still at version
// base, else derrors.Conflict.
func (s *EvidenceReviewStore) Update(ctx context.Context, c review.Change, base int) error {
	r := c.Review
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		var rows []evidenceReviewRow
		if err := tx.Raw(`SELECT `+evidenceReviewColumns+` FROM evidence_reviews WHERE id = ? FOR UPDATE`, r.ID).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return derrors.New(derrors.NotFound, "no evidence review %s", r.ID)
		}
		before, err := rows[0].review()
		if err != nil {
			return err
		}
		if before.Version != base {
			return derrors.New(derrors.Conflict, "the evidence review moved to version %d meanwhile", before.Version)
		}
		if err := lockCaseWritable(tx, before.CaseID); err != nil {
			return err
		}
		var answer *string
		if r.Answer != nil {
			a, err := jsonText(r.Answer)
			if err != nil {
				return err
			}
			answer = &a
		}
		if err := tx.Exec(`UPDATE evidence_reviews SET status = ?, answer = ?::jsonb, version = ? WHERE id = ?`,
			string(r.Status), answer, r.Version, r.ID).Error; err != nil {
			return err
		}
		return s.finish(ctx, tx, c, &before)
	})
	return translate(err, "update evidence review")
}

// Get returns a review, or derrors.NotFound.
func (s *EvidenceReviewStore) Get(ctx context.Context, id string) (review.Review, error) {
	if _, err := uuid.Parse(id); err != nil {
		return review.Review{}, derrors.New(derrors.NotFound, "no evidence review %s", id)
	}
	var rows []evidenceReviewRow
	if err := s.db.conn(ctx).Raw(`SELECT `+evidenceReviewColumns+` FROM evidence_reviews WHERE id = ?`, id).Scan(&rows).Error; err != nil {
		return review.Review{}, translate(err, "load evidence review")
	}
	if len(rows) == 0 {
		return review.Review{}, derrors.New(derrors.NotFound, "no evidence review %s", id)
	}
	return rows[0].review()
}

// List returns the reviews of a case, newest first (ties by id), from after after.
func (s *EvidenceReviewStore) List(ctx context.Context, caseID string, after *review.Cursor, limit int) ([]review.Review, error) {
	if limit <= 0 || limit > casework.MaxPage+1 {
		limit = casework.DefaultPage
	}
	q := s.db.conn(ctx).Table("evidence_reviews").Select(evidenceReviewColumns).Where("case_id = ?", caseID)
	if after != nil {
		q = q.Where("(at < ? OR (at = ? AND id > ?))", after.At, after.At, after.ID)
	}
	var rows []evidenceReviewRow
	if err := q.Order("at DESC, id").Limit(limit).Scan(&rows).Error; err != nil {
		return nil, translate(err, "list evidence reviews")
	}
	return evidenceReviews(rows)
}

// Evidence returns the verified items linked to the inspection records given, with when each
// upload completed.
func (s *EvidenceReviewStore) Evidence(ctx context.Context, recordIDs []string) ([]review.Evidence, error) {
	var rows []struct {
		ID          string
		CompletedAt time.Time
	}
	err := s.db.conn(ctx).Raw(`SELECT id::text AS id, completed_at FROM evidence
		WHERE linked_record_id IN ? AND status = 'verified' AND completed_at IS NOT NULL`, recordIDs).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "list the evidence of records")
	}
	out := make([]review.Evidence, len(rows))
	for i, r := range rows {
		out[i] = review.Evidence{ID: r.ID, UploadedAt: r.CompletedAt.UTC()}
	}
	return out, nil
}

// lockCaseWritable share-locks case id for the transaction (a closing, which locks it for update,
// waits for the review or the review for the closing) and refuses with derrors.CaseArchived when
// the case is archived: a review of an archived case's evidence would change what was closed.
func lockCaseWritable(tx *gorm.DB, id string) error {
	var state string
	if err := tx.Raw(`SELECT state FROM cases WHERE id = ? FOR SHARE`, id).Row().Scan(&state); err != nil {
		return err
	}
	if state == string(casework.StateArchived) {
		return derrors.New(derrors.CaseArchived, "case %s is archived: its evidence takes no more reviews or answers", id)
	}
	return nil
}
