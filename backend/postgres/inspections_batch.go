package postgres

import (
	"context"
	"slices"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org"
)

// The set-wise side of the inspection store (issue 13): what a sync push
// of many records reads once and writes with one statement per table.

var _ inspection.BatchStore = (*InspectionStore)(nil)

// ReadBatch reads the scope of userID at at and, for the batch's acts, the
// officers they name (and the user's officer), every version of the
// matters they name, every policy version, the teams' streets and the
// stored records among their ids: eight queries or so, whatever the number
// of acts.
func (s *InspectionStore) ReadBatch(ctx context.Context, userID string, at time.Time, need inspection.BatchNeed) (inspection.BatchRead, error) {
	o := NewOrgStore(s.db)
	sc, err := o.Scope(ctx, userID, at)
	if err != nil {
		return inspection.BatchRead{}, err
	}
	codes := compact(append(slices.Clone(need.OfficerCodes), sc.OfficerCode))
	members, err := o.Officers(ctx, codes)
	if err != nil {
		return inspection.BatchRead{}, err
	}
	teams, err := o.TeamStreets(ctx)
	if err != nil {
		return inspection.BatchRead{}, err
	}
	matterCodes := compact(need.MatterCodes)
	var mrows []matterRow
	if err := s.db.conn(ctx).Raw(matterSelect+` WHERE m.code IN ? ORDER BY m.code, m.version`, nonEmpty(matterCodes)).Scan(&mrows).Error; err != nil {
		return inspection.BatchRead{}, translate(err, "load matters")
	}
	matters := make([]org.MatterInForce, len(mrows))
	for i, r := range mrows {
		matters[i] = matterFromRow(r)
	}
	policies, err := s.policyVersions(ctx)
	if err != nil {
		return inspection.BatchRead{}, err
	}
	stored, err := s.states(ctx, need.RecordIDs)
	if err != nil {
		return inspection.BatchRead{}, err
	}
	return inspection.BatchRead{Scope: sc, Facts: org.NewFactSet(codes, members, matterCodes, matters, policies, teams), Stored: stored}, nil
}

// compact is the distinct non-empty words of words, sorted.
func compact(words []string) []string {
	out := slices.DeleteFunc(slices.Clone(words), func(w string) bool { return w == "" })
	slices.Sort(out)
	return slices.Compact(out)
}

// policyVersions returns every version of every department's procedure
// policy (PoliciesAt picks among them).
func (s *InspectionStore) policyVersions(ctx context.Context) ([]org.Policy, error) {
	var rows []struct {
		DepartmentCode                   string
		ValidFrom                        time.Time
		SingleOfficerSimpleProcedure     bool
		SecondInspectorFromOtherResident bool
		SecondInspectorLegalBasis        string
		MixedCrewSeizureReview           bool
	}
	err := s.db.conn(ctx).Raw(`SELECT d.code AS department_code, p.valid_from, p.single_officer_simple_procedure,
			p.second_inspector_from_other_resident, p.second_inspector_legal_basis, p.mixed_crew_seizure_review
		FROM procedure_policies p JOIN departments d ON d.id = p.department_id ORDER BY d.code, p.valid_from`).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "load policies")
	}
	out := make([]org.Policy, len(rows))
	for i, r := range rows {
		out[i] = org.Policy{DepartmentCode: r.DepartmentCode, ValidFrom: r.ValidFrom.UTC(), Policy: authority.Policy{
			Department: r.DepartmentCode, SingleOfficerSimpleProcedure: r.SingleOfficerSimpleProcedure,
			SecondInspectorFromOtherResident: r.SecondInspectorFromOtherResident,
			SecondInspectorLegalBasis:        r.SecondInspectorLegalBasis, MixedCrewSeizureReview: r.MixedCrewSeizureReview,
		}}
	}
	return out, nil
}

// states returns the stored records among ids, by id.
func (s *InspectionStore) states(ctx context.Context, ids []string) (map[string]inspection.State, error) {
	var valid []uuid.UUID
	for _, id := range ids {
		if u, err := uuid.Parse(id); err == nil {
			valid = append(valid, u)
		}
	}
	out := map[string]inspection.State{}
	if len(valid) == 0 {
		return out, nil
	}
	var rows []struct{ State []byte }
	if err := s.db.conn(ctx).Raw(`SELECT convert_to(state::text, 'UTF8') AS state FROM inspections WHERE id IN ?`, valid).Scan(&rows).Error; err != nil {
		return nil, translate(err, "load inspections")
	}
	for _, r := range rows {
		st, err := stateFromJSON(r.State)
		if err != nil {
			return nil, err
		}
		out[st.Record.ID] = st
	}
	return out, nil
}

// WriteBatch stores the records created by a batch, as Create stores each
// (without evidence: a record that expects files is created on its own),
// with one statement per table: the records, their versions, the form
// numbers of the devices' own blocks, the trail entries (one lock per
// street's chain) and the feed changes (one lock per scope), in the
// transaction of ctx. A taken id fails it whole (derrors.Conflict).
func (s *InspectionStore) WriteBatch(ctx context.Context, created []inspection.Created) error {
	if len(created) == 0 {
		return nil
	}
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		now := s.db.now()
		var recs, versions, numbers []any
		var entries []audit.Entry
		var pubs []OriginPublication
		for _, c := range created {
			st := c.State
			if len(st.Record.Evidence) > 0 {
				return derrors.New(derrors.Internal, "inspection %s expects evidence: it is created on its own", st.Record.ID)
			}
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
			recs = append(recs, st.Record.ID, st.Record.TeamCode, st.StreetCode, st.Version, st.ActAt, st.ReceivedAt, st.RecordedBy, device,
				string(st.Assessment.Tier), string(st.Status), string(st.Review), textArray(st.Record.MatterCodes),
				textArray(officerCodes(st.Record)), state, now)
			author, err := uuid.Parse(c.Author)
			if err != nil {
				return derrors.Wrap(err, derrors.Internal, "author is not a user id")
			}
			versions = append(versions, st.Record.ID, st.Version, author, c.Reason, now, record, string(st.Review), len(st.Assessment.Exceptions))
			for _, m := range st.Record.Measures {
				if m.Kind == authority.MeasureFineSimple && m.Fine != nil && st.DeviceID != "" {
					numbers = append(numbers, m.Fine.FormNumber, st.Record.ID, st.ActAt, st.DeviceID)
				}
			}
			ad, err := audit.Digest(st)
			if err != nil {
				return err
			}
			entries = append(entries, audit.Entry{Chain: st.StreetCode, Action: "inspection.record", EntityType: "inspection",
				EntityID: st.Record.ID, AfterDigest: ad})
			for _, p := range feedPublications(st.Record.ID, c.Feed) {
				pubs = append(pubs, OriginPublication{Publication: p, Origin: c.Origin})
			}
		}
		if err := tx.Exec(`INSERT INTO inspections (id, team_code, street_code, version, act_at, received_at, recorded_by, device_id,
				tier, status, review, matter_codes, officer_codes, state, updated_at)
			VALUES `+rowsOf(len(created), "?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?"), recs...).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO inspection_versions (inspection_id, version, author_user_id, reason, at, record, review, exceptions)
			VALUES `+rowsOf(len(created), "?, ?, ?, ?, ?, ?::jsonb, ?, ?"), versions...).Error; err != nil {
			return err
		}
		if n := len(numbers) / 4; n > 0 {
			// As write: only a number of the recording device's own blocks
			// enters the ledger, the first use keeping it.
			if err := tx.Exec(`INSERT INTO form_numbers (number, inspection_id, used_at)
				SELECT v.number, v.id, v.at FROM (VALUES `+rowsOf(n, "?::text, ?::uuid, ?::timestamptz, ?::uuid")+`) AS v(number, id, at, device)
				WHERE EXISTS (SELECT 1 FROM number_blocks b WHERE b.device_id = v.device
					AND left(v.number, length(b.prefix)) = b.prefix
					AND substr(v.number, length(b.prefix) + 1) ~ '^[0-9]{1,18}$'
					AND substr(v.number, length(b.prefix) + 1)::bigint BETWEEN b.first AND b.last)
				ON CONFLICT (number) DO NOTHING`, numbers...).Error; err != nil {
				return err
			}
		}
		if err := s.db.appendAudits(ctx, tx, entries); err != nil {
			return err
		}
		return s.db.publishAll(ctx, tx, pubs)
	})
	return translate(err, "record inspections")
}
