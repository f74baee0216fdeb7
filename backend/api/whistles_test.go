package api_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/api/apitest"
	"github.com/whistle/whistle/backend/numbering"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/backend/whistle"
	"github.com/whistle/whistle/openapi"
)

// whistleBody is a whistle of street A of type typ calling departments, filed a minute before now.
func whistleBody(f *fixture, typ, source string, departments ...string) string {
	b, _ := json.Marshal(map[string]any{
		"type": typ, "scope": "common", "source": source, "channel": "12345", "description": "南锣鼓巷占道经营反复出现",
		"location": map[string]any{"address": "东城区南锣鼓巷 12 号"}, "receiver": "钱玉兰", "opinion": "请城管、工商联合处置",
		"departments": departments,
		"filing":      map[string]any{"filed_at": f.now().Add(-time.Minute).UTC(), "filed_by": "区网格中心 周敏", "reference": "DC-WG-0001"},
	})
	return string(b)
}

// whistleOf is the whistle a call answered with status.
func whistleOf(t *testing.T, res *apitest.Response, status int) openapi.Whistle {
	t.Helper()
	if res.Status != status {
		t.Fatalf("%d %s, want %d", res.Status, res.Body, status)
	}
	var w openapi.Whistle
	res.JSON(t, &w)
	return w
}

// raise raises a whistle as grid.a.
func raise(t *testing.T, f *fixture, body string) openapi.Whistle {
	t.Helper()
	return whistleOf(t, f.client.For(t).PostJSON("/v1/whistles", body, f.login(t, "grid.a", demo.Password)), http.StatusCreated)
}

// whistleAct posts body to the whistle's sub-path as username.
func whistleAct(t *testing.T, f *fixture, username, id, path, body string) *apitest.Response {
	t.Helper()
	return f.client.For(t).PostJSON("/v1/whistles/"+id+"/"+path, body, f.login(t, username, demo.Password))
}

// step is the timing of step s of department code in w.
func step(t *testing.T, w openapi.Whistle, code, s string) openapi.WhistleStepTiming {
	t.Helper()
	for _, c := range w.Calls {
		if c.DepartmentCode != code {
			continue
		}
		for _, st := range c.Steps {
			if string(st.Step) == s {
				return st
			}
		}
	}
	t.Fatalf("whistle %s: no step %s of %s", w.Number, s, code)
	return openapi.WhistleStepTiming{}
}

// escalated are the escalations of w as "department.step".
func escalated(w openapi.Whistle) []string {
	out := []string{}
	for _, e := range w.Escalations {
		out = append(out, e.DepartmentCode+"."+string(e.Step))
	}
	return out
}

func getWhistle(t *testing.T, f *fixture, username, id string) openapi.Whistle {
	t.Helper()
	return whistleOf(t, f.client.For(t).Get("/v1/whistles/"+id, f.login(t, username, demo.Password)), http.StatusOK)
}

// TestWhistles_DeadlinesPerType: a whistle of each type calls cg and sj; cg acknowledges each at
// once (on time), sj never: as the clock passes each type's response deadline (30 minutes, 2 hours,
// 24 hours) River escalates that type's whistle, and only that one, to the street director and
// the district coordination office, with its trail entry and feed change.
func TestWhistles_DeadlinesPerType(t *testing.T) {
	f := newFixture(t, options{demo: true})
	ids := map[string]string{}
	for _, typ := range []string{"emergency", "key", "regular"} {
		w := raise(t, f, whistleBody(f, typ, "grid_worker", "cg", "sj"))
		ids[typ] = w.Id.String()
		if due := step(t, w, "sj", "ack").Due; !due.Equal(w.RaisedAt.Add(whistle.DefaultDeadlines().Period(whistle.Type(typ), whistle.StepAck))) {
			t.Fatalf("%s: ack due %s, raised %s", typ, due, w.RaisedAt)
		}
		a := whistleOf(t, whistleAct(t, f, "officer.a", ids[typ], "reports", `{"department_code":"cg","step":"ack"}`), http.StatusOK)
		if r := step(t, a, "cg", "ack").Report; r == nil || r.Late {
			t.Fatalf("%s: cg's ack at once: %+v", typ, r)
		}
	}
	// Each stage passes one more type's response deadline; by then every step due is escalated
	// (cg acknowledged, so only its later steps are).
	d := whistle.DefaultDeadlines()
	var moved time.Duration
	for _, after := range []time.Duration{30*time.Minute + time.Second, 2*time.Hour + time.Second, 24*time.Hour + time.Second} {
		f.advance(after - moved)
		moved = after
		f.workJobs(t)
		for typ, id := range ids {
			w := getWhistle(t, f, "leader.a", id)
			want := []string{}
			for _, s := range whistle.Steps {
				if d.Period(whistle.Type(typ), s) < after {
					if s != whistle.StepAck {
						want = append(want, "cg."+string(s))
					}
					want = append(want, "sj."+string(s))
				}
			}
			got := escalated(w)
			slices.Sort(got)
			slices.Sort(want)
			if !slices.Equal(got, want) {
				t.Errorf("after %s, %s whistle escalations: %v, want %v", after, typ, got, want)
			}
			if step(t, w, "cg", "ack").Escalated {
				t.Errorf("after %s, %s whistle: cg's ack, done at once, escalated", after, typ)
			}
			for _, e := range w.Escalations {
				if len(e.To) != 2 || e.To[0] != "street_director" || e.To[1] != "district_coordination_office" {
					t.Errorf("escalated to %v", e.To)
				}
			}
		}
	}
	var n int
	if err := f.db.SQL.QueryRow(`SELECT count(*) FROM audit_entries WHERE action = 'whistle.escalate' AND chain = 'st-a'`).Scan(&n); err != nil || n == 0 {
		t.Errorf("escalations on the trail: %d %v", n, err)
	}
	if err := f.db.SQL.QueryRow(`SELECT count(*) FROM whistle_escalations WHERE step = 'ack' AND department_code = 'sj'`).Scan(&n); err != nil || n != 3 {
		t.Errorf("escalation rows of sj's ack: %d %v", n, err)
	}
}

// TestWhistles_ReportsObjectionClosingRating walks an emergency hotline whistle: filed and
// raised; cg acknowledges on time; sj lets its ack deadline pass (escalated), acknowledges late;
// cg's officer arrives offline before the arrival deadline and pushes after it (and after its
// escalation): on time; sj objects, the street accepts and calls sy instead, with deadlines of its
// own; cg finishes; the street closes with a reason (sy has not finished); the community and the
// source rate once each; the resident's satisfaction is recorded. A second whistle's objection
// is overruled, its deadline unmoved; numbers are gapless.
func TestWhistles_ReportsObjectionClosingRating(t *testing.T) {
	f := newFixture(t, options{demo: true})
	year := numbering.YearOf(f.now())

	t.Run("ErrNotFiled", func(t *testing.T) {
		var body map[string]any
		_ = json.Unmarshal([]byte(whistleBody(f, "emergency", "hotline", "cg")), &body)
		delete(body, "filing")
		b, _ := json.Marshal(body)
		if got := invalidField(t, f.client.For(t).PostJSON("/v1/whistles", string(b), f.login(t, "grid.a", demo.Password))); got != "/filing" {
			t.Errorf("raised unfiled: %s", got)
		}
	})
	t.Run("ErrOfficerRaises", func(t *testing.T) {
		f.client.For(t).PostJSON("/v1/whistles", whistleBody(f, "key", "patrol", "cg"), f.login(t, "officer.a", demo.Password)).
			Problem(t, http.StatusForbidden, "forbidden")
	})
	t.Run("ErrUnknownDepartment", func(t *testing.T) {
		if got := invalidField(t, f.client.For(t).PostJSON("/v1/whistles", whistleBody(f, "key", "patrol", "cg", "zz"), f.login(t, "grid.a", demo.Password))); got != "/departments/1" {
			t.Errorf("unknown department: %s", got)
		}
	})

	w := raise(t, f, whistleBody(f, "emergency", "hotline", "cg", "sj"))
	id := w.Id.String()
	if want := fmt.Sprintf("交道口吹哨〔%d〕0001号", year); w.Number != want || w.State != openapi.WhistleStateOpen || w.Filing.Reference != "DC-WG-0001" {
		t.Fatalf("raised: %s %s %+v", w.Number, w.State, w.Filing)
	}
	raisedAt := w.RaisedAt

	whistleOf(t, whistleAct(t, f, "officer.a", id, "reports", `{"department_code":"cg","step":"ack"}`), http.StatusOK)
	t.Run("ErrOtherDepartmentReports", func(t *testing.T) {
		whistleAct(t, f, "officer.a", id, "reports", `{"department_code":"sj","step":"ack"}`).Problem(t, http.StatusForbidden, "forbidden")
	})
	t.Run("ErrArriveBeforeAck", func(t *testing.T) {
		whistleAct(t, f, "reviewer.sj", id, "reports", `{"department_code":"sj","step":"arrive","location":{"address":"现场"}}`).
			Problem(t, http.StatusConflict, "conflict")
	})
	t.Run("ErrOtherStreet", func(t *testing.T) {
		f.client.For(t).Get("/v1/whistles/"+id, f.login(t, "grid.b", demo.Password)).Problem(t, http.StatusNotFound, "not_found")
		whistleAct(t, f, "officer.b", id, "reports", `{"department_code":"cg","step":"arrive","location":{"address":"现场"}}`).
			Problem(t, http.StatusNotFound, "not_found")
	})

	// 40 minutes on: sj's ack (due at 30) is escalated; its late ack is kept, marked late.
	f.advance(40 * time.Minute)
	f.workJobs(t)
	w = getWhistle(t, f, "leader.a", id)
	if got := strings.Join(escalated(w), ","); got != "sj.ack" {
		t.Fatalf("escalations after 40 minutes: %s", got)
	}
	w = whistleOf(t, whistleAct(t, f, "reviewer.sj", id, "reports", `{"department_code":"sj","step":"ack"}`), http.StatusOK)
	if r := step(t, w, "sj", "ack").Report; r == nil || !r.Late {
		t.Fatalf("sj's ack after escalation: %+v", r)
	}

	// cg's officer arrives at minute 50, offline; the phone pushes at minute 70, after the arrival
	// deadline (60) and its escalation: it counts on time.
	arrivedAt := raisedAt.Add(50 * time.Minute)
	f.advance(30 * time.Minute)
	f.workJobs(t)
	p := newPhone(t, f, "officer.a")
	res := p.push(p.mutation(whistle.MutationArrive, id, whistle.ReportArgs{DepartmentCode: "cg", At: &arrivedAt,
		Location: &whistle.Location{Address: "东城区南锣鼓巷 12 号"}})).Results[0]
	if res.Verdict != "applied" || res.Whistle == nil {
		t.Fatalf("offline arrival: %s %+v", res.Verdict, res.Problem)
	}
	arrive := step(t, *res.Whistle, "cg", "arrive")
	if arrive.Report == nil || arrive.Report.Late || !arrive.Report.At.Equal(arrivedAt) || !arrive.Escalated {
		t.Fatalf("cg's arrival acted at minute 50, pushed at 70: %+v", arrive)
	}
	pulled := false
	for _, sc := range p.pull(map[string]int64{}).Scopes {
		for _, c := range sc.Changes {
			if kind, _ := c.Discriminator(); kind == "whistle" && sc.Scope == "team:team-st-a" {
				pulled = true
			}
		}
	}
	if !pulled {
		t.Error("the whistle is not in the team's feed")
	}

	// sj objects; the street accepts and calls sy instead.
	t.Run("ErrCommunityRules", func(t *testing.T) {
		whistleAct(t, f, "community.a1", id, "rulings", `{"department_code":"sj","outcome":"accepted"}`).Problem(t, http.StatusForbidden, "forbidden")
	})
	whistleOf(t, whistleAct(t, f, "reviewer.sj", id, "objections", `{"department_code":"sj","reasons":"占道经营不属市场监管职责"}`), http.StatusOK)
	whistleAct(t, f, "reviewer.sj", id, "objections", `{"department_code":"sj","reasons":"再次"}`).Problem(t, http.StatusConflict, "conflict")
	w = whistleOf(t, whistleAct(t, f, "grid.a", id, "rulings", `{"department_code":"sj","outcome":"accepted","departments":["sy"],"reason":"改派食药"}`), http.StatusOK)
	ruledAt := w.History[len(w.History)-1].At
	if w.Calls[1].Status != openapi.Released || len(w.Calls) != 3 || w.Calls[2].DepartmentCode != "sy" ||
		!step(t, w, "sy", "ack").Due.Equal(ruledAt.Add(30*time.Minute)) || w.Objections[0].Outcome != openapi.WhistleObjectionOutcomeAccepted {
		t.Fatalf("accepted objection: %+v", w.Calls)
	}
	whistleAct(t, f, "reviewer.sj", id, "reports", `{"department_code":"sj","step":"arrive","location":{"address":"现场"}}`).Problem(t, http.StatusConflict, "conflict")
	// The reviewer of sy sees the whistle now.
	getWhistle(t, f, "reviewer.sy", id)

	// cg finishes; closing while sy has not needs a reason.
	whistleOf(t, whistleAct(t, f, "officer.a", id, "reports", `{"department_code":"cg","step":"finish","result":"已清理占道摊位，责令整改"}`), http.StatusOK)
	t.Run("ErrRateOpen", func(t *testing.T) {
		whistleAct(t, f, "community.a1", id, "rating", `{"rating":"satisfied"}`).Problem(t, http.StatusConflict, "conflict")
	})
	if got := invalidField(t, whistleAct(t, f, "grid.a", id, "closure", `{"result":"占道已清理"}`)); got != "/reason" {
		t.Errorf("closing with sy unfinished: %s", got)
	}
	w = whistleOf(t, whistleAct(t, f, "grid.a", id, "closure", `{"result":"占道已清理","reason":"食药部门确认无食品问题，无需到场"}`), http.StatusOK)
	if w.State != openapi.WhistleStateClosed || w.Closure == nil {
		t.Fatalf("closed: %+v", w.Closure)
	}
	whistleAct(t, f, "grid.a", id, "progress", `{"text":"补记"}`).Problem(t, http.StatusConflict, "conflict")

	// Feedback: the community and the source rate once each; the resident is asked.
	whistleOf(t, whistleAct(t, f, "community.a1", id, "rating", `{"rating":"satisfied","comment":"处置及时"}`), http.StatusOK)
	whistleAct(t, f, "community.a1", id, "rating", `{"rating":"not_satisfied"}`).Problem(t, http.StatusConflict, "conflict")
	whistleAct(t, f, "officer.a", id, "rating", `{"rating":"satisfied"}`).Problem(t, http.StatusForbidden, "forbidden")
	w = whistleOf(t, whistleAct(t, f, "grid.a", id, "rating", `{"rating":"basically_satisfied"}`), http.StatusOK)
	if len(w.Ratings) != 2 {
		t.Fatalf("ratings: %+v", w.Ratings)
	}
	whistleOf(t, whistleAct(t, f, "grid.a", id, "satisfaction", `{"answer":"unreachable"}`), http.StatusOK)
	w = whistleOf(t, whistleAct(t, f, "grid.a", id, "satisfaction", `{"answer":"satisfied"}`), http.StatusOK)
	whistleAct(t, f, "grid.a", id, "satisfaction", `{"answer":"not_satisfied"}`).Problem(t, http.StatusConflict, "conflict")
	if len(w.Satisfaction) != 2 || w.Satisfaction[1].Answer != openapi.WhistleSatisfactionAnswerSatisfied {
		t.Fatalf("satisfaction: %+v", w.Satisfaction)
	}

	// An objection overruled: cg must report, on the deadline of its call.
	o := raise(t, f, whistleBody(f, "regular", "patrol", "cg"))
	if want := fmt.Sprintf("交道口吹哨〔%d〕0002号", year); o.Number != want {
		t.Fatalf("the second whistle: %s, want %s", o.Number, want)
	}
	whistleAct(t, f, "grid.a", o.Id.String(), "satisfaction", `{"answer":"satisfied"}`).Problem(t, http.StatusConflict, "conflict")
	due := step(t, o, "cg", "ack").Due
	whistleOf(t, whistleAct(t, f, "officer.a", o.Id.String(), "objections", `{"department_code":"cg","reasons":"非本部门职责"}`), http.StatusOK)
	if got := invalidField(t, whistleAct(t, f, "leader.a", o.Id.String(), "rulings", `{"department_code":"cg","outcome":"overruled"}`)); got != "/reason" {
		t.Errorf("overruled without a reason: %s", got)
	}
	o = whistleOf(t, whistleAct(t, f, "leader.a", o.Id.String(), "rulings", `{"department_code":"cg","outcome":"overruled","reason":"属城管职责"}`), http.StatusOK)
	if o.Calls[0].Status != openapi.Called || !step(t, o, "cg", "ack").Due.Equal(due) || o.Objections[0].Outcome != openapi.WhistleObjectionOutcomeOverruled {
		t.Fatalf("overruled: %+v %+v", o.Calls, o.Objections)
	}

	t.Run("Lists", func(t *testing.T) {
		var list []openapi.Whistle
		f.client.For(t).Get("/v1/whistles?scope=common&type=regular", f.login(t, "leader.a", demo.Password)).JSON(t, &list)
		if len(list) != 1 || list[0].Id != o.Id {
			t.Errorf("the regular common whistles: %d", len(list))
		}
		f.client.For(t).Get("/v1/whistles?scope=individual", f.login(t, "leader.a", demo.Password)).JSON(t, &list)
		if len(list) != 0 {
			t.Errorf("individual whistles: %d", len(list))
		}
		f.client.For(t).Get("/v1/whistles", f.login(t, "reviewer.sy", demo.Password)).JSON(t, &list)
		if len(list) != 1 || list[0].Id.String() != id {
			t.Errorf("sy's whistles: %d", len(list))
		}
		f.client.For(t).Get("/v1/whistles", f.login(t, "grid.b", demo.Password)).JSON(t, &list)
		if len(list) != 0 {
			t.Errorf("street B sees %d of street A's whistles", len(list))
		}
	})
}

// closedWhistle is a hotline whistle of street A calling cg, closed by grid.a with a reason.
func closedWhistle(t *testing.T, f *fixture) string {
	t.Helper()
	id := raise(t, f, whistleBody(f, "key", "hotline", "cg")).Id.String()
	whistleOf(t, whistleAct(t, f, "grid.a", id, "closure", `{"result":"已处置","reason":"问题已自行消除"}`), http.StatusOK)
	return id
}

// refWorldWhistles raises a whistle of each street calling cg, for the reference walk.
func refWorldWhistles(t *testing.T, w *refWorld) {
	t.Helper()
	f := w.f
	w.whistleA = raise(t, f, whistleBody(f, "regular", "patrol", "cg")).Id.String()
	b := whistleOf(t, f.client.For(t).PostJSON("/v1/whistles", whistleBody(f, "regular", "patrol", "cg"), f.login(t, "grid.b", demo.Password)), http.StatusCreated)
	w.whistleB = b.Id.String()
	w.markers = append(w.markers, b.Number)
}

// whistleReferences are the whistle inputs of the reference walk.
func whistleReferences(t map[refKey]refEntry) {
	whistleB := func(w *refWorld) string { return w.whistleB }
	unknownID := "00000000-0000-4000-8000-00000000dead"
	t["GET /v1/whistles/{id} path:id"] = refEntry{class: scoped, probe: get("/v1/whistles/{id}", "id", whistleB, unknownID)}
	for path, body := range map[string]string{
		"reports":      `{"department_code":"cg","step":"ack"}`,
		"objections":   `{"department_code":"cg","reasons":"refwalk"}`,
		"rulings":      `{"department_code":"cg","outcome":"overruled","reason":"refwalk"}`,
		"progress":     `{"text":"refwalk"}`,
		"closure":      `{"result":"refwalk","reason":"refwalk"}`,
		"rating":       `{"rating":"satisfied"}`,
		"satisfaction": `{"answer":"satisfied"}`,
	} {
		t["POST /v1/whistles/{id}/"+path+" path:id"] = refEntry{class: scoped, probe: post("/v1/whistles/{id}/"+path, "id", body, whistleB, unknownID)}
	}
	departments := refEntry{class: public, why: "the departments are district reference data every role reads"}
	for _, key := range []string{"POST /v1/whistles/{id}/reports body/department_code", "POST /v1/whistles/{id}/objections body/department_code",
		"POST /v1/whistles/{id}/rulings body/department_code", "GET /v1/whistles query:department"} {
		t[key] = departments
	}
	t["POST /v1/whistles body/case_id"] = refEntry{class: scoped, probe: &refProbe{
		send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
			var body map[string]any
			_ = json.Unmarshal([]byte(whistleBody(w.f, "regular", "patrol", "cg")), &body)
			body["case_id"] = v
			b, _ := json.Marshal(body)
			return httpAnswer(w.f.client.For(t).PostJSON("/v1/whistles", string(b), w.tokens[c.login]))
		},
		foreign: func(w *refWorld, _ refCaller) []string { return []string{w.caseB} }, unknown: newID}}
	t["POST /v1/whistles/{id}/reports body/evidence_ids/*"] = refEntry{class: scoped, probe: &refProbe{
		send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
			body := fmt.Sprintf(`{"department_code":"cg","step":"ack","evidence_ids":[%q]}`, v)
			return httpAnswer(w.f.client.For(t).PostJSON("/v1/whistles/"+w.whistleA+"/reports", body, w.tokens[c.login]))
		},
		foreign: func(w *refWorld, _ refCaller) []string { return []string{w.itemBID} }, unknown: newID}}
	for _, name := range []string{whistle.MutationAck, whistle.MutationArrive, whistle.MutationFinish} {
		t["POST /v1/sync/push args["+name+"]/department_code"] = departments
		t["POST /v1/sync/push args["+name+"]/evidence_ids/*"] = refEntry{class: scoped, probe: &refProbe{phoneOnly: true,
			send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
				p := w.phones[c.login]
				return pushAnswer(t, p, p.mutation(name, w.whistleA, whistle.ReportArgs{DepartmentCode: "cg", EvidenceIDs: []string{v},
					Location: &whistle.Location{Address: "refwalk"}, Result: "refwalk"}))
			},
			foreign: func(w *refWorld, _ refCaller) []string { return []string{w.itemBID} }, unknown: newID}}
	}
}

// recordMatrixWhistles raises, in each street, a whistle calling sj, by its grid operator.
func recordMatrixWhistles(t *testing.T, f *fixture, e *matrixEnv) {
	t.Helper()
	for street, grid := range map[string]string{"st-a": "grid.a", "st-b": "grid.b"} {
		res := f.client.For(t).PostJSON("/v1/whistles", whistleBody(f, "regular", "grid_worker", "sj"), f.login(t, grid, demo.Password))
		e.whistles[street] = whistleOf(t, res, http.StatusCreated).Id.String()
	}
}

// The whistles in the access matrix: street A's roles see street A's whistle, the sj reviewer
// both (sj is called in each), administrators all; the list answers everyone who may list, each
// narrowed to what they see.
func init() {
	readMatrix["/v1/whistles/{id}"] = func(_ *testing.T, e *matrixEnv) []matrixObject {
		own := sameForAll(visible)
		other := sameForAll(hidden)
		other["reviewer.sj"], other["admin"] = visible, visible
		return []matrixObject{
			{name: "own", url: "/v1/whistles/" + e.whistles["st-a"], want: own},
			{name: "other", url: "/v1/whistles/" + e.whistles["st-b"], want: other},
			{name: "unknown", url: "/v1/whistles/00000000-0000-4000-8000-00000000dead", want: sameForAll(hidden)},
		}
	}
	readMatrix["/v1/whistles"] = func(_ *testing.T, e *matrixEnv) []matrixObject {
		check := func(_ *matrixEnv, t *testing.T, c matrixCaller, res *apitest.Response, _ outcome) {
			var list []openapi.Whistle
			res.JSON(t, &list)
			for _, w := range list {
				if c.street != "" && w.StreetCode != c.street {
					t.Errorf("%s lists a whistle of street %s: leak", c.login, w.StreetCode)
				}
			}
		}
		return []matrixObject{
			{name: "own", url: "/v1/whistles", want: sameForAll(visible), check: check},
			{name: "other", url: "/v1/whistles?department=sj", want: sameForAll(visible), check: check},
		}
	}
}
