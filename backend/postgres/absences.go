package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

// Officer absences (org.Absence): recorded, listed and withdrawn by the API, read by case
// routing for the officers absent at the routing instant. Each change appends its trail entry to
// the chain of the absence's street in the same transaction.

// absenceRow is a row of officer_absences with the usernames of who recorded and withdrew it.
type absenceRow struct {
	ID          uuid.UUID
	OfficerCode string
	StreetCode  string
	Kind        string
	FromAt      time.Time
	UntilAt     time.Time
	Reason      string
	RecordedBy  string
	RecordedAt  time.Time
	WithdrawnAt *time.Time
	WithdrawnBy *string
}

func (r absenceRow) absence() org.Absence {
	a := org.Absence{ID: r.ID.String(), OfficerCode: r.OfficerCode, StreetCode: r.StreetCode, Kind: org.AbsenceKind(r.Kind),
		From: r.FromAt.UTC(), Until: r.UntilAt.UTC(), Reason: r.Reason, RecordedBy: r.RecordedBy, RecordedAt: r.RecordedAt.UTC(),
		WithdrawnBy: deref(r.WithdrawnBy)}
	if r.WithdrawnAt != nil {
		at := r.WithdrawnAt.UTC()
		a.WithdrawnAt = &at
	}
	return a
}

// absenceSelect reads absences with usernames; callers add WHERE and ORDER BY.
const absenceSelect = `SELECT a.id, a.officer_code, a.street_code, a.kind, a.from_at, a.until_at, a.reason,
		r.username AS recorded_by, a.recorded_at, a.withdrawn_at, w.username AS withdrawn_by
	FROM officer_absences a JOIN users r ON r.id = a.recorded_by LEFT JOIN users w ON w.id = a.withdrawn_by`

// RecordAbsence stores a new absence a (its ID is chosen here) recorded by user userID at
// a.RecordedAt, and returns it as stored. Errors: derrors.Invalid (a.Check, or an unknown
// officer, street or user).
func (s *OrgStore) RecordAbsence(ctx context.Context, a org.Absence, userID string) (org.Absence, error) {
	if err := a.Check(); err != nil {
		return org.Absence{}, err
	}
	uid, err := uuid.Parse(userID)
	if err != nil {
		return org.Absence{}, derrors.New(derrors.Invalid, "no such user")
	}
	id := uuid.New()
	var out org.Absence
	err = s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO officer_absences (id, officer_code, street_code, kind, from_at, until_at, reason, recorded_by, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, a.OfficerCode, a.StreetCode, string(a.Kind), a.From, a.Until, a.Reason, uid,
			a.RecordedAt).Error; err != nil {
			return err
		}
		if out, err = absence(tx, id); err != nil {
			return err
		}
		return s.db.auditChange(ctx, tx, out.StreetCode, "absence.record", "absence", out.ID, nil, out)
	})
	return out, translate(err, "record absence")
}

// absence reads absence id in tx, or derrors.NotFound.
func absence(tx *gorm.DB, id uuid.UUID) (org.Absence, error) {
	var rows []absenceRow
	if err := tx.Raw(absenceSelect+` WHERE a.id = ?`, id).Scan(&rows).Error; err != nil {
		return org.Absence{}, err
	}
	if len(rows) == 0 {
		return org.Absence{}, derrors.New(derrors.NotFound, "no absence %s", id)
	}
	return rows[0].absence(), nil
}

// Absence returns absence id, or derrors.NotFound.
func (s *OrgStore) Absence(ctx context.Context, id string) (org.Absence, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return org.Absence{}, derrors.New(derrors.NotFound, "no absence %s", id)
	}
	a, err := absence(s.db.conn(ctx), uid)
	return a, translate(err, "load absence")
}

// AbsenceFilter selects the absences of one officer: of the given streets (nil: every street),
// after a position of the list (newest From first, ties by id), at most Limit.
type AbsenceFilter struct {
	OfficerCode string
	Streets     []string
	AfterFrom   time.Time // zero: from the first
	AfterID     string
	Limit       int
}

// Absences lists the absences f selects, withdrawn ones too, the latest start first, ties by id.
func (s *OrgStore) Absences(ctx context.Context, f AbsenceFilter) ([]org.Absence, error) {
	q := absenceSelect + ` WHERE a.officer_code = ?`
	args := []any{f.OfficerCode}
	if f.Streets != nil {
		q += ` AND a.street_code IN ?`
		args = append(args, nonEmpty(f.Streets))
	}
	if !f.AfterFrom.IsZero() {
		after, err := uuid.Parse(f.AfterID)
		if err != nil {
			return nil, derrors.New(derrors.BadRequest, "not a cursor of this list")
		}
		q += ` AND (a.from_at < ? OR (a.from_at = ? AND a.id > ?))`
		args = append(args, f.AfterFrom, f.AfterFrom, after)
	}
	q += ` ORDER BY a.from_at DESC, a.id LIMIT ?`
	args = append(args, f.Limit)
	var rows []absenceRow
	if err := s.db.conn(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, translate(err, "list absences")
	}
	out := make([]org.Absence, len(rows))
	for i, r := range rows {
		out[i] = r.absence()
	}
	return out, nil
}

// WithdrawAbsence marks absence id withdrawn at at by user userID, and returns it. Errors:
// derrors.NotFound, derrors.Conflict (withdrawn already).
func (s *OrgStore) WithdrawAbsence(ctx context.Context, id, userID string, at time.Time) (org.Absence, error) {
	aid, err := uuid.Parse(id)
	if err != nil {
		return org.Absence{}, derrors.New(derrors.NotFound, "no absence %s", id)
	}
	uid, err := uuid.Parse(userID)
	if err != nil {
		return org.Absence{}, derrors.New(derrors.Invalid, "no such user")
	}
	var out org.Absence
	err = s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		if err := tx.Exec(`SELECT 1 FROM officer_absences WHERE id = ? FOR UPDATE`, aid).Error; err != nil {
			return err
		}
		before, err := absence(tx, aid)
		if err != nil {
			return err
		}
		if before.Withdrawn() {
			return derrors.New(derrors.Conflict, "absence %s was withdrawn already", id)
		}
		if err := tx.Exec(`UPDATE officer_absences SET withdrawn_at = ?, withdrawn_by = ? WHERE id = ?`, at, uid, aid).Error; err != nil {
			return err
		}
		if out, err = absence(tx, aid); err != nil {
			return err
		}
		return s.db.auditChange(ctx, tx, out.StreetCode, "absence.withdraw", "absence", out.ID, before, out)
	})
	return out, translate(err, "withdraw absence")
}

// AbsencesAt returns the absences, not withdrawn, that cover instant at for the officers given:
// what case routing judges availability by (org.Unavailable).
func (s *OrgStore) AbsencesAt(ctx context.Context, officers []string, at time.Time) ([]org.Absence, error) {
	var rows []absenceRow
	if err := s.db.conn(ctx).Raw(absenceSelect+` WHERE a.officer_code IN ? AND a.withdrawn_at IS NULL
		AND a.from_at <= ? AND ? < a.until_at ORDER BY a.officer_code, a.from_at, a.id`, nonEmpty(officers), at, at).Scan(&rows).Error; err != nil {
		return nil, translate(err, "load absences at")
	}
	out := make([]org.Absence, len(rows))
	for i, r := range rows {
		out[i] = r.absence()
	}
	return out, nil
}
