package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/assess"
	"github.com/whistle/whistle/backend/derrors"
)

// PerformanceStore reads the facts of officers' performance records (实绩档案) and keeps the
// events the street records by hand (migration 00024). Automatic events are derived by one query
// over the stored facts of the period, each attributed to the street of the officer's team at the
// fact's own time (officer_team_at) and, for a case, to the officer holding it then
// (case_holder_at): facts and histories are never rewritten, so a past period answers the same
// after the officer has moved to another team.
type PerformanceStore struct{ db *DB }

// NewPerformanceStore returns a PerformanceStore over db.
func NewPerformanceStore(db *DB) *PerformanceStore { return &PerformanceStore{db: db} }

// PerformanceOfficer is an officer as a performance record names them: the home department (and
// its kind: squad, resident, listed) and the streets whose teams they served in during a period.
type PerformanceOfficer struct {
	Code           string
	DepartmentCode string
	DepartmentKind string
	Streets        []string
}

// servedIn selects (officer code, street code) of the memberships overlapping [from, to).
const servedIn = `SELECT DISTINCT o.code AS officer_code, s.code AS street_code
	FROM team_memberships m JOIN officers o ON o.id = m.officer_id JOIN teams t ON t.id = m.team_id JOIN streets s ON s.id = t.street_id
	WHERE m.valid_from < @to AND (m.valid_to IS NULL OR m.valid_to > @from)`

// Officer returns officer code with the streets they served in during p, or derrors.NotFound.
func (s *PerformanceStore) Officer(ctx context.Context, code string, p assess.Period) (PerformanceOfficer, error) {
	var rows []struct{ Code, DepartmentCode, DepartmentKind string }
	db := s.db.conn(ctx)
	if err := db.Raw(`SELECT o.code, d.code AS department_code, d.kind AS department_kind
		FROM officers o JOIN departments d ON d.id = o.department_id WHERE o.code = ?`, code).Scan(&rows).Error; err != nil {
		return PerformanceOfficer{}, translate(err, "load officer")
	}
	if len(rows) == 0 {
		return PerformanceOfficer{}, derrors.New(derrors.NotFound, "no officer %q", code)
	}
	out := PerformanceOfficer{Code: rows[0].Code, DepartmentCode: rows[0].DepartmentCode, DepartmentKind: rows[0].DepartmentKind}
	err := db.Raw(`SELECT street_code FROM (`+servedIn+` AND o.code = @code) x ORDER BY street_code`,
		map[string]any{"from": p.From, "to": p.To, "code": code}).Scan(&out.Streets).Error
	return out, translate(err, "load officer's streets")
}

// StreetAt returns the street of officer code's team at instant at, "" when in none.
func (s *PerformanceStore) StreetAt(ctx context.Context, code string, at time.Time) (string, error) {
	var streets []string
	err := s.db.conn(ctx).Raw(`SELECT s.code FROM officers o JOIN teams t ON t.id = officer_team_at(o.id, ?)
		JOIN streets s ON s.id = t.street_id WHERE o.code = ?`, at, code).Scan(&streets).Error
	if err != nil || len(streets) == 0 {
		return "", translate(err, "load officer's street")
	}
	return streets[0], nil
}

// SecondedFilter selects the seconded officers (of resident departments, not auxiliary) who
// served in a street's team during a period: of one department ("" any), after a code, at most
// Limit, by code.
type SecondedFilter struct {
	Street     string
	Department string
	Period     assess.Period
	AfterCode  string
	Limit      int
}

// Seconded lists the officers f selects, each with Streets [f.Street].
func (s *PerformanceStore) Seconded(ctx context.Context, f SecondedFilter) ([]PerformanceOfficer, error) {
	var rows []struct{ Code, DepartmentCode, DepartmentKind string }
	err := s.db.conn(ctx).Raw(`SELECT x.officer_code AS code, d.code AS department_code, d.kind AS department_kind
		FROM (`+servedIn+`) x JOIN officers o ON o.code = x.officer_code JOIN departments d ON d.id = o.department_id
		WHERE x.street_code = @street AND d.kind = 'resident' AND NOT o.auxiliary AND (@dept = '' OR d.code = @dept)
			AND x.officer_code > @after
		ORDER BY x.officer_code LIMIT @limit`,
		map[string]any{"from": f.Period.From, "to": f.Period.To, "street": f.Street, "dept": f.Department, "after": f.AfterCode,
			"limit": f.Limit}).Scan(&rows).Error
	out := make([]PerformanceOfficer, len(rows))
	for i, r := range rows {
		out[i] = PerformanceOfficer{Code: r.Code, DepartmentCode: r.DepartmentCode, DepartmentKind: r.DepartmentKind, Streets: []string{f.Street}}
	}
	return out, translate(err, "list seconded officers")
}

// automaticEvents derives the automatic events (assess.Rules of source trail) of the officers
// named in @codes during [@from, @to), with the street of the officer's team at each fact's time;
// key makes the event's id with its kind.
const automaticEvents = `WITH facts AS (
	SELECT 'case_concluded_on_time' AS kind, e.at, c.id::text AS reference, c.id::text AS key, c.matter_code AS detail,
		case_holder_at(c.id, e.at) AS officer_code
	FROM case_events e JOIN cases c ON c.id = e.case_id
	WHERE e.kind = 'transition' AND e.to_state = 'concluded' AND e.at >= @from AND e.at < @to
		AND NOT EXISTS (SELECT 1 FROM deadlines d WHERE d.subject_kind = 'case' AND d.subject_id = c.id::text
			AND (d.escalated_at IS NOT NULL OR d.met_at > d.due_at))
	UNION ALL
	SELECT 'deadline_escalated', d.escalated_at, d.id::text, d.id::text, d.kind,
		CASE WHEN d.subject_kind = 'case' THEN case_holder_at(d.subject_id::uuid, d.escalated_at) ELSE d.officer_code END
	FROM deadlines d WHERE d.escalated_at >= @from AND d.escalated_at < @to
	UNION ALL
	SELECT 'evidence_review_returned', r.at, r.id::text, r.id::text, c.matter_code, case_holder_at(r.case_id, r.at)
	FROM evidence_reviews r JOIN cases c ON c.id = r.case_id
	WHERE r.verdict = 'returned' AND r.at >= @from AND r.at < @to
	UNION ALL
	SELECT 'inspection_returned', r.at, r.inspection_id::text, r.id::text, 'v' || r.version, i.recorded_by
	FROM inspection_reviews r JOIN inspections i ON i.id = r.inspection_id
	WHERE r.decision = 'return' AND r.at >= @from AND r.at < @to
)
SELECT f.kind, f.at, f.reference, f.key, f.detail, o.code AS officer_code, s.code AS street_code
FROM facts f JOIN officers o ON o.code = f.officer_code
	JOIN teams t ON t.id = officer_team_at(o.id, f.at) JOIN streets s ON s.id = t.street_id
WHERE o.code IN @codes AND (@all OR s.code IN @streets)`

// performanceEventRow is a row of performance_events with the usernames of who recorded and
// withdrew it.
type performanceEventRow struct {
	ID               uuid.UUID
	OfficerCode      string
	StreetCode       string
	Polarity         string
	Kind             string
	At               time.Time
	Points           int
	Reason           string
	RecordedBy       string
	RecordedAt       time.Time
	Version          int
	WithdrawnAt      *time.Time
	WithdrawnBy      *string
	WithdrawalReason *string
}

func (r performanceEventRow) event() assess.Event {
	e := assess.Event{ID: r.ID.String(), OfficerCode: r.OfficerCode, StreetCode: r.StreetCode, Kind: assess.EventKind(r.Kind),
		Polarity: assess.Polarity(r.Polarity), Source: assess.SourceManual, At: r.At.UTC(), Reference: r.ID.String(),
		Points: r.Points, Reason: r.Reason, RecordedBy: r.RecordedBy, RecordedAt: r.RecordedAt.UTC(), Version: r.Version,
		WithdrawnBy: deref(r.WithdrawnBy), WithdrawalReason: deref(r.WithdrawalReason)}
	if r.WithdrawnAt != nil {
		at := r.WithdrawnAt.UTC()
		e.WithdrawnAt = &at
	}
	return e
}

// performanceEventSelect reads manual events with usernames; callers add WHERE.
const performanceEventSelect = `SELECT p.id, p.officer_code, p.street_code, p.polarity, p.kind, p.at, p.points, p.reason,
		r.username AS recorded_by, p.recorded_at, p.version, p.withdrawn_at, w.username AS withdrawn_by, p.withdrawal_reason
	FROM performance_events p JOIN users r ON r.id = p.recorded_by LEFT JOIN users w ON w.id = p.withdrawn_by`

// Events returns the events of the officers codes during p, automatic and manual (withdrawn
// ones too), of the given streets (nil: every street), unscored and unordered
// (assess.Summarize does both).
func (s *PerformanceStore) Events(ctx context.Context, codes, streets []string, p assess.Period) ([]assess.Event, error) {
	args := map[string]any{"from": p.From, "to": p.To, "codes": nonEmpty(codes), "all": streets == nil, "streets": nonEmpty(streets)}
	db := s.db.conn(ctx)
	var facts []struct {
		Kind, Reference, Key, Detail, OfficerCode, StreetCode string
		At                                                    time.Time
	}
	if err := db.Raw(automaticEvents, args).Scan(&facts).Error; err != nil {
		return nil, translate(err, "derive performance events")
	}
	var rows []performanceEventRow
	if err := db.Raw(performanceEventSelect+` WHERE p.officer_code IN @codes AND p.at >= @from AND p.at < @to
		AND (@all OR p.street_code IN @streets)`, args).Scan(&rows).Error; err != nil {
		return nil, translate(err, "load performance events")
	}
	out := make([]assess.Event, 0, len(facts)+len(rows))
	for _, f := range facts {
		out = append(out, assess.Event{ID: f.Kind + ":" + f.Key, OfficerCode: f.OfficerCode, StreetCode: f.StreetCode,
			Kind: assess.EventKind(f.Kind), Source: assess.SourceTrail, At: f.At.UTC(), Reference: f.Reference, Detail: f.Detail})
	}
	for _, r := range rows {
		out = append(out, r.event())
	}
	return out, nil
}

// performanceEvent reads manual event id in tx, or derrors.NotFound.
func performanceEvent(tx *gorm.DB, id uuid.UUID) (assess.Event, error) {
	var rows []performanceEventRow
	if err := tx.Raw(performanceEventSelect+` WHERE p.id = ?`, id).Scan(&rows).Error; err != nil {
		return assess.Event{}, err
	}
	if len(rows) == 0 {
		return assess.Event{}, derrors.New(derrors.NotFound, "no performance event %s", id)
	}
	return rows[0].event(), nil
}

// Event returns manual event id, or derrors.NotFound.
func (s *PerformanceStore) Event(ctx context.Context, id string) (assess.Event, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return assess.Event{}, derrors.New(derrors.NotFound, "no performance event %s", id)
	}
	e, err := performanceEvent(s.db.conn(ctx), uid)
	return e, translate(err, "load performance event")
}

// RecordEvent stores manual event e (its ID is chosen here) recorded by user userID, with its
// trail entry performance_event.record on the chain of e's street, and returns it as stored.
// Errors: derrors.Invalid (an unknown officer, street or user).
func (s *PerformanceStore) RecordEvent(ctx context.Context, e assess.Event, userID string) (assess.Event, error) {
	uid, err := uuid.Parse(userID)
	if err != nil {
		return assess.Event{}, derrors.New(derrors.Invalid, "no such user")
	}
	id := uuid.New()
	var out assess.Event
	err = s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO performance_events (id, officer_code, street_code, polarity, kind, at, points, reason, recorded_by, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, id, e.OfficerCode, e.StreetCode, string(e.Polarity), string(e.Kind), e.At, e.Points,
			e.Reason, uid, e.RecordedAt).Error; err != nil {
			return err
		}
		if out, err = performanceEvent(tx, id); err != nil {
			return err
		}
		return s.db.auditChange(ctx, tx, out.StreetCode, "performance_event.record", "performance_event", out.ID, nil, out)
	})
	return out, translate(err, "record performance event")
}

// WithdrawEvent marks manual event id, at version (0: any), withdrawn at at by user userID for
// reason, with its trail entry performance_event.withdraw, and returns it. Errors:
// derrors.NotFound, derrors.Conflict (withdrawn already, or another version).
func (s *PerformanceStore) WithdrawEvent(ctx context.Context, id string, version int, userID, reason string, at time.Time) (assess.Event, error) {
	eid, err := uuid.Parse(id)
	if err != nil {
		return assess.Event{}, derrors.New(derrors.NotFound, "no performance event %s", id)
	}
	uid, err := uuid.Parse(userID)
	if err != nil {
		return assess.Event{}, derrors.New(derrors.Invalid, "no such user")
	}
	var out assess.Event
	err = s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		if err := tx.Exec(`SELECT 1 FROM performance_events WHERE id = ? FOR UPDATE`, eid).Error; err != nil {
			return err
		}
		before, err := performanceEvent(tx, eid)
		switch {
		case err != nil:
			return err
		case before.Withdrawn():
			return derrors.New(derrors.Conflict, "performance event %s was withdrawn already", id)
		case version != 0 && version != before.Version:
			return derrors.New(derrors.Conflict, "the performance event is at version %d (not %d)", before.Version, version)
		}
		if err := tx.Exec(`UPDATE performance_events SET withdrawn_at = ?, withdrawn_by = ?, withdrawal_reason = ?, version = version + 1
			WHERE id = ?`, at, uid, reason, eid).Error; err != nil {
			return err
		}
		if out, err = performanceEvent(tx, eid); err != nil {
			return err
		}
		return s.db.auditChange(ctx, tx, out.StreetCode, "performance_event.withdraw", "performance_event", out.ID, before, out)
	})
	return out, translate(err, "withdraw performance event")
}
