package sync_test

import (
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"testing"
	"time"

	wsync "github.com/whistle/whistle/sync"
)

// signingVectors are the test vectors the contract publishes (openapi.yaml,
// schema Mutation): a phone written in any language checks its signing
// against them (backend/api/testdata/nodephone is a phone in JavaScript
// that signs the same way, pushed in backend/api's tests).
var signingVectors = []struct {
	name      string
	seed      string // Ed25519 private key seed, hex
	device    string
	mutation  string // as sent, without its signature
	signature string // hex
}{
	{
		name:      "MillisecondsEndingInZero", // JavaScript's toISOString
		seed:      "0101010101010101010101010101010101010101010101010101010101010101",
		device:    "5b0c6d0e-8f4a-4f5e-9c1d-2a3b4c5d6e7f",
		mutation:  `{"seq":1,"entity_id":"0b5c1a52-0000-4000-8000-00000000000a","name":"inspection.record@1","args":{"id":"0b5c1a52-0000-4000-8000-00000000000a","note":"中文"},"clock":{"wall":"2026-12-01T09:30:00.120Z","since_boot_ms":5000}}`,
		signature: "27e484fbdb78022906ef6e0ac5c0d7d01581905349ba42a7fc6eed21ba60fd0f591c6590c029825c66c28c6e1909e7c4a8097952ebd2dbf81f0504f4f2921c08",
	},
	{
		name:      "NanosecondsWithOffset",
		seed:      "0202020202020202020202020202020202020202020202020202020202020202",
		device:    "5b0c6d0e-8f4a-4f5e-9c1d-2a3b4c5d6e7f",
		mutation:  `{"seq":42,"entity_id":"0b5c1a52-0000-4000-8000-00000000000b","name":"inspection.amend@1","args":{"base_version":1, "reason":"fix"},"clock":{"wall":"2026-12-01T17:30:00.123456780+08:00","since_boot_ms":86400000}}`,
		signature: "c4577e44f7656420ad8d6c589a3dd041b64b46adbd7df9332565e17bea4230daa36b8d7ebe916c82ee59b99acbc855a6820192d2684460eec4704eaefff93d0c",
	},
}

func TestSigningMessage_Vectors(t *testing.T) {
	for _, v := range signingVectors {
		t.Run(v.name, func(t *testing.T) {
			seed, _ := hex.DecodeString(v.seed)
			key := ed25519.NewKeyFromSeed(seed)
			var m wsync.Mutation
			if err := json.Unmarshal([]byte(v.mutation), &m); err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(wsync.Sign(key, v.device, m).Signature); got != v.signature {
				t.Fatalf("signature = %s, want %s", got, v.signature)
			}
			m.Signature, _ = hex.DecodeString(v.signature)
			if !wsync.Verify(key.Public().(ed25519.PublicKey), v.device, m) {
				t.Fatal("the published signature does not verify")
			}
			// The wall text travels unchanged: the Go client stores and
			// resends it as read.
			b, err := json.Marshal(m.Clock)
			if err != nil {
				t.Fatal(err)
			}
			var again wsync.Clock
			if err := json.Unmarshal(b, &again); err != nil || again.Wall.String() != m.Clock.Wall.String() {
				t.Fatalf("re-encoded, the clock is %s: %v", b, err)
			}
		})
	}
}

func TestWall(t *testing.T) {
	tests := []struct {
		name, text string
		want       time.Time
		wantErr    bool
	}{
		{"OKMillisecondsEndingInZero", "2026-12-01T09:30:00.120Z", time.Date(2026, 12, 1, 9, 30, 0, 120e6, time.UTC), false},
		{"OKNineDigits", "2026-12-01T09:30:00.123456789Z", time.Date(2026, 12, 1, 9, 30, 0, 123456789, time.UTC), false},
		{"OKOffset", "2026-12-01T17:30:00+08:00", time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC), false},
		{"ErrNotRFC3339", "2026-12-01 09:30:00", time.Time{}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var w wsync.Wall
			err := json.Unmarshal([]byte(`"`+tt.text+`"`), &w)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil {
				return
			}
			if w.String() != tt.text || !w.Time().Equal(tt.want) || w.Time().Location() != time.UTC {
				t.Fatalf("read %q as %q at %v, want the text kept and %v", tt.text, w.String(), w.Time(), tt.want)
			}
			if b, _ := json.Marshal(w); string(b) != `"`+tt.text+`"` {
				t.Fatalf("written back as %s", b)
			}
		})
	}
	if w := wsync.WallAt(time.Date(2026, 12, 1, 17, 30, 0, 120e6, time.FixedZone("CST", 8*3600))); w.String() != "2026-12-01T09:30:00.12Z" {
		t.Fatalf("WallAt = %q, want Go's RFC 3339 in UTC", w)
	}
}
