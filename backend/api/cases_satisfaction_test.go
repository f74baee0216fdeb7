package api_test

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/openapi"
)

// satisfactionOf posts the return call's answer body on case id as username.
func satisfactionOf(t *testing.T, f *fixture, username, id, body string) (openapi.CaseSatisfaction, int) {
	t.Helper()
	res := caseAct(t, f, f.login(t, username, demo.Password), id, "satisfaction", body, "")
	var out openapi.CaseSatisfaction
	if res.Status == http.StatusCreated {
		res.JSON(t, &out)
	}
	return out, res.Status
}

// TestCases_Satisfaction records the reporter's answers on the return call of a concluded work
// order's case: unreachable, then an answer, once; by the grid operator who took the order in
// or the street's team leader; beside the case (its version stays), on the trail, and on an
// archived case too.
func TestCases_Satisfaction(t *testing.T) {
	f := newFixture(t, options{demo: true})
	concluded := concludedCase(t, f)
	open := trailCase(t, f, false)
	leader := f.login(t, "leader.a", demo.Password)
	before := getCase(t, f, leader, concluded)

	tests := []struct {
		name, login, id, body string
		wantStatus            int
		wantCode              string
	}{
		{name: "ErrNotConcluded", login: "grid.a", id: open, body: `{"answer":"satisfied"}`, wantStatus: http.StatusConflict, wantCode: "conflict"},
		{name: "ErrForbidden/officer", login: "officer.a", id: concluded, body: `{"answer":"satisfied"}`, wantStatus: http.StatusForbidden, wantCode: "forbidden"},
		{name: "ErrNotFound/otherStreet", login: "leader.b", id: concluded, body: `{"answer":"satisfied"}`, wantStatus: http.StatusNotFound, wantCode: "not_found"},
		{name: "ErrNotFound/otherGridOperator", login: "grid.b", id: concluded, body: `{"answer":"satisfied"}`, wantStatus: http.StatusNotFound, wantCode: "not_found"},
		{name: "ErrBeforeConclusion", login: "grid.a", id: concluded, wantStatus: http.StatusUnprocessableEntity, wantCode: "validation_failed",
			body: fmt.Sprintf(`{"answer":"satisfied","at":%q}`, f.now().Add(-time.Hour).UTC().Format(time.RFC3339))},
		{name: "ErrAfterNow", login: "grid.a", id: concluded, wantStatus: http.StatusUnprocessableEntity, wantCode: "validation_failed",
			body: fmt.Sprintf(`{"answer":"satisfied","at":%q}`, f.now().Add(time.Hour).UTC().Format(time.RFC3339))},
		{name: "OK/unreachable", login: "grid.a", id: concluded, body: `{"answer":"unreachable","note":"无人接听"}`, wantStatus: http.StatusCreated},
		{name: "OK/satisfied", login: "grid.a", id: concluded, body: `{"answer":"satisfied"}`, wantStatus: http.StatusCreated},
		{name: "ErrAnsweredAlready", login: "leader.a", id: concluded, body: `{"answer":"not_satisfied"}`, wantStatus: http.StatusConflict, wantCode: "conflict"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res := caseAct(t, f, f.login(t, tc.login, demo.Password), tc.id, "satisfaction", tc.body, "")
			if tc.wantCode != "" {
				res.Problem(t, tc.wantStatus, tc.wantCode)
				return
			}
			if res.Status != tc.wantStatus {
				t.Fatalf("%d %s, want %d", res.Status, res.Body, tc.wantStatus)
			}
			var a openapi.CaseSatisfaction
			res.JSON(t, &a)
			if a.CaseId.String() != tc.id || a.At.After(f.now()) || a.At.Before(before.UpdatedAt) || !a.RecordedAt.Equal(a.At) {
				t.Errorf("answer = %+v, want case %s asked now (default)", a, tc.id)
			}
		})
	}

	t.Run("BesideTheCase", func(t *testing.T) {
		after := getCase(t, f, leader, concluded)
		if after.Version != before.Version || after.State != before.State {
			t.Errorf("the case moved from version %d (%s) to %d (%s): the return call is not a change of its file",
				before.Version, before.State, after.Version, after.State)
		}
		var n int
		if err := f.db.SQL.QueryRow(`SELECT count(*) FROM audit_entries WHERE action = 'case.satisfaction' AND entity_id = $1 AND chain = 'st-a'`,
			concluded).Scan(&n); err != nil || n != 2 {
			t.Errorf("trail entries case.satisfaction: %d, %v; want 2", n, err)
		}
	})

	t.Run("OK/archived", func(t *testing.T) {
		id := concludedCase(t, f)
		if res := closeArchive(t, f, leader, id, 8); res.Status != http.StatusCreated {
			t.Fatalf("archive: %d %s", res.Status, res.Body)
		}
		archived := getCase(t, f, leader, id)
		a, status := satisfactionOf(t, f, "leader.a", id, `{"answer":"basically_satisfied"}`)
		if status != http.StatusCreated || a.Answer != openapi.CaseSatisfactionAnswerBasicallySatisfied {
			t.Fatalf("%d %+v", status, a)
		}
		if c := getCase(t, f, leader, id); c.State != openapi.Archived || c.Version != archived.Version {
			t.Errorf("archived case after the answer: %s at version %d, want archived at %d", c.State, c.Version, archived.Version)
		}
	})
}
