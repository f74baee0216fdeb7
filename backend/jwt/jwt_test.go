package jwt

import (
	"crypto/ed25519"
	"crypto/rand"
	"testing"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/org"
)

func TestSigner_Verify(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	_, otherKey, _ := ed25519.GenerateKey(rand.Reader)
	now := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	s := NewSigner(key, 15*time.Minute, clock)

	good, err := s.Issue(identity.Claims{UserID: "u1", Role: org.RoleOfficer, SessionID: "s1", DeviceID: "d1", ExpiresAt: now.Add(15 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	browser, err := s.Issue(identity.Claims{UserID: "u1", Role: org.RoleOfficer, SessionID: "s1", ExpiresAt: now.Add(15 * time.Minute)})
	if err != nil {
		t.Fatal(err)
	}
	registered := func(mut func(*claims)) claims {
		c := claims{Role: "admin", SessionID: "s1", RegisteredClaims: gojwt.RegisteredClaims{
			Issuer: Issuer, Subject: "u1", Audience: gojwt.ClaimStrings{Audience},
			ExpiresAt: gojwt.NewNumericDate(now.Add(time.Minute)),
			NotBefore: gojwt.NewNumericDate(now.Add(-time.Minute)),
			IssuedAt:  gojwt.NewNumericDate(now.Add(-time.Minute)),
		}}
		mut(&c)
		return c
	}
	signEd := func(k ed25519.PrivateKey, c claims) string {
		tok, err := gojwt.NewWithClaims(gojwt.SigningMethodEdDSA, c).SignedString(k)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	noop := func(*claims) {}

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
		name       string
		token      string
		wantOK     bool
		wantDevice string
	}{
		{"OK", good, true, "d1"},
		{"OKBrowser", browser, true, ""},
		{"OKHandMade", signEd(key, registered(noop)), true, ""},
		{"ErrAlgNone", none, false, ""},
		{"ErrHMACWithPublicKey", hmac, false, ""},
		{"ErrOtherKey", signEd(otherKey, registered(noop)), false, ""},
		{"ErrWrongAudience", signEd(key, registered(func(r *claims) { r.Audience = gojwt.ClaimStrings{"other-api"} })), false, ""},
		{"ErrNoAudience", signEd(key, registered(func(r *claims) { r.Audience = nil })), false, ""},
		{"ErrWrongIssuer", signEd(key, registered(func(r *claims) { r.Issuer = "evil" })), false, ""},
		{"ErrExpired", signEd(key, registered(func(r *claims) { r.ExpiresAt = gojwt.NewNumericDate(now.Add(-time.Second)) })), false, ""},
		{"ErrNoExpiry", signEd(key, registered(func(r *claims) { r.ExpiresAt = nil })), false, ""},
		{"ErrNotYetValid", signEd(key, registered(func(r *claims) { r.NotBefore = gojwt.NewNumericDate(now.Add(time.Minute)) })), false, ""},
		{"ErrNoNotBefore", signEd(key, registered(func(r *claims) { r.NotBefore = nil })), false, ""},
		{"ErrNoSubject", signEd(key, registered(func(r *claims) { r.Subject = "" })), false, ""},
		{"ErrNoSession", signEd(key, registered(func(r *claims) { r.SessionID = "" })), false, ""},
		{"ErrTampered", good[:len(good)-4] + "AAAA", false, ""},
		{"ErrGarbage", "not.a.jwt", false, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c, err := s.Verify(tt.token)
			if tt.wantOK {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				if c.UserID != "u1" || c.SessionID != "s1" || c.DeviceID != tt.wantDevice {
					t.Fatalf("claims = %+v, want user u1, session s1, device %q", c, tt.wantDevice)
				}
				return
			}
			if derrors.CodeOf(err) != derrors.Unauthenticated {
				t.Fatalf("Verify err = %v, want code %q", err, derrors.Unauthenticated)
			}
		})
	}
}

func TestSigner_Issue(t *testing.T) {
	_, key, _ := ed25519.GenerateKey(rand.Reader)
	s := NewSigner(key, time.Minute, time.Now)
	tests := []struct {
		name   string
		claims identity.Claims
		wantOK bool
	}{
		{"OK", identity.Claims{UserID: "u1", SessionID: "s1", ExpiresAt: time.Now().Add(time.Minute)}, true},
		{"ErrNoSession", identity.Claims{UserID: "u1", ExpiresAt: time.Now().Add(time.Minute)}, false},
		{"ErrNoUser", identity.Claims{SessionID: "s1", ExpiresAt: time.Now().Add(time.Minute)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := s.Issue(tt.claims)
			if (err == nil) != tt.wantOK {
				t.Fatalf("Issue err = %v, want ok %v", err, tt.wantOK)
			}
		})
	}
}
