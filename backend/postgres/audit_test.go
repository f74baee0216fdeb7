package postgres_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
)

// Two streets' chains, as the stores would name them.
const (
	streetA = "0b5c1a52-0000-4000-8000-00000000000a"
	streetB = "0b5c1a52-0000-4000-8000-00000000000b"
	userX   = "6f1c7a52-3b7e-4a43-9b1e-0c9f6f3d2a11"
	userY   = "6f1c7a52-3b7e-4a43-9b1e-0c9f6f3d2a22"
	device1 = "d0d0d0d0-52c1-4df3-8f0e-7c3a2d9b6e55"
)

// seedAudit appends 10 entries to each of two chains, alternating, through
// the appendAudit the other stores use, and returns them in append order.
// Odd entries of each chain are by userX on certificates, even ones by userY
// on officers.
func seedAudit(t *testing.T, db *postgres.DB) []audit.Entry {
	t.Helper()
	var out []audit.Entry
	for i := 1; i <= 10; i++ {
		for _, chain := range []string{streetA, streetB} {
			actor := audit.Actor{UserID: userX, DeviceID: device1, RequestID: fmt.Sprintf("req-%s-%d", chain[len(chain)-1:], i)}
			e := audit.Entry{Chain: chain, Action: "certificate.suspend", EntityType: "certificate", EntityID: fmt.Sprintf("cert-%d", i)}
			if i%2 == 0 {
				actor.UserID = userY
				e = audit.Entry{Chain: chain, Action: "officer.update", EntityType: "officer", EntityID: fmt.Sprintf("officer-%d", i)}
			}
			var err error
			e.BeforeDigest, _ = audit.Digest(map[string]int{"version": i})
			e.AfterDigest, _ = audit.Digest(map[string]int{"version": i + 1})
			ctx := audit.WithActor(context.Background(), actor)
			err = db.Gorm.Transaction(func(tx *gorm.DB) error {
				e, err = postgres.AppendAudit(db, ctx, tx, e)
				return err
			})
			if err != nil {
				t.Fatalf("append %s #%d: %v", chain, i, err)
			}
			out = append(out, e)
		}
	}
	return out
}

// tamper runs stmt as the superuser the tests connect as, with user triggers
// switched off for its transaction: what a database administrator could do.
func tamper(t *testing.T, db *postgres.DB, stmt string, args ...any) {
	t.Helper()
	ctx := context.Background()
	tx, err := db.SQL.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, `SET LOCAL session_replication_role = replica`); err != nil {
		t.Fatalf("bypass triggers: %v", err)
	}
	res, err := tx.ExecContext(ctx, stmt, args...)
	if err != nil {
		t.Fatalf("tamper: %v", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		t.Fatalf("tamper: %s changed no row", stmt)
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}

func TestAuditStore_Verify(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name    string
		tamper  func(t *testing.T, db *postgres.DB)
		chain   string
		want    *audit.Break // Detail not compared
		wantLen int          // heads returned
	}{
		{"OK", func(*testing.T, *postgres.DB) {}, "", nil, 2},
		{"OKOneChain", func(*testing.T, *postgres.DB) {}, streetB, nil, 1},
		{"OKNoSuchChain", func(*testing.T, *postgres.DB) {}, "no-such-chain", nil, 0},
		{"ErrModifiedAction", func(t *testing.T, db *postgres.DB) {
			tamper(t, db, `UPDATE audit_entries SET action = 'certificate.reinstate' WHERE chain = $1 AND seq = 7`, streetA)
		}, "", &audit.Break{Chain: streetA, Seq: 7, Reason: audit.ReasonHash}, 1},
		{"ErrModifiedActionOneChain", func(t *testing.T, db *postgres.DB) {
			tamper(t, db, `UPDATE audit_entries SET action = 'certificate.reinstate' WHERE chain = $1 AND seq = 7`, streetA)
		}, streetA, &audit.Break{Chain: streetA, Seq: 7, Reason: audit.ReasonHash}, 1},
		{"ErrModifiedTime", func(t *testing.T, db *postgres.DB) {
			tamper(t, db, `UPDATE audit_entries SET at = at - interval '1 day' WHERE chain = $1 AND seq = 3`, streetB)
		}, "", &audit.Break{Chain: streetB, Seq: 3, Reason: audit.ReasonHash}, 2},
		{"ErrDeletedMiddle", func(t *testing.T, db *postgres.DB) {
			tamper(t, db, `DELETE FROM audit_entries WHERE chain = $1 AND seq = 4`, streetB)
		}, "", &audit.Break{Chain: streetB, Seq: 4, Reason: audit.ReasonGap}, 2},
		{"ErrDeletedLast", func(t *testing.T, db *postgres.DB) {
			tamper(t, db, `DELETE FROM audit_entries WHERE chain = $1 AND seq >= 9`, streetA)
		}, "", &audit.Break{Chain: streetA, Seq: 9, Reason: audit.ReasonTruncated}, 2},
		{"ErrRewrittenWithHash", func(t *testing.T, db *postgres.DB) {
			// The tamperer recomputes the changed entry's hash; the next link breaks.
			var e audit.Entry
			row := db.SQL.QueryRow(`SELECT seq, chain, at, actor_user_id::text, device_id::text, request_id, entity_type, entity_id,
				before_digest, after_digest, prev_hash FROM audit_entries WHERE chain = $1 AND seq = 5`, streetA)
			if err := row.Scan(&e.Seq, &e.Chain, &e.At, &e.ActorUserID, &e.DeviceID, &e.RequestID, &e.EntityType, &e.EntityID,
				&e.BeforeDigest, &e.AfterDigest, &e.PrevHash); err != nil {
				t.Fatal(err)
			}
			e.Action = "certificate.reinstate"
			tamper(t, db, `UPDATE audit_entries SET action = $1, hash = $2 WHERE chain = $3 AND seq = 5`, e.Action, e.ComputeHash(), streetA)
		}, "", &audit.Break{Chain: streetA, Seq: 6, Reason: audit.ReasonPrevHash}, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			db, _ := pgtest.New(t)
			s := postgres.NewAuditStore(db)
			entries := seedAudit(t, db)
			tt.tamper(t, db)

			heads, brk, err := s.Verify(ctx, tt.chain)
			if err != nil {
				t.Fatalf("Verify: %v", err)
			}
			if brk != nil {
				t.Log(brk)
				brk.Detail = ""
			}
			if !reflect.DeepEqual(brk, tt.want) {
				t.Fatalf("Verify break = %+v, want %+v", brk, tt.want)
			}
			if len(heads) != tt.wantLen {
				t.Fatalf("Verify heads = %+v, want %d", heads, tt.wantLen)
			}
			if tt.want == nil && tt.chain == "" {
				last := map[string]audit.Head{}
				for _, e := range entries {
					last[e.Chain] = audit.HeadOf(e)
				}
				if !reflect.DeepEqual(heads, []audit.Head{last[streetA], last[streetB]}) {
					t.Fatalf("Verify heads = %+v, want %+v", heads, last)
				}
			}
		})
	}
}

func TestAuditStore_AppendOnly(t *testing.T) {
	ctx := context.Background()
	db, _ := pgtest.New(t)
	seedAudit(t, db)
	tests := []struct {
		name string
		stmt string
	}{
		{"ErrUpdate", `UPDATE audit_entries SET action = 'x' WHERE seq = 1`},
		{"ErrDelete", `DELETE FROM audit_entries WHERE seq = 1`},
		{"ErrTruncate", `TRUNCATE audit_entries`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// As the superuser, which privileges do not stop: the trigger does.
			_, err := db.SQL.ExecContext(ctx, tt.stmt)
			if err == nil || !strings.Contains(err.Error(), "append-only") {
				t.Fatalf("%s: err = %v, want the append-only refusal", tt.stmt, err)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		var n int
		if err := db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM audit_entries`).Scan(&n); err != nil || n != 20 {
			t.Fatalf("count = %d, %v; want 20 entries left", n, err)
		}
		if _, brk, err := postgres.NewAuditStore(db).Verify(ctx, ""); err != nil || brk != nil {
			t.Fatalf("Verify = %v, %v", brk, err)
		}
	})
}

// TestAppendAudit_Concurrent has writers in one street append at once, each
// in its own transaction: they queue on the chain's row lock and the chain
// never forks.
func TestAppendAudit_Concurrent(t *testing.T) {
	const writers, each = 8, 25
	ctx := context.Background()
	db, _ := pgtest.New(t)
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				err := db.Gorm.Transaction(func(tx *gorm.DB) error {
					// Some work of the change itself before the append.
					if err := tx.Exec(`SELECT pg_sleep(0.001)`).Error; err != nil {
						return err
					}
					_, err := postgres.AppendAudit(db, ctx, tx, audit.Entry{
						Chain: streetA, Action: "inspection.record", EntityType: "inspection",
						EntityID: fmt.Sprintf("w%d-%d", w, i),
					})
					return err
				})
				if err != nil {
					errs <- err
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatalf("append: %v", err)
	}

	rows, err := db.SQL.QueryContext(ctx, `SELECT seq FROM audit_entries WHERE chain = $1 ORDER BY seq`, streetA)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var want int64 = 1
	for rows.Next() {
		var seq int64
		if err := rows.Scan(&seq); err != nil {
			t.Fatal(err)
		}
		if seq != want {
			t.Fatalf("seq %d follows %d", seq, want-1)
		}
		want++
	}
	if want-1 != writers*each {
		t.Fatalf("%d entries, want %d", want-1, writers*each)
	}
	heads, brk, err := postgres.NewAuditStore(db).Verify(ctx, streetA)
	if err != nil || brk != nil {
		t.Fatalf("Verify = %v, %v", brk, err)
	}
	if len(heads) != 1 || heads[0].Seq != writers*each {
		t.Fatalf("heads = %+v, want seq %d", heads, writers*each)
	}
}

func TestAppendAudit_Rollback(t *testing.T) {
	ctx := context.Background()
	db, _ := pgtest.New(t)
	s := postgres.NewAuditStore(db)
	t.Run("OK", func(t *testing.T) {
		errChange := errors.New("the change failed")
		err := db.Gorm.Transaction(func(tx *gorm.DB) error {
			if _, err := postgres.AppendAudit(db, ctx, tx, audit.Entry{Chain: streetA, Action: "matter.create", EntityType: "matter"}); err != nil {
				return err
			}
			return errChange
		})
		if !errors.Is(err, errChange) {
			t.Fatal(err)
		}
		// The entry went with its change; the chain goes on without a gap.
		e, err := s.Append(ctx, audit.Entry{Chain: streetA, Action: "matter.create", EntityType: "matter"})
		if err != nil || e.Seq != 1 || e.PrevHash != audit.GenesisHash {
			t.Fatalf("Append = %+v, %v; want seq 1 after genesis", e, err)
		}
		if _, brk, err := s.Verify(ctx, ""); err != nil || brk != nil {
			t.Fatalf("Verify = %v, %v", brk, err)
		}
	})
}

func TestAuditStore_Append(t *testing.T) {
	db, _ := pgtest.New(t)
	s := postgres.NewAuditStore(db)
	actor := audit.Actor{UserID: userX, DeviceID: device1, RequestID: "req-1"}
	ctx := audit.WithActor(context.Background(), actor)
	tests := []struct {
		name     string
		entry    audit.Entry
		wantCode derrors.Code
		check    func(t *testing.T, e audit.Entry)
	}{
		{"OK", audit.Entry{Chain: audit.DistrictChain, Action: "evidence.read", EntityType: "evidence", EntityID: "ev-1"}, "", func(t *testing.T, e audit.Entry) {
			if e.ActorUserID != userX || e.DeviceID != device1 || e.RequestID != "req-1" {
				t.Errorf("actor = %s %s %s, want the context's", e.ActorUserID, e.DeviceID, e.RequestID)
			}
			if e.Seq != 1 || e.PrevHash != audit.GenesisHash || e.Hash != e.ComputeHash() || e.ID == 0 {
				t.Errorf("entry = %+v, want seq 1 after genesis, hashed, with an id", e)
			}
			if e.At.Location() != time.UTC || !e.At.Equal(e.At.Truncate(time.Microsecond)) || time.Since(e.At) > time.Minute {
				t.Errorf("at = %v, want now in UTC to the microsecond", e.At)
			}
		}},
		{"OKExplicitActor", audit.Entry{Chain: audit.DistrictChain, Action: "evidence.read", EntityType: "evidence",
			ActorUserID: strings.ToUpper(userY), RequestID: "req-2"}, "", func(t *testing.T, e audit.Entry) {
			if e.ActorUserID != userY || e.DeviceID != device1 || e.RequestID != "req-2" || e.Seq != 2 {
				t.Errorf("entry = %+v, want userY (lower case), the context's device, req-2, seq 2", e)
			}
		}},
		{"ErrNoChain", audit.Entry{Action: "evidence.read", EntityType: "evidence"}, derrors.Invalid, nil},
		{"ErrActorNotUUID", audit.Entry{Chain: audit.DistrictChain, Action: "evidence.read", EntityType: "evidence", ActorUserID: "admin"}, derrors.Invalid, nil},
		{"ErrDigest", audit.Entry{Chain: audit.DistrictChain, Action: "evidence.read", EntityType: "evidence", AfterDigest: "abc"}, derrors.Invalid, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e, err := s.Append(ctx, tt.entry)
			if derrors.CodeOf(err) != tt.wantCode {
				t.Fatalf("Append: %v, want code %q", err, tt.wantCode)
			}
			if tt.check != nil {
				tt.check(t, e)
			}
		})
	}
	t.Run("OKVerify", func(t *testing.T) {
		if heads, brk, err := s.Verify(ctx, ""); err != nil || brk != nil || len(heads) != 1 || heads[0].Seq != 2 {
			t.Fatalf("Verify = %+v, %v, %v; want district at seq 2, intact", heads, brk, err)
		}
	})
}

func TestAuditStore_Query(t *testing.T) {
	ctx := context.Background()
	db, _ := pgtest.New(t)
	s := postgres.NewAuditStore(db)
	all := seedAudit(t, db)
	from, to := all[5].At, all[12].At

	match := func(keep func(e audit.Entry) bool) []audit.Entry {
		var out []audit.Entry
		for _, e := range all {
			if keep(e) {
				out = append(out, e)
			}
		}
		return out
	}
	tests := []struct {
		name     string
		filter   audit.Filter
		want     []audit.Entry
		wantCode derrors.Code
	}{
		{"OK", audit.Filter{}, all, ""},
		{"OKChain", audit.Filter{Chain: streetB}, match(func(e audit.Entry) bool { return e.Chain == streetB }), ""},
		{"OKEntity", audit.Filter{EntityType: "certificate", EntityID: "cert-3"},
			match(func(e audit.Entry) bool { return e.EntityID == "cert-3" }), ""},
		{"OKEntityType", audit.Filter{EntityType: "officer"}, match(func(e audit.Entry) bool { return e.EntityType == "officer" }), ""},
		{"OKActor", audit.Filter{ActorUserID: userY}, match(func(e audit.Entry) bool { return e.ActorUserID == userY }), ""},
		{"OKAction", audit.Filter{Action: "certificate.suspend", Chain: streetA},
			match(func(e audit.Entry) bool { return e.Action == "certificate.suspend" && e.Chain == streetA }), ""},
		{"OKTimeRange", audit.Filter{From: from, To: to},
			match(func(e audit.Entry) bool { return !e.At.Before(from) && e.At.Before(to) }), ""},
		{"OKAfter", audit.Filter{After: all[15].ID}, all[16:], ""},
		{"OKNone", audit.Filter{Action: "no.such"}, nil, ""},
		{"ErrActorNotUUID", audit.Filter{ActorUserID: "admin"}, nil, derrors.Invalid},
		{"ErrLimit", audit.Filter{Limit: audit.MaxLimit + 1}, nil, derrors.Invalid},
		{"ErrRange", audit.Filter{From: to, To: from}, nil, derrors.Invalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, next, err := s.Query(ctx, tt.filter)
			if derrors.CodeOf(err) != tt.wantCode {
				t.Fatalf("Query: %v, want code %q", err, tt.wantCode)
			}
			if tt.wantCode != "" {
				return
			}
			if next != 0 {
				t.Errorf("next = %d, want 0 (one page)", next)
			}
			if len(got) != len(tt.want) || (len(got) > 0 && !reflect.DeepEqual(got, tt.want)) {
				t.Fatalf("Query = %d entries, want %d\n got %+v\nwant %+v", len(got), len(tt.want), got, tt.want)
			}
		})
	}
	t.Run("OKPaging", func(t *testing.T) {
		f := audit.Filter{Chain: streetA, Limit: 3}
		var got []audit.Entry
		pages := 0
		for {
			page, next, err := s.Query(ctx, f)
			if err != nil {
				t.Fatal(err)
			}
			pages++
			got = append(got, page...)
			if next == 0 {
				break
			}
			if len(page) != 3 || next != page[2].ID {
				t.Fatalf("page %d: %d entries, next %d", pages, len(page), next)
			}
			f.After = next
		}
		want := match(func(e audit.Entry) bool { return e.Chain == streetA })
		if pages != 4 || !reflect.DeepEqual(got, want) {
			t.Fatalf("%d pages with %d entries, want 4 pages with %d", pages, len(got), len(want))
		}
	})
	t.Run("OKExactPage", func(t *testing.T) {
		page, next, err := s.Query(ctx, audit.Filter{Limit: len(all)})
		if err != nil || len(page) != len(all) || next != 0 {
			t.Fatalf("Query = %d entries, next %d, %v; want all, next 0", len(page), next, err)
		}
	})
}

func TestAuditStore_Export(t *testing.T) {
	ctx := context.Background()
	db, _ := pgtest.New(t)
	s := postgres.NewAuditStore(db)
	all := seedAudit(t, db)
	t.Run("OK", func(t *testing.T) {
		var buf bytes.Buffer
		if err := s.Export(ctx, audit.Filter{Chain: streetA, Limit: 1}, &buf); err != nil {
			t.Fatal(err)
		}
		var got []audit.Entry
		sc := bufio.NewScanner(&buf)
		for sc.Scan() {
			var e audit.Entry
			dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
			dec.DisallowUnknownFields()
			if err := dec.Decode(&e); err != nil {
				t.Fatalf("line %d: %v: %s", len(got)+1, err, sc.Bytes())
			}
			if dec.More() {
				t.Fatalf("line %d holds more than one object", len(got)+1)
			}
			got = append(got, e)
		}
		if len(got) != 10 {
			t.Fatalf("%d lines, want 10", len(got))
		}
		for i, e := range got {
			if e != all[2*i] {
				t.Fatalf("line %d = %+v, want %+v", i+1, e, all[2*i])
			}
		}
		// The export verifies by itself, with no database.
		if brk := audit.Verify(got); brk != nil {
			t.Fatalf("exported chain: %v", brk)
		}
	})
	t.Run("ErrFilter", func(t *testing.T) {
		if err := s.Export(ctx, audit.Filter{After: -1}, &bytes.Buffer{}); derrors.CodeOf(err) != derrors.Invalid {
			t.Fatalf("Export: %v, want validation_failed", err)
		}
	})
}

func TestAuditStore_Heads(t *testing.T) {
	ctx := context.Background()
	db, _ := pgtest.New(t)
	s := postgres.NewAuditStore(db)
	t.Run("OKEmpty", func(t *testing.T) {
		if heads, err := s.Heads(ctx); err != nil || len(heads) != 0 {
			t.Fatalf("Heads = %+v, %v; want none", heads, err)
		}
	})
	t.Run("OK", func(t *testing.T) {
		all := seedAudit(t, db)
		heads, err := s.Heads(ctx)
		want := []audit.Head{audit.HeadOf(all[18]), audit.HeadOf(all[19])}
		if err != nil || !reflect.DeepEqual(heads, want) {
			t.Fatalf("Heads = %+v, %v; want %+v", heads, err, want)
		}
	})
}
