package postgres

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

// Scope returns what the user may see at moment at: role, officer, and the
// street of the officer's team at that moment (else the street linked to the
// account), department and community. It returns derrors.NotFound for an
// unknown user.
func (s *OrgStore) Scope(ctx context.Context, userID string, at time.Time) (org.Scope, error) {
	uid, err := uuid.Parse(userID)
	if err != nil {
		return org.Scope{}, derrors.New(derrors.NotFound, "no such user")
	}
	var row struct {
		Role, OfficerCode, StreetCode, TeamStreetCode, DepartmentCode, CommunityCode *string
	}
	err = s.db.conn(ctx).Raw(`
		SELECT u.role, o.code AS officer_code, st.code AS street_code, d.code AS department_code, c.code AS community_code,
		       (SELECT ts.code FROM teams t JOIN streets ts ON ts.id = t.street_id
		         WHERE t.id = officer_team_at(o.id, ?)) AS team_street_code
		FROM users u
		LEFT JOIN user_scopes sc ON sc.user_id = u.id
		LEFT JOIN officers o ON o.id = sc.officer_id
		LEFT JOIN streets st ON st.id = sc.street_id
		LEFT JOIN departments d ON d.id = sc.department_id
		LEFT JOIN communities c ON c.id = sc.community_id
		WHERE u.id = ?`, at, uid).Scan(&row).Error
	if err != nil {
		return org.Scope{}, translate(err, "load scope")
	}
	if row.Role == nil {
		return org.Scope{}, derrors.New(derrors.NotFound, "no such user")
	}
	sc := org.Scope{UserID: userID, Role: org.Role(*row.Role), OfficerCode: deref(row.OfficerCode), StreetCode: deref(row.StreetCode),
		DepartmentCode: deref(row.DepartmentCode), CommunityCode: deref(row.CommunityCode)}
	if row.OfficerCode != nil {
		// An officer belongs where their team is today; a moved officer
		// loses the old street at once.
		sc.StreetCode = deref(row.TeamStreetCode)
	}
	if sc.CommunityCode != "" && sc.StreetCode == "" {
		if err := s.db.conn(ctx).Raw(`SELECT s.code FROM communities c JOIN streets s ON s.id = c.street_id WHERE c.code = ?`,
			sc.CommunityCode).Scan(&sc.StreetCode).Error; err != nil {
			return org.Scope{}, translate(err, "load scope")
		}
	}
	return sc, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

// Streets lists all streets.
func (s *OrgStore) Streets(ctx context.Context) ([]org.Street, error) {
	var out []org.Street
	err := s.db.conn(ctx).Raw(`SELECT s.code, d.code AS district_code, s.name_zh, s.name_en
		FROM streets s JOIN districts d ON d.id = s.district_id ORDER BY s.code`).Scan(&out).Error
	return out, translate(err, "list streets")
}

// Departments lists all departments.
func (s *OrgStore) Departments(ctx context.Context) ([]org.Department, error) {
	var out []org.Department
	err := s.db.conn(ctx).Raw(`SELECT code, name_zh, name_en, kind FROM departments ORDER BY kind, code`).Scan(&out).Error
	return out, translate(err, "list departments")
}

type matterRow struct {
	Code, NameZH, NameEN, LegalBasis, DepartmentCode, DepartmentKind, Measures, DefaultWhistle string
	Version, FineMaxPerson, FineMaxOrg                                                         int
	ValidFrom                                                                                  time.Time
	ValidTo                                                                                    *time.Time
}

const matterSelect = `SELECT m.code, m.version, m.name_zh, m.name_en, m.legal_basis, d.code AS department_code,
	d.kind AS department_kind, array_to_string(m.measures, ',') AS measures, m.fine_max_person, m.fine_max_org,
	m.default_whistle, m.valid_from, m.valid_to
	FROM matters m JOIN departments d ON d.id = m.department_id`

func matterFromRow(r matterRow) org.MatterInForce {
	var measures []authority.Measure
	for _, x := range strings.Split(r.Measures, ",") {
		if x != "" {
			measures = append(measures, authority.Measure(x))
		}
	}
	var to *time.Time
	if r.ValidTo != nil {
		t := r.ValidTo.UTC()
		to = &t
	}
	return org.MatterInForce{
		Matter: org.Matter{Code: r.Code, Version: r.Version, NameZH: r.NameZH, NameEN: r.NameEN, LegalBasis: r.LegalBasis,
			DepartmentCode: r.DepartmentCode, Measures: measures, FineMaxPerson: r.FineMaxPerson, FineMaxOrg: r.FineMaxOrg,
			DefaultWhistle: org.WhistleType(r.DefaultWhistle), ValidFrom: r.ValidFrom.UTC(), ValidTo: to},
		DepartmentKind: authority.DepartmentKind(r.DepartmentKind),
	}
}

// MattersAt lists the version of every matter in force at t, optionally of
// one department, by code: at most limit of them, those after code after
// ("" from the first).
func (s *OrgStore) MattersAt(ctx context.Context, t time.Time, department, after string, limit int) ([]org.MatterInForce, error) {
	var rows []matterRow
	q := matterSelect + ` WHERE m.valid_from <= ? AND (m.valid_to IS NULL OR m.valid_to > ?) AND (? = '' OR d.code = ?)
		AND m.code > ? ORDER BY m.code LIMIT ?`
	if err := s.db.conn(ctx).Raw(q, t, t, department, department, after, limit).Scan(&rows).Error; err != nil {
		return nil, translate(err, "list matters")
	}
	out := make([]org.MatterInForce, len(rows))
	for i, r := range rows {
		out[i] = matterFromRow(r)
	}
	return out, nil
}

// MatterAt returns the version of matter code in force at t, or derrors.NotFound.
func (s *OrgStore) MatterAt(ctx context.Context, code string, t time.Time) (org.MatterInForce, error) {
	var rows []matterRow
	q := matterSelect + ` WHERE m.code = ? AND m.valid_from <= ? AND (m.valid_to IS NULL OR m.valid_to > ?)`
	if err := s.db.conn(ctx).Raw(q, code, t, t).Scan(&rows).Error; err != nil {
		return org.MatterInForce{}, translate(err, "load matter")
	}
	if len(rows) == 0 {
		return org.MatterInForce{}, derrors.New(derrors.NotFound, "no matter %q in force at %s", code, t.Format(time.RFC3339))
	}
	return matterFromRow(rows[0]), nil
}

// MatterVersions returns every version of matter code, oldest first, or derrors.NotFound.
func (s *OrgStore) MatterVersions(ctx context.Context, code string) ([]org.MatterInForce, error) {
	var rows []matterRow
	if err := s.db.conn(ctx).Raw(matterSelect+` WHERE m.code = ? ORDER BY m.version`, code).Scan(&rows).Error; err != nil {
		return nil, translate(err, "load matter")
	}
	if len(rows) == 0 {
		return nil, derrors.New(derrors.NotFound, "no matter %q", code)
	}
	out := make([]org.MatterInForce, len(rows))
	for i, r := range rows {
		out[i] = matterFromRow(r)
	}
	return out, nil
}

// policyRow is a version of a department's procedure policy.
type policyRow struct {
	DepartmentCode                   string
	ValidFrom                        time.Time
	SingleOfficerSimpleProcedure     bool
	SecondInspectorFromOtherResident bool
	SecondInspectorLegalBasis        string
	MixedCrewSeizureReview           bool
}

// policyColumns are the columns of a policyRow, from procedure_policies p
// joined to departments d: SELECT policyColumns, or SELECT DISTINCT ON (...) policyColumns.
const policyColumns = ` d.code AS department_code, p.valid_from, p.single_officer_simple_procedure,
	p.second_inspector_from_other_resident, p.second_inspector_legal_basis, p.mixed_crew_seizure_review
	FROM procedure_policies p JOIN departments d ON d.id = p.department_id`

func (r policyRow) policy() org.Policy {
	return org.Policy{DepartmentCode: r.DepartmentCode, ValidFrom: r.ValidFrom.UTC(), Policy: authority.Policy{
		Department: r.DepartmentCode, SingleOfficerSimpleProcedure: r.SingleOfficerSimpleProcedure,
		SecondInspectorFromOtherResident: r.SecondInspectorFromOtherResident,
		SecondInspectorLegalBasis:        r.SecondInspectorLegalBasis, MixedCrewSeizureReview: r.MixedCrewSeizureReview,
	}}
}

// PoliciesAt returns the policy of each department in force at t, by department code.
func (s *OrgStore) PoliciesAt(ctx context.Context, t time.Time) (map[string]org.Policy, error) {
	var rows []policyRow
	err := s.db.conn(ctx).Raw(`SELECT DISTINCT ON (p.department_id)`+policyColumns+`
		WHERE p.valid_from <= ? ORDER BY p.department_id, p.valid_from DESC`, t).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "load policies")
	}
	out := make(map[string]org.Policy, len(rows))
	for _, r := range rows {
		out[r.DepartmentCode] = r.policy()
	}
	return out, nil
}

type officerRow struct {
	ID                                                    uuid.UUID
	Code, NameZH, DepartmentCode, DepartmentKind, AuxRole string
	Phone                                                 string
	Auxiliary                                             bool
	Position                                              string // in a roster only
}

// Officers returns the officers with the given codes, with their department
// kind, memberships and certificates (with status history). Unknown codes
// are absent from the result.
func (s *OrgStore) Officers(ctx context.Context, codes []string) ([]org.Member, error) {
	var rows []officerRow
	err := s.db.conn(ctx).Raw(`SELECT o.id, o.code, o.name_zh, d.code AS department_code, d.kind AS department_kind,
			o.auxiliary_role AS aux_role, o.phone, o.auxiliary
		FROM officers o JOIN departments d ON d.id = o.department_id WHERE o.code IN ? ORDER BY o.code`, nonEmpty(codes)).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "load officers")
	}
	return s.members(ctx, rows, nil)
}

func nonEmpty(codes []string) []string {
	if len(codes) == 0 {
		return []string{""}
	}
	return codes
}

// members completes officer rows with memberships and certificates.
func (s *OrgStore) members(ctx context.Context, rows []officerRow, positions map[uuid.UUID]org.Position) ([]org.Member, error) {
	ids := make([]uuid.UUID, len(rows))
	for i, r := range rows {
		ids[i] = r.ID
	}
	if len(ids) == 0 {
		return []org.Member{}, nil
	}
	var ms []struct {
		OfficerID          uuid.UUID
		TeamCode, Position string
		ValidFrom          time.Time
		ValidTo            *time.Time
	}
	g := s.db.conn(ctx)
	if err := g.Raw(`SELECT m.officer_id, t.code AS team_code, m.position, m.valid_from, m.valid_to
		FROM team_memberships m JOIN teams t ON t.id = m.team_id WHERE m.officer_id IN ? ORDER BY m.valid_from`, ids).Scan(&ms).Error; err != nil {
		return nil, translate(err, "load memberships")
	}
	var certs []struct {
		ID, OfficerID           uuid.UUID
		Number, IssuingDeptCode string
		ValidFrom, ValidTo      time.Time
	}
	if err := g.Raw(`SELECT c.id, c.officer_id, c.number, d.code AS issuing_dept_code, c.valid_from, c.valid_to
		FROM certificates c JOIN departments d ON d.id = c.issuing_department_id WHERE c.officer_id IN ? ORDER BY c.number`, ids).Scan(&certs).Error; err != nil {
		return nil, translate(err, "load certificates")
	}
	certIDs := make([]uuid.UUID, len(certs))
	for i, c := range certs {
		certIDs[i] = c.ID
	}
	var statuses []statusRow
	if len(certIDs) > 0 {
		if err := g.Raw(`SELECT certificate_id, status, since, reason FROM certificate_status WHERE certificate_id IN ? ORDER BY since, recorded_at`,
			certIDs).Scan(&statuses).Error; err != nil {
			return nil, translate(err, "load certificate status")
		}
	}
	byCert := map[uuid.UUID][]statusRow{}
	for _, st := range statuses {
		byCert[st.CertificateID] = append(byCert[st.CertificateID], st)
	}
	out := make([]org.Member, len(rows))
	index := map[uuid.UUID]int{}
	for i, r := range rows {
		index[r.ID] = i
		out[i] = org.Member{
			Officer: org.Officer{Code: r.Code, NameZH: r.NameZH, DepartmentCode: r.DepartmentCode, Auxiliary: r.Auxiliary,
				AuxiliaryRole: r.AuxRole, Phone: r.Phone, Memberships: []org.Membership{}},
			DepartmentKind: authority.DepartmentKind(r.DepartmentKind),
			Position:       positions[r.ID],
			Certificates:   []org.Certificate{},
		}
	}
	for _, m := range ms {
		i := index[m.OfficerID]
		var to *time.Time
		if m.ValidTo != nil {
			t := m.ValidTo.UTC()
			to = &t
		}
		out[i].Officer.Memberships = append(out[i].Officer.Memberships, org.Membership{TeamCode: m.TeamCode,
			Position: org.Position(m.Position), From: m.ValidFrom.UTC(), To: to})
	}
	for _, c := range certs {
		i := index[c.OfficerID]
		out[i].Certificates = append(out[i].Certificates, org.Certificate{Number: c.Number, OfficerCode: out[i].Officer.Code,
			IssuingDepartmentCode: c.IssuingDeptCode, ValidFrom: c.ValidFrom.UTC(), ValidTo: c.ValidTo.UTC(),
			Status: certStatuses(byCert[c.ID])})
	}
	return out, nil
}

// Roster returns team code with the members active at t, or
// derrors.NotFound: at most limit of them, in the order of org.RosterKey,
// those after after (nil: from the first).
func (s *OrgStore) Roster(ctx context.Context, teamCode string, t time.Time, after *org.RosterKey, limit int) (org.Roster, error) {
	var team []org.Team
	g := s.db.conn(ctx)
	if err := g.Raw(`SELECT t.code, s.code AS street_code, t.name_zh FROM teams t JOIN streets s ON s.id = t.street_id WHERE t.code = ?`,
		teamCode).Scan(&team).Error; err != nil {
		return org.Roster{}, translate(err, "load team")
	}
	if len(team) == 0 {
		return org.Roster{}, derrors.New(derrors.NotFound, "no team %q", teamCode)
	}
	var k org.RosterKey
	if after != nil {
		k = *after
	}
	var rows []officerRow
	err := g.Raw(`SELECT o.id, o.code, o.name_zh, d.code AS department_code, d.kind AS department_kind,
			o.auxiliary_role AS aux_role, o.phone, o.auxiliary, m.position
		FROM team_memberships m JOIN teams t ON t.id = m.team_id JOIN officers o ON o.id = m.officer_id
		JOIN departments d ON d.id = o.department_id
		WHERE t.code = @team AND m.team_id = officer_team_at(o.id, @at)
		AND (@first OR d.kind < @kind OR (d.kind = @kind AND (d.code, o.code) > (@dept, @officer)))
		ORDER BY d.kind DESC, d.code, o.code LIMIT @limit`,
		sql.Named("team", teamCode), sql.Named("at", t), sql.Named("first", after == nil), sql.Named("kind", k.DepartmentKind),
		sql.Named("dept", k.DepartmentCode), sql.Named("officer", k.OfficerCode), sql.Named("limit", limit)).Scan(&rows).Error
	if err != nil {
		return org.Roster{}, translate(err, "load roster")
	}
	positions := map[uuid.UUID]org.Position{}
	for _, r := range rows {
		positions[r.ID] = org.Position(r.Position)
	}
	members, err := s.members(ctx, rows, positions)
	if err != nil {
		return org.Roster{}, err
	}
	return org.Roster{Team: team[0], At: t.UTC(), Members: members}, nil
}

// TeamOfStreet returns the code of street's team, or derrors.NotFound.
func (s *OrgStore) TeamOfStreet(ctx context.Context, street string) (string, error) {
	var codes []string
	err := s.db.conn(ctx).Raw(`SELECT t.code FROM teams t JOIN streets s ON s.id = t.street_id WHERE s.code = ?`, street).Scan(&codes).Error
	if err != nil {
		return "", translate(err, "load team")
	}
	if len(codes) == 0 {
		return "", derrors.New(derrors.NotFound, "street %q has no team", street)
	}
	return codes[0], nil
}

// TeamStreets maps every team code to its street code.
func (s *OrgStore) TeamStreets(ctx context.Context) (map[string]string, error) {
	var rows []struct{ TeamCode, StreetCode string }
	err := s.db.conn(ctx).Raw(`SELECT t.code AS team_code, s.code AS street_code FROM teams t JOIN streets s ON s.id = t.street_id`).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "load teams")
	}
	out := make(map[string]string, len(rows))
	for _, r := range rows {
		out[r.TeamCode] = r.StreetCode
	}
	return out, nil
}
