package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/assess"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// assessReferences are the assessment's inputs in the reference walk: department codes are
// district reference data, and the report of a street's roles counts their street's cases
// whatever department they name; periods, figures and cursors name no object.
func assessReferences(t map[refKey]refEntry) {
	dept := refEntry{class: public, why: "the departments are district reference data; a street's roles get their own street's cases of any department"}
	notObject := refEntry{class: notRef, why: "a period (dates in Asia/Shanghai) or a figure of the configured table: no object of a street"}
	for _, op := range []string{"GET /v1/assessment/departments", "GET /v1/assessment/departments.csv",
		"GET /v1/assessment/departments/{code}", "GET /v1/assessment/departments/{code}/items"} {
		for _, q := range []string{"period", "from", "to"} {
			t[refKey(op+" query:"+q)] = notObject
		}
	}
	t["GET /v1/assessment/departments/{code} path:code"] = dept
	t["GET /v1/assessment/departments/{code}/items path:code"] = dept
	t["GET /v1/assessment/departments/{code}/items query:figure"] = notObject
	t["GET /v1/assessment/departments/{code}/items query:cursor"] = refEntry{class: notRef,
		why: "a position (time and id) in a list the caller may read; it only narrows the list (keyset), filters nothing in"}
}

func init() {
	// The access matrix: the assessment's readers, 403 for officers and communities.
	want := func(reviewer outcome) map[string]outcome {
		w := sameForAll(visible)
		w["officer.a"], w["community.a1"], w["reviewer.sj"] = forbidden, forbidden, reviewer
		return w
	}
	period := "period=2026-11"
	report := func(path string) func(*testing.T, *matrixEnv) []matrixObject {
		return func(*testing.T, *matrixEnv) []matrixObject {
			return []matrixObject{{name: "month", url: path + "?" + period, want: want(visible)},
				{name: "dates", url: path + "?from=2026-11-03&to=2026-11-10", want: want(visible)}}
		}
	}
	one := func(suffix string) func(*testing.T, *matrixEnv) []matrixObject {
		return func(*testing.T, *matrixEnv) []matrixObject {
			unknown := want(hidden)
			for _, l := range []string{"leader.a", "grid.a", "admin"} {
				unknown[l] = hidden
			}
			return []matrixObject{
				{name: "own", url: "/v1/assessment/departments/sj" + suffix + period, want: want(visible)},
				{name: "other", url: "/v1/assessment/departments/cg" + suffix + period, want: want(forbidden)},
				{name: "unknown", url: "/v1/assessment/departments/zz" + suffix + period, want: unknown},
			}
		}
	}
	readMatrix["/v1/assessment/departments"] = report("/v1/assessment/departments")
	readMatrix["/v1/assessment/departments.csv"] = report("/v1/assessment/departments.csv")
	readMatrix["/v1/assessment/departments/{code}"] = one("?")
	readMatrix["/v1/assessment/departments/{code}/items"] = one("/items?figure=cases_routed&")
}

// assessRows writes the small fixture of TestAssessment_Figures straight into the tables the
// figures read, at the story's times of November 2026, so that every number can be counted by
// hand (see the table in the test).
type assessRows struct {
	t     *testing.T
	f     *fixture
	actor string
}

func (r assessRows) exec(q string, args ...any) {
	r.t.Helper()
	if _, err := r.f.db.SQL.Exec(q, args...); err != nil {
		r.t.Fatalf("%s: %v", q, err)
	}
}

func (r assessRows) at(s string) time.Time { return r.f.story.At(s) }

// newCase stores a case of street and department taken in at created.
func (r assessRows) newCase(street, dept, created string) string {
	id := uuid.NewString()
	r.exec(`INSERT INTO cases (id, street_code, team_code, matter_code, matter_version, department_code, state, assignee_kind,
			assignee_code, first_receiver_kind, first_receiver_code, address, description, version, doc, created_at, updated_at)
		VALUES ($1, $2, 'team-'||$2, 'X-1', 1, $3, 'clue', 'department', $3, 'department', $3, 'addr', 'desc', 1, '{}', $4, $4)`,
		id, street, dept, r.at(created))
	return id
}

func (r assessRows) routing(caseID, dept, dest, at string) {
	r.exec(`INSERT INTO case_routings (case_id, at, matter_code, matter_version, department_code, destination, reason, candidates)
		VALUES ($1, $2, 'X-1', 1, $3, $4, '{}', '[]')`, caseID, r.at(at), dept, dest)
}

func (r assessRows) event(caseID, kind, toState, at string) {
	r.exec(`INSERT INTO case_events (case_id, version, kind, at, actor_user_id, to_state) VALUES ($1, 1, $2, $3, $4, NULLIF($5, ''))`,
		caseID, kind, r.at(at), r.actor, toState)
}

func (r assessRows) order(caseID, channel, received string) {
	r.exec(`INSERT INTO case_sources (case_id, kind, channel, work_order_number, received_at, address, description, taken_by)
		VALUES ($1, 'work_order', $2, $3, $4, 'addr', 'desc', $5)`, caseID, channel, "GD-"+caseID[:8], r.at(received), r.actor)
}

func (r assessRows) deadline(caseID, street, due, met string) {
	r.exec(`INSERT INTO deadlines (id, street_code, team_code, subject_kind, subject_id, kind, period, started_at, due_at, state, met_at, updated_at)
		VALUES ($1, $2, 'team-'||$2, 'case', $3, 'decision', '90d', $4, $4, 'met', $5, $5)`,
		uuid.NewString(), street, caseID, r.at(due), r.at(met))
}

func (r assessRows) review(caseID, dept, verdict, at string) {
	r.exec(`INSERT INTO evidence_reviews (id, case_id, department_code, reviewer_user_id, verdict, at, status, version)
		VALUES ($1, $2, $3, $4, $5, $6, $5, 1)`, uuid.NewString(), caseID, dept, r.actor, verdict, r.at(at))
}

// seedAssessment is the fixture, November 2026 (story dates, Asia/Shanghai):
//
//	C1 st-a sj: order 12345 11-02 09:00, routed 11-02 10:00 and again 11-15, note 11-02 20:00
//	   (answered within 24 h), concluded 11-20, its deadline met in time
//	C2 st-a sj: order 12345 11-03 08:00, routed to the queue 11-03, objected 11-04 (the
//	   objection's routing: unroutable), first note 11-05 09:00 (late), not concluded
//	C3 st-a cg: routed 11-06, concluded 11-25 with a deadline met 5 days late; cg's reviews:
//	   returned 11-10, accepted 11-12
//	C4 st-b sj: order 12345 11-07 09:00, routed 11-07, filed 11-07 12:00, concluded 12-02 (after
//	   the period); sj returned its evidence 11-08
//	C5 st-a sj: routed 10-28 (before), reassigned 11-10 (in)
//	C6 st-a sj: an order of channel 12319 11-08 (no 12345 order), routed 11-08 (a case routed)
//	C7 st-a sj: an order 12345 received 11-29 but taken in and routed 12-01 10:00 (after)
func seedAssessment(t *testing.T, f *fixture) {
	admin, err := f.users.UserByUsername(t.Context(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	r := assessRows{t: t, f: f, actor: admin.ID}
	c1 := r.newCase("st-a", "sj", "2026-11-02T10:00:00+08:00")
	r.order(c1, "12345", "2026-11-02T09:00:00+08:00")
	r.routing(c1, "sj", "officer", "2026-11-02T10:00:00+08:00")
	r.routing(c1, "sj", "officer", "2026-11-15T10:00:00+08:00")
	r.event(c1, "note", "", "2026-11-02T20:00:00+08:00")
	r.event(c1, "transition", "concluded", "2026-11-20T10:00:00+08:00")
	r.deadline(c1, "st-a", "2026-12-30T10:00:00+08:00", "2026-11-20T10:00:00+08:00")

	c2 := r.newCase("st-a", "sj", "2026-11-03T09:00:00+08:00")
	r.order(c2, "12345", "2026-11-03T08:00:00+08:00")
	r.routing(c2, "sj", "district_queue", "2026-11-03T09:00:00+08:00")
	r.routing(c2, "sj", "unroutable", "2026-11-04T09:00:00+08:00")
	r.event(c2, "objection", "", "2026-11-04T09:00:00+08:00")
	r.event(c2, "note", "", "2026-11-05T09:00:00+08:00")

	c3 := r.newCase("st-a", "cg", "2026-11-06T09:00:00+08:00")
	r.routing(c3, "cg", "officer", "2026-11-06T09:00:00+08:00")
	r.event(c3, "transition", "concluded", "2026-11-25T10:00:00+08:00")
	r.deadline(c3, "st-a", "2026-11-20T10:00:00+08:00", "2026-11-25T10:00:00+08:00")
	r.review(c3, "cg", "returned", "2026-11-10T10:00:00+08:00")
	r.review(c3, "cg", "accepted", "2026-11-12T10:00:00+08:00")

	c4 := r.newCase("st-b", "sj", "2026-11-07T09:30:00+08:00")
	r.order(c4, "12345", "2026-11-07T09:00:00+08:00")
	r.routing(c4, "sj", "officer", "2026-11-07T09:30:00+08:00")
	r.event(c4, "transition", "filed", "2026-11-07T12:00:00+08:00")
	r.event(c4, "transition", "concluded", "2026-12-02T10:00:00+08:00")
	r.review(c4, "sj", "returned", "2026-11-08T10:00:00+08:00")

	c5 := r.newCase("st-a", "sj", "2026-10-28T09:00:00+08:00")
	r.routing(c5, "sj", "officer", "2026-10-28T09:00:00+08:00")
	r.routing(c5, "sj", "officer", "2026-11-10T09:00:00+08:00")

	c6 := r.newCase("st-a", "sj", "2026-11-08T09:00:00+08:00")
	r.order(c6, "12319", "2026-11-08T08:00:00+08:00")
	r.routing(c6, "sj", "officer", "2026-11-08T09:00:00+08:00")

	c7 := r.newCase("st-a", "sj", "2026-12-01T10:00:00+08:00")
	r.order(c7, "12345", "2026-11-29T09:00:00+08:00")
	r.routing(c7, "sj", "officer", "2026-12-01T10:00:00+08:00")
}

// assessed is a report's values of one department by figure code.
func assessed(t *testing.T, rep openapi.AssessmentReport, dept string) (map[string]openapi.AssessmentValue, openapi.AssessmentScore) {
	t.Helper()
	for _, d := range rep.Departments {
		if d.DepartmentCode == dept {
			out := map[string]openapi.AssessmentValue{}
			for _, v := range d.Values {
				out[v.Code] = v
			}
			return out, d.Score
		}
	}
	t.Fatalf("no department %s in the report", dept)
	return nil, openapi.AssessmentScore{}
}

func assessPeriodQuery(f *fixture) string {
	return "from=" + f.story.Text("2026-11-01") + "&to=" + f.story.Text("2026-12-01")
}

// TestAssessment_Figures checks every available figure against the numbers counted by hand on
// the fixture of seedAssessment, for the district (admin), a street (its team leader) and a
// department (its reviewer); then that each figure's items are exactly those it counts, and
// the CSV says the same.
func TestAssessment_Figures(t *testing.T) {
	f := newFixture(t, options{demo: true})
	seedAssessment(t, f)
	q := assessPeriodQuery(f)
	nan := math.NaN() // no value (a rate over zero)
	type want map[string]float64
	tests := []struct {
		name, login, dept string
		want              want
		score             float64
	}{
		{name: "District/sj", login: "admin", dept: "sj", score: 10, want: want{
			"cases_routed": 5, "cases_objected": 1, "evidence_reviewed": 1, "evidence_returned": 1,
			"cases_concluded": 1, "cases_concluded_on_time": 1, "cases_concluded_overdue": 0,
			"evidence_return_rate": 1, "case_on_time_rate": 1,
			"work_orders_received": 3, "work_orders_responded": 2, "work_orders_resolved": 1,
			"response_rate": 2.0 / 3, "resolution_rate": 1.0 / 3,
			"hotline_composite": (0.10*2/3 + 0.45/3) / 0.55}},
		{name: "District/cg", login: "admin", dept: "cg", score: 0, want: want{
			"cases_routed": 1, "cases_objected": 0, "evidence_reviewed": 2, "evidence_returned": 1,
			"cases_concluded": 1, "cases_concluded_on_time": 0, "cases_concluded_overdue": 1,
			"evidence_return_rate": 0.5, "case_on_time_rate": 0,
			"work_orders_received": 0, "work_orders_responded": 0, "work_orders_resolved": 0,
			"response_rate": nan, "resolution_rate": nan, "hotline_composite": nan}},
		{name: "StreetA/sj", login: "leader.a", dept: "sj", score: 10, want: want{
			"cases_routed": 4, "cases_objected": 1, "evidence_reviewed": 0, "evidence_returned": 0,
			"cases_concluded": 1, "cases_concluded_on_time": 1, "cases_concluded_overdue": 0,
			"evidence_return_rate": nan, "case_on_time_rate": 1,
			"work_orders_received": 2, "work_orders_responded": 1, "work_orders_resolved": 1,
			"response_rate": 0.5, "resolution_rate": 0.5, "hotline_composite": (0.10*0.5 + 0.45*0.5) / 0.55}},
		{name: "Reviewer/sj", login: "reviewer.sj", dept: "sj", score: 10, want: want{
			"cases_routed": 5, "cases_objected": 1, "work_orders_received": 3, "work_orders_responded": 2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			token := f.login(t, tc.login, demo.Password)
			var rep openapi.AssessmentReport
			res := f.client.For(t).Get("/v1/assessment/departments?"+q, token)
			if res.Status != http.StatusOK {
				t.Fatalf("%d %s", res.Status, res.Body)
			}
			res.JSON(t, &rep)
			vals, score := assessed(t, rep, tc.dept)
			for code, w := range tc.want {
				v := vals[code]
				switch {
				case math.IsNaN(w) && v.Value != nil:
					t.Errorf("%s = %v, want no value", code, *v.Value)
				case !math.IsNaN(w) && v.Value == nil:
					t.Errorf("%s has no value, want %v", code, w)
				case !math.IsNaN(w) && math.Abs(*v.Value-w) > 1e-9:
					t.Errorf("%s = %v, want %v", code, *v.Value, w)
				}
			}
			for _, code := range []string{"satisfaction_rate", "whistles_received_key", "whistle_ack_median_seconds_emergency"} {
				if v := vals[code]; v.Available || v.Value != nil {
					t.Errorf("%s = %+v, want unavailable", code, v)
				}
			}
			if score.Points == nil || math.Abs(*score.Points-tc.score) > 1e-9 || !score.Partial {
				t.Errorf("score = %+v, want %v (partial: whistle items not recorded yet)", score, tc.score)
			}
			switch tc.login {
			case "leader.a":
				if rep.StreetCode == nil || *rep.StreetCode != "st-a" {
					t.Errorf("street = %v, want st-a", rep.StreetCode)
				}
			case "reviewer.sj":
				if len(rep.Departments) != 1 {
					t.Errorf("a reviewer sees %d departments, want their own", len(rep.Departments))
				}
			}
		})
	}

	admin := f.login(t, "admin", demo.Password)
	t.Run("Items", func(t *testing.T) {
		var rep openapi.AssessmentReport
		f.client.For(t).Get("/v1/assessment/departments/sj?"+q, admin).JSON(t, &rep)
		vals, _ := assessed(t, rep, "sj")
		cfg := assess.DefaultConfig()
		for _, code := range cfg.Measured() {
			v := vals[code]
			if len(v.Items) != 1 {
				t.Fatalf("%s links %v, want its own items", code, v.Items)
			}
			var items []openapi.AssessmentItem
			res := f.client.For(t).Get(v.Items[0]+"&limit=2", admin)
			for {
				var page []openapi.AssessmentItem
				res.JSON(t, &page)
				items = append(items, page...)
				next := linkNext.FindStringSubmatch(res.Header.Get("Link"))
				if next == nil {
					break
				}
				res = f.client.For(t).Get(next[1], admin)
			}
			if float64(len(items)) != *v.Value {
				t.Errorf("%s counts %v, its link lists %d", code, *v.Value, len(items))
			}
		}
		// A rate links its figures'.
		if got := vals["response_rate"].Items; len(got) != 2 {
			t.Errorf("response_rate links %v, want work_orders_responded's and work_orders_received's", got)
		}
		var orders []openapi.AssessmentItem
		f.client.For(t).Get("/v1/assessment/departments/sj/items?figure=work_orders_responded&"+q, admin).JSON(t, &orders)
		if len(orders) != 2 || orders[0].Kind != openapi.AssessmentItemKindWorkOrder || orders[0].Ref == nil ||
			!orders[0].At.Equal(f.story.At("2026-11-02T09:00:00+08:00")) {
			t.Errorf("responded orders = %+v, want C1's (received 11-02 09:00) and C4's", orders)
		}
		f.client.For(t).Get("/v1/assessment/departments/sj/items?figure=response_rate&"+q, admin).Problem(t, http.StatusBadRequest, "bad_request")
		f.client.For(t).Get("/v1/assessment/departments/sj/items?figure=nope&"+q, admin).Problem(t, http.StatusBadRequest, "bad_request")
		var none []openapi.AssessmentItem
		f.client.For(t).Get("/v1/assessment/departments/sj/items?figure=whistles_received_key&"+q, admin).JSON(t, &none)
		if len(none) != 0 {
			t.Errorf("an unavailable figure lists %d items", len(none))
		}
	})
	t.Run("CSV", func(t *testing.T) {
		res := f.client.For(t).Get("/v1/assessment/departments.csv?"+q, admin)
		if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "text/csv" {
			t.Fatalf("%d %s", res.Status, res.Header.Get("Content-Type"))
		}
		rows, err := csv.NewReader(bytes.NewReader(res.Body)).ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(rows[0]) != "[period_from period_to street_code department_code figure available value numerator denominator]" {
			t.Errorf("header %v", rows[0])
		}
		cells := map[string][]string{}
		for _, row := range rows[1:] {
			cells[row[3]+"/"+row[4]] = row
		}
		for key, want := range map[string]string{"sj/cases_routed": "5", "sj/work_orders_received": "3", "cg/cases_concluded_overdue": "1",
			"sj/service_score": "10", "cg/case_on_time_rate": "0", "sj/satisfaction_rate": "", "sj/service_score.case_on_time": "1"} {
			if row, ok := cells[key]; !ok || row[6] != want {
				t.Errorf("%s: %v, want value %q", key, row, want)
			}
		}
		if row := cells["sj/response_rate"]; row[7] != "2" || row[8] != "3" {
			t.Errorf("sj/response_rate = %v, want 2 / 3", row)
		}
		if row := cells["sj/cases_routed"]; row[0] != f.story.Text("2026-11-01") || row[1] != f.story.Text("2026-12-01") {
			t.Errorf("period columns %v", row[:2])
		}
	})
	t.Run("ErrBadPeriod", func(t *testing.T) {
		for _, p := range []string{"period=2026Q5", "from=2026-11-01", "period=2026Q4&from=2026-11-01&to=2026-12-01"} {
			f.client.For(t).Get("/v1/assessment/departments?"+p, admin).Problem(t, http.StatusBadRequest, "bad_request")
		}
	})
}

// TestAssessment_Reproducible computes today's report, changes the organization (a department
// renamed, an officer moved to another street's team, the matter of the cases given to another
// department by a new version), and computes it again: the same report, byte for byte.
func TestAssessment_Reproducible(t *testing.T) {
	f := newFixture(t, options{demo: true})
	grid := f.login(t, "grid.a", demo.Password)
	admin := f.login(t, "admin", demo.Password)
	sj := addOfficerLogin(t, f, "officer.sj", "a-sj-01")
	c := intake(t, f, grid, workOrderBody(f, "SJ-002", "comprehensive"))
	intake(t, f, grid, workOrderBody(f, "SJ-002", "single"))
	intake(t, f, grid, workOrderBody(f, "CG-002", "comprehensive"))
	if res := caseAct(t, f, sj, c.Id.String(), "notes", `{"text":"已电话联系来电人"}`, ""); res.Status != http.StatusOK {
		t.Fatalf("note: %d %s", res.Status, res.Body)
	}
	q := todayPeriod(f)
	read := func() ([]byte, []byte) {
		t.Helper()
		rep := f.client.For(t).Get("/v1/assessment/departments?"+q, admin)
		items := f.client.For(t).Get("/v1/assessment/departments/sj/items?figure=cases_routed&"+q, admin)
		if rep.Status != http.StatusOK || items.Status != http.StatusOK {
			t.Fatalf("%d %s / %d %s", rep.Status, rep.Body, items.Status, items.Body)
		}
		return rep.Body, items.Body
	}
	before, beforeItems := read()
	var rep openapi.AssessmentReport
	if err := json.Unmarshal(before, &rep); err != nil {
		t.Fatal(err)
	}
	vals, _ := assessed(t, rep, "sj")
	if *vals["cases_routed"].Value != 2 || *vals["work_orders_received"].Value != 2 || *vals["work_orders_responded"].Value != 1 {
		t.Fatalf("sj today: routed %v, orders %v, responded %v; want 2, 2, 1", *vals["cases_routed"].Value,
			*vals["work_orders_received"].Value, *vals["work_orders_responded"].Value)
	}

	now := f.now().UTC()
	imports := []string{
		`{"departments":[{"code":"sj","name_zh":"东城区市场监督管理局","name_en":"Dongcheng Market Regulation","kind":"resident"}]}`,
		fmt.Sprintf(`{"officers":[{"code":"a-sj-01","name_zh":"吴敏","department_code":"sj","auxiliary":false,"memberships":[
			{"team_code":"team-st-a","position":"member","from":"2024-01-01T00:00:00Z","to":%q},
			{"team_code":"team-st-b","position":"member","from":%q}]}]}`, now.Format(time.RFC3339Nano), now.Format(time.RFC3339Nano)),
	}
	for _, body := range imports {
		if res := f.client.For(t).PostJSON("/v1/admin/imports", body, admin); res.Status >= 300 {
			t.Fatalf("import: %d %s", res.Status, res.Body)
		}
	}
	matter := fmt.Sprintf(`{"code":"SJ-002","name_zh":"未按规定悬挂营业执照","legal_basis":"《中华人民共和国市场主体登记管理条例》",
		"department_code":"cg","measures":["evidence"],"default_whistle":"regular","valid_from":%q}`, now.Format(time.RFC3339Nano))
	if res := f.client.For(t).PostJSON("/v1/admin/matters", matter, admin); res.Status != http.StatusCreated {
		t.Fatalf("matter version: %d %s", res.Status, res.Body)
	}

	after, afterItems := read()
	if !bytes.Equal(before, after) || !bytes.Equal(beforeItems, afterItems) {
		t.Errorf("the report changed with the organization:\nbefore %s\nafter  %s", before, after)
	}
}

// todayPeriod is the query of the period of the fixture's day in Asia/Shanghai.
func todayPeriod(f *fixture) string {
	today := f.now().In(assess.Shanghai)
	return "from=" + today.Format(time.DateOnly) + "&to=" + today.AddDate(0, 0, 1).Format(time.DateOnly)
}
