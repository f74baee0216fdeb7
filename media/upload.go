package media

import (
	"context"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/subtle"
	"encoding"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/derrors"
)

// PartSize is the size of the S3 multipart parts an upload is cut into, and
// so of the one buffer a write holds in memory. S3 wants parts of at least
// 5 MiB (except the last); 7 MiB leaves a writing request, with its
// connection's and the S3 client's own buffers, under 8 MiB.
const PartSize = 7 << 20

// Defaults of ServiceConfig.
const (
	DefaultUploadExpiry = 24 * time.Hour
	DefaultLeaseTTL     = 30 * time.Second
	// MaxPresignTTL is the longest a presigned download URL may live.
	MaxPresignTTL = 5 * time.Minute
)

// ServiceConfig is what the evidence service needs.
type ServiceConfig struct {
	Store   *Store
	Records Records
	// Index tells whether an item's record has arrived, so that it is
	// linked on completion; nil leaves linking to the record side.
	Index RecordIndex
	// LockMode and Retention are the Object Lock of originals (Governance
	// or Compliance, and how long from verification).
	LockMode  string
	Retention time.Duration
	// UploadExpiry is how long an unfinished upload may be resumed
	// (DefaultUploadExpiry when 0).
	UploadExpiry time.Duration
	// LeaseTTL is how long a write holds an upload without renewing
	// (DefaultLeaseTTL when 0): after a crash, the upload can be resumed
	// once it passes.
	LeaseTTL time.Duration
	Now      func() time.Time // time.Now when nil
	Log      *slog.Logger     // slog.Default() when nil
}

// Service receives evidence: tus uploads stored as S3 multipart uploads
// with their progress in PostgreSQL, hashed as they stream, verified
// against the phone's hash, stored content-addressed under Object Lock,
// with a custody log of every event.
type Service struct {
	store     *Store
	rec       Records
	index     RecordIndex
	lockMode  string
	retention time.Duration
	expiry    time.Duration
	leaseTTL  time.Duration
	now       func() time.Time
	log       *slog.Logger
	parts     sync.Pool // []byte of PartSize
	thumbs    chan struct{}
}

// NewService returns a Service over cfg. It fails when Store or Records is
// missing or the lock settings are invalid.
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.Store == nil || cfg.Records == nil {
		return nil, errors.New("media: ServiceConfig.Store and Records are required")
	}
	if cfg.LockMode != Governance && cfg.LockMode != Compliance {
		return nil, fmt.Errorf("media: lock mode %q is neither %s nor %s", cfg.LockMode, Governance, Compliance)
	}
	if cfg.Retention <= 0 {
		return nil, errors.New("media: retention must be positive")
	}
	s := &Service{store: cfg.Store, rec: cfg.Records, index: cfg.Index, lockMode: cfg.LockMode, retention: cfg.Retention,
		expiry: cfg.UploadExpiry, leaseTTL: cfg.LeaseTTL, now: cfg.Now, log: cfg.Log, thumbs: make(chan struct{}, 1)}
	if s.expiry <= 0 {
		s.expiry = DefaultUploadExpiry
	}
	if s.leaseTTL <= 0 {
		s.leaseTTL = DefaultLeaseTTL
	}
	if s.now == nil {
		s.now = time.Now
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s, nil
}

// Metadata is the tus Upload-Metadata of an evidence upload, decoded.
type Metadata struct {
	ClientID       string
	SHA256         string // hex, lower case
	ContentType    string
	Kind           Kind
	CapturedAt     time.Time
	Lat, Lon       *float64
	RecordClientID string
}

// CreateInput is a new upload.
type CreateInput struct {
	Metadata   Metadata
	Raw        string // the Upload-Metadata header as sent
	Length     int64
	UploaderID string
	DeviceID   string
	StreetCode string
}

// Create starts the upload of an evidence item and returns it. If the
// phone's client id already has verified evidence with the same hash, that
// item is returned with existing set, and nothing is created: a phone that
// lost the answer to its last request may ask again. It returns
// derrors.Invalid, UnsupportedMediaType or PayloadTooLarge for a bad
// declaration (see CheckDeclaration).
func (s *Service) Create(ctx context.Context, in CreateInput) (e Evidence, existing bool, err error) {
	md := in.Metadata
	if err := CheckDeclaration(md.Kind, md.ContentType, in.Length); err != nil {
		return Evidence{}, false, err
	}
	if in.Length < 1 {
		return Evidence{}, false, derrors.Invalidf("Upload-Length", "evidence cannot be empty")
	}
	if prev, err := s.rec.VerifiedByClientID(ctx, md.ClientID); err == nil {
		if prev.SHA256 == md.SHA256 && prev.Length == in.Length {
			return prev, true, nil
		}
		return Evidence{}, false, derrors.New(derrors.Conflict, "evidence %s is already verified with other bytes (SHA-256 %s)", md.ClientID, prev.SHA256)
	} else if derrors.CodeOf(err) != derrors.NotFound {
		return Evidence{}, false, err
	}
	now := s.now().UTC()
	id := uuid.NewString()
	e = Evidence{
		ID: id, ClientID: md.ClientID, RecordClientID: md.RecordClientID, UploaderID: in.UploaderID, DeviceID: in.DeviceID,
		StreetCode: in.StreetCode, Kind: md.Kind, DeclaredContentType: CanonicalType(md.ContentType), Length: in.Length,
		DeclaredSHA256: md.SHA256, CapturedAt: md.CapturedAt, Lat: md.Lat, Lon: md.Lon, UploadMetadata: in.Raw,
		Status: StatusUploading, CreatedAt: now,
	}
	u := Upload{EvidenceID: id, ExpiresAt: now.Add(s.expiry), S3Key: UploadPrefix + id, NextPart: 1}
	e, err = s.rec.CreateUpload(ctx, e, u)
	return e, false, err
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

// HashMismatch is the problem of quarantined evidence, naming it.
func HashMismatch(e Evidence) *derrors.Error {
	return derrors.New(derrors.EvidenceHashMismatch,
		"evidence %s failed its integrity check: the server computed SHA-256 %s over the %d bytes received, the phone declared %s; it is quarantined and will not be served",
		e.ClientID, e.SHA256, e.Length, e.DeclaredSHA256)
}

// Checksum is a tus Upload-Checksum of one chunk.
type Checksum struct {
	Algorithm string // sha1 or sha256
	Sum       []byte
}

// ChecksumAlgorithms are the Upload-Checksum algorithms supported.
var ChecksumAlgorithms = []string{"sha1", "sha256"}

func (c *Checksum) hasher() hash.Hash {
	if c.Algorithm == "sha1" {
		return sha1.New()
	}
	return sha256.New()
}

// WriteInput is one PATCH (or the body of a creation-with-upload POST).
type WriteInput struct {
	ID     string
	UserID string
	Offset int64     // the client's Upload-Offset
	Body   io.Reader // streamed, never read whole
	// ContentLength is the body's declared length, -1 if unknown (chunked).
	ContentLength int64
	Checksum      *Checksum // nil without Upload-Checksum
}

// WriteResult is the state after a write.
type WriteResult struct {
	Offset    int64
	ExpiresAt time.Time
	Evidence  Evidence // as it stands after the write
}

// writer is the state of one write.
type writer struct {
	s        *Service
	ctx      context.Context
	token    string
	e        Evidence
	u        Upload
	buf      []byte // bytes after the last part; starts at offset 0 while fromStart
	h        hash.Hash
	chunk    hash.Hash
	received int64 // bytes of this write
	parts    []Part
	uploadID string
	renewed  time.Time
	head     *Head
	ctype    string
	dirty    bool // a part was stored but not yet recorded (checksummed write)
}

// offset is the upload's offset after the bytes received so far.
func (w *writer) offset() int64 { return w.u.Offset + w.received }

// fromStart reports whether buf begins at the start of the file.
func (w *writer) fromStart() bool { return len(w.parts) == 0 }

// Write appends the body to an upload at in.Offset, streaming it through
// one buffer of at most PartSize bytes, and completes the upload when its
// last byte arrives. Without a checksum, whatever arrives before the body
// breaks off is kept. It returns derrors.NotFound (no such upload or
// another user's), Gone (expired, terminated), Locked (another request is
// writing), Conflict (in.Offset is not the upload's offset),
// PayloadTooLarge (past the declared length), ChecksumMismatch (the chunk
// was discarded), UnsupportedMediaType (the bytes are not the declared
// type; the upload is refused), or EvidenceHashMismatch (complete, but
// quarantined).
func (s *Service) Write(ctx context.Context, in WriteInput) (WriteResult, error) {
	token := uuid.NewString()
	e, u, err := s.rec.AcquireUpload(ctx, in.ID, token, s.leaseTTL)
	if err != nil {
		return WriteResult{}, err
	}
	var finished bool // Finish releases the lease itself
	defer func() {
		if finished {
			return
		}
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		if err := s.rec.ReleaseUpload(rctx, in.ID, token); err != nil {
			s.log.WarnContext(ctx, "release upload lease", "upload", in.ID, "err", err.Error())
		}
	}()
	if e.UploaderID != in.UserID {
		return WriteResult{}, notFound(in.ID)
	}
	if err := s.usable(e, u); err != nil {
		return WriteResult{}, err
	}
	res := WriteResult{Offset: u.Offset, ExpiresAt: u.ExpiresAt, Evidence: e}
	if e.Status == StatusVerified {
		// Complete already: only a replay of the end is not a conflict.
		if in.Offset != e.Length || in.ContentLength > 0 {
			return res, derrors.New(derrors.Conflict, "upload %s is complete (%d bytes); Upload-Offset %d does not continue it", e.ID, e.Length, in.Offset)
		}
		res.Offset = e.Length
		return res, nil
	}
	if in.Offset != u.Offset {
		return res, derrors.New(derrors.Conflict, "Upload-Offset %d is not the upload's offset %d: ask with HEAD and resume there", in.Offset, u.Offset)
	}
	remaining := e.Length - u.Offset
	if in.ContentLength > remaining {
		return res, derrors.New(derrors.PayloadTooLarge, "the body of %d bytes goes past the declared Upload-Length %d (offset %d)", in.ContentLength, e.Length, u.Offset)
	}

	w := &writer{s: s, ctx: ctx, token: token, e: e, u: u, parts: append([]Part(nil), u.Parts...), uploadID: u.S3UploadID,
		head: u.Head, ctype: e.ContentType, renewed: s.now(), h: sha256.New()}
	if u.HashState != nil {
		if err := w.h.(encoding.BinaryUnmarshaler).UnmarshalBinary(u.HashState); err != nil {
			return res, derrors.Wrap(err, derrors.Internal, "restore hash state")
		}
	}
	if in.Checksum != nil {
		w.chunk = in.Checksum.hasher()
	}
	w.buf = s.buffer(min(int64(PartSize), u.TailSize+remaining))
	defer s.release(w.buf)
	if u.TailSize > 0 {
		w.buf = w.buf[:u.TailSize]
		if err := s.store.readInto(ctx, u.TailKey, u.TailVersion, w.buf); err != nil {
			return res, err
		}
	}

	readErr := w.stream(in.Body, remaining)
	if derrors.CodeOf(readErr) == derrors.UnsupportedMediaType {
		return res, w.reject(readErr)
	}
	var de *derrors.Error
	if errors.As(readErr, &de) {
		return res, readErr // from storing a part; nothing more is recorded
	}
	if readErr == nil && w.received == remaining && in.Body != nil {
		// The declared length is reached; anything more is an error.
		var one [1]byte
		if n, _ := io.ReadFull(in.Body, one[:]); n > 0 {
			return res, derrors.New(derrors.PayloadTooLarge, "the body goes past the declared Upload-Length %d", e.Length)
		}
	}
	if in.Checksum != nil {
		if readErr != nil {
			return res, derrors.Wrap(readErr, derrors.BadRequest, "the body broke off before its end; a checksummed chunk is kept only whole")
		}
		if got := w.chunk.Sum(nil); subtle.ConstantTimeCompare(got, in.Checksum.Sum) != 1 {
			return res, derrors.New(derrors.ChecksumMismatch, "the chunk's %s is not the Upload-Checksum; it was discarded, resume at offset %d", in.Checksum.Algorithm, u.Offset)
		}
	}
	if w.offset() == e.Length {
		done, err := w.complete()
		finished = done.Status != StatusUploading
		res.Offset, res.Evidence = e.Length, done
		return res, err
	}
	if w.received == 0 && !w.dirty {
		return res, readErr
	}
	if err := w.save(); err != nil {
		return res, err
	}
	res.Offset = w.offset()
	if readErr != nil {
		s.log.InfoContext(ctx, "upload body broke off; kept what arrived", "upload", e.ID, "offset", res.Offset, "err", readErr.Error())
	}
	return res, nil
}

// stream reads the body into the buffer, hashing it, storing a part each
// time the buffer fills before the end. It returns the body's read error
// (the connection broke), or a *derrors.Error.
func (w *writer) stream(body io.Reader, remaining int64) error {
	if body == nil {
		return nil
	}
	r := io.LimitReader(body, remaining)
	for {
		if len(w.buf) == cap(w.buf) {
			if w.offset() == w.e.Length {
				return nil
			}
			if err := w.flushPart(); err != nil {
				return err
			}
		}
		n, err := r.Read(w.buf[len(w.buf):cap(w.buf)])
		if n > 0 {
			b := w.buf[len(w.buf) : len(w.buf)+n]
			w.h.Write(b)
			if w.chunk != nil {
				w.chunk.Write(b)
			}
			w.buf = w.buf[:len(w.buf)+n]
			w.received += int64(n)
			if err := w.sniff(false); err != nil {
				return err
			}
			if err := w.renew(); err != nil {
				return err
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
	}
}

// renew extends the lease during a long read, so that a slow phone keeps
// its upload.
func (w *writer) renew() error {
	if w.s.now().Sub(w.renewed) < w.s.leaseTTL/3 {
		return nil
	}
	if err := w.s.rec.RenewLease(w.ctx, w.e.ID, w.token, w.s.leaseTTL); err != nil {
		return err
	}
	w.renewed = w.s.now()
	return nil
}

// sniff checks the type of the bytes as soon as there are enough of them
// (the first bytes of the first chunk), then the image header once it is
// all there. complete says the buffer holds the whole file.
func (w *writer) sniff(complete bool) error {
	if !w.fromStart() {
		return nil
	}
	if w.ctype == "" {
		if len(w.buf) < SniffLen && !complete {
			return nil
		}
		ct, err := CheckContent(w.e.DeclaredContentType, w.buf)
		if err != nil {
			return err
		}
		w.ctype = ct
	}
	if w.head == nil {
		wd, ht, err := CheckImageHeader(w.ctype, w.buf, complete)
		if errors.Is(err, errShortHeader) {
			if len(w.buf) == cap(w.buf) || complete {
				return derrors.New(derrors.UnsupportedMediaType, "the image header is not within the first %d bytes", len(w.buf))
			}
			return nil
		}
		if err != nil {
			return err
		}
		w.head = &Head{Width: wd, Height: ht}
	}
	return nil
}

// analyseHead reads what only the first bytes tell (EXIF), before they
// leave memory.
func (w *writer) analyseHead() {
	if !w.fromStart() || w.head == nil || w.head.EXIF != nil || w.ctype != TypeJPEG {
		return
	}
	w.head.EXIF = ReadEXIF(w.buf)
}

// flushPart stores the full buffer as the next S3 part and, without a
// chunk checksum, records the progress.
func (w *writer) flushPart() error {
	ctx := w.ctx
	if w.fromStart() {
		if err := w.sniff(false); err != nil {
			return err
		}
		if w.head == nil {
			return derrors.New(derrors.UnsupportedMediaType, "the image header is not within the first %d bytes", len(w.buf))
		}
		w.analyseHead()
	}
	newUpload := ""
	if w.uploadID == "" {
		id, err := w.s.store.newMultipart(ctx, w.u.S3Key)
		if err != nil {
			return err
		}
		w.uploadID, newUpload = id, id
	}
	n, err := w.s.rec.AllocatePart(ctx, w.e.ID, w.token, newUpload, w.s.leaseTTL)
	if err != nil {
		return err
	}
	w.renewed = w.s.now()
	etag, err := w.s.store.putPart(ctx, w.u.S3Key, w.uploadID, n, w.buf)
	if err != nil {
		return err
	}
	w.parts = append(w.parts, Part{Number: n, ETag: etag, Size: int64(len(w.buf))})
	w.buf = w.buf[:0]
	if w.chunk != nil {
		w.dirty = true // recorded once the whole chunk checks out
		return nil
	}
	return w.save()
}

// save records the progress: the parts, the tail (staged as a small
// object) and the hash state, all at once.
func (w *writer) save() error {
	ctx := w.ctx
	state, err := w.h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return derrors.Wrap(err, derrors.Internal, "save hash state")
	}
	if w.fromStart() && len(w.buf) > 0 {
		if err := w.sniff(false); err != nil {
			return err
		}
	}
	p := Progress{Offset: w.offset(), HashState: state, S3UploadID: w.uploadID, Parts: w.parts, ContentType: w.ctype, Head: w.head}
	if len(w.buf) > 0 {
		key := fmt.Sprintf("%s%s/tail/%s", UploadPrefix, w.e.ID, uuid.NewString())
		v, err := w.s.store.putSmall(ctx, key, w.buf, "application/octet-stream")
		if err != nil {
			return err
		}
		p.TailKey, p.TailVersion, p.TailSize = key, v, int64(len(w.buf))
	}
	if err := w.s.rec.SaveProgress(ctx, w.e.ID, w.token, p, w.s.leaseTTL); err != nil {
		if p.TailKey != "" {
			_ = w.s.store.removeVersion(context.WithoutCancel(ctx), p.TailKey, p.TailVersion)
		}
		return err
	}
	w.dropOldTail()
	w.u.Offset, w.u.TailKey, w.u.TailVersion, w.u.TailSize = p.Offset, p.TailKey, p.TailVersion, p.TailSize
	w.received, w.dirty = 0, false
	return nil
}

// dropOldTail deletes the staging object the upload had before this write,
// once it is no longer referenced.
func (w *writer) dropOldTail() {
	if w.u.TailKey == "" {
		return
	}
	if err := w.s.store.removeVersion(context.WithoutCancel(w.ctx), w.u.TailKey, w.u.TailVersion); err != nil {
		w.s.log.WarnContext(w.ctx, "remove staged tail", "key", w.u.TailKey, "err", err.Error())
	}
	w.u.TailKey = ""
}

// reject ends an upload whose bytes are not what was declared: nothing is
// kept, and the problem stays the answer to the upload.
func (w *writer) reject(cause error) error {
	var de *derrors.Error
	errors.As(cause, &de)
	ctx := context.WithoutCancel(w.ctx)
	w.cleanup(ctx)
	_, err := w.s.rec.Finish(ctx, w.e.ID, w.token, Outcome{Status: StatusRejected, ProblemCode: string(de.Code), ProblemDetail: de.Message, ContentType: w.ctype})
	if err != nil {
		return err
	}
	return cause
}

// cleanup drops the working objects of an upload.
func (w *writer) cleanup(ctx context.Context) {
	if w.uploadID != "" {
		if err := w.s.store.abortMultipart(ctx, w.u.S3Key, w.uploadID); err != nil {
			w.s.log.WarnContext(ctx, "abort multipart upload", "key", w.u.S3Key, "err", err.Error())
		}
	}
	w.dropOldTail()
}

// complete verifies the whole file and stores it: under its SHA-256 with
// Object Lock if it matches the phone's hash, in quarantine if not.
func (w *writer) complete() (Evidence, error) {
	// The last requests of an upload must finish even if the phone leaves.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), 10*time.Minute)
	defer cancel()
	if err := w.sniff(true); err != nil {
		return w.e, w.reject(err)
	}
	w.analyseHead()
	sum := hex.EncodeToString(w.h.Sum(nil))
	until := w.s.now().Add(w.s.retention).UTC().Truncate(time.Second)
	o := Outcome{SHA256: sum, ContentType: w.ctype, LockMode: w.s.lockMode, RetainUntil: &until}
	if w.head != nil && w.head.EXIF != nil {
		o.EXIF = w.head.EXIF
		o.Discrepancies = w.head.EXIF.Discrepancies(w.e.CapturedAt, w.e.Lat, w.e.Lon)
	}
	match := sum == w.e.DeclaredSHA256

	var err error
	if w.fromStart() && w.uploadID == "" {
		// The whole file is in the buffer: one conditional, checked PUT.
		if match {
			o.Status, o.ObjectKey = StatusVerified, EvidenceKey(sum)
			var existed bool
			o.VersionID, existed, err = w.s.store.putVerified(ctx, o.ObjectKey, w.buf, sum, w.ctype, w.s.lockMode, until)
			if err == nil && existed {
				err = w.dedup(ctx, &o)
			}
		} else {
			o.Status, o.ObjectKey = StatusQuarantined, QuarantinePrefix+w.e.ID
			o.VersionID, _, err = w.s.store.putVerified(ctx, o.ObjectKey, w.buf, sum, "application/octet-stream", w.s.lockMode, until)
		}
		if err != nil {
			return w.e, err
		}
		w.dropOldTail()
	} else {
		if err := w.completeMultipart(ctx, match, &o); err != nil {
			return w.e, err
		}
	}
	o.Thumbnail = thumbnailState(o.Status, w.ctype, w.head)
	if o.Status == StatusVerified && w.e.RecordClientID != "" && w.s.index != nil {
		if ok, err := w.s.index.RecordArrived(ctx, w.e.RecordClientID); err == nil && ok {
			o.Linked = true
		}
	}
	e, err := w.s.rec.Finish(ctx, w.e.ID, w.token, o)
	if err != nil {
		return w.e, err
	}
	if e.Status == StatusQuarantined {
		return e, HashMismatch(e)
	}
	if o.Linked {
		// The evidence is stored and verified whatever happens next; a record
		// not updated here is brought up to date at its next change or read.
		if err := w.s.index.EvidenceVerified(ctx, w.e.RecordClientID); err != nil {
			w.s.log.WarnContext(ctx, "record not updated after its evidence was verified", "record", w.e.RecordClientID, "err", err.Error())
		}
	}
	if e.Thumbnail == ThumbnailPending {
		w.s.KickThumbnails()
	}
	return e, nil
}

// completeMultipart stores the last part, assembles the upload and moves
// it to its place: a server-side copy under Object Lock, then the working
// object is dropped.
func (w *writer) completeMultipart(ctx context.Context, match bool, o *Outcome) error {
	w.ctx = ctx
	if len(w.buf) > 0 {
		if err := w.flushLast(); err != nil {
			return err
		}
	}
	version, err := w.s.store.completeMultipart(ctx, w.u.S3Key, w.uploadID, w.parts)
	if err != nil {
		return err
	}
	if match {
		o.Status, o.ObjectKey = StatusVerified, EvidenceKey(o.SHA256)
		info, err := w.s.store.stat(ctx, o.ObjectKey)
		switch {
		case err == nil:
			o.VersionID = info.VersionID
			err = w.dedup(ctx, o)
		case derrors.CodeOf(err) == derrors.NotFound:
			o.VersionID, err = w.s.store.copyLocked(ctx, w.u.S3Key, version, o.ObjectKey, w.ctype, w.s.lockMode, *o.RetainUntil)
		}
		if err != nil {
			return err
		}
	} else {
		o.Status, o.ObjectKey = StatusQuarantined, QuarantinePrefix+w.e.ID
		if o.VersionID, err = w.s.store.copyLocked(ctx, w.u.S3Key, version, o.ObjectKey, "application/octet-stream", w.s.lockMode, *o.RetainUntil); err != nil {
			return err
		}
	}
	if err := w.s.store.removeVersion(ctx, w.u.S3Key, version); err != nil {
		w.s.log.WarnContext(ctx, "remove assembled upload", "key", w.u.S3Key, "err", err.Error())
	}
	w.dropOldTail()
	return nil
}

// flushLast stores the buffer as the final (possibly short) part.
func (w *writer) flushLast() error {
	n, err := w.s.rec.AllocatePart(w.ctx, w.e.ID, w.token, "", w.s.leaseTTL)
	if err != nil {
		return err
	}
	etag, err := w.s.store.putPart(w.ctx, w.u.S3Key, w.uploadID, n, w.buf)
	if err != nil {
		return err
	}
	w.parts = append(w.parts, Part{Number: n, ETag: etag, Size: int64(len(w.buf))})
	w.buf = w.buf[:0]
	return nil
}

// dedup makes an existing original back this evidence too: the object is
// not written again, its retention is extended to this evidence's if that
// is later.
func (w *writer) dedup(ctx context.Context, o *Outcome) error {
	info, err := w.s.store.stat(ctx, o.ObjectKey)
	if err != nil {
		return err
	}
	until, err := w.s.store.ensureRetention(ctx, o.ObjectKey, info.VersionID, w.s.lockMode, *o.RetainUntil)
	if err != nil {
		return err
	}
	o.VersionID, o.RetainUntil, o.Deduplicated = info.VersionID, &until, true
	return nil
}

// MaxThumbnailPixels bounds the images thumbnailed: decoding allocates
// about 1.5-6 bytes a pixel, and thumbnails are made one at a time within
// the fixed memory budget.
const MaxThumbnailPixels = 13_000_000

// thumbnailState is the thumbnail an item gets on completion.
func thumbnailState(st Status, ctype string, head *Head) string {
	if st != StatusVerified {
		return ""
	}
	switch ctype {
	case TypeJPEG, TypePNG:
		if head != nil && head.Width*head.Height > MaxThumbnailPixels {
			return fmt.Sprintf("unavailable (over %d megapixels)", MaxThumbnailPixels/1_000_000)
		}
		return ThumbnailPending
	case TypeHEIC, TypeHEIF:
		return "unavailable (heic)"
	}
	return ThumbnailNone
}

// Terminate ends an unfinished upload for its uploader (tus termination):
// its parts and staged bytes are dropped. It returns derrors.NotFound for
// no such upload or another user's, Locked while a write is running, and
// Conflict for a completed one.
func (s *Service) Terminate(ctx context.Context, id, userID string) error {
	token := uuid.NewString()
	e, u, err := s.rec.AcquireUpload(ctx, id, token, s.leaseTTL)
	if err != nil {
		return err
	}
	defer s.rec.ReleaseUpload(context.WithoutCancel(ctx), id, token)
	if e.UploaderID != userID {
		return notFound(id)
	}
	switch e.Status {
	case StatusTerminated:
		return derrors.New(derrors.Gone, "upload %s was terminated", id)
	case StatusUploading:
	default:
		return derrors.New(derrors.Conflict, "upload %s has ended (%s); evidence is never deleted", id, e.Status)
	}
	w := &writer{s: s, ctx: ctx, e: e, u: u, uploadID: u.S3UploadID}
	w.cleanup(context.WithoutCancel(ctx))
	_, err = s.rec.Terminate(ctx, id)
	return err
}

// Content opens the verified original of e, for streaming. It returns
// derrors.EvidenceHashMismatch for quarantined evidence and
// derrors.Conflict for evidence not yet verified: nothing else is served.
func (s *Service) Content(ctx context.Context, e Evidence) (io.ReadCloser, error) {
	if err := servable(e); err != nil {
		return nil, err
	}
	return s.store.open(ctx, e.ObjectKey, e.VersionID)
}

// Thumbnail opens the thumbnail of e, or returns derrors.NotFound when it
// has none (yet).
func (s *Service) Thumbnail(ctx context.Context, e Evidence) (io.ReadCloser, error) {
	if err := servable(e); err != nil {
		return nil, err
	}
	if e.Thumbnail != ThumbnailAvailable {
		return nil, derrors.New(derrors.NotFound, "evidence %s has no thumbnail: %s", e.ID, e.Thumbnail)
	}
	return s.store.open(ctx, e.ThumbnailKey, "")
}

// PresignDownload mints a URL that downloads the verified original of e
// directly from the object store for ttl (at most MaxPresignTTL). The
// caller checks access first. It returns the errors of Content.
func (s *Service) PresignDownload(ctx context.Context, e Evidence, ttl time.Duration) (*url.URL, time.Time, error) {
	if err := servable(e); err != nil {
		return nil, time.Time{}, err
	}
	ttl = min(ttl, MaxPresignTTL)
	u, err := s.store.presign(ctx, e.ObjectKey, e.VersionID, e.ContentType, ttl)
	return u, s.now().Add(ttl), err
}

func servable(e Evidence) error {
	switch e.Status {
	case StatusVerified:
		return nil
	case StatusQuarantined:
		return HashMismatch(e)
	}
	return derrors.New(derrors.Conflict, "evidence %s is %s, not verified: only verified originals are served", e.ID, e.Status)
}

// KickThumbnails wakes the thumbnail worker (RunThumbnails).
func (s *Service) KickThumbnails() {
	select {
	case s.thumbs <- struct{}{}:
	default:
	}
}

// buffer returns an empty buffer of capacity n (at most PartSize).
func (s *Service) buffer(n int64) []byte {
	if n == PartSize {
		if b, ok := s.parts.Get().(*[]byte); ok {
			return (*b)[:0]
		}
	}
	return make([]byte, 0, n)
}

func (s *Service) release(b []byte) {
	if cap(b) == PartSize {
		b = b[:0]
		s.parts.Put(&b)
	}
}

// ParseChecksum parses a tus Upload-Checksum header ("sha256 <base64>").
// It returns derrors.BadRequest for a malformed header or an unsupported
// algorithm.
func ParseChecksum(h string, decode func(string) ([]byte, error)) (*Checksum, error) {
	alg, b64, ok := strings.Cut(strings.TrimSpace(h), " ")
	if !ok {
		return nil, derrors.New(derrors.BadRequest, "Upload-Checksum must be \"<algorithm> <base64>\"")
	}
	c := &Checksum{Algorithm: alg}
	want := 0
	switch alg {
	case "sha1":
		want = sha1.Size
	case "sha256":
		want = sha256.Size
	default:
		return nil, derrors.New(derrors.BadRequest, "Upload-Checksum algorithm %q is not supported (%s)", alg, strings.Join(ChecksumAlgorithms, ", "))
	}
	sum, err := decode(strings.TrimSpace(b64))
	if err != nil || len(sum) != want {
		return nil, derrors.New(derrors.BadRequest, "Upload-Checksum is not the base64 of a %s", alg)
	}
	c.Sum = sum
	return c, nil
}

// Evidence returns an item, or derrors.NotFound. The caller checks access.
func (s *Service) Evidence(ctx context.Context, id string) (Evidence, error) {
	return s.rec.Evidence(ctx, id)
}

// Custody returns the custody log of an item, or derrors.NotFound.
func (s *Service) Custody(ctx context.Context, id string) ([]CustodyEntry, error) {
	return s.rec.Custody(ctx, id)
}

// RecordAccess appends an access to an item's custody log and the audit
// trail; an access that cannot be recorded must not happen.
func (s *Service) RecordAccess(ctx context.Context, id string, a Access) error {
	return s.rec.RecordAccess(ctx, id, a)
}
