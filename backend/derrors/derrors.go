// Package derrors is Whistle's one vocabulary of error codes.
//
// Domain packages and adapters return *Error values carrying a Code; the API
// maps each Code to one HTTP status and renders it as RFC 9457 problem+json, so
// a phone can branch on the code whatever layer the failure came from.
// Adapters translate their own failures at their edge (a PostgreSQL unique
// violation becomes Conflict, a missing object NotFound).
package derrors

import (
	"errors"
	"fmt"
	"time"
)

// Code is a stable, machine-readable error code. Codes are part of the API
// contract (openapi.yaml lists them): never rename one.
type Code string

// The codes. Each maps to exactly one HTTP status in backend/api.
const (
	BadRequest           Code = "bad_request"            // the request is malformed (not JSON, wrong shape)
	Invalid              Code = "validation_failed"      // well-formed but a field breaks a rule; Fields names them
	Unauthenticated      Code = "unauthenticated"        // no valid credentials
	Forbidden            Code = "forbidden"              // authenticated, but not allowed on this object
	NotFound             Code = "not_found"              // no such object (or not visible to the caller)
	MethodNotAllowed     Code = "method_not_allowed"     // the route exists with other methods
	Conflict             Code = "conflict"               // the change contradicts stored state
	PayloadTooLarge      Code = "payload_too_large"      // the body is over the route's limit
	UnsupportedMediaType Code = "unsupported_media_type" // the body's content type is not accepted
	TooManyRequests      Code = "too_many_requests"      // throttled
	Timeout              Code = "timeout"                // the request ran past its deadline
	ResyncRequired       Code = "resync_required"        // a sync cursor is older than the retention of deletions
	UpgradeRequired      Code = "app_update_required"    // the app is too old for this operation
	Unavailable          Code = "dependency_unavailable" // PostgreSQL or the object store is down
	Contention           Code = "contention"             // a concurrent change got in the way (deadlock, serialization failure); nothing was written: retry
	EntityConflict       Code = "entity_conflict"        // an entity with this id already exists with other content
	Internal             Code = "internal"               // a bug or an unexpected failure; details only in the log

	// Codes of the Idempotency-Key of online creates (backend/idempotency).
	IdempotencyInFlight  Code = "idempotency_key_in_flight" // a request with this key is still being processed; retry later
	IdempotencyKeyReused Code = "idempotency_key_reused"    // the key was used with another request (method, path or body)

	// Codes of resumable uploads (tus, /v1/evidence/uploads).
	Gone                 Code = "gone"                   // the object existed but expired or was ended
	Locked               Code = "locked"                 // another request is writing to the object now; retry
	PreconditionFailed   Code = "precondition_failed"    // a protocol version or precondition header is not supported
	ChecksumMismatch     Code = "checksum_mismatch"      // a chunk does not match its Upload-Checksum; it was discarded
	EvidenceHashMismatch Code = "evidence_hash_mismatch" // the evidence's bytes do not have the SHA-256 declared at capture

	// Codes of case handling (backend/casework).
	CaseTransitionRefused Code = "case_transition_refused" // no such move from the case's state, or a legal gate is unmet; the problem's refusal says which
	CaseDuplicates        Code = "case_duplicates"         // the problem looks like open cases (same place, same matter): confirm or merge

	// Codes of archive closing (backend/archive).
	ArchiveIncomplete Code = "archive_incomplete" // the completeness check has unmet mandatory items; the problem's missing names each with its link
	CaseArchived      Code = "case_archived"      // the case (or the record, deadline of it) is archived and read-only: a later correction is an annex
)

// FieldError names one offending input field.
type FieldError struct {
	Field   string // JSON pointer into the body, or a parameter name
	Message string
}

// Error is an error with a Code, a message safe to show to the caller, and
// optionally the fields at fault and the underlying cause (never shown).
type Error struct {
	Code    Code
	Message string
	Fields  []FieldError
	Err     error
	// RetryAfter, for TooManyRequests, is how long the caller should wait
	// before trying again (the API answers it as Retry-After).
	RetryAfter time.Duration
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an *Error with the given code and formatted message.
func New(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Wrap returns an *Error with the given code and message whose cause is err.
// The cause is logged, never shown to the caller.
func Wrap(err error, code Code, message string) *Error {
	return &Error{Code: code, Message: message, Err: err}
}

// Invalidf returns an Invalid error naming one field.
func Invalidf(field, format string, args ...any) *Error {
	msg := fmt.Sprintf(format, args...)
	return &Error{Code: Invalid, Message: msg, Fields: []FieldError{{Field: field, Message: msg}}}
}

// Transient reports whether an error with code c may succeed if tried again
// unchanged: the database was unreachable or busy, or the deadline passed.
// Any other code is permanent: the same request fails the same way.
func (c Code) Transient() bool {
	return c == Unavailable || c == Timeout || c == Contention
}

// CodeOf returns the Code of the first *Error in err's chain, Internal for
// any other non-nil error, and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return Internal
}
