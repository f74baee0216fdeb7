package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/assess"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/postgres"
)

// TestPerformanceStore_HolderAtTheFact: a case deadline escalated while a-cg-03 held the case
// counts against a-cg-03, also after the case (and its running deadlines) passed to a-cg-04; its
// concluding counts for no one, and a manual event is withdrawn once, at its version.
func TestPerformanceStore_HolderAtTheFact(t *testing.T) {
	e := newCaseClocksEnv(t)
	ctx := context.Background()
	c := e.caseHeldByOfficerA(t, nil)
	e.clk.add(time.Hour)
	escalated := e.db.Clock()
	e.clk.add(time.Hour)
	if _, err := e.svc.Reassign(ctx, e.users["leader.a"], c.ID, 0, "a-cg-04", "片区调整"); err != nil {
		t.Fatal(err)
	}
	id := uuid.NewString()
	if _, err := e.db.SQL.Exec(`INSERT INTO deadlines (id, street_code, team_code, subject_kind, subject_id, kind, period, started_at,
			due_at, state, officer_code, escalated_at, updated_at)
		VALUES ($1, 'st-a', 'team-st-a', 'case', $2, 'decision', '90d', $3, $3, 'overdue', 'a-cg-04', $3, $3)`, id, c.ID, escalated); err != nil {
		t.Fatal(err)
	}
	store := postgres.NewPerformanceStore(e.db)
	p := assess.Period{From: escalated.Add(-24 * time.Hour), To: e.db.Clock().Add(time.Hour)}
	events, err := store.Events(ctx, []string{"a-cg-03", "a-cg-04"}, nil, p)
	if err != nil || len(events) != 1 || events[0].OfficerCode != "a-cg-03" || events[0].ID != "deadline_escalated:"+id ||
		events[0].StreetCode != "st-a" || !events[0].At.Equal(escalated) {
		t.Fatalf("events %+v, %v; want the escalation, a-cg-03's", events, err)
	}
	if other, err := store.Events(ctx, []string{"a-cg-03"}, []string{"st-b"}, p); err != nil || len(other) != 0 {
		t.Fatalf("street B's events of a-cg-03: %+v, %v", other, err)
	}

	rec, err := store.RecordEvent(ctx, assess.Event{OfficerCode: "a-cg-03", StreetCode: "st-a", Kind: assess.KindOther,
		Polarity: assess.Positive, At: escalated, Points: 1, Reason: "协助处置突发事件", RecordedAt: e.db.Clock()}, e.users["leader.a"])
	if err != nil || rec.Version != 1 || rec.RecordedBy != "leader.a" {
		t.Fatalf("recorded %+v, %v", rec, err)
	}
	if _, err := store.WithdrawEvent(ctx, rec.ID, 2, e.users["leader.a"], "误录", e.db.Clock()); derrors.CodeOf(err) != derrors.Conflict {
		t.Fatalf("a withdrawal at another version: %v", err)
	}
	w, err := store.WithdrawEvent(ctx, rec.ID, 1, e.users["leader.a"], "误录", e.db.Clock())
	if err != nil || !w.Withdrawn() || w.Version != 2 || w.WithdrawalReason != "误录" {
		t.Fatalf("withdrawn %+v, %v", w, err)
	}
	if _, err := store.WithdrawEvent(ctx, rec.ID, 0, e.users["leader.a"], "再撤", e.db.Clock()); derrors.CodeOf(err) != derrors.Conflict {
		t.Fatalf("a second withdrawal: %v", err)
	}
	if _, err := store.Event(ctx, uuid.NewString()); derrors.CodeOf(err) != derrors.NotFound {
		t.Fatalf("an unknown event: %v", err)
	}
}
