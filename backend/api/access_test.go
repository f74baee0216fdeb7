package api_test

import (
	"encoding/json"
	"net/http"
	neturl "net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/api/apitest"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// The access matrix of the read routes: every GET under /v1 of the contract,
// for one login of each role working in street A (st-a), on an object of
// street A ("own") and of street B ("other"). The expectations are written
// from the rules (street roles see their own street's roster and officers,
// community accounts only reference data, the sj department reviewer the sj
// officers with the phone masked, the administrator everything), not read
// from backend/access; every body that comes back is also searched for
// personal data the caller may not see.

// outcome is what a caller gets for one object.
type outcome int

const (
	visible   outcome = iota + 1 // 200 with the data in full
	masked                       // 200 with the phone number masked
	hidden                       // 404, as if the object did not exist
	forbidden                    // 403
)

func (o outcome) String() string {
	return map[outcome]string{visible: "200 visible", masked: "200 masked", hidden: "404 hidden", forbidden: "403"}[o]
}

// matrixCaller is one demo login of street A and the scope it must have,
// as the demo data set defines it.
type matrixCaller struct {
	login     string
	role      openapi.Role
	officer   string // the login's officer code
	street    string // the street the caller works in
	dept      string // for the department reviewer
	community string
}

// streetRole reports whether the caller sees the people of its own street.
func (c matrixCaller) streetRole() bool {
	return c.role == openapi.RoleOfficer || c.role == openapi.RoleTeamLeader || c.role == openapi.RoleGridOperator
}

var matrixCallers = []matrixCaller{
	{login: "officer.a", role: openapi.RoleOfficer, officer: "a-cg-03", street: "st-a"},
	{login: "leader.a", role: openapi.RoleTeamLeader, officer: "a-cg-01", street: "st-a"},
	{login: "grid.a", role: openapi.RoleGridOperator, street: "st-a"},
	{login: "community.a1", role: openapi.RoleCommunity, street: "st-a", community: "st-a-c1"},
	{login: "reviewer.sj", role: openapi.RoleDeptReviewer, dept: "sj"},
	{login: "admin", role: openapi.RoleAdmin},
}

// matrixObject is one URL of a read route with what each caller gets.
type matrixObject struct {
	name  string                                                                 // own, other, ...
	url   string                                                                 // concrete URL
	want  map[string]outcome                                                     // by login; every caller must have an entry
	check func(*matrixEnv, *testing.T, matrixCaller, *apitest.Response, outcome) // checks a 200 body
	// formerly are officers who may appear by name in the body though the
	// caller may not see them now (members of a past roster who have left
	// the street since): their phone numbers must still be masked.
	formerly []string
}

// matrixEnv is the demo data as the test knows it, to compute what a body may contain.
type matrixEnv struct {
	ds            org.Dataset
	now           time.Time
	officerStreet map[string]string // officer code -> street of their team now ("" if none)
	teamStreet    map[string]string
	loginOfficer  map[string]string // username -> officer code
	inspection    map[string]string // street -> id of an inspection recorded there (with party data)
	block         map[string]string // street -> id of a number block of an officer's device there
	evidence      map[string]string // street -> id of evidence its officer uploaded (see evidence_test.go)
	deadline      map[string]string // street -> id of a deadline of its team (see deadlines_test.go)
	cases         map[string]string // street -> id of a case its grid operator took in (see cases_test.go)
	reviews       map[string]string // street -> id of an evidence review of its case (see evidence_reviews_test.go)
	performance   map[string]string // street -> id of a manual performance event of its seconded officer (performance_test.go)
	whistles      map[string]string // street -> id of a whistle its grid operator raised, calling sj (whistles_test.go)
	story         demo.Story        // dates of the demo's story as loaded
}

func newMatrixEnv(t *testing.T, f *fixture) *matrixEnv {
	t.Helper()
	ds, err := demo.Dataset(f.now.Today())
	if err != nil {
		t.Fatal(err)
	}
	e := &matrixEnv{ds: ds, now: f.now().UTC(), story: f.story, officerStreet: map[string]string{}, teamStreet: map[string]string{},
		loginOfficer: map[string]string{}, inspection: map[string]string{}, block: map[string]string{}, cases: map[string]string{},
		reviews: map[string]string{}, performance: map[string]string{}, whistles: map[string]string{}}
	for _, l := range ds.Logins {
		e.loginOfficer[l.Username] = l.OfficerCode
	}
	for _, tm := range ds.Teams {
		e.teamStreet[tm.Code] = tm.StreetCode
	}
	for _, o := range ds.Officers {
		e.officerStreet[o.Code] = ""
		for _, m := range o.Memberships {
			if m.ActiveAt(e.now) {
				e.officerStreet[o.Code] = e.teamStreet[m.TeamCode]
			}
		}
	}
	return e
}

func (e *matrixEnv) officer(t *testing.T, code string) org.Officer {
	t.Helper()
	for _, o := range e.ds.Officers {
		if o.Code == code {
			return o
		}
	}
	t.Fatalf("no officer %s in the demo data", code)
	return org.Officer{}
}

// sees says how c may see officer o by the rules: in full, masked, or not at all.
func (e *matrixEnv) sees(c matrixCaller, o org.Officer) outcome {
	switch {
	case c.role == openapi.RoleAdmin:
		return visible
	case c.streetRole() && c.street != "" && e.officerStreet[o.Code] == c.street:
		return visible
	case c.role == openapi.RoleDeptReviewer && o.DepartmentCode == c.dept:
		return masked
	}
	return hidden
}

// expectOfficer is the expectation of every caller for officer code.
func (e *matrixEnv) expectOfficer(t *testing.T, code string) map[string]outcome {
	o := e.officer(t, code)
	want := map[string]outcome{}
	for _, c := range matrixCallers {
		want[c.login] = e.sees(c, o)
	}
	return want
}

// expectRoster is the expectation of every caller for the roster of team.
func (e *matrixEnv) expectRoster(team string) map[string]outcome {
	want := map[string]outcome{}
	for _, c := range matrixCallers {
		switch {
		case c.role == openapi.RoleAdmin:
			want[c.login] = visible
		case c.streetRole() && e.teamStreet[team] == c.street:
			want[c.login] = visible
		default:
			want[c.login] = hidden
		}
	}
	return want
}

// noLeak fails when body carries the phone number of an officer that c may
// not see unmasked, or the name of an officer c may not see at all (but for
// those named in formerly).
func (e *matrixEnv) noLeak(t *testing.T, c matrixCaller, body []byte, formerly ...string) {
	t.Helper()
	s := string(body)
	for _, o := range e.ds.Officers {
		seen := e.sees(c, o)
		if o.Phone != "" && strings.Contains(s, o.Phone) && seen != visible {
			t.Errorf("%s gets the phone number of %s (%s): leak", c.login, o.Code, seen)
		}
		if strings.Contains(s, `"`+o.NameZH+`"`) && seen == hidden && !slices.Contains(formerly, o.Code) {
			t.Errorf("%s gets the name of %s, whom they may not see: leak", c.login, o.Code)
		}
	}
}

func sameForAll(o outcome) map[string]outcome {
	want := map[string]outcome{}
	for _, c := range matrixCallers {
		want[c.login] = o
	}
	return want
}

// reference is a route whose data is the same for every caller: own and other are one URL.
func reference(url string, check func(*matrixEnv, *testing.T, matrixCaller, *apitest.Response, outcome)) []matrixObject {
	return []matrixObject{
		{name: "own", url: url, want: sameForAll(visible), check: check},
		{name: "other", url: url, want: sameForAll(visible), check: check},
	}
}

// adminOnly is a route of the district administration: not street-bound, so
// own and other are one URL; the administrator gets it, every other role 403.
func adminOnly(url string, check func(*matrixEnv, *testing.T, matrixCaller, *apitest.Response, outcome)) []matrixObject {
	want := sameForAll(forbidden)
	want["admin"] = visible
	return []matrixObject{
		{name: "own", url: url, want: want, check: check},
		{name: "other", url: url, want: want, check: check},
	}
}

// readMatrix maps every GET /v1 path template of the contract to its objects.
// A read route added to the contract without an entry here fails TestAccess_ReadMatrix.
var readMatrix = map[string]func(*testing.T, *matrixEnv) []matrixObject{
	"/v1/me": func(*testing.T, *matrixEnv) []matrixObject { return reference("/v1/me", checkMe) },
	"/v1/auth/session": func(*testing.T, *matrixEnv) []matrixObject {
		return reference("/v1/auth/session", func(_ *matrixEnv, t *testing.T, c matrixCaller, res *apitest.Response, _ outcome) {
			var got openapi.AuthSession
			res.JSON(t, &got)
			if got.Role != c.role {
				t.Errorf("session role %s, want the caller's %s", got.Role, c.role)
			}
		})
	},
	"/v1/streets": func(*testing.T, *matrixEnv) []matrixObject {
		return reference("/v1/streets", func(_ *matrixEnv, t *testing.T, _ matrixCaller, res *apitest.Response, _ outcome) {
			var got []openapi.Street
			res.JSON(t, &got)
			var codes []string
			for _, s := range got {
				codes = append(codes, s.Code)
			}
			if !slices.Equal(codes, []string{"st-a", "st-b"}) {
				t.Errorf("streets = %v, want [st-a st-b]", codes)
			}
		})
	},
	"/v1/departments": func(*testing.T, *matrixEnv) []matrixObject {
		return reference("/v1/departments", func(e *matrixEnv, t *testing.T, _ matrixCaller, res *apitest.Response, _ outcome) {
			var got []openapi.Department
			res.JSON(t, &got)
			kinds := map[openapi.DepartmentKind]int{}
			for _, d := range got {
				kinds[d.Kind]++
			}
			if len(got) != len(e.ds.Departments) || kinds[openapi.Squad] != 1 || kinds[openapi.Resident] != 5 || kinds[openapi.Listed] != 20 {
				t.Errorf("departments: %d, kinds %v; want 26 = 1 squad + 5 resident + 20 listed", len(got), kinds)
			}
		})
	},
	"/v1/matters": func(*testing.T, *matrixEnv) []matrixObject {
		return reference("/v1/matters", func(e *matrixEnv, t *testing.T, _ matrixCaller, res *apitest.Response, _ outcome) {
			var got []openapi.Matter
			res.JSON(t, &got)
			want := map[string]int{} // code -> version in force now
			for _, m := range e.ds.Matters {
				if !m.ValidFrom.After(e.now) && (m.ValidTo == nil || m.ValidTo.After(e.now)) {
					want[m.Code] = m.Version
				}
			}
			if len(got) != len(want) {
				t.Errorf("%d matters in force, want %d", len(got), len(want))
			}
			for _, m := range got {
				if want[m.Code] != m.Version {
					t.Errorf("matter %s version %d in force now, want %d", m.Code, m.Version, want[m.Code])
				}
			}
		})
	},
	"/v1/matters/{code}": func(*testing.T, *matrixEnv) []matrixObject {
		objs := reference("/v1/matters/GA-001", func(_ *matrixEnv, t *testing.T, _ matrixCaller, res *apitest.Response, _ outcome) {
			var got []openapi.Matter
			res.JSON(t, &got)
			if len(got) != 2 || got[0].Version != 1 || got[1].Version != 2 || got[0].ValidTo == nil || !got[0].ValidTo.Equal(got[1].ValidFrom) {
				t.Errorf("GA-001 versions = %+v, want 1 then 2, the first ending where the second starts", got)
			}
		})
		return append(objs, matrixObject{name: "unknown", url: "/v1/matters/XX-999", want: sameForAll(hidden)})
	},
	"/v1/policies": func(*testing.T, *matrixEnv) []matrixObject {
		return reference("/v1/policies", func(e *matrixEnv, t *testing.T, _ matrixCaller, res *apitest.Response, _ outcome) {
			var got []openapi.Policy
			res.JSON(t, &got)
			var codes []string
			for _, p := range got {
				codes = append(codes, p.DepartmentCode)
			}
			if !slices.Equal(codes, []string{"cg", "ga", "jt", "sj", "sy", "xf"}) {
				t.Errorf("policies of %v, want cg ga jt sj sy xf", codes)
			}
		})
	},
	"/v1/admin/audit": func(*testing.T, *matrixEnv) []matrixObject {
		return adminOnly("/v1/admin/audit?chain=district", func(_ *matrixEnv, t *testing.T, _ matrixCaller, res *apitest.Response, _ outcome) {
			var page openapi.AuditPage
			res.JSON(t, &page)
			if len(page.Entries) == 0 || page.Entries[0].Action != "org.import" || page.Entries[0].Chain != "district" {
				t.Errorf("audit of the district chain = %+v, want the demo import first", page.Entries)
			}
		})
	},
	"/v1/admin/audit/export": func(*testing.T, *matrixEnv) []matrixObject {
		return adminOnly("/v1/admin/audit/export?chain=district", func(_ *matrixEnv, t *testing.T, _ matrixCaller, res *apitest.Response, _ outcome) {
			lines := strings.Split(strings.TrimSpace(string(res.Body)), "\n")
			var first openapi.AuditEntry
			if err := json.Unmarshal([]byte(lines[0]), &first); err != nil || first.Action != "org.import" || first.Hash == "" {
				t.Errorf("export starts with %q (%v), want the demo import entry", lines[0], err)
			}
		})
	},
	"/v1/admin/audit/verification": func(*testing.T, *matrixEnv) []matrixObject {
		return adminOnly("/v1/admin/audit/verification", func(_ *matrixEnv, t *testing.T, _ matrixCaller, res *apitest.Response, _ outcome) {
			var v openapi.AuditVerification
			res.JSON(t, &v)
			if !v.Ok || len(v.Heads) == 0 {
				t.Errorf("verification = %+v, want ok with the district head", v)
			}
		})
	},
	"/v1/sync/devices": func(*testing.T, *matrixEnv) []matrixObject {
		// Team leaders see the devices of their street, administrators all.
		want := sameForAll(forbidden)
		want["leader.a"], want["admin"] = visible, visible
		check := func(e *matrixEnv, t *testing.T, c matrixCaller, res *apitest.Response, _ outcome) {
			var list []openapi.DeviceStatus
			res.JSON(t, &list)
			var users []string
			for _, d := range list {
				users = append(users, d.Username)
				if street := e.officerStreet[e.loginOfficer[d.Username]]; c.role != openapi.RoleAdmin && street != c.street {
					t.Errorf("%s sees the device of %s, who works in %q: leak", c.login, d.Username, street)
				}
			}
			users = slices.Compact(users) // one user may have several devices
			wantUsers := []string{"officer.a"}
			if c.role == openapi.RoleAdmin {
				wantUsers = []string{"officer.a", "officer.b"}
			}
			if !slices.Equal(users, wantUsers) {
				t.Errorf("%s sees the devices of %v, want %v", c.login, users, wantUsers)
			}
		}
		return []matrixObject{
			{name: "own", url: "/v1/sync/devices", want: want, check: check},
			{name: "other", url: "/v1/sync/devices", want: want, check: check},
		}
	},
	"/v1/inspections": func(_ *testing.T, e *matrixEnv) []matrixObject {
		want := sameForAll(forbidden)
		want["officer.a"], want["leader.a"], want["grid.a"], want["admin"] = masked, masked, masked, masked
		return []matrixObject{
			{name: "own", url: "/v1/inspections", want: want, check: checkInspectionList},
			{name: "other", url: "/v1/inspections?team=team-st-b", want: want, check: checkInspectionList},
		}
	},
	"/v1/inspections/review-queue": func(_ *testing.T, e *matrixEnv) []matrixObject {
		want := sameForAll(forbidden)
		want["leader.a"], want["admin"] = masked, masked
		return []matrixObject{
			{name: "own", url: "/v1/inspections/review-queue", want: want, check: checkInspectionList},
			{name: "other", url: "/v1/inspections/review-queue", want: want, check: checkInspectionList},
		}
	},
	"/v1/officers/{code}/absences":                absenceMatrix,
	"/v1/officers/{code}/performance":             perfMatrix(""),
	"/v1/officers/{code}/performance.csv":         perfMatrix(".csv"),
	"/v1/officers/{code}/performance-events/{id}": perfEventMatrix,
	"/v1/performance":                             perfListMatrix,
	"/v1/deadlines":                               func(t *testing.T, e *matrixEnv) []matrixObject { return deadlineMatrix(t, e, true) },
	"/v1/deadlines/{id}":                          func(t *testing.T, e *matrixEnv) []matrixObject { return deadlineMatrix(t, e, false) },
	"/v1/inspections/{id}": func(_ *testing.T, e *matrixEnv) []matrixObject {
		return inspectionObjects(e, "")
	},
	"/v1/inspections/{id}/versions": func(_ *testing.T, e *matrixEnv) []matrixObject {
		return inspectionObjects(e, "/versions")
	},
	"/v1/inspections/{id}/diff": func(_ *testing.T, e *matrixEnv) []matrixObject {
		return inspectionObjects(e, "/diff?from=1&to=1")
	},
	"/v1/number-blocks/{id}/report": func(_ *testing.T, e *matrixEnv) []matrixObject {
		// The device's user and their team leader reconcile a block.
		own := sameForAll(hidden)
		own["officer.a"], own["leader.a"], own["admin"] = visible, visible, visible
		other := sameForAll(hidden)
		other["admin"] = visible
		check := func(_ *matrixEnv, t *testing.T, c matrixCaller, res *apitest.Response, _ outcome) {
			var rep openapi.NumberBlockReport
			res.JSON(t, &rep)
			if len(rep.Unused) != 3 || len(rep.Used) != 0 {
				t.Errorf("%s: block report = %+v, want 3 unused numbers", c.login, rep)
			}
		}
		return []matrixObject{
			{name: "own", url: "/v1/number-blocks/" + e.block["st-a"] + "/report", want: own, check: check},
			{name: "other", url: "/v1/number-blocks/" + e.block["st-b"] + "/report", want: other, check: check},
		}
	},
	"/v1/teams/{code}/roster": func(_ *testing.T, e *matrixEnv) []matrixObject {
		return []matrixObject{
			{name: "own", url: "/v1/teams/team-st-a/roster", want: e.expectRoster("team-st-a"), check: checkRoster("team-st-a")},
			{name: "other", url: "/v1/teams/team-st-b/roster", want: e.expectRoster("team-st-b"), check: checkRoster("team-st-b")},
			// Before 2026-09-01 a-cg-07 was in street A: the roster of then
			// names him, but he is street B's now and his phone is masked.
			{name: "own-past", url: e.story.Text("/v1/teams/team-st-a/roster?at=2026-06-01T00:00:00Z"), want: e.expectRoster("team-st-a"),
				check: checkRoster("team-st-a"), formerly: []string{"a-cg-07"}},
			{name: "other-past", url: e.story.Text("/v1/teams/team-st-b/roster?at=2025-06-01T00:00:00Z"), want: e.expectRoster("team-st-b"), check: checkRoster("team-st-b")},
			{name: "unknown", url: "/v1/teams/team-nowhere/roster", want: sameForAll(hidden)},
		}
	},
	"/v1/officers/{code}": func(t *testing.T, e *matrixEnv) []matrixObject {
		return []matrixObject{
			// Of department sj: the sj reviewer sees both, masked.
			{name: "own", url: "/v1/officers/a-sj-01", want: e.expectOfficer(t, "a-sj-01"), check: checkOfficer("a-sj-01")},
			{name: "other", url: "/v1/officers/b-sj-01", want: e.expectOfficer(t, "b-sj-01"), check: checkOfficer("b-sj-01")},
			// Of the squad: the sj reviewer sees neither.
			{name: "own-squad", url: "/v1/officers/a-cg-04", want: e.expectOfficer(t, "a-cg-04"), check: checkOfficer("a-cg-04")},
			{name: "other-squad", url: "/v1/officers/b-cg-04", want: e.expectOfficer(t, "b-cg-04"), check: checkOfficer("b-cg-04")},
			// Moved from street A to street B on 2026-09-01: street A lost him that day.
			{name: "moved-to-other", url: "/v1/officers/a-cg-07", want: e.expectOfficer(t, "a-cg-07"), check: checkOfficer("a-cg-07")},
			{name: "unknown", url: "/v1/officers/zz-nobody", want: sameForAll(hidden)},
		}
	},
}

func checkMe(_ *matrixEnv, t *testing.T, c matrixCaller, res *apitest.Response, _ outcome) {
	t.Helper()
	var me openapi.Me
	res.JSON(t, &me)
	opt := func(p *string) string {
		if p == nil {
			return ""
		}
		return *p
	}
	got := matrixCaller{login: me.Username, role: me.Role, officer: opt(me.OfficerCode), street: opt(me.StreetCode),
		dept: opt(me.DepartmentCode), community: opt(me.CommunityCode)}
	if got != c {
		t.Errorf("me = %+v, want the caller's own scope %+v", got, c)
	}
}

func checkRoster(team string) func(*matrixEnv, *testing.T, matrixCaller, *apitest.Response, outcome) {
	return func(e *matrixEnv, t *testing.T, c matrixCaller, res *apitest.Response, _ outcome) {
		t.Helper()
		var r openapi.Roster
		res.JSON(t, &r)
		if r.Team.Code != team || r.Team.StreetCode != e.teamStreet[team] {
			t.Errorf("roster of %s answered with team %s of %s", team, r.Team.Code, r.Team.StreetCode)
		}
		var want, got []string
		for _, o := range e.ds.Officers {
			for _, m := range o.Memberships {
				if m.TeamCode == team && m.ActiveAt(r.At) {
					want = append(want, o.Code)
				}
			}
		}
		for _, m := range r.Members {
			got = append(got, m.Officer.Code)
			o := e.officer(t, m.Officer.Code)
			wantPhone := o.Phone
			if e.sees(c, o) != visible {
				// A member of then who has left the caller's street since.
				wantPhone = o.Phone[:3] + "****" + o.Phone[len(o.Phone)-4:]
			}
			if m.Officer.Phone == nil || *m.Officer.Phone != wantPhone {
				t.Errorf("%s sees roster member %s with phone %v, want %s", c.login, o.Code, str(m.Officer.Phone), wantPhone)
			}
		}
		slices.Sort(want)
		slices.Sort(got)
		if len(want) == 0 || !slices.Equal(got, want) {
			t.Errorf("roster of %s at %s = %v, want %v", team, r.At, got, want)
		}
	}
}

func checkOfficer(code string) func(*matrixEnv, *testing.T, matrixCaller, *apitest.Response, outcome) {
	return func(e *matrixEnv, t *testing.T, c matrixCaller, res *apitest.Response, want outcome) {
		t.Helper()
		var m openapi.Member
		res.JSON(t, &m)
		o := e.officer(t, code)
		if m.Officer.Code != code || m.Officer.DepartmentCode != o.DepartmentCode {
			t.Fatalf("asked for %s, got %s of %s", code, m.Officer.Code, m.Officer.DepartmentCode)
		}
		if m.Officer.Phone == nil {
			t.Fatalf("%s: no phone in the answer", code)
		}
		phone := *m.Officer.Phone
		switch want {
		case visible:
			if phone != o.Phone {
				t.Errorf("%s sees phone %q of %s, want %q in full", c.login, phone, code, o.Phone)
			}
		case masked:
			wantMasked := o.Phone[:3] + "****" + o.Phone[len(o.Phone)-4:]
			if !strings.Contains(phone, "****") || phone == o.Phone || phone != wantMasked {
				t.Errorf("%s sees phone %q of %s, want it masked as %q", c.login, phone, code, wantMasked)
			}
			if strings.Contains(string(res.Body), o.Phone) {
				t.Errorf("the body for %s carries the real phone number of %s", c.login, code)
			}
		}
		if len(m.Certificates) == 0 {
			t.Errorf("%s: no certificates", code)
		}
		for _, cert := range m.Certificates {
			if cert.OfficerCode != code {
				t.Errorf("%s carries certificate %s of %s", code, cert.Number, cert.OfficerCode)
			}
		}
	}
}

// partyIDNumber is the party's id number in the matrix's inspections:
// personal data that only the case team sees in full.
const partyIDNumber = "110101199001011234"

// inspectionObjects are an inspection of street A, where officer.a (a-cg-03)
// is in the crew and leader.a leads the team (the case team: in full), grid.a
// and admin see it masked; and one of street B that no street-A role sees.
func inspectionObjects(e *matrixEnv, suffix string) []matrixObject {
	own := sameForAll(hidden)
	own["officer.a"], own["leader.a"], own["grid.a"], own["admin"] = visible, visible, masked, masked
	other := sameForAll(hidden)
	other["admin"] = masked
	check := func(_ *matrixEnv, t *testing.T, c matrixCaller, res *apitest.Response, want outcome) {
		full := strings.Contains(string(res.Body), partyIDNumber)
		// A diff of a version with itself carries no party data at all.
		if full != (want == visible) && (suffix != "/diff?from=1&to=1" || full) {
			t.Errorf("%s: the party's id number in full = %v, want %v", c.login, full, want == visible)
		}
	}
	return []matrixObject{
		{name: "own", url: "/v1/inspections/" + e.inspection["st-a"] + suffix, want: own, check: check},
		{name: "other", url: "/v1/inspections/" + e.inspection["st-b"] + suffix, want: other, check: check},
		{name: "unknown", url: "/v1/inspections/00000000-0000-4000-8000-00000000dead" + suffix, want: sameForAll(hidden)},
	}
}

// checkInspectionList: lists are masked for everyone, and street roles see
// their own street's records only.
func checkInspectionList(e *matrixEnv, t *testing.T, c matrixCaller, res *apitest.Response, _ outcome) {
	var list []openapi.Inspection
	res.JSON(t, &list)
	if strings.Contains(string(res.Body), partyIDNumber) {
		t.Errorf("%s: a list carries the party's id number", c.login)
	}
	for _, st := range list {
		if c.role != openapi.RoleAdmin && st.StreetCode != c.street {
			t.Errorf("%s lists an inspection of street %s: leak", c.login, st.StreetCode)
		}
	}
}

// recordMatrixInspections records one inspection in each street, with party data.
func recordMatrixInspections(t *testing.T, f *fixture, e *matrixEnv) {
	t.Helper()
	for street, who := range map[string][]string{"st-a": {"officer.a", "team-st-a", "a-cg-03", "a-sj-01"}, "st-b": {"officer.b", "team-st-b", "b-cg-03", "b-sj-01"}} {
		r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), who[2:], "JYCF-MATRIX-"+street)
		r.TeamCode = who[1]
		r.Party = &inspection.Party{Kind: inspection.PartyPerson, Name: "王某", IDType: "resident_id", IDNumber: partyIDNumber, Phone: "13700001111"}
		body, _ := json.Marshal(r)
		res := f.client.For(t).PostJSON("/v1/inspections", string(body), f.login(t, who[0], demo.Password))
		if res.Status != http.StatusCreated {
			t.Fatalf("record the %s inspection: %d %s", street, res.Status, res.Body)
		}
		e.inspection[street] = r.ID
		p := newPhone(t, f, who[0])
		var b openapi.NumberBlock
		f.client.For(t).PostJSON("/v1/number-blocks", `{"doc_type":"penalty_decision","count":3}`, p.token).JSON(t, &b)
		e.block[street] = b.Id.String()
	}
}

// readRoutes returns the GET operations under /v1 of the contract, sorted.
func readRoutes(t *testing.T) []string {
	t.Helper()
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for path, item := range doc.Paths.Map() {
		if strings.HasPrefix(path, "/v1/") && item.Get != nil {
			out = append(out, path)
		}
	}
	slices.Sort(out)
	if len(out) == 0 {
		t.Fatal("the contract has no GET /v1 operation")
	}
	return out
}

func TestAccess_ReadMatrix(t *testing.T) {
	f := newFixture(t, options{demo: true})
	e := newMatrixEnv(t, f)
	tokens := map[string]string{}
	for _, c := range matrixCallers {
		tokens[c.login] = f.login(t, c.login, demo.Password)
	}
	recordMatrixInspections(t, f, e)
	recordMatrixEvidence(t, f, e)
	recordMatrixDeadlines(t, f, e)
	recordMatrixCases(t, f, e)
	recordMatrixWhistles(t, f, e)
	recordMatrixReviews(t, f, e)
	recordMatrixAbsences(t, f)
	recordMatrixPerformance(t, f, e)
	// One phone in each street, for the device routes.
	registerDevice(t, f.client, tokens["officer.a"], "phone of officer.a")
	registerDevice(t, f.client, f.login(t, "officer.b", demo.Password), "phone of officer.b")
	routes := readRoutes(t)
	for path := range readMatrix {
		if !slices.Contains(routes, path) {
			t.Errorf("the matrix has %s, which is not a GET /v1 operation of the contract", path)
		}
	}
	cells, objects := 0, 0
	for _, path := range routes {
		build, ok := readMatrix[path]
		if !ok {
			t.Errorf("GET %s is in the contract but not in the access matrix: add its own/other cases", path)
			continue
		}
		objs := build(t, e)
		if len(objs) < 2 {
			t.Errorf("GET %s: the matrix needs an own and an other object", path)
		}
		for _, obj := range objs {
			objects++
			for _, c := range matrixCallers {
				want, ok := obj.want[c.login]
				if !ok {
					t.Errorf("GET %s %s: no expectation for %s", path, obj.name, c.login)
					continue
				}
				cells++
				t.Run(path+"/"+obj.name+"/"+c.login, func(t *testing.T) {
					res := f.client.For(t).Get(obj.url, tokens[c.login])
					switch want {
					case visible, masked:
						if res.Status != http.StatusOK {
							t.Fatalf("GET %s as %s: %d, want %s; body %s", obj.url, c.login, res.Status, want, res.Body)
						}
						if obj.check != nil {
							obj.check(e, t, c, res, want)
						}
					case hidden:
						res.Problem(t, http.StatusNotFound, "not_found")
					case forbidden:
						res.Problem(t, http.StatusForbidden, "forbidden")
					}
					e.noLeak(t, c, res.Body, obj.formerly...)
				})
			}
		}
	}
	t.Logf("access matrix: %d read routes x %d roles, %d objects: %d cells", len(routes), len(matrixCallers), objects, cells)
	if min := len(routes) * len(matrixCallers) * 2; cells < min {
		t.Errorf("access matrix has %d cells, want at least %d (routes x roles x own/other)", cells, min)
	}
}

// TestAccess_Unauthenticated checks that every GET /v1 route of the contract
// needs a valid token. Path parameters and required query parameters get
// placeholder values that match their schema, so that the answer is about
// the token alone (the generated router binds parameters before the
// contract middleware checks the token).
func TestAccess_Unauthenticated(t *testing.T) {
	f := newFixture(t, options{demo: true})
	e := newMatrixEnv(t, f)
	doc, err := openapi.Load()
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range readRoutes(t) {
		item := doc.Paths.Value(path)
		if sec := item.Get.Security; sec != nil && len(*sec) == 0 {
			t.Logf("GET %s: public (security: []), its token is in the URL", path)
			continue
		}
		url, query := path, neturl.Values{}
		for _, p := range append(item.Parameters, item.Get.Parameters...) {
			v := "x"
			switch sc := p.Value.Schema.Value; {
			case sc.Format == "uuid":
				v = "00000000-0000-4000-8000-000000000000"
			case sc.Format == "date-time":
				v = "2026-01-01T00:00:00Z"
			case sc.Type.Is("integer"):
				v = "1"
			}
			switch {
			case p.Value.In == "path":
				url = strings.ReplaceAll(url, "{"+p.Value.Name+"}", v)
			case p.Value.In == "query" && p.Value.Required:
				query.Set(p.Value.Name, v)
			}
		}
		if len(query) > 0 {
			url += "?" + query.Encode()
		}
		if strings.Contains(url, "{") {
			t.Errorf("GET %s: a path parameter without a declaration", path)
			continue
		}
		tests := []struct {
			name  string
			token string
		}{
			{"ErrNoToken", ""},
			{"ErrGarbageToken", "not-a-token"},
		}
		for _, tt := range tests {
			t.Run(path+"/"+tt.name, func(t *testing.T) {
				res := f.client.For(t).Get(url, tt.token)
				res.Problem(t, http.StatusUnauthorized, "unauthenticated")
				if res.Header.Get("WWW-Authenticate") == "" {
					t.Error("401 without WWW-Authenticate")
				}
				e.noLeak(t, matrixCaller{login: "anonymous"}, res.Body)
			})
		}
	}
}
