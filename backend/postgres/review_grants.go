package postgres

import (
	"context"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/backend/grant"
)

var _ grant.Store = (*GrantStore)(nil)

// GrantStore stores department review grants and their history. A grant is opened by the case
// store in the case's transaction (casework.Change.Grant); every change writes its event and its
// trail entry (on the case's street's chain) in one transaction.
type GrantStore struct{ db *DB }

// NewGrantStore returns a GrantStore over db.
func NewGrantStore(db *DB) *GrantStore { return &GrantStore{db: db} }

type grantRow struct {
	ID             uuid.UUID  `gorm:"column:id"`
	CaseID         uuid.UUID  `gorm:"column:case_id"`
	DepartmentCode string     `gorm:"column:department_code"`
	GrantedAt      time.Time  `gorm:"column:granted_at"`
	ExpiresAt      time.Time  `gorm:"column:expires_at"`
	RevokedAt      *time.Time `gorm:"column:revoked_at"`
	RevokedBy      *uuid.UUID `gorm:"column:revoked_by"`
	RevokeReason   *string    `gorm:"column:revoke_reason"`
	Download       bool       `gorm:"column:download_allowed"`
	Unmasked       bool       `gorm:"column:unmasked"`
	LegalBasis     *string    `gorm:"column:legal_basis"`
	Version        int        `gorm:"column:version"`
	CreatedBy      uuid.UUID  `gorm:"column:created_by"`
}

func grantFromRow(r grantRow) grant.Grant {
	g := grant.Grant{ID: r.ID.String(), CaseID: r.CaseID.String(), DepartmentCode: r.DepartmentCode,
		GrantedAt: r.GrantedAt.UTC(), ExpiresAt: r.ExpiresAt.UTC(), RevokedAt: utcPtr(r.RevokedAt), RevokedBy: uuidString(r.RevokedBy),
		DownloadAllowed: r.Download, Unmasked: r.Unmasked, Version: r.Version, CreatedBy: r.CreatedBy.String()}
	if r.RevokeReason != nil {
		g.RevokeReason = *r.RevokeReason
	}
	if r.LegalBasis != nil {
		g.LegalBasis = *r.LegalBasis
	}
	return g
}

// grantAudit is what the trail entry of a grant's change vouches for: the grant after it (the
// legal basis of an unmasked grant included) and the event (who, when, why).
type grantAudit struct {
	Grant grant.Grant `json:"grant"`
	Event grant.Event `json:"event"`
}

// openGrant stores the grant a case change opens, in the change's transaction tx, with its
// event and trail entry on chain.
func (db *DB) openGrant(ctx context.Context, tx *gorm.DB, chain string, g grant.Grant) error {
	if err := tx.Exec(`INSERT INTO review_grants (id, case_id, department_code, granted_at, expires_at, download_allowed,
			unmasked, legal_basis, version, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, NULLIF(?, ''), ?, ?)`,
		g.ID, g.CaseID, g.DepartmentCode, g.GrantedAt, g.ExpiresAt, g.DownloadAllowed, g.Unmasked, g.LegalBasis, g.Version,
		g.CreatedBy).Error; err != nil {
		return err
	}
	ev := grant.Event{Kind: grant.EventOpened, At: g.GrantedAt, Actor: g.CreatedBy}
	return db.grantEvent(ctx, tx, chain, g, nil, ev)
}

// grantEvent appends the event of g's version and its trail entry (before: the grant before the
// change, nil when opened).
func (db *DB) grantEvent(ctx context.Context, tx *gorm.DB, chain string, g grant.Grant, before *grant.Grant, ev grant.Event) error {
	if err := tx.Exec(`INSERT INTO review_grant_events (grant_id, version, kind, at, actor_user_id, reason)
		VALUES (?, ?, ?, ?, ?, NULLIF(?, ''))`, g.ID, g.Version, string(ev.Kind), ev.At, ev.Actor, ev.Reason).Error; err != nil {
		return err
	}
	var b any
	if before != nil {
		b = before
	}
	return db.auditChange(ctx, tx, chain, "review.grant."+string(ev.Kind), "review_grant", g.ID, b, grantAudit{Grant: g, Event: ev})
}

func (s *GrantStore) list(ctx context.Context, q string, args ...any) ([]grant.Grant, error) {
	var rows []grantRow
	if err := s.db.conn(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, translate(err, "read review grants")
	}
	out := make([]grant.Grant, len(rows))
	for i, r := range rows {
		out[i] = grantFromRow(r)
	}
	return out, nil
}

// Get returns a grant, or derrors.NotFound.
func (s *GrantStore) Get(ctx context.Context, id string) (grant.Grant, error) {
	if _, err := uuid.Parse(id); err != nil {
		return grant.Grant{}, derrors.New(derrors.NotFound, "no grant %s", id)
	}
	gs, err := s.list(ctx, `SELECT * FROM review_grants WHERE id = ?`, id)
	if err != nil {
		return grant.Grant{}, err
	}
	if len(gs) == 0 {
		return grant.Grant{}, derrors.New(derrors.NotFound, "no grant %s", id)
	}
	return gs[0], nil
}

// OfCase returns the grants of a case, oldest first.
func (s *GrantStore) OfCase(ctx context.Context, caseID string) ([]grant.Grant, error) {
	if _, err := uuid.Parse(caseID); err != nil {
		return nil, nil
	}
	return s.list(ctx, `SELECT * FROM review_grants WHERE case_id = ? ORDER BY granted_at, id`, caseID)
}

// OfCases returns department's grants on the cases given.
func (s *GrantStore) OfCases(ctx context.Context, department string, caseIDs []string) ([]grant.Grant, error) {
	ids := make([]uuid.UUID, 0, len(caseIDs))
	for _, id := range caseIDs {
		if u, err := uuid.Parse(id); err == nil {
			ids = append(ids, u)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	return s.list(ctx, `SELECT * FROM review_grants WHERE department_code = ? AND case_id = ANY(?::uuid[])`, department, uuidArray(ids))
}

// OfRecord returns department's grants on the cases one of whose sources is the inspection
// record recordID.
func (s *GrantStore) OfRecord(ctx context.Context, department, recordID string) ([]grant.Grant, error) {
	if _, err := uuid.Parse(recordID); err != nil {
		return nil, nil
	}
	return s.list(ctx, `SELECT g.* FROM review_grants g JOIN case_sources cs ON cs.case_id = g.case_id
		WHERE cs.inspection_id = ? AND g.department_code = ?`, recordID, department)
}

// CaseStreet returns the street of a case, or derrors.NotFound.
func (s *GrantStore) CaseStreet(ctx context.Context, caseID string) (string, error) {
	if _, err := uuid.Parse(caseID); err != nil {
		return "", derrors.New(derrors.NotFound, "no case %s", caseID)
	}
	var streets []string
	if err := s.db.conn(ctx).Raw(`SELECT street_code FROM cases WHERE id = ?`, caseID).Scan(&streets).Error; err != nil {
		return "", translate(err, "read case street")
	}
	if len(streets) == 0 {
		return "", derrors.New(derrors.NotFound, "no case %s", caseID)
	}
	return streets[0], nil
}

// Update stores g's next version if the grant is still at version base, else
// derrors.Conflict, with its event and trail entry (on the case's street's chain).
func (s *GrantStore) Update(ctx context.Context, g grant.Grant, base int, ev grant.Event) error {
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		var rows []grantRow
		if err := tx.Raw(`SELECT * FROM review_grants WHERE id = ? FOR UPDATE`, g.ID).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return derrors.New(derrors.NotFound, "no grant %s", g.ID)
		}
		before := grantFromRow(rows[0])
		if before.Version != base {
			return derrors.New(derrors.Conflict, "the grant moved to version %d meanwhile", before.Version)
		}
		var street string
		if err := tx.Raw(`SELECT street_code FROM cases WHERE id = ?`, g.CaseID).Row().Scan(&street); err != nil {
			return err
		}
		var revokedBy *uuid.UUID
		if g.RevokedBy != "" {
			u, err := uuid.Parse(g.RevokedBy)
			if err != nil {
				return derrors.Invalidf("/revoked_by", "not a user id")
			}
			revokedBy = &u
		}
		if err := tx.Exec(`UPDATE review_grants SET expires_at = ?, revoked_at = ?, revoked_by = ?, revoke_reason = NULLIF(?, ''),
				download_allowed = ?, unmasked = ?, legal_basis = NULLIF(?, ''), version = ? WHERE id = ?`,
			g.ExpiresAt, g.RevokedAt, revokedBy, g.RevokeReason, g.DownloadAllowed, g.Unmasked, g.LegalBasis, g.Version, g.ID).Error; err != nil {
			return err
		}
		return s.db.grantEvent(ctx, tx, street, g, &before, ev)
	})
	return translate(err, "update review grant")
}

// CaseEvidence lists the evidence items linked to the inspection records that are sources of
// case caseID, in the order (created_at, id), a page of at most limit from after (afterAt,
// afterID); afterID "" starts at the first.
func (s *GrantStore) CaseEvidence(ctx context.Context, caseID string, afterAt time.Time, afterID string, limit int) ([]evidence.Evidence, error) {
	if _, err := uuid.Parse(caseID); err != nil {
		return nil, derrors.New(derrors.NotFound, "no case %s", caseID)
	}
	q := `SELECT * FROM evidence WHERE linked_record_id IN (SELECT inspection_id FROM case_sources
		WHERE case_id = ? AND inspection_id IS NOT NULL)`
	args := []any{caseID}
	if afterID != "" {
		q += ` AND (created_at, id) > (?, ?)`
		args = append(args, afterAt, afterID)
	}
	return (&EvidenceStore{db: s.db}).list(ctx, q+` ORDER BY created_at, id LIMIT ?`, append(args, limit)...)
}
