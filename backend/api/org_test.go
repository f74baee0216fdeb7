package api_test

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/api/apitest"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// Behaviour of the organization, authority and administration operations
// on the demo data set (backend/org/demo/demo.json). Moments are fixed dates
// around the demo's certificate windows, never "now", except where a test is
// about now.

// tokens logs every given demo user in and returns their access tokens by login.
func (f *fixture) tokens(t *testing.T, logins ...string) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, l := range logins {
		out[l] = f.login(t, l, demo.Password)
	}
	return out
}

// postCSV posts a CSV body.
func postCSV(t *testing.T, c *apitest.Client, path, body, token string) *apitest.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "text/csv")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	return c.Do(req)
}

// wantFields fails unless the problem names every field given.
func wantFields(t *testing.T, p apitest.Problem, fields ...string) {
	t.Helper()
	for _, field := range fields {
		found := false
		for _, e := range p.Errors {
			found = found || e.Field == field
		}
		if !found {
			t.Errorf("problem does not name %s: %+v", field, p.Errors)
		}
	}
}

// getJSON GETs path as token, wants 200 and decodes the body into v.
func getJSON(t *testing.T, c *apitest.Client, path, token string, v any) {
	t.Helper()
	res := c.Get(path, token)
	if res.Status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
	}
	res.JSON(t, v)
}

// decisionBody is a DecisionRequest: the crew checks in, in the order
// given, one minute apart, ending ten minutes before the act at at.
func (f *fixture) decisionBody(t *testing.T, matter, at string, crew ...string) string {
	t.Helper()
	at = f.story.Text(at)
	act, err := time.Parse(time.RFC3339, at)
	if err != nil {
		t.Fatal(err)
	}
	var entries []string
	for i, code := range crew {
		in := act.Add(-10*time.Minute - time.Duration(len(crew)-i)*time.Minute)
		entries = append(entries, fmt.Sprintf(`{"officer_code":%q,"checked_in_at":%q}`, code, in.Format(time.RFC3339)))
	}
	return fmt.Sprintf(`{"matter_code":%q,"at":%q,"crew":[%s]}`, matter, at, strings.Join(entries, ","))
}

// decision is what a test expects of a Decision.
type decision struct {
	tier         openapi.Tier
	lead, second string
	holders      []string
	allowed      []openapi.Measure
	reasons      []string // present, as CODE or CODE:subject
	absent       []string // reason codes that must not appear
	version      int      // the matter version judged against; 0 to skip
}

func reasonKeys(d openapi.Decision) []string {
	var out []string
	for _, r := range d.Reasons {
		k := r.Code
		if r.Subject != nil && *r.Subject != "" {
			k += ":" + *r.Subject
		}
		out = append(out, k)
	}
	return out
}

func str(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

// checkDecision decodes a 200 decision and compares it with want.
func checkDecision(t *testing.T, res *apitest.Response, want decision) {
	t.Helper()
	if res.Status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", res.Status, res.Body)
	}
	var d openapi.Decision
	res.JSON(t, &d)
	keys := reasonKeys(d)
	if d.Tier != want.tier || str(d.Lead) != want.lead || str(d.SecondInspector) != want.second {
		t.Errorf("tier %s lead %q second %q, want %s lead %q second %q (reasons %v)", d.Tier, str(d.Lead), str(d.SecondInspector),
			want.tier, want.lead, want.second, keys)
	}
	if !slices.Equal(d.Holders, want.holders) && !(len(d.Holders) == 0 && len(want.holders) == 0) {
		t.Errorf("holders %v, want %v", d.Holders, want.holders)
	}
	if want.allowed != nil && !slices.Equal(d.Allowed, want.allowed) {
		t.Errorf("allowed %v, want %v", d.Allowed, want.allowed)
	}
	for _, r := range want.reasons {
		if !slices.Contains(keys, r) {
			t.Errorf("reasons %v lack %s", keys, r)
		}
	}
	for _, code := range want.absent {
		for _, k := range keys {
			if k == code || strings.HasPrefix(k, code+":") {
				t.Errorf("reasons %v carry %s", keys, code)
			}
		}
	}
	if want.version != 0 && d.Matter.Version != want.version {
		t.Errorf("judged against matter version %d, want %d", d.Matter.Version, want.version)
	}
}

var (
	measures = func(ms ...openapi.Measure) []openapi.Measure { return ms }
	evidence = openapi.MeasureEvidence
	summons  = openapi.MeasureSummons
	seizure  = openapi.MeasureSeizure
	warning  = openapi.MeasureWarning
	fine     = openapi.MeasureFineSimple
	refer    = openapi.MeasureRefer
)

func TestAuthority_Decide(t *testing.T) {
	f := newFixture(t, options{demo: true})
	tok := f.tokens(t, "officer.a", "leader.a", "grid.a", "community.a1", "reviewer.sj", "admin")
	const day = "2026-10-01T10:00:00Z"
	tests := []struct {
		name       string
		login      string
		body       string
		wantStatus int
		wantCode   string
		wantField  string
		want       decision
	}{
		{name: "OK", login: "leader.a", body: f.decisionBody(t, "CG-001", day, "a-cg-04", "a-cg-03"), wantStatus: 200,
			want: decision{tier: openapi.TierEnforcement, lead: "a-cg-04", second: "a-cg-03", holders: []string{"a-cg-04", "a-cg-03"},
				allowed: measures(evidence, seizure, summons), reasons: []string{"TIER_ENFORCEMENT"}, version: 1}},
		{name: "OKOneHolderWithSecondInspector", login: "officer.a", body: f.decisionBody(t, "SY-001", day, "a-sy-01", "a-cg-03"), wantStatus: 200,
			want: decision{tier: openapi.TierOnsiteInspection, lead: "a-sy-01", second: "a-cg-03", holders: []string{"a-sy-01"},
				allowed: measures(evidence, seizure, summons),
				reasons: []string{"OTHER_DEPARTMENT:a-cg-03", "TIER_ONSITE_INSPECTION", "MIXED_CREW_SEIZURE_REVIEW:a-cg-03"}}},
		{name: "OKNoHolderResidentMatter", login: "officer.a", body: f.decisionBody(t, "SJ-002", day, "a-cg-03", "a-cg-04"), wantStatus: 200,
			want: decision{tier: openapi.TierOnsiteInvestigation, holders: nil, allowed: measures(evidence, summons),
				reasons: []string{"NO_HOLDER_PRESENT", "OTHER_DEPARTMENT:a-cg-03"}}},
		{name: "OKListedMatterRefer", login: "officer.a", body: f.decisionBody(t, "HB-001", day, "a-cg-03", "a-ga-01"), wantStatus: 200,
			want: decision{tier: openapi.TierRefer, holders: nil, allowed: measures(evidence, refer), reasons: []string{"MATTER_OF_LISTED_DEPARTMENT"}}},
		{name: "OKAuxiliaryNotCounted", login: "officer.a", body: f.decisionBody(t, "CG-002", day, "a-aux-01", "a-cg-03"), wantStatus: 200,
			want: decision{tier: openapi.TierOnsiteInspection, lead: "a-cg-03", holders: []string{"a-cg-03"},
				reasons: []string{"AUXILIARY_NOT_COUNTED:a-aux-01", "PENALTY_NEEDS_TWO_HOLDERS"}}},
		{name: "OKCertExpiredBeforeAct", login: "officer.a", body: f.decisionBody(t, "CG-001", day, "a-cg-05", "a-cg-03"), wantStatus: 200,
			want: decision{tier: openapi.TierOnsiteInspection, lead: "a-cg-03", holders: []string{"a-cg-03"}, allowed: measures(evidence, summons),
				reasons: []string{"CERT_EXPIRED_AT_ACT:a-cg-05", "SEIZURE_NEEDS_SECOND_INSPECTOR"}}},
		// a-sj-02's certificate ended 2026-11-20: valid at the act, expired now.
		{name: "OKValidAtActExpiredNow", login: "officer.a", body: f.decisionBody(t, "SJ-002", "2026-11-10T15:00:00Z", "a-sj-01", "a-sj-02"), wantStatus: 200,
			want: decision{tier: openapi.TierEnforcement, lead: "a-sj-01", second: "a-sj-02", holders: []string{"a-sj-01", "a-sj-02"},
				allowed: measures(evidence, fine, summons), absent: []string{"CERT_EXPIRED_AT_ACT"}}},
		{name: "OKExpiredAtLaterAct", login: "officer.a", body: f.decisionBody(t, "SJ-002", "2026-11-21T09:00:00Z", "a-sj-01", "a-sj-02"), wantStatus: 200,
			want: decision{tier: openapi.TierOnsiteInspection, lead: "a-sj-01", holders: []string{"a-sj-01"}, reasons: []string{"CERT_EXPIRED_AT_ACT:a-sj-02"}}},
		// The catalogue as it stood: SJ-001 allowed simple fines until its version 2 of 2025-01-01.
		{name: "OKMatterVersionAtAct", login: "officer.a", body: f.decisionBody(t, "SJ-001", "2024-06-01T10:00:00Z", "a-sj-01", "a-sj-02"), wantStatus: 200,
			want: decision{tier: openapi.TierEnforcement, lead: "a-sj-01", second: "a-sj-02", holders: []string{"a-sj-01", "a-sj-02"},
				allowed: measures(evidence, fine, seizure, summons), version: 1}},
		// a-cg-07 was in street A until 2026-09-01: street A may ask about its acts before.
		{name: "OKMovedOfficerBeforeMove", login: "officer.a", body: f.decisionBody(t, "CG-005", "2026-06-01T10:00:00Z", "a-cg-07", "a-cg-03"), wantStatus: 200,
			want: decision{tier: openapi.TierEnforcement, lead: "a-cg-07", second: "a-cg-03", holders: []string{"a-cg-07", "a-cg-03"}}},
		{name: "OKAdminAnyStreet", login: "admin", body: f.decisionBody(t, "CG-001", day, "b-cg-03", "a-cg-03"), wantStatus: 200,
			want: decision{tier: openapi.TierEnforcement, lead: "b-cg-03", second: "a-cg-03", holders: []string{"b-cg-03", "a-cg-03"}}},
		{name: "ErrUnknownMatter", login: "officer.a", body: f.decisionBody(t, "XX-999", day, "a-cg-03"),
			wantStatus: 422, wantCode: "validation_failed", wantField: "/matter_code"},
		{name: "ErrMatterNotYetInForce", login: "officer.a", body: f.decisionBody(t, "CG-001", "2020-01-01T10:00:00Z", "a-cg-03"),
			wantStatus: 422, wantCode: "validation_failed", wantField: "/matter_code"},
		{name: "ErrUnknownOfficer", login: "officer.a", body: f.decisionBody(t, "CG-001", day, "zz-nobody", "a-cg-03"),
			wantStatus: 422, wantCode: "validation_failed", wantField: "/crew/0/officer_code"},
		{name: "ErrOtherStreetCrew", login: "officer.a", body: f.decisionBody(t, "CG-001", day, "a-cg-03", "b-cg-03"),
			wantStatus: 403, wantCode: "forbidden"},
		{name: "ErrMovedOfficerAfterMove", login: "leader.a", body: f.decisionBody(t, "CG-001", day, "a-cg-07", "a-cg-03"),
			wantStatus: 403, wantCode: "forbidden"},
		{name: "ErrCommunity", login: "community.a1", body: f.decisionBody(t, "CG-001", day, "a-cg-03"), wantStatus: 403, wantCode: "forbidden"},
		{name: "ErrGridOperator", login: "grid.a", body: f.decisionBody(t, "CG-001", day, "a-cg-03"), wantStatus: 403, wantCode: "forbidden"},
		{name: "ErrReviewer", login: "reviewer.sj", body: f.decisionBody(t, "SJ-002", day, "a-sj-01"), wantStatus: 403, wantCode: "forbidden"},
		{name: "ErrMalformedBody", login: "officer.a", body: `{"matter_code":"CG-001",`, wantStatus: 400, wantCode: "bad_request", wantField: "body"},
		{name: "ErrEmptyCrew", login: "officer.a", body: `{"matter_code":"CG-001","at":"2026-10-01T10:00:00Z","crew":[]}`,
			wantStatus: 400, wantCode: "bad_request", wantField: "/crew"},
		{name: "ErrNoMoment", login: "officer.a", body: `{"matter_code":"CG-001","crew":[{"officer_code":"a-cg-03","checked_in_at":"2026-10-01T09:00:00Z"}]}`,
			wantStatus: 400, wantCode: "bad_request", wantField: "/at"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.client.For(t).PostJSON("/v1/authority/decisions", tt.body, tok[tt.login]) // dates moved by decisionBody
			if tt.wantStatus == http.StatusOK {
				checkDecision(t, res, tt.want)
				return
			}
			p := res.Problem(t, tt.wantStatus, tt.wantCode)
			if tt.wantField != "" {
				wantFields(t, p, tt.wantField)
			}
		})
	}
	t.Run("ErrNoToken", func(t *testing.T) {
		f.client.For(t).PostJSON("/v1/authority/decisions", f.decisionBody(t, "CG-001", day, "a-cg-03"), "").Problem(t, 401, "unauthenticated")
	})
}

// importProblem is the 422 of a rejected import.
type importProblem struct {
	Code   string               `json:"code"`
	Report openapi.ImportReport `json:"report"`
}

type rowErr struct {
	section string
	row     int
	key     string
	field   string
	code    string
}

func TestAdmin_ImportDataset(t *testing.T) {
	f := newFixture(t, options{demo: true})
	tok := f.tokens(t, "admin", "leader.a", "officer.a", "officer.b")
	officersCSV := strings.Join(org.CSVColumns[org.SectionOfficers], ",") + "\n"
	certificatesCSV := strings.Join(org.CSVColumns[org.SectionCertificates], ",") + "\n"
	notThere := func(codes ...string) func(t *testing.T) {
		return func(t *testing.T) {
			for _, code := range codes {
				f.client.For(t).Get("/v1/officers/"+code, tok["admin"]).Problem(t, 404, "not_found")
			}
		}
	}
	tests := []struct {
		name         string
		login        string
		contentType  string // application/json or text/csv
		query        string
		body         string
		wantStatus   int
		wantCode     string
		wantField    string // a field the problem's errors must name
		wantCounts   map[string]int
		wantRejected []rowErr
		verify       func(t *testing.T)
	}{
		{
			name: "OK", login: "admin", contentType: "application/json",
			body: `{"departments":[{"code":"qx","name_zh":"气象局","kind":"listed"}],
				"officers":[{"code":"a-cg-99","name_zh":"新同事","department_code":"cg","auxiliary":false,"phone":"13800009999",
					"memberships":[{"team_code":"team-st-a","position":"member","from":"2026-01-01T00:00:00Z"}]}]}`,
			wantStatus: 200, wantCounts: map[string]int{"departments": 1, "officers": 1},
			verify: func(t *testing.T) {
				var m openapi.Member
				getJSON(t, f.client.For(t), "/v1/officers/a-cg-99", tok["leader.a"], &m)
				if m.Officer.NameZh != "新同事" || str(m.Officer.Phone) != "13800009999" || m.DepartmentKind != openapi.Squad {
					t.Errorf("imported officer = %+v", m)
				}
				var ds []openapi.Department
				getJSON(t, f.client.For(t), "/v1/departments", tok["officer.a"], &ds)
				if !slices.ContainsFunc(ds, func(d openapi.Department) bool { return d.Code == "qx" && d.Kind == openapi.Listed }) {
					t.Errorf("imported department qx not listed: %+v", ds)
				}
			},
		},
		{
			name: "ErrOneBadRowNothingWritten", login: "admin", contentType: "application/json",
			body: `{"officers":[
				{"code":"a-cg-98","name_zh":"好行","department_code":"cg","auxiliary":false,"memberships":[{"team_code":"team-st-a","position":"member","from":"2026-01-01T00:00:00Z"}]},
				{"code":"a-cg-97","name_zh":"坏行","department_code":"nope","auxiliary":false,"memberships":[{"team_code":"team-st-a","position":"member","from":"2026-01-01T00:00:00Z"}]}]}`,
			wantStatus: 422, wantCode: "validation_failed",
			wantRejected: []rowErr{{"officers", 2, "a-cg-97", "department_code", "not_found"}},
			verify:       notThere("a-cg-98", "a-cg-97"),
		},
		{
			name: "ErrCertificateOfAnotherOfficer", login: "admin", contentType: "application/json",
			body: `{"certificates":[{"number":"京执字110101-0003","officer_code":"a-cg-04","issuing_department_code":"cg",
				"valid_from":"2026-01-01T00:00:00Z","valid_to":"2030-01-01T00:00:00Z"}]}`,
			wantStatus: 422, wantCode: "validation_failed",
			wantRejected: []rowErr{{"certificates", 1, "京执字110101-0003", "number", "conflict"}},
		},
		{
			name: "OKCSVOfficers", login: "admin", contentType: "text/csv", query: "?section=officers",
			body:       officersCSV + "b-cg-99,新队员,cg,false,,13900009999,team-st-b,member,2026-01-01,\n",
			wantStatus: 200, wantCounts: map[string]int{"officers": 1},
			verify: func(t *testing.T) {
				var m openapi.Member
				getJSON(t, f.client.For(t), "/v1/officers/b-cg-99", tok["admin"], &m)
				ms := *m.Officer.Memberships
				if m.Officer.NameZh != "新队员" || str(m.Officer.Phone) != "13900009999" || len(ms) != 1 ||
					ms[0].TeamCode != "team-st-b" || !ms[0].From.Equal(f.story.At("2026-01-01")) || ms[0].To != nil {
					t.Errorf("imported officer = %+v memberships %+v", m.Officer, ms)
				}
				// Street B sees its new member; street A does not.
				getJSON(t, f.client.For(t), "/v1/officers/b-cg-99", tok["officer.b"], &m)
				f.client.For(t).Get("/v1/officers/b-cg-99", tok["officer.a"]).Problem(t, 404, "not_found")
			},
		},
		{
			name: "OKCSVCertificates", login: "admin", contentType: "text/csv", query: "?section=certificates",
			body: certificatesCSV + "京执字110101-0200,a-cg-06,cg,2026-01-01,2031-01-01,,,\n" +
				"京执字110101-0201,a-cg-05,cg,2026-07-01,2031-07-01,suspended,2026-08-01,培训\n",
			wantStatus: 200, wantCounts: map[string]int{"certificates": 2},
			verify: func(t *testing.T) {
				var m openapi.Member
				getJSON(t, f.client.For(t), "/v1/officers/a-cg-05", tok["admin"], &m)
				i := slices.IndexFunc(m.Certificates, func(c openapi.Certificate) bool { return c.Number == "京执字110101-0201" })
				if i < 0 || m.Certificates[i].Status == nil || len(*m.Certificates[i].Status) != 1 || (*m.Certificates[i].Status)[0].Status != "suspended" {
					t.Errorf("a-cg-05 certificates = %+v", m.Certificates)
				}
			},
		},
		{
			name: "ErrCSVBadDate", login: "admin", contentType: "text/csv", query: "?section=officers",
			body: officersCSV + "b-cg-98,好行,cg,false,,,team-st-b,member,2026-01-01,\n" +
				"b-cg-97,坏行,cg,false,,,team-st-b,member,2026-02-30,\n",
			wantStatus: 422, wantCode: "validation_failed",
			wantRejected: []rowErr{{"officers", 2, "b-cg-97", "from", "validation_failed"}},
			verify:       notThere("b-cg-98", "b-cg-97"),
		},
		{
			name: "ErrCSVUnknownTeam", login: "admin", contentType: "text/csv", query: "?section=officers",
			body:       officersCSV + "b-cg-96,无队,cg,false,,,team-nowhere,member,2026-01-01,\n",
			wantStatus: 422, wantCode: "validation_failed",
			wantRejected: []rowErr{{"officers", 1, "b-cg-96", "memberships/0/team_code", "not_found"}},
			verify:       notThere("b-cg-96"),
		},
		{
			name: "ErrCSVBadHeader", login: "admin", contentType: "text/csv", query: "?section=officers",
			body:       "code,name\nb-cg-95,x\n",
			wantStatus: 422, wantCode: "validation_failed",
			wantRejected: []rowErr{{"officers", 0, "", "header", "validation_failed"}},
		},
		{
			name: "ErrCSVWithoutSection", login: "admin", contentType: "text/csv",
			body:       officersCSV + "b-cg-94,无节,cg,false,,,team-st-b,member,2026-01-01,\n",
			wantStatus: 422, wantCode: "validation_failed",
			wantRejected: []rowErr{{"", 0, "", "section", "validation_failed"}},
			verify:       notThere("b-cg-94"),
		},
		{
			name: "ErrCSVUnknownSection", login: "admin", contentType: "text/csv", query: "?section=logins",
			body: "username\nx\n", wantStatus: 400, wantCode: "bad_request",
		},
		{
			name: "ErrNotAdmin", login: "leader.a", contentType: "application/json",
			body: `{"departments":[{"code":"qy","name_zh":"不该","kind":"listed"}]}`, wantStatus: 403, wantCode: "forbidden",
			verify: func(t *testing.T) {
				var ds []openapi.Department
				getJSON(t, f.client.For(t), "/v1/departments", tok["admin"], &ds)
				if slices.ContainsFunc(ds, func(d openapi.Department) bool { return d.Code == "qy" }) {
					t.Error("a team leader's import was written")
				}
			},
		},
		{
			name: "ErrNotAdminCSV", login: "officer.a", contentType: "text/csv", query: "?section=officers",
			body: officersCSV + "a-cg-93,越权,cg,false,,,team-st-a,member,2026-01-01,\n", wantStatus: 403, wantCode: "forbidden",
			verify: notThere("a-cg-93"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.client.For(t)
			var res *apitest.Response
			if tt.contentType == "text/csv" {
				res = postCSV(t, c, "/v1/admin/imports"+tt.query, f.story.Text(tt.body), tok[tt.login])
			} else {
				res = c.PostJSON("/v1/admin/imports"+tt.query, f.story.Text(tt.body), tok[tt.login])
			}
			switch {
			case tt.wantStatus == http.StatusOK:
				if res.Status != http.StatusOK {
					t.Fatalf("status %d: %s", res.Status, res.Body)
				}
				var rep openapi.ImportReport
				res.JSON(t, &rep)
				if !rep.Applied || len(rep.Rejected) != 0 {
					t.Errorf("report = %+v, want applied without rejections", rep)
				}
				for s, n := range tt.wantCounts {
					if rep.Counts[s] != n {
						t.Errorf("counts[%s] = %d, want %d (%v)", s, rep.Counts[s], n, rep.Counts)
					}
				}
			case tt.wantRejected != nil:
				p := res.Problem(t, tt.wantStatus, tt.wantCode)
				if tt.wantField != "" {
					wantFields(t, p, tt.wantField)
				}
				var ip importProblem
				res.JSON(t, &ip)
				if ip.Report.Applied {
					t.Error("rejected import says applied")
				}
				var got []rowErr
				for _, r := range ip.Report.Rejected {
					got = append(got, rowErr{r.Section, r.Row, r.Key, r.Field, string(r.Code)})
					if r.Reason == "" {
						t.Errorf("rejected row without a reason: %+v", r)
					}
				}
				if !slices.Equal(got, tt.wantRejected) {
					t.Errorf("rejected = %+v, want %+v", got, tt.wantRejected)
				}
			default:
				res.Problem(t, tt.wantStatus, tt.wantCode)
			}
			if tt.verify != nil {
				tt.verify(t)
			}
		})
	}
}

func TestAdmin_CreateCertificate(t *testing.T) {
	f := newFixture(t, options{demo: true})
	tok := f.tokens(t, "admin", "leader.a")
	cert := func(number, officer, dept, from, to string) string {
		return fmt.Sprintf(`{"number":%q,"officer_code":%q,"issuing_department_code":%q,"valid_from":%q,"valid_to":%q}`,
			number, officer, dept, from, to)
	}
	certificates := func(t *testing.T, officer string) []string {
		var m openapi.Member
		getJSON(t, f.client.For(t), "/v1/officers/"+officer, tok["admin"], &m)
		var out []string
		for _, c := range m.Certificates {
			out = append(out, c.Number)
		}
		return out
	}
	tests := []struct {
		name       string
		login      string
		body       string
		wantStatus int
		wantCode   string
		wantField  string
		verify     func(t *testing.T)
	}{
		{
			// a-cg-05's certificate ended 2026-06-30; a renewal from 2026-07-01 makes him count again.
			name: "OK", login: "admin", body: cert("京执字110101-0105", "a-cg-05", "cg", "2026-07-01T00:00:00Z", "2031-07-01T00:00:00Z"),
			wantStatus: 201,
			verify: func(t *testing.T) {
				if got := certificates(t, "a-cg-05"); !slices.Equal(got, []string{"京执字110101-0005", "京执字110101-0105"}) {
					t.Errorf("a-cg-05 certificates = %v", got)
				}
				res := f.client.For(t).PostJSON("/v1/authority/decisions", f.decisionBody(t, "CG-001", "2026-10-01T10:00:00Z", "a-cg-05", "a-cg-03"), tok["leader.a"])
				checkDecision(t, res, decision{tier: openapi.TierEnforcement, lead: "a-cg-05", second: "a-cg-03", holders: []string{"a-cg-05", "a-cg-03"}})
				// Before the renewal his old certificate is the one that counts.
				res = f.client.For(t).PostJSON("/v1/authority/decisions", f.decisionBody(t, "CG-001", "2026-05-01T10:00:00Z", "a-cg-05", "a-cg-03"), tok["leader.a"])
				checkDecision(t, res, decision{tier: openapi.TierEnforcement, lead: "a-cg-05", second: "a-cg-03", holders: []string{"a-cg-05", "a-cg-03"},
					absent: []string{"CERT_NOT_YET_VALID"}})
				// Between the two certificates he counts for nothing.
				res = f.client.For(t).PostJSON("/v1/authority/decisions", f.decisionBody(t, "CG-001", "2026-06-30T12:00:00Z", "a-cg-05", "a-cg-03"), tok["leader.a"])
				checkDecision(t, res, decision{tier: openapi.TierOnsiteInspection, lead: "a-cg-03", holders: []string{"a-cg-03"}})
			},
		},
		{
			name: "ErrNumberHeldByAnother", login: "admin", body: cert("京执字110101-0003", "a-cg-04", "cg", "2026-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),
			wantStatus: 409, wantCode: "conflict", wantField: "/number",
			verify: func(t *testing.T) {
				if got := certificates(t, "a-cg-04"); !slices.Equal(got, []string{"京执字110101-0004"}) {
					t.Errorf("a-cg-04 certificates = %v", got)
				}
				if got := certificates(t, "a-cg-03"); !slices.Equal(got, []string{"京执字110101-0003"}) {
					t.Errorf("a-cg-03 certificates = %v", got)
				}
			},
		},
		{
			name: "ErrWindowInverted", login: "admin", body: cert("京执字110101-0106", "a-cg-06", "cg", "2027-01-01T00:00:00Z", "2026-01-01T00:00:00Z"),
			wantStatus: 422, wantCode: "validation_failed", wantField: "/valid_to",
			verify: func(t *testing.T) {
				if got := certificates(t, "a-cg-06"); !slices.Equal(got, []string{"京执字110101-0006"}) {
					t.Errorf("a-cg-06 certificates = %v", got)
				}
			},
		},
		{
			name: "ErrUnknownOfficer", login: "admin", body: cert("京执字110101-0107", "zz-nobody", "cg", "2026-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),
			wantStatus: 422, wantCode: "validation_failed", wantField: "/officer_code",
		},
		{
			name: "ErrUnknownDepartment", login: "admin", body: cert("京执字110101-0108", "a-cg-06", "nope", "2026-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),
			wantStatus: 422, wantCode: "validation_failed", wantField: "/issuing_department_code",
		},
		{
			name: "ErrAuxiliary", login: "admin", body: cert("京执字110101-0109", "a-aux-01", "cg", "2026-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),
			wantStatus: 422, wantCode: "validation_failed", wantField: "/officer_code",
		},
		{
			name: "ErrMissingValidTo", login: "admin",
			body:       `{"number":"京执字110101-0110","officer_code":"a-cg-06","issuing_department_code":"cg","valid_from":"2026-01-01T00:00:00Z"}`,
			wantStatus: 400, wantCode: "bad_request", wantField: "/valid_to",
		},
		{
			name: "ErrNotAdmin", login: "leader.a", body: cert("京执字110101-0111", "a-cg-06", "cg", "2026-01-01T00:00:00Z", "2030-01-01T00:00:00Z"),
			wantStatus: 403, wantCode: "forbidden",
			verify: func(t *testing.T) {
				if got := certificates(t, "a-cg-06"); !slices.Equal(got, []string{"京执字110101-0006"}) {
					t.Errorf("a team leader recorded a certificate: a-cg-06 certificates = %v", got)
				}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.client.For(t).PostJSON("/v1/admin/certificates", f.story.Text(tt.body), tok[tt.login])
			if tt.wantStatus == http.StatusCreated {
				if res.Status != http.StatusCreated {
					t.Fatalf("status %d: %s", res.Status, res.Body)
				}
				var got, sent openapi.Certificate
				res.JSON(t, &got)
				if err := json.Unmarshal([]byte(f.story.Text(tt.body)), &sent); err != nil {
					t.Fatal(err)
				}
				if got.Number != sent.Number || got.OfficerCode != sent.OfficerCode || !got.ValidFrom.Equal(sent.ValidFrom) || !got.ValidTo.Equal(sent.ValidTo) {
					t.Errorf("recorded %+v, sent %+v", got, sent)
				}
			} else {
				p := res.Problem(t, tt.wantStatus, tt.wantCode)
				if tt.wantField != "" {
					wantFields(t, p, tt.wantField)
				}
			}
			if tt.verify != nil {
				tt.verify(t)
			}
		})
	}
}

func TestAdmin_SetCertificateStatus(t *testing.T) {
	f := newFixture(t, options{demo: true})
	tok := f.tokens(t, "admin", "leader.a")
	const number = "京执字110101-0010" // a-sj-01's
	statusPath := func(n string) string { return "/v1/admin/certificates/" + url.PathEscape(n) + "/status" }
	decide := func(t *testing.T, at string) *apitest.Response {
		return f.client.For(t).PostJSON("/v1/authority/decisions", f.decisionBody(t, "SJ-002", at, "a-sj-01", "a-sj-02"), tok["leader.a"])
	}
	suspendedAt := decision{tier: openapi.TierOnsiteInspection, lead: "a-sj-02", holders: []string{"a-sj-02"}, reasons: []string{"CERT_SUSPENDED_AT_ACT:a-sj-01"}}
	bothCount := decision{tier: openapi.TierEnforcement, lead: "a-sj-01", second: "a-sj-02", holders: []string{"a-sj-01", "a-sj-02"},
		absent: []string{"CERT_SUSPENDED_AT_ACT"}}
	tests := []struct {
		name       string
		login      string
		number     string
		body       string
		wantStatus int
		wantCode   string
		wantLast   string // the status of the newest history entry
		verify     func(t *testing.T)
	}{
		{
			name: "OKSuspend", login: "admin", number: number,
			body:       `{"status":"suspended","since":"2026-11-01T00:00:00Z","reason":"涉嫌违纪，暂停执法资格"}`,
			wantStatus: 200, wantLast: "suspended",
			verify: func(t *testing.T) {
				checkDecision(t, decide(t, "2026-11-05T10:00:00Z"), suspendedAt)
				// An act before the suspension still counts the officer.
				checkDecision(t, decide(t, "2026-10-20T10:00:00Z"), bothCount)
			},
		},
		{
			name: "OKReinstate", login: "admin", number: number,
			body:       `{"status":"active","since":"2026-11-08T00:00:00Z","reason":"调查结束，恢复执法资格"}`,
			wantStatus: 200, wantLast: "active",
			verify: func(t *testing.T) {
				checkDecision(t, decide(t, "2026-11-05T10:00:00Z"), suspendedAt)
				checkDecision(t, decide(t, "2026-11-09T10:00:00Z"), bothCount)
			},
		},
		{
			name: "ErrUnknownNumber", login: "admin", number: "京执字999999-0000",
			body: `{"status":"revoked","reason":"x"}`, wantStatus: 404, wantCode: "not_found",
		},
		{
			name: "ErrNotAdmin", login: "leader.a", number: "京执字110101-0011",
			body: `{"status":"revoked","reason":"越权"}`, wantStatus: 403, wantCode: "forbidden",
			verify: func(t *testing.T) {
				// a-sj-02 still counts on 2026-11-10.
				checkDecision(t, decide(t, "2026-11-10T10:00:00Z"), bothCount)
			},
		},
		{
			name: "ErrUnknownStatus", login: "admin", number: number,
			body: `{"status":"lost","reason":"x"}`, wantStatus: 400, wantCode: "bad_request",
		},
		{
			name: "ErrNoReason", login: "admin", number: number,
			body: `{"status":"revoked"}`, wantStatus: 400, wantCode: "bad_request",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.client.For(t).PostJSON(statusPath(tt.number), f.story.Text(tt.body), tok[tt.login])
			if tt.wantStatus == http.StatusOK {
				if res.Status != http.StatusOK {
					t.Fatalf("status %d: %s", res.Status, res.Body)
				}
				var c openapi.Certificate
				res.JSON(t, &c)
				if c.Number != tt.number || c.OfficerCode != "a-sj-01" || c.Status == nil || len(*c.Status) == 0 {
					t.Fatalf("certificate = %+v", c)
				}
				if h := *c.Status; string(h[len(h)-1].Status) != tt.wantLast {
					t.Errorf("status history %+v, want it to end with %s", h, tt.wantLast)
				}
			} else {
				res.Problem(t, tt.wantStatus, tt.wantCode)
			}
			if tt.verify != nil {
				tt.verify(t)
			}
		})
	}
}

func TestAdmin_AddMatterVersion(t *testing.T) {
	f := newFixture(t, options{demo: true})
	tok := f.tokens(t, "admin", "leader.a", "officer.a")
	matter := func(code, dept, from string, ms ...string) string {
		return fmt.Sprintf(`{"code":%q,"name_zh":"占道经营（修订）","legal_basis":"《北京市市容环境卫生条例》第十七条","department_code":%q,
			"measures":[%s],"default_whistle":"regular","valid_from":%q}`, code, dept, `"`+strings.Join(ms, `","`)+`"`, from)
	}
	versions := func(t *testing.T, code string) []openapi.Matter {
		var out []openapi.Matter
		getJSON(t, f.client.For(t), "/v1/matters/"+code, tok["officer.a"], &out)
		return out
	}
	inForce := func(t *testing.T, code, at string) openapi.Matter {
		var ms []openapi.Matter
		getJSON(t, f.client.For(t), "/v1/matters?department=cg&at="+url.QueryEscape(f.story.Text(at)), tok["officer.a"], &ms)
		for _, m := range ms {
			if m.Code == code {
				return m
			}
		}
		t.Fatalf("%s not in force at %s", code, at)
		return openapi.Matter{}
	}
	unchanged := func(code string) func(t *testing.T) {
		return func(t *testing.T) {
			if vs := versions(t, code); len(vs) != 1 || vs[0].ValidTo != nil {
				t.Errorf("%s versions = %+v, want the one open version", code, vs)
			}
		}
	}
	tests := []struct {
		name        string
		login       string
		body        string
		wantStatus  int
		wantCode    string
		wantField   string
		wantVersion int
		verify      func(t *testing.T)
	}{
		{
			name: "OK", login: "admin", body: matter("CG-001", "cg", "2026-12-01T00:00:00Z", "evidence", "summons", "warning"),
			wantStatus: 201, wantVersion: 2,
			verify: func(t *testing.T) {
				vs := versions(t, "CG-001")
				if len(vs) != 2 || vs[0].Version != 1 || vs[1].Version != 2 || vs[0].ValidTo == nil ||
					!vs[0].ValidTo.Equal(vs[1].ValidFrom) || vs[1].ValidTo != nil {
					t.Fatalf("CG-001 versions = %+v, want 1 ending where 2 starts, 2 open", vs)
				}
				if old := inForce(t, "CG-001", "2026-11-30T23:59:59Z"); old.Version != 1 || !slices.Contains(old.Measures, seizure) {
					t.Errorf("before 2026-12-01: %+v, want version 1 with seizure", old)
				}
				if cur := inForce(t, "CG-001", "2026-12-01T00:00:00Z"); cur.Version != 2 || slices.Contains(cur.Measures, seizure) {
					t.Errorf("from 2026-12-01: %+v, want version 2 without seizure", cur)
				}
				// Decisions follow the version in force at the act.
				res := f.client.For(t).PostJSON("/v1/authority/decisions", f.decisionBody(t, "CG-001", "2026-12-02T10:00:00Z", "a-cg-03", "a-cg-04"), tok["leader.a"])
				checkDecision(t, res, decision{tier: openapi.TierEnforcement, lead: "a-cg-03", second: "a-cg-04", holders: []string{"a-cg-03", "a-cg-04"},
					allowed: measures(evidence, summons, warning), version: 2})
			},
		},
		{
			name: "OKNewMatter", login: "admin", body: matter("CG-900", "cg", "2026-12-01T00:00:00Z", "evidence"),
			wantStatus: 201, wantVersion: 1,
			verify: unchanged("CG-900"),
		},
		{
			name: "ErrValidFromNotAfterCurrent", login: "admin", body: matter("CG-002", "cg", "2021-07-15T00:00:00Z", "evidence"),
			wantStatus: 422, wantCode: "validation_failed", wantField: "/valid_from",
			verify: unchanged("CG-002"),
		},
		{
			name: "ErrValidFromBeforeCurrent", login: "admin", body: matter("CG-002", "cg", "2020-01-01T00:00:00Z", "evidence"),
			wantStatus: 422, wantCode: "validation_failed", wantField: "/valid_from",
			verify: unchanged("CG-002"),
		},
		{
			name: "ErrUnknownDepartment", login: "admin", body: matter("CG-003", "nope", "2026-12-01T00:00:00Z", "evidence"),
			wantStatus: 422, wantCode: "validation_failed", wantField: "/department_code",
			verify: unchanged("CG-003"),
		},
		{
			name: "ErrBadCode", login: "admin", body: matter("cg-004", "cg", "2026-12-01T00:00:00Z", "evidence"),
			wantStatus: 400, wantCode: "bad_request", wantField: "/code",
		},
		{
			name: "ErrNoMeasure", login: "admin", body: strings.Replace(matter("CG-004", "cg", "2026-12-01T00:00:00Z", "evidence"), `"evidence"`, ``, 1),
			wantStatus: 400, wantCode: "bad_request", wantField: "/measures",
			verify: unchanged("CG-004"),
		},
		{
			name: "ErrNotAdmin", login: "leader.a", body: matter("CG-005", "cg", "2026-12-01T00:00:00Z", "evidence"),
			wantStatus: 403, wantCode: "forbidden",
			verify: unchanged("CG-005"),
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.client.For(t).PostJSON("/v1/admin/matters", f.story.Text(tt.body), tok[tt.login])
			if tt.wantStatus == http.StatusCreated {
				if res.Status != http.StatusCreated {
					t.Fatalf("status %d: %s", res.Status, res.Body)
				}
				var m, sent openapi.Matter
				res.JSON(t, &m)
				if err := json.Unmarshal([]byte(f.story.Text(tt.body)), &sent); err != nil {
					t.Fatal(err)
				}
				if m.Code != sent.Code || m.Version != tt.wantVersion || !m.ValidFrom.Equal(sent.ValidFrom) || m.ValidTo != nil ||
					m.DepartmentKind != openapi.Squad || !slices.Equal(m.Measures, sent.Measures) {
					t.Errorf("new version = %+v, want %s version %d from %s", m, sent.Code, tt.wantVersion, sent.ValidFrom)
				}
			} else {
				p := res.Problem(t, tt.wantStatus, tt.wantCode)
				if tt.wantField != "" {
					wantFields(t, p, tt.wantField)
				}
			}
			if tt.verify != nil {
				tt.verify(t)
			}
		})
	}
}

func TestAdmin_SetPolicy(t *testing.T) {
	f := newFixture(t, options{demo: true})
	tok := f.tokens(t, "admin", "leader.a", "officer.a")
	policy := func(dept, from string, single, second bool, basis string, review bool) string {
		return fmt.Sprintf(`{"department_code":%q,"valid_from":%q,"single_officer_simple_procedure":%t,
			"second_inspector_from_other_resident":%t,"second_inspector_legal_basis":%q,"mixed_crew_seizure_review":%t}`,
			dept, from, single, second, basis, review)
	}
	policyAt := func(t *testing.T, dept, at string) openapi.Policy {
		var ps []openapi.Policy
		getJSON(t, f.client.For(t), "/v1/policies?at="+url.QueryEscape(f.story.Text(at)), tok["officer.a"], &ps)
		for _, p := range ps {
			if p.DepartmentCode == dept {
				return p
			}
		}
		t.Fatalf("no policy of %s at %s", dept, at)
		return openapi.Policy{}
	}
	// jt's demo policy lets one traffic officer decide a simple-procedure fine.
	jtAlone := func(t *testing.T, at string) *apitest.Response {
		return f.client.For(t).PostJSON("/v1/authority/decisions", f.decisionBody(t, "JT-001", at, "a-jt-01"), tok["leader.a"])
	}
	unchangedJT := func(t *testing.T) {
		if p := policyAt(t, "jt", "2027-01-01T00:00:00Z"); !p.SingleOfficerSimpleProcedure || p.SecondInspectorFromOtherResident {
			t.Errorf("jt policy changed: %+v", p)
		}
	}
	tests := []struct {
		name       string
		login      string
		body       string
		wantStatus int
		wantCode   string
		wantField  string
		verify     func(t *testing.T)
	}{
		{
			name: "ErrSecondInspectorWithoutLegalBasis", login: "admin", body: policy("jt", "2026-12-01T00:00:00Z", true, true, "", false),
			wantStatus: 422, wantCode: "validation_failed", wantField: "/second_inspector_legal_basis",
			verify: unchangedJT,
		},
		{
			name: "ErrReviewWithoutSecondInspector", login: "admin", body: policy("jt", "2026-12-01T00:00:00Z", true, false, "", true),
			wantStatus: 422, wantCode: "validation_failed", wantField: "/mixed_crew_seizure_review",
			verify: unchangedJT,
		},
		{
			name: "ErrUnknownDepartment", login: "admin", body: policy("nope", "2026-12-01T00:00:00Z", false, false, "", false),
			wantStatus: 422, wantCode: "validation_failed", wantField: "/department_code",
		},
		{
			// Acts already judged keep their policy: no change in the past.
			name: "ErrInThePast", login: "admin", body: policy("jt", "2025-01-01T00:00:00Z", false, false, "", false),
			wantStatus: 422, wantCode: "validation_failed", wantField: "/valid_from",
			verify: unchangedJT,
		},
		{
			name: "ErrNotAdmin", login: "leader.a", body: policy("jt", "2026-12-01T00:00:00Z", false, false, "", false),
			wantStatus: 403, wantCode: "forbidden",
			verify: unchangedJT,
		},
		{
			name: "OK", login: "admin", body: policy("jt", "2026-12-01T00:00:00Z", false, false, "", false),
			wantStatus: 201,
			verify: func(t *testing.T) {
				if p := policyAt(t, "jt", "2026-11-30T23:59:59Z"); !p.SingleOfficerSimpleProcedure || !p.ValidFrom.Equal(f.story.At("2021-07-15")) {
					t.Errorf("jt policy before 2026-12-01 = %+v, want the demo one", p)
				}
				if p := policyAt(t, "jt", "2026-12-01T00:00:00Z"); p.SingleOfficerSimpleProcedure || !p.ValidFrom.Equal(f.story.At("2026-12-01T00:00:00Z")) {
					t.Errorf("jt policy from 2026-12-01 = %+v, want the new one", p)
				}
				checkDecision(t, jtAlone(t, "2026-11-30T10:00:00Z"), decision{tier: openapi.TierOnsiteInspection, lead: "a-jt-01", holders: []string{"a-jt-01"},
					allowed: measures(evidence, fine, summons, warning), reasons: []string{"SINGLE_OFFICER_SIMPLE_PROCEDURE"}})
				checkDecision(t, jtAlone(t, "2026-12-02T10:00:00Z"), decision{tier: openapi.TierOnsiteInspection, lead: "a-jt-01", holders: []string{"a-jt-01"},
					allowed: measures(evidence, summons), reasons: []string{"PENALTY_NEEDS_TWO_HOLDERS"}, absent: []string{"SINGLE_OFFICER_SIMPLE_PROCEDURE"}})
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.client.For(t).PostJSON("/v1/admin/policies", f.story.Text(tt.body), tok[tt.login])
			if tt.wantStatus == http.StatusCreated {
				if res.Status != http.StatusCreated {
					t.Fatalf("status %d: %s", res.Status, res.Body)
				}
				var got, sent openapi.Policy
				res.JSON(t, &got)
				if err := json.Unmarshal([]byte(f.story.Text(tt.body)), &sent); err != nil {
					t.Fatal(err)
				}
				got.Department = nil
				if got.DepartmentCode != sent.DepartmentCode || !got.ValidFrom.Equal(sent.ValidFrom) ||
					got.SingleOfficerSimpleProcedure != sent.SingleOfficerSimpleProcedure ||
					got.SecondInspectorFromOtherResident != sent.SecondInspectorFromOtherResident {
					t.Errorf("stored %+v, sent %+v", got, sent)
				}
			} else {
				p := res.Problem(t, tt.wantStatus, tt.wantCode)
				if tt.wantField != "" {
					wantFields(t, p, tt.wantField)
				}
			}
			if tt.verify != nil {
				tt.verify(t)
			}
		})
	}
}

// deviceKey returns a fresh Ed25519 public key in base64, as a phone sends it.
func deviceKey(t *testing.T) string {
	t.Helper()
	pub, _, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return base64.StdEncoding.EncodeToString(pub)
}

// registerDevice registers a fresh device for the caller of token.
func registerDevice(t *testing.T, c *apitest.Client, token, name string) openapi.Device {
	t.Helper()
	res := c.PostJSON("/v1/devices", `{"public_key":"`+deviceKey(t)+`","name":"`+name+`"}`, token)
	if res.Status != http.StatusCreated {
		t.Fatalf("register device: %d %s", res.Status, res.Body)
	}
	var d openapi.Device
	res.JSON(t, &d)
	return d
}

// deviceLogin logs in from a registered device and wants a refresh token.
func deviceLogin(t *testing.T, c *apitest.Client, username string, device openapi.Device) openapi.Session {
	t.Helper()
	res := c.PostJSON("/v1/auth/login", `{"username":"`+username+`","password":"`+demo.Password+`","device_id":"`+device.Id.String()+`"}`, "")
	if res.Status != http.StatusOK {
		t.Fatalf("login %s on device %s: %d %s", username, device.Id, res.Status, res.Body)
	}
	var s openapi.Session
	res.JSON(t, &s)
	if s.RefreshToken == nil || *s.RefreshToken == "" || s.RefreshExpiresIn == nil || *s.RefreshExpiresIn <= 0 {
		t.Fatalf("device login without a refresh token: %+v", s)
	}
	return s
}

func refresh(c *apitest.Client, token string) *apitest.Response {
	return c.PostJSON("/v1/auth/refresh", `{"refresh_token":"`+token+`"}`, "")
}

// wantLive fails unless the access token works on /v1/me for username.
func wantLive(t *testing.T, c *apitest.Client, token, username string) {
	t.Helper()
	var me openapi.Me
	getJSON(t, c, "/v1/me", token, &me)
	if me.Username != username {
		t.Errorf("token of %s answers as %s", username, me.Username)
	}
}

func wantDead(t *testing.T, c *apitest.Client, token string) {
	t.Helper()
	c.Get("/v1/me", token).Problem(t, http.StatusUnauthorized, "unauthenticated")
}

func TestDevices_Register(t *testing.T) {
	f := newFixture(t, options{demo: true})
	tok := f.tokens(t, "officer.a")
	key := deviceKey(t)
	tests := []struct {
		name       string
		body       string
		wantStatus int
		wantCode   string
		wantField  string
	}{
		{"OK", `{"public_key":"` + key + `","name":"华为 Mate 60"}`, 201, "", ""},
		{"ErrSameKeyTwice", `{"public_key":"` + key + `","name":"again"}`, 409, "conflict", "public_key"},
		{"ErrShortKey", `{"public_key":"` + base64.StdEncoding.EncodeToString([]byte("short")) + `","name":"x"}`, 422, "validation_failed", "public_key"},
		{"ErrNotBase64", `{"public_key":"***","name":"x"}`, 400, "bad_request", "/public_key"},
		{"ErrNoName", `{"public_key":"` + deviceKey(t) + `"}`, 400, "bad_request", "/name"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.client.For(t).PostJSON("/v1/devices", tt.body, tok["officer.a"])
			if tt.wantStatus == http.StatusCreated {
				if res.Status != http.StatusCreated {
					t.Fatalf("status %d: %s", res.Status, res.Body)
				}
				var d openapi.Device
				res.JSON(t, &d)
				var me openapi.Me
				getJSON(t, f.client.For(t), "/v1/me", tok["officer.a"], &me)
				if d.UserId != me.Id || base64.StdEncoding.EncodeToString(d.PublicKey) != key || d.Name != "华为 Mate 60" || d.RevokedAt != nil {
					t.Errorf("device = %+v", d)
				}
				return
			}
			wantFields(t, res.Problem(t, tt.wantStatus, tt.wantCode), tt.wantField)
		})
	}
}

func TestSession_Refresh(t *testing.T) {
	f := newFixture(t, options{demo: true})
	c := f.client
	token := f.login(t, "officer.a", demo.Password)
	dev := registerDevice(t, c, token, "phone")

	t.Run("OK", func(t *testing.T) {
		c := f.client.For(t)
		s0 := deviceLogin(t, c, "officer.a", dev)
		res := refresh(c, *s0.RefreshToken)
		if res.Status != http.StatusOK {
			t.Fatalf("refresh: %d %s", res.Status, res.Body)
		}
		var s1 openapi.Session
		res.JSON(t, &s1)
		if s1.RefreshToken == nil || *s1.RefreshToken == *s0.RefreshToken || s1.AccessToken == "" {
			t.Fatalf("refresh did not rotate: %+v", s1)
		}
		wantLive(t, c, s1.AccessToken, "officer.a")
		// The newest refresh token works in turn.
		if res := refresh(c, *s1.RefreshToken); res.Status != http.StatusOK {
			t.Fatalf("second refresh: %d %s", res.Status, res.Body)
		}
	})
	t.Run("ErrReusedTokenRevokesSession", func(t *testing.T) {
		c := f.client.For(t)
		s0 := deviceLogin(t, c, "officer.a", dev)
		var s1 openapi.Session
		refresh(c, *s0.RefreshToken).JSON(t, &s1)
		wantLive(t, c, s1.AccessToken, "officer.a")
		// Someone presents the spent token again: the whole session ends.
		refresh(c, *s0.RefreshToken).Problem(t, http.StatusUnauthorized, "unauthenticated")
		refresh(c, *s1.RefreshToken).Problem(t, http.StatusUnauthorized, "unauthenticated")
		wantDead(t, c, s1.AccessToken)
		wantDead(t, c, s0.AccessToken)
		// Other sessions of the same user are not touched.
		wantLive(t, c, token, "officer.a")
	})
	t.Run("ErrUnknownToken", func(t *testing.T) {
		c := f.client.For(t)
		refresh(c, base64.RawURLEncoding.EncodeToString(make([]byte, 32))).Problem(t, http.StatusUnauthorized, "unauthenticated")
		refresh(c, "garbage").Problem(t, http.StatusUnauthorized, "unauthenticated")
	})
	t.Run("ErrBrowserLoginHasNoRefreshToken", func(t *testing.T) {
		var s openapi.Session
		f.client.For(t).PostJSON("/v1/auth/login", `{"username":"officer.a","password":"whistle-demo"}`, "").JSON(t, &s)
		if s.RefreshToken != nil {
			t.Errorf("login without a device got a refresh token")
		}
	})
	t.Run("ErrAnotherUsersDevice", func(t *testing.T) {
		f.client.For(t).PostJSON("/v1/auth/login", `{"username":"officer.b","password":"whistle-demo","device_id":"`+dev.Id.String()+`"}`, "").
			Problem(t, http.StatusForbidden, "forbidden")
	})
}

func TestDevices_Revoke(t *testing.T) {
	f := newFixture(t, options{demo: true})
	tok := f.tokens(t, "officer.a", "officer.b", "admin")
	revoke := func(c *apitest.Client, id, token string) *apitest.Response {
		return c.PostJSON("/v1/devices/"+id+"/revoke", `{"reason":"手机巡逻时丢失"}`, token)
	}
	t.Run("OK", func(t *testing.T) {
		c := f.client.For(t)
		dev := registerDevice(t, c, tok["officer.a"], "lost phone")
		s := deviceLogin(t, c, "officer.a", dev)
		wantLive(t, c, s.AccessToken, "officer.a")
		res := revoke(c, dev.Id.String(), tok["officer.a"])
		if res.Status != http.StatusOK {
			t.Fatalf("revoke: %d %s", res.Status, res.Body)
		}
		var got openapi.Device
		res.JSON(t, &got)
		if got.Id != dev.Id || got.RevokedAt == nil {
			t.Fatalf("revoked device = %+v", got)
		}
		// The session on the device ends at once, not at token expiry.
		wantDead(t, c, s.AccessToken)
		refresh(c, *s.RefreshToken).Problem(t, http.StatusUnauthorized, "unauthenticated")
		c.PostJSON("/v1/auth/login", `{"username":"officer.a","password":"whistle-demo","device_id":"`+dev.Id.String()+`"}`, "").
			Problem(t, http.StatusForbidden, "forbidden")
		// The owner's other sessions go on.
		wantLive(t, c, tok["officer.a"], "officer.a")
	})
	t.Run("OKByAdmin", func(t *testing.T) {
		c := f.client.For(t)
		dev := registerDevice(t, c, tok["officer.a"], "handed over")
		s := deviceLogin(t, c, "officer.a", dev)
		if res := revoke(c, dev.Id.String(), tok["admin"]); res.Status != http.StatusOK {
			t.Fatalf("admin revoke: %d %s", res.Status, res.Body)
		}
		wantDead(t, c, s.AccessToken)
	})
	t.Run("ErrAnotherUsersDevice", func(t *testing.T) {
		c := f.client.For(t)
		dev := registerDevice(t, c, tok["officer.a"], "mine")
		s := deviceLogin(t, c, "officer.a", dev)
		revoke(c, dev.Id.String(), tok["officer.b"]).Problem(t, http.StatusNotFound, "not_found")
		wantLive(t, c, s.AccessToken, "officer.a")
	})
	t.Run("ErrUnknownDevice", func(t *testing.T) {
		revoke(f.client.For(t), "00000000-0000-4000-8000-000000000000", tok["officer.a"]).Problem(t, http.StatusNotFound, "not_found")
	})
	t.Run("ErrNoReason", func(t *testing.T) {
		c := f.client.For(t)
		dev := registerDevice(t, c, tok["officer.a"], "x")
		c.PostJSON("/v1/devices/"+dev.Id.String()+"/revoke", `{}`, tok["officer.a"]).Problem(t, http.StatusBadRequest, "bad_request")
	})
}

func TestAdmin_DisableUser(t *testing.T) {
	f := newFixture(t, options{demo: true})
	tok := f.tokens(t, "admin", "leader.a", "officer.b", "grid.a")
	disable := func(c *apitest.Client, username, token string) *apitest.Response {
		return c.PostJSON("/v1/admin/users/"+username+"/disable", `{"reason":"调离执法岗位"}`, token)
	}
	tests := []struct {
		name       string
		login      string
		username   string
		wantStatus int
		wantCode   string
		verify     func(t *testing.T, c *apitest.Client)
	}{
		{
			name: "OK", login: "admin", username: "officer.b", wantStatus: 204,
			verify: func(t *testing.T, c *apitest.Client) {
				wantDead(t, c, tok["officer.b"])
				c.PostJSON("/v1/auth/login", `{"username":"officer.b","password":"whistle-demo"}`, "").Problem(t, http.StatusUnauthorized, "unauthenticated")
			},
		},
		{
			name: "ErrNotAdmin", login: "leader.a", username: "grid.a", wantStatus: 403, wantCode: "forbidden",
			verify: func(t *testing.T, c *apitest.Client) { wantLive(t, c, tok["grid.a"], "grid.a") },
		},
		{name: "ErrUnknownUser", login: "admin", username: "nobody", wantStatus: 404, wantCode: "not_found"},
		{
			name: "ErrSelf", login: "admin", username: "admin", wantStatus: 403, wantCode: "forbidden",
			verify: func(t *testing.T, c *apitest.Client) { wantLive(t, c, tok["admin"], "admin") },
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.client.For(t)
			res := disable(c, tt.username, tok[tt.login])
			if tt.wantStatus == http.StatusNoContent {
				if res.Status != http.StatusNoContent || len(res.Body) != 0 {
					t.Fatalf("status %d: %s", res.Status, res.Body)
				}
			} else {
				res.Problem(t, tt.wantStatus, tt.wantCode)
			}
			if tt.verify != nil {
				tt.verify(t, c)
			}
		})
	}
}

func TestSession_Logout(t *testing.T) {
	f := newFixture(t, options{demo: true})
	t.Run("OK", func(t *testing.T) {
		c := f.client.For(t)
		token := f.login(t, "grid.a", demo.Password)
		other := f.login(t, "grid.a", demo.Password)
		wantLive(t, c, token, "grid.a")
		res := c.PostJSON("/v1/auth/logout", ``, token)
		if res.Status != http.StatusNoContent {
			t.Fatalf("logout: %d %s", res.Status, res.Body)
		}
		wantDead(t, c, token)
		c.PostJSON("/v1/auth/logout", ``, token).Problem(t, http.StatusUnauthorized, "unauthenticated")
		// Only that session ends.
		wantLive(t, c, other, "grid.a")
	})
	t.Run("OKDeviceSession", func(t *testing.T) {
		c := f.client.For(t)
		dev := registerDevice(t, c, f.login(t, "officer.a", demo.Password), "phone")
		s := deviceLogin(t, c, "officer.a", dev)
		if res := c.PostJSON("/v1/auth/logout", ``, s.AccessToken); res.Status != http.StatusNoContent {
			t.Fatalf("logout: %d %s", res.Status, res.Body)
		}
		wantDead(t, c, s.AccessToken)
		refresh(c, *s.RefreshToken).Problem(t, http.StatusUnauthorized, "unauthenticated")
	})
	t.Run("ErrNoToken", func(t *testing.T) {
		f.client.For(t).PostJSON("/v1/auth/logout", ``, "").Problem(t, http.StatusUnauthorized, "unauthenticated")
	})
}

func TestLogin_Throttle(t *testing.T) {
	f := newFixture(t, options{demo: true})
	c := f.client
	for i := 1; i <= 5; i++ {
		c.PostJSON("/v1/auth/login", `{"username":"officer.a","password":"wrong-`+fmt.Sprint(i)+`"}`, "").Problem(t, http.StatusUnauthorized, "unauthenticated")
	}
	tests := []struct {
		name       string
		username   string
		password   string
		wantStatus int
		wantCode   string
	}{
		{"ErrLockedEvenWithRightPassword", "officer.a", demo.Password, 429, "too_many_requests"},
		{"ErrLockedWrongPassword", "officer.a", "wrong-6", 429, "too_many_requests"},
		{"OKOtherAccount", "officer.b", demo.Password, 200, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := f.client.For(t).PostJSON("/v1/auth/login", `{"username":"`+tt.username+`","password":"`+tt.password+`"}`, "")
			if tt.wantStatus == http.StatusOK {
				if res.Status != http.StatusOK {
					t.Fatalf("status %d: %s", res.Status, res.Body)
				}
				return
			}
			res.Problem(t, tt.wantStatus, tt.wantCode)
			// The delay grows from a minute, at most the throttle's 15-minute window.
			secs, err := strconv.Atoi(res.Header.Get("Retry-After"))
			if err != nil || secs < 1 || secs > 15*60 {
				t.Fatalf("Retry-After %q, want whole seconds up to the 15-minute window", res.Header.Get("Retry-After"))
			}
		})
	}
}
