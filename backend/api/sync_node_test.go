package api_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/openapi"
)

// node runs testdata/nodephone/phone.mjs with command, input on its stdin,
// and decodes its output into out (when not nil); it returns the output.
func node(t *testing.T, command string, input any, out any) []byte {
	t.Helper()
	bin, err := exec.LookPath("node")
	if err != nil {
		t.Fatal("node is not on PATH: this test signs as a phone written in JavaScript, with node:crypto (Node.js 20 or later), " +
			"which every machine of this project has; install it")
	}
	cmd := exec.Command(bin, "testdata/nodephone/phone.mjs", command)
	if input != nil {
		b, _ := json.Marshal(input)
		cmd.Stdin = bytes.NewReader(b)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("node phone.mjs %s: %v\n%s", command, err, stderr.String())
	}
	if out != nil {
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("node phone.mjs %s printed %s: %v", command, b, err)
		}
	}
	return b
}

// TestSyncPush_NodePhone: a phone written in JavaScript generates its key,
// signs its acts with node:crypto and writes its wall times as JavaScript
// does (toISOString: "….120Z", "….000Z"), or with nine digits, and its
// args pretty-printed. Pushed through the real API, every act is applied:
// the server verifies the exact text sent, not its own formatting of it.
func TestSyncPush_NodePhone(t *testing.T) {
	f := newFixture(t, options{demo: true})
	var keys struct {
		PublicKey  string `json:"public_key"`
		PrivateKey string `json:"private_key"`
	}
	node(t, "keygen", nil, &keys)
	pub, err := base64.StdEncoding.DecodeString(keys.PublicKey)
	if err != nil || len(pub) != ed25519.PublicKeySize {
		t.Fatalf("node's public key %q: %v", keys.PublicKey, err)
	}
	p := registerPhone(t, f, "officer.a", pub)
	var block openapi.NumberBlock
	f.client.PostJSON("/v1/number-blocks", `{"doc_type":"penalty_decision","count":3}`, p.token).JSON(t, &block)

	type nodeMutation struct {
		Seq         int64             `json:"seq"`
		EntityID    string            `json:"entity_id"`
		Name        string            `json:"name"`
		Args        inspection.Record `json:"args"`
		WallMS      int64             `json:"wall_ms"`
		SubMSNanos  *int              `json:"sub_ms_ns,omitempty"`
		SinceBootMS int64             `json:"since_boot_ms"`
	}
	nanos := 456780
	walls := []struct {
		at    time.Time
		sub   *int
		wants string
	}{
		{time.Date(2026, 12, 1, 9, 30, 0, 120e6, time.UTC), nil, "2026-12-01T09:30:00.120Z"},          // Go would write .12Z
		{time.Date(2026, 12, 1, 9, 31, 0, 0, time.UTC), nil, "2026-12-01T09:31:00.000Z"},              // Go would write 09:31:00Z
		{time.Date(2026, 12, 1, 9, 32, 0, 100e6, time.UTC), &nanos, "2026-12-01T09:32:00.100456780Z"}, // Go would write .10045678Z
	}
	var ms []nodeMutation
	for i, w := range walls {
		r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00").Add(time.Duration(i)*time.Hour), []string{"a-cg-03", "a-sj-01", "a-sj-02"},
			fmt.Sprintf("%s%d", block.Prefix, block.First+int64(i)))
		ms = append(ms, nodeMutation{Seq: int64(i + 1), EntityID: r.ID, Name: inspection.MutationRecord, Args: r,
			WallMS: w.at.UnixMilli(), SubMSNanos: w.sub, SinceBootMS: 3_600_000 + int64(i)})
	}
	body := node(t, "push", map[string]any{"device_id": p.id, "private_key": keys.PrivateKey, "mutations": ms}, nil)
	for _, w := range walls {
		if !strings.Contains(string(body), `"wall":"`+w.wants+`"`) {
			t.Fatalf("the node phone did not write %s: %s", w.wants, body)
		}
	}

	res := f.client.PostJSON("/v1/sync/push", string(body), p.token)
	if res.Status != http.StatusOK {
		t.Fatalf("push: %d %s", res.Status, res.Body)
	}
	var out openapi.PushResponse
	res.JSON(t, &out)
	if len(out.Results) != len(ms) || out.LastAppliedSeq != int64(len(ms)) {
		t.Fatalf("push = %+v", out)
	}
	for i, r := range out.Results {
		if r.Verdict != "applied" {
			t.Fatalf("mutation %d: %s %+v", i+1, r.Verdict, r.Problem)
		}
	}
	// The act is kept as signed: the wall's text and the args' bytes.
	for i, w := range walls {
		var text, args string
		if err := f.db.SQL.QueryRow(`SELECT clock_wall_text, convert_from(args, 'UTF8') FROM sync_mutations WHERE device_id = $1 AND seq = $2`,
			p.id, i+1).Scan(&text, &args); err != nil {
			t.Fatal(err)
		}
		if text != w.wants || !strings.Contains(args, "\n  \"id\": ") {
			t.Fatalf("stored act %d: wall %q, args %.40q…; want %q and node's pretty-printed args", i+1, text, args, w.wants)
		}
	}
}
