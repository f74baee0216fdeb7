package sync_test

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"testing"
	"time"

	wsync "github.com/whistle/whistle/sync"
)

// fuzzKey is a fixed device key, so that the seed corpus holds valid signatures.
var fuzzKey = ed25519.NewKeyFromSeed(bytes.Repeat([]byte{7}, ed25519.SeedSize))

const fuzzDevice = "5b0c6d0e-8f4a-4f5e-9c1d-2a3b4c5d6e7f"

func fuzzDev() wsync.Device {
	return wsync.Device{ID: fuzzDevice, UserID: "u", PublicKey: fuzzKey.Public().(ed25519.PublicKey)}
}

func signedBody(t testing.TB, args ...string) []byte {
	var ms []wsync.Mutation
	for i, a := range args {
		m := wsync.Mutation{Seq: int64(i + 1), EntityID: "0b5c1a52-0000-4000-8000-00000000000a", Name: "inspection.record@1",
			Args: json.RawMessage(a), Clock: wsync.Clock{Wall: wsync.WallAt(time.Date(2026, 11, 10, 2, 0, 0, 123456000, time.UTC)), SinceBootMS: 5000}}
		ms = append(ms, wsync.Sign(fuzzKey, fuzzDevice, m))
	}
	b, err := json.Marshal(map[string]any{"mutations": ms})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// FuzzPushBody decodes arbitrary push bodies as the API does and checks
// them: never a panic, and a batch that passes Check verifies mutation by
// mutation with the device's key.
func FuzzPushBody(f *testing.F) {
	valid := signedBody(f, `{"id":"x","n":1}`, `{"team_code":"team-st-a","text":"<b>中文</b>"}`)
	f.Add(valid)
	f.Add(bytes.Replace(valid, []byte(`"n":1`), []byte(`"n":2`), 1)) // args changed after signing
	f.Add(bytes.Replace(valid, []byte(`"seq":2`), []byte(`"seq":1`), 1))
	f.Add(bytes.Replace(valid, []byte(`2026-11-10`), []byte(`2026-11-11`), 1))
	f.Add(valid[:len(valid)/2])
	f.Add([]byte(`{"mutations":[]}`))
	f.Add([]byte(`{"mutations":null}`))
	f.Add([]byte(`{"mutations":[{"seq":-1,"signature":"AAAA"}]}`))
	f.Add([]byte(`{"mutations":[{"seq":9223372036854775807,"entity_id":"0b5c1a52-0000-4000-8000-00000000000a","name":"a.b@1","args":{},"clock":{"wall":"0001-01-01T00:00:00Z"},"signature":""}]}`))
	f.Add([]byte(`[1,2,3]`))
	f.Add([]byte{0xff, 0xfe})
	dev := fuzzDev()
	f.Fuzz(func(t *testing.T, body []byte) {
		var req struct {
			Mutations []wsync.Mutation `json:"mutations"`
		}
		if json.Unmarshal(body, &req) != nil {
			return
		}
		if err := wsync.Check(dev, req.Mutations); err != nil {
			return
		}
		for _, m := range req.Mutations {
			if !wsync.Verify(dev.PublicKey, dev.ID, m) {
				t.Fatalf("Check passed mutation %d whose signature does not verify", m.Seq)
			}
			if !wsync.ValidName(m.Name) || !json.Valid(m.Args) || m.Seq < 1 {
				t.Fatalf("Check passed a malformed mutation %+v", m)
			}
		}
	})
}

// FuzzVerify signs arbitrary mutations and checks that the signature
// verifies, and that a flipped bit of the signature, changed args, another
// sequence number or another device never do; and that arbitrary bytes as
// a signature or key never panic.
func FuzzVerify(f *testing.F) {
	f.Add(int64(1), "0b5c1a52-0000-4000-8000-00000000000a", "inspection.record@1", []byte(`{"a":1}`), int64(1790000000000000000), int64(5000), uint16(0), []byte("x"))
	f.Add(int64(0), "", "", []byte{}, int64(0), int64(-1), uint16(511), []byte{})
	f.Add(int64(-9), "é", "a.b@1", []byte(`{"a":"<&>"}`), int64(-1), int64(1<<62), uint16(77), bytes.Repeat([]byte{1}, 64))
	pub := fuzzKey.Public().(ed25519.PublicKey)
	f.Fuzz(func(t *testing.T, seq int64, entity, name string, args []byte, wall, boot int64, flip uint16, extra []byte) {
		m := wsync.Mutation{Seq: seq, EntityID: entity, Name: name, Args: args,
			Clock: wsync.Clock{Wall: wsync.WallAt(time.Unix(0, wall)), SinceBootMS: boot}}
		m = wsync.Sign(fuzzKey, fuzzDevice, m)
		if !wsync.Verify(pub, fuzzDevice, m) {
			t.Fatal("a signed mutation does not verify")
		}
		bad := m
		bad.Signature = bytes.Clone(m.Signature)
		bad.Signature[int(flip)%len(bad.Signature)] ^= 1 << (flip / 64 % 8)
		if wsync.Verify(pub, fuzzDevice, bad) {
			t.Fatal("a signature with a flipped bit verifies")
		}
		bad = m
		bad.Args = append(bytes.Clone(args), extra...)
		if len(extra) == 0 {
			bad.Args = append(bad.Args, ' ')
		}
		if wsync.Verify(pub, fuzzDevice, bad) {
			t.Fatal("changed args verify")
		}
		bad = m
		bad.Seq++
		if wsync.Verify(pub, fuzzDevice, bad) {
			t.Fatal("another sequence number verifies")
		}
		if wsync.Verify(pub, fuzzDevice+"x", m) {
			t.Fatal("the signature verifies for another device")
		}
		// Arbitrary bytes as signature and as key: no panic, and no
		// signature but the device's own passes.
		bad = m
		bad.Signature = extra
		if wsync.Verify(pub, fuzzDevice, bad) && !bytes.Equal(extra, m.Signature) {
			t.Fatal("arbitrary bytes verify as a signature")
		}
		if len(extra) != ed25519.PublicKeySize && wsync.Verify(ed25519.PublicKey(extra), fuzzDevice, m) {
			t.Fatal("a key of the wrong size verifies")
		}
	})
}
