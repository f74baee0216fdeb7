package sync

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Clock is what a device's clocks read when it recorded a mutation: its wall
// time (which may be wrong) and the time since it booted (which only grows).
type Clock struct {
	Wall        Wall  `json:"wall"`
	SinceBootMS int64 `json:"since_boot_ms"`
}

// Wall is a device's wall-clock reading as the device wrote it: an RFC 3339
// text and the instant it names. The signature covers the text exactly as
// sent, as it covers the bytes of args, so that a phone need not format
// times as Go does ("2026-12-01T09:30:00.120Z" from JavaScript's
// toISOString is signed as is, trailing zero included).
type Wall struct {
	text string
	at   time.Time
}

// WallAt returns the reading of t as the Go client writes it: RFC 3339 in
// UTC with up to nine fractional digits, trailing zeros dropped.
func WallAt(t time.Time) Wall {
	return Wall{text: t.UTC().Format(time.RFC3339Nano), at: t.UTC()}
}

// ParseWall reads an RFC 3339 date-time (any number of fractional digits,
// any offset) and keeps its text exactly.
func ParseWall(text string) (Wall, error) {
	at, err := time.Parse(time.RFC3339Nano, text)
	if err != nil {
		return Wall{}, fmt.Errorf("clock.wall %q is not an RFC 3339 date-time", text)
	}
	return Wall{text: text, at: at.UTC()}, nil
}

// Time is the instant of the reading, in UTC.
func (w Wall) Time() time.Time { return w.at }

// String is the reading's text, exactly as the device sent it.
func (w Wall) String() string { return w.text }

// IsZero reports whether there is no reading.
func (w Wall) IsZero() bool { return w.text == "" || w.at.IsZero() }

// MarshalJSON writes the reading's text unchanged.
func (w Wall) MarshalJSON() ([]byte, error) { return json.Marshal(w.text) }

// UnmarshalJSON reads an RFC 3339 string and keeps its text; null leaves
// the reading zero.
func (w *Wall) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*w = Wall{}
		return nil
	}
	var text string
	if err := json.Unmarshal(b, &text); err != nil {
		return fmt.Errorf("clock.wall must be an RFC 3339 string: %w", err)
	}
	parsed, err := ParseWall(text)
	if err != nil {
		return err
	}
	*w = parsed
	return nil
}

// Mutation is one act recorded on a device.
type Mutation struct {
	Seq       int64           `json:"seq"`       // per device: 1, 2, 3, ... never reused
	EntityID  string          `json:"entity_id"` // client-generated UUID of the entity it creates or changes
	Name      string          `json:"name"`      // versioned, e.g. inspection.record@1
	Args      json.RawMessage `json:"args"`
	Clock     Clock           `json:"clock"`
	Signature []byte          `json:"signature"` // Ed25519 over SigningMessage
}

// signingDomain opens every signed message, so a signature made for
// something else can never pass as a mutation's.
const signingDomain = "whistle.mutation.v1"

// SigningMessage is the canonical encoding of m that the device signs: its
// fields, each as its UTF-8 bytes prefixed by their length (big-endian
// uint64), with the exact text of Clock.Wall as sent and the SHA-256 of the
// exact bytes of Args. The contract (openapi.yaml, Mutation) publishes test
// vectors; TestSigningMessage_Vectors checks them.
func SigningMessage(deviceID string, m Mutation) []byte {
	var b bytes.Buffer
	field := func(s string) {
		var n [8]byte
		binary.BigEndian.PutUint64(n[:], uint64(len(s)))
		b.Write(n[:])
		b.WriteString(s)
	}
	argsHash := sha256.Sum256(m.Args)
	field(signingDomain)
	field(deviceID)
	field(strconv.FormatInt(m.Seq, 10))
	field(m.EntityID)
	field(m.Name)
	field(m.Clock.Wall.String())
	field(strconv.FormatInt(m.Clock.SinceBootMS, 10))
	field(string(argsHash[:]))
	return b.Bytes()
}

// Sign signs m for deviceID with key, as a device does.
func Sign(key ed25519.PrivateKey, deviceID string, m Mutation) Mutation {
	m.Signature = ed25519.Sign(key, SigningMessage(deviceID, m))
	return m
}

// Verify reports whether m carries a valid signature of deviceID's key.
func Verify(pub ed25519.PublicKey, deviceID string, m Mutation) bool {
	return len(pub) == ed25519.PublicKeySize && ed25519.Verify(pub, SigningMessage(deviceID, m), m.Signature)
}

// PayloadHash identifies what was pushed under a sequence number, to tell a
// retry of the same mutation from another mutation reusing its number.
func PayloadHash(deviceID string, m Mutation) []byte {
	h := sha256.Sum256(SigningMessage(deviceID, m))
	return h[:]
}

// Verdict is what became of one pushed mutation.
type Verdict string

// The verdicts.
const (
	Applied                Verdict = "applied"                  // applied now
	Duplicate              Verdict = "duplicate"                // applied before; the stored result is returned, nothing changed
	AcceptedWithExceptions Verdict = "accepted_with_exceptions" // the act happened and is kept, but broke a rule: it awaits the team leader's review
	Rejected               Verdict = "rejected"                 // permanently invalid; recorded with the error so it never blocks the queue
	Retry                  Verdict = "retry"                    // not processed (transient failure or a gap): push it again later
)

// Exception is a rule an accepted act broke, for the team leader's review.
type Exception struct {
	Code    string `json:"code"`
	Subject string `json:"subject,omitempty"`
	ZH      string `json:"zh"`
	EN      string `json:"en"`
}

// Problem is why a mutation was rejected or must be retried.
type Problem struct {
	Code    string         `json:"code"`
	Message string         `json:"message"`
	Fields  []ProblemField `json:"fields,omitempty"`
}

// ProblemField names one offending argument.
type ProblemField struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

// Result is the outcome of one mutation, as answered to the device and, for
// applied, accepted and rejected ones, stored for duplicates.
type Result struct {
	Seq        int64           `json:"seq"`
	EntityID   string          `json:"entity_id"`
	Verdict    Verdict         `json:"verdict"`
	Exceptions []Exception     `json:"exceptions,omitempty"`
	Problem    *Problem        `json:"problem,omitempty"`
	State      json.RawMessage `json:"state,omitempty"` // the entity as the server now holds it
}

// Limits of one push.
const (
	MaxBatch = 500 // mutations per push
)

// namePattern is entity.verb@version.
var namePattern = regexp.MustCompile(`^[a-z][a-z_]*\.[a-z][a-z_]*@[1-9][0-9]{0,3}$`)

// ValidName reports whether name is a well-formed versioned mutation name.
func ValidName(name string) bool { return namePattern.MatchString(name) }

// The scopes of the change feed.
const DistrictScope = "district" // departments, matters, policies

// TeamScope is the scope of a team: its roster and its inspections.
func TeamScope(team string) string { return "team:" + team }

// OfficerScope is the scope of an officer: the records of their cases, in full.
func OfficerScope(officer string) string { return "officer:" + officer }

// DeviceScope is the scope of one device: its document-number blocks.
func DeviceScope(device string) string { return "device:" + device }

// DeviceReport is what a device says of itself at a sync, and the clock skew
// the server measured.
type DeviceReport struct {
	QueueDepth     *int
	OldestUnsentAt *time.Time
	ClockSkew      *time.Duration // device wall time minus server time
	AppVersion     string
	Pulled         bool
}

// DeviceStatus is what supervisors see of a device.
type DeviceStatus struct {
	DeviceID       string     `json:"device_id"`
	UserID         string     `json:"user_id"`
	Username       string     `json:"username"`
	Name           string     `json:"name"`
	RevokedAt      *time.Time `json:"revoked_at,omitempty"`
	LastPushAt     *time.Time `json:"last_push_at,omitempty"`
	LastPullAt     *time.Time `json:"last_pull_at,omitempty"`
	LastAppliedSeq int64      `json:"last_applied_seq"`
	QueueDepth     *int       `json:"queue_depth,omitempty"`
	OldestUnsentAt *time.Time `json:"oldest_unsent_at,omitempty"`
	ClockSkewMS    *int64     `json:"clock_skew_ms,omitempty"`
	AppVersion     string     `json:"app_version"`
	Flagged        int        `json:"flagged"`  // acts awaiting the team leader's review
	Rejected       int        `json:"rejected"` // acts refused for good, kept with their args and problem in the sync log
}
