// Package audit is the full-process record (全过程留痕): a tamper-evident trail
// of every state change and every access to evidence.
//
// # Entries
//
// Each change appends an Entry naming who (user, device, request), what
// (action, entity) and the digests of the entity's state before and after. The
// entry is written in the same database transaction as the change it records,
// so a change without its entry, or an entry without its change, cannot be
// committed.
//
// # Chains
//
// Entries form hash chains, one per street (the chain is the street id) and
// one for district-level data (DistrictChain). Each entry carries the hash of
// the previous entry of its chain, and its own hash covers every field
// including that link, so changing, deleting, inserting or reordering any
// entry breaks the chain at that point, and Verify names the first broken link.
//
// There is one chain per street rather than one for the whole district because
// appends to a chain are serialized: the store takes a row lock on the chain's
// head until the appending transaction commits. A lock per street lets streets
// work in parallel while writers within one street queue and can never fork
// the chain (two entries claiming the same predecessor). A lock taken by the
// caller's own transaction, rather than an application mutex, also holds
// across several API instances.
//
// # Anchoring
//
// The database refuses UPDATE, DELETE and TRUNCATE of the trail, but its owner
// or a superuser can switch that protection off and rewrite a chain from the
// tampered entry onwards, recomputing every later hash. So the server
// periodically, and on demand, signs each chain's head with its Ed25519 key
// (SignHead) and writes the JSON of the SignedHead to the evidence bucket
// under Object Lock at AnchorKey. A rewritten chain no longer reaches the
// anchored hash at the anchored sequence number, and the database
// administrator has no way to change the locked object.
//
// This package states the rules; backend/postgres stores the trail and media
// stores the anchors.
package audit

import (
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/derrors"
)

// DistrictChain is the chain of district-level data (organization,
// certificates, the matter catalogue), which belongs to no street.
const DistrictChain = "district"

// GenesisHash is the PrevHash of the first entry of every chain.
var GenesisHash = strings.Repeat("0", 64)

// Actor is who causes the changes made while handling one request.
type Actor struct {
	UserID    string // the authenticated user; "" for the system itself
	DeviceID  string // the registered device the request came from; "" if none
	RequestID string // the request id, as in the logs
}

type actorKey struct{}

// WithActor returns a context carrying a, for the stores to record in the
// entries they append. The API sets it after authentication.
func WithActor(ctx context.Context, a Actor) context.Context {
	return context.WithValue(ctx, actorKey{}, a)
}

// ActorFrom returns the Actor carried by ctx, or the zero Actor (the system).
func ActorFrom(ctx context.Context) Actor {
	a, _ := ctx.Value(actorKey{}).(Actor)
	return a
}

// Entry is one record of the trail.
type Entry struct {
	// ID is the entry's position in the whole trail, across chains, assigned
	// by the store. It orders entries for paging and is not covered by Hash:
	// within a chain Seq is what counts.
	ID int64 `json:"id"`
	// Seq numbers the entries of one chain 1, 2, 3, ... without gaps.
	Seq int64 `json:"seq"`
	// Chain is the street id the entry belongs to, or DistrictChain.
	Chain string `json:"chain"`
	// At is when the entry was appended, in UTC, truncated to microseconds
	// (see Truncate) so that it survives a round trip through PostgreSQL.
	At time.Time `json:"at"`
	// ActorUserID, DeviceID and RequestID say who made the change (see Actor).
	ActorUserID string `json:"actor_user_id"`
	DeviceID    string `json:"device_id"`
	RequestID   string `json:"request_id"`
	// Action is what happened, as "<entity>.<verb>": "certificate.suspend",
	// "evidence.read".
	Action string `json:"action"`
	// EntityType and EntityID name the object acted on.
	EntityType string `json:"entity_type"`
	EntityID   string `json:"entity_id"`
	// BeforeDigest and AfterDigest are Digest of the entity's state before and
	// after the change; "" when there is none (before a creation, after a
	// deletion, or for a read).
	BeforeDigest string `json:"before_digest"`
	AfterDigest  string `json:"after_digest"`
	// PrevHash is the Hash of the previous entry of the chain, GenesisHash for
	// the first.
	PrevHash string `json:"prev_hash"`
	// Hash is ComputeHash of the entry, hex.
	Hash string `json:"hash"`
}

// Truncate returns t in UTC, truncated to the microsecond precision of
// PostgreSQL timestamps, as Entry.At must be.
func Truncate(t time.Time) time.Time { return t.UTC().Truncate(time.Microsecond) }

// Digest returns the hex SHA-256 of the JSON encoding of v, for
// Entry.BeforeDigest and AfterDigest. encoding/json writes map keys sorted,
// so a map digests the same however it was built; a struct encodes its
// fields in declaration order, so digest a state through one struct type
// that does not change meaning over time (typically the domain type itself).
// It fails only when v cannot be encoded as JSON.
func Digest(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", derrors.Wrap(err, derrors.Internal, "digest entity state")
	}
	return DigestJSON(b), nil
}

// DigestJSON is Digest of a value whose json.Marshal encoding is b, for a
// writer that already holds the encoding (a set-wise push encodes each
// state once for the digest, the feed and the stored outcome).
func DigestJSON(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// hashDomain opens every hashed encoding, so that an entry hash can never be
// confused with another SHA-256 the system computes, and so that a future
// encoding can be told apart.
const hashDomain = "whistle.audit.entry.v1"

// ComputeHash returns the hex SHA-256 of a canonical encoding of every field
// of e except ID and Hash: each field (Seq in decimal, At as RFC 3339 with
// nanoseconds in UTC) is written as its length in 8 big-endian bytes followed
// by its bytes, so no two different entries encode alike.
func (e Entry) ComputeHash() string {
	h := sha256.New()
	writeFields(h, hashDomain,
		e.Chain,
		strconv.FormatInt(e.Seq, 10),
		e.At.UTC().Format(time.RFC3339Nano),
		e.ActorUserID,
		e.DeviceID,
		e.RequestID,
		e.Action,
		e.EntityType,
		e.EntityID,
		e.BeforeDigest,
		e.AfterDigest,
		e.PrevHash,
	)
	return hex.EncodeToString(h.Sum(nil))
}

// writeFields writes each field length-prefixed.
func writeFields(w io.Writer, fields ...string) {
	var n [8]byte
	for _, f := range fields {
		binary.BigEndian.PutUint64(n[:], uint64(len(f)))
		w.Write(n[:])
		io.WriteString(w, f)
	}
}

// Validate checks what the caller of an append supplies: the chain, action
// and entity type are set and the digests are "" or hex SHA-256. It returns
// a derrors.Invalid error naming each bad field.
func (e Entry) Validate() error {
	var fields []derrors.FieldError
	bad := func(field, msg string) { fields = append(fields, derrors.FieldError{Field: field, Message: msg}) }
	if e.Chain == "" {
		bad("chain", "chain is required (a street id or "+DistrictChain+")")
	}
	if e.Action == "" {
		bad("action", "action is required")
	}
	if e.EntityType == "" {
		bad("entity_type", "entity type is required")
	}
	if e.BeforeDigest != "" && !IsHexSHA256(e.BeforeDigest) {
		bad("before_digest", "before digest is not a hex SHA-256")
	}
	if e.AfterDigest != "" && !IsHexSHA256(e.AfterDigest) {
		bad("after_digest", "after digest is not a hex SHA-256")
	}
	if len(fields) == 0 {
		return nil
	}
	return &derrors.Error{Code: derrors.Invalid, Message: "invalid audit entry: " + fields[0].Message, Fields: fields}
}

// IsHexSHA256 reports whether s is 64 lower-case hex digits.
func IsHexSHA256(s string) bool {
	if len(s) != 64 {
		return false
	}
	for _, c := range []byte(s) {
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// Paging limits of Filter.Limit.
const (
	DefaultLimit = 100
	MaxLimit     = 1000
)

// Filter selects entries. Empty fields match everything; set fields must all
// match. Results come in ID order (the order of appending) and are paged by
// keyset: pass the cursor a query returned as After to get the next page.
type Filter struct {
	Chain       string
	EntityType  string
	EntityID    string
	ActorUserID string
	Action      string
	From        time.Time // At >= From, when set
	To          time.Time // At < To, when set
	// After is the paging cursor: only entries with ID > After. 0 starts at
	// the beginning.
	//
	// IDs are taken when an entry is inserted and become visible when its
	// transaction commits, so an entry still being written may later appear
	// behind a cursor already handed out. Pages therefore describe the trail
	// as it was when read; Verify, not paging, is what proves completeness.
	After int64
	// Limit is the page size of Query: 0 means DefaultLimit, at most MaxLimit.
	// Export ignores it and writes every match.
	Limit int
}

// Validate checks the limit, cursor and time range, returning a
// derrors.Invalid error naming the bad field.
func (f Filter) Validate() error {
	switch {
	case f.Limit < 0 || f.Limit > MaxLimit:
		return derrors.Invalidf("limit", "limit must be between 1 and %d", MaxLimit)
	case f.After < 0:
		return derrors.Invalidf("after", "cursor must not be negative")
	case !f.From.IsZero() && !f.To.IsZero() && !f.From.Before(f.To):
		return derrors.Invalidf("from", "from must be before to")
	}
	return nil
}

// PageSize is the Limit a query uses: DefaultLimit when unset.
func (f Filter) PageSize() int {
	if f.Limit == 0 {
		return DefaultLimit
	}
	return f.Limit
}

// Store reads the trail. Appending is not part of it: entries are appended by
// the stores that make the changes, inside the changes' own transactions.
type Store interface {
	// Query returns one page of the entries matching f, and the cursor of
	// the next page (0 when this page is the last). It returns
	// derrors.Invalid for a bad filter.
	Query(ctx context.Context, f Filter) (entries []Entry, next int64, err error)
	// Export writes every entry matching f (from f.After on, ignoring
	// f.Limit) to w as JSON lines, one Entry per line, from one consistent
	// snapshot. It returns derrors.Invalid for a bad filter.
	Export(ctx context.Context, f Filter, w io.Writer) error
	// Verify recomputes chain ("" for every chain) from its first entry,
	// checking it against the anchored heads given (see
	// Verifier.ExpectAnchored), and returns the heads reached and the first
	// broken link, nil when intact. The error reports a failure to read the
	// trail, never a broken chain.
	Verify(ctx context.Context, chain string, anchored ...Head) ([]Head, *Break, error)
	// Heads returns the last entry of every chain as a Head, by chain.
	Heads(ctx context.Context) ([]Head, error)
}
