package postgres_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/jackc/pgx/v5"

	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
	wsync "github.com/whistle/whistle/sync"
)

// The sync benchmarks (bench/sync.sh runs them and prints the ratios).
// Each measures the protocol against raw pgx doing the same database work
// in the same run:
//
//   - BenchmarkSyncPush/push: a batch of 500 inspection.record@1 mutations
//     through wsync.Service.Push (the inspection handlers, one transaction
//     per mutation) into a database holding the demo organization;
//     /copyfrom: pgx CopyFrom of the rows that push inserted (inspections,
//     inspection_versions, sync_mutations, sync_changes, audit_entries)
//     into the same tables of an identical database, in one transaction;
//     /repush: the same batch again once applied (every answer a duplicate,
//     rows/op counts the rows written: 0).
//   - BenchmarkSyncPull/pull: a page of 1,000 changes through
//     wsync.Service.Pull, encoded as JSON; /select_json: a raw pgx SELECT of
//     the same rows, encoded as JSON.

const benchBatch = 500

// syncBench is a device with a signed batch of inspections, and what
// builds identical databases for it.
type syncBench struct {
	deviceID string
	key      ed25519.PrivateKey
	batch    []wsync.Mutation
}

func newSyncBench(b *testing.B, n int) *syncBench {
	b.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	s := &syncBench{deviceID: uuid.NewString(), key: key}
	s.batch = s.inspections(b, n)
	return s
}

// shopFront is the i-th record of a day's round at the shop fronts of
// street A, at at: officer.a (a-cg-03) with a-cg-04, goods on the
// pavement, a warning.
func shopFront(at time.Time, i int) inspection.Record {
	return inspection.Record{
		ID: uuid.NewString(), TeamCode: "team-st-a", MatterCodes: []string{"CG-002"},
		Location:  inspection.Location{Lat: 39.9401, Lon: 116.4035, AccuracyM: 6, Address: "东城区南锣鼓巷 12 号门前"},
		StartedAt: inspection.DeviceTime{Wall: at, SinceBootMS: 7_200_000 + int64(i)*60_000},
		Crew: []inspection.CrewCheckIn{{OfficerCode: "a-cg-03", CheckedInAt: at.Add(-2 * time.Minute)},
			{OfficerCode: "a-cg-04", CheckedInAt: at.Add(-time.Minute)}},
		Party:      &inspection.Party{Kind: inspection.PartyPerson, Name: "刘某", Phone: "13900000001"},
		Findings:   "店外摆放货架占用人行道约 3 平方米",
		PhoneTier:  "enforcement",
		Measures:   []inspection.Measure{{Kind: "evidence", MatterCode: "CG-002"}, {Kind: "warning", MatterCode: "CG-002"}},
		RecordText: "执法人员出示证件，告知当事人店外经营违反规定，当事人当场将货架撤回店内。",
		Signatures: inspection.Signatures{Officers: []inspection.OfficerSignature{}},
		Evidence:   []inspection.ExpectedEvidence{},
	}
}

// inspections are n signed inspection.record@1 mutations of officer.a
// (a-cg-03) with a-cg-04 at a shop front in street A.
func (s *syncBench) inspections(b *testing.B, n int) []wsync.Mutation {
	b.Helper()
	act := time.Date(2026, 11, 20, 9, 30, 0, 0, time.FixedZone("CST", 8*3600))
	out := make([]wsync.Mutation, n)
	for i := range n {
		at := act.Add(time.Duration(i) * time.Minute)
		r := shopFront(at, i)
		args, err := json.Marshal(r)
		if err != nil {
			b.Fatal(err)
		}
		m := wsync.Mutation{Seq: int64(i + 1), EntityID: r.ID, Name: inspection.MutationRecord, Args: args,
			Clock: wsync.Clock{Wall: wsync.WallAt(at.Add(20 * time.Minute)), SinceBootMS: 8_400_000 + int64(i)*60_000}}
		out[i] = wsync.Sign(s.key, s.deviceID, m)
	}
	return out
}

func (s *syncBench) device() wsync.Device {
	return wsync.Device{ID: s.deviceID, PublicKey: s.key.Public().(ed25519.PublicKey)}
}

// database is a fresh database with the demo organization and the device
// registered to officer.a: the same starting point for every measurement.
func (s *syncBench) database(b *testing.B) (*postgres.DB, string, wsync.Device) {
	b.Helper()
	ctx := context.Background()
	db, dsn := pgtest.New(b)
	pgtest.LoadDemo(b, db)
	u, err := postgres.NewUserStore(db).UserByUsername(ctx, "officer.a")
	if err != nil {
		b.Fatal(err)
	}
	dev := s.device()
	dev.UserID = u.ID
	if _, err := db.SQL.ExecContext(ctx, `INSERT INTO devices (id, user_id, public_key, name, registered_at) VALUES ($1, $2, $3, 'bench', now())`,
		dev.ID, u.ID, []byte(dev.PublicKey)); err != nil {
		b.Fatal(err)
	}
	return db, dsn, dev
}

// service is the sync service with the server's inspection handlers.
func benchService(db *postgres.DB) *wsync.Service {
	store := postgres.NewInspectionStore(db)
	insp := inspection.NewService(store, postgres.NewOrgStore(db), inspection.DefaultCalendar(), db.Clock)
	svc := wsync.NewService(postgres.NewSyncStore(db), inspection.SyncHandlers(insp), db.Clock)
	svc.SetWise(insp.SyncBatcher(store))
	insp.SetWise(store)
	return svc
}

// pushAll pushes batch and fails unless every mutation got want (applied
// meaning applied or accepted with exceptions).
func pushAll(b *testing.B, svc *wsync.Service, dev wsync.Device, batch []wsync.Mutation, want wsync.Verdict) {
	res, err := svc.Push(context.Background(), dev, batch)
	if err != nil {
		b.Fatal(err)
	}
	if len(res.Results) != len(batch) {
		b.Fatalf("%d results for %d mutations: %+v", len(res.Results), len(batch), res.Results[len(res.Results)-1])
	}
	for _, r := range res.Results {
		ok := r.Verdict == want || (want == wsync.Applied && r.Verdict == wsync.AcceptedWithExceptions)
		if !ok {
			b.Fatalf("seq %d: %s %+v, want %s", r.Seq, r.Verdict, r.Problem, want)
		}
	}
}

// insertedTables are the tables a push inserts rows into, with the rows of
// one device's push.
var insertedTables = []struct{ table, where string }{
	{"inspections", "device_id = $1"},
	{"inspection_versions", "inspection_id IN (SELECT id FROM inspections WHERE device_id = $1)"},
	{"audit_entries", "entity_type = 'inspection' AND entity_id IN (SELECT id::text FROM inspections WHERE device_id = $1)"},
	{"sync_changes", "origin_device = $1"},
	{"sync_mutations", "device_id = $1"},
}

// copySet is the rows of one table, as pgx read them.
type copySet struct {
	table string
	cols  []string
	rows  [][]any
}

// capture reads the rows the device's push inserted.
func capture(b *testing.B, dsn, deviceID string) []copySet {
	b.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dsn)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close(ctx)
	var out []copySet
	for _, t := range insertedTables {
		var cols []string
		rows, err := conn.Query(ctx, `SELECT column_name FROM information_schema.columns
			WHERE table_name = $1 AND column_default IS DISTINCT FROM 'nextval(''audit_entries_id_seq''::regclass)'
			ORDER BY ordinal_position`, t.table)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			var c string
			rows.Scan(&c)
			cols = append(cols, c)
		}
		rows.Close()
		set := copySet{table: t.table, cols: cols}
		rows, err = conn.Query(ctx, fmt.Sprintf(`SELECT %s FROM %s WHERE %s`, strings.Join(cols, ", "), t.table, t.where), deviceID)
		if err != nil {
			b.Fatal(err)
		}
		for rows.Next() {
			v, err := rows.Values()
			if err != nil {
				b.Fatal(err)
			}
			set.rows = append(set.rows, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			b.Fatal(err)
		}
		out = append(out, set)
	}
	return out
}

func countRows(sets []copySet) int {
	n := 0
	for _, s := range sets {
		n += len(s.rows)
	}
	return n
}

// tableRows counts the rows of every table a push writes.
func tableRows(b *testing.B, db *postgres.DB) int {
	b.Helper()
	total := 0
	for _, t := range append([]string{"device_sync", "sync_scopes", "audit_chain_heads"}, "inspections", "inspection_versions",
		"audit_entries", "sync_changes", "sync_mutations") {
		var n int
		if err := db.SQL.QueryRow(`SELECT count(*) FROM ` + t).Scan(&n); err != nil {
			b.Fatal(err)
		}
		total += n
	}
	return total
}

func BenchmarkSyncPush(b *testing.B) {
	ctx := context.Background()
	pgtest.RequireDurable(b)
	s := newSyncBench(b, benchBatch)

	// The rows the copy baseline inserts: those of a reference push.
	refDB, refDSN, refDev := s.database(b)
	pushAll(b, benchService(refDB), refDev, s.batch, wsync.Applied)
	ref := capture(b, refDSN, s.deviceID)
	refDB.Close()

	b.Run("push", func(b *testing.B) {
		var stmts atomic.Int64
		for range b.N {
			b.StopTimer()
			db, _, dev := s.database(b)
			pgtest.CountStatements(b, db, &stmts)
			svc := benchService(db)
			b.StartTimer()
			pushAll(b, svc, dev, s.batch, wsync.Applied)
			b.StopTimer()
			db.Close()
		}
		b.ReportMetric(float64(countRows(ref)), "rows/op")
		// Statements sent per mutation, transaction control included:
		// the push is bound by these round trips.
		b.ReportMetric(float64(stmts.Load())/float64(b.N*len(s.batch))+2, "stmts/mutation")
	})
	b.Run("copyfrom", func(b *testing.B) {
		for range b.N {
			b.StopTimer()
			db, dsn, _ := s.database(b)
			conn, err := pgx.Connect(ctx, dsn)
			if err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
			tx, err := conn.Begin(ctx)
			if err != nil {
				b.Fatal(err)
			}
			for _, set := range ref {
				n, err := tx.CopyFrom(ctx, pgx.Identifier{set.table}, set.cols, pgx.CopyFromRows(set.rows))
				if err != nil || int(n) != len(set.rows) {
					b.Fatalf("copy %d rows into %s: %d, %v", len(set.rows), set.table, n, err)
				}
			}
			if err := tx.Commit(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			conn.Close(ctx)
			db.Close()
		}
		b.ReportMetric(float64(countRows(ref)), "rows/op")
	})
	b.Run("repush", func(b *testing.B) {
		b.StopTimer()
		db, _, dev := s.database(b)
		svc := benchService(db)
		pushAll(b, svc, dev, s.batch, wsync.Applied)
		before := tableRows(b, db)
		b.StartTimer()
		for range b.N {
			pushAll(b, svc, dev, s.batch, wsync.Duplicate)
		}
		b.StopTimer()
		written := tableRows(b, db) - before
		if written != 0 {
			b.Fatalf("re-pushing an applied batch wrote %d rows", written)
		}
		b.ReportMetric(float64(written)/float64(b.N), "rows/op")
	})
}

// pageRow is a change as the baseline reads it.
type pageRow struct {
	Scope        string          `json:"scope"`
	Version      int64           `json:"version"`
	EntityType   string          `json:"entity_type"`
	EntityID     string          `json:"entity_id"`
	Op           string          `json:"op"`
	State        json.RawMessage `json:"state,omitempty"`
	OriginDevice *string         `json:"origin_device,omitempty"`
	OriginSeq    *int64          `json:"origin_seq,omitempty"`
	ChangedAt    time.Time       `json:"changed_at"`
}

func BenchmarkSyncPull(b *testing.B) {
	ctx := context.Background()
	pgtest.RequireDurable(b)
	const page = 1000
	s := newSyncBench(b, page)
	db, dsn, dev := s.database(b)
	svc := benchService(db)
	for i := 0; i < page; i += wsync.MaxBatch {
		pushAll(b, svc, dev, s.batch[i:min(i+wsync.MaxBatch, page)], wsync.Applied)
	}
	scope := wsync.TeamScope("team-st-a")
	var cursor int64
	if err := db.SQL.QueryRow(`SELECT min(version) - 1 FROM sync_changes WHERE scope = $1 AND entity_type = 'inspection'`, scope).Scan(&cursor); err != nil {
		b.Fatal(err)
	}
	var size int
	b.Run("pull", func(b *testing.B) {
		for range b.N {
			res, err := svc.Pull(ctx, dev.ID, []string{scope}, wsync.PullRequest{Cursors: map[string]int64{scope: cursor}, Limit: page})
			if err != nil {
				b.Fatal(err)
			}
			out, err := json.Marshal(res)
			if err != nil || len(res.Scopes) != 1 || len(res.Scopes[0].Changes) != page {
				b.Fatalf("pull: %v, %d scopes", err, len(res.Scopes))
			}
			size = len(out)
		}
		b.ReportMetric(float64(size), "bytes/op")
	})
	b.Run("select_json", func(b *testing.B) {
		conn, err := pgx.Connect(ctx, dsn)
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close(ctx)
		for range b.N {
			rows, err := conn.Query(ctx, `SELECT scope, version, entity_type, entity_id, op, state, origin_device::text, origin_seq, changed_at
				FROM sync_changes WHERE scope = $1 AND version > $2 ORDER BY version LIMIT $3`, scope, cursor, page)
			if err != nil {
				b.Fatal(err)
			}
			changes := make([]pageRow, 0, page)
			for rows.Next() {
				var r pageRow
				if err := rows.Scan(&r.Scope, &r.Version, &r.EntityType, &r.EntityID, &r.Op, &r.State, &r.OriginDevice, &r.OriginSeq, &r.ChangedAt); err != nil {
					b.Fatal(err)
				}
				changes = append(changes, r)
			}
			if err := rows.Err(); err != nil || len(changes) != page {
				b.Fatalf("select: %v, %d rows", err, len(changes))
			}
			out, err := json.Marshal(changes)
			if err != nil {
				b.Fatal(err)
			}
			size = len(out)
		}
		b.ReportMetric(float64(size), "bytes/op")
	})
}
