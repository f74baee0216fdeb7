package postgres_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/postgres"
)

// caseClocksEnv is the case service over a deadline environment (River inserting jobs), with the
// user ids of the demo accounts it acts as.
type caseClocksEnv struct {
	*deadlineEnv
	svc   *casework.Service
	users map[string]string
}

func newCaseClocksEnv(t *testing.T) *caseClocksEnv {
	t.Helper()
	e := &caseClocksEnv{deadlineEnv: newDeadlineEnv(t), users: map[string]string{}}
	e.svc = casework.NewService(postgres.NewCaseStore(e.db), postgres.NewOrgStore(e.db), e.db.Clock, casework.Config{})
	for _, name := range []string{"grid.a", "leader.a", "officer.a"} {
		u, err := postgres.NewUserStore(e.db).UserByUsername(context.Background(), name)
		if err != nil {
			t.Fatal(err)
		}
		e.users[name] = u.ID
	}
	return e
}

// caseHeldByOfficerA takes in a 12345 work order about road occupation (CG-002, the squad) and
// has the team leader hand it to officer.a (a-cg-03).
func (e *caseClocksEnv) caseHeldByOfficerA(t *testing.T, limit *time.Time) casework.Record {
	t.Helper()
	ctx := context.Background()
	now := e.db.Clock()
	in := casework.Intake{ID: uuid.NewString(), MatterCode: "CG-002", Description: "商户占道经营", ConfirmNew: true,
		Location: casework.Location{Address: "东城区南锣鼓巷 12 号"},
		Source: casework.Source{Kind: casework.SourceWorkOrder, Channel: "12345", WorkOrderNumber: "GD-" + uuid.NewString()[:8],
			Nature: casework.NatureComprehensive, ReceivedAt: now.Add(-48 * time.Hour), TimeLimit: limit,
			Location: casework.Location{Address: "东城区南锣鼓巷 12 号"}, Description: "商户占道经营"}}
	c, err := e.svc.Intake(ctx, e.users["grid.a"], in)
	if err != nil {
		t.Fatal(err)
	}
	c, err = e.svc.Reassign(ctx, e.users["leader.a"], c.ID, 0, "a-cg-03", "张伟负责南锣鼓巷片区")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// caseDeadlines are the deadlines of case id by kind.
func (e *caseClocksEnv) caseDeadlines(t *testing.T, id string) map[casework.DeadlineKind]postgres.Stored {
	t.Helper()
	list, err := e.store.List(context.Background(), postgres.DeadlineFilter{Subject: &casework.DeadlineSubject{Kind: "case", ID: id}, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	out := map[casework.DeadlineKind]postgres.Stored{}
	for _, st := range list {
		if _, dup := out[st.Deadline.Kind]; dup {
			t.Fatalf("case %s has two %s deadlines", id, st.Deadline.Kind)
		}
		out[st.Deadline.Kind] = st
	}
	return out
}

// escalationJobs counts the escalation jobs of deadline id.
func (e *caseClocksEnv) escalationJobs(t *testing.T, id string) int {
	t.Helper()
	var n int
	if err := e.db.SQL.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'deadline.escalate' AND args->>'deadline_id' = $1`, id).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestCaseClocks_FilingToConclusion walks a case through its states and checks each deadline
// the law attaches: filing opens the decision period (90 days, the day of filing not counted, a
// last day off work moved on), the decision meets it and opens the service period (7 working
// days: weekends skipped), service opens the payment period of the fine, conclusion meets all.
func TestCaseClocks_FilingToConclusion(t *testing.T) {
	e := newCaseClocksEnv(t)
	ctx := context.Background()
	cal := inspection.DefaultCalendar()
	officer := e.users["officer.a"]
	c := e.caseHeldByOfficerA(t, nil)
	if got := e.caseDeadlines(t, c.ID); len(got) != 0 {
		t.Fatalf("a clue without a time limit has deadlines: %v", got)
	}

	c, err := e.svc.Transition(ctx, officer, c.ID, casework.MoveRequest{To: casework.StateFiled})
	if err != nil {
		t.Fatal(err)
	}
	dec, ok := e.caseDeadlines(t, c.ID)[casework.DeadlineDecision]
	if !ok {
		t.Fatal("filing opened no decision deadline")
	}
	y, m, d := c.UpdatedAt.In(cal.Zone()).Date()
	want := time.Date(y, m, d+91, 0, 0, 0, 0, cal.Zone()) // 90 days from the day after filing
	for !cal.Workday(want.Add(-time.Nanosecond)) {
		want = want.AddDate(0, 0, 1)
	}
	if dec.State != casework.DeadlineOpen || !dec.Due.Equal(want) || !dec.Deadline.Start.Equal(c.UpdatedAt) ||
		dec.Deadline.Officer != "a-cg-03" || dec.Deadline.Department != "cg" || dec.Deadline.TeamCode != "team-st-a" {
		t.Fatalf("decision deadline %+v due %s, want open, due %s, a-cg-03 of cg", dec.Deadline, dec.Due, want)
	}
	if n := e.escalationJobs(t, dec.Deadline.ID); n != 1 {
		t.Errorf("%d escalation jobs for the decision deadline, want 1", n)
	}

	if c, err = e.svc.Transition(ctx, officer, c.ID, casework.MoveRequest{To: casework.StateInvestigating}); err != nil {
		t.Fatal(err)
	}
	if c, err = e.svc.Notify(ctx, officer, c.ID, 0, false, "当场告知"); err != nil {
		t.Fatal(err)
	}
	c, err = e.svc.Transition(ctx, officer, c.ID, casework.MoveRequest{To: casework.StateDecided, Outcome: casework.OutcomePenalty,
		Penalty: &casework.Penalty{FineYuan: 200}})
	if err != nil {
		t.Fatal(err)
	}
	got := e.caseDeadlines(t, c.ID)
	if got[casework.DeadlineDecision].State != casework.DeadlineMet {
		t.Errorf("after the decision the decision deadline is %s", got[casework.DeadlineDecision].State)
	}
	svc, ok := got[casework.DeadlineService]
	if !ok {
		t.Fatal("the decision opened no service deadline")
	}
	y, m, d = c.UpdatedAt.In(cal.Zone()).Date()
	day, worked, off := time.Date(y, m, d+1, 0, 0, 0, 0, cal.Zone()), 0, 0
	for ; worked < 7; day = day.AddDate(0, 0, 1) {
		if cal.Workday(day) {
			worked++
		} else {
			off++
		}
	}
	if svc.State != casework.DeadlineOpen || !svc.Due.Equal(day) || svc.Deadline.Period.String() != "7wd" {
		t.Fatalf("service deadline due %s (%s), want %s", svc.Due, svc.Deadline.Period, day)
	}
	// Seven working days always take a weekend: at least nine calendar days.
	if first := time.Date(y, m, d+1, 0, 0, 0, 0, cal.Zone()); off < 2 || svc.Due.Sub(first) < 9*24*time.Hour {
		t.Errorf("service due %s counts %d days off, want a weekend skipped", svc.Due, off)
	}

	if c, err = e.svc.Transition(ctx, officer, c.ID, casework.MoveRequest{To: casework.StateServed, ServiceRecorded: true}); err != nil {
		t.Fatal(err)
	}
	got = e.caseDeadlines(t, c.ID)
	if got[casework.DeadlineService].State != casework.DeadlineMet || got[casework.DeadlinePayment].State != casework.DeadlineOpen {
		t.Fatalf("after service: service %s, payment %s", got[casework.DeadlineService].State, got[casework.DeadlinePayment].State)
	}

	// Handed to another officer: the deadlines still running follow the case.
	if c, err = e.svc.Reassign(ctx, e.users["leader.a"], c.ID, 0, "a-cg-01", "张伟休假"); err != nil {
		t.Fatal(err)
	}
	got = e.caseDeadlines(t, c.ID)
	if got[casework.DeadlinePayment].Deadline.Officer != "a-cg-01" || got[casework.DeadlineService].Deadline.Officer != "a-cg-03" {
		t.Errorf("after the reassignment: payment answered by %q, service (met) by %q", got[casework.DeadlinePayment].Deadline.Officer,
			got[casework.DeadlineService].Deadline.Officer)
	}

	leader := e.users["leader.a"]
	if _, err = e.svc.Transition(ctx, leader, c.ID, casework.MoveRequest{To: casework.StateConcluded}); err == nil {
		t.Fatal("a penalty concluded before execution")
	}
	c, err = e.svc.Reassign(ctx, leader, c.ID, 0, "a-cg-03", "张伟回岗")
	if err != nil {
		t.Fatal(err)
	}
	if c, err = e.svc.Transition(ctx, officer, c.ID, casework.MoveRequest{To: casework.StateExecuted}); err != nil {
		t.Fatal(err)
	}
	if _, err = e.svc.Transition(ctx, leader, c.ID, casework.MoveRequest{To: casework.StateConcluded}); err != nil {
		t.Fatal(err)
	}
	for k, st := range e.caseDeadlines(t, c.ID) {
		if st.State != casework.DeadlineMet {
			t.Errorf("after conclusion the %s deadline is %s", k, st.State)
		}
	}
	if len(got) != 3 {
		t.Errorf("the case had %d deadlines, want decision, service and payment", len(got))
	}
}

// TestCaseClocks_RolledBackTransitionLeavesNoDeadline: a filing whose transaction rolls back
// leaves neither the decision deadline nor its job, and the case a clue.
func TestCaseClocks_RolledBackTransitionLeavesNoDeadline(t *testing.T) {
	e := newCaseClocksEnv(t)
	ctx := context.Background()
	c := e.caseHeldByOfficerA(t, nil)
	undo := errors.New("undo")
	err := e.db.InTx(ctx, func(ctx context.Context) error {
		if _, err := e.svc.Transition(ctx, e.users["officer.a"], c.ID, casework.MoveRequest{To: casework.StateFiled}); err != nil {
			return err
		}
		var n int
		if err := e.db.Gorm.WithContext(ctx).Raw(`SELECT count(*) FROM deadlines`).Scan(&n).Error; err != nil {
			return err
		}
		if n != 0 {
			t.Error("the deadline was written outside the case's transaction")
		}
		return undo
	})
	if !errors.Is(err, undo) {
		t.Fatalf("transaction: %v", err)
	}
	if got := e.caseDeadlines(t, c.ID); len(got) != 0 {
		t.Errorf("a rolled-back filing left deadlines: %v", got)
	}
	var jobs int
	if err := e.db.SQL.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'deadline.escalate'`).Scan(&jobs); err != nil {
		t.Fatal(err)
	}
	if r, err := postgres.NewCaseStore(e.db).Get(ctx, c.ID); err != nil || r.State != casework.StateClue || jobs != 0 {
		t.Errorf("after the rollback: case %s, %d escalation jobs (%v)", r.State, jobs, err)
	}
	// The same filing committed opens the deadline.
	if _, err := e.svc.Transition(ctx, e.users["officer.a"], c.ID, casework.MoveRequest{To: casework.StateFiled}); err != nil {
		t.Fatal(err)
	}
	if _, ok := e.caseDeadlines(t, c.ID)[casework.DeadlineDecision]; !ok {
		t.Error("the committed filing opened no decision deadline")
	}
}

// TestCaseClocks_WorkOrderLimitAndWithdrawal: a work order taken in with its time limit opens
// the work_order deadline from the order's receipt, answered for by whoever holds the case, and
// a withdrawal meets it.
func TestCaseClocks_WorkOrderLimitAndWithdrawal(t *testing.T) {
	e := newCaseClocksEnv(t)
	ctx := context.Background()
	limit := e.db.Clock().Add(72 * time.Hour).Truncate(time.Hour)
	c := e.caseHeldByOfficerA(t, &limit)
	wo, ok := e.caseDeadlines(t, c.ID)[casework.DeadlineWorkOrder]
	if !ok {
		t.Fatal("the work order's limit opened no deadline")
	}
	received := c.Sources[0].ReceivedAt
	if !wo.Deadline.Start.Equal(received) || wo.Due.Before(limit) || wo.Due.Sub(limit) >= time.Hour || wo.State != casework.DeadlineOpen ||
		wo.Deadline.Officer != "a-cg-03" {
		t.Fatalf("work order deadline %+v due %s, want from %s due at the limit %s (to the hour), a-cg-03", wo.Deadline, wo.Due, received, limit)
	}
	if _, err := e.svc.Transition(ctx, e.users["leader.a"], c.ID, casework.MoveRequest{To: casework.StateWithdrawn, Reason: "重复工单"}); err != nil {
		t.Fatal(err)
	}
	if st := e.caseDeadlines(t, c.ID)[casework.DeadlineWorkOrder]; st.State != casework.DeadlineMet {
		t.Errorf("after the withdrawal the work order deadline is %s", st.State)
	}
}
