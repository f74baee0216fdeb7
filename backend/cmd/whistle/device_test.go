package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/backend/org/demo"
	wsync "github.com/whistle/whistle/sync"
	"github.com/whistle/whistle/sync/client"
)

// startServe starts `whistle serve` and waits until it answers.
func startServe(t *testing.T, ctx context.Context, vars map[string]string) (*exec.Cmd, *bytes.Buffer) {
	t.Helper()
	var logs bytes.Buffer
	cmd := command(ctx, vars, "serve")
	cmd.Stderr = &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			cmd.Process.Kill()
			cmd.Wait()
		}
	})
	waitFor(t, "http://"+vars["WHISTLE_ADDR"]+"/healthz", &logs)
	return cmd, &logs
}

// migratedStack is a fresh database and bucket, migrated, with the demo data.
func migratedStack(t *testing.T, ctx context.Context) map[string]string {
	t.Helper()
	vars := stackEnv(t)
	for _, args := range [][]string{{"migrate"}, {"seed", "demo"}} {
		if out, err := command(ctx, vars, args...).CombinedOutput(); err != nil {
			t.Fatalf("whistle %v: %v\n%s", args, err, out)
		}
	}
	return vars
}

// exampleInspection is testdata/inspection.json with a new id, started
// minutes after the example.
func exampleInspection(t *testing.T, i int) inspection.Record {
	t.Helper()
	b, err := os.ReadFile("testdata/inspection.json")
	if err != nil {
		t.Fatal(err)
	}
	var r inspection.Record
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	r.ID = uuid.NewString()
	r.StartedAt.Wall = r.StartedAt.Wall.Add(time.Duration(i) * time.Second)
	return r
}

// TestDevice_KillServerMidPush kills the server process with SIGKILL while
// it applies 500 inspections (in pushes of 50), restarts it, and lets the client
// retry: every mutation the server had committed before the kill is there
// once, unchanged, and answered as a duplicate; all 500 are there at the end.
func TestDevice_KillServerMidPush(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 4*time.Minute)
	defer cancel()
	vars := migratedStack(t, ctx)
	serve, logs := startServe(t, ctx, vars)

	// Pushes of 50: the server applies each push set-wise, in one
	// transaction, so a kill lands between pushes or in one of them, and
	// some of the 500 acts are committed at the kill, not all.
	opts := client.Options{MaxAttempts: 4, BaseBackoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond, BatchSize: 50}
	c, err := client.Init(ctx, t.TempDir(), "http://"+vars["WHISTLE_ADDR"], "officer.a", demo.Password, "phone", opts)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	const n = 500
	entities := map[string]bool{}
	for i := range n {
		r := exampleInspection(t, i)
		if _, err := c.Record(inspection.MutationRecord, r.ID, r); err != nil {
			t.Fatal(err)
		}
		entities[r.ID] = true
	}

	db, count := openCounter(t, ctx, vars)
	// The demo story's records and their feed entries were there before the device pushed.
	seeded := map[string]bool{}
	before, err := db.QueryContext(ctx, `SELECT id::text FROM inspections`)
	if err != nil {
		t.Fatal(err)
	}
	for before.Next() {
		var id string
		before.Scan(&id)
		seeded[id] = true
	}
	before.Close()
	seededFeed := count(`SELECT count(*) FROM sync_changes WHERE scope = 'team:team-st-a' AND entity_type = 'inspection'`)

	pushed := make(chan error, 1)
	go func() { _, err := c.Push(ctx); pushed <- err }()
	// Kill once the first few mutations are committed.
	deadline := time.Now().Add(60 * time.Second)
	for count(`SELECT count(*) FROM sync_mutations WHERE device_id = $1`, c.DeviceID()) < 5 {
		if time.Now().After(deadline) {
			t.Fatalf("no mutation committed within a minute; server log:\n%s", logs)
		}
		time.Sleep(time.Millisecond)
	}
	if err := serve.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	serve.Wait()
	if err := <-pushed; err == nil {
		t.Fatal("the push succeeded although the server was killed in the middle of it")
	}

	// What the server had acknowledged in the database when it died.
	type row struct {
		Verdict, Result string
	}
	acked := map[int64]row{}
	rows, err := db.QueryContext(ctx, `SELECT seq, verdict, result::text FROM sync_mutations WHERE device_id = $1`, c.DeviceID())
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var seq int64
		var r row
		if err := rows.Scan(&seq, &r.Verdict, &r.Result); err != nil {
			t.Fatal(err)
		}
		acked[seq] = r
	}
	rows.Close()
	if len(acked) == 0 || len(acked) >= n {
		t.Fatalf("%d of %d mutations committed at the kill: the kill was not in the middle of the batch", len(acked), n)
	}
	for seq := int64(1); seq <= int64(len(acked)); seq++ {
		if _, ok := acked[seq]; !ok {
			t.Fatalf("committed mutations %v are not a prefix 1..%d", len(acked), len(acked))
		}
	}
	// The device keeps every act it got no answer for: the pushes before
	// the one the kill cut were answered, and only committed acts are.
	st, _ := c.Status()
	answered := n - st.QueueDepth
	if answered < 0 || answered > len(acked) {
		t.Fatalf("the device's queue is %d after a push without answer, %d acts committed: want %d to %d", st.QueueDepth, len(acked), n-len(acked), n)
	}

	startServe(t, ctx, vars)
	rep, err := c.Push(ctx)
	if err != nil {
		t.Fatalf("push after restart: %v", err)
	}
	if rep.Sent != n-answered || rep.Remaining != 0 || rep.Verdicts[wsync.Duplicate] != len(acked)-answered || rep.LastAppliedSeq != n {
		t.Fatalf("push after restart: %+v, want %d duplicates among %d", rep, len(acked)-answered, n-answered)
	}
	for i, r := range rep.Results {
		if r.Seq != int64(answered+i+1) || (r.Seq <= int64(len(acked))) != (r.Verdict == wsync.Duplicate) {
			t.Fatalf("result %d: seq %d %s", i, r.Seq, r.Verdict)
		}
		if r.Verdict == wsync.Rejected {
			t.Fatalf("seq %d rejected: %+v", r.Seq, r.Problem)
		}
	}

	// Exactly once: every mutation once, acknowledged ones unchanged, and
	// one inspection and one feed entry per entity.
	if got := count(`SELECT count(DISTINCT seq) FROM sync_mutations WHERE device_id = $1 AND seq BETWEEN 1 AND $2`, c.DeviceID(), n); got != n {
		t.Fatalf("%d distinct mutations stored, want %d", got, n)
	}
	for seq, was := range acked {
		var now row
		db.QueryRowContext(ctx, `SELECT verdict, result::text FROM sync_mutations WHERE device_id = $1 AND seq = $2`, c.DeviceID(), seq).Scan(&now.Verdict, &now.Result)
		if now != was {
			t.Fatalf("acknowledged mutation %d changed: %+v, was %+v", seq, now, was)
		}
	}
	if got := count(`SELECT count(*) FROM inspections WHERE device_id = $1`, c.DeviceID()); got != n {
		t.Fatalf("%d inspections stored, want %d", got, n)
	}
	if got := count(`SELECT count(*) FROM inspection_versions v JOIN inspections i ON i.id = v.inspection_id WHERE i.device_id = $1`, c.DeviceID()); got != n {
		t.Fatalf("%d inspection versions stored, want %d (one each)", got, n)
	}
	if got := count(`SELECT count(*) FROM sync_changes WHERE scope = 'team:team-st-a' AND entity_type = 'inspection'`) - seededFeed; got != n {
		t.Fatalf("%d inspections added to the team's feed, want %d", got, n)
	}
	var ids []string
	rows, err = db.QueryContext(ctx, `SELECT id::text FROM inspections`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	for _, id := range ids {
		if !entities[id] && !seeded[id] {
			t.Fatalf("inspection %s was not recorded by the device", id)
		}
	}
	t.Logf("killed the server with %d of %d mutations committed; after restart: %v", len(acked), n, rep.Verdicts)
}

// TestDevice_Commands runs the device simulator as a user would: init,
// record offline, status, sync, status; and `whistle sync purge`.
func TestDevice_Commands(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	vars := migratedStack(t, ctx)
	startServe(t, ctx, vars)
	dir := filepath.Join(t.TempDir(), "phone")
	device := func(wantExit int, extra map[string]string, args ...string) string {
		t.Helper()
		env := map[string]string{"WHISTLE_DEVICE_DIR": dir}
		for k, v := range extra {
			env[k] = v
		}
		cmd := command(ctx, env, append([]string{"device"}, args...)...)
		out, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		if code := cmd.ProcessState.ExitCode(); code != wantExit || (err != nil && !errors.As(err, &exit)) {
			t.Fatalf("whistle device %v exited %d (%v), want %d:\n%s", args, code, err, wantExit, out)
		}
		return string(out)
	}

	out := device(0, map[string]string{"WHISTLE_DEVICE_PASSWORD": demo.Password}, "init", "http://"+vars["WHISTLE_ADDR"], "officer.a", "张伟的手机")
	if !strings.Contains(out, "registered for officer.a") {
		t.Fatalf("init: %s", out)
	}
	// Offline from here: the server is not needed to record.
	for range 2 {
		if out := device(0, nil, "record", "inspection", "testdata/inspection.json"); !strings.Contains(out, "inspection.record@1") {
			t.Fatalf("record: %s", out)
		}
	}
	out = device(0, nil, "status")
	if !strings.Contains(out, "queue: 2 unsent") || !strings.Contains(out, "next seq 3") {
		t.Fatalf("status before sync: %s", out)
	}
	out = device(0, nil, "sync")
	if !strings.Contains(out, "pushed 2:") || !strings.Contains(out, "0 still queued") || !strings.Contains(out, "team:team-st-a") {
		t.Fatalf("sync: %s", out)
	}
	out = device(0, nil, "-json", "status")
	var st client.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.QueueDepth != 0 || st.LastAppliedSeq != 2 || len(st.LastResults) != 2 {
		t.Fatalf("status after sync (%v): %s", err, out)
	}
	// An act on an existing entity names it, and its args go as they are: a note on a case
	// this server does not know is judged (rejected, not found), not refused for its shape.
	note := filepath.Join(t.TempDir(), "note.json")
	if err := os.WriteFile(note, []byte(`{"text":"现场复查：仍在占道"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	ghost := uuid.NewString()
	if out := device(0, nil, "record", "case.note@1", note, ghost); !strings.Contains(out, "case.note@1 entity "+ghost) {
		t.Fatalf("record on an entity: %s", out)
	}
	if out := device(0, nil, "push"); !strings.Contains(out, ghost) || !strings.Contains(out, "rejected") || !strings.Contains(out, "not_found") {
		t.Fatalf("push of the note: %s", out)
	}
	if out := device(1, nil, "record", "case.note@1", note, "not-a-uuid"); !strings.Contains(out, "not a UUID") {
		t.Fatalf("record on a bad entity id: %s", out)
	}
	device(2, nil, "frobnicate")
	if out := device(1, nil, "record", "inspection", "no-such-file.json"); !strings.Contains(out, "no-such-file.json") {
		t.Fatalf("record of a missing file: %s", out)
	}

	// A tombstone older than the retention, and one younger.
	db, err := sql.Open("pgx", vars["WHISTLE_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	_, err = db.ExecContext(ctx, `INSERT INTO sync_scopes (scope, version) VALUES ('team:zz', 2);
		INSERT INTO sync_changes (scope, entity_type, entity_id, version, op, changed_at)
		VALUES ('team:zz', 'note', 'old', 1, 'delete', now() - interval '31 days'),
		       ('team:zz', 'note', 'new', 2, 'delete', now() - interval '1 day')`)
	if err != nil {
		t.Fatal(err)
	}
	purge, err := command(ctx, vars, "sync", "purge").CombinedOutput()
	if err != nil || !strings.Contains(string(purge), "purged 1 sync tombstone(s) older than 720h0m0s") {
		t.Fatalf("sync purge: %v\n%s", err, purge)
	}
	var purged int64
	db.QueryRowContext(ctx, `SELECT purged FROM sync_scopes WHERE scope = 'team:zz'`).Scan(&purged)
	if purged != 1 {
		t.Fatalf("purge horizon %d, want 1", purged)
	}
}

// openCounter opens the stack's database (closed at the end of the test)
// and a counter of its rows: the first column of a query's one row.
func openCounter(t *testing.T, ctx context.Context, vars map[string]string) (*sql.DB, func(q string, args ...any) int) {
	t.Helper()
	db, err := sql.Open("pgx", vars["WHISTLE_DATABASE_URL"])
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db, func(q string, args ...any) int {
		t.Helper()
		var n int
		if err := db.QueryRowContext(ctx, q, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		return n
	}
}
