package postgres_test

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org/demo"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
	wsync "github.com/whistle/whistle/sync"
)

// A push applied set-wise (issue 13) must answer and store exactly what the
// same push applied act by act does. Each test below pushes one batch into
// two identical databases, one service set-wise and one act by act, and
// compares the verdicts, the states, the feed and the trail.

// twinPush is one side of the comparison: a database with the demo
// organization, officer.a's device and the server's inspection handlers.
type twinPush struct {
	db    *postgres.DB
	svc   *wsync.Service
	insp  *inspection.Service
	dev   wsync.Device
	store *postgres.InspectionStore
	stmts atomic.Int64 // statements sent
}

func newTwinPush(t *testing.T, devID string, key ed25519.PrivateKey, setWise bool) *twinPush {
	t.Helper()
	ctx := context.Background()
	db, _ := pgtest.New(t)
	pgtest.LoadDemo(t, db)
	u, err := postgres.NewUserStore(db).UserByUsername(ctx, "officer.a")
	if err != nil {
		t.Fatal(err)
	}
	dev := wsync.Device{ID: devID, UserID: u.ID, PublicKey: key.Public().(ed25519.PublicKey)}
	if _, err := db.SQL.ExecContext(ctx, `INSERT INTO devices (id, user_id, public_key, name, registered_at) VALUES ($1, $2, $3, 'twin', now())`,
		dev.ID, u.ID, []byte(dev.PublicKey)); err != nil {
		t.Fatal(err)
	}
	store := postgres.NewInspectionStore(db)
	insp := inspection.NewService(store, postgres.NewOrgStore(db), inspection.DefaultCalendar(), db.Clock)
	svc := wsync.NewService(postgres.NewSyncStore(db), inspection.SyncHandlers(insp), db.Clock)
	if setWise {
		svc.SetWise(insp.SyncBatcher(store))
		insp.SetWise(store) // the online creates too
	}
	// The device's block of decision-form numbers T-1 to T-10.
	if _, err := store.IssueBlock(ctx, dev.ID, "penalty_decision", "T-", 10, db.Clock()); err != nil {
		t.Fatal(err)
	}
	tw := &twinPush{db: db, svc: svc, insp: insp, dev: dev, store: store}
	pgtest.CountStatements(t, db, &tw.stmts)
	return tw
}

// twinActs builds the signed acts of one device.
type twinActs struct {
	t     *testing.T
	devID string
	key   ed25519.PrivateKey
	story demo.Story
	seq   int64
}

// record is the shopFront record i minutes after 9:30 on the story's
// 2026-11-20, changed by edit.
func (a *twinActs) record(i int, edit func(r *inspection.Record)) inspection.Record {
	r := shopFront(a.story.At("2026-11-20T09:30:00+08:00").Add(time.Duration(i)*time.Minute), i)
	if edit != nil {
		edit(&r)
	}
	return r
}

// act signs the next act, name with args (a Record is sent as its JSON,
// under its id).
func (a *twinActs) act(name string, entity string, args any) wsync.Mutation {
	a.t.Helper()
	b, ok := args.([]byte)
	if !ok {
		var err error
		if b, err = json.Marshal(args); err != nil {
			a.t.Fatal(err)
		}
	}
	a.seq++
	m := wsync.Mutation{Seq: a.seq, EntityID: entity, Name: name, Args: b,
		Clock: wsync.Clock{Wall: wsync.WallAt(a.story.At("2026-11-20T12:00:00+08:00")), SinceBootMS: 9_000_000 + a.seq}}
	return wsync.Sign(a.key, a.devID, m)
}

func (a *twinActs) recordAct(r inspection.Record) wsync.Mutation {
	return a.act(inspection.MutationRecord, r.ID, r)
}

// answer is a result as compared: the state without when it was received
// (each database's clock).
func answer(t *testing.T, res wsync.PushResponse) string {
	t.Helper()
	var out []string
	for _, r := range res.Results {
		var state map[string]any
		if len(r.State) > 0 {
			if err := json.Unmarshal(r.State, &state); err != nil {
				t.Fatal(err)
			}
			delete(state, "received_at")
		}
		problem := ""
		if r.Problem != nil {
			problem = r.Problem.Code + " " + fmt.Sprint(r.Problem.Fields)
		}
		out = append(out, fmt.Sprintf("%d %s %s %v %v", r.Seq, r.Verdict, problem, r.Exceptions, state))
	}
	return strings.Join(out, "\n") + fmt.Sprintf("\nlast %d", res.LastAppliedSeq)
}

// written is what the pushes left in the database, as compared: the
// processed acts, the records and versions, the form numbers, the feed
// and the trail of inspections.
func written(t *testing.T, db *postgres.DB) map[string][]string {
	t.Helper()
	queries := map[string]string{
		"sync_mutations": `SELECT concat_ws(' ', seq, verdict, result->'problem'->>'code') FROM sync_mutations ORDER BY seq`,
		"device_sync":    `SELECT concat_ws(' ', last_seq, failures) FROM device_sync`,
		"inspections": `SELECT concat_ws(' ', id, version, tier, status, review, matter_codes, officer_codes, device_id, act_at,
			md5((state - 'received_at')::text)) FROM inspections ORDER BY id`,
		"inspection_versions": `SELECT concat_ws(' ', inspection_id, version, (SELECT username FROM users WHERE id = author_user_id), reason, exceptions, review, md5(record::text))
			FROM inspection_versions ORDER BY 1`,
		"form_numbers": `SELECT concat_ws(' ', number, inspection_id) FROM form_numbers ORDER BY number`,
		"sync_changes": `SELECT concat_ws(' ', scope, version, entity_type, entity_id, origin_seq, md5((state - 'received_at')::text))
			FROM sync_changes WHERE entity_type = 'inspection' ORDER BY scope, version`,
		"audit_entries":       `SELECT concat_ws(' ', chain, seq, action, entity_id) FROM audit_entries WHERE entity_type = 'inspection' ORDER BY chain, seq`,
		"evidence":            `SELECT concat_ws(' ', client_id, linked_record_id, linked_at IS NOT NULL) FROM evidence ORDER BY client_id`,
		"inspection_evidence": `SELECT concat_ws(' ', client_id, inspection_id) FROM inspection_evidence ORDER BY 1`,
	}
	out := map[string][]string{}
	for table, q := range queries {
		rows, err := db.SQL.Query(q)
		if err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		for rows.Next() {
			var s string
			if err := rows.Scan(&s); err != nil {
				t.Fatal(err)
			}
			out[table] = append(out[table], s)
		}
		rows.Close()
	}
	heads, brk, err := postgres.NewAuditStore(db).Verify(context.Background(), "")
	if err != nil || brk != nil {
		t.Fatalf("audit trail: %v %v", brk, err)
	}
	for _, h := range heads {
		out["heads"] = append(out["heads"], fmt.Sprintf("%s %d", h.Chain, h.Seq))
	}
	return out
}

// pushTwins pushes batch into both databases and fails unless they answer
// and store the same, or the set-wise push sent more statements than a
// set-wise run and alone acts applied on their own; it returns the
// set-wise answer.
func pushTwins(t *testing.T, setWise, oneByOne *twinPush, batch []wsync.Mutation, alone int) wsync.PushResponse {
	t.Helper()
	ctx := context.Background()
	before := setWise.stmts.Load()
	got, err := setWise.svc.Push(ctx, setWise.dev, batch)
	if err != nil {
		t.Fatalf("set-wise push: %v", err)
	}
	sent := setWise.stmts.Load() - before
	before = oneByOne.stmts.Load()
	want, err := oneByOne.svc.Push(ctx, oneByOne.dev, batch)
	if err != nil {
		t.Fatalf("act-by-act push: %v", err)
	}
	if sentAlone := oneByOne.stmts.Load() - before; alone == len(batch) && sent <= sentAlone {
		t.Fatalf("set-wise sent %d statements, act by act %d: the set-wise write was not tried first", sent, sentAlone)
	}
	if g, w := answer(t, got), answer(t, want); g != w {
		t.Fatalf("set-wise answered\n%s\nact by act\n%s", g, w)
	}
	// Set-wise, a push sends a few statements for all its acts (reads of
	// the organization, one insert per table) and a few for the acts that
	// read more (a taken id, a form number), not some 25 for each record
	// as act by act: unless it hands acts over (alone of them).
	t.Logf("set-wise: %d statements for %d acts (%d expected on their own)", sent, len(batch), alone)
	if bound := int64(30 + 3*len(batch) + 40*alone); sent > bound {
		t.Fatalf("the set-wise push sent %d statements for %d acts, more than %d: it went act by act", sent, len(batch), bound)
	}
	if g, w := written(t, setWise.db), written(t, oneByOne.db); !reflect.DeepEqual(g, w) {
		for table := range w {
			if !reflect.DeepEqual(g[table], w[table]) {
				t.Errorf("%s set-wise:\n%s\nact by act:\n%s", table, strings.Join(g[table], "\n"), strings.Join(w[table], "\n"))
			}
		}
		t.FailNow()
	}
	return got
}

func newTwins(t *testing.T) (*twinPush, *twinPush, *twinActs) {
	t.Helper()
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	devID := uuid.NewString()
	a, b := newTwinPush(t, devID, key, true), newTwinPush(t, devID, key, false)
	return a, b, &twinActs{t: t, devID: devID, key: key, story: demo.StoryOn(a.db.Clock.Today())}
}

func verdictsOf(res wsync.PushResponse) []string { return strings.Split(verdicts(res), ",") }

// pushedAgain pushes an applied batch again into both twins: every
// answer is a duplicate, and both still hold the same.
func pushedAgain(t *testing.T, a, b *twinPush, batch []wsync.Mutation) {
	t.Helper()
	again := pushTwins(t, a, b, batch, 0)
	for i, r := range again.Results {
		if r.Verdict != wsync.Duplicate {
			t.Fatalf("pushed again, act %d: %s", i+1, r.Verdict)
		}
	}
}

// withFine adds a simple fine on the decision form number to a record.
func withFine(number string) func(r *inspection.Record) {
	return func(r *inspection.Record) {
		r.Measures = append(r.Measures, inspection.Measure{Kind: "fine_simple", MatterCode: "CG-002",
			Fine: &inspection.Fine{AmountYuan: 50, FormNumber: number}})
	}
}

// TestSyncService_PushSetWise: every kind of answer a record act can get,
// in one push, set-wise as act by act; pushed again, every answer is a
// duplicate and nothing is written.
func TestSyncService_PushSetWise(t *testing.T) {
	ctx := context.Background()
	a, b, acts := newTwins(t)

	// Recorded online first, in both databases: the same record pushed
	// again is a duplicate; another record under its id is a conflict.
	online := acts.record(0, nil)
	taken := acts.record(1, nil)
	for _, tw := range []*twinPush{a, b} {
		for _, r := range []inspection.Record{online, taken} {
			if _, _, err := tw.insp.RecordOnce(ctx, inspection.Actor{UserID: tw.dev.UserID}, r); err != nil {
				t.Fatal(err)
			}
		}
	}
	other := taken
	other.Findings = "另一份记录"
	first := acts.record(2, nil)
	batch := []wsync.Mutation{
		acts.recordAct(first),
		acts.recordAct(acts.record(3, func(r *inspection.Record) { r.Crew = r.Crew[1:] })), // the recorder not in the crew
		acts.recordAct(acts.record(4, func(r *inspection.Record) { r.MatterCodes = []string{"NO-SUCH"} })),
		acts.act("unknown.thing@1", uuid.NewString(), map[string]string{"x": "y"}),
		acts.act(inspection.MutationRecord, uuid.NewString(), []byte(`{"id": "not a record", "extra": true}`)),
		acts.recordAct(online),
		acts.recordAct(other),
		acts.recordAct(acts.record(5, withFine("T-1"))),
		acts.recordAct(acts.record(6, withFine("T-1"))),  // reused within the push
		acts.recordAct(acts.record(7, withFine("X-99"))), // in no block
		acts.recordAct(acts.record(8, nil)),
	}
	got := pushTwins(t, a, b, batch, 0)
	want := []string{"applied", "accepted_with_exceptions", "rejected:validation_failed", "rejected:unknown_mutation",
		"rejected:validation_failed", "duplicate", "rejected:entity_conflict", "applied", "accepted_with_exceptions",
		"accepted_with_exceptions", "applied"}
	if g := verdictsOf(got); !reflect.DeepEqual(g, want) {
		t.Fatalf("verdicts %v, want %v", g, want)
	}
	pushedAgain(t, a, b, batch)

	// Acts the set-wise path hands to the act-by-act one, in order: the
	// same id twice in one push (and the amendment and the record after
	// it), and a gap.
	repeat := acts.record(9, nil)
	amend := inspection.AmendArgs{BaseVersion: 1, Reason: "地址更正", Record: first}
	amend.Record.Location.Address = "东城区南锣鼓巷 14 号门前"
	mixed := []wsync.Mutation{
		acts.recordAct(repeat),
		acts.recordAct(repeat),
		acts.act(inspection.MutationAmend, first.ID, amend),
		acts.recordAct(acts.record(10, nil)),
	}
	acts.seq++ // a number never pushed
	mixed = append(mixed, acts.recordAct(acts.record(11, nil)))
	got = pushTwins(t, a, b, mixed, 4)
	if g, w := verdictsOf(got), []string{"applied", "duplicate", "applied", "applied", "retry:sequence_gap"}; !reflect.DeepEqual(g, w) {
		t.Fatalf("verdicts %v, want %v", g, w)
	}
}

// TestSyncService_PushSetWiseAmendments: amendments within a push of
// records are judged against the batch's read and written in their place
// among the records, set-wise as act by act: of a record stored before
// the push, of one created earlier in the same push (twice, each on the
// version the one before made), a stale base version (a conflict, the
// acts after it applied), a correction that changes the form number to
// one a later record of the push uses, and one of an unknown record.
func TestSyncService_PushSetWiseAmendments(t *testing.T) {
	a, b, acts := newTwins(t)
	stored := acts.record(0, nil)
	if got := pushTwins(t, a, b, []wsync.Mutation{acts.recordAct(stored)}, 0); verdicts(got) != "applied" {
		t.Fatalf("stored record: %s", verdicts(got))
	}
	amend := func(r inspection.Record, base int, address string, edit func(*inspection.Record)) wsync.Mutation {
		args := inspection.AmendArgs{BaseVersion: base, Reason: "地址更正", Record: r}
		args.Record.Location.Address = address
		if edit != nil {
			edit(&args.Record)
		}
		return acts.act(inspection.MutationAmend, r.ID, args)
	}
	fresh := acts.record(1, nil)
	batch := []wsync.Mutation{
		acts.recordAct(fresh),
		amend(fresh, 1, "东城区南锣鼓巷 14 号门前", nil),  // created earlier in this push
		amend(stored, 1, "东城区南锣鼓巷 16 号门前", nil), // stored before the push
		acts.recordAct(acts.record(2, nil)),
		amend(stored, 1, "东城区南锣鼓巷 18 号门前", nil),              // stale: the record is at version 2
		amend(fresh, 2, "东城区南锣鼓巷 20 号门前", withFine("T-2")),   // on the version the push made
		acts.recordAct(acts.record(3, withFine("T-2"))),      // the number the correction took
		amend(acts.record(4, nil), 1, "东城区南锣鼓巷 22 号门前", nil), // no such record
		acts.recordAct(acts.record(5, nil)),
	}
	// The three amendments written take a few statements each (the
	// Store's AddVersion) and split the records' writes: still far fewer
	// statements than act by act.
	setWiseBefore, oneByOneBefore := a.stmts.Load(), b.stmts.Load()
	got := pushTwins(t, a, b, batch, 1)
	if sent, alone := a.stmts.Load()-setWiseBefore, b.stmts.Load()-oneByOneBefore; 2*sent > alone {
		t.Fatalf("set-wise sent %d statements, act by act %d: the amendments were applied one at a time", sent, alone)
	}
	want := []string{"applied", "applied", "applied", "applied", "rejected:conflict", "applied",
		"accepted_with_exceptions", "rejected:not_found", "applied"}
	if g := verdictsOf(got); !reflect.DeepEqual(g, want) {
		t.Fatalf("verdicts %v, want %v", g, want)
	}
	pushedAgain(t, a, b, batch)
}

// refuseVersionOf makes the database refuse the version of record id, as
// a constraint would (check_violation), with a trigger.
func refuseVersionOf(t *testing.T, tw *twinPush, id string) {
	t.Helper()
	if _, err := tw.db.SQL.Exec(fmt.Sprintf(`CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS $$
		BEGIN
			IF NEW.inspection_id = '%s' THEN RAISE EXCEPTION 'refused by the test' USING ERRCODE = '23514'; END IF;
			RETURN NEW;
		END $$;
		CREATE TRIGGER refuse BEFORE INSERT ON inspection_versions FOR EACH ROW EXECUTE FUNCTION refuse()`, id)); err != nil {
		t.Fatal(err)
	}
}

// TestSyncService_PushSetWiseFallsBack: when the set-wise write fails on
// something its read could not foresee (here a trigger refusing one
// record's version, as a constraint would), the batch is applied act by
// act: the refused act is rejected, the others applied, as a push act by
// act answers.
func TestSyncService_PushSetWiseFallsBack(t *testing.T) {
	a, b, acts := newTwins(t)
	var batch []wsync.Mutation
	var refused string
	for i := range 5 {
		r := acts.record(i, nil)
		if i == 2 {
			refused = r.ID
		}
		batch = append(batch, acts.recordAct(r))
	}
	for _, tw := range []*twinPush{a, b} {
		refuseVersionOf(t, tw, refused)
	}
	got := pushTwins(t, a, b, batch, len(batch))
	if g, w := verdictsOf(got), []string{"applied", "applied", "rejected:validation_failed", "applied", "applied"}; !reflect.DeepEqual(g, w) {
		t.Fatalf("verdicts %v, want %v", g, w)
	}
}

// verifiedItem stores a verified photo of street st-a with client id
// clientID, naming record (or none), of 10 bytes with SHA-256 sha.
func verifiedItem(t *testing.T, tw *twinPush, clientID, record, sha string) {
	t.Helper()
	ctx := context.Background()
	store := postgres.NewEvidenceStore(tw.db)
	id := uuid.NewString()
	e := evidence.Evidence{ID: id, ClientID: clientID, RecordClientID: record, UploaderID: tw.dev.UserID, StreetCode: "st-a",
		Kind: evidence.KindPhoto, DeclaredContentType: evidence.TypeJPEG, Length: 10, DeclaredSHA256: sha,
		CapturedAt: tw.db.Clock(), CreatedAt: tw.db.Clock()}
	up := evidence.Upload{EvidenceID: id, ExpiresAt: tw.db.Clock().Add(time.Hour), S3Key: "uploads/" + id}
	e, err := store.CreateUpload(ctx, e, up, evidence.Started(e, up))
	if err != nil {
		t.Fatal(err)
	}
	token := uuid.NewString()
	if _, _, err := store.AcquireUpload(ctx, e.ID, token, time.Minute); err != nil {
		t.Fatal(err)
	}
	until := tw.db.Clock().Add(time.Hour)
	o := evidence.Outcome{Status: evidence.StatusVerified, SHA256: sha, ObjectKey: "evidence/sha256/" + sha, VersionID: "v1",
		LockMode: "GOVERNANCE", RetainUntil: &until, Thumbnail: evidence.ThumbnailNone}
	if _, err := store.Finish(ctx, e.ID, token, o, evidence.Finished(e, o)); err != nil {
		t.Fatal(err)
	}
}

// TestSyncService_PushSetWiseEvidence: records and their evidence pushed
// set-wise end as act by act: a file that arrived first satisfies its
// record (complete) and is linked to it, a file not arrived leaves its
// record pending, a file naming a record that does not list it is linked
// to it, and two records expecting the same file are judged one after the
// other (the second on its own).
func TestSyncService_PushSetWiseEvidence(t *testing.T) {
	a, b, acts := newTwins(t)
	sha := strings.Repeat("ab", 32)
	photo := func(clientID string) inspection.ExpectedEvidence {
		return inspection.ExpectedEvidence{ClientID: clientID, SHA256: sha, Size: 10, ContentType: "image/jpeg", Kind: "photo"}
	}
	arrived, missing, shared, named := uuid.NewString(), uuid.NewString(), uuid.NewString(), uuid.NewString()
	withPhotos := func(ids ...string) func(r *inspection.Record) {
		return func(r *inspection.Record) {
			for _, id := range ids {
				r.Evidence = append(r.Evidence, photo(id))
			}
		}
	}
	complete := acts.record(0, withPhotos(arrived))
	pending := acts.record(1, withPhotos(missing))
	naming := acts.record(2, nil)
	first, second := acts.record(3, withPhotos(shared)), acts.record(4, withPhotos(shared))
	for _, tw := range []*twinPush{a, b} {
		verifiedItem(t, tw, arrived, "", sha)
		verifiedItem(t, tw, shared, "", sha)
		verifiedItem(t, tw, named, naming.ID, sha)
	}
	batch := []wsync.Mutation{acts.recordAct(complete), acts.recordAct(pending), acts.recordAct(naming),
		acts.recordAct(first), acts.recordAct(second), acts.recordAct(acts.record(5, nil))}
	got := pushTwins(t, a, b, batch, 2)
	if g, w := verdictsOf(got), []string{"applied", "applied", "applied", "applied", "applied", "applied"}; !reflect.DeepEqual(g, w) {
		t.Fatalf("verdicts %v, want %v", g, w)
	}
	var status string
	if err := a.db.SQL.QueryRow(`SELECT string_agg(status, ',' ORDER BY act_at) FROM inspections`).Scan(&status); err != nil {
		t.Fatal(err)
	}
	if status != "complete,evidence_pending,complete,complete,evidence_pending,complete" {
		t.Fatalf("statuses %s", status)
	}
}

// TestInspectionService_RecordOnceSetWise: an online create is a batch of
// one through the set-wise code (a few statements, where one at a time
// sends some 25), with the same result; when its write fails, inside the
// transaction of an Idempotency-Key, its savepoint is undone and the record
// is created one at a time in that transaction: the answer is the one of a
// create one at a time (the refusal itself, not an aborted transaction).
func TestInspectionService_RecordOnceSetWise(t *testing.T) {
	ctx := context.Background()
	a, b, acts := newTwins(t)
	r := acts.record(0, nil)
	var sent [2]int64
	for i, tw := range []*twinPush{a, b} {
		before := tw.stmts.Load()
		if _, dup, err := tw.insp.RecordOnce(ctx, inspection.Actor{UserID: tw.dev.UserID}, r); err != nil || dup {
			t.Fatalf("record: dup %v, %v", dup, err)
		}
		sent[i] = tw.stmts.Load() - before
	}
	if sent[0] >= sent[1] {
		t.Fatalf("set-wise sent %d statements, one at a time %d: the create did not go set-wise", sent[0], sent[1])
	}
	refused := acts.record(1, nil)
	var codes [2]derrors.Code
	for i, tw := range []*twinPush{a, b} {
		refuseVersionOf(t, tw, refused.ID)
		err := tw.db.InTx(ctx, func(ctx context.Context) error {
			_, _, err := tw.insp.RecordOnce(ctx, inspection.Actor{UserID: tw.dev.UserID}, refused)
			return err
		})
		codes[i] = derrors.CodeOf(err)
	}
	if codes[0] != derrors.Invalid || codes[1] != codes[0] {
		t.Fatalf("refused create: set-wise %s, one at a time %s; want %s", codes[0], codes[1], derrors.Invalid)
	}
	if g, w := written(t, a.db), written(t, b.db); !reflect.DeepEqual(g, w) {
		t.Fatalf("set-wise wrote %v, one at a time %v", g, w)
	}
}
