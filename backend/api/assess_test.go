package api_test

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/assess"
	"github.com/whistle/whistle/backend/clock"
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

// satisfaction records the reporter's answer on the return call of caseID, asked at.
func (r assessRows) satisfaction(caseID, street, answer, at string) {
	r.exec(`INSERT INTO case_satisfactions (case_id, street_code, answer, at, recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $4)`,
		caseID, street, answer, r.at(at), r.actor)
}

// whistle stores whistle W<seq> of street and type raised (and its departments called) at
// called, of caseID ("" none), closed at closed ("" open).
func (r assessRows) whistle(seq int, street, typ, caseID, called, closed string) string {
	id := uuid.NewString()
	var closedAt any
	state := "open"
	if closed != "" {
		closedAt, state = r.at(closed), "closed"
	}
	r.exec(`INSERT INTO whistles (id, street_code, team_code, year, seq, number, type, source, scope, state, case_id, raised_at, raised_by,
			filed_at, closed_at, version, doc)
		VALUES ($1, $2, 'team-'||$2, 2026, $3, $4, $5, 'community', 'common', $6, NULLIF($7, '')::uuid, $8, $9, $8, $10, 1, '{}')`,
		id, street, seq, fmt.Sprintf("W%d", seq), typ, state, caseID, r.at(called), r.actor, closedAt)
	return id
}

// call stores the call of dept by whistle id at called with its due instants (the default
// deadlines of the type) and the acts of its steps ("" not done), released or not.
func (r assessRows) call(id, dept, street, typ, called string, released bool, acts ...string) {
	periods := map[string][3]time.Duration{"emergency": {30 * time.Minute, time.Hour, 24 * time.Hour},
		"key": {2 * time.Hour, 4 * time.Hour, 72 * time.Hour}, "regular": {24 * time.Hour, 48 * time.Hour, 168 * time.Hour}}[typ]
	at := r.at(called)
	status := "called"
	if released {
		status = "released"
	}
	done := make([]any, 3)
	for i, step := range []string{"ack", "arrive", "finish"} {
		if i >= len(acts) || acts[i] == "" {
			continue
		}
		done[i] = r.at(acts[i])
		due := at.Add(periods[i])
		r.exec(`INSERT INTO whistle_reports (whistle_id, department_code, step, at, received_at, by_user_id, due_at, late)
			VALUES ($1, $2, $3, $4, $4, $5, $6, $7)`, id, dept, step, done[i], r.actor, due, done[i].(time.Time).After(due))
	}
	r.exec(`INSERT INTO whistle_calls (whistle_id, department_code, street_code, type, called_at, status, ack_due, arrive_due, finish_due,
			ack_at, arrive_at, finish_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
		id, dept, street, typ, at, status, at.Add(periods[0]), at.Add(periods[1]), at.Add(periods[2]), done[0], done[1], done[2])
}

// objection stores dept's objection to whistle id at at, ruled outcome at ruled.
func (r assessRows) objection(id, dept, street, at, outcome, ruled string) {
	r.exec(`INSERT INTO whistle_objections (id, whistle_id, department_code, street_code, at, outcome, ruled_at) VALUES ($1, $2, $3, $4, $5, $6, $7)`,
		uuid.NewString(), id, dept, street, r.at(at), outcome, r.at(ruled))
}

// rating stores rater's rating of whistle id at at.
func (r assessRows) rating(id, rater, street, rating, at string) {
	r.exec(`INSERT INTO whistle_ratings (whistle_id, rater_user_id, rater_role, rating, at, street_code) VALUES ($1, $2, 'community', $3, $4, $5)`,
		id, rater, rating, r.at(at), street)
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
//	C8 st-b sj: order 12345 11-09 08:00, routed 11-09 09:00, concluded 11-18 (no deadline)
//
// The reporters' return calls (回访): C1 unreachable 11-21, then satisfied 11-22; C8 basically
// satisfied 11-19; C4 satisfied 12-03 (asked after the period: not rated in November).
//
// The whistles, with the default deadlines (emergency ack 30m / arrive 1h / finish 24h; key
// 2h / 4h / 72h; regular 24h / 48h / 168h from the call); seconds are from the call to the act:
//
//	W1 key st-a (case C1), sj and cg called 11-05 10:00, closed 11-12 10:00
//	   sj: ack 10:20 (1,200 s, on time), arrive 14:30 (16,200 s, late: due 14:00), finish
//	       11-07 10:00 (172,800 s, on time)
//	   cg: objected 10:10, accepted 10:25 (released before any step was due: nothing due)
//	   rated satisfied (community.a1, 11-13) and basically satisfied (admin, 11-14): sj's only
//	W2 emergency st-a, sj called 11-08 09:00, open: ack 09:05 (300 s, on time), arrive and
//	   finish never reported (due 10:00, 11-09 09:00); sj objected 09:20, overruled 09:40
//	W3 regular st-b, sj called 11-20 09:00, closed 11-28 09:00: ack 11:00 (7,200 s), arrive
//	   11-21 09:00 (86,400 s), finish 11-25 09:00 (432,000 s), all on time; rated not
//	   satisfied 11-28 10:00
//	W4 key st-a, sj called 11-30 18:00, open: ack 21:00 (10,800 s, late: due 20:00), arrive
//	   12-01 08:00 (after the period; late: due 11-30 22:00), finish due 12-03 (after)
//	W5 regular st-a, sj called 11-15 09:00, closed 11-16 10:00 unreported: its ack (due 11-16
//	   09:00) was owed, arrive and finish were due after the closing (not due); rated
//	   satisfied 12-02 (after the period)
func seedAssessment(t *testing.T, f *fixture) {
	admin, err := f.users.UserByUsername(t.Context(), "admin")
	if err != nil {
		t.Fatal(err)
	}
	community, err := f.users.UserByUsername(t.Context(), "community.a1")
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

	c8 := r.newCase("st-b", "sj", "2026-11-09T09:00:00+08:00")
	r.order(c8, "12345", "2026-11-09T08:00:00+08:00")
	r.routing(c8, "sj", "officer", "2026-11-09T09:00:00+08:00")
	r.event(c8, "transition", "concluded", "2026-11-18T10:00:00+08:00")

	r.satisfaction(c1, "st-a", "unreachable", "2026-11-21T10:00:00+08:00")
	r.satisfaction(c1, "st-a", "satisfied", "2026-11-22T10:00:00+08:00")
	r.satisfaction(c8, "st-b", "basically_satisfied", "2026-11-19T10:00:00+08:00")
	r.satisfaction(c4, "st-b", "satisfied", "2026-12-03T10:00:00+08:00")

	w1 := r.whistle(1, "st-a", "key", c1, "2026-11-05T10:00:00+08:00", "2026-11-12T10:00:00+08:00")
	r.call(w1, "sj", "st-a", "key", "2026-11-05T10:00:00+08:00", false,
		"2026-11-05T10:20:00+08:00", "2026-11-05T14:30:00+08:00", "2026-11-07T10:00:00+08:00")
	r.call(w1, "cg", "st-a", "key", "2026-11-05T10:00:00+08:00", true)
	r.objection(w1, "cg", "st-a", "2026-11-05T10:10:00+08:00", "accepted", "2026-11-05T10:25:00+08:00")
	r.rating(w1, community.ID, "st-a", "satisfied", "2026-11-13T10:00:00+08:00")
	r.rating(w1, admin.ID, "st-a", "basically_satisfied", "2026-11-14T10:00:00+08:00")

	w2 := r.whistle(2, "st-a", "emergency", "", "2026-11-08T09:00:00+08:00", "")
	r.call(w2, "sj", "st-a", "emergency", "2026-11-08T09:00:00+08:00", false, "2026-11-08T09:05:00+08:00")
	r.objection(w2, "sj", "st-a", "2026-11-08T09:20:00+08:00", "overruled", "2026-11-08T09:40:00+08:00")

	w3 := r.whistle(3, "st-b", "regular", "", "2026-11-20T09:00:00+08:00", "2026-11-28T09:00:00+08:00")
	r.call(w3, "sj", "st-b", "regular", "2026-11-20T09:00:00+08:00", false,
		"2026-11-20T11:00:00+08:00", "2026-11-21T09:00:00+08:00", "2026-11-25T09:00:00+08:00")
	r.rating(w3, admin.ID, "st-b", "not_satisfied", "2026-11-28T10:00:00+08:00")

	w4 := r.whistle(4, "st-a", "key", "", "2026-11-30T18:00:00+08:00", "")
	r.call(w4, "sj", "st-a", "key", "2026-11-30T18:00:00+08:00", false, "2026-11-30T21:00:00+08:00", "2026-12-01T08:00:00+08:00")

	w5 := r.whistle(5, "st-a", "regular", "", "2026-11-15T09:00:00+08:00", "2026-11-16T10:00:00+08:00")
	r.call(w5, "sj", "st-a", "regular", "2026-11-15T09:00:00+08:00", false)
	r.rating(w5, community.ID, "st-a", "satisfied", "2026-12-02T10:00:00+08:00")
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
	nan := math.NaN() // no value (a rate over zero, a median of nothing)
	type want map[string]float64
	// The whistle figures of sj by the table of seedAssessment: the district's W1-W5, street A's
	// W1, W2, W4, W5. Steps due: W1 3 (2 on time), W2 3 (1), W3 3 (3), W4 2 (0), W5 1 (0).
	sjWhistles := want{
		"whistles_received_emergency": 1, "whistles_received_key": 2, "whistles_received_regular": 2,
		"whistle_ack_median_seconds_key": 6000, "whistle_ack_p90_seconds_key": 1200 + 0.9*9600, // 1,200 and 10,800
		"whistle_arrive_median_seconds_key": 16200, "whistle_arrive_p90_seconds_key": 16200,
		"whistle_finish_median_seconds_key": 172800, "whistle_finish_p90_seconds_key": 172800,
		"whistle_ack_median_seconds_emergency": 300, "whistle_ack_p90_seconds_emergency": 300,
		"whistle_arrive_median_seconds_emergency": nan, "whistle_finish_p90_seconds_emergency": nan,
		"whistle_ack_median_seconds_regular": 7200, "whistle_arrive_p90_seconds_regular": 86400,
		"whistle_finish_median_seconds_regular": 432000,
		"whistle_steps_due":                     12, "whistle_steps_on_time": 6, "whistle_on_time_rate": 0.5,
		"whistle_objections": 1, "whistle_objections_decided": 1, "whistle_objections_upheld": 0, "whistle_objections_overruled": 1,
		"whistle_objection_sound_rate": 0,
		"whistle_ratings":              3, "whistle_ratings_satisfied": 1, "whistle_ratings_basically_satisfied": 1, "whistle_ratings_not_satisfied": 1,
		"whistle_satisfaction_rate": 1.8 / 3, "whistles_closed": 3, "whistles_rated": 2, "whistle_rating_rate": 2.0 / 3,
	}
	streetAWhistles := want{
		"whistles_received_emergency": 1, "whistles_received_key": 2, "whistles_received_regular": 1,
		"whistle_ack_median_seconds_key": 6000, "whistle_ack_p90_seconds_key": 9840, "whistle_ack_median_seconds_emergency": 300,
		"whistle_ack_median_seconds_regular": nan, "whistle_finish_p90_seconds_regular": nan,
		"whistle_steps_due": 9, "whistle_steps_on_time": 3, "whistle_on_time_rate": 1.0 / 3,
		"whistle_objections": 1, "whistle_objections_decided": 1, "whistle_objections_overruled": 1, "whistle_objection_sound_rate": 0,
		"whistle_ratings": 2, "whistle_ratings_satisfied": 1, "whistle_ratings_basically_satisfied": 1, "whistle_ratings_not_satisfied": 0,
		"whistle_satisfaction_rate": 0.9, "whistles_closed": 2, "whistles_rated": 1, "whistle_rating_rate": 0.5,
	}
	cgWhistles := want{
		"whistles_received_key": 1, "whistles_received_emergency": 0, "whistle_ack_median_seconds_key": nan,
		"whistle_steps_due": 0, "whistle_steps_on_time": 0, "whistle_on_time_rate": nan,
		"whistle_objections": 1, "whistle_objections_decided": 1, "whistle_objections_upheld": 1, "whistle_objections_overruled": 0,
		"whistle_objection_sound_rate": 1, "whistle_ratings": 0, "whistle_satisfaction_rate": nan,
		"whistles_closed": 0, "whistles_rated": 0, "whistle_rating_rate": nan,
	}
	with := func(a, b want) want {
		out := want{}
		for _, m := range []want{a, b} {
			for k, v := range m {
				out[k] = v
			}
		}
		return out
	}
	tests := []struct {
		name, login, dept string
		want              want
		score             float64
		partial           bool
	}{
		// sj: 10 x (0.4 x 0.5 + 0.3 x 1 + 0.1 x 0 + 0.2 x 0.6), every item counted.
		{name: "District/sj", login: "admin", dept: "sj", score: 6.2, want: with(sjWhistles, want{
			"cases_routed": 6, "cases_objected": 1, "evidence_reviewed": 1, "evidence_returned": 1,
			"cases_concluded": 2, "cases_concluded_on_time": 2, "cases_concluded_overdue": 0,
			"evidence_return_rate": 1, "case_on_time_rate": 1,
			"work_orders_received": 4, "work_orders_responded": 2, "work_orders_resolved": 2,
			"work_orders_rated": 2, "work_orders_satisfied": 1, "work_orders_basically_satisfied": 1,
			"response_rate": 0.5, "resolution_rate": 0.5, "satisfaction_rate": 0.9,
			"hotline_composite": 0.10*0.5 + 0.45*0.5 + 0.45*0.9})},
		// cg: no step due and no rating (left out); 10 x (0.3 x 0 + 0.1 x 1) / 0.4.
		{name: "District/cg", login: "admin", dept: "cg", score: 2.5, partial: true, want: with(cgWhistles, want{
			"cases_routed": 1, "cases_objected": 0, "evidence_reviewed": 2, "evidence_returned": 1,
			"cases_concluded": 1, "cases_concluded_on_time": 0, "cases_concluded_overdue": 1,
			"evidence_return_rate": 0.5, "case_on_time_rate": 0,
			"work_orders_received": 0, "work_orders_responded": 0, "work_orders_resolved": 0, "work_orders_rated": 0,
			"response_rate": nan, "resolution_rate": nan, "satisfaction_rate": nan, "hotline_composite": nan})},
		// street A's sj: 10 x (0.4 / 3 + 0.3 x 1 + 0.1 x 0 + 0.2 x 0.9).
		{name: "StreetA/sj", login: "leader.a", dept: "sj", score: 10 * (0.4/3 + 0.3 + 0.2*0.9), want: with(streetAWhistles, want{
			"cases_routed": 4, "cases_objected": 1, "evidence_reviewed": 0, "evidence_returned": 0,
			"cases_concluded": 1, "cases_concluded_on_time": 1, "cases_concluded_overdue": 0,
			"evidence_return_rate": nan, "case_on_time_rate": 1,
			"work_orders_received": 2, "work_orders_responded": 1, "work_orders_resolved": 1,
			"work_orders_rated": 1, "work_orders_satisfied": 1, "work_orders_basically_satisfied": 0,
			"response_rate": 0.5, "resolution_rate": 0.5, "satisfaction_rate": 1, "hotline_composite": 0.10*0.5 + 0.45*0.5 + 0.45})},
		{name: "Reviewer/sj", login: "reviewer.sj", dept: "sj", score: 6.2, want: want{
			"cases_routed": 6, "cases_objected": 1, "work_orders_received": 4, "work_orders_responded": 2,
			"whistle_steps_due": 12, "whistle_ratings": 3}},
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
				v, ok := vals[code]
				switch {
				case !ok || !v.Available:
					t.Errorf("%s = %+v, want available", code, v)
				case math.IsNaN(w) && v.Value != nil:
					t.Errorf("%s = %v, want no value", code, *v.Value)
				case !math.IsNaN(w) && v.Value == nil:
					t.Errorf("%s has no value, want %v", code, w)
				case !math.IsNaN(w) && math.Abs(*v.Value-w) > 1e-9:
					t.Errorf("%s = %v, want %v", code, *v.Value, w)
				}
			}
			for _, fg := range rep.Figures {
				if !fg.Available {
					t.Errorf("figure %s is unavailable", fg.Code)
				}
			}
			if score.Points == nil || math.Abs(*score.Points-tc.score) > 1e-9 || score.Partial != tc.partial {
				t.Errorf("score = %+v (points %v), want %v, partial %v", score, deref(score.Points), tc.score, tc.partial)
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
			fg, _ := cfg.Figure(code)
			switch fg.Kind {
			case assess.KindCount:
				if float64(len(items)) != *v.Value {
					t.Errorf("%s counts %v, its link lists %d", code, *v.Value, len(items))
				}
			default: // a median or percentile of the items' seconds
				p := map[assess.Kind]float64{assess.KindMedian: 0.5, assess.KindP90: 0.9}[fg.Kind]
				got := percentileCont(items, p)
				if (v.Value == nil) != (got == nil) || (got != nil && math.Abs(*got-*v.Value) > 1e-9) {
					t.Errorf("%s = %v, its items' seconds give %v", code, deref(v.Value), deref(got))
				}
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
		// A whistle figure links its reports: W1's (of case C1) and W4's (raised on its own).
		var reports []openapi.AssessmentItem
		f.client.For(t).Get("/v1/assessment/departments/sj/items?figure=whistle_ack_p90_seconds_key&"+q, admin).JSON(t, &reports)
		if len(reports) != 2 || reports[0].Kind != openapi.AssessmentItemKindWhistleReport || reports[0].WhistleId == nil ||
			reports[0].CaseId == nil || deref(reports[0].Ref) != "W1" || deref(reports[0].Seconds) != 1200 ||
			!reports[0].At.Equal(f.story.At("2026-11-05T10:20:00+08:00")) || reports[1].CaseId != nil || deref(reports[1].Seconds) != 10800 {
			t.Errorf("key acks = %+v, want W1's of C1 (1,200 s) and W4's of no case (10,800 s)", reports)
		}
		var steps []openapi.AssessmentItem
		f.client.For(t).Get("/v1/assessment/departments/sj/items?figure=whistle_steps_on_time&"+q, admin).JSON(t, &steps)
		if len(steps) != 6 || steps[0].Kind != openapi.AssessmentItemKindWhistleStep || !steps[0].At.Equal(f.story.At("2026-11-05T12:00:00+08:00")) ||
			steps[0].Id != steps[0].WhistleId.String()+"/ack" {
			t.Errorf("steps on time = %+v, want six, W1's ack due 11-05 12:00 first", steps)
		}
		var objections []openapi.AssessmentItem
		f.client.For(t).Get("/v1/assessment/departments/cg/items?figure=whistle_objections_upheld&"+q, admin).JSON(t, &objections)
		if len(objections) != 1 || objections[0].Kind != openapi.AssessmentItemKindWhistleObjection || deref(objections[0].Ref) != "W1 accepted" {
			t.Errorf("cg's objections upheld = %+v, want W1's", objections)
		}
		var rated []openapi.AssessmentItem
		f.client.For(t).Get("/v1/assessment/departments/sj/items?figure=work_orders_rated&"+q, admin).JSON(t, &rated)
		if len(rated) != 2 || rated[0].Kind != openapi.AssessmentItemKindWorkOrder || !rated[0].At.Equal(f.story.At("2026-11-02T09:00:00+08:00")) {
			t.Errorf("rated orders = %+v, want C1's (received 11-02 09:00) and C8's", rated)
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
		for key, want := range map[string]string{"sj/cases_routed": "6", "sj/work_orders_received": "4", "cg/cases_concluded_overdue": "1",
			"sj/service_score": "6.2", "cg/case_on_time_rate": "0", "sj/satisfaction_rate": "0.9", "sj/service_score.case_on_time": "1",
			"sj/whistles_received_key": "2", "sj/whistle_ack_median_seconds_key": "6000", "sj/whistle_arrive_median_seconds_emergency": "",
			"sj/whistle_on_time_rate": "0.5", "sj/service_score.whistle_response": "0.5", "sj/service_score.community_rating": "0.6",
			"cg/service_score": "2.5", "cg/service_score.whistle_response": "", "cg/whistle_objection_sound_rate": "1"} {
			if row, ok := cells[key]; !ok || row[6] != want {
				t.Errorf("%s: %v, want value %q", key, row, want)
			}
		}
		for key, want := range map[string][2]string{"sj/response_rate": {"2", "4"}, "sj/satisfaction_rate": {"1.8", "2"},
			"sj/whistle_on_time_rate": {"6", "12"}, "sj/whistle_rating_rate": {"2", "3"}} {
			if row := cells[key]; row[7] != want[0] || row[8] != want[1] {
				t.Errorf("%s = %v, want %s / %s", key, row, want[0], want[1])
			}
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

// TestAssessment_Reproducible computes today's report (cases, work orders and a return call, a
// whistle reported, objected to, closed and rated), changes the organization (a department
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
	// A whistle calling sj and cg: sj acknowledges, cg objects and is overruled; closed and rated.
	// And the return call of a concluded work order of cg.
	w := raise(t, f, whistleBody(f, "key", "hotline", "sj", "cg")).Id.String()
	whistleOf(t, f.client.For(t).PostJSON("/v1/whistles/"+w+"/reports", `{"department_code":"sj","step":"ack"}`, sj), http.StatusOK)
	whistleOf(t, whistleAct(t, f, "officer.a", w, "objections", `{"department_code":"cg","reasons":"非本部门职责"}`), http.StatusOK)
	whistleOf(t, whistleAct(t, f, "leader.a", w, "rulings", `{"department_code":"cg","outcome":"overruled","reason":"属城管职责"}`), http.StatusOK)
	whistleOf(t, whistleAct(t, f, "leader.a", w, "closure", `{"result":"已处置","reason":"问题已消除"}`), http.StatusOK)
	whistleOf(t, whistleAct(t, f, "community.a1", w, "rating", `{"rating":"basically_satisfied"}`), http.StatusOK)
	if _, status := satisfactionOf(t, f, "grid.a", concludedCase(t, f), `{"answer":"satisfied"}`); status != http.StatusCreated {
		t.Fatalf("return call: %d", status)
	}
	q := todayPeriod(f)
	read := func() ([]byte, []byte) {
		t.Helper()
		rep := f.client.For(t).Get("/v1/assessment/departments?"+q, admin)
		items := f.client.For(t).Get("/v1/assessment/departments/sj/items?figure=cases_routed&"+q, admin)
		steps := f.client.For(t).Get("/v1/assessment/departments/sj/items?figure=whistle_steps_due&"+q, admin)
		if rep.Status != http.StatusOK || items.Status != http.StatusOK || steps.Status != http.StatusOK {
			t.Fatalf("%d %s / %d %s / %d %s", rep.Status, rep.Body, items.Status, items.Body, steps.Status, steps.Body)
		}
		return rep.Body, append(items.Body, steps.Body...)
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
	if *vals["whistles_received_key"].Value != 1 || vals["whistle_ack_median_seconds_key"].Value == nil ||
		*vals["whistle_ratings_basically_satisfied"].Value != 1 || *vals["whistles_closed"].Value != 1 {
		t.Fatalf("sj's whistle today: %+v", vals)
	}
	cg, _ := assessed(t, rep, "cg")
	if *cg["whistle_objections_overruled"].Value != 1 || *cg["work_orders_rated"].Value != 1 || *cg["work_orders_satisfied"].Value != 1 {
		t.Fatalf("cg today: overruled %v, rated %v, satisfied %v; want 1, 1, 1", *cg["whistle_objections_overruled"].Value,
			*cg["work_orders_rated"].Value, *cg["work_orders_satisfied"].Value)
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

// percentileCont is percentile_cont(p) of the items' seconds: nil for no items.
func percentileCont(items []openapi.AssessmentItem, p float64) *float64 {
	if len(items) == 0 {
		return nil
	}
	xs := make([]float64, len(items))
	for i, it := range items {
		xs[i] = deref(it.Seconds)
	}
	slices.Sort(xs)
	pos := p * float64(len(xs)-1)
	lo := int(math.Floor(pos))
	v := xs[lo]
	if lo+1 < len(xs) {
		v += (pos - float64(lo)) * (xs[lo+1] - xs[lo])
	}
	return &v
}

// todayPeriod is the query of the period of the fixture's day and the day before, in Asia/Shanghai.
func todayPeriod(f *fixture) string {
	today := f.now().In(clock.Beijing)
	// From yesterday: the work orders are received an hour before now, which in the first hour
	// of a Beijing day is the day before.
	return "from=" + today.AddDate(0, 0, -1).Format(time.DateOnly) + "&to=" + today.AddDate(0, 0, 1).Format(time.DateOnly)
}
