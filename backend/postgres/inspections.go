package postgres

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
	wsync "github.com/whistle/whistle/sync"
)

var _ inspection.Store = (*InspectionStore)(nil)

// InspectionStore stores inspection records, their versions and reviews.
// Each change writes its trail entry (chained per street) and publishes the
// record to the sync feed in the same transaction.
type InspectionStore struct{ db *DB }

// NewInspectionStore returns an InspectionStore over db.
func NewInspectionStore(db *DB) *InspectionStore { return &InspectionStore{db: db} }

func officerCodes(r inspection.Record) []string {
	out := make([]string, len(r.Crew))
	for i, c := range r.Crew {
		out[i] = c.OfficerCode
	}
	return out
}

// feedPublications are the changes publishing feed (a record's state per
// scope, as domain values or already encoded) for the record id.
func feedPublications[S any](id string, feed map[string]S) []Publication {
	pubs := make([]Publication, 0, len(feed))
	for scope, st := range feed {
		pubs = append(pubs, Publication{Scope: scope, EntityType: "inspection", EntityID: id, State: st})
	}
	return pubs
}

// write stores st as the current state, its version row and expected
// evidence and form numbers, inside tx.
func (s *InspectionStore) write(ctx context.Context, tx *gorm.DB, st inspection.State, author, reason string, create bool) error {
	state, err := stateJSON(st)
	if err != nil {
		return err
	}
	record, err := recordJSON(st.Record)
	if err != nil {
		return err
	}
	var device *string
	if st.DeviceID != "" {
		device = &st.DeviceID
	}
	args := []any{st.Record.ID, st.Record.TeamCode, st.StreetCode, st.Version, st.ActAt, st.ReceivedAt, st.RecordedBy, device,
		string(st.Assessment.Tier), string(st.Status), string(st.Review), textArray(st.Record.MatterCodes),
		textArray(officerCodes(st.Record)), state, s.db.now()}
	if create {
		// A taken id is answered without an SQL error, which would abort
		// the transaction: a sync push goes on to compare the two records.
		res := tx.Exec(`INSERT INTO inspections (id, team_code, street_code, version, act_at, received_at, recorded_by, device_id,
				tier, status, review, matter_codes, officer_codes, state, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?) ON CONFLICT (id) DO NOTHING`, args...)
		if err = res.Error; err == nil && res.RowsAffected == 0 {
			return derrors.New(derrors.Conflict, "inspection %s already exists", st.Record.ID)
		}
	} else {
		err = tx.Exec(`UPDATE inspections SET team_code = ?, street_code = ?, version = ?, act_at = ?, received_at = ?,
				recorded_by = ?, device_id = ?, tier = ?, status = ?, review = ?, matter_codes = ?, officer_codes = ?,
				state = ?::jsonb, updated_at = ? WHERE id = ?`, append(args[1:], args[0])...).Error
	}
	if err != nil {
		return err
	}
	uid, err := uuid.Parse(author)
	if err != nil {
		return derrors.Wrap(err, derrors.Internal, "author is not a user id")
	}
	err = tx.Exec(`INSERT INTO inspection_versions (inspection_id, version, author_user_id, reason, at, record, review, exceptions)
		VALUES (?, ?, ?, ?, ?, ?::jsonb, ?, ?)`, st.Record.ID, st.Version, uid, reason, s.db.now(), record,
		string(st.Review), len(st.Assessment.Exceptions)).Error
	if err != nil {
		return err
	}
	// The evidence this version expects, and the form numbers it uses.
	if err := tx.Exec(`DELETE FROM inspection_evidence WHERE inspection_id = ?`, st.Record.ID).Error; err != nil {
		return err
	}
	for _, e := range st.Record.Evidence {
		if err := tx.Exec(`INSERT INTO inspection_evidence (client_id, inspection_id) VALUES (?, ?) ON CONFLICT DO NOTHING`,
			e.ClientID, st.Record.ID).Error; err != nil {
			return err
		}
	}
	if err := tx.Exec(`DELETE FROM form_numbers WHERE inspection_id = ?`, st.Record.ID).Error; err != nil {
		return err
	}
	for _, m := range st.Record.Measures {
		if m.Kind == authority.MeasureFineSimple && m.Fine != nil && st.DeviceID != "" {
			// Only a number of the recording device's own blocks enters the
			// ledger: any other is the act's exception and never marks a
			// number of another device's block (or of a block not issued
			// yet) used. A reused number is flagged by the assessment; the
			// first use keeps it.
			if err := tx.Exec(`INSERT INTO form_numbers (number, inspection_id, used_at)
				SELECT @number, @id, @at WHERE EXISTS (SELECT 1 FROM number_blocks b WHERE b.device_id = @device AND `+inBlock+`)
				ON CONFLICT (number) DO NOTHING`,
				sql.Named("number", m.Fine.FormNumber), sql.Named("id", st.Record.ID), sql.Named("at", st.ActAt),
				sql.Named("device", st.DeviceID)).Error; err != nil {
				return err
			}
		}
	}
	return nil
}

// withEvidence brings st and its feed up to date with the expected files
// verified as of now, inside tx, after taking the locks that verifying
// evidence takes (see EvidenceStore.Serialize): a file verified while the
// record is written is counted by one of the two transactions, so the
// record never stays evidence_pending for a file that is verified.
func (s *InspectionStore) withEvidence(ctx context.Context, tx *gorm.DB, st inspection.State, feed map[string]inspection.State) (inspection.State, map[string]inspection.State, error) {
	ids := make([]string, len(st.Record.Evidence))
	for i, e := range st.Record.Evidence {
		ids[i] = e.ClientID
	}
	if err := lockEvidenceOf(tx, st.Record.ID, ids); err != nil {
		return st, feed, err
	}
	return s.refreshEvidence(ctx, st, feed)
}

// refreshEvidence is st and its feed with the expected files verified as
// of now; withEvidence calls it under the evidence locks.
func (s *InspectionStore) refreshEvidence(ctx context.Context, st inspection.State, feed map[string]inspection.State) (inspection.State, map[string]inspection.State, error) {
	verified, err := s.VerifiedEvidence(ctx, st)
	if err != nil {
		return st, feed, err
	}
	next, changed := inspection.Refresh(st, verified)
	if !changed {
		return st, feed, nil
	}
	fresh := make(map[string]inspection.State, len(feed))
	for scope, f := range feed {
		fresh[scope], _ = inspection.Refresh(f, verified)
	}
	return next, fresh, nil
}

// Create stores a new record (version 1), with the evidence verified as of
// its transaction, and links the evidence that arrived before it. It
// returns derrors.Conflict when the id is taken, leaving the transaction
// of ctx usable.
func (s *InspectionStore) Create(ctx context.Context, st inspection.State, author, reason string, feed map[string]inspection.State) error {
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		st, feed, err := s.withEvidence(ctx, tx, st, feed)
		if err != nil {
			return err
		}
		if err := s.write(ctx, tx, st, author, reason, true); err != nil {
			return err
		}
		// A seizure opens its statutory deadline with the record.
		opened, err := s.db.openSeizures(ctx, tx, []inspection.State{st})
		if err != nil {
			return err
		}
		if err := s.db.auditChange(ctx, tx, st.StreetCode, "inspection.record", "inspection", st.Record.ID, nil, st); err != nil {
			return err
		}
		if err := s.db.appendAudits(ctx, tx, opened[st.Record.ID].entries); err != nil {
			return err
		}
		// Evidence that arrived before its record is linked now.
		if _, err := NewEvidenceStore(s.db).LinkRecord(ctx, st.EvidenceRef()); err != nil {
			return err
		}
		return s.db.publish(ctx, tx, append(feedPublications(st.Record.ID, feed), opened[st.Record.ID].pubs...))
	})
	return translate(err, "record inspection")
}

// AddVersion stores st as the next version, with the evidence verified as
// of its transaction, if the record is still at base. It returns
// derrors.Conflict when another correction came first.
func (s *InspectionStore) AddVersion(ctx context.Context, st inspection.State, base int, author, reason string, feed map[string]inspection.State) error {
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		// The evidence locks come before the record's row, as when evidence
		// is verified (Serialize, then UpdateEvidence).
		st, feed, err := s.withEvidence(ctx, tx, st, feed)
		if err != nil {
			return err
		}
		before, err := s.lock(tx, st.Record.ID)
		if err != nil {
			return err
		}
		if err := s.db.refuseArchivedRecord(tx, st.Record.ID); err != nil {
			return err
		}
		if before.Version != base {
			return derrors.New(derrors.Conflict, "the record moved to version %d meanwhile", before.Version)
		}
		if err := s.write(ctx, tx, st, author, reason, false); err != nil {
			return err
		}
		if err := s.db.auditChange(ctx, tx, st.StreetCode, "inspection.amend", "inspection", st.Record.ID, before, st); err != nil {
			return err
		}
		// A correction may expect files that arrived before it.
		if _, err := NewEvidenceStore(s.db).LinkRecord(ctx, st.EvidenceRef()); err != nil {
			return err
		}
		return s.db.publish(ctx, tx, feedPublications(st.Record.ID, feed))
	})
	return translate(err, "amend inspection")
}

// SetReview records a review act and the record's new review state.
func (s *InspectionStore) SetReview(ctx context.Context, st inspection.State, act inspection.ReviewAct, feed map[string]inspection.State) error {
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		before, err := s.lock(tx, st.Record.ID)
		if err != nil {
			return err
		}
		if err := s.db.refuseArchivedRecord(tx, st.Record.ID); err != nil {
			return err
		}
		if before.Version != act.Version || before.Review != inspection.ReviewPending {
			return derrors.New(derrors.Conflict, "the record changed meanwhile")
		}
		state, err := stateJSON(st)
		if err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE inspections SET review = ?, state = ?::jsonb, updated_at = ? WHERE id = ?`,
			string(st.Review), state, act.At, st.Record.ID).Error; err != nil {
			return err
		}
		reasons, err := jsonText(act.Reasons)
		if err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO inspection_reviews (inspection_id, version, decision, reasons, reviewer_user_id, at)
			VALUES (?, ?, ?, ?::jsonb, ?, ?)`, st.Record.ID, act.Version, act.Decision, reasons, act.Reviewer, act.At).Error; err != nil {
			return err
		}
		if err := s.db.auditChange(ctx, tx, st.StreetCode, "inspection.review."+act.Decision, "inspection", st.Record.ID, before, st); err != nil {
			return err
		}
		return s.db.publish(ctx, tx, feedPublications(st.Record.ID, feed))
	})
	return translate(err, "review inspection")
}

// lock reads and locks the current state of a record.
func (s *InspectionStore) lock(tx *gorm.DB, id string) (inspection.State, error) {
	var rows []struct{ State []byte }
	if err := tx.Raw(`SELECT convert_to(state::text, 'UTF8') AS state FROM inspections WHERE id = ? FOR UPDATE`, id).Scan(&rows).Error; err != nil {
		return inspection.State{}, err
	}
	if len(rows) == 0 {
		return inspection.State{}, derrors.New(derrors.NotFound, "no inspection %s", id)
	}
	return stateFromJSON(rows[0].State)
}

// Get returns the current state of a record, or derrors.NotFound.
func (s *InspectionStore) Get(ctx context.Context, id string) (inspection.State, error) {
	if _, err := uuid.Parse(id); err != nil {
		return inspection.State{}, derrors.New(derrors.NotFound, "no inspection %s", id)
	}
	var rows []struct{ State []byte }
	if err := s.db.conn(ctx).Raw(`SELECT convert_to(state::text, 'UTF8') AS state FROM inspections WHERE id = ?`, id).Scan(&rows).Error; err != nil {
		return inspection.State{}, translate(err, "load inspection")
	}
	if len(rows) == 0 {
		return inspection.State{}, derrors.New(derrors.NotFound, "no inspection %s", id)
	}
	return stateFromJSON(rows[0].State)
}

// Versions returns every version of a record, oldest first, and its review acts.
func (s *InspectionStore) Versions(ctx context.Context, id string) ([]inspection.Version, []inspection.ReviewAct, error) {
	var rows []struct {
		Version    int
		Username   string
		Reason     string
		At         time.Time
		Record     []byte
		Review     string
		Exceptions int
	}
	g := s.db.conn(ctx)
	err := g.Raw(`SELECT v.version, u.username, v.reason, v.at, convert_to(v.record::text, 'UTF8') AS record, v.review, v.exceptions
		FROM inspection_versions v JOIN users u ON u.id = v.author_user_id WHERE v.inspection_id = ? ORDER BY v.version`, id).Scan(&rows).Error
	if err != nil {
		return nil, nil, translate(err, "load versions")
	}
	out := make([]inspection.Version, len(rows))
	for i, r := range rows {
		record, err := recordFromJSON(r.Record)
		if err != nil {
			return nil, nil, err
		}
		out[i] = inspection.Version{Version: r.Version, Author: r.Username, Reason: r.Reason, At: r.At.UTC(), Record: record,
			Review: inspection.Review(r.Review), Excepted: r.Exceptions}
	}
	var acts []struct {
		Version  int
		Decision string
		Reasons  []byte
		Username string
		At       time.Time
	}
	err = g.Raw(`SELECT r.version, r.decision, convert_to(r.reasons::text, 'UTF8') AS reasons, u.username, r.at
		FROM inspection_reviews r JOIN users u ON u.id = r.reviewer_user_id WHERE r.inspection_id = ? ORDER BY r.id`, id).Scan(&acts).Error
	if err != nil {
		return nil, nil, translate(err, "load reviews")
	}
	reviews := make([]inspection.ReviewAct, len(acts))
	for i, a := range acts {
		reviews[i] = inspection.ReviewAct{Version: a.Version, Decision: a.Decision, Reviewer: a.Username, At: a.At.UTC()}
		_ = json.Unmarshal(a.Reasons, &reviews[i].Reasons)
	}
	return out, reviews, nil
}

// List returns the current states matching f: newest act first (oldest
// first with f.OldestFirst), ties by id, from after f.After.
func (s *InspectionStore) List(ctx context.Context, f inspection.Filter) ([]inspection.State, error) {
	q := s.db.conn(ctx).Table("inspections").Select("convert_to(state::text, 'UTF8') AS state")
	if f.StreetCode != "" {
		q = q.Where("street_code = ?", f.StreetCode)
	}
	if f.TeamCode != "" {
		q = q.Where("team_code = ?", f.TeamCode)
	}
	if f.Status != "" {
		q = q.Where("status = ?", string(f.Status))
	}
	if f.Review != "" {
		q = q.Where("review = ?", string(f.Review))
	}
	if f.MatterCode != "" {
		q = q.Where("? = ANY (matter_codes)", f.MatterCode)
	}
	if f.OfficerCode != "" {
		q = q.Where("? = ANY (officer_codes)", f.OfficerCode)
	}
	if !f.From.IsZero() {
		q = q.Where("act_at >= ?", f.From)
	}
	if !f.To.IsZero() {
		q = q.Where("act_at < ?", f.To)
	}
	limit := f.Limit
	if limit <= 0 || limit > inspection.MaxPage+1 { // a page and one more: the API learns whether another follows
		limit = inspection.DefaultPage
	}
	order := "act_at DESC, id"
	if f.OldestFirst {
		order = "act_at, id"
	}
	if c := f.After; c != nil {
		if f.OldestFirst {
			q = q.Where("(act_at, id) > (?, ?)", c.ActAt, c.ID)
		} else {
			q = q.Where("(act_at < ? OR (act_at = ? AND id > ?))", c.ActAt, c.ActAt, c.ID)
		}
	}
	var rows []struct{ State []byte }
	if err := q.Order(order).Limit(limit).Scan(&rows).Error; err != nil {
		return nil, translate(err, "list inspections")
	}
	out := make([]inspection.State, len(rows))
	for i, r := range rows {
		st, err := stateFromJSON(r.State)
		if err != nil {
			return nil, err
		}
		out[i] = st
	}
	return out, nil
}

// VerifiedEvidence returns the client ids of st's expected files that a
// stored item satisfies: verified, uploaded by st's street, naming st or no
// record, with the hash and size st declared (evidence.Satisfies).
func (s *InspectionStore) VerifiedEvidence(ctx context.Context, st inspection.State) ([]string, error) {
	if len(st.Record.Evidence) == 0 {
		return []string{}, nil
	}
	return NewEvidenceStore(s.db).Satisfied(ctx, st.EvidenceRef())
}

// UsedFormNumber reports whether another record (or a voiding) used number.
func (s *InspectionStore) UsedFormNumber(ctx context.Context, number, recordID string) (bool, error) {
	var used bool
	err := s.db.conn(ctx).Raw(`SELECT EXISTS (SELECT 1 FROM form_numbers WHERE number = ? AND inspection_id IS DISTINCT FROM ?::uuid)`,
		number, recordID).Scan(&used).Error
	return used, translate(err, "check form number")
}

// inBlock is the SQL condition that the form number @number lies in the
// number block b: its prefix, then a number from first to last.
const inBlock = `left(@number, length(b.prefix)) = b.prefix
	AND substr(@number, length(b.prefix) + 1) ~ '^[0-9]{1,18}$'
	AND substr(@number, length(b.prefix) + 1)::bigint BETWEEN b.first AND b.last`

// FormNumberHolder reports whether number lies in a block issued to device
// (online acts without a device have none), to another device, or to none.
func (s *InspectionStore) FormNumberHolder(ctx context.Context, number, deviceID string) (inspection.BlockHolder, error) {
	var device *uuid.UUID
	if id, err := uuid.Parse(deviceID); err == nil {
		device = &id
	}
	var holders []struct{ Own bool }
	err := s.db.conn(ctx).Raw(`SELECT b.device_id IS NOT DISTINCT FROM @device AS own FROM number_blocks b WHERE `+inBlock,
		sql.Named("number", number), sql.Named("device", device)).Scan(&holders).Error
	if err != nil {
		return inspection.NoBlock, translate(err, "check number block")
	}
	holder := inspection.NoBlock
	for _, h := range holders {
		if h.Own {
			return inspection.OwnBlock, nil
		}
		holder = inspection.ForeignBlock
	}
	return holder, nil
}

// IssueBlock reserves the next count numbers of prefix for device. Blocks of
// one prefix never overlap: the issue is serialized per prefix.
func (s *InspectionStore) IssueBlock(ctx context.Context, deviceID, docType, prefix string, count int, at time.Time) (inspection.NumberBlock, error) {
	b := inspection.NumberBlock{ID: uuid.NewString(), DocType: docType, Prefix: prefix, IssuedAt: at}
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		if err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtext('number_blocks:' || ?))`, prefix).Error; err != nil {
			return err
		}
		var top int64
		if err := tx.Raw(`SELECT COALESCE(max(last), 0) FROM number_blocks WHERE prefix = ?`, prefix).Scan(&top).Error; err != nil {
			return err
		}
		b.First, b.Last = top+1, top+int64(count)
		if err := tx.Exec(`INSERT INTO number_blocks (id, device_id, doc_type, prefix, first, last, issued_at) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			b.ID, deviceID, docType, prefix, b.First, b.Last, at).Error; err != nil {
			return err
		}
		if err := s.db.auditChange(ctx, tx, audit.DistrictChain, "number_block.issue", "number_block", b.ID, nil, b); err != nil {
			return err
		}
		return s.db.publish(ctx, tx, []Publication{{Scope: wsync.DeviceScope(deviceID), EntityType: "number_block", EntityID: b.ID, State: b}})
	})
	return b, translate(err, "issue number block")
}

var _ inspection.BlockLedger = (*InspectionStore)(nil)

// Block returns a block with the user id and street of its device's user
// and what became of its numbers, or derrors.NotFound.
func (s *InspectionStore) Block(ctx context.Context, id string) (inspection.BlockReport, string, string, error) {
	if _, err := uuid.Parse(id); err != nil {
		return inspection.BlockReport{}, "", "", derrors.New(derrors.NotFound, "no number block %s", id)
	}
	g := s.db.conn(ctx)
	var rows []struct {
		ID, DocType, Prefix, UserID, Username string
		First, Last                           int64
		IssuedAt                              time.Time
		Street                                *string
	}
	err := g.Raw(`SELECT b.id::text AS id, b.doc_type, b.prefix, b.first, b.last, b.issued_at, u.id::text AS user_id, u.username,
			(SELECT st.code FROM user_scopes sc JOIN teams t ON t.id = officer_team_at(sc.officer_id, @now)
			   JOIN streets st ON st.id = t.street_id WHERE sc.user_id = u.id) AS street
		FROM number_blocks b JOIN devices d ON d.id = b.device_id JOIN users u ON u.id = d.user_id WHERE b.id = @id`, sql.Named("now", s.db.now()), sql.Named("id", id)).Scan(&rows).Error
	if err != nil {
		return inspection.BlockReport{}, "", "", translate(err, "load number block")
	}
	if len(rows) == 0 {
		return inspection.BlockReport{}, "", "", derrors.New(derrors.NotFound, "no number block %s", id)
	}
	r := rows[0]
	rep := inspection.BlockReport{Block: inspection.NumberBlock{ID: r.ID, DocType: r.DocType, Prefix: r.Prefix, First: r.First, Last: r.Last,
		IssuedAt: r.IssuedAt.UTC()}, Owner: r.Username, Used: []inspection.UsedNumber{}, Voided: []inspection.VoidedNumber{}, Unused: []int64{}}
	var nums []struct {
		Suffix       int64
		InspectionID *string
		Reason       *string
	}
	err = g.Raw(`SELECT substr(number, length(?) + 1)::bigint AS suffix, inspection_id::text AS inspection_id, voided_reason AS reason
		FROM form_numbers WHERE left(number, length(?)) = ? AND substr(number, length(?) + 1) ~ '^[0-9]{1,18}$'
		  AND substr(number, length(?) + 1)::bigint BETWEEN ? AND ? ORDER BY 1`,
		r.Prefix, r.Prefix, r.Prefix, r.Prefix, r.Prefix, r.First, r.Last).Scan(&nums).Error
	if err != nil {
		return inspection.BlockReport{}, "", "", translate(err, "load numbers")
	}
	taken := map[int64]bool{}
	for _, n := range nums {
		taken[n.Suffix] = true
		if n.InspectionID != nil {
			rep.Used = append(rep.Used, inspection.UsedNumber{Number: n.Suffix, InspectionID: *n.InspectionID})
		} else if n.Reason != nil {
			rep.Voided = append(rep.Voided, inspection.VoidedNumber{Number: n.Suffix, Reason: *n.Reason})
		}
	}
	for n := r.First; n <= r.Last; n++ {
		if !taken[n] {
			rep.Unused = append(rep.Unused, n)
		}
	}
	street := ""
	if r.Street != nil {
		street = *r.Street
	}
	return rep, r.UserID, street, nil
}

// Void marks unused numbers of block voided, with reason, in one transaction.
func (s *InspectionStore) Void(ctx context.Context, block inspection.NumberBlock, numbers []int64, reason string) error {
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		for _, n := range numbers {
			number := fmt.Sprintf("%s%d", block.Prefix, n)
			res := tx.Exec(`INSERT INTO form_numbers (number, voided_reason, used_at) VALUES (?, ?, ?) ON CONFLICT (number) DO NOTHING`, number, reason, s.db.now())
			if res.Error != nil {
				return res.Error
			}
			if res.RowsAffected == 0 {
				return derrors.New(derrors.Conflict, "number %s is already used or voided", number)
			}
		}
		return s.db.auditChange(ctx, tx, audit.DistrictChain, "number_block.void", "number_block", block.ID, nil,
			map[string]any{"numbers": numbers, "reason": reason})
	})
	return translate(err, "void numbers")
}

// UpdateEvidence stores st's verified files and status, if the record is
// still at version. A record that moved on was judged with its evidence.
func (s *InspectionStore) UpdateEvidence(ctx context.Context, st inspection.State, version int, feed map[string]inspection.State) error {
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		before, err := s.lock(tx, st.Record.ID)
		if err != nil {
			return err
		}
		if before.Version != version {
			return nil
		}
		state, err := stateJSON(st)
		if err != nil {
			return err
		}
		if err := tx.Exec(`UPDATE inspections SET status = ?, review = ?, state = ?::jsonb, updated_at = ? WHERE id = ?`,
			string(st.Status), string(st.Review), state, s.db.now(), st.Record.ID).Error; err != nil {
			return err
		}
		if err := s.db.auditChange(ctx, tx, st.StreetCode, "inspection.evidence", "inspection", st.Record.ID, before, st); err != nil {
			return err
		}
		return s.db.publish(ctx, tx, feedPublications(st.Record.ID, feed))
	})
	return translate(err, "update inspection evidence")
}

// Expecting returns the stored records that expect the evidence client id
// clientID, and the record recordID if it is stored ("" or a malformed id
// names none), for the evidence side to link a file it verifies.
func (s *InspectionStore) Expecting(ctx context.Context, clientID, recordID string) ([]inspection.State, error) {
	cid, err := uuid.Parse(clientID)
	if err != nil {
		return nil, nil
	}
	rid, err := uuid.Parse(recordID)
	if err != nil {
		rid = uuid.Nil
	}
	var rows []struct{ State []byte }
	err = s.db.conn(ctx).Raw(`SELECT convert_to(state::text, 'UTF8') AS state FROM inspections
		WHERE id = ? OR id IN (SELECT inspection_id FROM inspection_evidence WHERE client_id = ?) ORDER BY received_at, id`, rid, cid).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "find inspections expecting evidence")
	}
	out := make([]inspection.State, 0, len(rows))
	for _, r := range rows {
		st, err := stateFromJSON(r.State)
		if err != nil {
			return nil, err
		}
		out = append(out, st)
	}
	return out, nil
}
