package evidence

import (
	"context"
	"time"
)

// Records is what the evidence service needs of its database: the evidence
// rows, their upload progress and custody log. Each change is written
// together with the Custody it is given (its events and the audit trail
// entry vouching for them), in one transaction. backend/postgres
// implements it.
type Records interface {
	// CreateUpload stores a new evidence item in StatusUploading with its
	// upload and custody c. It returns derrors.Invalid for bad fields.
	CreateUpload(ctx context.Context, e Evidence, u Upload, c Custody) (Evidence, error)
	// CreateFinished stores a new item whose upload began and ended in one
	// request, as o says it ended, with its upload finished and custody
	// started then finished (each change with its audit entry), in one
	// transaction, and returns it. It returns derrors.Invalid for bad
	// fields.
	CreateFinished(ctx context.Context, e Evidence, u Upload, o Outcome, started, finished Custody) (Evidence, error)
	// Evidence returns an item, or derrors.NotFound.
	Evidence(ctx context.Context, id string) (Evidence, error)
	// VerifiedByClientID returns the verified item an uploader holds under
	// a client id, or derrors.NotFound: another uploader's item under the
	// same client id is not looked at.
	VerifiedByClientID(ctx context.Context, uploaderID, clientID string) (Evidence, error)
	// Upload returns an item with its upload progress, or derrors.NotFound.
	Upload(ctx context.Context, id string) (Evidence, Upload, error)
	// AcquireUpload takes the write lease of an uploading item for token
	// until ttl from now and returns the item with its progress. It returns
	// derrors.NotFound for no such item, and derrors.Locked while another
	// request holds an unexpired lease. It does not check the status.
	AcquireUpload(ctx context.Context, id, token string, ttl time.Duration) (Evidence, Upload, error)
	// ReleaseUpload gives the lease of token up; a lease taken over since is
	// left alone.
	ReleaseUpload(ctx context.Context, id, token string) error
	// AllocatePart returns the next S3 part number of the upload and renews
	// the lease for ttl, recording s3UploadID if the upload had none. It
	// returns derrors.Locked if token no longer holds the lease.
	AllocatePart(ctx context.Context, id, token, s3UploadID string, ttl time.Duration) (int, error)
	// RenewLease extends token's lease for ttl, or returns derrors.Locked
	// if token no longer holds it.
	RenewLease(ctx context.Context, id, token string, ttl time.Duration) error
	// SaveProgress stores p if token still holds the lease (else
	// derrors.Locked), renewing it for ttl, with an audit entry.
	SaveProgress(ctx context.Context, id, token string, p Progress, ttl time.Duration) error
	// Finish records how the upload ended (verified, quarantined or
	// rejected) with custody c, if token still holds the lease (else
	// derrors.Locked), and returns the item.
	Finish(ctx context.Context, id, token string, o Outcome, c Custody) (Evidence, error)
	// IntegrityFailed marks a verified item as found served with other
	// bytes than the verified ones (the first time only) with custody c.
	IntegrityFailed(ctx context.Context, id string, c Custody) (Evidence, error)
	// DueForRecheck lists up to limit verified items not found with other
	// bytes, whose stored bytes were last checked (or verified) before
	// before, least recently checked first.
	DueForRecheck(ctx context.Context, before time.Time, limit int) ([]Evidence, error)
	// HashChecked records that item id's stored bytes were re-hashed and
	// found intact.
	HashChecked(ctx context.Context, id string) error
	// Terminate ends an uploading item (derrors.Conflict if it is no longer
	// uploading) with custody c.
	Terminate(ctx context.Context, id string, c Custody) (Evidence, error)
	// RecordAccess appends the custody of an access (see Accessed) and its
	// audit trail entry; derrors.Invalid for an event that is no access.
	RecordAccess(ctx context.Context, id string, a Access) error
	// Custody returns a page of the custody log of an item, oldest first
	// (by entry id): at most limit entries with an id above after.
	Custody(ctx context.Context, id string, after int64, limit int) ([]CustodyEntry, error)
	// SetThumbnail records the thumbnail state of an item whose thumbnail
	// is pending (failure: why it failed, "" else), with custody c; another
	// state is left alone.
	SetThumbnail(ctx context.Context, id, state, key, failure string, c Custody) error
	// Serialize runs fn in one transaction, which the methods of Records
	// and of the RecordIndex join when called with fn's context, after
	// every other transaction about the record recordClientID or the item
	// clientID has ended: a record stored while its evidence is verified is
	// seen by one of the two, whichever comes second.
	Serialize(ctx context.Context, recordClientID, clientID string, fn func(ctx context.Context) error) error
}

// RecordIndex is the record side (inspections, seizure lists...) as
// evidence sees it. Its methods run in the transaction of the context they
// are given (see Records.Serialize). Without one, evidence is linked only
// when the record side links it as its record arrives.
type RecordIndex interface {
	// Expecting returns the stored records that expect a file with the
	// client id clientID, and the record recordID if it is stored
	// (recordID may be ""), so that evidence completing after its record
	// is linked at once (RecordRef says to which).
	Expecting(ctx context.Context, clientID, recordID string) ([]RecordRef, error)
	// EvidenceVerified tells the record's side, in the transaction that
	// links one of its files, so that it moves from evidence_pending to
	// complete together with it.
	EvidenceVerified(ctx context.Context, recordID string) error
	// EvidenceIntegrityFailed tells the record's side, in the transaction
	// that records it, that its file clientID was found with other bytes
	// than verified (or gone), so that it no longer counts and the team
	// leader reviews the record.
	EvidenceIntegrityFailed(ctx context.Context, recordID, clientID string) error
}
