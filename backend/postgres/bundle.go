package postgres

import (
	"context"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
)

// BundleStore reads what the export bundle of a case holds beyond what the
// case, inspection and deadline stores answer: the trail entries of the case
// and the chain segment they lie in, and the evidence of its records.
type BundleStore struct{ db *DB }

// NewBundleStore returns a BundleStore over db.
func NewBundleStore(db *DB) *BundleStore { return &BundleStore{db: db} }

// EntityRef names an object of the trail: an entry's EntityType and EntityID.
type EntityRef struct {
	Type string
	ID   string
}

// CaseEntries returns the entries of chain about any of the objects named,
// up to seq upTo, in chain order.
func (s *BundleStore) CaseEntries(ctx context.Context, chain string, objects []EntityRef, upTo int64) ([]audit.Entry, error) {
	types, ids := make([]string, len(objects)), make([]string, len(objects))
	for i, o := range objects {
		types[i], ids[i] = o.Type, o.ID
	}
	var rows []auditRow
	err := s.db.conn(ctx).Raw(`SELECT * FROM audit_entries WHERE chain = ? AND seq <= ?
		AND (entity_type, entity_id) IN (SELECT * FROM unnest(?::text[], ?::text[])) ORDER BY seq`,
		chain, upTo, pgArray[string](types), pgArray[string](ids)).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "read the trail of a case")
	}
	out := make([]audit.Entry, len(rows))
	for i, r := range rows {
		out[i] = entryFromAuditRow(r)
	}
	return out, nil
}

// ChainSegment calls each with every entry of chain from seq from to seq to,
// in order, reading pages of 1000 entries. Entries are never changed, so the
// pages need no common snapshot and no transaction stays open while each
// writes out. It returns each's error as is.
func (s *BundleStore) ChainSegment(ctx context.Context, chain string, from, to int64, each func(audit.Entry) error) error {
	for from <= to {
		var rows []auditRow
		if err := s.db.conn(ctx).Raw(`SELECT * FROM audit_entries WHERE chain = ? AND seq >= ? AND seq <= ? ORDER BY seq LIMIT ?`,
			chain, from, to, auditPage).Scan(&rows).Error; err != nil {
			return translate(err, "read a trail segment")
		}
		if len(rows) == 0 {
			return derrors.New(derrors.Internal, "audit chain %q has no entry at seq %d", chain, from)
		}
		for _, r := range rows {
			if err := each(entryFromAuditRow(r)); err != nil {
				return err
			}
		}
		from = rows[len(rows)-1].Seq + 1
	}
	return nil
}

// RecordEvidence returns the items linked to the inspection record with
// client UUID recordID (any status, oldest first). Items that only name the
// record, without being linked to it (another street's upload, other bytes
// under an expected client id), are not its evidence. It returns
// derrors.Invalid for an id that is not a UUID.
func (s *BundleStore) RecordEvidence(ctx context.Context, recordID string) ([]evidence.Evidence, error) {
	rid, err := uuid.Parse(recordID)
	if err != nil {
		return nil, derrors.Invalidf("record_id", "record id %q is not a UUID", recordID)
	}
	return (&EvidenceStore{db: s.db}).list(ctx, `SELECT * FROM evidence WHERE linked_record_id = ? ORDER BY created_at, id`, rid)
}
