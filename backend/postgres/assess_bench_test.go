package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/whistle/whistle/backend/assess"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
)

// BenchmarkAssessmentQuarter measures the district's quarterly assessment report with a year
// of a district's cases loaded (issue 16: 26 departments, 50,000 cases a year; within a
// second), against a raw SQL aggregate of the same figures through one pgx connection (make
// bench prints the ratio):
//
//   - report-ns/op: assess.Service.Report for the administrator, as GET
//     /v1/assessment/departments answers it: the caller's scope, the one statement of every
//     figure's selection counted by department (AssessStore.Measure, through GORM), the rates,
//     composite and score of each department.
//   - sql-ns/op: one hand-written statement of the same counts, a pass per table without the
//     selections' street and department filters, through pgx, JIT off as for the store.
//
// The year is synthetic, made by generate_series in the database: 50,000 cases of the demo's
// two streets over the 365 days before the clock's day, spread over 26 departments, 60% with a
// 12345 work order, 70% concluded ten days after intake (one in 17 with a deadline met late),
// one in 10 routed a second time, one in 20 objected, one in 5 with an evidence review (half
// of them returned). The quarter is the 90 days from day 180.
func BenchmarkAssessmentQuarter(b *testing.B) {
	ctx := context.Background()
	pgtest.RequireDurable(b)
	db, dsn := pgtest.New(b)
	pgtest.LoadDemo(b, db)
	admin, err := postgres.NewUserStore(db).UserByUsername(ctx, "admin")
	if err != nil {
		b.Fatal(err)
	}
	start := db.Clock.Today().AddDate(-1, 0, 0)
	loadAssessmentYear(b, db, start, admin.ID)
	day := func(d int) string { return start.AddDate(0, 0, d).In(assess.Shanghai).Format(time.DateOnly) }
	period, err := assess.ParsePeriod("", day(180), day(270))
	if err != nil {
		b.Fatal(err)
	}
	svc, err := assess.NewService(postgres.NewAssessStore(db), postgres.NewOrgStore(db), assess.DefaultConfig(), db.Clock)
	if err != nil {
		b.Fatal(err)
	}
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `SET jit = off`); err != nil { // as AssessStore.Measure runs
		b.Fatal(err)
	}
	measured := assess.DefaultConfig().Measured()
	report := func() (map[string]map[string]float64, error) {
		r, err := svc.Report(ctx, admin.ID, period, "")
		if err != nil {
			return nil, err
		}
		out := map[string]map[string]float64{}
		for _, d := range r.Departments {
			for _, v := range d.Values {
				for _, m := range measured {
					if v.Code == m && v.Value != nil && *v.Value > 0 {
						if out[d.DepartmentCode] == nil {
							out[d.DepartmentCode] = map[string]float64{}
						}
						out[d.DepartmentCode][m] = *v.Value
					}
				}
			}
		}
		return out, nil
	}
	if got, err := report(); err != nil || len(got) != 26 || got["d01"]["cases_routed"] < 400 {
		b.Fatalf("the quarter's report: %d departments, d01 %v, %v; want 26 departments of about 480 cases each", len(got), got["d01"], err)
	}
	compareAndInterleave(b,
		way[map[string]map[string]float64]{"report-ns/op", report},
		way[map[string]map[string]float64]{"sql-ns/op", func() (map[string]map[string]float64, error) {
			return rawAssessment(ctx, conn, period, assess.DefaultConfig().ResponseWithin)
		}})
}

// loadAssessmentYear writes a year of synthetic cases from start (see BenchmarkAssessmentQuarter).
func loadAssessmentYear(b *testing.B, db *postgres.DB, start time.Time, actor string) {
	b.Helper()
	step := 365 * 86400.0 / 50000
	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`INSERT INTO cases (id, street_code, team_code, matter_code, matter_version, department_code, state, assignee_kind, assignee_code,
			first_receiver_kind, first_receiver_code, address, description, version, doc, created_at, updated_at)
		SELECT md5('case' || i)::uuid, st, 'team-' || st, 'X-1', 1, 'd' || lpad((i % 26 + 1)::text, 2, '0'),
			CASE WHEN i % 10 < 7 THEN 'concluded' ELSE 'filed' END, 'department', 'd', 'department', 'd', 'addr', 'desc', 1, '{}', at, at
		FROM generate_series(1, 50000) i,
			LATERAL (SELECT CASE WHEN i % 2 = 0 THEN 'st-a' ELSE 'st-b' END AS st, $1::timestamptz + make_interval(secs => i * $2) AS at) x`, []any{start, step}},
		{`INSERT INTO case_routings (case_id, at, matter_code, matter_version, department_code, destination, reason, candidates)
		SELECT id, created_at + interval '1 minute', 'X-1', 1, department_code, 'officer', '{}', '[]' FROM cases ORDER BY created_at`, []any{}},
		{`INSERT INTO case_routings (case_id, at, matter_code, matter_version, department_code, destination, reason, candidates)
		SELECT id, created_at + interval '2 days', 'X-1', 1, department_code, 'officer', '{}', '[]' FROM cases
		WHERE ('x' || substr(id::text, 1, 4))::bit(16)::int % 10 = 0`, []any{}},
		{`INSERT INTO case_routings (case_id, at, matter_code, matter_version, department_code, destination, reason, candidates)
		SELECT id, created_at + interval '1 hour', 'X-1', 1, department_code, 'unroutable', '{}', '[]' FROM cases
		WHERE ('x' || substr(id::text, 1, 4))::bit(16)::int % 20 = 1`, []any{}},
		{`INSERT INTO case_events (case_id, version, kind, at, actor_user_id)
		SELECT id, 1, 'objection', created_at + interval '1 hour', $1::uuid FROM cases WHERE ('x' || substr(id::text, 1, 4))::bit(16)::int % 20 = 1`, []any{actor}},
		{`INSERT INTO case_events (case_id, version, kind, at, actor_user_id, to_state)
		SELECT id, 1, 'intake', created_at, $1::uuid, 'clue' FROM cases`, []any{actor}},
		{`INSERT INTO case_events (case_id, version, kind, at, actor_user_id)
		SELECT id, 1, 'note', created_at + CASE WHEN ('x' || substr(id::text, 5, 4))::bit(16)::int % 10 < 6 THEN interval '6 hours'
			ELSE interval '30 hours' END, $1::uuid FROM cases`, []any{actor}},
		{`INSERT INTO case_events (case_id, version, kind, at, actor_user_id, to_state)
		SELECT id, 2, 'transition', created_at + interval '10 days', $1::uuid, 'concluded' FROM cases WHERE state = 'concluded'`, []any{actor}},
		{`INSERT INTO case_sources (case_id, kind, channel, work_order_number, received_at, address, description, taken_by)
		SELECT id, 'work_order', '12345', 'GD-' || substr(id::text, 1, 8), created_at - interval '30 minutes', 'addr', 'desc', $1::uuid
		FROM cases WHERE ('x' || substr(id::text, 10, 4))::bit(16)::int % 5 < 3`, []any{actor}},
		{`INSERT INTO deadlines (id, street_code, team_code, department_code, subject_kind, subject_id, kind, period, started_at, due_at,
			state, met_at, updated_at)
		SELECT md5('dl' || id)::uuid, street_code, team_code, department_code, 'case', id::text, 'decision', '90d', created_at,
			created_at + CASE WHEN ('x' || substr(id::text, 15, 4))::bit(16)::int % 17 = 0 THEN interval '5 days' ELSE interval '90 days' END,
			CASE WHEN state = 'concluded' THEN 'met' ELSE 'open' END,
			CASE WHEN state = 'concluded' THEN created_at + interval '10 days' END, created_at FROM cases`, []any{}},
		{`INSERT INTO evidence_reviews (id, case_id, department_code, reviewer_user_id, verdict, at, status, version)
		SELECT md5('rv' || id)::uuid, id, department_code, $1::uuid, v, created_at + interval '3 days', v, 1
		FROM cases, LATERAL (SELECT CASE WHEN ('x' || substr(id::text, 20, 4))::bit(16)::int % 2 = 0 THEN 'returned' ELSE 'accepted' END AS v) x
		WHERE ('x' || substr(id::text, 25, 4))::bit(16)::int % 5 = 0`, []any{actor}},
		{`ANALYZE cases, case_routings, case_events, case_sources, deadlines, evidence_reviews`, []any{}},
	} {
		if _, err := db.SQL.Exec(q.sql, q.args...); err != nil {
			b.Fatalf("%s: %v", q.sql, err)
		}
	}
}

// rawAssessment is the district's counts of the measured figures in one hand-written
// statement: what AssessStore.Measure computes, without its selections and filters.
func rawAssessment(ctx context.Context, conn *pgx.Conn, p assess.Period, within time.Duration) (map[string]map[string]float64, error) {
	rows, err := conn.Query(ctx, `WITH
	routed AS (SELECT department_code AS d, count(DISTINCT case_id) AS n FROM case_routings
		WHERE at >= $1 AND at < $2 AND destination IN ('officer', 'district_queue') GROUP BY 1),
	objected AS (SELECT r.department_code AS d, count(*) AS n FROM case_events e JOIN case_routings r ON r.case_id = e.case_id AND r.at = e.at
		WHERE e.kind = 'objection' AND e.at >= $1 AND e.at < $2 GROUP BY 1),
	reviews AS (SELECT department_code AS d, count(*) AS n, count(*) FILTER (WHERE verdict = 'returned') AS returned
		FROM evidence_reviews WHERE at >= $1 AND at < $2 GROUP BY 1),
	concluded AS (SELECT d, count(*) AS n, count(*) FILTER (WHERE late) AS late FROM (
		SELECT c.department_code AS d, EXISTS (SELECT 1 FROM deadlines dl WHERE dl.subject_kind = 'case' AND dl.subject_id = c.id::text
			AND (dl.escalated_at IS NOT NULL OR dl.met_at IS NULL OR dl.met_at > dl.due_at)) AS late
		FROM case_events e JOIN cases c ON c.id = e.case_id
		WHERE e.kind = 'transition' AND e.to_state = 'concluded' AND e.at >= $1 AND e.at < $2) x GROUP BY 1),
	orders AS (SELECT d, count(*) AS n,
		count(*) FILTER (WHERE EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = o.case_id AND e.kind IN ('transition', 'note', 'notified')
			AND e.at <= o.received_at + make_interval(secs => $3) AND e.at < $2)) AS responded,
		count(*) FILTER (WHERE EXISTS (SELECT 1 FROM case_events e WHERE e.case_id = o.case_id AND e.kind = 'transition'
			AND e.to_state = 'concluded' AND e.at < $2)) AS resolved
		FROM (SELECT s.case_id, s.received_at, (SELECT department_code FROM case_routings r WHERE r.case_id = s.case_id ORDER BY r.id LIMIT 1) AS d
			FROM case_sources s JOIN cases c ON c.id = s.case_id
			WHERE s.kind = 'work_order' AND s.channel = '12345' AND s.received_at >= $1 AND s.received_at < $2 AND c.created_at < $2) o GROUP BY 1)
	SELECT 'cases_routed', d, n FROM routed UNION ALL SELECT 'cases_objected', d, n FROM objected
	UNION ALL SELECT 'evidence_reviewed', d, n FROM reviews UNION ALL SELECT 'evidence_returned', d, returned FROM reviews
	UNION ALL SELECT 'cases_concluded', d, n FROM concluded UNION ALL SELECT 'cases_concluded_overdue', d, late FROM concluded
	UNION ALL SELECT 'cases_concluded_on_time', d, n - late FROM concluded
	UNION ALL SELECT 'work_orders_received', d, n FROM orders UNION ALL SELECT 'work_orders_responded', d, responded FROM orders
	UNION ALL SELECT 'work_orders_resolved', d, resolved FROM orders`, p.From, p.To, within.Seconds())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]float64{}
	for rows.Next() {
		var figure, d string
		var n int64
		if err := rows.Scan(&figure, &d, &n); err != nil {
			return nil, err
		}
		if n == 0 || d == "" {
			continue
		}
		if out[d] == nil {
			out[d] = map[string]float64{}
		}
		out[d][figure] = float64(n)
	}
	return out, rows.Err()
}
