package inspection

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/org"
)

func TestCalendar_Deadline(t *testing.T) {
	cal := DefaultCalendar()
	tests := []struct {
		name string
		act  time.Time
		days int
		want string // local date of the deadline
	}{
		// 2026-09-01 + 30 = 2026-10-01, National Day: the period ends on
		// the first working day after the holiday (2026-10-08).
		{"AcrossNationalDay", time.Date(2026, 9, 1, 15, 0, 0, 0, cst), 30, "2026-10-08"},
		// 2026-10-10 is a Saturday worked in exchange: a period may end on it.
		{"OnAWorkedSaturday", time.Date(2026, 9, 10, 9, 0, 0, 0, cst), 30, "2026-10-10"},
		// An ordinary weekend moves to Monday: 2026-11-01 + 30 = 2026-12-01 (Tuesday).
		{"OrdinaryWeekday", time.Date(2026, 11, 1, 9, 0, 0, 0, cst), 30, "2026-12-01"},
		{"Weekend", time.Date(2026, 11, 6, 9, 0, 0, 0, cst), 30, "2026-12-07"},
		// Late evening UTC is the next day in Beijing.
		{"LocalDay", time.Date(2026, 10, 31, 17, 0, 0, 0, time.UTC), 30, "2026-12-01"},
		{"Extension", time.Date(2026, 9, 1, 15, 0, 0, 0, cst), 60, "2026-11-02"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := cal.Deadline(tt.act, tt.days).In(cst)
			if got.Format(time.DateOnly) != tt.want || got.Hour() != 23 {
				t.Fatalf("Deadline = %s, want end of %s", got, tt.want)
			}
		})
	}
}

// facts builds the data of an assessment of r, as org.ReadAuthorityFacts
// would read them: squad and market-regulation officers with certificates
// valid in 2026, and the auxiliaries.
func facts(r Record, matters ...org.MatterInForce) Facts {
	members := map[string]org.Member{}
	officer := func(code, dept string, kind authority.DepartmentKind, aux bool) {
		m := org.Member{Officer: org.Officer{Code: code, DepartmentCode: dept, Auxiliary: aux}, DepartmentKind: kind}
		if !aux {
			m.Certificates = []org.Certificate{{Number: "C-" + code, OfficerCode: code, IssuingDepartmentCode: dept,
				ValidFrom: time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC), ValidTo: time.Date(2028, 1, 1, 0, 0, 0, 0, time.UTC)}}
		}
		members[code] = m
	}
	officer("cg1", "cg", authority.KindSquad, false)
	officer("sj1", "sj", authority.KindResident, false)
	officer("sj2", "sj", authority.KindResident, false)
	officer("aux", "cg", authority.KindSquad, true)
	f := org.AuthorityFacts{At: r.ActAt(),
		Policies: map[string]authority.Policy{"sj": {Department: "sj", SecondInspectorFromOtherResident: true, SecondInspectorLegalBasis: "区授权", MixedCrewSeizureReview: true}}}
	for _, code := range r.MatterCodes {
		mf := org.MatterFact{Code: code}
		if i := slices.IndexFunc(matters, func(m org.MatterInForce) bool { return m.Code == code }); i >= 0 {
			mf.InForce, mf.Matter = true, matters[i]
		}
		f.Matters = append(f.Matters, mf)
	}
	for _, c := range r.Crew {
		m, ok := members[c.OfficerCode]
		f.Crew = append(f.Crew, org.CrewFact{CheckIn: org.CheckIn{OfficerCode: c.OfficerCode, CheckedInAt: c.CheckedInAt}, Known: ok, Member: m})
	}
	return Facts{Authority: f, Calendar: DefaultCalendar()}
}

var sjMatter = org.MatterInForce{Matter: org.Matter{Code: "SJ-1", Version: 1, DepartmentCode: "sj",
	Measures: []authority.Measure{"warning", "fine_simple", "seizure"}, FineMaxOrg: 3000}, DepartmentKind: authority.KindResident}

func record(crew []string, measures ...Measure) Record {
	act := time.Date(2026, 11, 10, 2, 0, 0, 0, time.UTC)
	r := Record{ID: "00000000-0000-4000-8000-000000000001", TeamCode: "t", MatterCodes: []string{"SJ-1"},
		StartedAt: DeviceTime{Wall: act}, Measures: measures, Party: &Party{Kind: PartyOrganisation, Name: "店"},
		Signatures: Signatures{Party: &PartySignature{EvidenceID: "x"}}}
	for _, c := range crew {
		r.Crew = append(r.Crew, CrewCheckIn{OfficerCode: c, CheckedInAt: act.Add(-time.Minute)})
	}
	return r
}

func codes(a Assessment) string {
	var out []string
	for _, e := range a.Exceptions {
		out = append(out, e.Code)
	}
	return strings.Join(out, ",")
}

func TestAssess_Tiers(t *testing.T) {
	warning := Measure{Kind: "warning", MatterCode: "SJ-1"}
	fine := Measure{Kind: "fine_simple", MatterCode: "SJ-1", Fine: &Fine{AmountYuan: 500, FormNumber: "F1"}}
	seizure := func() Measure {
		return Measure{Kind: "seizure", MatterCode: "SJ-1", Seizure: &Seizure{Items: []SeizedItem{{Name: "假冒商品", Quantity: 3, Unit: "件"}}, CustodyPlace: "执法队仓库"}}
	}
	summons := Measure{Kind: "summons", MatterCode: "SJ-1", Summons: &Summons{At: time.Now(), Place: "执法队"}}
	tests := []struct {
		name     string
		crew     []string
		measures []Measure
		tier     authority.Tier
		want     string
	}{
		{"EnforcementAllowsFine", []string{"sj1", "sj2"}, []Measure{fine, warning}, authority.TierEnforcement, ""},
		{"EnforcementAllowsSeizure", []string{"sj1", "sj2"}, []Measure{seizure()}, authority.TierEnforcement, ""},
		{"InspectionForbidsFine", []string{"sj1", "aux"}, []Measure{fine}, authority.TierOnsiteInspection, "MEASURE_BEYOND_TIER"},
		{"InspectionAllowsSeizureWithSecondInspector", []string{"sj1", "cg1"}, []Measure{seizure()}, authority.TierOnsiteInspection, "MIXED_CREW_SEIZURE_REVIEW"},
		{"InspectionSeizureWithoutSecondInspector", []string{"sj1", "aux"}, []Measure{seizure()}, authority.TierOnsiteInspection, "SEIZURE_WITHOUT_SECOND_INSPECTOR"},
		{"InvestigationAllowsSummons", []string{"cg1", "aux"}, []Measure{summons}, authority.TierOnsiteInvestigation, ""},
		{"InvestigationForbidsWarning", []string{"cg1"}, []Measure{warning}, authority.TierOnsiteInvestigation, "MEASURE_BEYOND_TIER"},
		{"AuxiliaryNeverCounts", []string{"aux"}, []Measure{seizure()}, authority.TierOnsiteInvestigation, "MEASURE_BEYOND_TIER"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := record(tt.crew, tt.measures...)
			a := Assess(&r, facts(r, sjMatter))
			if a.Tier != tt.tier || codes(a) != tt.want {
				t.Fatalf("tier %s exceptions %q, want %s %q", a.Tier, codes(a), tt.tier, tt.want)
			}
		})
	}
}

func TestAssess_Rules(t *testing.T) {
	t.Run("FineCeilingPerson", func(t *testing.T) {
		r := record([]string{"sj1", "sj2"}, Measure{Kind: "fine_simple", MatterCode: "SJ-1", Fine: &Fine{AmountYuan: 201, FormNumber: "F"}})
		r.Party.Kind = PartyPerson
		if a := Assess(&r, facts(r, sjMatter)); codes(a) != ExFineAboveCeiling {
			t.Fatalf("a 201-yuan fine on a person: %q", codes(a))
		}
	})
	t.Run("FineCeilingOfTheMatter", func(t *testing.T) {
		m := sjMatter
		m.FineMaxOrg = 1000
		r := record([]string{"sj1", "sj2"}, Measure{Kind: "fine_simple", MatterCode: "SJ-1", Fine: &Fine{AmountYuan: 1500, FormNumber: "F"}})
		if a := Assess(&r, facts(r, m)); codes(a) != ExFineAboveCeiling {
			t.Fatalf("over the matter's ceiling: %q", codes(a))
		}
	})
	t.Run("MeasureNotInMatter", func(t *testing.T) {
		m := sjMatter
		m.Measures = []authority.Measure{"warning"}
		r := record([]string{"sj1", "sj2"}, Measure{Kind: "seizure", MatterCode: "SJ-1", Seizure: &Seizure{Items: []SeizedItem{{Name: "x", Quantity: 1, Unit: "件"}}, CustodyPlace: "p"}})
		if a := Assess(&r, facts(r, m)); !strings.HasPrefix(codes(a), ExMeasureNotInMatter) {
			t.Fatalf("a seizure the matter does not allow: %q", codes(a))
		}
	})
	t.Run("SeizureUnsignedAndDeadline", func(t *testing.T) {
		r := record([]string{"sj1", "sj2"}, Measure{Kind: "seizure", MatterCode: "SJ-1", Seizure: &Seizure{Items: []SeizedItem{{Name: "x", Quantity: 1, Unit: "件"}}, CustodyPlace: "p"}})
		r.Signatures.Party = &PartySignature{Refused: true} // refused, but no witness
		a := Assess(&r, facts(r, sjMatter))
		if codes(a) != ExSeizureUnsigned {
			t.Fatalf("refused without a witness: %q", codes(a))
		}
		if d := r.Measures[0].Seizure.Deadline; d.IsZero() || d.Before(r.ActAt().AddDate(0, 0, 30)) {
			t.Fatalf("seizure deadline %s", d)
		}
	})
	t.Run("PhoneTierDiffers", func(t *testing.T) {
		r := record([]string{"sj1"})
		r.PhoneTier = authority.TierEnforcement
		if a := Assess(&r, facts(r, sjMatter)); codes(a) != ExTierDiffers {
			t.Fatalf("phone said enforcement with one holder: %q", codes(a))
		}
	})
}

func TestValidate(t *testing.T) {
	ok := record([]string{"sj1"})
	ok.Location = Location{Lat: 39.9, Lon: 116.4}
	if err := Validate(ok); err != nil {
		t.Fatalf("valid record refused: %v", err)
	}
	bad := ok
	bad.ID = "not-a-uuid"
	bad.Location.Lat = 91
	bad.Crew = nil
	bad.Measures = []Measure{{Kind: "fine_simple", MatterCode: "OTHER"}}
	err := Validate(bad)
	var fields []string
	if de, isDE := err.(*derrors.Error); isDE {
		for _, f := range de.Fields {
			fields = append(fields, f.Field)
		}
	}
	for _, want := range []string{"/id", "/location/lat", "/crew", "/measures/0/matter_code", "/measures/0/fine"} {
		if !slices.Contains(fields, want) {
			t.Errorf("Validate does not name %s (named %v)", want, fields)
		}
	}
}

func TestDiff(t *testing.T) {
	a := record([]string{"sj1"})
	b := record([]string{"sj1", "sj2"})
	b.Findings = "补充"
	changes, err := Diff(a, b)
	if err != nil {
		t.Fatal(err)
	}
	var fields []string
	for _, c := range changes {
		fields = append(fields, c.Field)
	}
	if strings.Join(fields, ",") != "/crew/1/checked_in_at,/crew/1/officer_code,/findings" {
		t.Fatalf("diff = %v", fields)
	}
	if none, _ := Diff(a, a); len(none) != 0 {
		t.Fatalf("a record differs from itself: %v", none)
	}
}

func TestMask(t *testing.T) {
	st := State{Record: record(nil)}
	st.Record.Party = &Party{Kind: PartyPerson, Name: "张三", IDNumber: "110101199001011234", Phone: "13912345678", Address: "某路 1 号"}
	m := Mask(st)
	p := m.Record.Party
	if !m.Masked || p.IDNumber != "110***********1234" || p.Phone != "139****5678" || p.Address != "***" || p.Name != "张*" {
		t.Fatalf("masked party = %+v", p)
	}
	if st.Record.Party.IDNumber != "110101199001011234" || st.Record.Party.Name != "张三" {
		t.Fatal("Mask changed the original")
	}
	// An organisation's name and address are public.
	st.Record.Party = &Party{Kind: PartyOrganisation, Name: "南锣小吃店", Address: "南锣鼓巷 88 号"}
	if p := Mask(st).Record.Party; p.Name != "南锣小吃店" || p.Address != "南锣鼓巷 88 号" {
		t.Fatalf("masked organisation = %+v", p)
	}
}
