package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/whistle/whistle/backend/assess"
	"github.com/whistle/whistle/backend/clock"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
)

// BenchmarkAssessmentQuarter measures the district's quarterly assessment report with a year
// of a district's cases and whistles loaded (issue 16: 26 departments, 50,000 cases and 2,000
// whistles a year; within a second), against a raw SQL aggregate of the same figures through one pgx connection (make
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
// of them returned), the concluded work orders' reporters called back (four in five answer);
// and 2,000 whistles (issue 16's district) with their calls of one or two departments, reports
// on time and late, objections accepted and overruled, closings and ratings. The quarter is the
// 90 days from day 180.
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
	day := func(d int) string { return start.AddDate(0, 0, d).In(clock.Beijing).Format(time.DateOnly) }
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
	if got, err := report(); err != nil || len(got) != 26 || got["d01"]["cases_routed"] < 400 || got["d01"]["whistles_received_regular"] < 10 ||
		got["d01"]["whistle_steps_due"] == 0 || got["d01"]["whistle_ack_p90_seconds_key"] == 0 || got["d01"]["work_orders_rated"] == 0 {
		b.Fatalf("the quarter's report: %d departments, d01 %v, %v; want 26 departments of about 480 cases and 25 whistles each", len(got), got["d01"], err)
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
		// The return calls of the concluded work orders' cases, a day after the conclusion: one in
		// five unreachable, then not, basically satisfied, and satisfied twice.
		{`INSERT INTO case_satisfactions (case_id, street_code, answer, at, recorded_by, recorded_at)
		SELECT c.id, c.street_code, (ARRAY['unreachable', 'not_satisfied', 'basically_satisfied', 'satisfied', 'satisfied'])[
			('x' || substr(c.id::text, 28, 4))::bit(16)::int % 5 + 1], c.created_at + interval '11 days', $1::uuid, c.created_at + interval '11 days'
		FROM cases c WHERE c.state = 'concluded' AND EXISTS (SELECT 1 FROM case_sources s WHERE s.case_id = c.id AND s.kind = 'work_order')`, []any{actor}},
		// The 26 departments the synthetic cases name, for the whistles' calls.
		{`INSERT INTO departments (id, code, name_zh, kind) SELECT md5('dep' || i)::uuid, 'd' || lpad(i::text, 2, '0'), '部门 ' || i, 'listed'
		FROM generate_series(1, 26) i ON CONFLICT (code) DO NOTHING`, []any{}},
		// 2,000 whistles: 10% emergency, 30% key, 60% regular, 70% closed eight days after.
		{`INSERT INTO whistles (id, street_code, team_code, year, seq, number, type, source, scope, state, raised_at, raised_by, filed_at,
			closed_at, version, doc)
		SELECT md5('w' || i)::uuid, st, 'team-' || st, 2026, i, 'W-' || i, ty, 'community', 'common',
			CASE WHEN i % 10 < 7 THEN 'closed' ELSE 'open' END, at, $3::uuid, at, CASE WHEN i % 10 < 7 THEN at + interval '8 days' END, 1, '{}'
		FROM generate_series(1, 2000) i,
			LATERAL (SELECT CASE WHEN i % 2 = 0 THEN 'st-a' ELSE 'st-b' END AS st,
				CASE WHEN i % 10 = 0 THEN 'emergency' WHEN i % 10 < 4 THEN 'key' ELSE 'regular' END AS ty,
				$1::timestamptz + make_interval(secs => i * $2) AS at) x`, []any{start, 365 * 86400.0 / 2000, actor}},
		// Each calls one department, one in four a second; one in a hundred has the second
		// released. Steps are done at 25% to 125% of their deadline (late at 125%); one in ten never
		// arrives, the open ones never finish.
		{`INSERT INTO whistle_calls (whistle_id, department_code, street_code, type, called_at, status, ack_due, arrive_due, finish_due,
			ack_at, arrive_at, finish_at)
		SELECT w.id, c.d, w.street_code, w.type, w.raised_at, CASE WHEN c.released THEN 'released' ELSE 'called' END,
			w.raised_at + p.ack, w.raised_at + p.arrive, w.raised_at + p.finish,
			CASE WHEN NOT c.released THEN w.raised_at + p.ack * ((w.seq % 5 + 1) * 0.25) END,
			CASE WHEN NOT c.released AND w.seq % 10 < 9 THEN w.raised_at + p.arrive * ((w.seq / 5 % 5 + 1) * 0.25) END,
			CASE WHEN NOT c.released AND w.seq % 10 < 7 THEN w.raised_at + p.finish * ((w.seq / 3 % 4 + 1) * 0.25) END
		FROM whistles w
			JOIN (VALUES ('emergency', interval '30 minutes', interval '1 hour', interval '24 hours'),
				('key', interval '2 hours', interval '4 hours', interval '72 hours'),
				('regular', interval '24 hours', interval '48 hours', interval '168 hours')) p (type, ack, arrive, finish) ON p.type = w.type,
			LATERAL (VALUES (1, 'd' || lpad((w.seq % 26 + 1)::text, 2, '0'), false),
				(2, 'd' || lpad(((w.seq + 7) % 26 + 1)::text, 2, '0'), w.seq % 100 = 0)) c (n, d, released)
		WHERE c.n = 1 OR w.seq % 4 = 0`, []any{}},
		{`INSERT INTO whistle_reports (whistle_id, department_code, step, at, received_at, by_user_id, due_at, late)
		SELECT c.whistle_id, c.department_code, s.step, s.done, s.done, $1::uuid, s.due, s.done > s.due
		FROM whistle_calls c,
			LATERAL (VALUES ('ack', c.ack_due, c.ack_at), ('arrive', c.arrive_due, c.arrive_at), ('finish', c.finish_due, c.finish_at)) s (step, due, done)
		WHERE s.done IS NOT NULL`, []any{actor}},
		// The second department objects to one whistle in twenty: accepted where released.
		{`INSERT INTO whistle_objections (id, whistle_id, department_code, street_code, at, outcome, ruled_at)
		SELECT md5('o' || w.seq)::uuid, c.whistle_id, c.department_code, c.street_code, c.called_at + interval '5 minutes',
			CASE WHEN c.status = 'released' THEN 'accepted' ELSE 'overruled' END, c.called_at + interval '15 minutes'
		FROM whistle_calls c JOIN whistles w ON w.id = c.whistle_id
		WHERE w.seq % 20 = 0 AND c.department_code = 'd' || lpad(((w.seq + 7) % 26 + 1)::text, 2, '0')`, []any{}},
		// Two closed whistles in three are rated a day after the closing.
		{`INSERT INTO whistle_ratings (whistle_id, rater_user_id, rater_role, rating, at, street_code)
		SELECT id, $1::uuid, 'community', CASE seq % 5 WHEN 0 THEN 'not_satisfied' WHEN 1 THEN 'basically_satisfied' ELSE 'satisfied' END,
			closed_at + interval '1 day', street_code
		FROM whistles WHERE closed_at IS NOT NULL AND seq % 3 <> 0`, []any{actor}},
		{`ANALYZE cases, case_routings, case_events, case_sources, deadlines, evidence_reviews, case_satisfactions,
			whistles, whistle_calls, whistle_reports, whistle_objections, whistle_ratings`, []any{}},
	} {
		if _, err := db.SQL.Exec(q.sql, q.args...); err != nil {
			b.Fatalf("%s: %v", q.sql, err)
		}
	}
}

// rawAssessment is the district's values of the measured figures in one hand-written
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
			AND e.to_state = 'concluded' AND e.at < $2)) AS resolved,
		count(*) FILTER (WHERE answer <> 'unreachable') AS rated, count(*) FILTER (WHERE answer = 'satisfied') AS satisfied,
		count(*) FILTER (WHERE answer = 'basically_satisfied') AS basically
		FROM (SELECT s.case_id, s.received_at, (SELECT department_code FROM case_routings r WHERE r.case_id = s.case_id ORDER BY r.id LIMIT 1) AS d,
				(SELECT a.answer FROM case_satisfactions a WHERE a.case_id = s.case_id AND a.at < $2 AND a.answer <> 'unreachable') AS answer
			FROM case_sources s JOIN cases c ON c.id = s.case_id
			WHERE s.kind = 'work_order' AND s.channel = '12345' AND s.received_at >= $1 AND s.received_at < $2 AND c.created_at < $2) o GROUP BY 1),
	received AS (SELECT department_code AS d, type, count(*) AS n FROM whistle_calls WHERE called_at >= $1 AND called_at < $2 GROUP BY 1, 2),
	times AS (SELECT r.department_code AS d, r.step, c.type,
			percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM r.at - c.called_at)::float8) AS median,
			percentile_cont(0.9) WITHIN GROUP (ORDER BY extract(epoch FROM r.at - c.called_at)::float8) AS p90
		FROM whistle_reports r JOIN whistle_calls c ON c.whistle_id = r.whistle_id AND c.department_code = r.department_code
		WHERE r.at >= $1 AND r.at < $2 GROUP BY 1, 2, 3),
	steps AS (SELECT c.department_code AS d, count(*) AS due, count(*) FILTER (WHERE s.done <= s.due) AS on_time
		FROM whistle_calls c JOIN whistles w ON w.id = c.whistle_id,
			LATERAL (VALUES (c.ack_due, c.ack_at), (c.arrive_due, c.arrive_at), (c.finish_due, c.finish_at)) s (due, done)
		WHERE s.due >= $1 AND s.due < $2 AND (s.done IS NOT NULL OR ((w.closed_at IS NULL OR w.closed_at > s.due) AND NOT EXISTS (
			SELECT 1 FROM whistle_objections o WHERE o.whistle_id = c.whistle_id AND o.department_code = c.department_code
				AND o.outcome = 'accepted' AND o.ruled_at <= s.due))) GROUP BY 1),
	raised AS (SELECT department_code AS d, count(*) AS n FROM whistle_objections WHERE at >= $1 AND at < $2 GROUP BY 1),
	ruled AS (SELECT department_code AS d, count(*) FILTER (WHERE outcome IN ('accepted', 'overruled')) AS decided,
			count(*) FILTER (WHERE outcome = 'accepted') AS upheld, count(*) FILTER (WHERE outcome = 'overruled') AS overruled
		FROM whistle_objections WHERE ruled_at >= $1 AND ruled_at < $2 GROUP BY 1),
	ratings AS (SELECT c.department_code AS d, count(*) AS n, count(*) FILTER (WHERE g.rating = 'satisfied') AS satisfied,
			count(*) FILTER (WHERE g.rating = 'basically_satisfied') AS basically, count(*) FILTER (WHERE g.rating = 'not_satisfied') AS not_satisfied
		FROM whistle_ratings g JOIN whistle_calls c ON c.whistle_id = g.whistle_id AND c.status = 'called'
		WHERE g.at >= $1 AND g.at < $2 GROUP BY 1),
	closed AS (SELECT c.department_code AS d, count(*) AS n,
			count(*) FILTER (WHERE EXISTS (SELECT 1 FROM whistle_ratings g WHERE g.whistle_id = w.id AND g.at < $2)) AS rated
		FROM whistle_calls c JOIN whistles w ON w.id = c.whistle_id
		WHERE c.status = 'called' AND w.closed_at >= $1 AND w.closed_at < $2 GROUP BY 1)
	SELECT figure, d, n::float8 FROM (
		SELECT 'cases_routed' AS figure, d, n FROM routed UNION ALL SELECT 'cases_objected', d, n FROM objected
		UNION ALL SELECT 'evidence_reviewed', d, n FROM reviews UNION ALL SELECT 'evidence_returned', d, returned FROM reviews
		UNION ALL SELECT 'cases_concluded', d, n FROM concluded UNION ALL SELECT 'cases_concluded_overdue', d, late FROM concluded
		UNION ALL SELECT 'cases_concluded_on_time', d, n - late FROM concluded
		UNION ALL SELECT 'work_orders_received', d, n FROM orders UNION ALL SELECT 'work_orders_responded', d, responded FROM orders
		UNION ALL SELECT 'work_orders_resolved', d, resolved FROM orders UNION ALL SELECT 'work_orders_rated', d, rated FROM orders
		UNION ALL SELECT 'work_orders_satisfied', d, satisfied FROM orders UNION ALL SELECT 'work_orders_basically_satisfied', d, basically FROM orders
		UNION ALL SELECT 'whistles_received_' || type, d, n FROM received
		UNION ALL SELECT 'whistle_steps_due', d, due FROM steps UNION ALL SELECT 'whistle_steps_on_time', d, on_time FROM steps
		UNION ALL SELECT 'whistle_objections', d, n FROM raised UNION ALL SELECT 'whistle_objections_decided', d, decided FROM ruled
		UNION ALL SELECT 'whistle_objections_upheld', d, upheld FROM ruled UNION ALL SELECT 'whistle_objections_overruled', d, overruled FROM ruled
		UNION ALL SELECT 'whistle_ratings', d, n FROM ratings UNION ALL SELECT 'whistle_ratings_satisfied', d, satisfied FROM ratings
		UNION ALL SELECT 'whistle_ratings_basically_satisfied', d, basically FROM ratings
		UNION ALL SELECT 'whistle_ratings_not_satisfied', d, not_satisfied FROM ratings
		UNION ALL SELECT 'whistles_closed', d, n FROM closed UNION ALL SELECT 'whistles_rated', d, rated FROM closed) counts
	UNION ALL SELECT 'whistle_' || step || '_median_seconds_' || type, d, median FROM times
	UNION ALL SELECT 'whistle_' || step || '_p90_seconds_' || type, d, p90 FROM times`, p.From, p.To, within.Seconds())
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]map[string]float64{}
	for rows.Next() {
		var figure, d string
		var v float64
		if err := rows.Scan(&figure, &d, &v); err != nil {
			return nil, err
		}
		if v == 0 || d == "" {
			continue
		}
		if out[d] == nil {
			out[d] = map[string]float64{}
		}
		out[d][figure] = v
	}
	return out, rows.Err()
}
