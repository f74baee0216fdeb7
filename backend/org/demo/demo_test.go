package demo

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/authority"
	"github.com/whistle/whistle/backend/clock/clocktest"
	"github.com/whistle/whistle/backend/org"
)

// today is the day the tests load the demo, from the suite's clock.
func today(t *testing.T) time.Time { return clocktest.Clock(t).Today() }

// asOf returns the moment that a date of demo.json's story (written as of
// Anchor) is when the demo is loaded today.
func asOf(t *testing.T, date string) time.Time {
	t.Helper()
	d, err := time.Parse(time.DateOnly, date)
	if err != nil {
		t.Fatal(err)
	}
	return d.Add(Shift(today(t)))
}

func load(t *testing.T) (org.Dataset, time.Time) {
	t.Helper()
	ds, err := Dataset(today(t))
	if err != nil {
		t.Fatal(err)
	}
	// The "now" of the checks: three days after the anchor, after the
	// suspension of 2026-10-15 and the expiry of 2026-11-20.
	return ds, asOf(t, "2026-11-27")
}

// TestDataset_MovesEveryDate checks that Dataset moves every date of the data
// set (found by walking its types, so a new date field cannot be missed) by
// the days from Anchor to the day it is loaded, and only dates.
func TestDataset_MovesEveryDate(t *testing.T) {
	base, err := decode()
	if err != nil {
		t.Fatal(err)
	}
	for _, days := range []int{0, 1, 548, -30} {
		moved, err := Dataset(Anchor.AddDate(0, 0, days).Add(15 * time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		want := time.Duration(days) * 24 * time.Hour
		n := 0
		var walk func(path string, a, b reflect.Value)
		walk = func(path string, a, b reflect.Value) {
			if a.Type() == reflect.TypeFor[time.Time]() {
				n++
				if got := b.Interface().(time.Time).Sub(a.Interface().(time.Time)); got != want {
					t.Errorf("%+dd: %s moved by %s, want %s", days, path, got, want)
				}
				return
			}
			switch a.Kind() {
			case reflect.Pointer:
				if !a.IsNil() {
					walk(path, a.Elem(), b.Elem())
				}
			case reflect.Slice:
				for i := range a.Len() {
					walk(fmt.Sprintf("%s[%d]", path, i), a.Index(i), b.Index(i))
				}
			case reflect.Struct:
				for i := range a.NumField() {
					walk(path+"."+a.Type().Field(i).Name, a.Field(i), b.Field(i))
				}
			default:
				if !reflect.DeepEqual(a.Interface(), b.Interface()) {
					t.Errorf("%+dd: %s changed from %v to %v", days, path, a, b)
				}
			}
		}
		walk("Dataset", reflect.ValueOf(base), reflect.ValueOf(moved))
		if n < 100 {
			t.Errorf("found %d dates in the data set, want over 100", n)
		}
	}
}

// authCert converts a stored certificate for the authority engine.
func authCert(c org.Certificate) authority.Certificate {
	return authority.Certificate{
		Number:            c.Number,
		HolderID:          c.OfficerCode,
		IssuingDepartment: c.IssuingDepartmentCode,
		ValidFrom:         c.ValidFrom,
		ValidTo:           c.ValidTo,
		Status:            c.Status,
	}
}

// activeTeam returns the membership of o active at t, if any.
func activeTeam(o org.Officer, t time.Time) (org.Membership, bool) {
	for _, m := range o.Memberships {
		if m.ActiveAt(t) {
			return m, true
		}
	}
	return org.Membership{}, false
}

func TestDecodesAndPassesCheck(t *testing.T) {
	ds, _ := load(t)
	rep := org.Check(ds)
	for _, re := range rep.Rejected {
		t.Errorf("org.Check rejects %s row %d (%s) %s: %s", re.Section, re.Row, re.Key, re.Field, re.Reason)
	}
	// A second call gives an independent copy.
	ds.Departments[0].Code = "changed"
	if again, _ := load(t); again.Departments[0].Code == "changed" {
		t.Error("Dataset shares state between calls")
	}
}

func TestPlaces(t *testing.T) {
	ds, _ := load(t)
	if len(ds.Districts) != 1 {
		t.Fatalf("districts = %d, want 1", len(ds.Districts))
	}
	district := ds.Districts[0].Code
	if len(ds.Streets) != 2 {
		t.Fatalf("streets = %d, want 2", len(ds.Streets))
	}
	streets := map[string]bool{}
	for _, s := range ds.Streets {
		if s.DistrictCode != district {
			t.Errorf("street %s: district %q, want %q", s.Code, s.DistrictCode, district)
		}
		streets[s.Code] = true
	}
	perStreet := map[string]int{}
	for _, c := range ds.Communities {
		if !streets[c.StreetCode] {
			t.Errorf("community %s: unknown street %q", c.Code, c.StreetCode)
		}
		perStreet[c.StreetCode]++
	}
	gridStreet := map[string]int{}
	gridDistrict := 0
	for _, g := range ds.GridCenters {
		if g.DistrictCode != district {
			t.Errorf("grid center %s: district %q", g.Code, g.DistrictCode)
		}
		switch g.Level {
		case org.GridDistrict:
			gridDistrict++
		case org.GridStreet:
			if !streets[g.StreetCode] {
				t.Errorf("grid center %s: unknown street %q", g.Code, g.StreetCode)
			}
			gridStreet[g.StreetCode]++
		default:
			t.Errorf("grid center %s: level %q", g.Code, g.Level)
		}
	}
	if gridDistrict != 1 {
		t.Errorf("district grid centers = %d, want 1", gridDistrict)
	}
	teams := map[string]int{}
	for _, tm := range ds.Teams {
		if !streets[tm.StreetCode] {
			t.Errorf("team %s: unknown street %q", tm.Code, tm.StreetCode)
		}
		teams[tm.StreetCode]++
	}
	for s := range streets {
		if perStreet[s] != 3 {
			t.Errorf("street %s: %d communities, want 3", s, perStreet[s])
		}
		if gridStreet[s] != 1 {
			t.Errorf("street %s: %d grid centers, want 1", s, gridStreet[s])
		}
		if teams[s] != 1 {
			t.Errorf("street %s: %d teams, want 1", s, teams[s])
		}
	}
}

func TestDepartments(t *testing.T) {
	ds, _ := load(t)
	if len(ds.Departments) != 26 {
		t.Errorf("departments = %d, want 26", len(ds.Departments))
	}
	kinds := map[authority.DepartmentKind]int{}
	byCode := map[string]org.Department{}
	for _, d := range ds.Departments {
		if _, dup := byCode[d.Code]; dup {
			t.Errorf("department %s twice", d.Code)
		}
		byCode[d.Code] = d
		kinds[d.Kind]++
		if d.NameZH == "" || d.NameEN == "" {
			t.Errorf("department %s: missing name", d.Code)
		}
	}
	want := map[authority.DepartmentKind]int{authority.KindSquad: 1, authority.KindResident: 5, authority.KindListed: 20}
	for k, n := range want {
		if kinds[k] != n {
			t.Errorf("%s departments = %d, want %d", k, kinds[k], n)
		}
	}
	if byCode["cg"].Kind != authority.KindSquad {
		t.Errorf("cg kind = %q, want squad", byCode["cg"].Kind)
	}
	for _, c := range []string{"ga", "sj", "sy", "jt", "xf"} {
		if byCode[c].Kind != authority.KindResident {
			t.Errorf("%s kind = %q, want resident", c, byCode[c].Kind)
		}
	}
}

func TestTeams(t *testing.T) {
	ds, at := load(t)
	deps := map[string]bool{}
	for _, d := range ds.Departments {
		deps[d.Code] = true
	}
	teamStreet := map[string]string{}
	for _, tm := range ds.Teams {
		teamStreet[tm.Code] = tm.StreetCode
	}

	type tally struct {
		byDept           map[string]int // non-auxiliary members
		aux              int
		leaders, deputys []org.Officer
	}
	teams := map[string]*tally{}
	for code := range teamStreet {
		teams[code] = &tally{byDept: map[string]int{}}
	}
	moved := 0
	for _, o := range ds.Officers {
		if !deps[o.DepartmentCode] {
			t.Errorf("officer %s: unknown department %q", o.Code, o.DepartmentCode)
		}
		if o.NameZH == "" || o.Phone == "" {
			t.Errorf("officer %s: missing name or phone", o.Code)
		}
		if o.Auxiliary != (o.AuxiliaryRole != "") {
			t.Errorf("officer %s: auxiliary %v with auxiliary_role %q", o.Code, o.Auxiliary, o.AuxiliaryRole)
		}
		if len(o.Memberships) == 0 {
			t.Errorf("officer %s: no membership", o.Code)
		}
		for i, m := range o.Memberships {
			if _, ok := teamStreet[m.TeamCode]; !ok {
				t.Errorf("officer %s: unknown team %q", o.Code, m.TeamCode)
			}
			// One team at a time: memberships follow one another.
			if i > 0 {
				prev := o.Memberships[i-1]
				if prev.To == nil || m.From.Before(*prev.To) {
					t.Errorf("officer %s: membership %d overlaps the one before", o.Code, i)
				}
			}
		}
		if len(o.Memberships) == 2 && o.Memberships[0].TeamCode != o.Memberships[1].TeamCode {
			moved++
		}
		m, ok := activeTeam(o, at)
		if !ok {
			t.Errorf("officer %s: no membership active at %s", o.Code, at.Format(time.DateOnly))
			continue
		}
		tl := teams[m.TeamCode]
		if tl == nil {
			continue
		}
		if o.Auxiliary {
			tl.aux++
		} else {
			tl.byDept[o.DepartmentCode]++
		}
		switch m.Position {
		case org.PositionLeader:
			tl.leaders = append(tl.leaders, o)
		case org.PositionDeputyLeader:
			tl.deputys = append(tl.deputys, o)
		}
	}
	if moved != 1 {
		t.Errorf("officers who moved between teams = %d, want 1", moved)
	}

	for code, tl := range teams {
		if tl.byDept["cg"] < 6 {
			t.Errorf("%s: %d urban-management officers, want at least 6", code, tl.byDept["cg"])
		}
		for dep, n := range map[string]int{"ga": 2, "sj": 2, "sy": 1, "jt": 1, "xf": 2} {
			if tl.byDept[dep] != n {
				t.Errorf("%s: %d officers of %s, want %d", code, tl.byDept[dep], dep, n)
			}
		}
		for dep := range tl.byDept {
			if !slices.Contains([]string{"cg", "ga", "sj", "sy", "jt", "xf"}, dep) {
				t.Errorf("%s: officer of listed department %s in the team", code, dep)
			}
		}
		if tl.aux < 4 {
			t.Errorf("%s: %d auxiliary staff, want at least 4", code, tl.aux)
		}
		if len(tl.leaders) != 1 {
			t.Errorf("%s: %d leaders, want 1", code, len(tl.leaders))
		} else if l := tl.leaders[0]; l.Auxiliary || l.DepartmentCode != "cg" {
			t.Errorf("%s: leader %s is not an urban-management officer", code, l.Code)
		}
		if len(tl.deputys) != 2 {
			t.Errorf("%s: %d deputy leaders, want 2", code, len(tl.deputys))
		} else {
			var deps []string
			for _, d := range tl.deputys {
				deps = append(deps, d.DepartmentCode)
			}
			slices.Sort(deps)
			if !slices.Equal(deps, []string{"cg", "ga"}) {
				t.Errorf("%s: deputy leaders from %v, want the squad leader and the police deputy head", code, deps)
			}
		}
	}
}

func TestCertificates(t *testing.T) {
	ds, at := load(t)
	officers := map[string]org.Officer{}
	for _, o := range ds.Officers {
		officers[o.Code] = o
	}
	numbers := map[string]bool{}
	held := map[string]int{}
	expired, suspended, reinstated, recent := 0, 0, 0, 0
	for _, c := range ds.Certificates {
		if numbers[c.Number] {
			t.Errorf("certificate number %s twice", c.Number)
		}
		numbers[c.Number] = true
		o, ok := officers[c.OfficerCode]
		if !ok {
			t.Errorf("certificate %s: unknown officer %q", c.Number, c.OfficerCode)
			continue
		}
		if o.Auxiliary {
			t.Errorf("certificate %s: held by auxiliary %s", c.Number, o.Code)
		}
		if c.IssuingDepartmentCode != o.DepartmentCode {
			t.Errorf("certificate %s: issued by %s, officer of %s", c.Number, c.IssuingDepartmentCode, o.DepartmentCode)
		}
		held[c.OfficerCode]++

		ac := authCert(c)
		if !c.ValidTo.After(at) {
			expired++
			if c.ValidTo.After(at.AddDate(0, -1, 0)) && ac.ValidAt(c.ValidTo.Add(-time.Hour)) {
				recent++ // valid at an act shortly before, expired now
			}
		}
		if ac.StatusAt(at) == authority.CertificateSuspended {
			suspended++
		}
		wasSuspended := slices.ContainsFunc(c.Status, func(s authority.CertificateStatus) bool {
			return s.Status == authority.CertificateSuspended
		})
		if wasSuspended && ac.StatusAt(at) == authority.CertificateActive {
			reinstated++
		}
	}
	for _, o := range ds.Officers {
		if !o.Auxiliary && held[o.Code] == 0 {
			t.Errorf("officer %s has no certificate", o.Code)
		}
	}
	if expired < 2 {
		t.Errorf("certificates expired by %s = %d, want at least 2", at.Format(time.DateOnly), expired)
	}
	if recent < 1 {
		t.Errorf("no certificate valid within the last month but expired now")
	}
	if suspended != 1 {
		t.Errorf("certificates suspended at %s = %d, want exactly 1", at.Format(time.DateOnly), suspended)
	}
	if reinstated < 1 {
		t.Errorf("no certificate suspended and then reinstated")
	}
}

func TestMatters(t *testing.T) {
	ds, _ := load(t)
	deps := map[string]authority.DepartmentKind{}
	for _, d := range ds.Departments {
		deps[d.Code] = d.Kind
	}
	byCode := map[string][]org.Matter{}
	kinds := map[authority.DepartmentKind]map[string]bool{}
	for _, m := range ds.Matters {
		key := m.Code
		byCode[key] = append(byCode[key], m)
		kind, ok := deps[m.DepartmentCode]
		if !ok {
			t.Errorf("matter %s: unknown department %q", key, m.DepartmentCode)
		}
		if kinds[kind] == nil {
			kinds[kind] = map[string]bool{}
		}
		kinds[kind][m.DepartmentCode] = true
		if m.NameZH == "" || m.NameEN == "" || m.LegalBasis == "" {
			t.Errorf("matter %s v%d: missing name or legal basis", key, m.Version)
		}
		if !strings.Contains(m.LegalBasis, "《") {
			t.Errorf("matter %s v%d: legal basis cites no statute: %q", key, m.Version, m.LegalBasis)
		}
		if len(m.Measures) == 0 {
			t.Errorf("matter %s v%d: no measures", key, m.Version)
		}
		fine := slices.Contains(m.Measures, authority.MeasureFineSimple)
		if fine != (m.FineMaxPerson > 0 || m.FineMaxOrg > 0) {
			t.Errorf("matter %s v%d: fine_simple %v but ceilings %d/%d", key, m.Version, fine, m.FineMaxPerson, m.FineMaxOrg)
		}
		if m.FineMaxPerson > 200 || m.FineMaxOrg > 3000 {
			t.Errorf("matter %s v%d: ceilings %d/%d exceed the simple procedure", key, m.Version, m.FineMaxPerson, m.FineMaxOrg)
		}
		if !slices.Contains([]org.WhistleType{org.WhistleEmergency, org.WhistleKey, org.WhistleRegular}, m.DefaultWhistle) {
			t.Errorf("matter %s v%d: default whistle %q", key, m.Version, m.DefaultWhistle)
		}
	}
	if len(byCode) < 36 {
		t.Errorf("matters = %d, want at least 36", len(byCode))
	}
	if len(kinds[authority.KindSquad]) != 1 || len(kinds[authority.KindResident]) != 5 || len(kinds[authority.KindListed]) < 3 {
		t.Errorf("matters cover %d squad, %d resident and %d listed departments; want 1, 5 and several",
			len(kinds[authority.KindSquad]), len(kinds[authority.KindResident]), len(kinds[authority.KindListed]))
	}

	law2021 := asOf(t, "2021-07-15")
	versioned := 0
	for code, vs := range byCode {
		slices.SortFunc(vs, func(a, b org.Matter) int { return a.Version - b.Version })
		if !vs[0].ValidFrom.Equal(law2021) {
			t.Errorf("matter %s: first version from %s, want 2021-07-15", code, vs[0].ValidFrom.Format(time.DateOnly))
		}
		for i, v := range vs {
			if v.Version != i+1 {
				t.Errorf("matter %s: versions %d.. not numbered 1, 2, ...", code, v.Version)
			}
			if i == len(vs)-1 {
				if v.ValidTo != nil {
					t.Errorf("matter %s: the last version v%d is closed", code, v.Version)
				}
				continue
			}
			if v.ValidTo == nil || !v.ValidTo.Equal(vs[i+1].ValidFrom) || !v.ValidTo.After(v.ValidFrom) {
				t.Errorf("matter %s: v%d does not end where v%d starts", code, v.Version, vs[i+1].Version)
			}
		}
		if len(vs) > 1 {
			versioned++
		}
	}
	if versioned < 2 {
		t.Errorf("matters with a second version = %d, want at least 2", versioned)
	}
}

func TestPolicies(t *testing.T) {
	ds, _ := load(t)
	deps := map[string]authority.DepartmentKind{}
	for _, d := range ds.Departments {
		deps[d.Code] = d.Kind
	}
	has := map[string]bool{}
	refused := 0
	for _, p := range ds.Policies {
		if _, ok := deps[p.DepartmentCode]; !ok {
			t.Errorf("policy: unknown department %q", p.DepartmentCode)
		}
		if p.Department != p.DepartmentCode {
			t.Errorf("policy %s: department %q differs from department_code", p.DepartmentCode, p.Department)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("policy %s: %v", p.DepartmentCode, err)
		}
		if !p.SecondInspectorFromOtherResident {
			refused++
		}
		has[p.DepartmentCode] = true
	}
	for code, kind := range deps {
		if (kind == authority.KindSquad || kind == authority.KindResident) && !has[code] {
			t.Errorf("department %s (%s) has no policy", code, kind)
		}
	}
	if refused == 0 {
		t.Error("no department refuses a second inspector of another department")
	}
}

// TestEveryTier checks that the data can show every procedure tier: for each
// street, the whole team at the scene decides the enforcement procedure for
// some matter and the on-site inspection procedure for another; a crew
// without the competent department gives the on-site investigation procedure;
// a listed department's matter gives record-and-refer.
func TestEveryTier(t *testing.T) {
	ds, at := load(t)
	kinds := map[string]authority.DepartmentKind{}
	for _, d := range ds.Departments {
		kinds[d.Code] = d.Kind
	}
	certs := map[string]authority.Certificate{}
	for _, c := range ds.Certificates {
		certs[c.OfficerCode] = authCert(c)
	}
	policies := map[string]authority.Policy{}
	for _, p := range ds.Policies {
		policies[p.DepartmentCode] = p.Policy
	}
	current := map[string]org.Matter{} // code -> version in force at `at`
	for _, m := range ds.Matters {
		if !m.ValidFrom.After(at) && (m.ValidTo == nil || at.Before(*m.ValidTo)) {
			current[m.Code] = m
		}
	}
	matter := func(m org.Matter) authority.Matter {
		return authority.Matter{Code: m.Code, CompetentDepartment: m.DepartmentCode, CompetentKind: kinds[m.DepartmentCode], Measures: m.Measures}
	}

	for _, tm := range ds.Teams {
		var crew []authority.CrewMember
		for _, o := range ds.Officers {
			if m, ok := activeTeam(o, at); !ok || m.TeamCode != tm.Code {
				continue
			}
			cm := authority.CrewMember{PersonID: o.Code, Auxiliary: o.Auxiliary, Department: o.DepartmentCode,
				DepartmentKind: kinds[o.DepartmentCode], CheckedInAt: at.Add(-time.Hour)}
			if c, ok := certs[o.Code]; ok {
				cm.Certificate = &c
			}
			crew = append(crew, cm)
		}
		tiers := map[authority.Tier][]string{}
		for code, m := range current {
			d := authority.Decide(authority.Input{Matter: matter(m), Crew: crew, At: at, Policies: policies})
			tiers[d.Tier] = append(tiers[d.Tier], code)
		}
		for _, tier := range []authority.Tier{authority.TierEnforcement, authority.TierOnsiteInspection, authority.TierRefer} {
			slices.Sort(tiers[tier])
			t.Logf("%s, whole team at %s: %s for %v", tm.Code, at.Format(time.DateOnly), tier, tiers[tier])
			if len(tiers[tier]) == 0 {
				t.Errorf("%s: no matter gives the %s tier with the whole team present", tm.Code, tier)
			}
		}
		// Without the fire officers, a fire matter can only be investigated.
		var noFire []authority.CrewMember
		for _, c := range crew {
			if c.Department != "xf" {
				noFire = append(noFire, c)
			}
		}
		d := authority.Decide(authority.Input{Matter: matter(current["XF-001"]), Crew: noFire, At: at, Policies: policies})
		if d.Tier != authority.TierOnsiteInvestigation {
			t.Errorf("%s: XF-001 without fire officers gives %s, want onsite_investigation", tm.Code, d.Tier)
		}
	}
}

func TestLogins(t *testing.T) {
	ds, at := load(t)
	officers := map[string]org.Officer{}
	for _, o := range ds.Officers {
		officers[o.Code] = o
	}
	streets, communities, deps := map[string]bool{}, map[string]bool{}, map[string]bool{}
	for _, s := range ds.Streets {
		streets[s.Code] = true
	}
	for _, c := range ds.Communities {
		communities[c.Code] = true
	}
	for _, d := range ds.Departments {
		deps[d.Code] = true
	}
	teamStreet := map[string]string{}
	for _, tm := range ds.Teams {
		teamStreet[tm.Code] = tm.StreetCode
	}

	roles := map[org.Role]int{}
	names := map[string]bool{}
	for _, l := range ds.Logins {
		if names[l.Username] {
			t.Errorf("login %s twice", l.Username)
		}
		names[l.Username] = true
		roles[l.Role]++
		if l.Password != Password {
			t.Errorf("login %s: password is not the demo password", l.Username)
		}
		if l.DisplayName == "" {
			t.Errorf("login %s: no display name", l.Username)
		}
		if l.OfficerCode != "" {
			o, ok := officers[l.OfficerCode]
			switch {
			case !ok:
				t.Errorf("login %s: unknown officer %q", l.Username, l.OfficerCode)
			case o.Auxiliary:
				t.Errorf("login %s: officer %s is auxiliary staff", l.Username, o.Code)
			default:
				m, active := activeTeam(o, at)
				if !active || teamStreet[m.TeamCode] != l.StreetCode {
					t.Errorf("login %s: officer %s is not in the team of street %s", l.Username, o.Code, l.StreetCode)
				}
				if l.Role == "team_leader" && m.Position != org.PositionLeader {
					t.Errorf("login %s: officer %s is %s, not the team leader", l.Username, o.Code, m.Position)
				}
			}
		}
		if l.StreetCode != "" && !streets[l.StreetCode] {
			t.Errorf("login %s: unknown street %q", l.Username, l.StreetCode)
		}
		if l.CommunityCode != "" && !communities[l.CommunityCode] {
			t.Errorf("login %s: unknown community %q", l.Username, l.CommunityCode)
		}
		if l.DepartmentCode != "" && !deps[l.DepartmentCode] {
			t.Errorf("login %s: unknown department %q", l.Username, l.DepartmentCode)
		}
		var missing bool
		switch l.Role {
		case "officer", "team_leader":
			missing = l.OfficerCode == "" || l.StreetCode == ""
		case "grid_operator":
			missing = l.StreetCode == ""
		case "community":
			missing = l.CommunityCode == ""
		case "dept_reviewer":
			missing = l.DepartmentCode == ""
		}
		if missing {
			t.Errorf("login %s: role %s without its scope", l.Username, l.Role)
		}
	}
	for _, r := range []org.Role{"officer", "team_leader", "dept_reviewer", "grid_operator", "community", "admin"} {
		if roles[r] == 0 {
			t.Errorf("no login with role %s", r)
		}
	}
}

func TestStrictDecoding(t *testing.T) {
	orig := demoJSON
	t.Cleanup(func() { demoJSON = orig })
	for name, data := range map[string]string{
		"unknown field": `{"districts": [{"code": "dc", "name_zh": "东城区", "name_en": "Dongcheng", "area_km2": 41.8}]}`,
		"trailing data": `{"districts": []} {}`,
		"wrong type":    `{"streets": [{"code": 7}]}`,
	} {
		demoJSON = []byte(data)
		if _, err := decode(); err == nil {
			t.Errorf("%s: decode() accepted %s", name, data)
		}
	}
	demoJSON = []byte(`{"districts": []}`)
	if _, err := decode(); err != nil {
		t.Errorf("a well-formed data set: %v", err)
	}
}

func TestStory_Text(t *testing.T) {
	s := StoryOn(Anchor.AddDate(0, 0, 10).Add(23 * time.Hour))
	for _, tt := range []struct{ in, want string }{
		{`{"from":"2026-01-01T00:00:00Z"}`, `{"from":"2026-01-11T00:00:00Z"}`},
		{"b-cg-99,新队员,cg,false,,13900009999,team-st-b,member,2026-12-25,\n", "b-cg-99,新队员,cg,false,,13900009999,team-st-b,member,2027-01-04,\n"},
		{"2026-11-10T15:00:00.120+08:00", "2026-11-20T15:00:00.120+08:00"},
		{"2026-02-30", "2026-02-30"},
		{"京执字110101-0200", "京执字110101-0200"},
	} {
		if got := s.Text(tt.in); got != tt.want {
			t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	if got, want := s.At("2026-11-20"), time.Date(2026, 11, 30, 0, 0, 0, 0, time.UTC); !got.Equal(want) {
		t.Errorf("At = %s, want %s", got, want)
	}
}
