package jwt

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
)

func TestSigner_Verify(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := NewSigner(key, 15*time.Minute, clock)

	good, err := s.Issue(identity.Claims{UserID: "u1", Role: identity.RoleOfficer, ExpiresAt: now.Add(15 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	registered := func(mut func(*gojwt.RegisteredClaims)) claims {
		c := claims{Role: "admin", RegisteredClaims: gojwt.RegisteredClaims{
			Issuer: Issuer, Subject: "u1", Audience: gojwt.ClaimStrings{Audience},
			ExpiresAt: gojwt.NewNumericDate(now.Add(time.Minute)),
			NotBefore: gojwt.NewNumericDate(now.Add(-time.Minute)),
			IssuedAt:  gojwt.NewNumericDate(now.Add(-time.Minute)),
		}}
		mut(&c.RegisteredClaims)
		return c
	}
	signEd := func(k ed25519.PrivateKey, c claims) string {
		tok, err := gojwt.NewWithClaims(gojwt.SigningMethodEdDSA, c).SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	noop := func(*gojwt.RegisteredClaims) {}

	none, err := gojwt.NewWithClaims(gojwt.SigningMethodNone, registered(noop)).SignedString(gojwt.UnsafeAllowNoneSignatureType)
	if err != nil {
		t.Fatal(err)
	}
	// The classic confusion attack: HMAC keyed with the server's public key.
	hmac, err := gojwt.NewWithClaims(gojwt.SigningMethodHS256, registered(noop)).SignedString([]byte(key.Public().(ed25519.PublicKey)))
	if err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name   string
		token  string
		wantOK bool
	}{
		{"OK", good, true},
		{"OKHandMade", signEd(key, registered(noop)), true},
		{"ErrAlgNone", none, false},
		{"ErrHMACWithPublicKey", hmac, false},
		{"ErrOtherKey", signEd(otherKey, registered(noop)), false},
		{"ErrWrongAudience", signEd(key, registered(func(r *gojwt.RegisteredClaims) { r.Audience = gojwt.ClaimStrings{"other-api"} })), false},
		{"ErrNoAudience", signEd(key, registered(func(r *gojwt.RegisteredClaims) { r.Audience = nil })), false},
		{"ErrWrongIssuer", signEd(key, registered(func(r *gojwt.RegisteredClaims) { r.Issuer = "evil" })), false},
		{"ErrExpired", signEd(key, registered(func(r *gojwt.RegisteredClaims) { r.ExpiresAt = gojwt.NewNumericDate(now.Add(-time.Second)) })), false},
		{"ErrNoExpiry", signEd(key, registered(func(r *gojwt.RegisteredClaims) { r.ExpiresAt = nil })), false},
		{"ErrNotYetValid", signEd(key, registered(func(r *gojwt.RegisteredClaims) { r.NotBefore = gojwt.NewNumericDate(now.Add(time.Minute)) })), false},
		{"ErrNoNotBefore", signEd(key, registered(func(r *gojwt.RegisteredClaims) { r.NotBefore = nil })), false},
		{"ErrNoSubject", signEd(key, registered(func(r *gojwt.RegisteredClaims) { r.Subject = "" })), false},
		{"ErrTampered", good[:len(good)-4] + "AAAA", false},
		{"ErrGarbage", "not.a.jwt", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.Verify(tt.token)
			if tt.wantOK {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if c.UserID != "u1" {
					t.Fatalf("subject = %q, want u1", c.UserID)
				}
				return
			}
			if derrors.CodeOf(err) != derrors.Unauthenticated {
				t.Fatalf("Verify err = %v, want code %q", err, derrors.Unauthenticated)
			}
		})
	}
}
