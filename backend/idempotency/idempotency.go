// Package idempotency keeps the answers of creates sent with an
// Idempotency-Key (IETF httpapi draft "The Idempotency-Key HTTP Header
// Field"), so that a client that lost an answer can send the request again
// and get the same answer instead of a second object.
//
// A key is the caller's: two users sending the same key never see each
// other's answers. A key is bound to the request it first came with (its
// fingerprint: method, path and body): the same key with another request is
// a mistake the client must hear about, not a replay.
package idempotency

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"time"
)

// DefaultRetention is how long an answer is kept for replay.
const DefaultRetention = 24 * time.Hour

// MaxKeyLength bounds a key; the draft suggests a UUID, 36 characters.
const MaxKeyLength = 255

// Answer is the stored answer of a create: what is replayed.
type Answer struct {
	Fingerprint string    // of the request the key first came with (Fingerprint)
	Status      int       // HTTP status
	ContentType string    // of Body
	Location    string    // the Location header, if the create set one
	ETag        string    // the ETag header, if the create set one
	Body        []byte    // the response body as sent
	CreatedAt   time.Time // when it was kept; purged DefaultRetention after
}

// Store keeps answers by (user, key).
type Store interface {
	// InTx runs fn in one transaction carried by its context: the claim,
	// the create and the kept answer commit or roll back together.
	InTx(ctx context.Context, fn func(ctx context.Context) error) error
	// Claim takes user's key for the transaction of ctx until it ends and
	// returns the answer kept under it, if any. derrors.Conflict when
	// another transaction holds the key (the first request is still in
	// flight).
	Claim(ctx context.Context, userID, key string) (Answer, bool, error)
	// Keep stores the answer of user's key in the transaction of ctx.
	Keep(ctx context.Context, userID, key string, a Answer) error
	// Purge deletes the answers kept before before and returns how many.
	Purge(ctx context.Context, before time.Time) (int, error)
}

// Fingerprint identifies a request: its method, path (with query) and body.
func Fingerprint(method, path string, body []byte) string {
	h := sha256.New()
	h.Write([]byte(method))
	h.Write([]byte{0})
	h.Write([]byte(path))
	h.Write([]byte{0})
	h.Write(body)
	return hex.EncodeToString(h.Sum(nil))
}
