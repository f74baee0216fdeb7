package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
	wsync "github.com/whistle/whistle/sync"
)

// OrgStore stores the organization: districts to certificates, matters and policies.
type OrgStore struct{ db *DB }

// NewOrgStore returns an OrgStore over db.
func NewOrgStore(db *DB) *OrgStore { return &OrgStore{db: db} }

// errRejected aborts an import transaction whose report has rejections.
var errRejected = errors.New("import rejected")

// Import applies ds in one transaction: every row is inserted or, when its
// code exists, updated; references are resolved by code. If any row is
// rejected (unknown reference, certificate number held by another officer),
// nothing is written and the report lists every rejected row. Passwords of
// logins must already be hashed: hashes maps username to encoded hash.
// Rows are assumed to have passed org.Check.
func (s *OrgStore) Import(ctx context.Context, ds org.Dataset, hashes map[string]string) (org.Report, error) {
	rep := org.Check(ds)
	if len(rep.Rejected) > 0 {
		return rep, nil
	}
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		im := importer{tx: tx, rep: &rep, ids: map[string]map[string]uuid.UUID{}}
		if err := im.run(ds, hashes); err != nil {
			return err
		}
		if len(rep.Rejected) > 0 {
			return errRejected
		}
		if err := s.publishDataset(ctx, tx, ds); err != nil {
			return err
		}
		// The trail keeps the digest of exactly what was applied, by whom.
		digest, err := audit.Digest(ds)
		if err != nil {
			return err
		}
		_, err = s.db.appendAudit(ctx, tx, audit.Entry{Chain: audit.DistrictChain, Action: "org.import",
			EntityType: "dataset", EntityID: rep.Summary(), AfterDigest: digest})
		return err
	})
	if errors.Is(err, errRejected) {
		return rep, nil
	}
	if err != nil {
		return rep, translate(err, "import")
	}
	rep.Applied = true
	return rep, nil
}

// importer writes one dataset inside a transaction, collecting row errors.
type importer struct {
	tx  *gorm.DB
	rep *org.Report
	ids map[string]map[string]uuid.UUID // table -> code -> id (cache)
}

// id returns the id of the row of table with the given code column value.
func (im *importer) id(table, col, code string) (uuid.UUID, bool, error) {
	key := table + "." + col
	if id, ok := im.ids[key][code]; ok {
		return id, true, nil
	}
	var ids []string
	if err := im.tx.Raw(fmt.Sprintf(`SELECT id::text FROM %s WHERE %s = ?`, table, col), code).Scan(&ids).Error; err != nil {
		return uuid.Nil, false, err
	}
	if len(ids) == 0 {
		return uuid.Nil, false, nil
	}
	id, err := uuid.Parse(ids[0])
	if err != nil {
		return uuid.Nil, false, err
	}
	if im.ids[key] == nil {
		im.ids[key] = map[string]uuid.UUID{}
	}
	im.ids[key][code] = id
	return id, true, nil
}

// ref resolves a reference of a row, rejecting the row when it is unknown.
func (im *importer) ref(s org.Section, row int, key, field, table, code string) (uuid.UUID, bool, error) {
	if code == "" {
		return uuid.Nil, false, nil
	}
	id, ok, err := im.id(table, "code", code)
	if err != nil {
		return id, false, err
	}
	if !ok {
		im.rep.Reject(s, row, key, field, string(derrors.NotFound), "no %s with code %q", table[:len(table)-1], code)
	}
	return id, ok, nil
}

// upsert inserts a row with a new id or updates the row with the same code,
// and returns its id.
func (im *importer) upsert(table string, code string, cols []string, vals []any) (uuid.UUID, error) {
	set := make([]string, len(cols))
	for i, c := range cols {
		set[i] = c + " = EXCLUDED." + c
	}
	placeholders := strings.TrimSuffix(strings.Repeat("?, ", len(cols)+2), ", ")
	q := fmt.Sprintf(`INSERT INTO %s (id, code, %s) VALUES (%s) ON CONFLICT (code) DO UPDATE SET %s RETURNING id::text`,
		table, strings.Join(cols, ", "), placeholders, strings.Join(set, ", "))
	id, err := returningID(im.tx.Raw(q, append([]any{uuid.New(), code}, vals...)...))
	if err != nil {
		return id, err
	}
	if im.ids[table+".code"] == nil {
		im.ids[table+".code"] = map[string]uuid.UUID{}
	}
	im.ids[table+".code"][code] = id
	return id, nil
}

func (im *importer) run(ds org.Dataset, hashes map[string]string) error {
	for _, d := range ds.Districts {
		if _, err := im.upsert("districts", d.Code, []string{"name_zh", "name_en"}, []any{d.NameZH, d.NameEN}); err != nil {
			return err
		}
	}
	for i, st := range ds.Streets {
		did, ok, err := im.ref(org.SectionStreets, i+1, st.Code, "district_code", "districts", st.DistrictCode)
		if err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		if _, err := im.upsert("streets", st.Code, []string{"district_id", "name_zh", "name_en"}, []any{did, st.NameZH, st.NameEN}); err != nil {
			return err
		}
	}
	for i, c := range ds.Communities {
		sid, ok, err := im.ref(org.SectionCommunities, i+1, c.Code, "street_code", "streets", c.StreetCode)
		if err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		if _, err := im.upsert("communities", c.Code, []string{"street_id", "name_zh", "name_en"}, []any{sid, c.NameZH, c.NameEN}); err != nil {
			return err
		}
	}
	for i, g := range ds.GridCenters {
		did, ok, err := im.ref(org.SectionGridCenters, i+1, g.Code, "district_code", "districts", g.DistrictCode)
		if err != nil {
			return err
		}
		var sid *uuid.UUID
		if g.StreetCode != "" {
			id, sok, err := im.ref(org.SectionGridCenters, i+1, g.Code, "street_code", "streets", g.StreetCode)
			if err != nil {
				return err
			}
			ok = ok && sok
			sid = &id
		}
		if !ok {
			continue
		}
		if _, err := im.upsert("grid_centers", g.Code, []string{"level", "district_id", "street_id", "name_zh"}, []any{string(g.Level), did, sid, g.NameZH}); err != nil {
			return err
		}
	}
	for _, d := range ds.Departments {
		if _, err := im.upsert("departments", d.Code, []string{"name_zh", "name_en", "kind"}, []any{d.NameZH, d.NameEN, string(d.Kind)}); err != nil {
			return err
		}
	}
	for i, t := range ds.Teams {
		sid, ok, err := im.ref(org.SectionTeams, i+1, t.Code, "street_code", "streets", t.StreetCode)
		if err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		if _, err := im.upsert("teams", t.Code, []string{"street_id", "name_zh"}, []any{sid, t.NameZH}); err != nil {
			return err
		}
	}
	for i, o := range ds.Officers {
		if err := im.officer(i+1, o); err != nil {
			return err
		}
	}
	for i, c := range ds.Certificates {
		if err := im.certificate(i+1, c); err != nil {
			return err
		}
	}
	for i, m := range ds.Matters {
		if err := im.matter(i+1, m); err != nil {
			return err
		}
	}
	for i, p := range ds.Policies {
		key := p.DepartmentCode + "@" + p.ValidFrom.Format(time.RFC3339)
		did, ok, err := im.ref(org.SectionPolicies, i+1, key, "department_code", "departments", p.DepartmentCode)
		if err != nil || !ok {
			if err != nil {
				return err
			}
			continue
		}
		err = im.tx.Exec(`INSERT INTO procedure_policies (id, department_id, valid_from, single_officer_simple_procedure,
				second_inspector_from_other_resident, second_inspector_legal_basis, mixed_crew_seizure_review)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (department_id, valid_from) DO UPDATE SET
				single_officer_simple_procedure = EXCLUDED.single_officer_simple_procedure,
				second_inspector_from_other_resident = EXCLUDED.second_inspector_from_other_resident,
				second_inspector_legal_basis = EXCLUDED.second_inspector_legal_basis,
				mixed_crew_seizure_review = EXCLUDED.mixed_crew_seizure_review`,
			uuid.New(), did, p.ValidFrom, p.SingleOfficerSimpleProcedure, p.SecondInspectorFromOtherResident,
			p.SecondInspectorLegalBasis, p.MixedCrewSeizureReview).Error
		if err != nil {
			return err
		}
	}
	for i, l := range ds.Logins {
		if err := im.login(i+1, l, hashes[l.Username]); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) officer(row int, o org.Officer) error {
	did, ok, err := im.ref(org.SectionOfficers, row, o.Code, "department_code", "departments", o.DepartmentCode)
	if err != nil {
		return err
	}
	teams := make([]uuid.UUID, len(o.Memberships))
	for j, m := range o.Memberships {
		tid, tok, err := im.ref(org.SectionOfficers, row, o.Code, fmt.Sprintf("memberships/%d/team_code", j), "teams", m.TeamCode)
		if err != nil {
			return err
		}
		ok = ok && tok
		teams[j] = tid
	}
	if !ok {
		return nil
	}
	if o.Auxiliary {
		var n int64
		if err := im.tx.Raw(`SELECT count(*) FROM certificates c JOIN officers o ON o.id = c.officer_id WHERE o.code = ?`, o.Code).Scan(&n).Error; err != nil {
			return err
		}
		if n > 0 {
			im.rep.Reject(org.SectionOfficers, row, o.Code, "auxiliary", string(derrors.Conflict), "officer %s holds certificates and cannot become auxiliary staff", o.Code)
			return nil
		}
	}
	oid, err := im.upsert("officers", o.Code, []string{"name_zh", "department_id", "auxiliary", "auxiliary_role", "phone"},
		[]any{o.NameZH, did, o.Auxiliary, o.AuxiliaryRole, o.Phone})
	if err != nil {
		return err
	}
	// The import states the officer's whole membership history.
	if err := im.tx.Exec(`DELETE FROM team_memberships WHERE officer_id = ?`, oid).Error; err != nil {
		return err
	}
	for j, m := range o.Memberships {
		err := im.tx.Exec(`INSERT INTO team_memberships (id, team_id, officer_id, position, valid_from, valid_to) VALUES (?, ?, ?, ?, ?, ?)`,
			uuid.New(), teams[j], oid, string(m.Position), m.From, m.To).Error
		if err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) certificate(row int, c org.Certificate) error {
	oid, ok, err := im.ref(org.SectionCertificates, row, c.Number, "officer_code", "officers", c.OfficerCode)
	if err != nil {
		return err
	}
	did, dok, err := im.ref(org.SectionCertificates, row, c.Number, "issuing_department_code", "departments", c.IssuingDepartmentCode)
	if err != nil {
		return err
	}
	if !ok || !dok {
		return nil
	}
	var auxiliary bool
	if err := im.tx.Raw(`SELECT auxiliary FROM officers WHERE id = ?`, oid).Scan(&auxiliary).Error; err != nil {
		return err
	}
	if auxiliary {
		im.rep.Reject(org.SectionCertificates, row, c.Number, "officer_code", string(derrors.Invalid), "auxiliary staff never hold enforcement certificates")
		return nil
	}
	var existing []string
	if err := im.tx.Raw(`SELECT officer_id::text FROM certificates WHERE number = ?`, c.Number).Scan(&existing).Error; err != nil {
		return err
	}
	if len(existing) > 0 && existing[0] != oid.String() {
		im.rep.Reject(org.SectionCertificates, row, c.Number, "number", string(derrors.Conflict), "certificate %s is held by another officer: one number is one officer", c.Number)
		return nil
	}
	cid, err := returningID(im.tx.Raw(`INSERT INTO certificates (id, number, officer_id, issuing_department_id, valid_from, valid_to)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (number) DO UPDATE SET issuing_department_id = EXCLUDED.issuing_department_id,
			valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to
		RETURNING id::text`, uuid.New(), c.Number, oid, did, c.ValidFrom, c.ValidTo))
	if err != nil {
		return err
	}
	if len(c.Status) == 0 {
		return nil
	}
	// An import that states a status history replaces the stored one.
	if err := im.tx.Exec(`DELETE FROM certificate_status WHERE certificate_id = ?`, cid).Error; err != nil {
		return err
	}
	for _, st := range c.Status {
		err := im.tx.Exec(`INSERT INTO certificate_status (id, certificate_id, status, since, reason) VALUES (?, ?, ?, ?, ?)`,
			uuid.New(), cid, st.Status, st.Since, st.Reason).Error
		if err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) matter(row int, m org.Matter) error {
	key := fmt.Sprintf("%s@%d", m.Code, m.Version)
	did, ok, err := im.ref(org.SectionMatters, row, key, "department_code", "departments", m.DepartmentCode)
	if err != nil || !ok {
		return err
	}
	measures := make([]string, len(m.Measures))
	for i, x := range m.Measures {
		measures[i] = string(x)
	}
	return im.tx.Exec(`INSERT INTO matters (id, code, version, name_zh, name_en, legal_basis, department_id, measures,
			fine_max_person, fine_max_org, default_whistle, valid_from, valid_to)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (code, version) DO UPDATE SET name_zh = EXCLUDED.name_zh, name_en = EXCLUDED.name_en,
			legal_basis = EXCLUDED.legal_basis, department_id = EXCLUDED.department_id, measures = EXCLUDED.measures,
			fine_max_person = EXCLUDED.fine_max_person, fine_max_org = EXCLUDED.fine_max_org,
			default_whistle = EXCLUDED.default_whistle, valid_from = EXCLUDED.valid_from, valid_to = EXCLUDED.valid_to`,
		uuid.New(), m.Code, m.Version, m.NameZH, m.NameEN, m.LegalBasis, did, textArray(measures),
		m.FineMaxPerson, m.FineMaxOrg, string(m.DefaultWhistle), m.ValidFrom, m.ValidTo).Error
}

func (im *importer) login(row int, l org.Login, hash string) error {
	uid, err := returningID(im.tx.Raw(`INSERT INTO users (id, username, display_name, role, password_hash) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (username) DO UPDATE SET display_name = EXCLUDED.display_name, role = EXCLUDED.role,
			password_hash = CASE WHEN EXCLUDED.password_hash = '' THEN users.password_hash ELSE EXCLUDED.password_hash END
		RETURNING id::text`, uuid.New(), l.Username, l.DisplayName, string(l.Role), hash))
	if err != nil {
		return err
	}
	refs := []struct {
		field, table, code string
		dst                *uuid.UUID
	}{
		{"officer_code", "officers", l.OfficerCode, new(uuid.UUID)},
		{"street_code", "streets", l.StreetCode, new(uuid.UUID)},
		{"department_code", "departments", l.DepartmentCode, new(uuid.UUID)},
		{"community_code", "communities", l.CommunityCode, new(uuid.UUID)},
	}
	vals := make([]*uuid.UUID, len(refs))
	for i, r := range refs {
		id, ok, err := im.ref(org.SectionLogins, row, l.Username, r.field, r.table, r.code)
		if err != nil {
			return err
		}
		if ok {
			vals[i] = &id
		}
	}
	return im.tx.Exec(`INSERT INTO user_scopes (user_id, officer_id, street_id, department_id, community_id) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (user_id) DO UPDATE SET officer_id = EXCLUDED.officer_id, street_id = EXCLUDED.street_id,
			department_id = EXCLUDED.department_id, community_id = EXCLUDED.community_id`,
		uid, vals[0], vals[1], vals[2], vals[3]).Error
}

// certStatuses converts stored status rows for the authority engine.
func certStatuses(rows []statusRow) []authority.CertificateStatus {
	out := make([]authority.CertificateStatus, len(rows))
	for i, r := range rows {
		out[i] = authority.CertificateStatus{Status: r.Status, Since: r.Since.UTC(), Reason: r.Reason}
	}
	return out
}

type statusRow struct {
	CertificateID uuid.UUID
	Status        string
	Since         time.Time
	Reason        string
}

// textArray is the PostgreSQL literal of a text[] of plain words (the
// measures and similar enumerations, checked before they get here).
func textArray(words []string) string {
	return "{" + strings.Join(words, ",") + "}"
}

// SetCertificateStatus records that certificate number has status from
// since on, for reason. It returns derrors.NotFound for an unknown number
// and derrors.Invalid for an unknown status.
func (s *OrgStore) SetCertificateStatus(ctx context.Context, number, status string, since time.Time, reason string) (org.Certificate, error) {
	switch status {
	case authority.CertificateActive, authority.CertificateSuspended, authority.CertificateRevoked:
	default:
		return org.Certificate{}, derrors.Invalidf("/status", "status must be active, suspended or revoked")
	}
	var officerCode string
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		var rows []struct {
			ID          uuid.UUID
			OfficerCode string
		}
		if err := tx.Raw(`SELECT c.id, o.code AS officer_code FROM certificates c JOIN officers o ON o.id = c.officer_id
			WHERE c.number = ? FOR UPDATE OF c`, number).Scan(&rows).Error; err != nil {
			return err
		}
		if len(rows) == 0 {
			return derrors.New(derrors.NotFound, "no certificate %q", number)
		}
		officerCode = rows[0].OfficerCode
		var before []statusRow
		if err := tx.Raw(`SELECT certificate_id, status, since, reason FROM certificate_status WHERE certificate_id = ? ORDER BY since, recorded_at`,
			rows[0].ID).Scan(&before).Error; err != nil {
			return err
		}
		if err := tx.Exec(`INSERT INTO certificate_status (id, certificate_id, status, since, reason) VALUES (?, ?, ?, ?, ?)`,
			uuid.New(), rows[0].ID, status, since, reason).Error; err != nil {
			return err
		}
		after := append(certStatuses(before), authority.CertificateStatus{Status: status, Since: since.UTC(), Reason: reason})
		if err := s.db.auditChange(ctx, tx, audit.DistrictChain, "certificate.status."+status, "certificate", number, certStatuses(before), after); err != nil {
			return err
		}
		return s.publishOfficers(ctx, tx, []string{officerCode})
	})
	if err != nil {
		return org.Certificate{}, translate(err, "set certificate status")
	}
	return s.Certificate(ctx, officerCode, number)
}

// Certificate returns certificate number of officerCode, or derrors.NotFound.
func (s *OrgStore) Certificate(ctx context.Context, officerCode, number string) (org.Certificate, error) {
	ms, err := s.Officers(ctx, []string{officerCode})
	if err != nil {
		return org.Certificate{}, err
	}
	for _, m := range ms {
		for _, c := range m.Certificates {
			if c.Number == number {
				return c, nil
			}
		}
	}
	return org.Certificate{}, derrors.New(derrors.NotFound, "no certificate %q", number)
}

// AddMatterVersion makes m the next version of its matter, in force from
// m.ValidFrom: the version in force until then ends there. A new code starts
// at version 1. It returns derrors.Invalid when m.ValidFrom is not after the
// start of the current version or the department is unknown.
func (s *OrgStore) AddMatterVersion(ctx context.Context, m org.Matter) (org.MatterInForce, error) {
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		var latest []struct {
			ID        uuid.UUID
			Version   int
			ValidFrom time.Time
		}
		if err := tx.Raw(`SELECT id, version, valid_from FROM matters WHERE code = ? ORDER BY version DESC LIMIT 1 FOR UPDATE`,
			m.Code).Scan(&latest).Error; err != nil {
			return err
		}
		m.Version, m.ValidTo = 1, nil
		var before any
		if len(latest) > 0 {
			before = latest[0]
			if !m.ValidFrom.After(latest[0].ValidFrom) {
				return derrors.Invalidf("/valid_from", "a new version must start after version %d (%s)", latest[0].Version, latest[0].ValidFrom.UTC().Format(time.RFC3339))
			}
			m.Version = latest[0].Version + 1
			if err := tx.Exec(`UPDATE matters SET valid_to = ? WHERE id = ?`, m.ValidFrom, latest[0].ID).Error; err != nil {
				return err
			}
		}
		rep := org.Check(org.Dataset{Matters: []org.Matter{m}})
		if err := rep.Err(); err != nil {
			return err
		}
		im := importer{tx: tx, rep: &rep, ids: map[string]map[string]uuid.UUID{}}
		if err := im.matter(1, m); err != nil {
			return err
		}
		if err := rep.Err(); err != nil {
			return err
		}
		if err := s.db.auditChange(ctx, tx, audit.DistrictChain, "matter.version", "matter", fmt.Sprintf("%s@%d", m.Code, m.Version), before, m); err != nil {
			return err
		}
		return s.publishDataset(ctx, tx, org.Dataset{Matters: []org.Matter{m}})
	})
	if err != nil {
		return org.MatterInForce{}, translate(err, "add matter version")
	}
	return s.MatterAt(ctx, m.Code, m.ValidFrom)
}

// returningID reads the one id a statement returns (as text: GORM cannot
// scan a uuid column into uuid.UUID, an array type, on its own).
func returningID(q *gorm.DB) (uuid.UUID, error) {
	var ids []string
	if err := q.Scan(&ids).Error; err != nil {
		return uuid.Nil, err
	}
	if len(ids) != 1 {
		return uuid.Nil, fmt.Errorf("statement returned %d ids, want 1", len(ids))
	}
	return uuid.Parse(ids[0])
}

// auditChange appends the trail entry of a change of entity inside tx:
// digests of its state before (nil: created) and after.
func (db *DB) auditChange(ctx context.Context, tx *gorm.DB, chain, action, entityType, entityID string, before, after any) error {
	var bd string
	if before != nil {
		var err error
		if bd, err = audit.Digest(before); err != nil {
			return err
		}
	}
	ad, err := audit.Digest(after)
	if err != nil {
		return err
	}
	_, err = db.appendAudit(ctx, tx, audit.Entry{Chain: chain, Action: action, EntityType: entityType, EntityID: entityID,
		BeforeDigest: bd, AfterDigest: ad})
	return err
}

// publishDataset publishes to the sync feed what devices hold of ds:
// departments, matter versions and policies to the district scope, and the
// officers (with their certificates) to the scopes of their teams.
func (s *OrgStore) publishDataset(ctx context.Context, tx *gorm.DB, ds org.Dataset) error {
	var pubs []Publication
	for _, d := range ds.Departments {
		pubs = append(pubs, Publication{Scope: wsync.DistrictScope, EntityType: "department", EntityID: d.Code, State: d})
	}
	codes := map[string]bool{}
	for _, m := range ds.Matters {
		codes[m.Code] = true
	}
	for code := range codes {
		versions, err := s.MatterVersions(ctx, code)
		if err != nil {
			return err
		}
		for _, v := range versions {
			pubs = append(pubs, Publication{Scope: wsync.DistrictScope, EntityType: "matter", EntityID: fmt.Sprintf("%s@%d", v.Code, v.Version), State: v})
		}
	}
	for _, p := range ds.Policies {
		p.Policy.Department = p.DepartmentCode
		pubs = append(pubs, Publication{Scope: wsync.DistrictScope, EntityType: "policy",
			EntityID: p.DepartmentCode + "@" + p.ValidFrom.UTC().Format(time.RFC3339), State: p})
	}
	if err := s.db.publish(ctx, tx, pubs); err != nil {
		return err
	}
	officers := map[string]bool{}
	for _, o := range ds.Officers {
		officers[o.Code] = true
	}
	for _, c := range ds.Certificates {
		officers[c.OfficerCode] = true
	}
	list := make([]string, 0, len(officers))
	for code := range officers {
		list = append(list, code)
	}
	slices.Sort(list)
	return s.publishOfficers(ctx, tx, list)
}

// publishOfficers publishes each officer, with certificates, to the scope of
// every team they belong to now, and a deletion to the scopes of teams they
// have left (a moved officer leaves the old team's devices).
func (s *OrgStore) publishOfficers(ctx context.Context, tx *gorm.DB, codes []string) error {
	if len(codes) == 0 {
		return nil
	}
	members, err := s.Officers(ctx, codes)
	if err != nil {
		return err
	}
	now := s.db.now()
	var pubs []Publication
	for _, m := range members {
		current := map[string]bool{}
		for _, ms := range m.Officer.Memberships {
			if ms.ActiveAt(now) {
				current[ms.TeamCode] = true
			}
		}
		for _, ms := range m.Officer.Memberships {
			scope := wsync.TeamScope(ms.TeamCode)
			if current[ms.TeamCode] {
				pubs = append(pubs, Publication{Scope: scope, EntityType: "member", EntityID: m.Officer.Code, State: m})
			} else if ms.To != nil && !ms.To.After(now) {
				pubs = append(pubs, Publication{Scope: scope, EntityType: "member", EntityID: m.Officer.Code})
			}
		}
	}
	return s.db.publish(ctx, tx, dedupe(pubs))
}

// dedupe keeps one publication per scope and entity (the last).
func dedupe(pubs []Publication) []Publication {
	seen := map[string]int{}
	var out []Publication
	for _, p := range pubs {
		key := p.Scope + "\x00" + p.EntityType + "\x00" + p.EntityID
		if i, ok := seen[key]; ok {
			out[i] = p
			continue
		}
		seen[key] = len(out)
		out = append(out, p)
	}
	return out
}
