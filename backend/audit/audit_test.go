package audit_test

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/derrors"
)

var t0 = time.Date(2025, 3, 14, 9, 26, 53, 589793000, time.UTC)

// chain returns n correctly linked entries of the named chain.
func chain(name string, n int) []audit.Entry {
	var out []audit.Entry
	prev := audit.GenesisHash
	for i := 1; i <= n; i++ {
		e := audit.Entry{
			ID:           int64(100 + i),
			Seq:          int64(i),
			Chain:        name,
			At:           t0.Add(time.Duration(i) * time.Second),
			ActorUserID:  "6f1c7a52-3b7e-4a43-9b1e-0c9f6f3d2a11",
			DeviceID:     "0b3a4f4e-52c1-4df3-8f0e-7c3a2d9b6e55",
			RequestID:    fmt.Sprintf("req-%d", i),
			Action:       "certificate.suspend",
			EntityType:   "certificate",
			EntityID:     fmt.Sprintf("cert-%d", i),
			BeforeDigest: strings.Repeat("a", 64),
			AfterDigest:  strings.Repeat("b", 64),
			PrevHash:     prev,
		}
		e.Hash = e.ComputeHash()
		prev = e.Hash
		out = append(out, e)
	}
	return out
}

// rehash recomputes the hashes and links of entries from index i on, as a
// tamperer who can write the table would.
func rehash(entries []audit.Entry, i int) {
	for ; i < len(entries); i++ {
		if i > 0 {
			entries[i].PrevHash = entries[i-1].Hash
		}
		entries[i].Hash = entries[i].ComputeHash()
	}
}

func TestEntry_ComputeHash(t *testing.T) {
	base := chain("street-1", 1)[0]
	// Every hashed field, changed; the hash must change with each.
	tests := []struct {
		name   string
		change func(e *audit.Entry)
	}{
		{"Seq", func(e *audit.Entry) { e.Seq++ }},
		{"Chain", func(e *audit.Entry) { e.Chain = "street-2" }},
		{"At", func(e *audit.Entry) { e.At = e.At.Add(time.Microsecond) }},
		{"ActorUserID", func(e *audit.Entry) { e.ActorUserID = "" }},
		{"DeviceID", func(e *audit.Entry) { e.DeviceID = "" }},
		{"RequestID", func(e *audit.Entry) { e.RequestID += "x" }},
		{"Action", func(e *audit.Entry) { e.Action = "certificate.revoke" }},
		{"EntityType", func(e *audit.Entry) { e.EntityType = "officer" }},
		{"EntityID", func(e *audit.Entry) { e.EntityID = "cert-2" }},
		{"BeforeDigest", func(e *audit.Entry) { e.BeforeDigest = "" }},
		{"AfterDigest", func(e *audit.Entry) { e.AfterDigest = strings.Repeat("c", 64) }},
		{"PrevHash", func(e *audit.Entry) { e.PrevHash = strings.Repeat("1", 64) }},
		// Moving bytes from one field to the next must not collide.
		{"FieldBoundary", func(e *audit.Entry) { e.EntityType, e.EntityID = "certificatec", "ert-1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := base
			tt.change(&e)
			if e.ComputeHash() == base.Hash {
				t.Fatalf("hash unchanged after changing %s", tt.name)
			}
		})
	}
	t.Run("OK", func(t *testing.T) {
		e := base
		e.ID = 999 // the store's position is not part of the entry
		e.Hash = "anything"
		if got := e.ComputeHash(); got != base.Hash || !audit.IsHexSHA256(got) {
			t.Fatalf("hash = %s, want %s", got, base.Hash)
		}
		// The same instant in another location hashes alike.
		e.At = e.At.In(time.FixedZone("CST", 8*3600))
		if e.ComputeHash() != base.Hash {
			t.Fatal("hash depends on the location of At")
		}
	})
	t.Run("OKJSONRoundTrip", func(t *testing.T) {
		b, err := json.Marshal(base)
		if err != nil {
			t.Fatal(err)
		}
		var back audit.Entry
		if err := json.Unmarshal(b, &back); err != nil {
			t.Fatal(err)
		}
		if back.ComputeHash() != base.Hash {
			t.Fatalf("hash changed through JSON: %s", b)
		}
	})
}

func TestVerify(t *testing.T) {
	tests := []struct {
		name    string
		entries func() []audit.Entry
		want    *audit.Break // Detail is not compared
	}{
		{"OK", func() []audit.Entry { return chain("a", 10) }, nil},
		{"OKEmpty", func() []audit.Entry { return nil }, nil},
		{"OKInterleavedChains", func() []audit.Entry {
			a, b := chain("a", 5), chain("b", 5)
			var out []audit.Entry
			for i := range a {
				out = append(out, a[i], b[i])
			}
			return out
		}, nil},
		{"ErrModifiedField", func() []audit.Entry {
			es := chain("a", 10)
			es[6].Action = "certificate.reinstate"
			return es
		}, &audit.Break{Chain: "a", Seq: 7, Reason: audit.ReasonHash}},
		{"ErrModifiedFieldRehashed", func() []audit.Entry {
			es := chain("a", 10)
			es[6].Action = "certificate.reinstate"
			es[6].Hash = es[6].ComputeHash()
			return es
		}, &audit.Break{Chain: "a", Seq: 8, Reason: audit.ReasonPrevHash}},
		{"ErrDeletedMiddle", func() []audit.Entry {
			es := chain("a", 10)
			return slices.Delete(es, 4, 5) // seq 5
		}, &audit.Break{Chain: "a", Seq: 5, Reason: audit.ReasonGap}},
		{"ErrDeletedFirst", func() []audit.Entry {
			return chain("a", 3)[1:]
		}, &audit.Break{Chain: "a", Seq: 1, Reason: audit.ReasonGap}},
		{"ErrSwapped", func() []audit.Entry {
			es := chain("a", 10)
			es[3], es[4] = es[4], es[3]
			return es
		}, &audit.Break{Chain: "a", Seq: 4, Reason: audit.ReasonGap}},
		{"ErrSwappedRenumbered", func() []audit.Entry {
			// Contents of seq 4 and 5 swapped, each keeping its position's seq.
			es := chain("a", 10)
			es[3], es[4] = es[4], es[3]
			es[3].Seq, es[4].Seq = 4, 5
			return es
		}, &audit.Break{Chain: "a", Seq: 4, Reason: audit.ReasonPrevHash}},
		{"ErrWrongPrevHash", func() []audit.Entry {
			es := chain("a", 10)
			es[2].PrevHash = strings.Repeat("f", 64)
			es[2].Hash = es[2].ComputeHash()
			return es
		}, &audit.Break{Chain: "a", Seq: 3, Reason: audit.ReasonPrevHash}},
		{"ErrFirstNotGenesis", func() []audit.Entry {
			es := chain("a", 3)
			es[0].PrevHash = strings.Repeat("f", 64)
			rehash(es, 0)
			return es
		}, &audit.Break{Chain: "a", Seq: 1, Reason: audit.ReasonPrevHash}},
		{"ErrInOtherChain", func() []audit.Entry {
			es := append(chain("a", 3), chain("b", 3)...)
			es[4].EntityID = "forged"
			return es
		}, &audit.Break{Chain: "b", Seq: 2, Reason: audit.ReasonHash}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := audit.Verify(tt.entries())
			if got != nil {
				t.Log(got)
				got.Detail = ""
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("Verify = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestVerifier_Expect(t *testing.T) {
	tests := []struct {
		name    string
		entries func() []audit.Entry
		want    *audit.Break
	}{
		{"OK", func() []audit.Entry { return chain("a", 10) }, nil},
		{"OKLonger", func() []audit.Entry { return chain("a", 12) }, nil},
		{"ErrTruncated", func() []audit.Entry { return chain("a", 8) }, &audit.Break{Chain: "a", Seq: 9, Reason: audit.ReasonTruncated}},
		{"ErrAllDeleted", func() []audit.Entry { return nil }, &audit.Break{Chain: "a", Seq: 1, Reason: audit.ReasonTruncated}},
		{"ErrRewritten", func() []audit.Entry {
			// Consistent by itself: only the known head betrays it.
			es := chain("a", 10)
			es[2].Action = "certificate.reinstate"
			rehash(es, 2)
			return es
		}, &audit.Break{Chain: "a", Seq: 10, Reason: audit.ReasonHead}},
	}
	known := audit.HeadOf(chain("a", 10)[9])
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := audit.NewVerifier()
			v.Expect(known)
			var got *audit.Break
			for _, e := range tt.entries() {
				if got = v.Add(e); got != nil {
					break
				}
			}
			if got == nil {
				got = v.Finish()
			}
			if got != nil {
				t.Log(got)
				got.Detail = ""
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("break = %+v, want %+v", got, tt.want)
			}
		})
	}
}

// TestVerifier_ExpectAnchored checks a chain against heads anchored in the
// bucket (at seq 6 and 10), with the chain-head row set back along with the
// deletion so that only the anchors betray it.
func TestVerifier_ExpectAnchored(t *testing.T) {
	tests := []struct {
		name    string
		entries func() []audit.Entry
		want    *audit.Break
	}{
		{"OK", func() []audit.Entry { return chain("a", 10) }, nil},
		{"OKLonger", func() []audit.Entry { return chain("a", 13) }, nil},
		{"ErrTailDeleted", func() []audit.Entry { return chain("a", 8) }, &audit.Break{Chain: "a", Seq: 10, Reason: audit.ReasonAnchorMissing}},
		{"ErrTwoAnchorsDeleted", func() []audit.Entry { return chain("a", 4) }, &audit.Break{Chain: "a", Seq: 6, Reason: audit.ReasonAnchorMissing}},
		{"ErrRewritten", func() []audit.Entry {
			es := chain("a", 10)
			es[7].Action = "certificate.reinstate"
			rehash(es, 7)
			return es
		}, &audit.Break{Chain: "a", Seq: 10, Reason: audit.ReasonAnchorHash}},
	}
	full := chain("a", 10)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := audit.NewVerifier()
			v.ExpectAnchored(audit.HeadOf(full[5]))
			v.ExpectAnchored(audit.HeadOf(full[9]))
			es := tt.entries()
			v.Expect(audit.HeadOf(es[len(es)-1])) // the head row, set back
			var got *audit.Break
			for _, e := range es {
				if got = v.Add(e); got != nil {
					break
				}
			}
			if got == nil {
				got = v.Finish()
			}
			if got != nil {
				t.Log(got)
				got.Detail = ""
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("break = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestGaps(t *testing.T) {
	es := chain("a", 10)
	heads := []audit.Head{audit.HeadOf(es[9]), audit.HeadOf(chain("b", 3)[2])}
	got := audit.Gaps(heads, []audit.Head{audit.HeadOf(es[3]), audit.HeadOf(es[6])})
	if len(got) != 2 || got[0].Anchored.Seq != 7 || got[0].Entries != 3 || got[1].Anchored.Seq != 0 || got[1].Entries != 3 {
		t.Fatalf("gaps = %+v, want a: anchored at 7, 3 entries since; b: never anchored, 3 entries", got)
	}
	if age := got[0].Age(es[6].At.Add(time.Hour)); age != time.Hour {
		t.Fatalf("age = %s, want 1h", age)
	}
}

func TestVerifier_Heads(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		v := audit.NewVerifier()
		b, a := chain("b", 2), chain("a", 3)
		for _, e := range append(b, a...) {
			if br := v.Add(e); br != nil {
				t.Fatal(br)
			}
		}
		want := []audit.Head{audit.HeadOf(a[2]), audit.HeadOf(b[1])}
		if got := v.Heads(); !reflect.DeepEqual(got, want) {
			t.Fatalf("Heads = %+v, want %+v", got, want)
		}
	})
	t.Run("OKBroken", func(t *testing.T) {
		// A broken chain's head is its last entry before the break.
		v := audit.NewVerifier()
		a, b := chain("a", 6), chain("b", 2)
		b[0].EntityID = "forged"
		a[3].Action = "forged"
		var breaks int
		for _, e := range append(a, b...) {
			if v.Add(e) != nil {
				breaks++
			}
		}
		want := []audit.Head{audit.HeadOf(a[2])}
		if got := v.Heads(); breaks != 2 || !reflect.DeepEqual(got, want) {
			t.Fatalf("%d breaks, Heads = %+v; want 2 breaks, %+v", breaks, got, want)
		}
	})
}

func TestSignedHead_Verify(t *testing.T) {
	pub, priv, err := ed25519.GenerateKey(nil)
	if err != nil {
		t.Fatal(err)
	}
	otherPub, otherPriv, _ := ed25519.GenerateKey(nil)
	head := audit.HeadOf(chain("a", 5)[4])
	tests := []struct {
		name   string
		tamper func(s *audit.SignedHead)
		want   bool
	}{
		{"OK", func(s *audit.SignedHead) {}, true},
		{"OKThroughJSON", func(s *audit.SignedHead) {
			b, _ := json.Marshal(*s)
			*s = audit.SignedHead{}
			if err := json.Unmarshal(b, s); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"ErrSeq", func(s *audit.SignedHead) { s.Seq-- }, false},
		{"ErrHash", func(s *audit.SignedHead) { s.Hash = strings.Repeat("0", 64) }, false},
		{"ErrChain", func(s *audit.SignedHead) { s.Chain = "b" }, false},
		{"ErrAt", func(s *audit.SignedHead) { s.At = s.At.Add(time.Microsecond) }, false},
		{"ErrSignature", func(s *audit.SignedHead) { s.Signature[0] ^= 1 }, false},
		{"ErrOtherKey", func(s *audit.SignedHead) { s.PublicKey = otherPub }, false},
		{"ErrShortKey", func(s *audit.SignedHead) { s.PublicKey = s.PublicKey[:10] }, false},
		{"ErrNoSignature", func(s *audit.SignedHead) { s.Signature = nil }, false},
		{"ErrSignedByOther", func(s *audit.SignedHead) { *s = audit.SignHead(otherPriv, s.Head); s.PublicKey = pub }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := audit.SignHead(priv, head)
			if !slices.Equal(s.PublicKey, pub) {
				t.Fatal("public key is not the signer's")
			}
			tt.tamper(&s)
			if got := s.Verify(); got != tt.want {
				t.Fatalf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestDigest(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		a := map[string]any{"status": "suspended", "id": "c1", "until": "2025-04-01"}
		b := map[string]any{"until": "2025-04-01", "id": "c1", "status": "suspended"}
		da, err := audit.Digest(a)
		if err != nil {
			t.Fatal(err)
		}
		db, _ := audit.Digest(b)
		if da != db || !audit.IsHexSHA256(da) {
			t.Fatalf("digests %s and %s of equal maps", da, db)
		}
		b["status"] = "active"
		if dc, _ := audit.Digest(b); dc == da {
			t.Fatal("digest unchanged by a changed value")
		}
	})
	t.Run("ErrUnencodable", func(t *testing.T) {
		if _, err := audit.Digest(make(chan int)); derrors.CodeOf(err) != derrors.Internal {
			t.Fatalf("err = %v, want internal", err)
		}
	})
}

func TestActorFrom(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		a := audit.Actor{UserID: "u", DeviceID: "d", RequestID: "r"}
		if got := audit.ActorFrom(audit.WithActor(context.Background(), a)); got != a {
			t.Fatalf("ActorFrom = %+v, want %+v", got, a)
		}
	})
	t.Run("OKNone", func(t *testing.T) {
		if got := audit.ActorFrom(context.Background()); got != (audit.Actor{}) {
			t.Fatalf("ActorFrom = %+v, want the zero actor", got)
		}
	})
}

func TestEntry_Validate(t *testing.T) {
	ok := audit.Entry{Chain: audit.DistrictChain, Action: "matter.create", EntityType: "matter", AfterDigest: strings.Repeat("0", 64)}
	tests := []struct {
		name      string
		change    func(e *audit.Entry)
		wantField string // "" for valid
	}{
		{"OK", func(e *audit.Entry) {}, ""},
		{"ErrNoChain", func(e *audit.Entry) { e.Chain = "" }, "chain"},
		{"ErrNoAction", func(e *audit.Entry) { e.Action = "" }, "action"},
		{"ErrNoEntityType", func(e *audit.Entry) { e.EntityType = "" }, "entity_type"},
		{"ErrBeforeDigest", func(e *audit.Entry) { e.BeforeDigest = "abc" }, "before_digest"},
		{"ErrAfterDigestUpperCase", func(e *audit.Entry) { e.AfterDigest = strings.Repeat("A", 64) }, "after_digest"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := ok
			tt.change(&e)
			err := e.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var de *derrors.Error
			if derrors.CodeOf(err) != derrors.Invalid || !errors.As(err, &de) || de.Fields[0].Field != tt.wantField {
				t.Fatalf("Validate = %v, want validation_failed on %s", err, tt.wantField)
			}
		})
	}
}

func TestFilter_Validate(t *testing.T) {
	tests := []struct {
		name      string
		f         audit.Filter
		wantField string
	}{
		{"OK", audit.Filter{Limit: audit.MaxLimit, From: t0, To: t0.Add(time.Hour)}, ""},
		{"ErrLimit", audit.Filter{Limit: audit.MaxLimit + 1}, "limit"},
		{"ErrNegativeLimit", audit.Filter{Limit: -1}, "limit"},
		{"ErrCursor", audit.Filter{After: -1}, "after"},
		{"ErrRange", audit.Filter{From: t0, To: t0}, "from"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.f.Validate()
			if tt.wantField == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			var de *derrors.Error
			if !errors.As(err, &de) || de.Code != derrors.Invalid || de.Fields[0].Field != tt.wantField {
				t.Fatalf("Validate = %v, want validation_failed on %s", err, tt.wantField)
			}
		})
	}
}

func TestAnchorKey(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		h := audit.Head{Chain: "5f0e0c1e-8a51-4bb4-9d4c-4f1c59a1f0aa", Seq: 42, Hash: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"}
		want := "audit/heads/5f0e0c1e-8a51-4bb4-9d4c-4f1c59a1f0aa/00000000000000000042-0123456789abcdef.json"
		if got := audit.AnchorKey(h); got != want {
			t.Fatalf("AnchorKey = %s, want %s", got, want)
		}
	})
	t.Run("OKEscaped", func(t *testing.T) {
		got := audit.AnchorKey(audit.Head{Chain: "a/../b", Seq: 1, Hash: "ff"})
		if strings.Count(got, "/") != 3 {
			t.Fatalf("AnchorKey = %s: the chain added path segments", got)
		}
	})
}
