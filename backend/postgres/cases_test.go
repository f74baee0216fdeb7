package postgres_test

import (
	"context"
	"encoding/json"
	"errors"
	"testing"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
)

// caseEnv is the case service over a demo database, as serve wires it.
type caseEnv struct {
	db    *postgres.DB
	store *postgres.CaseStore
	svc   *casework.Service
	users map[string]string // username -> user id
}

func newCaseEnv(t *testing.T) *caseEnv {
	t.Helper()
	db, _ := pgtest.New(t)
	pgtest.LoadDemo(t, db)
	store := postgres.NewCaseStore(db)
	e := &caseEnv{db: db, store: store, svc: casework.NewService(store, postgres.NewOrgStore(db), db.Clock, casework.Config{}),
		users: map[string]string{}}
	users := postgres.NewUserStore(db)
	for _, name := range []string{"grid.a", "leader.a", "officer.a", "grid.b"} {
		u, err := users.UserByUsername(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		e.users[name] = u.ID
	}
	return e
}

// workOrder is a comprehensive 12345 work order of street A about matter.
func (e *caseEnv) workOrder(matter string) casework.Intake {
	now := e.db.Clock()
	return casework.Intake{ID: uuid.NewString(), MatterCode: matter, Description: "商户占道经营",
		Location: casework.Location{Address: "东城区南锣鼓巷 12 号"},
		Source: casework.Source{Kind: casework.SourceWorkOrder, Channel: "12345", WorkOrderNumber: "GD-" + uuid.NewString()[:8],
			Nature: casework.NatureComprehensive, Contact: &casework.Contact{Name: "李小明", Phone: "13800001234"},
			ReceivedAt: now.Add(-1e9), Location: casework.Location{Address: "东城区南锣鼓巷 12 号"}, Description: "商户占道经营"}}
}

func TestCaseStore_IntakeRoutesStoresAndFeeds(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	in := e.workOrder("SJ-002")
	c, err := e.svc.Intake(ctx, e.users["grid.a"], in)
	if err != nil {
		t.Fatal(err)
	}
	// SJ's officers of team A: a-sj-01 (valid certificate) and a-sj-02 (expired four days before
	// the story's day): a-sj-01 is chosen.
	if c.Assignee != (casework.Receiver{Kind: casework.ReceiverOfficer, Code: "a-sj-01"}) || c.FirstReceiver != c.Assignee {
		t.Fatalf("assignee %+v first %+v", c.Assignee, c.FirstReceiver)
	}
	if c.Routing == nil || len(c.Routing.Candidates) != 2 || c.Routing.Candidates[1].Reason.Code != casework.CandidateCertExpired {
		t.Fatalf("routing %+v", c.Routing)
	}
	// The grid operator took the order down: the contact in full for them.
	if c.Masked || c.Sources[0].Contact.Phone != "13800001234" {
		t.Fatalf("grid operator's view %+v", c.Sources[0])
	}
	got, err := e.store.Get(ctx, c.ID)
	if err != nil || got.Version != 1 || got.State != casework.StateClue || got.MatterVersion != 1 {
		t.Fatalf("stored %+v %v", got, err)
	}
	var routings, events, feed, trail int
	e.db.SQL.QueryRow(`SELECT count(*) FROM case_routings WHERE case_id = $1`, c.ID).Scan(&routings)
	e.db.SQL.QueryRow(`SELECT count(*) FROM case_events WHERE case_id = $1`, c.ID).Scan(&events)
	e.db.SQL.QueryRow(`SELECT count(*) FROM sync_changes WHERE entity_type = 'case' AND entity_id = $1 AND scope IN ('team:team-st-a', 'officer:a-sj-01')`, c.ID).Scan(&feed)
	e.db.SQL.QueryRow(`SELECT count(*) FROM audit_entries WHERE entity_type = 'case' AND entity_id = $1 AND action = 'case.intake'`, c.ID).Scan(&trail)
	if routings != 1 || events != 2 || feed != 2 || trail != 1 {
		t.Fatalf("routings %d events %d feed %d trail %d", routings, events, feed, trail)
	}
	// The team's copy is masked.
	var team string
	e.db.SQL.QueryRow(`SELECT state::text FROM sync_changes WHERE entity_id = $1 AND scope = 'team:team-st-a'`, c.ID).Scan(&team)
	var teamCase casework.Record
	if err := json.Unmarshal([]byte(team), &teamCase); err != nil || !teamCase.Masked || teamCase.Sources[0].Contact.Phone == "13800001234" {
		t.Fatalf("team feed %s", team)
	}

	t.Run("ErrIDTaken", func(t *testing.T) {
		again := in
		again.ConfirmNew = true // the same place too: past the duplicate check, to the id
		if _, err := e.svc.Intake(ctx, e.users["grid.a"], again); derrors.CodeOf(err) != derrors.Conflict {
			t.Fatalf("second intake under one id: %v", err)
		}
	})
	t.Run("ErrDuplicate", func(t *testing.T) {
		_, err := e.svc.Intake(ctx, e.users["grid.a"], e.workOrder("SJ-002"))
		var de *casework.DuplicatesError
		if !errors.As(err, &de) || len(de.Duplicates) != 1 || de.Duplicates[0].ID != c.ID || de.Duplicates[0].DistanceM != -1 {
			t.Fatalf("the same order at the same address: %v", err)
		}
	})
	t.Run("ErrStaleVersion", func(t *testing.T) {
		r := got
		r.Version = 2
		err := e.store.Update(ctx, casework.Change{Record: r, Action: "case.note"}, 7)
		if derrors.CodeOf(err) != derrors.Conflict {
			t.Fatalf("update at a stale base: %v", err)
		}
	})
	t.Run("OpenCasesCountsTheLoad", func(t *testing.T) {
		n, err := e.store.OpenCases(ctx, []string{"a-sj-01", "a-sj-02"})
		if err != nil || n["a-sj-01"] != 1 || n["a-sj-02"] != 0 {
			t.Fatalf("open cases %v %v", n, err)
		}
		// The next order of the same department goes to a-sj-01 again (a-sj-02 cannot take it),
		// and the load is counted.
		second := e.workOrder("SJ-002")
		second.ConfirmNew = true // the same place: a duplicate but for the confirmation
		c2, err := e.svc.Intake(ctx, e.users["grid.a"], second)
		if err != nil || c2.Assignee.Code != "a-sj-01" || c2.Routing.Candidates[0].OpenCases != 1 {
			t.Fatalf("second order %+v %v", c2.Routing, err)
		}
	})
	t.Run("ListScoped", func(t *testing.T) {
		mine, err := e.svc.List(ctx, e.users["grid.a"], casework.ListQuery{})
		if err != nil || len(mine) != 2 {
			t.Fatalf("grid.a lists %d %v", len(mine), err)
		}
		other, err := e.svc.List(ctx, e.users["grid.b"], casework.ListQuery{})
		if err != nil || len(other) != 0 {
			t.Fatalf("grid.b lists %d %v", len(other), err)
		}
		if _, err := e.svc.Get(ctx, e.users["grid.b"], c.ID); derrors.CodeOf(err) != derrors.NotFound {
			t.Fatalf("grid.b reads another street's case: %v", err)
		}
		// officer.a (a-cg-03) is in the team but not the case team: masked.
		v, err := e.svc.Get(ctx, e.users["officer.a"], c.ID)
		if err != nil || !v.Masked || v.Sources[0].Contact.Name != "李**" {
			t.Fatalf("officer.a sees %+v %v", v.Sources, err)
		}
	})
}

// TestCaseService_Overloaded: an officer at the configured load is passed over; with no other
// eligible officer of the department, the case goes to the department's queue.
func TestCaseService_Overloaded(t *testing.T) {
	e := newCaseEnv(t)
	ctx := context.Background()
	svc := casework.NewService(e.store, postgres.NewOrgStore(e.db), e.db.Clock, casework.Config{MaxOpenCases: 1})
	first, err := svc.Intake(ctx, e.users["grid.a"], e.workOrder("SJ-002"))
	if err != nil || first.Assignee.Code != "a-sj-01" {
		t.Fatalf("first order: %+v %v", first.Assignee, err)
	}
	in := e.workOrder("SJ-002")
	in.ConfirmNew = true
	second, err := svc.Intake(ctx, e.users["grid.a"], in)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, c := range second.Routing.Candidates {
		reasons[c.OfficerCode] = c.Reason.Code
	}
	if second.Assignee != (casework.Receiver{Kind: casework.ReceiverDepartment, Code: "sj"}) ||
		second.Routing.Reason.Code != casework.RouteNoEligibleOfficer || reasons["a-sj-01"] != casework.CandidateOverloaded {
		t.Fatalf("second order: %+v %+v", second.Assignee, second.Routing)
	}
}
