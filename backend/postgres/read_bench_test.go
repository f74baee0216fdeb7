package postgres_test

import (
	"context"
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
	wsync "github.com/whistle/whistle/sync"
)

// BenchmarkScopedRead measures the API's scoped read of one record, as
// GET /v1/inspections/{id} does it through the store, against the same
// statements through raw pgx (make bench prints the ratio; aim 0.9x). Each
// iteration makes the read three ways, in an order that rotates, and
// times each on its own, so that the load of this shared machine falls on
// all three alike; it reports the mean time of a read each way:
//
//   - gorm-ns/read: inspection.Service.Get for officer.a (a-cg-03, street
//     A, in the crew): the record's state by id and the viewer's scope as
//     of now, both through GORM on the store's pool, then the access rule
//     (access.Inspection) in memory.
//   - pgx-ns/read: the same two SELECTs, word for word, on one pgx
//     connection, the state decoded the same way, the same access rule.
//   - sql-ns/read: the same again through database/sql on the store's pool
//     (pgx's stdlib driver, what GORM runs on), which splits the gap
//     between the two into GORM's share and database/sql's.
//
// BenchmarkScopedCaseRead measures the same for a case.
func BenchmarkScopedRead(b *testing.B) {
	ctx := context.Background()
	pgtest.RequireDurable(b)
	s := newSyncBench(b, 20)
	db, dsn, dev := s.database(b)
	pushAll(b, benchService(db), dev, s.batch, wsync.Applied)
	id := s.batch[len(s.batch)/2].EntityID
	viewer := dev.UserID

	insp := inspection.NewService(postgres.NewInspectionStore(db), postgres.NewOrgStore(db), inspection.DefaultCalendar(), db.Clock)
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	compareAndInterleave(b,
		way[inspection.State]{"gorm-ns/read", func() (inspection.State, error) { return insp.Get(ctx, viewer, id) }},
		way[inspection.State]{"pgx-ns/read", func() (inspection.State, error) { return rawScopedRead(ctx, pgxQuerier{conn}, viewer, id, db.Clock) }},
		way[inspection.State]{"sql-ns/read", func() (inspection.State, error) { return rawScopedRead(ctx, sqlQuerier{db}, viewer, id, db.Clock) }})
}

// way is one way of making a read, with the unit its mean time is reported in.
type way[T any] struct {
	unit string
	read func() (T, error)
}

// compareAndInterleave fails unless every way reads what the first (the
// store's) reads, then makes each read once per iteration, in an order that
// rotates, timing each on its own, and reports the mean time of each read
// under its unit: the load of a shared machine falls on every way alike.
func compareAndInterleave[T any](b *testing.B, ways ...way[T]) {
	b.Helper()
	want, err := ways[0].read()
	if err != nil {
		b.Fatal(err)
	}
	for _, w := range ways[1:] {
		if got, err := w.read(); err != nil || !reflect.DeepEqual(got, want) {
			b.Fatalf("%s: the read differs from the store's: %v\n%+v\n%+v", w.unit, err, got, want)
		}
	}
	took := make([]time.Duration, len(ways))
	n := 0
	for b.Loop() {
		for k := range ways {
			w := (n + k) % len(ways)
			start := time.Now()
			if _, err := ways[w].read(); err != nil {
				b.Fatal(err)
			}
			took[w] += time.Since(start)
		}
		n++
	}
	for w, t := range took {
		b.ReportMetric(float64(t.Nanoseconds())/float64(n), ways[w].unit)
	}
}

// querier sends one statement expecting one row, with $n placeholders.
type querier interface {
	queryRow(ctx context.Context, sql string, args []any, dest ...any) error
}

type pgxQuerier struct{ conn *pgx.Conn }

func (q pgxQuerier) queryRow(ctx context.Context, sql string, args []any, dest ...any) error {
	return q.conn.QueryRow(ctx, sql, args...).Scan(dest...)
}

type sqlQuerier struct{ db *postgres.DB }

func (q sqlQuerier) queryRow(ctx context.Context, sql string, args []any, dest ...any) error {
	return q.db.SQL.QueryRowContext(ctx, sql, args...).Scan(dest...)
}

// rawScopedRead is inspection.Service.Get with the statements of
// InspectionStore.Get and OrgStore.Scope sent through q.
func rawScopedRead(ctx context.Context, q querier, viewer, id string, now func() time.Time) (inspection.State, error) {
	var state []byte
	if err := q.queryRow(ctx, `SELECT convert_to(state::text, 'UTF8') AS state FROM inspections WHERE id = $1`, []any{id}, &state); err != nil {
		return inspection.State{}, err
	}
	st, err := postgres.StateFromJSON(state)
	if err != nil {
		return inspection.State{}, err
	}
	sc, err := rawScope(ctx, q, viewer, now)
	if err != nil {
		return inspection.State{}, err
	}
	inCrew := false
	for _, c := range st.Record.Crew {
		inCrew = inCrew || (sc.OfficerCode != "" && c.OfficerCode == sc.OfficerCode)
	}
	switch ok, masked := access.Inspection(sc, st.StreetCode, inCrew, nil); {
	case !ok:
		return inspection.State{}, derrors.New(derrors.NotFound, "no inspection %s", id)
	case masked:
		return inspection.Mask(st), nil
	}
	return st, nil
}

// rawScope is OrgStore.Scope, for a user with a role, sent through q.
func rawScope(ctx context.Context, q querier, viewer string, now func() time.Time) (org.Scope, error) {
	var role, officer, street, teamStreet, dept, community *string
	if err := q.queryRow(ctx, `
		SELECT u.role, o.code AS officer_code, st.code AS street_code, d.code AS department_code, c.code AS community_code,
		       (SELECT ts.code FROM teams t JOIN streets ts ON ts.id = t.street_id
		         WHERE t.id = officer_team_at(o.id, $1)) AS team_street_code
		FROM users u
		LEFT JOIN user_scopes sc ON sc.user_id = u.id
		LEFT JOIN officers o ON o.id = sc.officer_id
		LEFT JOIN streets st ON st.id = sc.street_id
		LEFT JOIN departments d ON d.id = sc.department_id
		LEFT JOIN communities c ON c.id = sc.community_id
		WHERE u.id = $2`, []any{now(), uuid.MustParse(viewer)}, &role, &officer, &street, &dept, &community, &teamStreet); err != nil {
		return org.Scope{}, err
	}
	sc := org.Scope{UserID: viewer, Role: org.Role(*role), OfficerCode: text(officer), StreetCode: text(street),
		DepartmentCode: text(dept), CommunityCode: text(community)}
	if officer != nil {
		sc.StreetCode = text(teamStreet) // OrgStore.Scope: where the officer's team is today
	}
	return sc, nil
}

func text(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
