package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/derrors"
)

var _ casework.Store = (*CaseStore)(nil)

// CaseStore stores cases, their sources, routing decisions and history. Each change writes its
// trail entry (chained per street), publishes the case to the sync feed and opens, meets and
// hands over the case's statutory deadlines (casework.ClockOps) in the same transaction.
type CaseStore struct{ db *DB }

// NewCaseStore returns a CaseStore over db.
func NewCaseStore(db *DB) *CaseStore { return &CaseStore{db: db} }

// caseArgs are the columns of cases for r, in the order of the INSERT.
func caseArgs(r casework.Record) ([]any, error) {
	doc, err := jsonText(r)
	if err != nil {
		return nil, err
	}
	var outcome *string
	if r.Outcome != "" {
		o := string(r.Outcome)
		outcome = &o
	}
	var number, merged *string
	if r.Number != "" {
		number = &r.Number
	}
	if r.MergedInto != "" {
		merged = &r.MergedInto
	}
	return []any{r.ID, r.StreetCode, r.TeamCode, number, r.MatterCode, r.MatterVersion, r.DepartmentCode, string(r.State), outcome,
		string(r.Assignee.Kind), r.Assignee.Code, string(r.FirstReceiver.Kind), r.FirstReceiver.Code,
		r.Location.Address, r.Location.Lat, r.Location.Lng, r.Description, merged, r.Version, doc, r.CreatedAt, r.UpdatedAt}, nil
}

const caseColumns = `id, street_code, team_code, number, matter_code, matter_version, department_code, state, outcome,
	assignee_kind, assignee_code, first_receiver_kind, first_receiver_code, address, lat, lng, description, merged_into,
	version, doc, created_at, updated_at`

func casePublications(r casework.Record, feed map[string]casework.Record) []Publication {
	pubs := make([]Publication, 0, len(feed))
	for scope, st := range feed {
		pubs = append(pubs, Publication{Scope: scope, EntityType: "case", EntityID: r.ID, State: st})
	}
	return pubs
}

// Create stores a new case with its first source, routing and events. It returns
// derrors.Conflict when the id is taken, or when the inspection record it comes from already
// has its case.
func (s *CaseStore) Create(ctx context.Context, c casework.Change) error {
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		args, err := caseArgs(c.Record)
		if err != nil {
			return err
		}
		res := tx.Exec(`INSERT INTO cases (`+caseColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?, ?)
			ON CONFLICT (id) DO NOTHING`, args...)
		if res.Error != nil {
			return res.Error
		}
		if res.RowsAffected == 0 {
			return derrors.New(derrors.Conflict, "case %s already exists", c.Record.ID)
		}
		for _, src := range c.Record.Sources {
			if err := s.insertSource(tx, c.Record.ID, src); err != nil {
				return err
			}
		}
		return s.finish(ctx, tx, c, nil)
	})
	return translate(err, "create case")
}

// insertSource stores one source of case id. A second case of one inspection record is
// refused with derrors.Conflict.
func (s *CaseStore) insertSource(tx *gorm.DB, id string, src casework.Source) error {
	var inspection, name, phone *string
	if src.InspectionID != "" {
		inspection = &src.InspectionID
	}
	if src.Contact != nil {
		name, phone = &src.Contact.Name, &src.Contact.Phone
	}
	res := tx.Exec(`INSERT INTO case_sources (case_id, kind, inspection_id, channel, work_order_number, nature, contact_name,
			contact_phone, received_at, time_limit, address, lat, lng, description, taken_by)
		VALUES (?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (inspection_id) WHERE inspection_id IS NOT NULL DO NOTHING`,
		id, string(src.Kind), inspection, src.Channel, src.WorkOrderNumber, string(src.Nature), name, phone, src.ReceivedAt,
		src.TimeLimit, src.Location.Address, src.Location.Lat, src.Location.Lng, src.Description, src.TakenBy)
	if res.Error != nil {
		return res.Error
	}
	if res.RowsAffected == 0 {
		return derrors.New(derrors.Conflict, "inspection %s already has its case", src.InspectionID)
	}
	return nil
}

// finish writes what every change writes: the routing decided, the events, the trail entry, the
// feed, the review grant of a department newly routed (c.Grant), and the changes of deadlines the change makes (c.Clocks). before is the stored case
// (nil: created).
func (s *CaseStore) finish(ctx context.Context, tx *gorm.DB, c casework.Change, before *casework.Record) error {
	r := c.Record
	if rt := c.Routing; rt != nil {
		reason, err := jsonText(rt.Reason)
		if err != nil {
			return err
		}
		candidates, err := jsonText(rt.Candidates)
		if err != nil {
			return err
		}
		var officer *string
		if rt.OfficerCode != "" {
			officer = &rt.OfficerCode
		}
		if err := tx.Exec(`INSERT INTO case_routings (case_id, at, matter_code, matter_version, department_code, destination,
				officer_code, reason, candidates) VALUES (?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb)`,
			r.ID, rt.At, rt.MatterCode, rt.MatterVersion, rt.DepartmentCode, string(rt.Destination), officer, reason, candidates).Error; err != nil {
			return err
		}
	}
	for _, ev := range c.Events {
		var assignee *string
		if ev.Assignee != nil {
			a, err := jsonText(ev.Assignee)
			if err != nil {
				return err
			}
			assignee = &a
		}
		if err := tx.Exec(`INSERT INTO case_events (case_id, version, kind, at, actor_user_id, from_state, to_state, reason, assignee)
			VALUES (?, ?, ?, ?, ?, NULLIF(?, ''), NULLIF(?, ''), NULLIF(?, ''), ?::jsonb)`,
			r.ID, r.Version, string(ev.Kind), ev.At, ev.Actor, string(ev.From), string(ev.To), ev.Reason, assignee).Error; err != nil {
			return err
		}
	}
	var b any
	if before != nil {
		b = before
	}
	if err := s.db.auditChange(ctx, tx, r.StreetCode, c.Action, "case", r.ID, b, r); err != nil {
		return err
	}
	if err := s.db.publish(ctx, tx, casePublications(r, c.Feed)); err != nil {
		return err
	}
	if c.Grant != nil {
		if err := s.db.openGrant(ctx, tx, r.StreetCode, *c.Grant); err != nil {
			return err
		}
	}
	return s.db.applyCaseClocks(ctx, tx, r, c.Clocks)
}

// Update stores the next version of a case if it is still at version base, else
// derrors.Conflict. A merge (c.MergedFrom) also stores the merged case and moves its sources.
func (s *CaseStore) Update(ctx context.Context, c casework.Change, base int) error {
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		before, err := s.lock(tx, c.Record.ID)
		if err != nil {
			return err
		}
		if before.Version != base {
			return derrors.New(derrors.Conflict, "the case moved to version %d meanwhile", before.Version)
		}
		if err := s.write(tx, c.Record); err != nil {
			return err
		}
		if m := c.MergedFrom; m != nil {
			merged, err := s.lock(tx, m.ID)
			if err != nil {
				return err
			}
			if merged.Version != m.Version-1 || merged.MergedInto != "" {
				return derrors.New(derrors.Conflict, "case %s changed meanwhile", m.ID)
			}
			if err := s.write(tx, *m); err != nil {
				return err
			}
			if err := tx.Exec(`UPDATE case_sources SET case_id = ? WHERE case_id = ?`, c.Record.ID, m.ID).Error; err != nil {
				return err
			}
			mc := casework.Change{Record: *m, Action: "case.merged", Events: c.MergedEvents, Feed: c.MergedFeed, Clocks: c.MergedClocks}
			if err := s.finish(ctx, tx, mc, &merged); err != nil {
				return err
			}
		}
		return s.finish(ctx, tx, c, &before)
	})
	return translate(err, "update case")
}

// write overwrites the stored state of r.
func (s *CaseStore) write(tx *gorm.DB, r casework.Record) error {
	args, err := caseArgs(r)
	if err != nil {
		return err
	}
	return tx.Exec(`UPDATE cases SET street_code = ?, team_code = ?, number = ?, matter_code = ?, matter_version = ?,
			department_code = ?, state = ?, outcome = ?, assignee_kind = ?, assignee_code = ?, first_receiver_kind = ?,
			first_receiver_code = ?, address = ?, lat = ?, lng = ?, description = ?, merged_into = ?, version = ?, doc = ?::jsonb,
			created_at = ?, updated_at = ? WHERE id = ?`, append(args[1:], args[0])...).Error
}

// lock reads and locks a case.
func (s *CaseStore) lock(tx *gorm.DB, id string) (casework.Record, error) {
	var rows []struct{ Doc []byte }
	if err := tx.Raw(`SELECT convert_to(doc::text, 'UTF8') AS doc FROM cases WHERE id = ? FOR UPDATE`, id).Scan(&rows).Error; err != nil {
		return casework.Record{}, err
	}
	if len(rows) == 0 {
		return casework.Record{}, derrors.New(derrors.NotFound, "no case %s", id)
	}
	return caseFromJSON(rows[0].Doc)
}

func caseFromJSON(b []byte) (casework.Record, error) {
	var r casework.Record
	if err := json.Unmarshal(b, &r); err != nil {
		return r, derrors.Wrap(err, derrors.Internal, "decode case")
	}
	return r, nil
}

// Get returns a case, or derrors.NotFound.
func (s *CaseStore) Get(ctx context.Context, id string) (casework.Record, error) {
	if _, err := uuid.Parse(id); err != nil {
		return casework.Record{}, derrors.New(derrors.NotFound, "no case %s", id)
	}
	// One column of one row: scanned as a row, without GORM's reflective scan into a struct (the
	// read of every case route; BenchmarkScopedCaseRead).
	var doc []byte
	err := s.db.conn(ctx).Raw(`SELECT convert_to(doc::text, 'UTF8') AS doc FROM cases WHERE id = ?`, id).Row().Scan(&doc)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return casework.Record{}, derrors.New(derrors.NotFound, "no case %s", id)
	case err != nil:
		return casework.Record{}, translate(err, "load case")
	}
	return caseFromJSON(doc)
}

// Events returns a case's history, oldest first, actors by username.
func (s *CaseStore) Events(ctx context.Context, id string) ([]casework.Event, error) {
	var rows []struct {
		Kind, Username     string
		At                 time.Time
		FromState, ToState *string
		Reason             *string
		Assignee           []byte
	}
	err := s.db.conn(ctx).Raw(`SELECT e.kind, u.username, e.at, e.from_state, e.to_state, e.reason,
			convert_to(e.assignee::text, 'UTF8') AS assignee
		FROM case_events e JOIN users u ON u.id = e.actor_user_id WHERE e.case_id = ? ORDER BY e.id`, id).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "load case events")
	}
	out := make([]casework.Event, len(rows))
	for i, r := range rows {
		ev := casework.Event{Kind: casework.EventKind(r.Kind), At: r.At.UTC(), Actor: r.Username}
		if r.FromState != nil {
			ev.From = casework.State(*r.FromState)
		}
		if r.ToState != nil {
			ev.To = casework.State(*r.ToState)
		}
		if r.Reason != nil {
			ev.Reason = *r.Reason
		}
		if len(r.Assignee) > 0 {
			var a casework.Receiver
			if err := json.Unmarshal(r.Assignee, &a); err != nil {
				return nil, derrors.Wrap(err, derrors.Internal, "decode case event")
			}
			ev.Assignee = &a
		}
		out[i] = ev
	}
	return out, nil
}

// List returns the cases f selects, newest first, ties by id, from after f.After.
func (s *CaseStore) List(ctx context.Context, f casework.Filter) ([]casework.Record, error) {
	q := s.db.conn(ctx).Table("cases").Select("convert_to(doc::text, 'UTF8') AS doc")
	if f.StreetCode != "" {
		q = q.Where("street_code = ?", f.StreetCode)
	}
	if f.State != "" {
		q = q.Where("state = ?", string(f.State))
	}
	if f.DepartmentCode != "" {
		q = q.Where("department_code = ?", f.DepartmentCode)
	}
	if a := f.Assignee; a != nil {
		q = q.Where("assignee_kind = ? AND assignee_code = ?", string(a.Kind), a.Code)
	}
	if f.TakenBy != "" {
		q = q.Where("id IN (SELECT case_id FROM case_sources WHERE taken_by = ?)", f.TakenBy)
	}
	if f.GrantedTo != "" {
		q = q.Where("id IN (SELECT case_id FROM review_grants WHERE department_code = ? AND revoked_at IS NULL AND expires_at > ?)",
			f.GrantedTo, f.GrantedAt)
	}
	if c := f.After; c != nil {
		q = q.Where("(created_at < ? OR (created_at = ? AND id > ?))", c.CreatedAt, c.CreatedAt, c.ID)
	}
	limit := f.Limit
	if limit <= 0 || limit > casework.MaxPage+1 {
		limit = casework.DefaultPage
	}
	var rows []struct{ Doc []byte }
	if err := q.Order("created_at DESC, id").Limit(limit).Scan(&rows).Error; err != nil {
		return nil, translate(err, "list cases")
	}
	out := make([]casework.Record, len(rows))
	for i, r := range rows {
		c, err := caseFromJSON(r.Doc)
		if err != nil {
			return nil, err
		}
		out[i] = c
	}
	return out, nil
}

// OpenCases counts the open cases each officer holds.
func (s *CaseStore) OpenCases(ctx context.Context, officers []string) (map[string]int, error) {
	out := map[string]int{}
	if len(officers) == 0 {
		return out, nil
	}
	var rows []struct {
		Code string
		N    int
	}
	err := s.db.conn(ctx).Raw(`SELECT assignee_code AS code, count(*) AS n FROM cases
		WHERE assignee_kind = 'officer' AND assignee_code IN ? AND state NOT IN ('concluded', 'withdrawn', 'archived') AND merged_into IS NULL
		GROUP BY assignee_code`, officers).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "count open cases")
	}
	for _, r := range rows {
		out[r.Code] = r.N
	}
	return out, nil
}

// OpenSimilar returns the open cases of street and matter taken in since since, newest first.
func (s *CaseStore) OpenSimilar(ctx context.Context, street, matter string, since time.Time) ([]casework.Record, error) {
	var rows []struct{ Doc []byte }
	err := s.db.conn(ctx).Raw(`SELECT convert_to(doc::text, 'UTF8') AS doc FROM cases
		WHERE street_code = ? AND matter_code = ? AND created_at >= ? AND state NOT IN ('concluded', 'withdrawn', 'archived') AND merged_into IS NULL
		ORDER BY created_at DESC, id LIMIT 100`, street, matter, since).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "find similar cases")
	}
	out := make([]casework.Record, len(rows))
	for i, r := range rows {
		if out[i], err = caseFromJSON(r.Doc); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// CaseOfInspection returns the id of the case an inspection record opened, "" if none.
func (s *CaseStore) CaseOfInspection(ctx context.Context, inspectionID string) (string, error) {
	var ids []string
	err := s.db.conn(ctx).Raw(`SELECT case_id::text FROM case_sources WHERE inspection_id = ?`, inspectionID).Scan(&ids).Error
	if err != nil {
		return "", translate(err, "find case of inspection")
	}
	if len(ids) == 0 {
		return "", nil
	}
	return ids[0], nil
}

// Satisfactions returns the return call answers of case id (case_satisfactions, migration
// 00025), oldest first.
func (s *CaseStore) Satisfactions(ctx context.Context, id string) ([]casework.Satisfaction, error) {
	var rows []struct {
		CaseID, Answer, RecordedBy string
		Note                       *string
		At, RecordedAt             time.Time
	}
	err := s.db.conn(ctx).Raw(`SELECT case_id::text AS case_id, answer, at, note, recorded_by::text AS recorded_by, recorded_at
		FROM case_satisfactions WHERE case_id = ? ORDER BY at, id`, id).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "read return call answers")
	}
	out := make([]casework.Satisfaction, len(rows))
	for i, r := range rows {
		out[i] = casework.Satisfaction{CaseID: r.CaseID, Answer: casework.Answer(r.Answer), At: r.At.UTC(), RecordedBy: r.RecordedBy,
			RecordedAt: r.RecordedAt.UTC()}
		if r.Note != nil {
			out[i].Note = *r.Note
		}
	}
	return out, nil
}

// AddSatisfaction stores a return call's answer and its trail entry (case.satisfaction, in the
// street's chain) in one transaction; the case row is not touched. A second answer other than
// unreachable meets the unique index: derrors.Conflict.
func (s *CaseStore) AddSatisfaction(ctx context.Context, a casework.Satisfaction, street string) error {
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		if err := tx.Exec(`INSERT INTO case_satisfactions (case_id, street_code, answer, at, note, recorded_by, recorded_at)
			VALUES (?, ?, ?, ?, NULLIF(?, ''), ?, ?)`, a.CaseID, street, string(a.Answer), a.At, a.Note, a.RecordedBy, a.RecordedAt).Error; err != nil {
			return err
		}
		return s.db.auditChange(ctx, tx, street, "case.satisfaction", "case", a.CaseID, nil, a)
	})
	return translate(err, "record the return call's answer")
}
