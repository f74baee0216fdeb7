package postgres

import (
	"context"
	"encoding/json"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/numbering"
	"github.com/whistle/whistle/backend/whistle"
	wsync "github.com/whistle/whistle/sync"
)

var _ whistle.Store = (*WhistleStore)(nil)

// WhistleStore stores whistles (migration 00022): the whole whistle in whistles.doc, and its
// calls, reports, escalations, objections and ratings as plain rows beside it, for the
// assessment to count by department, street and time. Every change writes, in one transaction,
// the rows, its trail entry (the street's chain), the whistle to the feed of the street's team
// scope, and the River job whistle.escalate of each new step at its due instant.
type WhistleStore struct{ db *DB }

// NewWhistleStore returns a WhistleStore over db.
func NewWhistleStore(db *DB) *WhistleStore { return &WhistleStore{db: db} }

func whistleFromJSON(b []byte) (whistle.Whistle, error) {
	var w whistle.Whistle
	if err := json.Unmarshal(b, &w); err != nil {
		return w, derrors.Wrap(err, derrors.Internal, "decode whistle")
	}
	return w, nil
}

// Create stores a new whistle with the next number of its street's year.
func (s *WhistleStore) Create(ctx context.Context, c whistle.Change, number func(seq int) string) (whistle.Whistle, error) {
	w := c.Whistle
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		seq, err := nextNumber(tx, numbering.SeriesWhistle, w.StreetCode, w.Year)
		if err != nil {
			return err
		}
		w.Seq, w.Number = seq, number(seq)
		doc, err := jsonText(w)
		if err != nil {
			return err
		}
		var caseID *string
		if w.CaseID != "" {
			caseID = &w.CaseID
		}
		res := tx.Exec(`INSERT INTO whistles (id, street_code, team_code, year, seq, number, type, source, scope, state, case_id,
			raised_at, raised_by, filed_at, version, doc) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb) ON CONFLICT (id) DO NOTHING`,
			w.ID, w.StreetCode, w.TeamCode, w.Year, w.Seq, w.Number, string(w.Type), string(w.Source), string(w.Scope), string(w.State),
			caseID, w.RaisedAt, w.RaisedBy, w.Filing.FiledAt, w.Version, doc)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return derrors.New(derrors.Conflict, "whistle %s already exists", w.ID)
		}
		c.Whistle = w
		return s.finish(ctx, tx, c, nil)
	})
	return w, translate(err, "raise whistle")
}

// Update stores the next version of a whistle if it is still at version base.
func (s *WhistleStore) Update(ctx context.Context, c whistle.Change, base int) error {
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		before, err := s.get(tx, c.Whistle.ID, true)
		if err != nil {
			return err
		}
		if before.Version != base {
			return derrors.New(derrors.Conflict, "whistle %s moved to version %d meanwhile: read it again", before.Number, before.Version)
		}
		c.Whistle.Year, c.Whistle.Seq = before.Year, before.Seq
		if err := s.write(tx, c.Whistle); err != nil {
			return err
		}
		return s.finish(ctx, tx, c, &before)
	})
	return translate(err, "update whistle")
}

// write stores a changed whistle's row.
func (s *WhistleStore) write(tx *gorm.DB, w whistle.Whistle) error {
	doc, err := jsonText(w)
	if err != nil {
		return err
	}
	var closed *time.Time
	if w.Closure != nil {
		closed = &w.Closure.At
	}
	return tx.Exec(`UPDATE whistles SET state = ?, closed_at = ?, version = ?, doc = ?::jsonb WHERE id = ?`,
		string(w.State), closed, w.Version, doc, w.ID).Error
}

// finish writes the plain rows of c's whistle, its trail entry (before nil: raised), its feed
// change and the escalation jobs of its timers.
func (s *WhistleStore) finish(ctx context.Context, tx *gorm.DB, c whistle.Change, before *whistle.Whistle) error {
	w := c.Whistle
	if err := writeWhistleRows(tx, w); err != nil {
		return err
	}
	var b any
	if before != nil {
		b = before
	}
	if err := s.db.auditChange(ctx, tx, w.StreetCode, c.Action, "whistle", w.ID, b, w); err != nil {
		return err
	}
	if err := s.db.publish(ctx, tx, []Publication{{Scope: wsync.TeamScope(w.TeamCode), EntityType: "whistle", EntityID: w.ID, State: w}}); err != nil {
		return err
	}
	if len(c.Timers) == 0 || s.db.Jobs == nil {
		return nil
	}
	t, err := sqlTx(tx)
	if err != nil {
		return err
	}
	for _, tm := range c.Timers {
		if err := s.db.Jobs.WhistleEscalateTx(ctx, t, w.ID, tm.DepartmentCode, string(tm.Step), tm.Due); err != nil {
			return translate(err, "schedule whistle escalation")
		}
	}
	return nil
}

// writeWhistleRows writes the plain rows of w: its calls (upserted), reports, escalations and
// ratings (added; a report, an escalation or a rating never changes), objections (upserted).
func writeWhistleRows(tx *gorm.DB, w whistle.Whistle) error {
	for _, c := range w.Calls {
		at := map[whistle.Step]*time.Time{}
		due := map[whistle.Step]time.Time{}
		for _, st := range c.Steps {
			due[st.Step] = st.Due
			if r := st.Report; r != nil {
				at[st.Step] = &r.At
				if err := tx.Exec(`INSERT INTO whistle_reports (whistle_id, department_code, step, at, received_at, by_user_id, due_at, late)
					VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`,
					w.ID, c.DepartmentCode, string(st.Step), r.At, r.ReceivedAt, r.By, st.Due, r.Late).Error; err != nil {
					return err
				}
			}
		}
		if err := tx.Exec(`INSERT INTO whistle_calls (whistle_id, department_code, street_code, type, called_at, status,
			ack_due, arrive_due, finish_due, ack_at, arrive_at, finish_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (whistle_id, department_code) DO UPDATE SET status = EXCLUDED.status,
			ack_at = EXCLUDED.ack_at, arrive_at = EXCLUDED.arrive_at, finish_at = EXCLUDED.finish_at`,
			w.ID, c.DepartmentCode, w.StreetCode, string(w.Type), c.CalledAt, string(c.Status),
			due[whistle.StepAck], due[whistle.StepArrive], due[whistle.StepFinish],
			at[whistle.StepAck], at[whistle.StepArrive], at[whistle.StepFinish]).Error; err != nil {
			return err
		}
	}
	for _, e := range w.Escalations {
		if err := tx.Exec(`INSERT INTO whistle_escalations (whistle_id, department_code, step, due_at, escalated_at, street_code)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, w.ID, e.DepartmentCode, string(e.Step), e.Due, e.At, w.StreetCode).Error; err != nil {
			return err
		}
	}
	for _, o := range w.Objections {
		var ruled *time.Time
		if o.Ruling != nil {
			ruled = &o.Ruling.At
		}
		if err := tx.Exec(`INSERT INTO whistle_objections (id, whistle_id, department_code, street_code, at, outcome, ruled_at)
			VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO UPDATE SET outcome = EXCLUDED.outcome, ruled_at = EXCLUDED.ruled_at`,
			o.ID, w.ID, o.DepartmentCode, w.StreetCode, o.At, string(o.Outcome), ruled).Error; err != nil {
			return err
		}
	}
	for _, r := range w.Ratings {
		if err := tx.Exec(`INSERT INTO whistle_ratings (whistle_id, rater_user_id, rater_role, rating, at, street_code)
			VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING`, w.ID, r.By, string(r.Role), string(r.Rating), r.At, w.StreetCode).Error; err != nil {
			return err
		}
	}
	return nil
}

// whistleRow is a whistle as read: its doc and the numbering columns.
type whistleRow struct {
	Doc       []byte
	Year, Seq int
}

const whistleColumns = `convert_to(doc::text, 'UTF8') AS doc, year, seq`

func (r whistleRow) whistle() (whistle.Whistle, error) {
	w, err := whistleFromJSON(r.Doc)
	w.Year, w.Seq = r.Year, r.Seq
	return w, err
}

// get reads whistle id in tx, locked for update when lock is set.
func (s *WhistleStore) get(tx *gorm.DB, id string, lock bool) (whistle.Whistle, error) {
	if _, err := uuid.Parse(id); err != nil {
		return whistle.Whistle{}, derrors.New(derrors.NotFound, "no whistle %s", id)
	}
	q := `SELECT ` + whistleColumns + ` FROM whistles WHERE id = ?`
	if lock {
		q += ` FOR UPDATE`
	}
	var rows []whistleRow
	if err := tx.Raw(q, id).Scan(&rows).Error; err != nil {
		return whistle.Whistle{}, err
	}
	if len(rows) == 0 {
		return whistle.Whistle{}, derrors.New(derrors.NotFound, "no whistle %s", id)
	}
	return rows[0].whistle()
}

// Get returns a whistle, or derrors.NotFound.
func (s *WhistleStore) Get(ctx context.Context, id string) (whistle.Whistle, error) {
	w, err := s.get(s.db.conn(ctx), id, false)
	return w, translate(err, "read whistle")
}

// List returns whistles newest first (raised_at, ties by id), narrowed by f.
func (s *WhistleStore) List(ctx context.Context, f whistle.Filter) ([]whistle.Whistle, error) {
	limit := f.Limit
	if limit <= 0 || limit > casework.MaxPage+1 {
		limit = casework.DefaultPage
	}
	q := s.db.conn(ctx).Table("whistles w").Select(whistleColumns)
	if f.Street != "" {
		q = q.Where("w.street_code = ?", f.Street)
	}
	for _, dep := range []string{f.Department, f.Calls} {
		if dep != "" {
			q = q.Where("EXISTS (SELECT 1 FROM whistle_calls c WHERE c.whistle_id = w.id AND c.department_code = ?)", dep)
		}
	}
	if f.Scope != "" {
		q = q.Where("w.scope = ?", string(f.Scope))
	}
	if f.Type != "" {
		q = q.Where("w.type = ?", string(f.Type))
	}
	if f.State != "" {
		q = q.Where("w.state = ?", string(f.State))
	}
	if a := f.After; a != nil {
		q = q.Where("(w.raised_at < ? OR (w.raised_at = ? AND w.id > ?))", a.At, a.At, a.ID)
	}
	var rows []whistleRow
	if err := q.Order("w.raised_at DESC, w.id").Limit(limit).Scan(&rows).Error; err != nil {
		return nil, translate(err, "list whistles")
	}
	out := make([]whistle.Whistle, len(rows))
	for i, r := range rows {
		var err error
		if out[i], err = r.whistle(); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CaseStreet returns the street of case id, or derrors.NotFound.
func (s *WhistleStore) CaseStreet(ctx context.Context, id string) (string, error) {
	if _, err := uuid.Parse(id); err != nil {
		return "", derrors.New(derrors.NotFound, "no case %s", id)
	}
	var streets []string
	if err := s.db.conn(ctx).Raw(`SELECT street_code FROM cases WHERE id = ?`, id).Scan(&streets).Error; err != nil {
		return "", translate(err, "read case street")
	}
	if len(streets) == 0 {
		return "", derrors.New(derrors.NotFound, "no case %s", id)
	}
	return streets[0], nil
}

// OwnEvidence returns those of ids that are evidence items uploaded by userID.
func (s *WhistleStore) OwnEvidence(ctx context.Context, userID string, ids []string) ([]string, error) {
	var valid []string
	for _, id := range ids {
		if _, err := uuid.Parse(id); err == nil {
			valid = append(valid, id)
		}
	}
	out := []string{}
	if len(valid) == 0 {
		return out, nil
	}
	err := s.db.conn(ctx).Raw(`SELECT id::text FROM evidence WHERE id IN ? AND uploader_id = ?`, valid, userID).Scan(&out).Error
	return out, translate(err, "read reporter's evidence")
}

// Escalate is the work of the job whistle.escalate: under the whistle's lock, whistle.Escalate
// judges the step by the store's clock; an escalated step is stored with its escalation row, its
// trail entry by the system and its feed change. For a step not due yet it returns its due
// instant (the job waits); a step done, released, closed or escalated already changes nothing,
// so two instances running the job escalate once.
func (s *WhistleStore) Escalate(ctx context.Context, id, department, step string) (time.Time, error) {
	var next time.Time
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		before, err := s.get(tx, id, true)
		if derrors.CodeOf(err) == derrors.NotFound {
			return nil
		}
		if err != nil {
			return err
		}
		w := before
		w.Calls = cloneCalls(before.Calls)
		escalated, due := whistle.Escalate(&w, department, whistle.Step(step), s.db.now())
		if !escalated {
			next = due
			return nil
		}
		w.Version++
		if err := s.write(tx, w); err != nil {
			return err
		}
		return s.finish(audit.WithActor(ctx, audit.Actor{}), tx, whistle.Change{Whistle: w, Action: "whistle.escalate"}, &before)
	})
	return next, translate(err, "escalate whistle")
}

// cloneCalls copies calls deeply enough for a step to change without changing the original.
func cloneCalls(calls []whistle.Call) []whistle.Call {
	out := make([]whistle.Call, len(calls))
	for i, c := range calls {
		c.Steps = append([]whistle.Timing(nil), c.Steps...)
		out[i] = c
	}
	return out
}
