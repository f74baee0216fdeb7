package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
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
	var rows []policyRow
	if err := s.db.conn(ctx).Raw(`SELECT` + policyColumns + ` ORDER BY d.code, p.valid_from`).Scan(&rows).Error; err != nil {
		return nil, translate(err, "load policies")
	}
	out := make([]org.Policy, len(rows))
	for i, r := range rows {
		out[i] = r.policy()
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

// WriteBatch stores the records created by a batch, as Create stores each,
// with one statement per table: the records, their versions, the files
// they expect, the form numbers of the devices' own blocks, the trail
// entries (one lock per street's chain) and the feed changes (one lock per
// scope), in a savepoint of the transaction of ctx, or in its own. A
// record that expects files is brought up to date with them under the
// evidence locks first, and the files that arrived before it are linked
// with the trail entries, in the order of the acts, with a query or two per
// such record. A taken id fails it whole (derrors.Conflict), leaving the
// transaction of ctx usable.
func (s *InspectionStore) WriteBatch(ctx context.Context, created []inspection.Created) error {
	if len(created) == 0 {
		return nil
	}
	// In a savepoint when ctx carries a transaction: a write that fails
	// leaves it usable, for the caller to create one at a time.
	err := s.db.InTx(ctx, func(ctx context.Context) error {
		tx := s.db.conn(ctx)
		now := s.db.now()
		k := len(created)
		var (
			ids, teams, streets, recorders = make([]string, k), make([]string, k), make([]string, k), make([]string, k)
			tiers, statuses, reviews       = make([]string, k), make([]string, k), make([]string, k)
			matters, officers, states      = make([]string, k), make([]string, k), make([]string, k)
			records, authors, reasons      = make([]string, k), make([]string, k), make([]string, k)
			devices                        = make([]*string, k)
			versions, exceptions           = make([]int64, k), make([]int64, k)
			acts, received                 = make([]time.Time, k), make([]time.Time, k)
			numbers, numbered, numberDevs  []string
			numberAts                      []time.Time
		)
		// Each record's trail entries: its own, then those of the deadlines
		// its seizures open, as Create appends them.
		entries := make([][]audit.Entry, k)
		var pubs []OriginPublication
		// As Create, under the locks that verifying evidence takes (all of
		// them first, in one sorted statement); the records expecting
		// files with those verified as of now.
		var locks, expectedIDs, expectedBy []string
		for _, c := range created {
			locks = append(locks, "record:"+c.State.Record.ID)
			for _, e := range c.State.Record.Evidence {
				locks = append(locks, "evidence:"+e.ClientID)
				expectedIDs, expectedBy = append(expectedIDs, e.ClientID), append(expectedBy, c.State.Record.ID)
			}
		}
		if len(locks) > 0 {
			slices.Sort(locks)
			if err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(?::text[]) WITH ORDINALITY AS u(k, n) ORDER BY n`,
				pgArray[string](slices.Compact(locks))).Error; err != nil {
				return err
			}
		}
		created = slices.Clone(created)
		for i, c := range created {
			if len(c.State.Record.Evidence) == 0 {
				continue
			}
			var err error
			if created[i].State, created[i].Feed, err = s.refreshEvidence(ctx, c.State, c.Feed); err != nil {
				return err
			}
		}
		// The encodings, on every CPU: most of the work of a big batch.
		// The state's wire form is encoded once, for the trail's digest,
		// the feed scopes that see it whole and the act's answer.
		digests := make([]string, k)
		feeds := make([]map[string]json.RawMessage, k)
		if err := onEveryCPU(k, func(i int) error {
			c := created[i]
			var err1, err2, err3 error
			states[i], err1 = stateJSON(c.State)
			records[i], err2 = recordJSON(c.State.Record)
			var wire json.RawMessage
			if wire, err3 = json.Marshal(c.State); err3 != nil {
				return derrors.Wrap(err3, derrors.Internal, "encode inspection state")
			}
			digests[i] = audit.DigestJSON(wire)
			feeds[i] = make(map[string]json.RawMessage, len(c.Feed))
			for scope, f := range c.Feed {
				if feeds[i][scope], err3 = encodedAs(f, c.State, wire); err3 != nil {
					return err3
				}
			}
			if c.Answer != nil {
				c.Answer.JSON, err3 = encodedAs(c.Answered, c.State, wire)
			}
			return errors.Join(err1, err2, err3)
		}); err != nil {
			return err
		}
		// The seizures' statutory deadlines, with one statement for all.
		sts := make([]inspection.State, k)
		for i, c := range created {
			sts[i] = c.State
		}
		opened, err := s.db.openSeizures(ctx, tx, sts)
		if err != nil {
			return err
		}
		for i, c := range created {
			st := c.State
			if st.DeviceID != "" {
				devices[i] = &created[i].State.DeviceID
			}
			if _, err := uuid.Parse(c.Author); err != nil {
				return derrors.Wrap(err, derrors.Internal, "author is not a user id")
			}
			ids[i], teams[i], streets[i], versions[i], acts[i], received[i] = st.Record.ID, st.Record.TeamCode, st.StreetCode, int64(st.Version), st.ActAt, st.ReceivedAt
			recorders[i], tiers[i], statuses[i], reviews[i] = st.RecordedBy, string(st.Assessment.Tier), string(st.Status), string(st.Review)
			matters[i], officers[i] = textArray(st.Record.MatterCodes), textArray(officerCodes(st.Record))
			authors[i], reasons[i], exceptions[i] = c.Author, c.Reason, int64(len(st.Assessment.Exceptions))
			for _, m := range st.Record.Measures {
				if m.Kind == authority.MeasureFineSimple && m.Fine != nil && st.DeviceID != "" {
					numbers, numbered = append(numbers, m.Fine.FormNumber), append(numbered, st.Record.ID)
					numberAts, numberDevs = append(numberAts, st.ActAt), append(numberDevs, st.DeviceID)
				}
			}
			entries[i] = append([]audit.Entry{{Chain: st.StreetCode, Action: "inspection.record", EntityType: "inspection",
				EntityID: st.Record.ID, AfterDigest: digests[i]}}, opened[st.Record.ID].entries...)
			for _, p := range append(feedPublications(st.Record.ID, feeds[i]), opened[st.Record.ID].pubs...) {
				pubs = append(pubs, OriginPublication{Publication: p, Origin: c.Origin})
			}
		}
		if err := tx.Exec(`INSERT INTO inspections (id, team_code, street_code, version, act_at, received_at, recorded_by, device_id,
				tier, status, review, matter_codes, officer_codes, state, updated_at)
			SELECT id::uuid, team, street, version, act, received, recorder, device::uuid, tier, status, review,
				matters::text[], officers::text[], state::jsonb, ?::timestamptz
			FROM unnest(?::text[], ?::text[], ?::text[], ?::int[], ?::timestamptz[], ?::timestamptz[], ?::text[], ?::text[],
				?::text[], ?::text[], ?::text[], ?::text[], ?::text[], ?::text[])
				AS u(id, team, street, version, act, received, recorder, device, tier, status, review, matters, officers, state)`,
			now, pgArray[string](ids), pgArray[string](teams), pgArray[string](streets), pgArray[int64](versions), pgArray[time.Time](acts),
			pgArray[time.Time](received), pgArray[string](recorders), pgArray[*string](devices), pgArray[string](tiers),
			pgArray[string](statuses), pgArray[string](reviews), pgArray[string](matters), pgArray[string](officers),
			pgArray[string](states)).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO inspection_versions (inspection_id, version, author_user_id, reason, at, record, review, exceptions)
			SELECT id::uuid, version, author::uuid, reason, ?::timestamptz, record::jsonb, review, exceptions
			FROM unnest(?::text[], ?::int[], ?::text[], ?::text[], ?::text[], ?::text[], ?::int[])
				AS u(id, version, author, reason, record, review, exceptions)`,
			now, pgArray[string](ids), pgArray[int64](versions), pgArray[string](authors), pgArray[string](reasons),
			pgArray[string](records), pgArray[string](reviews), pgArray[int64](exceptions)).Error; err != nil {
			return err
		}
		if len(expectedIDs) > 0 {
			if err := tx.Exec(`INSERT INTO inspection_evidence (client_id, inspection_id)
				SELECT client_id::uuid, inspection_id::uuid FROM unnest(?::text[], ?::text[]) AS u(client_id, inspection_id)
				ON CONFLICT DO NOTHING`, pgArray[string](expectedIDs), pgArray[string](expectedBy)).Error; err != nil {
				return err
			}
		}
		if len(numbers) > 0 {
			// As write: only a number of the recording device's own blocks
			// enters the ledger, the first use (in the order of the acts)
			// keeping it.
			if err := tx.Exec(`INSERT INTO form_numbers (number, inspection_id, used_at)
				SELECT v.number, v.id::uuid, v.at FROM unnest(?::text[], ?::text[], ?::timestamptz[], ?::text[]) WITH ORDINALITY AS v(number, id, at, device, n)
				WHERE EXISTS (SELECT 1 FROM number_blocks b WHERE b.device_id = v.device::uuid
					AND left(v.number, length(b.prefix)) = b.prefix
					AND substr(v.number, length(b.prefix) + 1) ~ '^[0-9]{1,18}$'
					AND substr(v.number, length(b.prefix) + 1)::bigint BETWEEN b.first AND b.last)
				ORDER BY v.n
				ON CONFLICT (number) DO NOTHING`,
				pgArray[string](numbers), pgArray[string](numbered), pgArray[time.Time](numberAts), pgArray[string](numberDevs)).Error; err != nil {
				return err
			}
		}
		// The trail entries, and the evidence that arrived before its
		// record linked now (custody entries in the record's chain): in
		// the order of the acts, so that the chains read as act by act.
		linking, err := s.arrived(tx, created)
		if err != nil {
			return err
		}
		from := 0
		for i, c := range created {
			if !linking[i] && i < len(created)-1 {
				continue
			}
			if err := s.db.appendAudits(ctx, tx, slices.Concat(entries[from:i+1]...)); err != nil {
				return err
			}
			from = i + 1
			if linking[i] {
				if _, err := NewEvidenceStore(s.db).LinkRecord(ctx, c.State.EvidenceRef()); err != nil {
					return err
				}
			}
		}
		return s.db.publishAll(ctx, tx, pubs)
	})
	return translate(err, "record inspections")
}

// arrived reports, for each record created, whether evidence that
// arrived before it links to it (evidence.LinksTo), as Create would find
// with EvidenceStore.LinkRecord: one query for all of them.
func (s *InspectionStore) arrived(tx *gorm.DB, created []inspection.Created) ([]bool, error) {
	var streets, records, clients []string
	for _, c := range created {
		streets, records = append(streets, c.State.StreetCode), append(records, c.State.Record.ID)
		for _, e := range c.State.Record.Evidence {
			if _, err := uuid.Parse(e.ClientID); err == nil {
				clients = append(clients, e.ClientID)
			}
		}
	}
	var rows []evidenceRow
	err := tx.Raw(`SELECT * FROM evidence WHERE status IN ('verified', 'quarantined') AND linked_at IS NULL
			AND street_code = ANY(?::text[]) AND (record_client_id = ANY(?::uuid[]) OR client_id = ANY(?::uuid[]))`,
		pgArray[string](compact(streets)), pgArray[string](records), pgArray[string](clients)).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "read evidence of records")
	}
	out := make([]bool, len(created))
	for i, c := range created {
		ref := c.State.EvidenceRef()
		for _, r := range rows {
			if evidenceFromRow(r).LinksTo(ref) {
				out[i] = true
				break
			}
		}
	}
	return out, nil
}

// encodedAs is the JSON encoding of v, which is wire when v is st (wire
// being st's encoding): a feed scope that sees the record whole and the
// act's answer reuse the bytes of the state instead of encoding it again.
// reflect.DeepEqual is cheap on a copy of st (its slices and pointers are
// the same), and equal values encode alike; a masked copy (a team's feed)
// differs in Masked, checked first.
func encodedAs(v, st inspection.State, wire json.RawMessage) (json.RawMessage, error) {
	if v.Masked == st.Masked && reflect.DeepEqual(v, st) {
		return wire, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, derrors.Wrap(err, derrors.Internal, "encode inspection state")
	}
	return b, nil
}
