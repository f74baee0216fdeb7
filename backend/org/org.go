// Package org is the organization of street enforcement: districts, streets
// and communities; the grid centers; the 26 departments with their kind
// (the street urban-management squad, 5 resident, 20 listed); each street's
// comprehensive enforcement team (综合执法队) and its members; officers and
// auxiliary staff; enforcement certificates (执法证); the matter catalogue
// (权责清单); and each department's procedure policy.
//
// Everything is addressed by a stable code that people use (a street code, a
// certificate number, a matter code), so that data can be imported from CSV
// or JSON and read back the same way. A Dataset is one such import; the demo
// data set is one too.
package org

import (
	"time"

	"github.com/whistle/whistle/backend/authority"
)

// District is a district 区.
type District struct {
	Code   string `json:"code"`
	NameZH string `json:"name_zh"`
	NameEN string `json:"name_en"`
}

// Street is a street or area 街道/地区 of a district; each has one team.
type Street struct {
	Code         string `json:"code"`
	DistrictCode string `json:"district_code"`
	NameZH       string `json:"name_zh"`
	NameEN       string `json:"name_en"`
}

// Community is a community 社区 of a street: it reports problems and rates responses.
type Community struct {
	Code       string `json:"code"`
	StreetCode string `json:"street_code"`
	NameZH     string `json:"name_zh"`
	NameEN     string `json:"name_en"`
}

// GridLevel says whether a grid center is the district's or a street's.
type GridLevel string

// The grid center levels.
const (
	GridDistrict GridLevel = "district" // 区网格中心
	GridStreet   GridLevel = "street"   // 街道网格化服务管理中心
)

// GridCenter takes in problems (hotline tickets, patrol finds) and dispatches them.
type GridCenter struct {
	Code         string    `json:"code"`
	Level        GridLevel `json:"level"`
	DistrictCode string    `json:"district_code"`
	StreetCode   string    `json:"street_code,omitempty"` // only for street grid centers
	NameZH       string    `json:"name_zh"`
}

// Department is one of the district's enforcement departments.
type Department struct {
	Code   string                   `json:"code"`
	NameZH string                   `json:"name_zh"`
	NameEN string                   `json:"name_en"`
	Kind   authority.DepartmentKind `json:"kind"`
}

// Team is a street's comprehensive enforcement team (综合执法队, "1 + 5 + N").
type Team struct {
	Code       string `json:"code"`
	StreetCode string `json:"street_code"`
	NameZH     string `json:"name_zh"`
}

// Position is what a person is in a team.
type Position string

// The positions.
const (
	PositionLeader       Position = "leader"        // 队长: the street deputy director for urban management
	PositionDeputyLeader Position = "deputy_leader" // 副队长
	PositionMember       Position = "member"
)

// Membership places a person in a team from one day to another (To nil: open).
type Membership struct {
	TeamCode string     `json:"team_code"`
	Position Position   `json:"position"`
	From     time.Time  `json:"from"`
	To       *time.Time `json:"to,omitempty"`
}

// ActiveAt reports whether the membership holds at t (From inclusive, To exclusive).
func (m Membership) ActiveAt(t time.Time) bool {
	return !t.Before(m.From) && (m.To == nil || t.Before(*m.To))
}

// Officer is a person of the team: an enforcement officer of a department, or
// auxiliary staff (协管员 and others), who never hold enforcement authority.
type Officer struct {
	Code           string       `json:"code"` // staff number
	NameZH         string       `json:"name_zh"`
	DepartmentCode string       `json:"department_code"`
	Auxiliary      bool         `json:"auxiliary"`
	AuxiliaryRole  string       `json:"auxiliary_role,omitempty"` // e.g. security guard, grid worker, volunteer
	Phone          string       `json:"phone,omitempty"`
	Memberships    []Membership `json:"memberships"`
}

// Certificate is an enforcement certificate 执法证 as stored: one number is
// one officer, for ever.
type Certificate struct {
	Number                string                        `json:"number"`
	OfficerCode           string                        `json:"officer_code"`
	IssuingDepartmentCode string                        `json:"issuing_department_code"`
	ValidFrom             time.Time                     `json:"valid_from"`
	ValidTo               time.Time                     `json:"valid_to"`
	Status                []authority.CertificateStatus `json:"status,omitempty"` // history; empty means active throughout
}

// WhistleType is the kind of whistle 哨 a matter calls for by default.
type WhistleType string

// The three whistle types of the "232" loop.
const (
	WhistleEmergency WhistleType = "emergency" // 应急哨
	WhistleKey       WhistleType = "key"       // 重点哨
	WhistleRegular   WhistleType = "regular"   // 常规哨
)

// Matter is one version of a statutory enforcement matter 执法事项 of the
// catalogue. A change makes a new version whose window starts where the
// previous one's ends.
type Matter struct {
	Code           string              `json:"code"`
	Version        int                 `json:"version"`
	NameZH         string              `json:"name_zh"`
	NameEN         string              `json:"name_en"`
	LegalBasis     string              `json:"legal_basis"`
	DepartmentCode string              `json:"department_code"`
	Measures       []authority.Measure `json:"measures"`
	// Simple-procedure fine ceilings in yuan (处罚法 art. 51: 200 for a
	// person, 3,000 for an organisation unless the matter says less).
	FineMaxPerson  int         `json:"fine_max_person,omitempty"`
	FineMaxOrg     int         `json:"fine_max_org,omitempty"`
	DefaultWhistle WhistleType `json:"default_whistle"`
	ValidFrom      time.Time   `json:"valid_from"`
	ValidTo        *time.Time  `json:"valid_to,omitempty"`
}

// Policy is a department's procedure policy (data, not code): see authority.Policy.
type Policy struct {
	DepartmentCode string    `json:"department_code"`
	ValidFrom      time.Time `json:"valid_from"`
	authority.Policy
}

// Role is what an account does in the system; access starts from it. The
// roles are those of DOMAIN.md section 8. It lives here, with the Scope and
// Login that carry it, so that identity, access and the API share one type.
type Role string

// The roles.
const (
	RoleOfficer      Role = "officer"       // enforcement officer 执法队员, on a phone in the street
	RoleTeamLeader   Role = "team_leader"   // team leader 队长: reviews flagged acts, closes case archives
	RoleDeptReviewer Role = "dept_reviewer" // department reviewer: evidence of cases routed to the department
	RoleGridOperator Role = "grid_operator" // grid center operator 网格中心: takes in problems, whistles
	RoleCommunity    Role = "community"     // community office 社区: reports problems, rates responses
	RoleAdmin        Role = "admin"         // district administrator: organization, certificates, matters
)

// Valid reports whether r is one of the known roles.
func (r Role) Valid() bool {
	switch r {
	case RoleOfficer, RoleTeamLeader, RoleDeptReviewer, RoleGridOperator, RoleCommunity, RoleAdmin:
		return true
	}
	return false
}

// Login is an account of the demo data or an import, with its scope.
type Login struct {
	Username       string `json:"username"`
	DisplayName    string `json:"display_name"`
	Role           Role   `json:"role"`
	Password       string `json:"password,omitempty"` // only in the demo data set
	OfficerCode    string `json:"officer_code,omitempty"`
	StreetCode     string `json:"street_code,omitempty"`
	DepartmentCode string `json:"department_code,omitempty"`
	CommunityCode  string `json:"community_code,omitempty"`
}

// Dataset is one import: any subset of the organization, applied whole or not at all.
type Dataset struct {
	Districts    []District    `json:"districts,omitempty"`
	Streets      []Street      `json:"streets,omitempty"`
	Communities  []Community   `json:"communities,omitempty"`
	GridCenters  []GridCenter  `json:"grid_centers,omitempty"`
	Departments  []Department  `json:"departments,omitempty"`
	Teams        []Team        `json:"teams,omitempty"`
	Officers     []Officer     `json:"officers,omitempty"`
	Certificates []Certificate `json:"certificates,omitempty"`
	Matters      []Matter      `json:"matters,omitempty"`
	Policies     []Policy      `json:"policies,omitempty"`
	Logins       []Login       `json:"logins,omitempty"`
}

// Scope is what an account may see, derived from its role and links: an
// officer's street is the street of the team they belong to at the moment
// of the request.
type Scope struct {
	UserID         string
	Role           Role
	OfficerCode    string // the account's officer, if any
	StreetCode     string // for street-scoped roles
	DepartmentCode string // for department reviewers
	CommunityCode  string // for community accounts
}

// Member is a person of a team roster with their certificates.
type Member struct {
	Officer        Officer                  `json:"officer"`
	DepartmentKind authority.DepartmentKind `json:"department_kind"`
	Position       Position                 `json:"position"`
	Certificates   []Certificate            `json:"certificates"`
}

// Roster is a team with the members active at a moment.
type Roster struct {
	Team    Team      `json:"team"`
	At      time.Time `json:"at"`
	Members []Member  `json:"members"`
}

// RosterKey is a member's place in a roster's order: department kind
// descending (the squad first, then resident departments, then listed
// ones), then department code, then officer code, which is unique. A page of
// a roster starts after one.
type RosterKey struct {
	DepartmentKind, DepartmentCode, OfficerCode string
}

// KeyOf returns m's place in a roster.
func KeyOf(m Member) RosterKey {
	return RosterKey{DepartmentKind: string(m.DepartmentKind), DepartmentCode: m.Officer.DepartmentCode, OfficerCode: m.Officer.Code}
}

// MatterInForce is the version of a matter in force at a moment, with the
// kind of its competent department (which decides refer vs investigate).
type MatterInForce struct {
	Matter
	DepartmentKind authority.DepartmentKind `json:"department_kind"`
}

// AuthorityMatter converts m for the authority engine.
func (m MatterInForce) AuthorityMatter() authority.Matter {
	return authority.Matter{Code: m.Code, CompetentDepartment: m.DepartmentCode, CompetentKind: m.DepartmentKind, Measures: m.Measures}
}

// AuthorityCertificate converts c for the authority engine.
func (c Certificate) AuthorityCertificate() *authority.Certificate {
	return &authority.Certificate{Number: c.Number, HolderID: c.OfficerCode, IssuingDepartment: c.IssuingDepartmentCode,
		ValidFrom: c.ValidFrom, ValidTo: c.ValidTo, Status: c.Status}
}

// CrewMember is m as the authority engine sees them at an act at moment at,
// checked in at checkedIn: of their certificates, the one valid at the act,
// else the one that ended last (so the engine can say why it does not count).
func (m Member) CrewMember(checkedIn, at time.Time) authority.CrewMember {
	cm := authority.CrewMember{PersonID: m.Officer.Code, Auxiliary: m.Officer.Auxiliary, Department: m.Officer.DepartmentCode,
		DepartmentKind: m.DepartmentKind, CheckedInAt: checkedIn.UTC()}
	for _, c := range m.Certificates {
		ac := c.AuthorityCertificate()
		if ac.ValidAt(at) {
			cm.Certificate = ac
			return cm
		}
		if cm.Certificate == nil || ac.ValidTo.After(cm.Certificate.ValidTo) {
			cm.Certificate = ac
		}
	}
	return cm
}
