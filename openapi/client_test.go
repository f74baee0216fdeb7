package openapi_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
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

// clientProgram is a phone's push, pull and online round trip with the
// generated client: it compiles only while the contract types them end to
// end (a typed InspectionRecord in a push, a typed Inspection out of a
// push result, a pulled change and an online create).
const clientProgram = `package main

import (
	"context"
	"fmt"
	"os"

	"github.com/google/uuid"

	client "github.com/whistle/whistle/openapi/CLIENTDIR/client"
)

func main() {
	ctx := context.Background()
	c, err := client.NewClientWithResponses("http://127.0.0.1:8080")
	if err != nil {
		panic(err)
	}
	rec := client.InspectionRecord{Id: uuid.New(), TeamCode: "team-st-a", MatterCodes: []string{"CG-002"}, Findings: "",
		Crew: []client.CrewCheckIn{}, Measures: []client.MeasureTaken{}, Evidence: []client.ExpectedEvidence{}}
	tier := client.TierOnsiteInspection
	rec.PhoneTier = &tier

	// Push: the args of a mutation are a typed InspectionRecord.
	var m client.Mutation
	if err := m.FromInspectionRecordMutation(client.InspectionRecordMutation{
		Seq: 1, EntityId: rec.Id, Name: client.InspectionRecord1, Args: rec,
		Clock: client.DeviceClock{SinceBootMs: 5000}, Signature: []byte("signed")}); err != nil {
		panic(err)
	}
	pushed, err := c.SyncPushWithResponse(ctx, client.SyncPushJSONRequestBody{Mutations: []client.Mutation{m}})
	if err != nil || pushed.JSON200 == nil {
		fmt.Fprintln(os.Stderr, "push:", err)
		return
	}
	var held *client.Inspection = pushed.JSON200.Results[0].State
	_ = held

	// Pull: a change of an inspection has a typed Inspection as its state.
	pulled, err := c.SyncPullWithResponse(ctx, client.SyncPullJSONRequestBody{Cursors: map[string]int64{}})
	if err != nil || pulled.JSON200 == nil {
		fmt.Fprintln(os.Stderr, "pull:", err)
		return
	}
	for _, sc := range pulled.JSON200.Scopes {
		for _, ch := range sc.Changes {
			v, err := ch.ValueByDiscriminator()
			if err != nil {
				panic(err)
			}
			switch ch := v.(type) {
			case client.InspectionChange:
				var st *client.Inspection = ch.State
				var tier *client.Tier = st.Record.PhoneTier
				_ = tier
			case client.MemberChange:
				var _ *client.Member = ch.State
			case client.NumberBlockChange:
				var _ *client.NumberBlock = ch.State
			}
		}
	}

	// Online: record, then read it back, typed both ways.
	key := client.IdempotencyKey(rec.Id.String()) // a retried create answers the kept answer
	created, err := c.RecordInspectionWithResponse(ctx, &client.RecordInspectionParams{IdempotencyKey: &key}, rec)
	if err != nil || created.JSON201 == nil {
		fmt.Fprintln(os.Stderr, "record:", err)
		return
	}
	var st client.Inspection = *created.JSON201
	got, err := c.GetInspectionWithResponse(ctx, st.Record.Id)
	if err == nil && got.JSON200 != nil {
		var _ client.InspectionRecord = got.JSON200.Record
	}

	// A problem's code is one of the contract's.
	var _ client.ProblemCode = client.ProblemCodeValidationFailed
}
`

// TestGeneratedClient generates a typed client from openapi.yaml and
// compiles a push, a pull and an inspection round trip with it, so that the
// test fails when the contract loses a type a phone team relies on.
func TestGeneratedClient(t *testing.T) {
	// Inside the module (so that its go.mod resolves the client's imports),
	// in a directory the go tool's ./... patterns skip.
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
	run := func(cmdDir string, args ...string) {
		t.Helper()
		cmd := exec.Command("go", args...)
		cmd.Dir = cmdDir
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("go %v: %v\n%s", args, err, out)
		}
	}
	spec, err := filepath.Abs("openapi.yaml")
	if err != nil {
		t.Fatal(err)
	}
	run(filepath.Join(dir, "client"), "tool", "oapi-codegen", "-config", "cfg.yaml", spec)
	write(filepath.Join(dir, "phone", "main.go"), strings.ReplaceAll(clientProgram, "CLIENTDIR", name))
	run(".", "vet", "./"+name+"/client", "./"+name+"/phone")
}
