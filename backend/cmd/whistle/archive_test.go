package main

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/archive"
	"github.com/whistle/whistle/backend/audit"
)

// writeTestBundle writes a bundle signed by priv to a file and returns its
// path: one original and a chain of three entries, the second the case's.
func writeTestBundle(t *testing.T, priv ed25519.PrivateKey) string {
	t.Helper()
	var entries []audit.Entry
	prev := audit.GenesisHash
	at := audit.Truncate(time.Unix(1_790_000_000, 0)) // a fixed instant: the trail's times are data here
	for seq := int64(1); seq <= 3; seq++ {
		e := audit.Entry{Chain: "st-a", Seq: seq, At: at.Add(time.Duration(seq) * time.Minute), Action: "case.note",
			EntityType: "case", EntityID: "case-1", PrevHash: prev}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		entries = append(entries, e)
	}
	var buf bytes.Buffer
	bw := archive.NewWriter(&buf)
	photo := []byte("\xff\xd8\xff not really a JPEG")
	sum := sha256.Sum256(photo)
	it, err := bw.AddEvidence(archive.EvidenceEntry{ID: "ev-1", SHA256: hex.EncodeToString(sum[:]), Length: int64(len(photo)),
		ContentType: "image/jpeg", Kind: "photo", Status: "verified"}, bytes.NewReader(photo))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bw.Add(archive.SegmentPath, func(w io.Writer) error {
		for _, e := range entries {
			if err := json.NewEncoder(w).Encode(e); err != nil {
				return err
			}
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	m := archive.Manifest{CaseID: "case-1", StreetCode: "st-a", Case: json.RawMessage(`{"id":"case-1","state":"concluded"}`),
		Evidence: []archive.EvidenceEntry{it}, Trail: archive.Trail{Chain: "st-a", Entries: entries[1:2],
			Segment: archive.Segment{Path: archive.SegmentPath, FirstSeq: 1, LastSeq: 3}, Head: audit.SignHead(priv, audit.HeadOf(entries[2]))}}
	if err := bw.Finish(m, priv); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "bundle.zip")
	if err := os.WriteFile(path, buf.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestArchiveCommand_Verify: the exit status of `whistle archive verify` is 0 for a bundle that
// verifies under the key given (--key, hex or base64, or WHISTLE_PUBLIC_KEY), 1 naming each
// failure under another key or with no key, 2 for a command line that cannot be run.
func TestArchiveCommand_Verify(t *testing.T) {
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	other, _, _ := ed25519.GenerateKey(rand.Reader)
	path := writeTestBundle(t, priv)
	for _, tc := range []struct {
		name string
		args []string
		env  map[string]string
		code int
		out  string
	}{
		{"OKHex", []string{"verify", path, "--key", hex.EncodeToString(pub)}, nil, 0, "bundle of case case-1 verifies"},
		{"OKBase64", []string{"verify", "--key=" + base64.StdEncoding.EncodeToString(pub), path}, nil, 0, "1 evidence original(s) match"},
		{"OKEnv", []string{"verify", path}, map[string]string{"WHISTLE_PUBLIC_KEY": hex.EncodeToString(pub)}, 0, "trail seq 1..3"},
		{"WrongKey", []string{"verify", path, "--key", hex.EncodeToString(other)}, nil, 1, "FAIL  manifest.json: signature invalid"},
		{"NoKey", []string{"verify", path}, nil, 1, ""},
		{"BadKey", []string{"verify", path, "--key", "not-a-key"}, nil, 1, ""},
		{"Missing", []string{"verify", filepath.Join(t.TempDir(), "none.zip"), "--key", hex.EncodeToString(pub)}, nil, 1, ""},
		{"NoBundle", []string{"verify", "--key", hex.EncodeToString(pub)}, nil, 2, ""},
		{"NoSubcommand", nil, nil, 2, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var out, stderr bytes.Buffer
			err := run(context.Background(), append([]string{"archive"}, tc.args...), func(k string) string { return tc.env[k] }, &out, &stderr)
			if code := exitCode(err, &stderr); code != tc.code {
				t.Fatalf("exit %d, want %d: %v\n%s", code, tc.code, err, out.String())
			}
			if !strings.Contains(out.String(), tc.out) {
				t.Fatalf("output %q, want %q", out.String(), tc.out)
			}
		})
	}
}

// TestArchiveCommand_Pubkey: `whistle archive pubkey` prints the public key of
// WHISTLE_SIGNING_KEY, and refuses to print one without it.
func TestArchiveCommand_Pubkey(t *testing.T) {
	seed := make([]byte, ed25519.SeedSize)
	rand.Read(seed)
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	env := map[string]string{"WHISTLE_SIGNING_KEY": base64.StdEncoding.EncodeToString(seed)}
	var out bytes.Buffer
	if err := run(context.Background(), []string{"archive", "pubkey"}, func(k string) string { return env[k] }, &out, io.Discard); err != nil {
		t.Fatal(err)
	}
	if want := base64.StdEncoding.EncodeToString(pub) + "\n" + hex.EncodeToString(pub) + "\n"; out.String() != want {
		t.Fatalf("pubkey printed %q, want %q", out.String(), want)
	}
	if err := run(context.Background(), []string{"archive", "pubkey"}, func(string) string { return "" }, io.Discard, io.Discard); exitCode(err, io.Discard) != 1 {
		t.Fatalf("pubkey without a signing key: %v", err)
	}
}
