package api_test

import (
	"encoding/base64"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// clientConfig generates what a phone team generates: oapi-codegen's
// client and models, every operation included (the tus uploads too).
const clientConfig = `package: client
output: client.gen.go
generate:
  client: true
  models: true
output-options:
  skip-prune: true
`

// clientProgram is a phone's push, pull and online round trip through the
// generated client, against the server named by WHISTLE_URL. It compiles
// only while the contract types them end to end (a typed InspectionRecord
// in a push, a typed Inspection out of a push result and of a pulled
// change, an online create and read), and exits non-zero, saying why, when
// a typed answer is not what the phone relies on.
const clientProgram = `package main

import (
	"context"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os"

	"github.com/google/uuid"

	wsync "github.com/whistle/whistle/sync"
	client "github.com/whistle/whistle/backend/api/CLIENTDIR/client"
)

func fail(format string, args ...any) {
	fmt.Fprintf(os.Stderr, format+"\n", args...)
	os.Exit(1)
}

func record(env string) client.InspectionRecord {
	var rec client.InspectionRecord
	if err := json.Unmarshal([]byte(os.Getenv(env)), &rec); err != nil {
		fail("%s: %v", env, err)
	}
	return rec
}

func main() {
	ctx := context.Background()
	token, device := os.Getenv("WHISTLE_TOKEN"), os.Getenv("WHISTLE_DEVICE")
	key, _ := base64.StdEncoding.DecodeString(os.Getenv("WHISTLE_KEY"))
	c, err := client.NewClientWithResponses(os.Getenv("WHISTLE_URL"), client.WithRequestEditorFn(
		func(_ context.Context, r *http.Request) error { r.Header.Set("Authorization", "Bearer "+token); return nil }))
	if err != nil {
		fail("client: %v", err)
	}

	// Push: the args of a mutation are a typed InspectionRecord, signed
	// over the bytes the client sends.
	rec := record("WHISTLE_PUSHED")
	args, _ := json.Marshal(rec)
	wall := rec.StartedAt.Wall.UTC()
	signed := wsync.Sign(ed25519.PrivateKey(key), device, wsync.Mutation{Seq: 1, EntityID: rec.Id.String(), Name: "inspection.record@1",
		Args: args, Clock: wsync.Clock{Wall: wsync.WallAt(wall), SinceBootMS: 5000}})
	var m client.Mutation
	if err := m.FromInspectionRecordMutation(client.InspectionRecordMutation{
		Seq: 1, EntityId: rec.Id, Name: client.InspectionRecord1, Args: rec,
		Clock: client.DeviceClock{Wall: wall, SinceBootMs: 5000}, Signature: signed.Signature}); err != nil {
		fail("mutation: %v", err)
	}
	pushed, err := c.SyncPushWithResponse(ctx, client.SyncPushJSONRequestBody{Mutations: []client.Mutation{m}})
	if err != nil || pushed.JSON200 == nil {
		fail("push: %v %d %s", err, pushed.StatusCode(), pushed.Body)
	}
	res := pushed.JSON200.Results
	if len(res) != 1 || res[0].Verdict != client.MutationResultVerdictAcceptedWithExceptions || res[0].State == nil {
		fail("push results %+v, want the record kept with its exceptions", res)
	}
	var held *client.Inspection = res[0].State
	if held.Record.Id != rec.Id || held.Review != client.InspectionReviewPending || len(held.Assessment.Exceptions) == 0 {
		fail("pushed state %+v", held)
	}
	fmt.Println("push:", res[0].Verdict, held.Record.Id)

	// Pull: a change of an inspection has a typed Inspection as its state;
	// pull again with the new cursors until complete.
	cursors, pulledIt := map[string]int64{}, false
	for range 20 {
		pulled, err := c.SyncPullWithResponse(ctx, client.SyncPullJSONRequestBody{Cursors: cursors})
		if err != nil || pulled.JSON200 == nil {
			fail("pull: %v %d %s", err, pulled.StatusCode(), pulled.Body)
		}
		for _, sc := range pulled.JSON200.Scopes {
			cursors[sc.Scope] = sc.Cursor
			for _, ch := range sc.Changes {
				v, err := ch.ValueByDiscriminator()
				if err != nil {
					fail("pulled change: %v", err)
				}
				switch ch := v.(type) {
				case client.InspectionChange:
					var st *client.Inspection = ch.State
					if st != nil && st.Record.Id == rec.Id {
						var tier *client.Tier = st.Record.PhoneTier
						if tier == nil || *tier != *rec.PhoneTier {
							fail("pulled tier %v, pushed %v", tier, rec.PhoneTier)
						}
						pulledIt = true
					}
				case client.MemberChange:
					var _ *client.Member = ch.State
				case client.NumberBlockChange:
					var _ *client.NumberBlock = ch.State
				}
			}
		}
		if pulled.JSON200.Complete {
			break
		}
	}
	if !pulledIt {
		fail("the pushed record was not pulled back")
	}
	fmt.Println("pull:", rec.Id)

	// Online: record, then read it back, typed both ways; a retry with the
	// same Idempotency-Key answers the kept answer.
	online := record("WHISTLE_ONLINE")
	ikey := client.IdempotencyKey(online.Id.String())
	for try := range 2 {
		created, err := c.RecordInspectionWithResponse(ctx, &client.RecordInspectionParams{IdempotencyKey: &ikey}, online)
		if err != nil || created.JSON201 == nil || created.JSON201.Record.Id != online.Id {
			fail("record (try %d): %v %d %s", try, err, created.StatusCode(), created.Body)
		}
	}
	got, err := c.GetInspectionWithResponse(ctx, online.Id)
	if err != nil || got.JSON200 == nil {
		fail("get: %v %d %s", err, got.StatusCode(), got.Body)
	}
	var back client.InspectionRecord = got.JSON200.Record
	if back.Id != online.Id || back.TeamCode != online.TeamCode || got.HTTPResponse.Header.Get("ETag") == "" {
		fail("read back %+v (ETag %q)", back, got.HTTPResponse.Header.Get("ETag"))
	}
	fmt.Println("online:", back.Id)

	// A problem's code is one of the contract's.
	missing, err := c.GetInspectionWithResponse(ctx, uuid.New())
	if err != nil || missing.ApplicationproblemJSON404 == nil || missing.ApplicationproblemJSON404.Code != client.ProblemCodeNotFound {
		fail("get of no record: %v %d %s", err, missing.StatusCode(), missing.Body)
	}
}
`

// TestGeneratedClient generates a typed client from openapi.yaml as a
// phone team does, and drives a push, a pull and an online round trip
// with it against the API served on a real socket, checking the typed
// answers: it fails when the contract loses a type a phone relies on, or
// when the server answers what the generated types cannot read.
func TestGeneratedClient(t *testing.T) {
	f := newFixture(t, options{demo: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = f.app.Listener(ln) }()
	t.Cleanup(func() { _ = f.app.Shutdown() })
	officer := newPhone(t, f, "officer.a")

	// Inside the module (so that its go.mod resolves the client's
	// imports), in a directory the go tool's ./... patterns skip.
	dir, err := os.MkdirTemp(".", "_clienttest")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	name := filepath.Base(dir)
	write := func(path, text string) {
		t.Helper()
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write(filepath.Join(dir, "client", "cfg.yaml"), clientConfig)
	run := func(cmdDir string, env []string, args ...string) string {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir, cmd.Env = cmdDir, append(os.Environ(), env...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	spec, err := filepath.Abs("../../openapi/openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	run(filepath.Join(dir, "client"), nil, "tool", "oapi-codegen", "-config", "cfg.yaml", spec)
	write(filepath.Join(dir, "phone", "main.go"), strings.ReplaceAll(clientProgram, "CLIENTDIR", name))

	act := f.story.At("2026-11-10T10:00:00+08:00")
	pushed, _ := json.Marshal(marketInspection(act, []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-CLIENT-1"))
	online, _ := json.Marshal(marketInspection(act.Add(time.Hour), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-CLIENT-2"))
	out := run(".", []string{
		"WHISTLE_URL=http://" + ln.Addr().String(), "WHISTLE_TOKEN=" + officer.token, "WHISTLE_DEVICE=" + officer.id,
		"WHISTLE_KEY=" + base64.StdEncoding.EncodeToString(officer.key),
		"WHISTLE_PUSHED=" + string(pushed), "WHISTLE_ONLINE=" + string(online),
	}, "run", "./"+name+"/phone")
	t.Logf("the phone program:\n%s", out)
	for _, want := range []string{"push: accepted_with_exceptions", "pull:", "online:"} {
		if !strings.Contains(out, want) {
			t.Fatalf("the phone program said %q, want %q", out, want)
		}
	}
}
