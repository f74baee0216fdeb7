package sync_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
	wsync "github.com/whistle/whistle/sync"
)

// pushFixture is the protocol over a real database, with a test-only
// mutation (note.put@1) that publishes a note to a scope.
type pushFixture struct {
	t     *testing.T
	db    *postgres.DB
	svc   *wsync.Service
	dev   wsync.Device
	key   ed25519.PrivateKey
	calls int // handler invocations
}

func newPushFixture(t *testing.T) *pushFixture {
	t.Helper()
	ctx := context.Background()
	db, _ := pgtest.New(t)
	u, err := postgres.NewUserStore(db).PutUser(ctx, identity.User{Username: "phone.user", DisplayName: "p", Role: org.RoleOfficer, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	pub, key, _ := ed25519.GenerateKey(rand.Reader)
	d, err := postgres.NewSessionStore(db).RegisterDevice(ctx, identity.Device{UserID: u.ID, PublicKey: pub, Name: "p", RegisteredAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	f := &pushFixture{t: t, db: db, dev: wsync.Device{ID: d.ID, UserID: u.ID, PublicKey: pub}, key: key}
	store := postgres.NewSyncStore(db)
	f.svc = wsync.NewService(store, map[string]wsync.Handler{"note.put@1": func(ctx context.Context, act wsync.Act) (wsync.Outcome, error) {
		f.calls++
		var a struct {
			Text    string `json:"text"`
			Invalid bool   `json:"invalid"`
		}
		if err := json.Unmarshal(act.Args, &a); err != nil || a.Invalid {
			return wsync.Outcome{}, derrors.Invalidf("/args/text", "not a note")
		}
		if a.Text == "stuck" { // fails transiently every time
			return wsync.Outcome{}, derrors.New(derrors.Unavailable, "the note archive is down")
		}
		state := map[string]string{"id": act.EntityID, "text": a.Text}
		return wsync.Outcome{State: state}, store.Publish(ctx, postgres.Publication{Scope: "team:t", EntityType: "note", EntityID: act.EntityID, State: state})
	}}, db.Clock)
	return f
}

// mutation is a signed note.put@1 (or name) numbered seq.
func (f *pushFixture) mutation(seq int64, name, text string) wsync.Mutation {
	args, _ := json.Marshal(map[string]any{"text": text, "invalid": text == "invalid"})
	m := wsync.Mutation{Seq: seq, EntityID: uuid.NewSHA1(uuid.NameSpaceOID, []byte(fmt.Sprint(seq))).String(), Name: name, Args: args,
		Clock: wsync.Clock{Wall: wsync.WallAt(f.db.Clock()), SinceBootMS: 1000 + seq}}
	return wsync.Sign(f.key, f.dev.ID, m)
}

// notes returns mutations seq from..to with texts "n<seq>".
func (f *pushFixture) notes(from, to int64) []wsync.Mutation {
	var out []wsync.Mutation
	for s := from; s <= to; s++ {
		out = append(out, f.mutation(s, "note.put@1", fmt.Sprintf("n%d", s)))
	}
	return out
}

// rows counts what pushes write: processed mutations, feed rows, and the
// scope's version (which counts every publication, also overwrites).
func (f *pushFixture) rows() [3]int64 {
	f.t.Helper()
	var out [3]int64
	for i, q := range []string{`SELECT count(*) FROM sync_mutations`, `SELECT count(*) FROM sync_changes`,
		`SELECT COALESCE(max(version), 0) FROM sync_scopes`} {
		if err := f.db.SQL.QueryRow(q).Scan(&out[i]); err != nil {
			f.t.Fatal(err)
		}
	}
	return out
}

// pushStep is one push and what it must answer.
type pushStep struct {
	batch        []wsync.Mutation
	wantVerdicts []wsync.Verdict
	wantCodes    []string // problem code per result ("" for none)
	wantLast     int64
	wantErr      derrors.Code // the batch refused whole
}

func TestService_Push(t *testing.T) {
	tests := []struct {
		name  string
		steps func(f *pushFixture) []pushStep
		check func(t *testing.T, f *pushFixture, first, again wsync.PushResponse)
	}{
		{
			// Push, lose the response, push again: same verdicts (duplicate
			// with the first result), nothing written.
			name: "OKIdempotent",
			steps: func(f *pushFixture) []pushStep {
				batch := append(f.notes(1, 3), f.mutation(4, "note.put@1", "invalid"), f.mutation(5, "unknown.thing@1", "x"))
				all := []wsync.Verdict{wsync.Applied, wsync.Applied, wsync.Applied, wsync.Rejected, wsync.Rejected}
				dup := []wsync.Verdict{wsync.Duplicate, wsync.Duplicate, wsync.Duplicate, wsync.Duplicate, wsync.Duplicate}
				codes := []string{"", "", "", "validation_failed", "unknown_mutation"}
				return []pushStep{{batch: batch, wantVerdicts: all, wantCodes: codes, wantLast: 5},
					{batch: batch, wantVerdicts: dup, wantCodes: codes, wantLast: 5}}
			},
			check: func(t *testing.T, f *pushFixture, first, again wsync.PushResponse) {
				for i := range first.Results {
					a, b := first.Results[i], again.Results[i]
					if !sameJSON(a.State, b.State) || a.EntityID != b.EntityID || (a.Problem == nil) != (b.Problem == nil) ||
						(a.Problem != nil && a.Problem.Code != b.Problem.Code) {
						t.Errorf("result %d: duplicate %+v differs from the first %+v", i, b, a)
					}
				}
			},
		},
		{
			name: "OKOverlappingRetry",
			steps: func(f *pushFixture) []pushStep {
				batch := f.notes(1, 4)
				return []pushStep{
					{batch: batch[:2], wantVerdicts: []wsync.Verdict{wsync.Applied, wsync.Applied}, wantLast: 2},
					{batch: batch, wantVerdicts: []wsync.Verdict{wsync.Duplicate, wsync.Duplicate, wsync.Applied, wsync.Applied}, wantLast: 4},
				}
			},
		},
		{
			// Same sequence number, another payload: refused, the first kept.
			name: "ErrSequenceConflict",
			steps: func(f *pushFixture) []pushStep {
				return []pushStep{
					{batch: f.notes(1, 2), wantVerdicts: []wsync.Verdict{wsync.Applied, wsync.Applied}, wantLast: 2},
					{batch: []wsync.Mutation{f.mutation(2, "note.put@1", "another payload")}, wantVerdicts: []wsync.Verdict{wsync.Rejected},
						wantCodes: []string{"sequence_conflict"}, wantLast: 2},
				}
			},
			check: func(t *testing.T, f *pushFixture, _, _ wsync.PushResponse) {
				var text string
				if err := f.db.SQL.QueryRow(`SELECT state->>'text' FROM sync_changes WHERE origin_seq = 2`).Scan(&text); err != nil || text != "n2" {
					t.Fatalf("the note of seq 2 is %q (%v), want the original n2", text, err)
				}
				var args []byte
				f.db.SQL.QueryRow(`SELECT args FROM sync_mutations WHERE seq = 2`).Scan(&args)
				if string(args) != `{"invalid":false,"text":"n2"}` {
					t.Fatalf("stored args of seq 2: %s", args)
				}
			},
		},
		{
			// A batch starting past last+1 stops at once: nothing applied.
			name: "ErrGap",
			steps: func(f *pushFixture) []pushStep {
				return []pushStep{
					{batch: f.notes(1, 1), wantVerdicts: []wsync.Verdict{wsync.Applied}, wantLast: 1},
					{batch: f.notes(3, 5), wantVerdicts: []wsync.Verdict{wsync.Retry}, wantCodes: []string{"sequence_gap"}, wantLast: 1},
				}
			},
		},
		{
			name: "ErrBadSignature",
			steps: func(f *pushFixture) []pushStep {
				batch := f.notes(1, 3)
				batch[2].Args = json.RawMessage(`{"text":"forged"}`)
				return []pushStep{{batch: batch, wantErr: derrors.Invalid}}
			},
		},
		{
			name: "ErrTooMany",
			steps: func(f *pushFixture) []pushStep {
				return []pushStep{{batch: f.notes(1, wsync.MaxBatch+1), wantErr: derrors.PayloadTooLarge}}
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newPushFixture(t)
			var answers []wsync.PushResponse
			for i, st := range tt.steps(f) {
				before, calls := f.rows(), f.calls
				res, err := f.svc.Push(context.Background(), f.dev, st.batch)
				if st.wantErr != "" {
					if derrors.CodeOf(err) != st.wantErr || f.rows() != before || f.calls != calls {
						t.Fatalf("step %d: %v, want %s with nothing applied", i, err, st.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatalf("step %d: %v", i, err)
				}
				if len(res.Results) != len(st.wantVerdicts) || res.LastAppliedSeq != st.wantLast {
					t.Fatalf("step %d: %d results, last %d; want %d, last %d: %+v", i, len(res.Results), res.LastAppliedSeq,
						len(st.wantVerdicts), st.wantLast, res.Results)
				}
				applied, recorded := 0, 0
				for j, r := range res.Results {
					code := ""
					if r.Problem != nil {
						code = r.Problem.Code
					}
					wantCode := ""
					if st.wantCodes != nil {
						wantCode = st.wantCodes[j]
					}
					if r.Verdict != st.wantVerdicts[j] || code != wantCode || r.Seq != st.batch[j].Seq {
						t.Fatalf("step %d result %d: %s %q seq %d, want %s %q seq %d", i, j, r.Verdict, code, r.Seq,
							st.wantVerdicts[j], wantCode, st.batch[j].Seq)
					}
					if r.Verdict == wsync.Applied {
						applied++
					}
					if r.Verdict != wsync.Duplicate && r.Verdict != wsync.Retry && code != "sequence_conflict" {
						recorded++
					}
				}
				// Nothing but applied mutations writes to the feed, and only
				// a first processing records the mutation.
				after := f.rows()
				if after[0]-before[0] != int64(recorded) || after[1]-before[1] != int64(applied) || after[2]-before[2] != int64(applied) {
					t.Fatalf("step %d: rows (mutations, feed, version) %v -> %v for %d recorded, %d applied", i, before, after, recorded, applied)
				}
				answers = append(answers, res)
			}
			if tt.check != nil {
				for len(answers) < 2 {
					answers = append(answers, wsync.PushResponse{})
				}
				tt.check(t, f, answers[0], answers[1])
			}
		})
	}
}

// sameJSON reports whether a and b are the same JSON value (the stored
// result comes back as PostgreSQL formats jsonb).
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return len(a) == 0 && len(b) == 0
	}
	return reflect.DeepEqual(x, y)
}

// TestService_PushRetryExhausted: an act that fails transiently every time
// (its handler answers dependency_unavailable) gets retry a bounded number
// of times in a row, then is rejected with retry_exhausted naming the cause,
// counted among the device's rejected acts for the team leader; the acts
// after it apply, so the queue drains.
func TestService_PushRetryExhausted(t *testing.T) {
	f := newPushFixture(t)
	ctx := context.Background()
	batch := []wsync.Mutation{f.mutation(1, "note.put@1", "stuck"), f.mutation(2, "note.put@1", "n2")}
	for i := 1; i < wsync.DefaultRetryLimit; i++ {
		res, err := f.svc.Push(ctx, f.dev, batch)
		if err != nil {
			t.Fatal(err)
		}
		if got := verdictsOf(res); got != "retry:dependency_unavailable" || res.LastAppliedSeq != 0 {
			t.Fatalf("push %d: %s, last %d; want retry:dependency_unavailable, last 0", i, got, res.LastAppliedSeq)
		}
	}
	res, err := f.svc.Push(ctx, f.dev, batch)
	if err != nil {
		t.Fatal(err)
	}
	if got := verdictsOf(res); got != "rejected:retry_exhausted,applied" || res.LastAppliedSeq != 2 {
		t.Fatalf("push %d: %s, last %d; want rejected:retry_exhausted,applied, last 2", wsync.DefaultRetryLimit, got, res.LastAppliedSeq)
	}
	if msg := res.Results[0].Problem.Message; !strings.Contains(msg, "dependency_unavailable") {
		t.Errorf("the problem does not name the cause: %q", msg)
	}
	statuses, err := postgres.NewSyncStore(f.db).DeviceStatuses(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range statuses {
		if s.DeviceID == f.dev.ID && s.Rejected != 1 {
			t.Errorf("device status counts %d rejected acts, want 1", s.Rejected)
		}
	}
	// Pushed again (the answer was lost): the stored verdict.
	res, err = f.svc.Push(ctx, f.dev, batch)
	if err != nil {
		t.Fatal(err)
	}
	if got := verdictsOf(res); got != "duplicate:retry_exhausted,duplicate" {
		t.Fatalf("push again: %s", got)
	}
}

func verdictsOf(res wsync.PushResponse) string {
	var out []string
	for _, r := range res.Results {
		v := string(r.Verdict)
		if r.Problem != nil {
			v += ":" + r.Problem.Code
		}
		out = append(out, v)
	}
	return strings.Join(out, ",")
}

// TestService_RetryLimit: the limit is the service's setting.
func TestService_RetryLimit(t *testing.T) {
	f := newPushFixture(t)
	f.svc.RetryLimit(2)
	batch := []wsync.Mutation{f.mutation(1, "note.put@1", "stuck")}
	for i, want := range []string{"retry:dependency_unavailable", "rejected:retry_exhausted"} {
		res, err := f.svc.Push(context.Background(), f.dev, batch)
		if err != nil {
			t.Fatal(err)
		}
		if got := verdictsOf(res); got != want {
			t.Fatalf("push %d: %s, want %s", i+1, got, want)
		}
	}
}
