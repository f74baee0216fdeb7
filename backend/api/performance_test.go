package api_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/api/apitest"
	"github.com/whistle/whistle/backend/assess"
	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// perfFacts are the facts of the hand-computed record of a-sj-01 (market regulation, seconded to
// street A), written straight into the tables the case, deadline and review stores keep them in:
//
//	caseOnTime  concluded 10 days ago, held by a-sj-01, its decision deadline met in time: +2
//	caseLate    concluded 4 days ago, but its work order's deadline was escalated: no positive event
//	deadline    that work order deadline, escalated 8 days ago, a-sj-01 holding the case: -3
//	review      the department's review returned caseLate's evidence 6 days ago: -2
//	inspection  a record of a-sj-01 returned by the team leader 5 days ago: -1
//	caseOther   concluded on time 9 days ago by a-sj-02: nothing for a-sj-01
type perfFacts struct {
	caseOnTime, caseLate, caseOther, deadline, review, inspection string
}

func recordPerfFacts(t *testing.T, f *fixture) perfFacts {
	t.Helper()
	leader, err := f.users.UserByUsername(context.Background(), "leader.a")
	if err != nil {
		t.Fatal(err)
	}
	reviewer, err := f.users.UserByUsername(context.Background(), "reviewer.sj")
	if err != nil {
		t.Fatal(err)
	}
	now := f.now()
	ago := func(days int) time.Time { return now.Add(-time.Duration(days) * 24 * time.Hour) }
	fx := perfFacts{caseOnTime: uuid.NewString(), caseLate: uuid.NewString(), caseOther: uuid.NewString(), deadline: uuid.NewString(),
		review: uuid.NewString(), inspection: uuid.NewString()}
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := f.db.SQL.Exec(q, args...); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	concluded := func(id, officer string, routed, done time.Time) {
		exec(`INSERT INTO cases (id, street_code, team_code, matter_code, matter_version, department_code, state, outcome,
				assignee_kind, assignee_code, first_receiver_kind, first_receiver_code, address, description, version, doc, created_at, updated_at)
			VALUES ($1, 'st-a', 'team-st-a', 'SJ-002', 1, 'sj', 'concluded', 'penalty', 'officer', $2, 'officer', $2,
				'东城区南锣鼓巷 12 号', '无照经营', 3, '{}', $3, $4)`, id, officer, routed, done)
		exec(`INSERT INTO case_events (case_id, version, kind, at, actor_user_id, assignee) VALUES ($1, 1, 'routed', $2, $3, $4::jsonb)`,
			id, routed, leader.ID, `{"kind":"officer","code":"`+officer+`"}`)
		exec(`INSERT INTO case_events (case_id, version, kind, at, actor_user_id, from_state, to_state)
			VALUES ($1, 3, 'transition', $2, $3, 'executed', 'concluded')`, id, done, leader.ID)
	}
	deadline := func(id, caseID, kind string, due, met time.Time, escalated *time.Time) {
		state := "met"
		exec(`INSERT INTO deadlines (id, street_code, team_code, department_code, subject_kind, subject_id, kind, period, started_at,
				due_at, state, officer_code, met_at, escalated_at, updated_at)
			VALUES ($1, 'st-a', 'team-st-a', 'sj', 'case', $2, $3, '90d', $4, $5, $6, 'a-sj-01', $7, $8, $7)`,
			id, caseID, kind, due.Add(-48*time.Hour), due, state, met, escalated)
	}
	concluded(fx.caseOnTime, "a-sj-01", ago(14), ago(10))
	deadline(uuid.NewString(), fx.caseOnTime, "decision", ago(9), ago(10), nil)
	concluded(fx.caseLate, "a-sj-01", ago(12), ago(4))
	escalated := ago(8)
	deadline(fx.deadline, fx.caseLate, "work_order", ago(8).Add(-time.Hour), ago(4), &escalated)
	concluded(fx.caseOther, "a-sj-02", ago(12), ago(9))
	exec(`INSERT INTO evidence_reviews (id, case_id, department_code, reviewer_user_id, verdict, items, at, status, version)
		VALUES ($1, $2, 'sj', $3, 'returned', '[]', $4, 'returned', 1)`, fx.review, fx.caseLate, reviewer.ID, ago(6))
	exec(`INSERT INTO inspections (id, team_code, street_code, version, act_at, received_at, recorded_by, tier, status, review,
			matter_codes, officer_codes, state, updated_at)
		VALUES ($1, 'team-st-a', 'st-a', 1, $2, $2, 'a-sj-01', 'enforcement', 'complete', 'returned', '{SJ-002}', '{a-sj-01,a-sj-02}', '{}', $3)`,
		fx.inspection, ago(5).Add(-time.Hour), ago(5))
	exec(`INSERT INTO inspection_reviews (inspection_id, version, decision, reasons, reviewer_user_id, at)
		VALUES ($1, 1, 'return', '["缺少当事人签名"]', $2, $3)`, fx.inspection, leader.ID, ago(5))
	return fx
}

// perfEventBody is a manual event of kind and polarity at at.
func perfEventBody(kind, polarity string, at time.Time, points int) string {
	p := ""
	if points > 0 {
		p = fmt.Sprintf(`,"points":%d`, points)
	}
	return fmt.Sprintf(`{"kind":%q,"polarity":%q,"at":%q,"reason":"群众来信表扬"%s}`, kind, polarity, at.UTC().Format(time.RFC3339), p)
}

// recordPerfEvent posts a manual event of officer code as token.
func recordPerfEvent(t *testing.T, f *fixture, token, code, body string) *apitest.Response {
	t.Helper()
	return f.client.For(t).PostJSON("/v1/officers/"+code+"/performance-events", body, token)
}

// perfEvent is the event of a 201 or 200 answer, with its ETag.
func perfEvent(t *testing.T, res *apitest.Response, status int) (openapi.PerformanceEvent, string) {
	t.Helper()
	if res.Status != status {
		t.Fatalf("performance event: %d %s", res.Status, res.Body)
	}
	var e openapi.PerformanceEvent
	res.JSON(t, &e)
	return e, res.Header.Get("ETag")
}

// withdrawPerfEvent posts the withdrawal of event id of officer code at version, as token, with
// If-Match ifMatch ("" for none).
func withdrawPerfEvent(t *testing.T, f *fixture, token, code, id string, version int, ifMatch string) *apitest.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/officers/"+code+"/performance-events/"+id+"/withdrawal",
		strings.NewReader(fmt.Sprintf(`{"version":%d,"reason":"误录"}`, version)))
	req.Header.Set("Content-Type", "application/json")
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	return f.client.For(t).Do(withToken(req, token))
}

// perfPeriod is the query of the last 20 days to today, in Asia/Shanghai.
func perfPeriod(f *fixture) string {
	now := f.now().In(clock.Beijing)
	return "from=" + now.AddDate(0, 0, -20).Format(time.DateOnly) + "&to=" + now.Format(time.DateOnly)
}

// getRecord reads officer code's record of perfPeriod as token.
func getRecord(t *testing.T, f *fixture, token, code string) openapi.PerformanceRecord {
	t.Helper()
	res := f.client.For(t).Get("/v1/officers/"+code+"/performance?"+perfPeriod(f), token)
	if res.Status != http.StatusOK {
		t.Fatalf("record of %s: %d %s", code, res.Status, res.Body)
	}
	var r openapi.PerformanceRecord
	res.JSON(t, &r)
	return r
}

// summary is an event as the tests compare it: kind, points, counted, link.
func summary(e openapi.PerformanceEvent) string {
	return fmt.Sprintf("%s %+d %t %s %s", e.Kind, e.Points, e.Counted, e.StreetCode, e.Link)
}

func TestPerformance_Record(t *testing.T) {
	f := newFixture(t, options{demo: true})
	fx := recordPerfFacts(t, f)
	leader, admin := f.login(t, "leader.a", demo.Password), f.login(t, "admin", demo.Password)
	now := f.now()

	commendation, _ := perfEvent(t, recordPerfEvent(t, f, leader, "a-sj-01", perfEventBody("commendation", "positive", now.Add(-3*24*time.Hour), 0)), http.StatusCreated)
	complaint, tag := perfEvent(t, recordPerfEvent(t, f, leader, "a-sj-01", perfEventBody("complaint", "negative", now.Add(-2*24*time.Hour), 4)), http.StatusCreated)
	t.Run("Recorded", func(t *testing.T) {
		if commendation.Points != 5 || commendation.Source != "manual" || commendation.StreetCode != "st-a" || *commendation.RecordedBy != "leader.a" ||
			*commendation.Version != 1 || complaint.Points != -4 || !complaint.Counted {
			t.Fatalf("commendation %+v, complaint %+v", commendation, complaint)
		}
		got, _ := perfEvent(t, f.client.For(t).Get(commendation.Link, f.login(t, "reviewer.sj", demo.Password)), http.StatusOK)
		if got.Id != commendation.Id {
			t.Fatalf("the link of the commendation reads %+v", got)
		}
	})
	t.Run("Withdraw", func(t *testing.T) {
		path := "/v1/officers/a-sj-01/performance-events/" + complaint.Id + "/withdrawal"
		withdrawPerfEvent(t, f, f.login(t, "officer.a", demo.Password), "a-sj-01", complaint.Id, 1, "").Problem(t, http.StatusForbidden, "forbidden")
		withdrawPerfEvent(t, f, admin, "a-sj-01", complaint.Id, 1, "").Problem(t, http.StatusForbidden, "forbidden")
		withdrawPerfEvent(t, f, f.login(t, "leader.b", demo.Password), "a-sj-01", complaint.Id, 1, "").Problem(t, http.StatusNotFound, "not_found")
		withdrawPerfEvent(t, f, leader, "a-sj-02", complaint.Id, 1, "").Problem(t, http.StatusNotFound, "not_found")
		withdrawPerfEvent(t, f, leader, "a-sj-01", complaint.Id, 1, `"`+complaint.Id+`.2"`).Problem(t, http.StatusPreconditionFailed, "precondition_failed")
		withdrawPerfEvent(t, f, leader, "a-sj-01", complaint.Id, 2, "").Problem(t, http.StatusConflict, "conflict")
		w, wtag := perfEvent(t, withdrawPerfEvent(t, f, leader, "a-sj-01", complaint.Id, 1, tag), http.StatusOK)
		if w.Counted || w.WithdrawnAt == nil || *w.WithdrawnBy != "leader.a" || *w.WithdrawalReason != "误录" || *w.Version != 2 || wtag == tag {
			t.Fatalf("withdrawn %+v, ETag %q", w, wtag)
		}
		withdrawPerfEvent(t, f, leader, "a-sj-01", complaint.Id, 2, "").Problem(t, http.StatusConflict, "conflict")
		var n int
		if err := f.db.SQL.QueryRow(`SELECT count(*) FROM audit_entries WHERE chain = 'st-a' AND entity_type = 'performance_event'
			AND entity_id = $1 AND action IN ('performance_event.record', 'performance_event.withdraw')`, complaint.Id).Scan(&n); err != nil || n != 2 {
			t.Fatalf("trail entries of %s: %d (%v), want its record and its withdrawal", path, n, err)
		}
	})

	// The hand-computed record: +2 (on time) -3 (escalated) -2 (evidence returned) -1 (record
	// returned) +5 (commendation), the withdrawn complaint listed at 0 counted.
	want := []string{
		"case_concluded_on_time +2 true st-a /v1/cases/" + fx.caseOnTime,
		"deadline_escalated -3 true st-a /v1/deadlines/" + fx.deadline,
		"evidence_review_returned -2 true st-a /v1/evidence-reviews/" + fx.review,
		"inspection_returned -1 true st-a /v1/inspections/" + fx.inspection,
		"commendation +5 true st-a /v1/officers/a-sj-01/performance-events/" + commendation.Id,
		"complaint -4 false st-a /v1/officers/a-sj-01/performance-events/" + complaint.Id,
	}
	wantTotals := openapi.PerformanceTotals{Positive: 7, Negative: 6, Net: 1, Events: 5, Withdrawn: 1}
	check := func(t *testing.T, r openapi.PerformanceRecord) {
		t.Helper()
		got := make([]string, len(r.Events))
		for i, e := range r.Events {
			got[i] = summary(e)
		}
		if strings.Join(got, "\n") != strings.Join(want, "\n") || r.Totals != wantTotals || r.Proposal != "competent" || r.HomeDepartment != "sj" {
			t.Fatalf("record:\n%s\ntotals %+v, proposal %s, home %s\nwant:\n%s\ntotals %+v", strings.Join(got, "\n"), r.Totals, r.Proposal,
				r.HomeDepartment, strings.Join(want, "\n"), wantTotals)
		}
	}
	before := getRecord(t, f, leader, "a-sj-01")
	t.Run("HandComputed", func(t *testing.T) {
		check(t, before)
		if before.Streets == nil || len(*before.Streets) != 1 || (*before.Streets)[0] != "st-a" {
			t.Fatalf("the team leader reads streets %v, want st-a's", before.Streets)
		}
		for _, who := range []string{admin, f.login(t, "reviewer.sj", demo.Password)} {
			check(t, getRecord(t, f, who, "a-sj-01"))
		}
	})
	t.Run("CSV", func(t *testing.T) {
		res := f.client.For(t).Get("/v1/officers/a-sj-01/performance.csv?"+perfPeriod(f), leader)
		if res.Status != http.StatusOK || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			t.Fatalf("CSV: %d %s %s", res.Status, res.Header.Get("Content-Type"), res.Body)
		}
		rows, err := csv.NewReader(strings.NewReader(string(res.Body))).ReadAll()
		if err != nil || len(rows) != 1+len(want)+1 {
			t.Fatalf("CSV rows %d (%v): %s", len(rows), err, res.Body)
		}
		for i, e := range before.Events {
			if r := rows[1+i]; r[0] != "event" || r[1] != e.Id || r[3] != string(e.Kind) || r[7] != fmt.Sprint(e.Points) ||
				r[8] != fmt.Sprint(e.Counted) || r[9] != e.Link {
				t.Errorf("CSV row %d %v, want event %+v", i+1, r, e)
			}
		}
		if last := rows[len(rows)-1]; last[0] != "total" || last[3] != "competent" || last[7] != "1" || !strings.Contains(last[10], "sj") {
			t.Errorf("CSV total row %v", last)
		}
	})
	t.Run("Access", func(t *testing.T) {
		path := "/v1/officers/a-sj-01/performance?" + perfPeriod(f)
		for who, want := range map[string]int{"officer.a": 403, "grid.a": 403, "leader.b": 404, "officer.b": 404, "reviewer.sy": 404,
			"community.a1": 404} {
			res := f.client.For(t).Get(path, f.login(t, who, demo.Password))
			res.Problem(t, want, map[int]string{403: "forbidden", 404: "not_found"}[want])
			f.client.For(t).Get(strings.Replace(path, "performance?", "performance.csv?", 1), f.login(t, who, demo.Password)).
				Problem(t, want, map[int]string{403: "forbidden", 404: "not_found"}[want])
		}
		f.client.For(t).Get("/v1/officers/zz-nobody/performance", leader).Problem(t, http.StatusNotFound, "not_found")
		// The officer reads their own record, read-only.
		officer := f.login(t, "officer.a", demo.Password)
		if own := getRecord(t, f, officer, "a-cg-03"); own.Totals != (openapi.PerformanceTotals{}) || own.Proposal != "competent" || own.Streets != nil {
			t.Fatalf("officer.a's own record %+v", own)
		}
		recordPerfEvent(t, f, officer, "a-cg-03", perfEventBody("commendation", "positive", now.Add(-time.Hour), 0)).Problem(t, http.StatusForbidden, "forbidden")
	})
	t.Run("ErrManualEvent", func(t *testing.T) {
		at := now.Add(-time.Hour)
		recordPerfEvent(t, f, admin, "a-sj-01", perfEventBody("commendation", "positive", at, 0)).Problem(t, http.StatusForbidden, "forbidden")
		recordPerfEvent(t, f, f.login(t, "leader.b", demo.Password), "a-sj-01", perfEventBody("commendation", "positive", at, 0)).Problem(t, http.StatusNotFound, "not_found")
		recordPerfEvent(t, f, leader, "zz-nobody", perfEventBody("commendation", "positive", at, 0)).Problem(t, http.StatusNotFound, "not_found")
		for body, field := range map[string]string{
			perfEventBody("complaint", "positive", at, 0):             "/polarity",
			perfEventBody("other", "negative", now.Add(time.Hour), 0): "/at",
		} {
			p := recordPerfEvent(t, f, leader, "a-sj-01", body).Problem(t, http.StatusUnprocessableEntity, "validation_failed")
			if len(p.Errors) != 1 || p.Errors[0].Field != field {
				t.Errorf("%s: problem %+v, want %s named", body, p, field)
			}
		}
		// Points beyond 20 are refused by the contract.
		recordPerfEvent(t, f, leader, "a-sj-01", perfEventBody("other", "negative", at, 21)).Problem(t, http.StatusBadRequest, "bad_request")
	})
	t.Run("Period", func(t *testing.T) {
		year := now.In(clock.Beijing).Year()
		res := f.client.For(t).Get(fmt.Sprintf("/v1/officers/a-sj-01/performance?year=%d", year), leader)
		var r openapi.PerformanceRecord
		if res.Status != http.StatusOK {
			t.Fatalf("year %d: %d %s", year, res.Status, res.Body)
		}
		res.JSON(t, &r)
		if y := assess.YearPeriod(year); !r.From.Equal(y.From) || !r.To.Equal(y.To) {
			t.Fatalf("year %d answers %s..%s", year, r.From, r.To)
		}
		f.client.For(t).Get(fmt.Sprintf("/v1/officers/a-sj-01/performance?year=%d&%s", year, perfPeriod(f)), leader).Problem(t, http.StatusBadRequest, "bad_request")
		f.client.For(t).Get("/v1/officers/a-sj-01/performance?from=2026-03-01", leader).Problem(t, http.StatusBadRequest, "bad_request")
		f.client.For(t).Get("/v1/officers/a-sj-01/performance?from=2026-03-01&to=2026-02-01", leader).Problem(t, http.StatusUnprocessableEntity, "validation_failed")
	})
	t.Run("List", func(t *testing.T) {
		list := func(token string) map[string]openapi.PerformanceSummary {
			res := f.client.For(t).Get("/v1/performance?street=st-a&"+perfPeriod(f), token)
			if res.Status != http.StatusOK {
				t.Fatalf("list: %d %s", res.Status, res.Body)
			}
			var l []openapi.PerformanceSummary
			res.JSON(t, &l)
			out := map[string]openapi.PerformanceSummary{}
			for _, s := range l {
				out[s.OfficerCode] = s
			}
			return out
		}
		all := list(leader)
		if s := all["a-sj-01"]; s.Totals != wantTotals || s.Proposal != "competent" || s.HomeDepartment != "sj" || len(all) != 8 {
			t.Fatalf("street A's seconded officers %+v", all)
		}
		if _, squad := all["a-cg-03"]; squad {
			t.Fatalf("the squad's officer a-cg-03 is listed as seconded")
		}
		if sj := list(f.login(t, "reviewer.sj", demo.Password)); len(sj) != 2 || sj["a-sj-01"].Totals != wantTotals {
			t.Fatalf("reviewer.sj lists %+v, want sj's two officers", sj)
		}
		if len(list(admin)) != 8 {
			t.Fatal("the administrator lists another street A")
		}
		f.client.For(t).Get("/v1/performance?street=st-a", f.login(t, "officer.a", demo.Password)).Problem(t, http.StatusForbidden, "forbidden")
		f.client.For(t).Get("/v1/performance?street=st-a", f.login(t, "leader.b", demo.Password)).Problem(t, http.StatusNotFound, "not_found")
	})
	t.Run("ReproducibleAfterMove", func(t *testing.T) {
		// a-sj-01 moves to street B's team now; the past period is as it was, in street A.
		move := f.now().Add(-time.Minute)
		for _, q := range []string{
			`UPDATE team_memberships SET valid_to = $1 WHERE officer_id = (SELECT id FROM officers WHERE code = 'a-sj-01') AND valid_to IS NULL`,
			`INSERT INTO team_memberships (id, team_id, officer_id, position, valid_from)
				SELECT gen_random_uuid(), t.id, o.id, 'member', $1 FROM teams t, officers o WHERE t.code = 'team-st-b' AND o.code = 'a-sj-01'`,
		} {
			if _, err := f.db.SQL.Exec(q, move); err != nil {
				t.Fatal(err)
			}
		}
		after := getRecord(t, f, leader, "a-sj-01")
		check(t, after)
		check(t, getRecord(t, f, admin, "a-sj-01"))
		if b := getRecord(t, f, f.login(t, "leader.b", demo.Password), "a-sj-01"); len(b.Events) != 0 || b.Totals != (openapi.PerformanceTotals{}) {
			t.Fatalf("street B's leader reads street A's events: %+v", b)
		}
		// The team leader of street A still records an event of the time the officer served there.
		perfEvent(t, recordPerfEvent(t, f, leader, "a-sj-01", perfEventBody("other", "positive", move.Add(-time.Hour), 1)), http.StatusCreated)
		recordPerfEvent(t, f, leader, "a-sj-01", perfEventBody("other", "positive", f.now().Add(-time.Second), 1)).Problem(t, http.StatusNotFound, "not_found")
	})
}

// recordMatrixPerformance records a manual event of a-sj-01 (street A) and of b-sj-01 (street B),
// by their streets' team leaders, for the access matrix.
func recordMatrixPerformance(t *testing.T, f *fixture, e *matrixEnv) {
	t.Helper()
	for street, code := range map[string]string{"st-a": "a-sj-01", "st-b": "b-sj-01"} {
		leader := f.login(t, "leader."+strings.TrimPrefix(street, "st-"), demo.Password)
		ev, _ := perfEvent(t, recordPerfEvent(t, f, leader, code, perfEventBody("commendation", "positive", f.now().Add(-time.Hour), 0)), http.StatusCreated)
		e.performance[street] = ev.Id
	}
}

// perfMatrix is the access matrix of the performance routes: a seconded officer's record is read
// by the team leader of the officer's street (that street's events), the home department's
// reviewers and administrators; the street's other roles are refused; anyone else finds nothing.
// The officer reads their own (a-cg-03, officer.a's).
func perfMatrix(suffix string) func(*testing.T, *matrixEnv) []matrixObject {
	return func(*testing.T, *matrixEnv) []matrixObject {
		check := func(_ *matrixEnv, t *testing.T, c matrixCaller, res *apitest.Response, _ outcome) {
			if suffix != "" {
				return
			}
			var r openapi.PerformanceRecord
			res.JSON(t, &r)
			for _, e := range r.Events {
				if c.role == openapi.RoleTeamLeader && e.StreetCode != c.street {
					t.Errorf("%s reads an event of street %s: leak", c.login, e.StreetCode)
				}
			}
		}
		own, other, self := sameForAll(hidden), sameForAll(hidden), sameForAll(hidden)
		own["officer.a"], own["leader.a"], own["grid.a"], own["reviewer.sj"], own["admin"] = forbidden, visible, forbidden, visible, visible
		other["reviewer.sj"], other["admin"] = visible, visible
		self["officer.a"], self["leader.a"], self["grid.a"], self["admin"] = visible, visible, forbidden, visible
		return []matrixObject{
			{name: "own", url: "/v1/officers/a-sj-01/performance" + suffix, want: own, check: check},
			{name: "other", url: "/v1/officers/b-sj-01/performance" + suffix, want: other, check: check},
			{name: "self", url: "/v1/officers/a-cg-03/performance" + suffix, want: self, check: check},
			{name: "unknown", url: "/v1/officers/zz-nobody/performance" + suffix, want: sameForAll(hidden)},
		}
	}
}

// perfEventMatrix: a manual event is read as the record of its street.
func perfEventMatrix(_ *testing.T, e *matrixEnv) []matrixObject {
	own, other := sameForAll(hidden), sameForAll(hidden)
	own["officer.a"], own["leader.a"], own["grid.a"], own["reviewer.sj"], own["admin"] = forbidden, visible, forbidden, visible, visible
	other["reviewer.sj"], other["admin"] = visible, visible
	return []matrixObject{
		{name: "own", url: "/v1/officers/a-sj-01/performance-events/" + e.performance["st-a"], want: own},
		{name: "other", url: "/v1/officers/b-sj-01/performance-events/" + e.performance["st-b"], want: other},
	}
}

// perfListMatrix: a street's list is read by its team leader, the reviewers (their department's
// officers) and administrators.
func perfListMatrix(*testing.T, *matrixEnv) []matrixObject {
	check := func(_ *matrixEnv, t *testing.T, c matrixCaller, res *apitest.Response, _ outcome) {
		var list []openapi.PerformanceSummary
		res.JSON(t, &list)
		if len(list) == 0 {
			t.Errorf("%s lists no officer", c.login)
		}
		for _, s := range list {
			if c.role == openapi.RoleDeptReviewer && s.HomeDepartment != c.dept {
				t.Errorf("%s lists %s of department %s", c.login, s.OfficerCode, s.HomeDepartment)
			}
		}
	}
	own, other := sameForAll(hidden), sameForAll(hidden)
	own["officer.a"], own["leader.a"], own["grid.a"], own["reviewer.sj"], own["admin"] = forbidden, visible, forbidden, visible, visible
	other["reviewer.sj"], other["admin"] = visible, visible
	return []matrixObject{
		{name: "own", url: "/v1/performance?street=st-a", want: own, check: check},
		{name: "other", url: "/v1/performance?street=st-b", want: other, check: check},
	}
}

// refWorldPerformance records street B's manual event the reference walk names: b-sj-01's, by
// leader.b.
func refWorldPerformance(t *testing.T, f *fixture) string {
	t.Helper()
	e, _ := perfEvent(t, recordPerfEvent(t, f, f.login(t, "leader.b", demo.Password), "b-sj-01",
		perfEventBody("commendation", "positive", f.now().Add(-time.Hour), 0)), http.StatusCreated)
	return e.Id
}

// performanceReferences are the reference walk's entries of the performance routes: an officer,
// a street or a manual event of street B is not found to street A's roles, as an unknown one is.
func performanceReferences(t map[refKey]refEntry) {
	unknownID := "00000000-0000-4000-8000-00000000dead"
	officerB := func(*refWorld) string { return "b-sj-01" }
	eventB := func(w *refWorld) string { return w.performanceB }
	for _, p := range []string{"/v1/officers/{code}/performance", "/v1/officers/{code}/performance.csv"} {
		t["GET "+p+" path:code"] = refEntry{class: scoped, probe: get(p, "code", officerB, "zz-nobody")}
		for _, q := range []string{"from", "to"} {
			t["GET "+p+" query:"+q] = refEntry{class: notRef, why: "a day of the record's period; it names no object"}
		}
	}
	t["GET /v1/performance query:street"] = refEntry{class: scoped,
		probe: get("/v1/performance?street={street}", "street", func(*refWorld) string { return "st-b" }, "zz-nowhere")}
	for _, q := range []string{"from", "to"} {
		t["GET /v1/performance query:"+q] = refEntry{class: notRef, why: "a day of the records' period; it names no object"}
	}
	t["GET /v1/performance query:cursor"] = refEntry{class: notRef, why: "a position (an officer's code) in a list the caller may read; it only narrows the list (keyset)"}
	ev := "/v1/officers/{code}/performance-events"
	t["POST "+ev+" path:code"] = refEntry{class: scoped,
		probe: post(ev, "code", `{"kind":"commendation","polarity":"positive","at":"2026-01-05T00:00:00Z","reason":"表扬"}`, officerB, "zz-nobody")}
	t["POST "+ev+" header:Idempotency-Key"] = refEntry{class: notRef, why: "the client's key of its own request, scoped to the caller"}
	one := ev + "/{id}"
	t["GET "+one+" path:code"] = refEntry{class: scoped, probe: &refProbe{
		send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
			return httpAnswer(w.f.client.For(t).Get("/v1/officers/"+v+"/performance-events/"+w.performanceB, w.tokens[c.login]))
		},
		foreign: func(w *refWorld, _ refCaller) []string { return []string{officerB(w)} },
		unknown: func(*refWorld, refCaller) string { return "zz-nobody" },
	}}
	t["GET "+one+" path:id"] = refEntry{class: scoped, probe: get("/v1/officers/b-sj-01/performance-events/{id}", "id", eventB, unknownID)}
	withdraw := func(path func(w *refWorld, v string) (string, string), foreign func(*refWorld) string, unknown string) *refProbe {
		return &refProbe{
			send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
				cd, id := path(w, v)
				return httpAnswer(withdrawPerfEvent(t, w.f, w.tokens[c.login], cd, id, 1, ""))
			},
			foreign: func(w *refWorld, _ refCaller) []string { return []string{foreign(w)} },
			unknown: func(*refWorld, refCaller) string { return unknown },
		}
	}
	op := "POST " + one + "/withdrawal"
	t[op+" path:code"] = refEntry{class: scoped, probe: withdraw(func(w *refWorld, v string) (string, string) { return v, w.performanceB }, officerB, "zz-nobody")}
	t[op+" path:id"] = refEntry{class: scoped, probe: withdraw(func(w *refWorld, v string) (string, string) { return "b-sj-01", v }, eventB, unknownID)}
	t[op+" header:If-Match"] = refEntry{class: notRef, why: "an entity tag of the event the path names, compared once the caller may act on it"}
}
