package postgres_test

import (
	"context"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
)

// BenchmarkScopedCaseRead measures the API's scoped read of one case, as
// GET /v1/cases/{id} does it, against the same statements through raw pgx
// (make bench prints the ratio; aim 0.9x). It interleaves the ways as
// BenchmarkScopedRead does (three reads per iteration, rotating order, each
// timed on its own) and reports the mean time of a read each way:
//
//   - gorm-ns/read: casework.Service.Get for officer.a (a-cg-03, street A,
//     not on the case team, so the contact comes back masked): the case's
//     document by id (CaseStore.Get) and the viewer's scope as of now
//     (OrgStore.Scope), both through GORM on the store's pool, then the
//     access rule (access.Case) and the mask in memory.
//   - pgx-ns/read: the same two SELECTs, word for word, on one pgx
//     connection, the document decoded the same way, the same rule and mask.
//   - sql-ns/read: the same again through database/sql on the store's pool.
//
// The database holds the demo organisation and 20 work orders of street A
// taken in by grid.a; the read is of the middle one.
func BenchmarkScopedCaseRead(b *testing.B) {
	ctx := context.Background()
	pgtest.RequireDurable(b)
	db, dsn := pgtest.New(b)
	pgtest.LoadDemo(b, db)
	users := postgres.NewUserStore(db)
	grid, err := users.UserByUsername(ctx, "grid.a")
	if err != nil {
		b.Fatal(err)
	}
	officer, err := users.UserByUsername(ctx, "officer.a")
	if err != nil {
		b.Fatal(err)
	}
	svc := casework.NewService(postgres.NewCaseStore(db), postgres.NewOrgStore(db), db.Clock, casework.Config{})
	var ids []string
	for range 20 {
		c, err := svc.Intake(ctx, grid.ID, benchWorkOrder(db.Clock()))
		if err != nil {
			b.Fatal(err)
		}
		ids = append(ids, c.ID)
	}
	id, viewer := ids[len(ids)/2], officer.ID

	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	// What the benchmark reads: officer.a is in street A but off the case team.
	if c, err := svc.Get(ctx, viewer, id); err != nil || !c.Masked || c.Sources[0].Contact.Phone == "13800001234" {
		b.Fatalf("officer.a reads %+v, %v: want the case with the contact masked", c.Sources, err)
	}
	compareAndInterleave(b,
		way[casework.Record]{"gorm-ns/read", func() (casework.Record, error) { return svc.Get(ctx, viewer, id) }},
		way[casework.Record]{"pgx-ns/read", func() (casework.Record, error) { return rawScopedCaseRead(ctx, pgxQuerier{conn}, viewer, id, db.Clock) }},
		way[casework.Record]{"sql-ns/read", func() (casework.Record, error) { return rawScopedCaseRead(ctx, sqlQuerier{db}, viewer, id, db.Clock) }})
}

// benchWorkOrder is a comprehensive 12345 work order of street A about SJ-002 received a second
// before now, with a contact to mask.
func benchWorkOrder(now time.Time) casework.Intake {
	loc := casework.Location{Address: "东城区南锣鼓巷 12 号"}
	return casework.Intake{ID: uuid.NewString(), MatterCode: "SJ-002", Description: "商户占道经营", Location: loc, ConfirmNew: true,
		Source: casework.Source{Kind: casework.SourceWorkOrder, Channel: "12345", WorkOrderNumber: "GD-" + uuid.NewString()[:8],
			Nature: casework.NatureComprehensive, Contact: &casework.Contact{Name: "李小明", Phone: "13800001234"},
			ReceivedAt: now.Add(-time.Second), Location: loc, Description: "商户占道经营"}}
}

// rawScopedCaseRead is casework.Service.Get with the statements of CaseStore.Get and
// OrgStore.Scope sent through q.
func rawScopedCaseRead(ctx context.Context, q querier, viewer, id string, now func() time.Time) (casework.Record, error) {
	if _, err := uuid.Parse(id); err != nil {
		return casework.Record{}, derrors.New(derrors.NotFound, "no case %s", id)
	}
	var doc []byte
	if err := q.queryRow(ctx, `SELECT convert_to(doc::text, 'UTF8') AS doc FROM cases WHERE id = $1`, []any{id}, &doc); err != nil {
		return casework.Record{}, err
	}
	r, err := postgres.CaseFromJSON(doc)
	if err != nil {
		return casework.Record{}, err
	}
	sc, err := rawScope(ctx, q, viewer, now)
	if err != nil {
		return casework.Record{}, err
	}
	switch ok, masked := access.Case(sc, casework.View(r)); {
	case !ok:
		return casework.Record{}, derrors.New(derrors.NotFound, "no case %s", r.ID)
	case masked:
		return casework.Mask(r), nil
	}
	return r, nil
}
