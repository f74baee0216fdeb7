package postgres_test

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/clock/clocktest"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/jobs"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
	wsync "github.com/whistle/whistle/sync"
)

// movable is a clock the test moves forward: the suite's time when the test began, plus what the
// test added. The store and River read the same one.
type movable struct {
	base  time.Time
	moved atomic.Int64
}

func newMovable(t *testing.T) *movable { return &movable{base: clocktest.Pinned(t)()} }

func (m *movable) clock() clock.Clock {
	return func() time.Time { return m.base.Add(time.Duration(m.moved.Load())) }
}

func (m *movable) add(d time.Duration) { m.moved.Add(int64(d)) }

// nothumbs stands in for media: these tests make no thumbnails.
type nothumbs struct{}

func (nothumbs) DeriveThumbnail(context.Context, string) error       { return nil }
func (nothumbs) FailThumbnail(context.Context, string, string) error { return nil }

// deadlineEnv is a demo database with the movable clock and a way to make River clients
// (API instances) over it.
type deadlineEnv struct {
	db    *postgres.DB
	clk   *movable
	store *postgres.DeadlineStore
}

func newDeadlineEnv(t *testing.T) *deadlineEnv {
	t.Helper()
	db, _ := pgtest.New(t)
	pgtest.LoadDemo(t, db)
	clk := newMovable(t)
	db.Clock = clk.clock()
	e := &deadlineEnv{db: db, clk: clk, store: postgres.NewDeadlineStore(db)}
	db.Jobs = e.client(t) // inserts only, until started
	return e
}

// client is a new River client over the database, as a freshly started instance makes.
func (e *deadlineEnv) client(t *testing.T) *jobs.Jobs {
	t.Helper()
	j, err := jobs.New(jobs.Config{DB: e.db.SQL, Now: e.db.Clock, Log: slog.New(slog.NewJSONHandler(io.Discard, nil)),
		Thumbnails: nothumbs{}, Deadlines: e.store, RetryBase: time.Millisecond, FetchPollInterval: 20 * time.Millisecond, TestOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// open opens a deadline of kind in street A's team, started now, answered for by a-cg-03.
func (e *deadlineEnv) open(t *testing.T, kind casework.DeadlineKind, limit casework.Period) postgres.Stored {
	t.Helper()
	d, err := casework.DefaultDeadlinePolicy().Open(casework.DeadlineOpening{StreetCode: "st-a", TeamCode: "team-st-a", Department: "cg",
		Subject: casework.DeadlineSubject{Kind: "work_order", ID: "12345-" + string(kind)}, Kind: kind, Start: e.db.Clock(),
		Officer: "a-cg-03", Limit: limit})
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.store.Open(context.Background(), d)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// start starts River clients and stops them at the end of t.
func start(t *testing.T, clients ...*jobs.Jobs) {
	t.Helper()
	for _, c := range clients {
		if err := c.Start(context.Background()); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			_ = c.Stop(ctx)
		})
	}
}

// stop stops a River client now, as an instance shutting down.
func stop(t *testing.T, c *jobs.Jobs) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := c.Stop(ctx); err != nil {
		t.Fatal(err)
	}
}

// jobsLeft is the number of deadline jobs not finished.
func (e *deadlineEnv) jobsLeft(t *testing.T) int {
	t.Helper()
	var n int
	if err := e.db.SQL.QueryRow(`SELECT count(*) FROM river_job WHERE kind = 'deadline.escalate'
		AND state NOT IN ('completed', 'discarded', 'cancelled')`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// waitJobs waits until every deadline job is finished (River's scheduler makes a due job
// available within its 5 s interval).
func (e *deadlineEnv) waitJobs(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for e.jobsLeft(t) > 0 {
		if time.Now().After(deadline) {
			t.Fatalf("%d deadline job(s) still to run", e.jobsLeft(t))
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// escalations are the trail entries deadline.escalate of deadline id.
func (e *deadlineEnv) escalations(t *testing.T, id string) []audit.Entry {
	t.Helper()
	entries, _, err := postgres.NewAuditStore(e.db).Query(context.Background(), audit.Filter{Chain: "st-a", Action: "deadline.escalate",
		EntityType: "deadline", EntityID: id, Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	return entries
}

// feed is the deadline's state in the feed of scope, as the last change published it.
func (e *deadlineEnv) feed(t *testing.T, scope, id string) (postgres.DeadlineFeed, bool) {
	t.Helper()
	var state []byte
	err := e.db.SQL.QueryRow(`SELECT convert_to(state::text, 'UTF8') FROM sync_changes WHERE scope = $1 AND entity_type = 'deadline' AND entity_id = $2`,
		scope, id).Scan(&state)
	if err != nil {
		return postgres.DeadlineFeed{}, false
	}
	var f postgres.DeadlineFeed
	if err := json.Unmarshal(state, &f); err != nil {
		t.Fatal(err)
	}
	return f, true
}

// TestDeadline_EscalatesAfterRestart: the job is in PostgreSQL, so a deadline opened before an
// instance stops is escalated by the instance started after it, once its due instant has passed.
func TestDeadline_EscalatesAfterRestart(t *testing.T) {
	e := newDeadlineEnv(t)
	first := e.client(t)
	e.db.Jobs = first
	start(t, first)
	st := e.open(t, casework.DeadlineEmergencyReport, casework.Period{})
	if want := e.db.Clock().Add(24 * time.Hour); !st.Due.Equal(want) || st.State != casework.DeadlineOpen {
		t.Fatalf("opened %s due %s, want open due %s", st.State, st.Due, want)
	}
	// Not due yet: the job waits, scheduled.
	time.Sleep(300 * time.Millisecond)
	if got, _ := e.store.Get(context.Background(), st.Deadline.ID); got.State != casework.DeadlineOpen || e.jobsLeft(t) != 1 {
		t.Fatalf("before its due instant: %s, %d job(s) left", got.State, e.jobsLeft(t))
	}
	stop(t, first)

	e.clk.add(24*time.Hour + time.Minute) // the instance was down past the due instant
	second := e.client(t)
	e.db.Jobs = second
	start(t, second)
	e.waitJobs(t)

	got, err := e.store.Get(context.Background(), st.Deadline.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != casework.DeadlineOverdue || got.Deadline.EscalatedAt.IsZero() || got.Deadline.Version != 2 {
		t.Fatalf("after the restart: %s escalated %s version %d, want overdue, escalated, version 2", got.State, got.Deadline.EscalatedAt, got.Deadline.Version)
	}
	if n := len(e.escalations(t, st.Deadline.ID)); n != 1 {
		t.Errorf("%d trail entries deadline.escalate, want 1", n)
	}
	// Pushed to the officer's phone, the team's, and the team leader's (a-cg-01 leads team-st-a).
	for _, scope := range []string{"officer:a-cg-03", "team:team-st-a", "officer:a-cg-01"} {
		f, ok := e.feed(t, scope, st.Deadline.ID)
		if !ok || f.State != casework.DeadlineOverdue || f.EscalatedAt == nil || len(f.EscalatedTo) != 1 || f.EscalatedTo[0] != "a-cg-01" {
			t.Errorf("feed of %s: %+v (%v), want the deadline overdue, escalated to a-cg-01", scope, f, ok)
		}
	}
	var overdue int64
	if err := e.db.SQL.QueryRow(`SELECT count(*) FROM deadlines WHERE state = 'overdue'`).Scan(&overdue); err != nil || overdue != 1 {
		t.Errorf("%d overdue rows (%v)", overdue, err)
	}
}

// TestDeadline_EscalatesOnceWithTwoInstances: two River clients on one database, each deadline
// with two jobs (as a resume re-schedules): every deadline is escalated exactly once.
func TestDeadline_EscalatesOnceWithTwoInstances(t *testing.T) {
	e := newDeadlineEnv(t)
	var ids []string
	for range 6 {
		st := e.open(t, casework.DeadlineWorkOrder, casework.Period{N: 2, Unit: casework.UnitHours})
		ids = append(ids, st.Deadline.ID)
		// A second job for the same deadline, a second earlier: its run judges the deadline not
		// due yet and waits; whichever runs after the escalation finds it overdue already.
		tx, err := e.db.SQL.Begin()
		if err != nil {
			t.Fatal(err)
		}
		if err := e.db.Jobs.EscalateTx(context.Background(), tx, st.Deadline.ID, st.Due.Add(-time.Second)); err != nil {
			t.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.jobsLeft(t); n != 12 {
		t.Fatalf("%d jobs, want 12", n)
	}
	e.clk.add(3 * time.Hour)
	start(t, e.client(t), e.client(t))
	e.waitJobs(t)
	for _, id := range ids {
		got, err := e.store.Get(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		if got.State != casework.DeadlineOverdue || got.Deadline.Version != 2 {
			t.Errorf("%s: %s version %d, want overdue at version 2", id, got.State, got.Deadline.Version)
		}
		if n := len(e.escalations(t, id)); n != 1 {
			t.Errorf("%s: %d escalations, want 1", id, n)
		}
	}
}

// TestDeadline_PauseResumeReschedules: a deadline paused past its first due instant is not
// escalated then; resumed, it is escalated at its new due instant, pushed back by the pause.
func TestDeadline_PauseResumeReschedules(t *testing.T) {
	e := newDeadlineEnv(t)
	ctx := context.Background()
	st := e.open(t, casework.DeadlineEmergencyReport, casework.Period{})
	id := st.Deadline.ID
	e.clk.add(time.Hour)
	if _, err := e.store.Pause(ctx, id, 2, "检测"); err == nil {
		t.Fatal("a pause at a stale version was accepted")
	}
	paused, err := e.store.Pause(ctx, id, 1, "送检，检测期间不计入")
	if err != nil {
		t.Fatal(err)
	}
	if paused.State != casework.DeadlinePaused || paused.Deadline.Version != 2 {
		t.Fatalf("paused: %s version %d", paused.State, paused.Deadline.Version)
	}
	if _, err := e.store.Pause(ctx, id, 2, "again"); err == nil {
		t.Fatal("a paused deadline was paused again")
	}
	// Past the first due instant: the job of the opening runs and finds the deadline paused.
	e.clk.add(30 * time.Hour)
	c := e.client(t)
	start(t, c)
	e.waitJobs(t)
	if got, _ := e.store.Get(ctx, id); got.State != casework.DeadlinePaused || len(e.escalations(t, id)) != 0 {
		t.Fatalf("paused past its first due instant: %s, %d escalations", got.State, len(e.escalations(t, id)))
	}
	stop(t, c)
	resumed, err := e.store.Resume(ctx, id, 2, "检测完毕")
	if err != nil {
		t.Fatal(err)
	}
	// 24 hours from the start, pushed back by the 30 hours paused.
	if want := st.Deadline.Start.Add(54 * time.Hour); resumed.State != casework.DeadlineOpen || !resumed.Due.Equal(want) {
		t.Fatalf("resumed: %s due %s, want open due %s", resumed.State, resumed.Due, want)
	}
	if n := e.jobsLeft(t); n != 1 {
		t.Fatalf("%d jobs after the resume, want the one at the new due instant", n)
	}
	e.clk.add(24*time.Hour - time.Minute) // one minute after the new due instant
	start(t, e.client(t))
	e.waitJobs(t)
	got, err := e.store.Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != casework.DeadlineOverdue || len(e.escalations(t, id)) != 1 {
		t.Fatalf("after the new due instant: %s, %d escalations", got.State, len(e.escalations(t, id)))
	}
	if p := got.Deadline.Pauses; len(p) != 1 || p[0].Reason != "送检，检测期间不计入" || p[0].EndReason != "检测完毕" || p[0].To.Sub(p[0].From) != 30*time.Hour {
		t.Errorf("pauses as stored: %+v", p)
	}
}

// TestDeadline_SeizuresSetWiseAsActByAct: the seizures of a push open the same deadlines
// set-wise (WriteBatch, one statement) as act by act (Create): same subjects, periods, due
// instants and officers, each with its trail entry and its feed changes.
func TestDeadline_SeizuresSetWiseAsActByAct(t *testing.T) {
	a, b, acts := newTwins(t)
	seize := func(extension string) func(r *inspection.Record) {
		return func(r *inspection.Record) {
			r.MatterCodes = append(r.MatterCodes, "CG-001")
			r.Measures = append(r.Measures, inspection.Measure{Kind: "seizure", MatterCode: "CG-001", Seizure: &inspection.Seizure{
				Items: []inspection.SeizedItem{{Name: "货架", Quantity: 2, Unit: "个", Condition: "旧"}}, CustodyPlace: "执法队暂扣物品库",
				ExtensionReason: extension}})
		}
	}
	batch := []wsync.Mutation{
		acts.recordAct(acts.record(0, seize(""))),
		acts.recordAct(acts.record(1, nil)),
		acts.recordAct(acts.record(2, seize("需检测，经批准延长"))),
	}
	pushTwins(t, a, b, batch, 0)
	opened := func(db *postgres.DB) []string {
		rows, err := db.SQL.Query(`SELECT concat_ws(' ', d.subject_kind, d.subject_id, d.kind, d.period, d.extended, d.extension,
				d.department_code, d.officer_code, d.team_code, d.state, d.started_at, d.due_at,
				(SELECT count(*) FROM audit_entries e WHERE e.entity_id = d.id::text AND e.action = 'deadline.open'),
				(SELECT string_agg(c.scope, ',' ORDER BY c.scope) FROM sync_changes c WHERE c.entity_type = 'deadline' AND c.entity_id = d.id::text))
			FROM deadlines d ORDER BY d.started_at`)
		if err != nil {
			t.Fatal(err)
		}
		defer rows.Close()
		var out []string
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out = append(out, s)
		}
		return out
	}
	setWise, oneByOne := opened(a.db), opened(b.db)
	if len(setWise) != 2 || !slices.Equal(setWise, oneByOne) {
		t.Fatalf("set-wise opened\n%s\nact by act\n%s", strings.Join(setWise, "\n"), strings.Join(oneByOne, "\n"))
	}
	for _, want := range []string{" seizure 30d f  cg a-cg-03 team-st-a open ", " seizure 30d t 30d cg a-cg-03 team-st-a open "} {
		if !slices.ContainsFunc(setWise, func(s string) bool { return strings.Contains(s, want) }) {
			t.Errorf("no deadline like %q among\n%s", want, strings.Join(setWise, "\n"))
		}
	}
	for _, s := range setWise {
		if !strings.HasSuffix(s, " 1 officer:a-cg-03,team:team-st-a") {
			t.Errorf("deadline without its trail entry or its feed changes: %s", s)
		}
	}
}
