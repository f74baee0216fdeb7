package evidence

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/whistle/whistle/backend/derrors"
)

// Defaults of Config.
const (
	DefaultUploadExpiry = 24 * time.Hour
	DefaultLeaseTTL     = 30 * time.Second
)

// Config is what the evidence service needs.
type Config struct {
	Records Records
	// Index tells whether an item's record has arrived, so that it is
	// linked on completion; nil leaves linking to the record side.
	Index RecordIndex
	// UploadKey names the object an upload is assembled in (the object
	// store's layout is not this package's business).
	UploadKey func(id string) string
	// UploadExpiry is how long an unfinished upload may be resumed
	// (DefaultUploadExpiry when 0).
	UploadExpiry time.Duration
	// LeaseTTL is how long a write holds an upload without renewing
	// (DefaultLeaseTTL when 0): after a crash, the upload can be resumed
	// once it passes.
	LeaseTTL time.Duration
	Now      func() time.Time // required: the one clock
	Log      *slog.Logger     // slog.Default() when nil
}

// Service decides what happens to evidence: which declarations are
// accepted, who may write to an upload and when, what each ending means
// for the chain of custody and for the record the item belongs to.
type Service struct {
	rec       Records
	index     RecordIndex
	uploadKey func(string) string
	expiry    time.Duration
	leaseTTL  time.Duration
	now       func() time.Time
	log       *slog.Logger
}

// NewService returns a Service over cfg. It fails when Records, UploadKey
// or Now is missing.
func NewService(cfg Config) (*Service, error) {
	if cfg.Records == nil || cfg.UploadKey == nil || cfg.Now == nil {
		return nil, errors.New("evidence: Config.Records, UploadKey and Now are required")
	}
	s := &Service{rec: cfg.Records, index: cfg.Index, uploadKey: cfg.UploadKey, expiry: cfg.UploadExpiry,
		leaseTTL: cfg.LeaseTTL, now: cfg.Now, log: cfg.Log}
	if s.expiry <= 0 {
		s.expiry = DefaultUploadExpiry
	}
	if s.leaseTTL <= 0 {
		s.leaseTTL = DefaultLeaseTTL
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s, nil
}

// Now reads the service's clock.
func (s *Service) Now() time.Time { return s.now() }

// LeaseTTL is how long a write holds an upload without renewing.
func (s *Service) LeaseTTL() time.Duration { return s.leaseTTL }

// newID returns a random (version 4) UUID.
func newID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// Declaration is an accepted declaration of a new upload, not stored yet
// (Declare): the item as it starts and its upload; or, with Existing, the
// verified item the uploader already holds under the client id.
type Declaration struct {
	Evidence Evidence
	Upload   Upload
	Existing bool
}

// Declare checks the declaration of a new upload and returns what Start
// (or, for an upload whose every byte comes in the request that declares
// it, FinishDeclared) stores; nothing is stored yet. If the uploader
// already holds verified evidence under the phone's client id with the
// same hash, that item is returned with Existing set: a phone that lost
// the answer to its last request may ask again. A client id held by
// another uploader is neither taken over nor confirmed: the upload is a
// new item of this uploader's, which links to no record of another street
// (LinksTo). It returns derrors.Invalid, UnsupportedMediaType or
// PayloadTooLarge for a bad declaration (see CheckDeclaration), and
// Conflict for a client id the uploader already verified with other bytes.
func (s *Service) Declare(ctx context.Context, in CreateInput) (Declaration, error) {
	md := in.Metadata
	if err := CheckDeclaration(md.Kind, md.ContentType, in.Length); err != nil {
		return Declaration{}, err
	}
	if in.Length < 1 {
		return Declaration{}, derrors.Invalidf("Upload-Length", "evidence cannot be empty")
	}
	if prev, err := s.rec.VerifiedByClientID(ctx, in.UploaderID, md.ClientID); err == nil {
		if prev.SHA256 == md.SHA256 && prev.Length == in.Length {
			return Declaration{Evidence: prev, Existing: true}, nil
		}
		return Declaration{}, derrors.New(derrors.Conflict, "evidence %s is already verified with other bytes (SHA-256 %s)", md.ClientID, prev.SHA256)
	} else if derrors.CodeOf(err) != derrors.NotFound {
		return Declaration{}, err
	}
	now := s.now().UTC()
	id := newID()
	e := Evidence{
		ID: id, ClientID: md.ClientID, RecordClientID: md.RecordClientID, UploaderID: in.UploaderID, DeviceID: in.DeviceID,
		StreetCode: in.StreetCode, Kind: md.Kind, DeclaredContentType: CanonicalType(md.ContentType), Length: in.Length,
		DeclaredSHA256: md.SHA256, CapturedAt: md.CapturedAt, Lat: md.Lat, Lon: md.Lon, UploadMetadata: in.Raw,
		Status: StatusUploading, CreatedAt: now,
	}
	u := Upload{EvidenceID: id, ExpiresAt: now.Add(s.expiry), S3Key: s.uploadKey(id), NextPart: 1}
	return Declaration{Evidence: e, Upload: u}, nil
}

// Start stores the upload of a declaration (Declare) in StatusUploading,
// with the custody of its start, and returns the item.
func (s *Service) Start(ctx context.Context, d Declaration) (Evidence, error) {
	return s.rec.CreateUpload(ctx, d.Evidence, d.Upload, Started(d.Evidence, d.Upload))
}

// FinishDeclared stores a declared upload (Declare) that ended in the
// request that declared it, as o says, in one transaction: the item, its
// custody started and finished, and its link to its record as Lease.Finish
// does. No lease is needed: no other request can reach an item before it
// is stored. It returns the stored item.
func (s *Service) FinishDeclared(ctx context.Context, d Declaration, o Outcome) (Evidence, error) {
	e, u := d.Evidence, d.Upload
	return s.finish(ctx, e, o, func(ctx context.Context, o Outcome) (Evidence, error) {
		return s.rec.CreateFinished(ctx, e, u, o, Started(e, u), Finished(e, o))
	})
}

// State returns an upload's item and progress for its uploader (HEAD). It
// returns derrors.NotFound for no such upload or another user's,
// derrors.Gone for an expired or terminated one, the problem of a rejected
// one, and derrors.EvidenceHashMismatch for a quarantined one. A verified
// upload is complete: its offset is its length.
func (s *Service) State(ctx context.Context, id, userID string) (Evidence, Upload, error) {
	e, u, err := s.rec.Upload(ctx, id)
	if err != nil {
		return e, u, err
	}
	if e.UploaderID != userID {
		return Evidence{}, Upload{}, notFound(id)
	}
	if err := s.usable(e, u); err != nil {
		return e, u, err
	}
	if e.Status == StatusVerified {
		u.Offset = e.Length
	}
	return e, u, nil
}

func notFound(id string) error { return derrors.New(derrors.NotFound, "no upload %s", id) }

// usable says why an upload cannot be written to or resumed, if it cannot.
func (s *Service) usable(e Evidence, u Upload) error {
	switch e.Status {
	case StatusUploading:
		if !s.now().Before(u.ExpiresAt) {
			return derrors.New(derrors.Gone, "upload %s expired at %s; start a new upload", e.ID, u.ExpiresAt.UTC().Format(time.RFC3339))
		}
	case StatusTerminated:
		return derrors.New(derrors.Gone, "upload %s was terminated", e.ID)
	case StatusQuarantined:
		return HashMismatch(e)
	case StatusRejected:
		return derrors.New(derrors.Code(e.ProblemCode), "evidence %s was refused: %s", e.ClientID, e.ProblemDetail)
	}
	return nil
}

// Lease is the write lease of one upload, held by one request: only its
// holder writes the upload's progress or ends it.
type Lease struct {
	s        *Service
	token    string
	Evidence Evidence
	Upload   Upload
	released bool
}

// Acquire takes the write lease of an upload for its uploader. It returns
// derrors.NotFound for no such upload or another user's and Locked while
// another request is writing. The caller releases the lease (Release)
// unless Finish took it.
func (s *Service) Acquire(ctx context.Context, id, userID string) (*Lease, error) {
	l := &Lease{s: s, token: newID()}
	var err error
	l.Evidence, l.Upload, err = s.rec.AcquireUpload(ctx, id, l.token, s.leaseTTL)
	if err != nil {
		return nil, err
	}
	if l.Evidence.UploaderID != userID {
		l.Release(ctx)
		return nil, notFound(id)
	}
	return l, nil
}

// Usable says why the upload cannot be written to, if it cannot: see State.
func (l *Lease) Usable() error { return l.s.usable(l.Evidence, l.Upload) }

// Release gives the lease up, even if ctx is cancelled; a failure is only
// logged, since the lease lapses by itself.
func (l *Lease) Release(ctx context.Context) {
	if l.released {
		return
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := l.s.rec.ReleaseUpload(rctx, l.Evidence.ID, l.token); err != nil {
		l.s.log.WarnContext(ctx, "release upload lease", "upload", l.Evidence.ID, "err", err.Error())
	}
}

// AllocatePart returns the next part number of the upload, recording
// s3UploadID if the upload had none, and renews the lease. It returns
// derrors.Locked if the lease was lost.
func (l *Lease) AllocatePart(ctx context.Context, s3UploadID string) (int, error) {
	return l.s.rec.AllocatePart(ctx, l.Evidence.ID, l.token, s3UploadID, l.s.leaseTTL)
}

// Renew extends the lease, or returns derrors.Locked if it was lost.
func (l *Lease) Renew(ctx context.Context) error {
	return l.s.rec.RenewLease(ctx, l.Evidence.ID, l.token, l.s.leaseTTL)
}

// Save stores the progress of a write and renews the lease, or returns
// derrors.Locked if it was lost.
func (l *Lease) Save(ctx context.Context, p Progress) error {
	return l.s.rec.SaveProgress(ctx, l.Evidence.ID, l.token, p, l.s.leaseTTL)
}

// Finish records how the upload ended and gives the lease up. Finished
// evidence is linked to the record it belongs to (LinksTo) if that record
// has arrived, and the record is told, in the same transaction, so that a
// record never waits for evidence that is verified. It returns
// derrors.Locked if the lease was lost.
func (l *Lease) Finish(ctx context.Context, o Outcome) (Evidence, error) {
	out, err := l.s.finish(ctx, l.Evidence, o, func(ctx context.Context, o Outcome) (Evidence, error) {
		return l.s.rec.Finish(ctx, l.Evidence.ID, l.token, o, Finished(l.Evidence, o))
	})
	if err != nil {
		return Evidence{}, err
	}
	l.released = true
	return out, nil
}

// finish records, with store, how the upload of e ended: a completed one
// linked to the record it belongs to (LinksTo) if that has arrived, the
// record told in the same transaction (Records.Serialize), so that a record
// never waits for evidence that is verified; a rejected one as it is.
func (s *Service) finish(ctx context.Context, e Evidence, o Outcome, store func(context.Context, Outcome) (Evidence, error)) (Evidence, error) {
	if o.Status == StatusRejected || s.index == nil {
		return store(ctx, o)
	}
	var out Evidence
	err := s.rec.Serialize(ctx, e.RecordClientID, e.ClientID, func(ctx context.Context) error {
		records, err := s.index.Expecting(ctx, e.ClientID, e.RecordClientID)
		if err != nil {
			return err
		}
		done := e
		done.Status, done.SHA256 = o.Status, o.SHA256
		for _, r := range records {
			if done.LinksTo(r) {
				o.LinkedRecord = r.ID
				break
			}
		}
		if out, err = store(ctx, o); err != nil || o.LinkedRecord == "" {
			return err
		}
		return s.index.EvidenceVerified(ctx, o.LinkedRecord)
	})
	if err != nil {
		return Evidence{}, err
	}
	return out, nil
}

// Terminate ends an unfinished upload for its uploader (tus termination):
// drop discards what the object store holds of it before the item is
// marked terminated. It returns derrors.NotFound for no such upload or
// another user's, Locked while a write is running, Gone for one already
// terminated and Conflict for a completed one: evidence is never deleted.
func (s *Service) Terminate(ctx context.Context, id, userID string, drop func(context.Context, Upload)) error {
	l, err := s.Acquire(ctx, id, userID)
	if err != nil {
		return err
	}
	defer l.Release(ctx)
	switch l.Evidence.Status {
	case StatusTerminated:
		return derrors.New(derrors.Gone, "upload %s was terminated", id)
	case StatusUploading:
	default:
		return derrors.New(derrors.Conflict, "upload %s has ended (%s); evidence is never deleted", id, l.Evidence.Status)
	}
	drop(context.WithoutCancel(ctx), l.Upload)
	_, err = s.rec.Terminate(ctx, id, Terminated())
	return err
}

// Evidence returns an item, or derrors.NotFound. The caller checks access.
func (s *Service) Evidence(ctx context.Context, id string) (Evidence, error) {
	return s.rec.Evidence(ctx, id)
}

// Custody returns a page of the custody log of an item, oldest first: at
// most limit entries with an id above after; derrors.NotFound for no item.
func (s *Service) Custody(ctx context.Context, id string, after int64, limit int) ([]CustodyEntry, error) {
	return s.rec.Custody(ctx, id, after, limit)
}

// RecordAccess appends an access to an item's custody log and the audit
// trail; an access that cannot be recorded must not happen. It returns
// derrors.Invalid for an event that is no access.
func (s *Service) RecordAccess(ctx context.Context, id string, a Access) error {
	if _, err := Accessed(a); err != nil {
		return err
	}
	return s.rec.RecordAccess(ctx, id, a)
}

// IntegrityFailed records that the bytes served from e's verified version
// hashed to got (hex) over n bytes, not to e's SHA-256: a custody event
// and its audit trail entry, and e is not served again (Servable); the
// record it is linked to no longer counts it and goes to review
// (RecordIndex.EvidenceIntegrityFailed), in the same transaction.
func (s *Service) IntegrityFailed(ctx context.Context, e Evidence, got string, n int64) error {
	fail := func(ctx context.Context) error {
		_, err := s.rec.IntegrityFailed(ctx, e.ID, IntegrityFailed(e, got, n))
		return err
	}
	var err error
	if e.LinkedRecordID == "" || s.index == nil {
		err = fail(ctx)
	} else {
		// The record it counted for learns it in the same transaction: the
		// file no longer counts, and the team leader reviews the record.
		err = s.rec.Serialize(ctx, e.LinkedRecordID, e.ClientID, func(ctx context.Context) error {
			if err := fail(ctx); err != nil {
				return err
			}
			return s.index.EvidenceIntegrityFailed(ctx, e.LinkedRecordID, e.ClientID)
		})
	}
	if err == nil {
		s.log.ErrorContext(ctx, "evidence served with other bytes than verified", "evidence", e.ID, "version", e.VersionID,
			"sha256", e.SHA256, "served_sha256", got)
	}
	return err
}

// SetThumbnail records the thumbnail state of an item (key where it is,
// if one was made), with a derived custody event.
func (s *Service) SetThumbnail(ctx context.Context, id, state, key string) error {
	return s.rec.SetThumbnail(ctx, id, state, key, "", Derived(state, key))
}

// FailThumbnail records that no thumbnail could be made of an item whose
// thumbnail is pending, and why, in its state and its custody log.
func (s *Service) FailThumbnail(ctx context.Context, id, reason string) error {
	return s.rec.SetThumbnail(ctx, id, ThumbnailFailed, "", reason, ThumbnailFailure(reason))
}

// DueForRecheck lists up to limit verified items whose stored bytes were
// last found intact longer than age ago, least recently checked first.
func (s *Service) DueForRecheck(ctx context.Context, age time.Duration, limit int) ([]Evidence, error) {
	return s.rec.DueForRecheck(ctx, s.now().Add(-age), limit)
}

// HashChecked records that item id's stored bytes were re-hashed and found
// to be the verified ones.
func (s *Service) HashChecked(ctx context.Context, id string) error {
	return s.rec.HashChecked(ctx, id)
}
