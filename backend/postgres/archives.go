package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/archive"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/numbering"
)

var _ archive.Store = (*ArchiveStore)(nil)

// ArchiveStore stores case archives (案件归档): the closing with its gapless number, the check as
// it stood, the case archived, the annexes added later, and the explanations of late deadlines.
type ArchiveStore struct{ db *DB }

// NewArchiveStore returns an ArchiveStore over db.
func NewArchiveStore(db *DB) *ArchiveStore { return &ArchiveStore{db: db} }

// Input reads what the completeness check judges of case id, without locking it.
func (s *ArchiveStore) Input(ctx context.Context, id string) (archive.Input, error) {
	in, err := s.input(s.db.conn(ctx), id, false)
	return in, translate(err, "read case for its archive")
}

// input reads case id, its street's name, the latest versions of its inspection records and the
// deadlines of the case and of those records with their explanations; lock locks the case, the
// records and the deadlines (FOR UPDATE), so that nothing the check judged changes before the
// closing commits: a correction, review, pause or explanation waits for it and then finds the
// case archived.
func (s *ArchiveStore) input(tx *gorm.DB, id string, lock bool) (archive.Input, error) {
	if _, err := uuid.Parse(id); err != nil {
		return archive.Input{}, derrors.New(derrors.NotFound, "no case %s", id)
	}
	forUpdate := ""
	if lock {
		forUpdate = " FOR UPDATE"
	}
	var docs []struct{ Doc []byte }
	if err := tx.Raw(`SELECT convert_to(doc::text, 'UTF8') AS doc FROM cases WHERE id = ?`+forUpdate, id).Scan(&docs).Error; err != nil {
		return archive.Input{}, err
	}
	if len(docs) == 0 {
		return archive.Input{}, derrors.New(derrors.NotFound, "no case %s", id)
	}
	r, err := caseFromJSON(docs[0].Doc)
	if err != nil {
		return archive.Input{}, err
	}
	in := archive.Input{Case: r, Records: map[string]inspection.State{}, Deadlines: []archive.Deadline{}, Reviews: []archive.ReviewSummary{}}
	if err := tx.Raw(`SELECT name_zh FROM streets WHERE code = ?`, r.StreetCode).Row().Scan(&in.StreetName); err != nil {
		return archive.Input{}, err
	}
	var ids []string
	for _, src := range r.Sources {
		if src.Kind == casework.SourceInspection && src.InspectionID != "" {
			ids = append(ids, src.InspectionID)
		}
	}
	slices.Sort(ids)
	ids = slices.Compact(ids)
	if len(ids) > 0 {
		var rows []struct{ State []byte }
		if err := tx.Raw(`SELECT convert_to(state::text, 'UTF8') AS state FROM inspections WHERE id IN ? ORDER BY id`+forUpdate, ids).
			Scan(&rows).Error; err != nil {
			return archive.Input{}, err
		}
		for _, row := range rows {
			st, err := stateFromJSON(row.State)
			if err != nil {
				return archive.Input{}, err
			}
			in.Records[st.Record.ID] = st
		}
	}
	q := `SELECT ` + deadlineColumns + ` FROM deadlines WHERE (subject_kind = 'case' AND subject_id = ?)`
	args := []any{id}
	if len(ids) > 0 {
		q += ` OR (subject_kind = 'inspection' AND subject_id IN ?)`
		args = append(args, ids)
	}
	var rows []deadlineRow
	if err := tx.Raw(q+` ORDER BY id`+forUpdate, args...).Scan(&rows).Error; err != nil {
		return archive.Input{}, err
	}
	explained, err := explanations(tx, rows)
	if err != nil {
		return archive.Input{}, err
	}
	for _, row := range rows {
		st, err := storedFromRow(row)
		if err != nil {
			return archive.Input{}, err
		}
		in.Deadlines = append(in.Deadlines, checkedDeadline(st, explained[st.Deadline.ID], s.db.now()))
	}
	var reviews []struct{ ID, Status string }
	if err := tx.Raw(`SELECT id::text AS id, status FROM evidence_reviews WHERE case_id = ? ORDER BY id`+forUpdate, id).
		Scan(&reviews).Error; err != nil {
		return archive.Input{}, err
	}
	for _, rv := range reviews {
		in.Reviews = append(in.Reviews, archive.ReviewSummary{ID: rv.ID, Status: archive.ReviewStatus(rv.Status)})
	}
	return in, nil
}

// checkedDeadline is a stored deadline as the check reads it at now: one due and not met is
// overdue, whether or not its escalation job has run yet.
func checkedDeadline(st Stored, explanation string, now time.Time) archive.Deadline {
	state := st.State
	if state == casework.DeadlineOpen && !now.Before(st.Due) {
		state = casework.DeadlineOverdue
	}
	return archive.Deadline{ID: st.Deadline.ID, Kind: st.Deadline.Kind, State: state, Due: st.Due, MetAt: st.Deadline.MetAt,
		EscalatedAt: st.Deadline.EscalatedAt, Explanation: explanation}
}

// explanations are the last explanation of each deadline of rows that has one.
func explanations(tx *gorm.DB, rows []deadlineRow) (map[string]string, error) {
	out := map[string]string{}
	if len(rows) == 0 {
		return out, nil
	}
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	var got []struct {
		DeadlineID string
		Reason     string
	}
	if err := tx.Raw(`SELECT DISTINCT ON (deadline_id) deadline_id::text AS deadline_id, reason FROM deadline_explanations
		WHERE deadline_id IN ? ORDER BY deadline_id, id DESC`, ids).Scan(&got).Error; err != nil {
		return nil, err
	}
	for _, g := range got {
		out[g.DeadlineID] = g.Reason
	}
	return out, nil
}

// nextNumber allocates the next number of series in street's year in tx (number_counters): the
// counter row stays locked until tx ends, and a rollback gives the number back. Archive numbers
// and whistle numbers are counted by it, each series apart.
func nextNumber(tx *gorm.DB, series numbering.Series, street string, year int) (int, error) {
	var seq int
	err := tx.Raw(`INSERT INTO number_counters (series, street_code, year, next) VALUES (?, ?, ?, 2)
		ON CONFLICT (series, street_code, year) DO UPDATE SET next = number_counters.next + 1
		RETURNING next - 1`, string(series), street, year).Row().Scan(&seq)
	return seq, err
}

// Close closes case id into its archive in one transaction: the case, its records and deadlines
// locked and read, close called on them, and what it returns stored (the archive, the case
// archived with its history entry, trail entry and feed). An error of close, or of any write
// after the number was allocated, rolls it all back, the number included.
func (s *ArchiveStore) Close(ctx context.Context, id string, close func(in archive.Input, next archive.Sequencer) (archive.Closing, error)) (archive.Archive, error) {
	var out archive.Archive
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		in, err := s.input(tx, id, true)
		if err != nil {
			return err
		}
		before := in.Case
		c, err := close(in, func(street string, year int) (int, error) {
			return nextNumber(tx, numbering.SeriesArchive, street, year)
		})
		if err != nil {
			return err
		}
		a := c.Archive
		check, err := jsonText(a.Check)
		if err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO archives (case_id, street_code, year, seq, number, closed_at, closed_by, score, "check")
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb)`, a.CaseID, a.StreetCode, a.Year, a.Seq, a.Number, a.ClosedAt, a.ClosedBy, a.Score, check).Error; err != nil {
			return err
		}
		cases := NewCaseStore(s.db)
		if err := cases.write(tx, c.Case); err != nil {
			return err
		}
		change := casework.Change{Record: c.Case, Action: "case.archive", Events: []casework.Event{c.Event}, Feed: casework.Feed(c.Case)}
		if err := cases.finish(ctx, tx, change, &before); err != nil {
			return err
		}
		out, err = s.read(tx, id)
		return err
	})
	return out, translate(err, "close archive")
}

// Archive returns the archive of case id with its annexes, or derrors.NotFound.
func (s *ArchiveStore) Archive(ctx context.Context, id string) (archive.Archive, error) {
	if _, err := uuid.Parse(id); err != nil {
		return archive.Archive{}, derrors.New(derrors.NotFound, "no archive of case %s", id)
	}
	a, err := s.read(s.db.conn(ctx), id)
	return a, translate(err, "read archive")
}

func (s *ArchiveStore) read(tx *gorm.DB, id string) (archive.Archive, error) {
	var rows []struct {
		StreetCode, Number, Username string
		Year, Seq, Score             int
		ClosedAt                     time.Time
		CheckDoc                     []byte
	}
	if err := tx.Raw(`SELECT a.street_code, a.number, u.username, a.year, a.seq, a.score, a.closed_at,
			convert_to(a."check"::text, 'UTF8') AS check_doc
		FROM archives a JOIN users u ON u.id = a.closed_by WHERE a.case_id = ?`, id).Scan(&rows).Error; err != nil {
		return archive.Archive{}, err
	}
	if len(rows) == 0 {
		return archive.Archive{}, derrors.New(derrors.NotFound, "case %s is not archived", id)
	}
	r := rows[0]
	a := archive.Archive{CaseID: id, StreetCode: r.StreetCode, Number: r.Number, Year: r.Year, Seq: r.Seq, ClosedAt: r.ClosedAt.UTC(),
		ClosedBy: r.Username, Score: r.Score, Annexes: []archive.Annex{}}
	if err := json.Unmarshal(r.CheckDoc, &a.Check); err != nil {
		return a, derrors.Wrap(err, derrors.Internal, "decode archive check")
	}
	var annexes []struct {
		ID, Kind, Text, Username string
		EvidenceIDs              []byte
		CreatedAt                time.Time
	}
	if err := tx.Raw(`SELECT x.id::text AS id, x.kind, x.text, u.username, convert_to(x.evidence_ids::text, 'UTF8') AS evidence_ids, x.created_at
		FROM archive_annexes x JOIN users u ON u.id = x.created_by WHERE x.case_id = ? ORDER BY x.created_at, x.id`, id).Scan(&annexes).Error; err != nil {
		return a, err
	}
	for _, x := range annexes {
		an := archive.Annex{ID: x.ID, CaseID: id, Kind: archive.AnnexKind(x.Kind), Text: x.Text, CreatedBy: x.Username, CreatedAt: x.CreatedAt.UTC()}
		if err := json.Unmarshal(x.EvidenceIDs, &an.EvidenceIDs); err != nil {
			return a, derrors.Wrap(err, derrors.Internal, "decode annex")
		}
		a.Annexes = append(a.Annexes, an)
	}
	return a, nil
}

// AddAnnex stores an annex of an archived case with its trail entry on street's chain. Evidence
// ids must name verified items of street: another street's item answers as an unknown one.
func (s *ArchiveStore) AddAnnex(ctx context.Context, a archive.Annex, street string) error {
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		var n int64
		if err := tx.Raw(`SELECT count(*) FROM archives WHERE case_id = ?`, a.CaseID).Scan(&n).Error; err != nil {
			return err
		}
		if n == 0 {
			return derrors.New(derrors.Conflict, "case %s is not archived", a.CaseID)
		}
		if len(a.EvidenceIDs) > 0 {
			var known []string
			ids := make([]uuid.UUID, 0, len(a.EvidenceIDs))
			for _, id := range a.EvidenceIDs {
				if u, err := uuid.Parse(id); err == nil {
					ids = append(ids, u)
				}
			}
			if len(ids) > 0 {
				if err := tx.Raw(`SELECT id::text FROM evidence WHERE id IN ? AND street_code = ? AND status = 'verified'`,
					ids, street).Scan(&known).Error; err != nil {
					return err
				}
			}
			for i, id := range a.EvidenceIDs {
				if !slices.Contains(known, id) {
					return derrors.Invalidf(fmt.Sprintf("/evidence_ids/%d", i), "no verified evidence %s", id)
				}
			}
		}
		ids, err := jsonText(a.EvidenceIDs)
		if err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO archive_annexes (id, case_id, kind, text, evidence_ids, created_by, created_at)
			VALUES (?, ?, ?, ?, ?::jsonb, ?, ?)`, a.ID, a.CaseID, string(a.Kind), a.Text, ids, a.CreatedBy, a.CreatedAt).Error; err != nil {
			return err
		}
		return s.db.auditChange(ctx, tx, street, "case.annex", "archive_annex", a.ID, nil, a)
	})
	return translate(err, "add annex")
}

// Deadline reads deadline id for an explanation: the deadline with its last explanation, its
// street and officer, and whether its case is archived.
func (s *ArchiveStore) Deadline(ctx context.Context, id string) (archive.DeadlineFacts, error) {
	uid, err := uuid.Parse(id)
	if err != nil {
		return archive.DeadlineFacts{}, derrors.New(derrors.NotFound, "no deadline %q", id)
	}
	tx := s.db.conn(ctx)
	st, err := NewDeadlineStore(s.db).get(tx, uid, false)
	if err != nil {
		return archive.DeadlineFacts{}, err
	}
	archived, err := archivedSubject(tx, st.Deadline.Subject)
	if err != nil {
		return archive.DeadlineFacts{}, translate(err, "read deadline")
	}
	return archive.DeadlineFacts{Deadline: checkedDeadline(st, "", s.db.now()), StreetCode: st.Deadline.StreetCode, Officer: st.Deadline.Officer,
		Archived: archived}, nil
}

// Explain stores an explanation of a late deadline with its trail entry, under the deadline's
// lock: derrors.CaseArchived when its case was archived meanwhile.
func (s *ArchiveStore) Explain(ctx context.Context, e archive.Explanation) error {
	uid, err := uuid.Parse(e.DeadlineID)
	if err != nil {
		return derrors.New(derrors.NotFound, "no deadline %q", e.DeadlineID)
	}
	err = s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		st, err := NewDeadlineStore(s.db).get(tx, uid, true)
		if err != nil {
			return err
		}
		if err := refuseArchivedSubject(tx, st.Deadline.Subject); err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO deadline_explanations (deadline_id, reason, by_user_id, at) VALUES (?, ?, ?, ?)`,
			uid, e.Reason, e.By, e.At).Error; err != nil {
			return err
		}
		return s.db.auditChange(ctx, tx, st.Deadline.StreetCode, "deadline.explanation", "deadline", e.DeadlineID, nil, e)
	})
	return translate(err, "explain deadline")
}

// archivedSubject reports whether the subject of a deadline belongs to an archived case: the
// case itself, or an inspection record that is one of its sources.
func archivedSubject(tx *gorm.DB, sub casework.DeadlineSubject) (bool, error) {
	switch sub.Kind {
	case casework.SubjectCase:
		if _, err := uuid.Parse(sub.ID); err != nil {
			return false, nil
		}
		var n int64
		err := tx.Raw(`SELECT count(*) FROM cases WHERE id = ?::uuid AND state = 'archived'`, sub.ID).Scan(&n).Error
		return n > 0, err
	case casework.SubjectInspection:
		return recordArchived(tx, sub.ID)
	}
	return false, nil
}

// refuseArchivedSubject is derrors.CaseArchived when sub belongs to an archived case.
func refuseArchivedSubject(tx *gorm.DB, sub casework.DeadlineSubject) error {
	archived, err := archivedSubject(tx, sub)
	if err != nil {
		return err
	}
	if archived {
		return derrors.New(derrors.CaseArchived, "the %s %s belongs to an archived case: it is read-only", sub.Kind, sub.ID)
	}
	return nil
}

// recordArchived reports whether inspection record id is a source of an archived case.
func recordArchived(tx *gorm.DB, id string) (bool, error) {
	if _, err := uuid.Parse(id); err != nil {
		return false, nil // no record has such an id, nor a case of it
	}
	var n int64
	err := tx.Raw(`SELECT count(*) FROM case_sources s JOIN cases c ON c.id = s.case_id
		WHERE s.inspection_id = ?::uuid AND c.state = 'archived'`, id).Scan(&n).Error
	return n > 0, err
}

// refuseArchivedRecord is derrors.CaseArchived when inspection record id is a source of an
// archived case; called under the record's lock, after a closing that locked it committed.
func (db *DB) refuseArchivedRecord(tx *gorm.DB, id string) error {
	archived, err := recordArchived(tx, id)
	if err != nil {
		return err
	}
	if archived {
		return derrors.New(derrors.CaseArchived, "inspection %s is a record of an archived case: it is read-only", id)
	}
	return nil
}

// Archived reports whether inspection record id is a source of an archived case.
func (s *InspectionStore) Archived(ctx context.Context, id string) (bool, error) {
	archived, err := recordArchived(s.db.conn(ctx), id)
	return archived, translate(err, "read inspection's case")
}
