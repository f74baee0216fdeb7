// Package jwt issues and verifies Whistle's access tokens: JWTs signed with
// EdDSA (Ed25519) by the server key, through github.com/golang-jwt/jwt/v5.
//
// Verification is strict: only the EdDSA algorithm is accepted (so "none" and
// HMAC-with-the-public-key tokens are refused), and exp, nbf, iss and aud are
// all required and checked. Every token names its session in the "sid" claim
// (required) and its device, if any, in "did".
package jwt

import (
	"crypto/ed25519"
	"errors"
	"time"

	gojwt "github.com/golang-jwt/jwt/v5"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/org"
)

// Audience and Issuer are the values every access token carries.
const (
	Audience = "whistle-api"
	Issuer   = "whistle"
)

var _ identity.TokenIssuer = (*Signer)(nil)

// Signer signs and verifies access tokens with one Ed25519 key.
type Signer struct {
	key ed25519.PrivateKey
	ttl time.Duration
	now func() time.Time
}

// NewSigner returns an signer signing with key whose tokens live for ttl.
func NewSigner(key ed25519.PrivateKey, ttl time.Duration, now func() time.Time) *Signer {
	return &Signer{key: key, ttl: ttl, now: now}
}

type claims struct {
	Role      string `json:"role"`
	SessionID string `json:"sid"`
	DeviceID  string `json:"did,omitempty"`
	gojwt.RegisteredClaims
}

// TTL is how long an issued token stays valid.
func (i *Signer) TTL() time.Duration { return i.ttl }

// Issue signs a token for c. It fails when c names no user or no session.
func (i *Signer) Issue(c identity.Claims) (string, error) {
	if c.UserID == "" || c.SessionID == "" {
		return "", errors.New("jwt: a token needs a user and a session")
	}
	now := i.now()
	tok := gojwt.NewWithClaims(gojwt.SigningMethodEdDSA, claims{
		Role:      string(c.Role),
		SessionID: c.SessionID,
		DeviceID:  c.DeviceID,
		RegisteredClaims: gojwt.RegisteredClaims{
			Issuer:    Issuer,
			Subject:   c.UserID,
			Audience:  gojwt.ClaimStrings{Audience},
			ExpiresAt: gojwt.NewNumericDate(c.ExpiresAt),
			NotBefore: gojwt.NewNumericDate(now),
			IssuedAt:  gojwt.NewNumericDate(now),
		},
	})
	return tok.SignedString(i.key)
}

// Verify checks the token's signature, algorithm, issuer, audience, time
// window, subject and session and returns its claims. Every failure is
// derrors.Unauthenticated.
func (i *Signer) Verify(token string) (identity.Claims, error) {
	var c claims
	_, err := gojwt.ParseWithClaims(token, &c,
		func(*gojwt.Token) (any, error) { return i.key.Public(), nil },
		gojwt.WithValidMethods([]string{gojwt.SigningMethodEdDSA.Alg()}),
		gojwt.WithAudience(Audience),
		gojwt.WithIssuer(Issuer),
		gojwt.WithExpirationRequired(),
		gojwt.WithIssuedAt(),
		gojwt.WithTimeFunc(i.now),
	)
	if err != nil {
		return identity.Claims{}, derrors.Wrap(err, derrors.Unauthenticated, "invalid access token")
	}
	if c.NotBefore == nil || c.Subject == "" || c.SessionID == "" {
		return identity.Claims{}, derrors.New(derrors.Unauthenticated, "invalid access token: nbf, sub and sid are required")
	}
	return identity.Claims{
		UserID:    c.Subject,
		Role:      org.Role(c.Role),
		SessionID: c.SessionID,
		DeviceID:  c.DeviceID,
		ExpiresAt: c.ExpiresAt.Time,
	}, nil
}
