package api

import (
	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/openapi"
)

// The organization, as the API shows it: streets, departments, teams and
// their rosters, officers and their certificates, the matter catalogue and
// the departments' policies.

func streetOut(s org.Street) openapi.Street {
	return openapi.Street{Code: s.Code, DistrictCode: s.DistrictCode, NameZh: s.NameZH, NameEn: ptr(s.NameEN)}
}

func departmentOut(d org.Department) openapi.Department {
	return openapi.Department{Code: d.Code, Kind: openapi.DepartmentKind(d.Kind), NameZh: d.NameZH, NameEn: ptr(d.NameEN)}
}

func teamOut(t org.Team) openapi.Team {
	return openapi.Team{Code: t.Code, StreetCode: t.StreetCode, NameZh: t.NameZH}
}

func rosterOut(r org.Roster) openapi.Roster {
	return openapi.Roster{Team: teamOut(r.Team), At: r.At, Members: convertAll(r.Members, memberOut)}
}

func memberOut(m org.Member) openapi.Member {
	return openapi.Member{
		Officer:        officerOut(m.Officer),
		DepartmentKind: openapi.DepartmentKind(m.DepartmentKind),
		Position:       ptr(string(m.Position)),
		Certificates:   convertAll(m.Certificates, certificateOut),
	}
}

func officerOut(o org.Officer) openapi.Officer {
	out := openapi.Officer{
		Code:           o.Code,
		NameZh:         o.NameZH,
		DepartmentCode: o.DepartmentCode,
		Auxiliary:      o.Auxiliary,
		AuxiliaryRole:  optional(o.AuxiliaryRole),
		Phone:          optional(o.Phone),
	}
	if o.Memberships != nil {
		out.Memberships = ptr(convertAll(o.Memberships, membershipOut))
	}
	return out
}

func membershipOut(m org.Membership) openapi.Membership {
	return openapi.Membership{TeamCode: m.TeamCode, Position: openapi.MembershipPosition(m.Position), From: m.From, To: m.To}
}

func certificateOut(c org.Certificate) openapi.Certificate {
	return openapi.Certificate{
		Number:                c.Number,
		OfficerCode:           c.OfficerCode,
		IssuingDepartmentCode: c.IssuingDepartmentCode,
		ValidFrom:             c.ValidFrom,
		ValidTo:               c.ValidTo,
		Status:                optionalList(c.Status, certificateStatusOut),
	}
}

func certificateStatusOut(s authority.CertificateStatus) openapi.CertificateStatus {
	return openapi.CertificateStatus{Status: openapi.CertificateStatusStatus(s.Status), Since: s.Since, Reason: ptr(s.Reason)}
}

// matterOut is one version of a matter with the kind of its department.
func matterOut(m org.MatterInForce) openapi.Matter {
	return openapi.Matter{
		Code:           m.Code,
		Version:        m.Version,
		NameZh:         m.NameZH,
		NameEn:         ptr(m.NameEN),
		LegalBasis:     m.LegalBasis,
		DepartmentCode: m.DepartmentCode,
		DepartmentKind: openapi.DepartmentKind(m.DepartmentKind),
		Measures:       enums[openapi.Measure](m.Measures),
		FineMaxPerson:  optional(m.FineMaxPerson),
		FineMaxOrg:     optional(m.FineMaxOrg),
		DefaultWhistle: openapi.MatterDefaultWhistle(m.DefaultWhistle),
		ValidFrom:      m.ValidFrom,
		ValidTo:        m.ValidTo,
	}
}

func policyOut(p org.Policy) openapi.Policy {
	return openapi.Policy{
		DepartmentCode:                   p.DepartmentCode,
		ValidFrom:                        p.ValidFrom,
		Department:                       ptr(p.Department),
		SingleOfficerSimpleProcedure:     p.SingleOfficerSimpleProcedure,
		SecondInspectorFromOtherResident: p.SecondInspectorFromOtherResident,
		SecondInspectorLegalBasis:        ptr(p.SecondInspectorLegalBasis),
		MixedCrewSeizureReview:           p.MixedCrewSeizureReview,
	}
}

// The authority engine's decision, as the explanation endpoint answers it.

// decisionOut is d for the matter it was decided for.
func decisionOut(d authority.Decision, matter org.MatterInForce) openapi.Decision {
	return openapi.Decision{
		Tier:            openapi.Tier(d.Tier),
		Lead:            ptr(d.Lead),
		SecondInspector: ptr(d.SecondInspector),
		Holders:         d.Holders,
		Allowed:         enums[openapi.Measure](d.Allowed),
		Reasons:         convertAll(d.Reasons, reasonOut),
		Matter:          matterOut(matter),
	}
}

func reasonOut(r authority.Reason) openapi.DecisionReason {
	return openapi.DecisionReason{Code: r.Code, Subject: ptr(r.Subject), Zh: r.ZH, En: r.EN}
}

// An administrator's import, whole or by section, and its report.

func importReportOut(r org.Report) openapi.ImportReport {
	out := openapi.ImportReport{Applied: r.Applied, Rejected: convertAll(r.Rejected, rowErrorOut)}
	if r.Counts != nil {
		out.Counts = make(map[string]int, len(r.Counts))
		for section, n := range r.Counts {
			out.Counts[string(section)] = n
		}
	}
	return out
}

func rowErrorOut(e org.RowError) openapi.RowError {
	return openapi.RowError{Section: string(e.Section), Row: e.Row, Key: e.Key, Field: e.Field,
		Code: openapi.RowErrorCode(e.Code), Reason: e.Reason}
}

func datasetIn(d openapi.Dataset) org.Dataset {
	return org.Dataset{
		Districts:    listIn(d.Districts, districtIn),
		Streets:      listIn(d.Streets, streetIn),
		Communities:  listIn(d.Communities, communityIn),
		GridCenters:  listIn(d.GridCenters, gridCenterIn),
		Departments:  listIn(d.Departments, departmentIn),
		Teams:        listIn(d.Teams, teamIn),
		Officers:     listIn(d.Officers, officerIn),
		Certificates: listIn(d.Certificates, certificateIn),
		Matters:      listIn(d.Matters, matterRowIn),
		Policies:     listIn(d.Policies, policyIn),
		Logins:       listIn(d.Logins, loginIn),
	}
}

func districtIn(d openapi.District) org.District {
	return org.District{Code: d.Code, NameZH: d.NameZh, NameEN: deref(d.NameEn)}
}

func streetIn(s openapi.Street) org.Street {
	return org.Street{Code: s.Code, DistrictCode: s.DistrictCode, NameZH: s.NameZh, NameEN: deref(s.NameEn)}
}

func communityIn(c openapi.Community) org.Community {
	return org.Community{Code: c.Code, StreetCode: c.StreetCode, NameZH: c.NameZh, NameEN: deref(c.NameEn)}
}

func gridCenterIn(g openapi.GridCenter) org.GridCenter {
	return org.GridCenter{Code: g.Code, Level: org.GridLevel(g.Level), DistrictCode: g.DistrictCode,
		StreetCode: deref(g.StreetCode), NameZH: g.NameZh}
}

func departmentIn(d openapi.Department) org.Department {
	return org.Department{Code: d.Code, NameZH: d.NameZh, NameEN: deref(d.NameEn), Kind: authority.DepartmentKind(d.Kind)}
}

func teamIn(t openapi.Team) org.Team {
	return org.Team{Code: t.Code, StreetCode: t.StreetCode, NameZH: t.NameZh}
}

func officerIn(o openapi.Officer) org.Officer {
	return org.Officer{
		Code:           o.Code,
		NameZH:         o.NameZh,
		DepartmentCode: o.DepartmentCode,
		Auxiliary:      o.Auxiliary,
		AuxiliaryRole:  deref(o.AuxiliaryRole),
		Phone:          deref(o.Phone),
		Memberships:    listIn(o.Memberships, membershipIn),
	}
}

func membershipIn(m openapi.Membership) org.Membership {
	return org.Membership{TeamCode: m.TeamCode, Position: org.Position(m.Position), From: m.From, To: m.To}
}

func certificateIn(c openapi.Certificate) org.Certificate {
	return org.Certificate{
		Number:                c.Number,
		OfficerCode:           c.OfficerCode,
		IssuingDepartmentCode: c.IssuingDepartmentCode,
		ValidFrom:             c.ValidFrom,
		ValidTo:               c.ValidTo,
		Status:                listIn(c.Status, certificateStatusIn),
	}
}

func certificateStatusIn(s openapi.CertificateStatus) authority.CertificateStatus {
	return authority.CertificateStatus{Status: string(s.Status), Since: s.Since, Reason: deref(s.Reason)}
}

// matterRowIn is one version of a matter of an import, which may close it (valid_to).
func matterRowIn(m openapi.MatterRow) org.Matter {
	return org.Matter{
		Code:           m.Code,
		Version:        m.Version,
		NameZH:         m.NameZh,
		NameEN:         deref(m.NameEn),
		LegalBasis:     m.LegalBasis,
		DepartmentCode: m.DepartmentCode,
		Measures:       enums[authority.Measure](m.Measures),
		FineMaxPerson:  deref(m.FineMaxPerson),
		FineMaxOrg:     deref(m.FineMaxOrg),
		DefaultWhistle: org.WhistleType(m.DefaultWhistle),
		ValidFrom:      m.ValidFrom,
		ValidTo:        m.ValidTo,
	}
}

// matterIn is a matter's next version as an administrator adds it: the store
// numbers it and closes the previous one.
func matterIn(m openapi.MatterInput) org.Matter {
	return org.Matter{
		Code:           m.Code,
		NameZH:         m.NameZh,
		NameEN:         deref(m.NameEn),
		LegalBasis:     m.LegalBasis,
		DepartmentCode: m.DepartmentCode,
		Measures:       enums[authority.Measure](m.Measures),
		FineMaxPerson:  deref(m.FineMaxPerson),
		FineMaxOrg:     deref(m.FineMaxOrg),
		DefaultWhistle: org.WhistleType(m.DefaultWhistle),
		ValidFrom:      m.ValidFrom,
	}
}

func policyIn(p openapi.Policy) org.Policy {
	return org.Policy{
		DepartmentCode: p.DepartmentCode,
		ValidFrom:      p.ValidFrom,
		Policy: authority.Policy{
			Department:                       deref(p.Department),
			SingleOfficerSimpleProcedure:     p.SingleOfficerSimpleProcedure,
			SecondInspectorFromOtherResident: p.SecondInspectorFromOtherResident,
			SecondInspectorLegalBasis:        deref(p.SecondInspectorLegalBasis),
			MixedCrewSeizureReview:           p.MixedCrewSeizureReview,
		},
	}
}

func loginIn(l openapi.Login) org.Login {
	return org.Login{
		Username:       l.Username,
		DisplayName:    l.DisplayName,
		Role:           org.Role(l.Role),
		Password:       deref(l.Password),
		OfficerCode:    deref(l.OfficerCode),
		StreetCode:     deref(l.StreetCode),
		DepartmentCode: deref(l.DepartmentCode),
		CommunityCode:  deref(l.CommunityCode),
	}
}
