package client_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/org/demo"
	wsync "github.com/whistle/whistle/sync"
	"github.com/whistle/whistle/sync/client"
)

var ctx = context.Background()

const teamA, teamB = "team-st-a", "team-st-b"

func note(team, text string) noteArgs { return noteArgs{Team: team, Text: text} }

func record(t *testing.T, c *client.Client, args any) wsync.Mutation {
	t.Helper()
	m, err := c.Record("note.put@1", "", args)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func push(t *testing.T, c *client.Client) client.PushReport {
	t.Helper()
	rep, err := c.Push(ctx)
	if err != nil {
		t.Fatalf("push: %v (report %+v)", err, rep)
	}
	return rep
}

func pull(t *testing.T, c *client.Client) client.PullReport {
	t.Helper()
	rep, err := c.Pull(ctx)
	if err != nil {
		t.Fatalf("pull: %v (report %+v)", err, rep)
	}
	return rep
}

func status(t *testing.T, c *client.Client) client.Status {
	t.Helper()
	st, err := c.Status()
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func reopen(t *testing.T, c *client.Client, dir string, opts client.Options) *client.Client {
	t.Helper()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	c, err := client.Open(dir, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func TestClient_Init(t *testing.T) {
	s := newServer(t)
	t.Run("OK", func(t *testing.T) {
		c, dir := s.device("officer.a")
		if _, err := uuid.Parse(c.DeviceID()); err != nil {
			t.Fatalf("device id %q: %v", c.DeviceID(), err)
		}
		for name, mode := range map[string]os.FileMode{"device.key": 0o600, "session.json": 0o600, "device.json": 0o600} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil || fi.Mode().Perm() != mode {
				t.Fatalf("%s: %v mode %v, want %v", name, err, fi.Mode().Perm(), mode)
			}
		}
		if n := s.count(`SELECT count(*) FROM devices WHERE id = $1 AND public_key = $2`, c.DeviceID(), []byte(c.PublicKey())); n != 1 {
			t.Fatalf("the device key is registered %d times", n)
		}
		if _, err := client.Open(dir, fastOptions); !errors.Is(err, client.ErrLocked) {
			t.Fatalf("second open of a directory in use: %v, want ErrLocked", err)
		}
		if _, err := client.Init(ctx, dir, s.url(), "officer.a", demo.Password, "again", fastOptions); err == nil {
			t.Fatal("init over an existing device succeeded")
		}
	})
	t.Run("ErrWrongPassword", func(t *testing.T) {
		dir := t.TempDir()
		_, err := client.Init(ctx, dir, s.url(), "officer.a", "wrong", "phone", fastOptions)
		var pe *client.ProblemError
		if !errors.As(err, &pe) || pe.Status != http.StatusUnauthorized {
			t.Fatalf("init with a wrong password: %v, want a 401 problem", err)
		}
		if _, err := client.Open(dir, fastOptions); err == nil {
			t.Fatal("a failed init left a device that opens")
		}
	})
}

func TestClient_Record(t *testing.T) {
	s := newServer(t)
	c, _ := s.device("officer.a")
	tests := []struct {
		name     string
		mutation string
		entityID string
		args     any
		wantErr  string
	}{
		{name: "OKStruct", mutation: "note.put@1", args: note(teamA, "struct")},
		{name: "OKRawWithHTML", mutation: "note.put@1", entityID: uuid.NewString(),
			args: json.RawMessage(`{ "team": "team-st-a",  "text": "<b>&amp; 中文 \u2028</b>" }`)},
		{name: "ErrName", mutation: "note.put", args: note(teamA, "x"), wantErr: "versioned mutation name"},
		{name: "ErrEntityID", mutation: "note.put@1", entityID: "not-a-uuid", args: note(teamA, "x"), wantErr: "not a UUID"},
		{name: "ErrArgsNotObject", mutation: "note.put@1", args: []int{1, 2}, wantErr: "JSON object"},
		{name: "ErrArgsNotJSON", mutation: "note.put@1", args: json.RawMessage(`{"a":`), wantErr: "not valid JSON"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, err := c.Record(tt.mutation, tt.entityID, tt.args)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Record: %v, want an error saying %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !wsync.Verify(c.PublicKey(), c.DeviceID(), m) {
				t.Fatal("the recorded mutation does not verify")
			}
			if tt.entityID != "" && m.EntityID != tt.entityID {
				t.Fatalf("entity id %s, want %s", m.EntityID, tt.entityID)
			}
		})
	}
	// The exact signed bytes reach the server: both verify there and apply.
	rep := push(t, c)
	if rep.Verdicts[wsync.Applied] != 2 || rep.Sent != 2 {
		t.Fatalf("push of the recorded mutations: %+v", rep)
	}
	if got := s.count(`SELECT count(*) FROM sync_mutations WHERE args = convert_to($1, 'UTF8')`,
		`{"team":"team-st-a","text":"\u003cb\u003e\u0026amp; 中文 \u2028\u003c/b\u003e"}`); got != 1 {
		t.Fatalf("the canonical args bytes are stored %d times, want 1", got)
	}
}

func TestClient_Push(t *testing.T) {
	s := newServer(t)
	t.Run("OKEveryVerdict", func(t *testing.T) {
		c, _ := s.device("officer.a")
		record(t, c, note(teamA, "plain"))
		record(t, c, noteArgs{Team: teamA, Text: "flagged", Exception: true})
		bad := record(t, c, noteArgs{Team: teamA, Text: "bad", Invalid: true})
		record(t, c, noteArgs{Team: teamA, Text: "flaky", Transient: 2}) // retry, retry, applied
		record(t, c, note(teamA, "last"))
		rep := push(t, c)
		want := map[wsync.Verdict]int{wsync.Applied: 3, wsync.AcceptedWithExceptions: 1, wsync.Rejected: 1}
		if rep.Sent != 5 || rep.Remaining != 0 || !mapsEqual(rep.Verdicts, want) || rep.LastAppliedSeq != 5 {
			t.Fatalf("push report %+v, want verdicts %v", rep, want)
		}
		results, err := c.Results()
		if err != nil || len(results) != 5 {
			t.Fatalf("results log: %v, %d lines", err, len(results))
		}
		r := results[2]
		if r.Verdict != wsync.Rejected || r.Problem == nil || r.Problem.Code != "validation_failed" || r.Mutation == nil ||
			string(r.Mutation.Args) != string(bad.Args) {
			t.Fatalf("rejected result %+v: want the problem and the whole act", r)
		}
		st := status(t, c)
		if st.QueueDepth != 0 || st.OldestUnsentAt != nil || st.LastAppliedSeq != 5 || st.NextSeq != 6 || st.LastPushAt == nil {
			t.Fatalf("status after push: %+v", st)
		}
		if n := s.count(`SELECT count(*) FROM device_sync WHERE device_id = $1 AND last_seq = 5 AND app_version = '1.0.0'
			AND queue_depth IS NOT NULL AND clock_skew_ms IS NOT NULL`, c.DeviceID()); n != 1 {
			t.Fatal("the device's report did not reach the server")
		}
	})
	t.Run("OKDuplicateAfterLostAnswer", func(t *testing.T) {
		c, dir := s.device("officer.a")
		record(t, c, note(teamA, "once"))
		record(t, c, noteArgs{Team: teamA, Text: "flagged once", Exception: true})
		// Keep the outbox as it was before the push: the device that
		// never got the answer still has it.
		saved := copyDir(t, filepath.Join(dir, "outbox"))
		first := push(t, c)
		changes := s.count(`SELECT count(*) FROM sync_changes`)
		c.Close()
		restoreDir(t, saved, filepath.Join(dir, "outbox"))
		c = reopen(t, c, dir, fastOptions)
		again := push(t, c)
		if again.Verdicts[wsync.Duplicate] != 2 || again.Sent != 2 {
			t.Fatalf("second push %+v, want 2 duplicates", again)
		}
		for i, r := range again.Results {
			if !sameJSON(r.State, first.Results[i].State) || len(r.Exceptions) != len(first.Results[i].Exceptions) {
				t.Fatalf("duplicate %d = %+v, want the first result %+v", i, r, first.Results[i])
			}
		}
		if n := s.count(`SELECT count(*) FROM sync_changes`); n != changes {
			t.Fatalf("the repeated push wrote changes: %d rows, were %d", n, changes)
		}
		if n := s.count(`SELECT count(*) FROM sync_mutations WHERE device_id = $1`, c.DeviceID()); n != 2 {
			t.Fatalf("%d mutation rows, want 2", n)
		}
	})
	t.Run("ErrRetryGivesUp", func(t *testing.T) {
		c, _ := s.device("officer.a")
		record(t, c, note(teamA, "fine"))
		record(t, c, noteArgs{Team: teamA, Text: "never now", Transient: 1000})
		record(t, c, note(teamA, "behind"))
		rep, err := c.Push(ctx)
		var re *client.RetryError
		if !errors.As(err, &re) || re.Result.Seq != 2 || re.Result.Problem == nil || re.Result.Problem.Code != "dependency_unavailable" {
			t.Fatalf("push: %v, want a RetryError at seq 2", err)
		}
		if rep.Sent != 1 || rep.Remaining != 2 {
			t.Fatalf("push report %+v: want 1 sent, 2 kept", rep)
		}
	})
	t.Run("OKAfterServerDown", func(t *testing.T) {
		c, _ := s.device("officer.a")
		record(t, c, note(teamA, "while down 1"))
		record(t, c, note(teamA, "while down 2"))
		addr := s.addr
		s.stop()
		_, err := c.Push(ctx)
		if err == nil || !strings.Contains(err.Error(), "gave up after 3 attempts") {
			t.Fatalf("push to a stopped server: %v", err)
		}
		if st := status(t, c); st.QueueDepth != 2 {
			t.Fatalf("queue after a failed push: %d, want 2", st.QueueDepth)
		}
		s.start(addr)
		if rep := push(t, c); rep.Verdicts[wsync.Applied] != 2 {
			t.Fatalf("push after restart: %+v", rep)
		}
	})
	t.Run("OKBatches", func(t *testing.T) {
		opts := fastOptions
		opts.BatchSize = 4
		c, dir := s.device("officer.a")
		c = reopen(t, c, dir, opts)
		for i := range 10 {
			record(t, c, note(teamA, "batch "+string(rune('a'+i))))
		}
		if rep := push(t, c); rep.Verdicts[wsync.Applied] != 10 {
			t.Fatalf("push in batches of 4: %+v", rep)
		}
	})
}

func TestClient_Durability(t *testing.T) {
	s := newServer(t)
	t.Run("OKRecordSurvivesKill", func(t *testing.T) {
		c, dir := s.device("officer.a")
		for i := range 3 {
			record(t, c, note(teamA, "offline "+string(rune('0'+i))))
		}
		// A process killed after Record returned: nothing but the files remain.
		c = reopen(t, c, dir, fastOptions)
		st := status(t, c)
		if st.QueueDepth != 3 || st.NextSeq != 4 || st.OldestUnsentAt == nil {
			t.Fatalf("after reopen: %+v, want 3 queued and next seq 4", st)
		}
		if m := record(t, c, note(teamA, "after restart")); m.Seq != 4 {
			t.Fatalf("next mutation got seq %d, want 4", m.Seq)
		}
		rep := push(t, c)
		if rep.Verdicts[wsync.Applied] != 4 {
			t.Fatalf("push: %+v", rep)
		}
		for i, r := range rep.Results {
			if r.Seq != int64(i+1) {
				t.Fatalf("result %d has seq %d", i, r.Seq)
			}
		}
	})
	t.Run("OKNoReuseAfterOutboxEmptied", func(t *testing.T) {
		c, dir := s.device("officer.a")
		record(t, c, note(teamA, "1"))
		record(t, c, note(teamA, "2"))
		push(t, c)
		c = reopen(t, c, dir, fastOptions)
		if m := record(t, c, note(teamA, "3")); m.Seq != 3 {
			t.Fatalf("seq after the outbox was emptied and reopened: %d, want 3", m.Seq)
		}
		if rep := push(t, c); rep.Verdicts[wsync.Applied] != 1 {
			t.Fatalf("push: %+v", rep)
		}
	})
	t.Run("OKCrashBeforeCommit", func(t *testing.T) {
		c, dir := s.device("officer.a")
		record(t, c, note(teamA, "1"))
		c.FailWrites(errors.New("simulated crash"))
		if _, err := c.Record("note.put@1", "", note(teamA, "lost")); err == nil {
			t.Fatal("Record succeeded although its write failed")
		}
		c = reopen(t, c, dir, fastOptions)
		if torn, _ := filepath.Glob(filepath.Join(dir, "outbox", "*.tmp-*")); len(torn) != 0 {
			t.Fatalf("open left torn files: %v", torn)
		}
		// Number 2 was never used (no one saw it): taking it again leaves no gap.
		if m := record(t, c, note(teamA, "2")); m.Seq != 2 {
			t.Fatalf("seq after a crash before commit: %d, want 2", m.Seq)
		}
		if rep := push(t, c); rep.Verdicts[wsync.Applied] != 2 {
			t.Fatalf("push: %+v", rep)
		}
	})
	t.Run("OKTornResultsLine", func(t *testing.T) {
		c, dir := s.device("officer.a")
		record(t, c, note(teamA, "1"))
		push(t, c)
		f, err := os.OpenFile(filepath.Join(dir, "results.jsonl"), os.O_APPEND|os.O_WRONLY, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.WriteString(`{"seq":2,"verd`)
		f.Close()
		if st := status(t, c); len(st.LastResults) != 1 {
			t.Fatalf("results with a torn last line: %+v", st.LastResults)
		}
	})
}

func TestClient_Pull(t *testing.T) {
	s := newServer(t)
	writer, _ := s.device("officer.a")
	opts := fastOptions
	opts.PullLimit = 3
	reader, readerDir := s.device("leader.a")
	reader = reopen(t, reader, readerDir, opts)

	var first wsync.Mutation
	for i := range 7 {
		m := record(t, writer, note(teamA, "note "+string(rune('0'+i))))
		if i == 0 {
			first = m
		}
	}
	record(t, writer, note(teamB, "another team's")) // not visible to the reader
	record(t, writer, note(teamA, `quotes " and backslashes \ survive`))
	push(t, writer)

	t.Run("OKPages", func(t *testing.T) {
		rep := pull(t, reader)
		if rep.Pages < 3 || rep.Changes < 8 {
			t.Fatalf("pull report %+v, want the 8 notes (and the reference data) in at least 3 pages", rep)
		}
		got := notes(reader, wsync.TeamScope(teamA))
		if len(got) != 8 {
			t.Fatalf("%d notes pulled, want 8", len(got))
		}
		for _, n := range got {
			if n.OriginDevice != writer.DeviceID() || n.OriginSeq < 1 || n.OriginSeq > 9 {
				t.Fatalf("change %+v lacks its origin", n)
			}
		}
		for _, want := range []string{wsync.DistrictScope, wsync.OfficerScope("a-cg-01"), wsync.TeamScope(teamA)} {
			if !slices.Contains(reader.Scopes(), want) {
				t.Fatalf("scopes %v lack %s", reader.Scopes(), want)
			}
		}
		if slices.Contains(reader.Scopes(), wsync.TeamScope(teamB)) {
			t.Fatal("the reader holds another team's scope")
		}
		var top int64
		for _, ch := range reader.Entities(wsync.TeamScope(teamA)) {
			top = max(top, ch.Version)
		}
		if c := reader.Cursors()[wsync.TeamScope(teamA)]; c != top {
			t.Fatalf("team cursor %d, want the last version %d", c, top)
		}
	})
	t.Run("OKDelete", func(t *testing.T) {
		if _, err := writer.Record("note.put@1", first.EntityID, noteArgs{Team: teamA, Delete: true}); err != nil {
			t.Fatal(err)
		}
		push(t, writer)
		pull(t, reader)
		for _, n := range notes(reader, wsync.TeamScope(teamA)) {
			if n.EntityID == first.EntityID {
				t.Fatal("a deleted note is still on the device")
			}
		}
		if n := len(notes(reader, wsync.TeamScope(teamA))); n != 7 {
			t.Fatalf("%d notes, want 7", n)
		}
	})
	t.Run("OKFailedApplyKeepsPreviousState", func(t *testing.T) {
		record(t, writer, note(teamA, "eight"))
		record(t, writer, note(teamA, "nine"))
		push(t, writer)
		before := reader.Cursors()
		reader.FailWrites(errors.New("simulated crash mid-apply"))
		if _, err := reader.Pull(ctx); err == nil {
			t.Fatal("pull succeeded although applying its page failed")
		}
		if got := reader.Cursors(); !mapsEqual(got, before) || len(notes(reader, wsync.TeamScope(teamA))) != 7 {
			t.Fatalf("after a failed apply: cursors %v (were %v), want the previous state", got, before)
		}
		reader = reopen(t, reader, readerDir, opts)
		if got := reader.Cursors(); !mapsEqual(got, before) || len(notes(reader, wsync.TeamScope(teamA))) != 7 {
			t.Fatalf("after reopening: cursors %v (were %v), want the previous state", got, before)
		}
		pull(t, reader)
		if n := len(notes(reader, wsync.TeamScope(teamA))); n != 9 {
			t.Fatalf("%d notes after the retried pull, want 9", n)
		}
	})
}

func TestClient_PullEviction(t *testing.T) {
	s := newServer(t)
	c, _ := s.device("officer.a")
	record(t, c, note(teamA, "seen by team A"))
	push(t, c)
	pull(t, c)
	if len(notes(c, wsync.TeamScope(teamA))) != 1 {
		t.Fatal("the officer's own team note was not pulled")
	}
	queued := record(t, c, note(teamA, "recorded before the move, not pushed"))

	// The officer moves to team B an hour ago: re-import their memberships.
	ds, err := demo.Dataset(s.db.Clock.Today())
	if err != nil {
		t.Fatal(err)
	}
	moved := s.db.Clock().Add(-time.Hour).UTC().Truncate(time.Second)
	var officer org.Officer
	for _, o := range ds.Officers {
		if o.Code == "a-cg-03" {
			officer = o
		}
	}
	officer.Memberships[0].To = &moved
	officer.Memberships = append(officer.Memberships, org.Membership{TeamCode: teamB, Position: officer.Memberships[0].Position, From: moved})
	if rep, err := org.Import(ctx, s.orgs, testHasher, org.Dataset{Officers: []org.Officer{officer}}); err != nil || !rep.Applied {
		t.Fatalf("move the officer: %v %+v", err, rep.Rejected)
	}

	rep := pull(t, c)
	if !slices.Contains(rep.Evicted, wsync.TeamScope(teamA)) {
		t.Fatalf("evicted %v, want the old team's scope", rep.Evicted)
	}
	if got := c.Scopes(); slices.Contains(got, wsync.TeamScope(teamA)) || !slices.Contains(got, wsync.TeamScope(teamB)) {
		t.Fatalf("scopes after the move: %v", got)
	}
	if n := len(notes(c, wsync.TeamScope(teamA))); n != 0 {
		t.Fatalf("%d entities of the old team remain", n)
	}
	st := status(t, c)
	if st.QueueDepth != 1 || st.NextSeq != queued.Seq+1 {
		t.Fatalf("the outbox changed with the eviction: %+v", st)
	}
}

func TestClient_PullResync(t *testing.T) {
	s := newServer(t)
	writer, _ := s.device("officer.a")
	reader, _ := s.device("leader.a")
	gone := record(t, writer, note(teamA, "deleted later"))
	record(t, writer, note(teamA, "kept"))
	push(t, writer)
	pull(t, reader)
	if _, err := writer.Record("note.put@1", gone.EntityID, noteArgs{Team: teamA, Delete: true}); err != nil {
		t.Fatal(err)
	}
	push(t, writer)
	if n, err := s.sync.PurgeTombstones(ctx, s.db.Clock().Add(time.Hour)); err != nil || n < 1 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	queued := record(t, reader, note(teamA, "the reader's own, unsent"))

	rep := pull(t, reader)
	if !slices.Equal(rep.Resynced, []string{wsync.TeamScope(teamA)}) {
		t.Fatalf("resynced %v, want the team scope", rep.Resynced)
	}
	got := notes(reader, wsync.TeamScope(teamA))
	if len(got) != 1 || got[0].EntityID == gone.EntityID {
		t.Fatalf("after re-bootstrap: %+v, want only the kept note", got)
	}
	if st := status(t, reader); st.QueueDepth != 1 || st.NextSeq != queued.Seq+1 {
		t.Fatalf("the outbox changed with the resync: %+v", st)
	}
}

func TestClient_Refresh(t *testing.T) {
	s := newServer(t)
	t.Run("OKExpiredAccessToken", func(t *testing.T) {
		c, dir := s.device("officer.a")
		record(t, c, note(teamA, "1"))
		c.Close()
		old := editSession(t, dir, func(m map[string]any) { m["access_token"] = "expired" })
		c = reopen(t, c, dir, fastOptions)
		if rep := push(t, c); rep.Verdicts[wsync.Applied] != 1 {
			t.Fatalf("push with an expired access token: %+v", rep)
		}
		now := editSession(t, dir, func(map[string]any) {})
		if now["refresh_token"] == old["refresh_token"] {
			t.Fatal("the rotated refresh token was not stored")
		}
	})
	t.Run("ErrSessionEnded", func(t *testing.T) {
		c, dir := s.device("officer.a")
		record(t, c, note(teamA, "1"))
		c.Close()
		// The stored refresh token is one already spent: presenting it
		// ends the session.
		spent := editSession(t, dir, func(m map[string]any) { m["access_token"] = "expired" })
		c = reopen(t, c, dir, fastOptions)
		pull(t, c) // refreshes: the refresh token in spent is now spent
		c.Close()
		editSession(t, dir, func(m map[string]any) {
			m["access_token"], m["refresh_token"] = "expired", spent["refresh_token"]
		})
		c = reopen(t, c, dir, fastOptions)
		if _, err := c.Push(ctx); !errors.Is(err, client.ErrLoginRequired) {
			t.Fatalf("push with a spent refresh token: %v, want ErrLoginRequired", err)
		}
		if st := status(t, c); st.QueueDepth != 1 {
			t.Fatalf("queue %d after the session ended, want 1", st.QueueDepth)
		}
		if err := c.Login(ctx, demo.Password); err != nil {
			t.Fatal(err)
		}
		if rep := push(t, c); rep.Verdicts[wsync.Applied] != 1 {
			t.Fatalf("push after logging in again: %+v", rep)
		}
	})
}

// notes are the notes among the pulled entities of scope (which also holds
// the reference data the server publishes there).
func notes(c *client.Client, scope string) []wsync.Change {
	var out []wsync.Change
	for _, ch := range c.Entities(scope) {
		if ch.EntityType == "note" {
			out = append(out, ch)
		}
	}
	return out
}

// editSession changes session.json and returns it as it was.
func editSession(t *testing.T, dir string, edit func(map[string]any)) map[string]any {
	t.Helper()
	path := filepath.Join(dir, "session.json")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var was, m map[string]any
	json.Unmarshal(b, &was)
	json.Unmarshal(b, &m)
	edit(m)
	b, _ = json.Marshal(m)
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return was
}

func copyDir(t *testing.T, dir string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		out[e.Name()] = b
	}
	return out
}

func restoreDir(t *testing.T, files map[string][]byte, dir string) {
	t.Helper()
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func mapsEqual[K comparable, V comparable](a, b map[K]V) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// sameJSON reports whether a and b are the same JSON value, or both absent
// (the API sends no state for note.put@1: the contract types the state of
// its own mutations only).
func sameJSON(a, b []byte) bool {
	if len(a) == 0 && len(b) == 0 {
		return true
	}
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	return reflect.DeepEqual(x, y)
}
