package authority

import (
	"encoding/json"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"
)

// Beijing time without the tz database, so the tests run on a bare image.
var cst = time.FixedZone("CST", 8*60*60)

// act is the moment of the act every case is judged at: an afternoon in 2024, long before the day
// the tests run.
var act = time.Date(2024, 3, 14, 15, 0, 0, 0, cst)

const (
	deptSquad      = "chengguan"   // 城管执法队
	deptPolice     = "police"      // 公安
	deptMarket     = "market"      // 市场监管
	deptWorkSafety = "work_safety" // 安全生产 (listed)
)

var kindOf = map[string]DepartmentKind{
	deptSquad:      KindSquad,
	deptPolice:     KindResident,
	deptMarket:     KindResident,
	deptWorkSafety: KindListed,
}

var (
	vending = Matter{ // 占道经营
		Code: "CG-0101", CompetentDepartment: deptSquad, CompetentKind: KindSquad,
		Measures: []Measure{MeasureWarning, MeasureFineSimple, MeasureSeizure},
	}
	unlicensed = Matter{ // 无照经营
		Code: "SC-0201", CompetentDepartment: deptMarket, CompetentKind: KindResident,
		Measures: []Measure{MeasureWarning, MeasureFineSimple, MeasureSeizure},
	}
	publicOrder = Matter{ // 治安
		Code: "GA-0301", CompetentDepartment: deptPolice, CompetentKind: KindResident,
		Measures: []Measure{MeasureWarning, MeasureFineSimple},
	}
	workSafety = Matter{ // 安全生产
		Code: "AJ-0401", CompetentDepartment: deptWorkSafety, CompetentKind: KindListed,
		Measures: []Measure{MeasureWarning, MeasureFineSimple, MeasureSeizure},
	}
)

// Allowed measure sets, sorted as Decide sorts them.
var (
	investigate = []Measure{MeasureEvidence, MeasureSummons}
	refer       = []Measure{MeasureEvidence, MeasureRefer}
	enforceAll  = []Measure{MeasureEvidence, MeasureFineSimple, MeasureSeizure, MeasureSummons, MeasureWarning}
	penalties   = []Measure{MeasureEvidence, MeasureFineSimple, MeasureSummons, MeasureWarning}
	withSeizure = []Measure{MeasureEvidence, MeasureSeizure, MeasureSummons}
)

// cert returns a certificate valid from 2022 to 2030 unless changed by the options.
func cert(number string, opts ...func(*Certificate)) *Certificate {
	c := &Certificate{
		Number:    number,
		ValidFrom: time.Date(2022, 1, 1, 0, 0, 0, 0, cst),
		ValidTo:   time.Date(2030, 1, 1, 0, 0, 0, 0, cst),
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func validFrom(t time.Time) func(*Certificate) { return func(c *Certificate) { c.ValidFrom = t } }
func validTo(t time.Time) func(*Certificate)   { return func(c *Certificate) { c.ValidTo = t } }
func status(s string, since time.Time) func(*Certificate) {
	return func(c *Certificate) {
		c.Status = append(c.Status, CertificateStatus{Status: s, Since: since, Reason: "test"})
	}
}

// officer returns a crew member of dept who checked in minutesBefore the act (negative: after it).
func officer(id, dept string, minutesBefore int, c *Certificate) CrewMember {
	return CrewMember{
		PersonID:       id,
		Department:     dept,
		DepartmentKind: kindOf[dept],
		CheckedInAt:    act.Add(-time.Duration(minutesBefore) * time.Minute),
		Certificate:    c,
	}
}

func auxiliary(m CrewMember) CrewMember { m.Auxiliary = true; return m }

func allowSecond(dept string) Policy {
	return Policy{
		Department:                       dept,
		SecondInspectorFromOtherResident: true,
		SecondInspectorLegalBasis:        "《北京市街道办事处条例》及区政府授权决定",
	}
}

func allowSecondReviewed(dept string) Policy {
	p := allowSecond(dept)
	p.MixedCrewSeizureReview = true
	return p
}

// expiredSinceAct was valid at the act and expired the day after: before any day these tests run.
var expiredSinceAct = cert("CG-2", validTo(act.AddDate(0, 0, 1)))

// aloneReasons are the decision reasons for one holder alone on a matter that allows seizure,
// warning and fine, under the zero policy.
var aloneReasons = []string{
	ReasonTierOnsiteInspection, ReasonNoSecondInspector, ReasonSeizureNeedsSecondInspector,
	ReasonPenaltyNeedsTwoHolders,
}

type want struct {
	tier         Tier
	lead, second string
	holders      []string
	allowed      []Measure
	reasons      []string // "CODE" or "CODE:subject"
}

type decideCase struct {
	name string
	in   Input
	want want
}

func prepend(reasons []string, first ...string) []string {
	return append(slices.Clone(first), reasons...)
}

func decideCases() []decideCase {
	return []decideCase{
		// Tier boundaries.
		{
			name: "squad matter, nobody present",
			in:   Input{Matter: vending, At: act},
			want: want{tier: TierOnsiteInvestigation, allowed: investigate, reasons: []string{ReasonNoHolderPresent}},
		},
		{
			name: "resident matter, only officers of other departments",
			in: Input{Matter: unlicensed, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 40, cert("CG-1")),
				officer("ga1", deptPolice, 50, cert("GA-1")),
			}},
			want: want{tier: TierOnsiteInvestigation, allowed: investigate, reasons: []string{
				"OTHER_DEPARTMENT:ga1", "OTHER_DEPARTMENT:cg1", ReasonNoHolderPresent,
			}},
		},
		{
			name: "listed matter, none of its officers present",
			in: Input{Matter: workSafety, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg2", deptSquad, 40, cert("CG-2")),
			}},
			want: want{tier: TierRefer, allowed: refer, reasons: []string{
				"OTHER_DEPARTMENT:cg1", "OTHER_DEPARTMENT:cg2", ReasonMatterOfListedDepartment,
			}},
		},
		{
			name: "matter of unknown department kind, nobody present",
			in:   Input{Matter: Matter{Code: "X-1", CompetentDepartment: "unknown"}, At: act},
			want: want{tier: TierRefer, allowed: refer, reasons: []string{ReasonCompetentKindUnknown}},
		},
		{
			name: "squad matter, one holder alone",
			in:   Input{Matter: vending, At: act, Crew: []CrewMember{officer("cg1", deptSquad, 50, cert("CG-1"))}},
			want: want{tier: TierOnsiteInspection, lead: "cg1", holders: []string{"cg1"}, allowed: investigate, reasons: aloneReasons},
		},
		{
			name: "squad matter, two holders",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg2", deptSquad, 40, cert("CG-2")),
			}},
			want: want{tier: TierEnforcement, lead: "cg1", second: "cg2", holders: []string{"cg1", "cg2"},
				allowed: enforceAll, reasons: []string{ReasonTierEnforcement}},
		},
		{
			name: "three holders, lead and second in check-in order",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 40, cert("CG-1")),
				officer("cg2", deptSquad, 30, cert("CG-2")),
				officer("cg3", deptSquad, 50, cert("CG-3")),
			}},
			want: want{tier: TierEnforcement, lead: "cg3", second: "cg1", holders: []string{"cg3", "cg1", "cg2"},
				allowed: enforceAll, reasons: []string{ReasonTierEnforcement}},
		},
		{
			name: "same check-in time, ordered by person id",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cgB", deptSquad, 30, cert("CG-1")),
				officer("cgA", deptSquad, 30, cert("CG-2")),
			}},
			want: want{tier: TierEnforcement, lead: "cgA", second: "cgB", holders: []string{"cgA", "cgB"},
				allowed: enforceAll, reasons: []string{ReasonTierEnforcement}},
		},
		{
			name: "resident matter, two holders",
			in: Input{Matter: unlicensed, At: act, Crew: []CrewMember{
				officer("sc1", deptMarket, 50, cert("SC-1")),
				officer("sc2", deptMarket, 40, cert("SC-2")),
			}},
			want: want{tier: TierEnforcement, lead: "sc1", second: "sc2", holders: []string{"sc1", "sc2"},
				allowed: enforceAll, reasons: []string{ReasonTierEnforcement}},
		},
		{
			name: "listed matter, one officer came on the whistle",
			in:   Input{Matter: workSafety, At: act, Crew: []CrewMember{officer("aj1", deptWorkSafety, 50, cert("AJ-1"))}},
			want: want{tier: TierOnsiteInspection, lead: "aj1", holders: []string{"aj1"}, allowed: investigate, reasons: aloneReasons},
		},
		{
			name: "listed matter, two officers came on the whistle",
			in: Input{Matter: workSafety, At: act, Crew: []CrewMember{
				officer("aj1", deptWorkSafety, 50, cert("AJ-1")),
				officer("aj2", deptWorkSafety, 40, cert("AJ-2")),
			}},
			want: want{tier: TierEnforcement, lead: "aj1", second: "aj2", holders: []string{"aj1", "aj2"},
				allowed: enforceAll, reasons: []string{ReasonTierEnforcement}},
		},

		// Disqualifiers: cg1 holds; cg2 would make it two.
		{
			name: "certificate expired at the act",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg2", deptSquad, 40, cert("CG-2", validTo(act.AddDate(0, 0, -1)))),
			}},
			want: want{tier: TierOnsiteInspection, lead: "cg1", holders: []string{"cg1"}, allowed: investigate,
				reasons: prepend(aloneReasons, "CERT_EXPIRED_AT_ACT:cg2")},
		},
		{
			name: "certificate expiring at the instant of the act (valid_to exclusive)",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg2", deptSquad, 40, cert("CG-2", validTo(act))),
			}},
			want: want{tier: TierOnsiteInspection, lead: "cg1", holders: []string{"cg1"}, allowed: investigate,
				reasons: prepend(aloneReasons, "CERT_EXPIRED_AT_ACT:cg2")},
		},
		{
			name: "certificate valid at the act but expired now",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg2", deptSquad, 40, expiredSinceAct),
			}},
			want: want{tier: TierEnforcement, lead: "cg1", second: "cg2", holders: []string{"cg1", "cg2"},
				allowed: enforceAll, reasons: []string{ReasonTierEnforcement}},
		},
		{
			name: "certificate not yet valid at the act",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg2", deptSquad, 40, cert("CG-2", validFrom(act.Add(time.Hour)))),
			}},
			want: want{tier: TierOnsiteInspection, lead: "cg1", holders: []string{"cg1"}, allowed: investigate,
				reasons: prepend(aloneReasons, "CERT_NOT_YET_VALID:cg2")},
		},
		{
			name: "certificate valid from the instant of the act",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg2", deptSquad, 40, cert("CG-2", validFrom(act))),
			}},
			want: want{tier: TierEnforcement, lead: "cg1", second: "cg2", holders: []string{"cg1", "cg2"},
				allowed: enforceAll, reasons: []string{ReasonTierEnforcement}},
		},
		{
			name: "certificate suspended at the act",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg2", deptSquad, 40, cert("CG-2", status(CertificateSuspended, act.AddDate(0, 0, -1)))),
			}},
			want: want{tier: TierOnsiteInspection, lead: "cg1", holders: []string{"cg1"}, allowed: investigate,
				reasons: prepend(aloneReasons, "CERT_SUSPENDED_AT_ACT:cg2")},
		},
		{
			name: "certificate suspended after the act still counts",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg2", deptSquad, 40, cert("CG-2", status(CertificateSuspended, act.Add(time.Minute)))),
			}},
			want: want{tier: TierEnforcement, lead: "cg1", second: "cg2", holders: []string{"cg1", "cg2"},
				allowed: enforceAll, reasons: []string{ReasonTierEnforcement}},
		},
		{
			name: "certificate reinstated before the act, history out of order",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg2", deptSquad, 40, cert("CG-2",
					status(CertificateActive, act.AddDate(0, 0, -2)),
					status(CertificateSuspended, act.AddDate(0, 0, -10)),
					status(CertificateRevoked, act.AddDate(0, 0, 3)))),
			}},
			want: want{tier: TierEnforcement, lead: "cg1", second: "cg2", holders: []string{"cg1", "cg2"},
				allowed: enforceAll, reasons: []string{ReasonTierEnforcement}},
		},
		{
			name: "certificate revoked at the act",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg2", deptSquad, 40, cert("CG-2", status(CertificateRevoked, act.AddDate(0, -1, 0)))),
			}},
			want: want{tier: TierOnsiteInspection, lead: "cg1", holders: []string{"cg1"}, allowed: investigate,
				reasons: prepend(aloneReasons, "CERT_REVOKED_AT_ACT:cg2")},
		},
		{
			name: "certificate in an unknown status at the act",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg2", deptSquad, 40, cert("CG-2", status("lost", act.AddDate(0, 0, -1)))),
			}},
			want: want{tier: TierOnsiteInspection, lead: "cg1", holders: []string{"cg1"}, allowed: investigate,
				reasons: prepend(aloneReasons, "CERT_STATUS_UNKNOWN:cg2")},
		},
		{
			name: "auxiliary with a valid certificate",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				auxiliary(officer("cg2", deptSquad, 40, cert("CG-2"))),
			}},
			want: want{tier: TierOnsiteInspection, lead: "cg1", holders: []string{"cg1"}, allowed: investigate,
				reasons: prepend(aloneReasons, "AUXILIARY_NOT_COUNTED:cg2")},
		},
		{
			name: "no certificate",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg2", deptSquad, 40, nil),
			}},
			want: want{tier: TierOnsiteInspection, lead: "cg1", holders: []string{"cg1"}, allowed: investigate,
				reasons: prepend(aloneReasons, "NO_CERTIFICATE:cg2")},
		},
		{
			name: "certificate without a number",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg2", deptSquad, 40, cert("")),
			}},
			want: want{tier: TierOnsiteInspection, lead: "cg1", holders: []string{"cg1"}, allowed: investigate,
				reasons: prepend(aloneReasons, "NO_CERTIFICATE:cg2")},
		},
		{
			name: "same certificate under two person ids counts once",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg2", deptSquad, 40, cert("CG-1")),
			}},
			want: want{tier: TierOnsiteInspection, lead: "cg1", holders: []string{"cg1"}, allowed: investigate,
				reasons: prepend(aloneReasons, "DUPLICATE_CERTIFICATE:cg2")},
		},
		{
			name: "same person checked in twice counts once",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg1", deptSquad, 40, cert("CG-1")),
			}},
			want: want{tier: TierOnsiteInspection, lead: "cg1", holders: []string{"cg1"}, allowed: investigate,
				reasons: prepend(aloneReasons, "DUPLICATE_PERSON:cg1")},
		},
		{
			name: "same person twice, the earlier entry without certificate does not block the later",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, nil),
				officer("cg1", deptSquad, 40, cert("CG-1")),
				officer("cg2", deptSquad, 30, cert("CG-2")),
			}},
			want: want{tier: TierEnforcement, lead: "cg1", second: "cg2", holders: []string{"cg1", "cg2"},
				allowed: enforceAll, reasons: []string{"NO_CERTIFICATE:cg1", ReasonTierEnforcement}},
		},
		{
			// Records contradict each other: cg1 shows two certificates, one of them also shown
			// by cg2. The largest consistent reading is cg1 with CG-1 and cg2 with CG-2.
			name: "contradictory records, largest consistent set of holders",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-2")),
				officer("cg1", deptSquad, 45, cert("CG-1")),
				officer("cg2", deptSquad, 40, cert("CG-2")),
			}},
			want: want{tier: TierEnforcement, lead: "cg1", second: "cg2", holders: []string{"cg1", "cg2"},
				allowed: enforceAll, reasons: []string{"DUPLICATE_PERSON:cg1", ReasonTierEnforcement}},
		},
		{
			name: "duplicate certificate of another department does not displace a holder",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("ga1", deptPolice, 50, cert("CG-2")),
				officer("cg1", deptSquad, 40, cert("CG-1")),
				officer("cg2", deptSquad, 30, cert("CG-2")),
			}},
			want: want{tier: TierEnforcement, lead: "cg1", second: "cg2", holders: []string{"cg1", "cg2"},
				allowed: enforceAll, reasons: []string{"DUPLICATE_CERTIFICATE:ga1", ReasonTierEnforcement}},
		},
		{
			name: "qualified officer of another department is not a holder",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("sc1", deptMarket, 40, cert("SC-1")),
			}},
			want: want{tier: TierOnsiteInspection, lead: "cg1", holders: []string{"cg1"}, allowed: investigate,
				reasons: []string{
					"OTHER_DEPARTMENT:sc1", ReasonTierOnsiteInspection, "SECOND_INSPECTOR_NOT_ALLOWED_BY_POLICY:sc1",
					ReasonSeizureNeedsSecondInspector, ReasonPenaltyNeedsTwoHolders,
				}},
		},
		{
			name: "checked in after the act",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg2", deptSquad, -5, cert("CG-2")),
			}},
			want: want{tier: TierOnsiteInspection, lead: "cg1", holders: []string{"cg1"}, allowed: investigate,
				reasons: prepend(aloneReasons, "CHECKED_IN_AFTER_ACT:cg2")},
		},
		{
			name: "checked in at the instant of the act",
			in: Input{Matter: vending, At: act, Crew: []CrewMember{
				officer("cg1", deptSquad, 50, cert("CG-1")),
				officer("cg2", deptSquad, 0, cert("CG-2")),
			}},
			want: want{tier: TierEnforcement, lead: "cg1", second: "cg2", holders: []string{"cg1", "cg2"},
				allowed: enforceAll, reasons: []string{ReasonTierEnforcement}},
		},

		// Policies: sc1 of market regulation holds alone; who else is there varies.
		{
			name: "second inspector allowed, no review",
			in: Input{Matter: unlicensed, At: act, Policies: map[string]Policy{deptMarket: allowSecond(deptMarket)},
				Crew: []CrewMember{officer("sc1", deptMarket, 50, cert("SC-1")), officer("ga1", deptPolice, 40, cert("GA-1"))}},
			want: want{tier: TierOnsiteInspection, lead: "sc1", second: "ga1", holders: []string{"sc1"}, allowed: withSeizure,
				reasons: []string{"OTHER_DEPARTMENT:ga1", ReasonTierOnsiteInspection, ReasonPenaltyNeedsTwoHolders}},
		},
		{
			name: "second inspector allowed, mixed-crew seizure reviewed",
			in: Input{Matter: unlicensed, At: act, Policies: map[string]Policy{deptMarket: allowSecondReviewed(deptMarket)},
				Crew: []CrewMember{officer("sc1", deptMarket, 50, cert("SC-1")), officer("ga1", deptPolice, 40, cert("GA-1"))}},
			want: want{tier: TierOnsiteInspection, lead: "sc1", second: "ga1", holders: []string{"sc1"}, allowed: withSeizure,
				reasons: []string{
					"OTHER_DEPARTMENT:ga1", ReasonTierOnsiteInspection, "MIXED_CREW_SEIZURE_REVIEW:ga1",
					ReasonPenaltyNeedsTwoHolders,
				}},
		},
		{
			name: "squad officer as second inspector",
			in: Input{Matter: unlicensed, At: act, Policies: map[string]Policy{deptMarket: allowSecond(deptMarket)},
				Crew: []CrewMember{officer("sc1", deptMarket, 50, cert("SC-1")), officer("cg1", deptSquad, 40, cert("CG-1"))}},
			want: want{tier: TierOnsiteInspection, lead: "sc1", second: "cg1", holders: []string{"sc1"}, allowed: withSeizure,
				reasons: []string{"OTHER_DEPARTMENT:cg1", ReasonTierOnsiteInspection, ReasonPenaltyNeedsTwoHolders}},
		},
		{
			name: "second inspector not allowed by the zero policy",
			in: Input{Matter: unlicensed, At: act,
				Crew: []CrewMember{officer("sc1", deptMarket, 50, cert("SC-1")), officer("ga1", deptPolice, 40, cert("GA-1"))}},
			want: want{tier: TierOnsiteInspection, lead: "sc1", holders: []string{"sc1"}, allowed: investigate,
				reasons: []string{
					"OTHER_DEPARTMENT:ga1", ReasonTierOnsiteInspection, "SECOND_INSPECTOR_NOT_ALLOWED_BY_POLICY:ga1",
					ReasonSeizureNeedsSecondInspector, ReasonPenaltyNeedsTwoHolders,
				}},
		},
		{
			name: "permission of another department's policy does not apply",
			in: Input{Matter: unlicensed, At: act, Policies: map[string]Policy{deptPolice: allowSecondReviewed(deptPolice)},
				Crew: []CrewMember{officer("sc1", deptMarket, 50, cert("SC-1")), officer("ga1", deptPolice, 40, cert("GA-1"))}},
			want: want{tier: TierOnsiteInspection, lead: "sc1", holders: []string{"sc1"}, allowed: investigate,
				reasons: []string{
					"OTHER_DEPARTMENT:ga1", ReasonTierOnsiteInspection, "SECOND_INSPECTOR_NOT_ALLOWED_BY_POLICY:ga1",
					ReasonSeizureNeedsSecondInspector, ReasonPenaltyNeedsTwoHolders,
				}},
		},
		{
			name: "permission without legal basis is not applied",
			in: Input{Matter: unlicensed, At: act,
				Policies: map[string]Policy{deptMarket: {Department: deptMarket, SecondInspectorFromOtherResident: true, MixedCrewSeizureReview: true}},
				Crew:     []CrewMember{officer("sc1", deptMarket, 50, cert("SC-1")), officer("ga1", deptPolice, 40, cert("GA-1"))}},
			want: want{tier: TierOnsiteInspection, lead: "sc1", holders: []string{"sc1"}, allowed: investigate,
				reasons: []string{
					"OTHER_DEPARTMENT:ga1", ReasonTierOnsiteInspection, ReasonPolicyInvalid,
					"SECOND_INSPECTOR_NOT_ALLOWED_BY_POLICY:ga1", ReasonSeizureNeedsSecondInspector, ReasonPenaltyNeedsTwoHolders,
				}},
		},
		{
			name: "review without permission is flagged",
			in: Input{Matter: unlicensed, At: act,
				Policies: map[string]Policy{deptMarket: {Department: deptMarket, MixedCrewSeizureReview: true}},
				Crew:     []CrewMember{officer("sc1", deptMarket, 50, cert("SC-1"))}},
			want: want{tier: TierOnsiteInspection, lead: "sc1", holders: []string{"sc1"}, allowed: investigate,
				reasons: []string{
					ReasonTierOnsiteInspection, ReasonPolicyInvalid, ReasonNoSecondInspector,
					ReasonSeizureNeedsSecondInspector, ReasonPenaltyNeedsTwoHolders,
				}},
		},
		{
			name: "officer of a listed department cannot be second inspector",
			in: Input{Matter: unlicensed, At: act, Policies: map[string]Policy{deptMarket: allowSecond(deptMarket)},
				Crew: []CrewMember{officer("sc1", deptMarket, 50, cert("SC-1")), officer("aj1", deptWorkSafety, 40, cert("AJ-1"))}},
			want: want{tier: TierOnsiteInspection, lead: "sc1", holders: []string{"sc1"}, allowed: investigate,
				reasons: prepend(aloneReasons, "OTHER_DEPARTMENT:aj1")},
		},
		{
			name: "first eligible officer is second inspector, listed officer skipped",
			in: Input{Matter: unlicensed, At: act, Policies: map[string]Policy{deptMarket: allowSecond(deptMarket)},
				Crew: []CrewMember{
					officer("sc1", deptMarket, 50, cert("SC-1")),
					officer("aj1", deptWorkSafety, 45, cert("AJ-1")),
					officer("ga1", deptPolice, 40, cert("GA-1")),
					officer("cg1", deptSquad, 35, cert("CG-1")),
				}},
			want: want{tier: TierOnsiteInspection, lead: "sc1", second: "ga1", holders: []string{"sc1"}, allowed: withSeizure,
				reasons: []string{
					"OTHER_DEPARTMENT:aj1", "OTHER_DEPARTMENT:ga1", "OTHER_DEPARTMENT:cg1",
					ReasonTierOnsiteInspection, ReasonPenaltyNeedsTwoHolders,
				}},
		},
		{
			name: "auxiliary of another department cannot be second inspector",
			in: Input{Matter: unlicensed, At: act, Policies: map[string]Policy{deptMarket: allowSecond(deptMarket)},
				Crew: []CrewMember{officer("sc1", deptMarket, 50, cert("SC-1")), auxiliary(officer("ga1", deptPolice, 40, cert("GA-1")))}},
			want: want{tier: TierOnsiteInspection, lead: "sc1", holders: []string{"sc1"}, allowed: investigate,
				reasons: prepend(aloneReasons, "AUXILIARY_NOT_COUNTED:ga1")},
		},
		{
			name: "officer whose certificate expired at the act cannot be second inspector",
			in: Input{Matter: unlicensed, At: act, Policies: map[string]Policy{deptMarket: allowSecond(deptMarket)},
				Crew: []CrewMember{
					officer("sc1", deptMarket, 50, cert("SC-1")),
					officer("ga1", deptPolice, 40, cert("GA-1", validTo(act.Add(-time.Hour)))),
				}},
			want: want{tier: TierOnsiteInspection, lead: "sc1", holders: []string{"sc1"}, allowed: investigate,
				reasons: prepend(aloneReasons, "CERT_EXPIRED_AT_ACT:ga1")},
		},
		{
			name: "police, one officer may decide a simple-procedure penalty",
			in: Input{Matter: publicOrder, At: act,
				Policies: map[string]Policy{deptPolice: {Department: deptPolice, SingleOfficerSimpleProcedure: true}},
				Crew:     []CrewMember{officer("ga1", deptPolice, 50, cert("GA-1"))}},
			want: want{tier: TierOnsiteInspection, lead: "ga1", holders: []string{"ga1"}, allowed: penalties,
				reasons: []string{ReasonTierOnsiteInspection, ReasonNoSecondInspector, ReasonSingleOfficerSimpleProcedure}},
		},
		{
			name: "police without the single-officer policy",
			in: Input{Matter: publicOrder, At: act,
				Crew: []CrewMember{officer("ga1", deptPolice, 50, cert("GA-1"))}},
			want: want{tier: TierOnsiteInspection, lead: "ga1", holders: []string{"ga1"}, allowed: investigate,
				reasons: []string{ReasonTierOnsiteInspection, ReasonNoSecondInspector, ReasonPenaltyNeedsTwoHolders}},
		},
		{
			name: "police single-officer policy does not reach a market matter",
			in: Input{Matter: unlicensed, At: act,
				Policies: map[string]Policy{deptPolice: {Department: deptPolice, SingleOfficerSimpleProcedure: true}},
				Crew:     []CrewMember{officer("sc1", deptMarket, 50, cert("SC-1"))}},
			want: want{tier: TierOnsiteInspection, lead: "sc1", holders: []string{"sc1"}, allowed: investigate, reasons: aloneReasons},
		},
		{
			name: "every permission at once with one holder",
			in: Input{Matter: unlicensed, At: act,
				Policies: map[string]Policy{deptMarket: func() Policy {
					p := allowSecondReviewed(deptMarket)
					p.SingleOfficerSimpleProcedure = true
					return p
				}()},
				Crew: []CrewMember{officer("sc1", deptMarket, 50, cert("SC-1")), officer("ga1", deptPolice, 40, cert("GA-1"))}},
			want: want{tier: TierOnsiteInspection, lead: "sc1", second: "ga1", holders: []string{"sc1"}, allowed: enforceAll,
				reasons: []string{
					"OTHER_DEPARTMENT:ga1", ReasonTierOnsiteInspection, "MIXED_CREW_SEIZURE_REVIEW:ga1",
					ReasonSingleOfficerSimpleProcedure,
				}},
		},
		{
			name: "two holders need no policy",
			in: Input{Matter: unlicensed, At: act, Crew: []CrewMember{
				officer("sc1", deptMarket, 50, cert("SC-1")),
				officer("ga1", deptPolice, 45, cert("GA-1")),
				officer("sc2", deptMarket, 40, cert("SC-2")),
			}},
			want: want{tier: TierEnforcement, lead: "sc1", second: "sc2", holders: []string{"sc1", "sc2"}, allowed: enforceAll,
				reasons: []string{"OTHER_DEPARTMENT:ga1", ReasonTierEnforcement}},
		},
	}
}

func reasonCodes(rs []Reason) []string {
	out := make([]string, len(rs))
	for i, r := range rs {
		out[i] = r.Code
		if r.Subject != "" {
			out[i] += ":" + r.Subject
		}
	}
	return out
}

func TestDecide_Table(t *testing.T) {
	if !expiredSinceAct.ValidTo.After(act) || !expiredSinceAct.ValidTo.Before(time.Now()) {
		t.Fatalf("fixture: expiredSinceAct must be valid at the act and expired today, valid_to %v", expiredSinceAct.ValidTo)
	}
	for _, tt := range decideCases() {
		t.Run(tt.name, func(t *testing.T) {
			got := Decide(tt.in)
			if got.Tier != tt.want.tier {
				t.Errorf("Tier = %q, want %q", got.Tier, tt.want.tier)
			}
			if got.Lead != tt.want.lead {
				t.Errorf("Lead = %q, want %q", got.Lead, tt.want.lead)
			}
			if got.SecondInspector != tt.want.second {
				t.Errorf("SecondInspector = %q, want %q", got.SecondInspector, tt.want.second)
			}
			if !slices.Equal(got.Holders, tt.want.holders) {
				t.Errorf("Holders = %q, want %q", got.Holders, tt.want.holders)
			}
			if !slices.Equal(got.Allowed, tt.want.allowed) {
				t.Errorf("Allowed = %q, want %q", got.Allowed, tt.want.allowed)
			}
			if codes := reasonCodes(got.Reasons); !slices.Equal(codes, tt.want.reasons) {
				t.Errorf("Reasons =\n\t%q\nwant\n\t%q", codes, tt.want.reasons)
			}
			for _, r := range got.Reasons {
				if r.ZH == "" || r.EN == "" || r.ZH == r.Code {
					t.Errorf("reason %s has no text: %+v", r.Code, r)
				}
			}
			for _, m := range []Measure{MeasureEvidence, MeasureSummons, MeasureWarning, MeasureFineSimple, MeasureSeizure, MeasureRefer} {
				if got.Allows(m) != slices.Contains(tt.want.allowed, m) {
					t.Errorf("Allows(%q) = %v", m, got.Allows(m))
				}
			}
		})
	}
}

func TestDecide_CrewOrderDoesNotMatter(t *testing.T) {
	r := rand.New(rand.NewPCG(2024, 314))
	for _, tt := range decideCases() {
		t.Run(tt.name, func(t *testing.T) {
			want := Decide(tt.in)
			for range 20 {
				in := tt.in
				in.Crew = slices.Clone(tt.in.Crew)
				r.Shuffle(len(in.Crew), func(i, j int) { in.Crew[i], in.Crew[j] = in.Crew[j], in.Crew[i] })
				if got := Decide(in); !reflect.DeepEqual(got, want) {
					t.Fatalf("crew %v:\ngot  %+v\nwant %+v", personIDs(in.Crew), got, want)
				}
			}
		})
	}
}

func TestDecide_IdenticalEntriesDifferingOnlyInOrder(t *testing.T) {
	// Same person, same check-in time: the entries differ only in fields after the sort keys, so
	// only the full ordering keeps the result independent of input order.
	a := officer("cg1", deptSquad, 50, cert("CG-1", validTo(act.AddDate(0, 0, -1))))
	b := officer("cg1", deptSquad, 50, cert("CG-9", status(CertificateSuspended, act.AddDate(0, 0, -1))))
	c := officer("cg1", deptMarket, 50, nil)
	in1 := Input{Matter: vending, At: act, Crew: []CrewMember{a, b, c}}
	in2 := Input{Matter: vending, At: act, Crew: []CrewMember{c, b, a}}
	if d1, d2 := Decide(in1), Decide(in2); !reflect.DeepEqual(d1, d2) {
		t.Fatalf("order changed the decision:\n%+v\n%+v", d1, d2)
	}
}

func TestDecide_DoesNotModifyInput(t *testing.T) {
	crew := []CrewMember{
		officer("cg2", deptSquad, 10, cert("CG-2")),
		officer("cg1", deptSquad, 50, cert("CG-1")),
	}
	orig := slices.Clone(crew)
	measures := slices.Clone(vending.Measures)
	Decide(Input{Matter: vending, At: act, Crew: crew})
	if !reflect.DeepEqual(crew, orig) || !slices.Equal(vending.Measures, measures) {
		t.Fatal("Decide modified its input")
	}
}

// A phone decides from downloaded JSON; the server from its own structs. Both must agree.
func TestDecide_JSONRoundTrip(t *testing.T) {
	for _, tt := range decideCases() {
		t.Run(tt.name, func(t *testing.T) {
			b, err := json.Marshal(tt.in)
			if err != nil {
				t.Fatal(err)
			}
			var in Input
			if err := json.Unmarshal(b, &in); err != nil {
				t.Fatal(err)
			}
			if got, want := Decide(in), Decide(tt.in); !reflect.DeepEqual(got, want) {
				t.Fatalf("after JSON round trip:\ngot  %+v\nwant %+v", got, want)
			}
		})
	}
	b, err := json.Marshal(Decide(Input{Matter: vending, At: act, Crew: []CrewMember{officer("cg1", deptSquad, 50, cert("CG-1"))}}))
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"tier":`, `"lead":`, `"second_inspector":`, `"holders":`, `"allowed":`, `"reasons":`, `"subject":`, `"zh":`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("decision JSON %s lacks %s", b, key)
		}
	}
}

func TestTier_Rank(t *testing.T) {
	tests := []struct {
		tier Tier
		want int
	}{
		{TierRefer, 0},
		{TierOnsiteInvestigation, 0},
		{TierOnsiteInspection, 1},
		{TierEnforcement, 2},
		{"", -1},
		{"other", -1},
	}
	for _, tt := range tests {
		t.Run(string(tt.tier), func(t *testing.T) {
			if got := tt.tier.Rank(); got != tt.want {
				t.Errorf("Rank() = %d, want %d", got, tt.want)
			}
		})
	}
}

func TestCertificate_StatusAt(t *testing.T) {
	day := func(d int) time.Time { return act.AddDate(0, 0, d) }
	tests := []struct {
		name    string
		history []CertificateStatus
		at      time.Time
		want    string
	}{
		{"no history", nil, act, CertificateActive},
		{"before the first entry", []CertificateStatus{{Status: CertificateSuspended, Since: day(1)}}, act, CertificateActive},
		{"at the instant of an entry", []CertificateStatus{{Status: CertificateSuspended, Since: act}}, act, CertificateSuspended},
		{"latest entry not after t, out of order", []CertificateStatus{
			{Status: CertificateActive, Since: day(-2)},
			{Status: CertificateRevoked, Since: day(2)},
			{Status: CertificateSuspended, Since: day(-5)},
		}, act, CertificateActive},
		{"same since, last in the slice wins", []CertificateStatus{
			{Status: CertificateSuspended, Since: day(-1)},
			{Status: CertificateRevoked, Since: day(-1)},
		}, act, CertificateRevoked},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := Certificate{Status: tt.history}
			if got := c.StatusAt(tt.at); got != tt.want {
				t.Errorf("StatusAt = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCertificate_ValidAt(t *testing.T) {
	c := cert("CG-1", validFrom(act), validTo(act.Add(time.Hour)), status(CertificateSuspended, act.Add(30*time.Minute)))
	tests := []struct {
		name string
		at   time.Time
		want bool
	}{
		{"just before valid_from", act.Add(-time.Nanosecond), false},
		{"at valid_from", act, true},
		{"suspended", act.Add(30 * time.Minute), false},
		{"at valid_to", act.Add(time.Hour), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := c.ValidAt(tt.at); got != tt.want {
				t.Errorf("ValidAt(%v) = %v, want %v", tt.at, got, tt.want)
			}
		})
	}
	if (Certificate{Number: "X", ValidFrom: act.AddDate(-1, 0, 0)}).ValidAt(act) {
		t.Error("a certificate without valid_to is valid")
	}
}

func personIDs(crew []CrewMember) []string {
	out := make([]string, len(crew))
	for i, m := range crew {
		out[i] = m.PersonID
	}
	return out
}
