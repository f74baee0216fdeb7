package api_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/api/apitest"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// absenceBody is the body recording an absence of kind from from until until.
func absenceBody(kind string, from, until time.Time) string {
	return fmt.Sprintf(`{"kind":%q,"from":%q,"until":%q,"reason":"年休假"}`, kind, from.UTC().Format(time.RFC3339), until.UTC().Format(time.RFC3339))
}

// recordAbsence posts body as the absence of officer code, as token.
func recordAbsence(t *testing.T, f *fixture, token, code, body string) *apitest.Response {
	t.Helper()
	return f.client.For(t).PostJSON("/v1/officers/"+code+"/absences", body, token)
}

// recorded is the absence a 201 answer holds, with its ETag.
func recorded(t *testing.T, res *apitest.Response) (openapi.Absence, string) {
	t.Helper()
	if res.Status != http.StatusCreated {
		t.Fatalf("record absence: %d %s", res.Status, res.Body)
	}
	var a openapi.Absence
	res.JSON(t, &a)
	return a, res.Header.Get("ETag")
}

// withdrawAbsence posts the withdrawal of absence id of officer code as token, with If-Match
// ifMatch ("" for none).
func withdrawAbsence(t *testing.T, f *fixture, token, code, id, ifMatch string) *apitest.Response {
	t.Helper()
	req := httptest.NewRequest(http.MethodPost, "/v1/officers/"+code+"/absences/"+id+"/withdrawal", nil)
	if ifMatch != "" {
		req.Header.Set("If-Match", ifMatch)
	}
	return f.client.For(t).Do(withToken(req, token))
}

// listAbsences lists the absences of officer code as token.
func listAbsences(t *testing.T, f *fixture, token, code string) []openapi.Absence {
	t.Helper()
	res := f.client.For(t).Get("/v1/officers/"+code+"/absences", token)
	if res.Status != http.StatusOK {
		t.Fatalf("list absences of %s: %d %s", code, res.Status, res.Body)
	}
	var list []openapi.Absence
	res.JSON(t, &list)
	return list
}

func TestAbsences_RecordListWithdraw(t *testing.T) {
	f := newFixture(t, options{demo: true})
	leader, admin := f.login(t, "leader.a", demo.Password), f.login(t, "admin", demo.Password)
	officer := f.login(t, "officer.a", demo.Password) // a-cg-03
	from := f.story.At("2026-11-16T00:00:00+08:00")
	until := from.Add(5 * 24 * time.Hour)

	before := f.now().Truncate(time.Microsecond)
	a, tag := recorded(t, recordAbsence(t, f, leader, "a-cg-03", absenceBody("leave", from, until)))
	after := f.now()
	t.Run("Recorded", func(t *testing.T) {
		if a.OfficerCode != "a-cg-03" || a.StreetCode != "st-a" || a.Kind != openapi.AbsenceKind("leave") || !a.From.Equal(from) ||
			!a.Until.Equal(until) || a.RecordedBy != "leader.a" || a.RecordedAt.Before(before) || a.RecordedAt.After(after) ||
			a.WithdrawnAt != nil || tag == "" {
			t.Fatalf("absence %+v, ETag %q", a, tag)
		}
	})
	t.Run("Listed", func(t *testing.T) {
		for _, who := range []string{leader, officer, admin} {
			if list := listAbsences(t, f, who, "a-cg-03"); len(list) != 1 || list[0].Id != a.Id {
				t.Fatalf("list = %+v, want the one absence", list)
			}
		}
	})
	t.Run("ErrPeriod", func(t *testing.T) {
		for _, u := range []time.Time{from, from.Add(-time.Hour)} {
			p := recordAbsence(t, f, leader, "a-cg-03", absenceBody("sick", from, u)).Problem(t, http.StatusUnprocessableEntity, "validation_failed")
			if len(p.Errors) != 1 || p.Errors[0].Field != "/until" {
				t.Fatalf("problem %+v names no /until", p)
			}
		}
		recordAbsence(t, f, leader, "a-cg-03", absenceBody("holiday", from, until)).Problem(t, http.StatusBadRequest, "bad_request")
	})
	t.Run("ErrNotTheTeamLeader", func(t *testing.T) {
		for _, who := range []string{"officer.a", "grid.a"} {
			recordAbsence(t, f, f.login(t, who, demo.Password), "a-cg-04", absenceBody("leave", from, until)).Problem(t, http.StatusForbidden, "forbidden")
		}
		f.client.For(t).Get("/v1/officers/a-cg-03/absences", f.login(t, "grid.a", demo.Password)).Problem(t, http.StatusForbidden, "forbidden")
		// An officer reads their own absences, not a colleague's.
		f.client.For(t).Get("/v1/officers/a-cg-04/absences", officer).Problem(t, http.StatusForbidden, "forbidden")
	})
	t.Run("ErrOtherStreet", func(t *testing.T) {
		leaderB := f.login(t, "leader.b", demo.Password)
		recordAbsence(t, f, leaderB, "a-cg-03", absenceBody("leave", from, until)).Problem(t, http.StatusNotFound, "not_found")
		for _, who := range []string{leaderB, f.login(t, "officer.b", demo.Password), f.login(t, "reviewer.sj", demo.Password), f.login(t, "community.a1", demo.Password)} {
			f.client.For(t).Get("/v1/officers/a-cg-03/absences", who).Problem(t, http.StatusNotFound, "not_found")
			withdrawAbsence(t, f, who, "a-cg-03", a.Id.String(), "").Problem(t, http.StatusNotFound, "not_found")
		}
		recordAbsence(t, f, leader, "no-such", absenceBody("leave", from, until)).Problem(t, http.StatusNotFound, "not_found")
		// The absence named under another officer is not found.
		withdrawAbsence(t, f, leader, "a-cg-04", a.Id.String(), "").Problem(t, http.StatusNotFound, "not_found")
		withdrawAbsence(t, f, leader, "a-cg-03", uuid.NewString(), "").Problem(t, http.StatusNotFound, "not_found")
	})
	t.Run("AdministratorForTheOfficersStreet", func(t *testing.T) {
		b, _ := recorded(t, recordAbsence(t, f, admin, "b-cg-03", absenceBody("training", from, until)))
		if b.StreetCode != "st-b" || b.RecordedBy != "admin" {
			t.Fatalf("absence %+v, want street st-b recorded by admin", b)
		}
		if list := listAbsences(t, f, f.login(t, "leader.b", demo.Password), "b-cg-03"); len(list) != 1 || list[0].Id != b.Id {
			t.Fatalf("leader.b lists %+v", list)
		}
	})
	t.Run("Withdraw", func(t *testing.T) {
		withdrawAbsence(t, f, officer, "a-cg-03", a.Id.String(), "").Problem(t, http.StatusForbidden, "forbidden")
		withdrawAbsence(t, f, leader, "a-cg-03", a.Id.String(), `"`+a.Id.String()+`.withdrawn"`).Problem(t, http.StatusPreconditionFailed, "precondition_failed")
		withdrawAbsence(t, f, leader, "a-cg-03", a.Id.String(), "W/"+tag).Problem(t, http.StatusPreconditionFailed, "precondition_failed")
		res := withdrawAbsence(t, f, leader, "a-cg-03", a.Id.String(), tag)
		if res.Status != http.StatusOK {
			t.Fatalf("withdraw: %d %s", res.Status, res.Body)
		}
		var w openapi.Absence
		res.JSON(t, &w)
		if w.WithdrawnAt == nil || w.WithdrawnBy == nil || *w.WithdrawnBy != "leader.a" || res.Header.Get("ETag") == tag {
			t.Fatalf("withdrawn %+v, ETag %q (was %q)", w, res.Header.Get("ETag"), tag)
		}
		withdrawAbsence(t, f, leader, "a-cg-03", a.Id.String(), "").Problem(t, http.StatusConflict, "conflict")
		if list := listAbsences(t, f, officer, "a-cg-03"); len(list) != 1 || list[0].WithdrawnAt == nil {
			t.Fatalf("after withdrawal the list holds %+v, want the absence, withdrawn", list)
		}
	})
	t.Run("Trail", func(t *testing.T) {
		var n int
		if err := f.db.SQL.QueryRow(`SELECT count(*) FROM audit_entries WHERE chain = 'st-a' AND entity_type = 'absence' AND entity_id = $1
			AND action IN ('absence.record', 'absence.withdraw')`, a.Id.String()).Scan(&n); err != nil || n != 2 {
			t.Fatalf("trail entries of the absence on st-a's chain: %d (%v), want its record and its withdrawal", n, err)
		}
	})
}

// TestAbsences_Routing: an officer absent at the intake is passed over (ON_LEAVE) and the next
// eligible officer gets the case; once the absence has ended, routing picks the officer again.
func TestAbsences_Routing(t *testing.T) {
	f := newFixture(t, options{demo: true})
	grid, leader := f.login(t, "grid.a", demo.Password), f.login(t, "leader.a", demo.Password)

	first := intake(t, f, grid, workOrderBody(f, "CG-002", "comprehensive"))
	if first.Assignee.Kind != openapi.CaseReceiverKindOfficer {
		t.Fatalf("first case not routed to an officer: %+v", first.Routing)
	}
	away := first.Assignee.Code
	now := f.now()
	recorded(t, recordAbsence(t, f, leader, away, absenceBody("leave", now.Add(-time.Hour), now.Add(2*time.Hour))))
	// Another officer's absence that ended already changes nothing.
	recorded(t, recordAbsence(t, f, leader, "a-cg-04", absenceBody("sick", now.Add(-48*time.Hour), now.Add(-time.Hour))))

	second := intake(t, f, grid, workOrderBody(f, "CG-002", "comprehensive"))
	reasons := candidateReasons(second)
	if reasons[away] != "ON_LEAVE" || second.Assignee.Kind != openapi.CaseReceiverKindOfficer || second.Assignee.Code == away ||
		reasons[second.Assignee.Code] != "CHOSEN_LEAST_LOADED" || reasons["a-cg-04"] == "ON_LEAVE" {
		t.Fatalf("with %s on leave: assignee %+v, reasons %v", away, second.Assignee, reasons)
	}
	// The first case goes to the officer chosen second, so that loads are as at the first intake
	// but for that officer.
	ok(t, caseAct(t, f, leader, first.Id.String(), "reassignment", `{"officer_code":"`+second.Assignee.Code+`","reason":"休假期间改派"}`, ""))

	// Three hours on, the leave has ended.
	g := &fixture{db: f.db, users: f.users, org: f.org, hasher: f.hasher, bucket: f.bucket, now: f.now.Add(3 * time.Hour), story: f.story}
	g.build(t, evidenceConfig{}, time.Hour, 5*time.Second, f.bucket)
	third := intake(t, g, g.login(t, "grid.a", demo.Password), workOrderBody(g, "CG-002", "comprehensive"))
	if third.Assignee.Code != away || candidateReasons(third)[away] != "CHOSEN_LEAST_LOADED" {
		t.Fatalf("after the leave: assignee %+v, reasons %v; want %s again", third.Assignee, candidateReasons(third), away)
	}
}

// recordMatrixAbsences records an absence of a-cg-03 (street A) and of b-cg-03 (street B), by
// the administrator, for the access matrix.
func recordMatrixAbsences(t *testing.T, f *fixture) {
	t.Helper()
	admin := f.login(t, "admin", demo.Password)
	for _, code := range []string{"a-cg-03", "b-cg-03"} {
		recorded(t, recordAbsence(t, f, admin, code, absenceBody("leave", f.now().Add(24*time.Hour), f.now().Add(48*time.Hour))))
	}
}

// absenceMatrix: the officer reads their own absences, the team leader of the officer's street
// that street's, the administrator all; the street's other roles are refused, anyone else finds
// nothing.
func absenceMatrix(*testing.T, *matrixEnv) []matrixObject {
	check := func(_ *matrixEnv, t *testing.T, c matrixCaller, res *apitest.Response, _ outcome) {
		var list []openapi.Absence
		res.JSON(t, &list)
		if len(list) == 0 {
			t.Errorf("%s reads no absence", c.login)
		}
		for _, a := range list {
			if c.role != openapi.RoleAdmin && a.StreetCode != c.street {
				t.Errorf("%s reads an absence of street %s: leak", c.login, a.StreetCode)
			}
		}
	}
	own, other := sameForAll(hidden), sameForAll(hidden)
	own["officer.a"], own["leader.a"], own["grid.a"], own["admin"] = visible, visible, forbidden, visible
	other["admin"] = visible
	return []matrixObject{
		{name: "own", url: "/v1/officers/a-cg-03/absences", want: own, check: check},
		{name: "other", url: "/v1/officers/b-cg-03/absences", want: other, check: check},
		{name: "unknown", url: "/v1/officers/zz-nobody/absences", want: sameForAll(hidden)},
	}
}

// refWorldAbsence records street B's absence the reference walk names: b-cg-03's, by the
// administrator.
func refWorldAbsence(t *testing.T, f *fixture) string {
	t.Helper()
	a, _ := recorded(t, recordAbsence(t, f, f.login(t, "admin", demo.Password), "b-cg-03",
		absenceBody("sick", f.now().Add(-time.Hour), f.now().Add(24*time.Hour))))
	return a.Id.String()
}

// absenceReferences are the reference walk's entries of the absence routes: an officer of
// street B, or street B's absence, is not found to street A's roles, as an unknown one is.
func absenceReferences(t map[refKey]refEntry) {
	unknownID := "00000000-0000-4000-8000-00000000dead"
	officerB := func(*refWorld) string { return "b-cg-03" }
	absB := func(w *refWorld) string { return w.absenceB }
	t["GET /v1/officers/{code}/absences path:code"] = refEntry{class: scoped,
		probe: get("/v1/officers/{code}/absences", "code", officerB, "zz-nobody")}
	t["POST /v1/officers/{code}/absences path:code"] = refEntry{class: scoped,
		probe: post("/v1/officers/{code}/absences", "code", `{"kind":"leave","from":"2026-01-01T00:00:00Z","until":"2026-01-02T00:00:00Z"}`, officerB, "zz-nobody")}
	withdraw := func(path func(w *refWorld, v string) (string, string), foreign func(*refWorld) string, unknown string) *refProbe {
		return &refProbe{
			send: func(w *refWorld, t *testing.T, c refCaller, v string) answer {
				cd, ab := path(w, v)
				return httpAnswer(withdrawAbsence(t, w.f, w.tokens[c.login], cd, ab, ""))
			},
			foreign: func(w *refWorld, _ refCaller) []string { return []string{foreign(w)} },
			unknown: func(*refWorld, refCaller) string { return unknown },
		}
	}
	op := "POST /v1/officers/{code}/absences/{id}/withdrawal"
	t[op+" path:code"] = refEntry{class: scoped, probe: withdraw(func(w *refWorld, v string) (string, string) { return v, w.absenceB }, officerB, "zz-nobody")}
	t[op+" path:id"] = refEntry{class: scoped, probe: withdraw(func(w *refWorld, v string) (string, string) { return "b-cg-03", v }, absB, unknownID)}
	t[op+" header:If-Match"] = refEntry{class: notRef, why: "an entity tag of the absence the path names, compared once the caller may act on it"}
}
