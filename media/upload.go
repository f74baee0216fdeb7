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
	"github.com/whistle/whistle/backend/evidence"
)

// PartSize is the size of the S3 multipart parts an upload is cut into, and
// so of the one buffer a write holds in memory. S3 wants parts of at least
// 5 MiB (except the last); 7 MiB leaves a writing request, with its
// connection's and the S3 client's own buffers, under 8 MiB.
const PartSize = 7 << 20

// MaxPresignTTL is the longest a presigned download URL may live.
const MaxPresignTTL = 5 * time.Minute

// UploadKey is the key of the multipart object an upload is assembled in
// (evidence.Config.UploadKey).
func UploadKey(id string) string { return UploadPrefix + id }

// ServiceConfig is what the upload service needs.
type ServiceConfig struct {
	Store *Store
	// Evidence decides what each step of an upload means.
	Evidence *evidence.Service
	// LockMode and Retention are the Object Lock of originals (Governance
	// or Compliance, and how long from verification).
	LockMode  string
	Retention time.Duration
	Log       *slog.Logger // slog.Default() when nil
}

// Service moves the bytes of evidence: tus uploads stored as S3 multipart
// uploads, hashed as they stream, verified against the phone's hash,
// stored content-addressed under Object Lock; and verified originals
// served back. What each step means (leases, outcomes, custody, linking)
// the evidence service decides.
type Service struct {
	store     *Store
	ev        *evidence.Service
	lockMode  string
	retention time.Duration
	log       *slog.Logger
	parts     sync.Pool // []byte of PartSize
}

// NewService returns a Service over cfg. It fails when Store or Evidence
// is missing or the lock settings are invalid.
func NewService(cfg ServiceConfig) (*Service, error) {
	if cfg.Store == nil || cfg.Evidence == nil {
		return nil, errors.New("media: ServiceConfig.Store and Evidence are required")
	}
	if cfg.LockMode != Governance && cfg.LockMode != Compliance {
		return nil, fmt.Errorf("media: lock mode %q is neither %s nor %s", cfg.LockMode, Governance, Compliance)
	}
	if cfg.Retention <= 0 {
		return nil, errors.New("media: retention must be positive")
	}
	s := &Service{store: cfg.Store, ev: cfg.Evidence, lockMode: cfg.LockMode, retention: cfg.Retention,
		log: cfg.Log}
	if s.log == nil {
		s.log = slog.Default()
	}
	return s, nil
}

func (s *Service) now() time.Time { return s.ev.Now() }

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
	Evidence  evidence.Evidence // as it stands after the write
}

// writer is the state of one write.
type writer struct {
	s     *Service
	ctx   context.Context
	lease *evidence.Lease // nil while decl is not stored
	// decl is the declared upload a creation-with-upload writes before it
	// is stored (Begin); nil once stored, and for every other write.
	decl     *evidence.Declaration
	e        evidence.Evidence
	u        evidence.Upload
	buf      []byte // bytes after the last part; starts at offset 0 while fromStart
	h        hash.Hash
	chunk    hash.Hash
	received int64 // bytes of this write
	parts    []evidence.Part
	uploadID string
	renewed  time.Time
	head     *evidence.Head
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
	lease, err := s.ev.Acquire(ctx, in.ID, in.UserID)
	if err != nil {
		return WriteResult{}, err
	}
	defer lease.Release(ctx) // unless Finish took it
	e, u := lease.Evidence, lease.Upload
	if err := lease.Usable(); err != nil {
		return WriteResult{}, err
	}
	res := WriteResult{Offset: u.Offset, ExpiresAt: u.ExpiresAt, Evidence: e}
	if e.Status == evidence.StatusVerified {
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

	w := &writer{s: s, ctx: ctx, lease: lease, e: e, u: u, parts: append([]evidence.Part(nil), u.Parts...), uploadID: u.S3UploadID,
		head: u.Head, ctype: e.ContentType, renewed: s.now(), h: sha256.New()}
	if u.HashState != nil {
		if err := w.h.(encoding.BinaryUnmarshaler).UnmarshalBinary(u.HashState); err != nil {
			return res, derrors.Wrap(err, derrors.Internal, "restore hash state")
		}
	}
	w.buf = s.buffer(min(int64(PartSize), u.TailSize+remaining))
	defer s.release(w.buf)
	if u.TailSize > 0 {
		w.buf = w.buf[:u.TailSize]
		if err := s.store.readInto(ctx, u.TailKey, u.TailVersion, w.buf); err != nil {
			return res, err
		}
	}
	return w.write(in, remaining, res)
}

// Begin stores a declared upload (evidence.Service.Declare) with the body
// of the request that declared it (tus creation-with-upload), and returns
// what Write returns. A body that is the whole file and fits one buffer
// (the common photo) is hashed, checked and stored under Object Lock
// before the database is written to, then the item is stored as it ended,
// in one transaction (evidence.Service.FinishDeclared): one commit for the
// whole upload. Otherwise, or if that body breaks off, the upload is
// started (evidence.Service.Start) with what arrived, as if by Write.
func (s *Service) Begin(ctx context.Context, d evidence.Declaration, in WriteInput) (WriteResult, error) {
	e, u := d.Evidence, d.Upload
	if in.Body == nil || in.ContentLength != e.Length || e.Length > PartSize {
		if _, err := s.ev.Start(ctx, d); err != nil {
			return WriteResult{Evidence: e}, err
		}
		in.ID, in.Offset = e.ID, 0
		return s.Write(ctx, in)
	}
	res := WriteResult{ExpiresAt: u.ExpiresAt, Evidence: e}
	w := &writer{s: s, ctx: ctx, decl: &d, e: e, u: u, renewed: s.now(), h: sha256.New()}
	defer func() {
		if w.lease != nil {
			w.lease.Release(ctx) // unless Finish took it
		}
	}()
	// The buffer holds the whole file: no part is stored before the end
	// (flushPart), so nothing needs the upload stored until then.
	w.buf = s.buffer(e.Length)
	defer s.release(w.buf)
	res, err := w.write(in, e.Length, res)
	if w.decl != nil {
		// Refused before anything was kept (a bad checksum, too long a
		// body): the upload stands, at offset 0, for the phone to resume.
		if _, serr := s.ev.Start(ctx, d); serr != nil {
			return res, serr
		}
	}
	return res, err
}

// write streams the body of in (at most remaining bytes) into the
// upload, then completes it, or records what arrived.
func (w *writer) write(in WriteInput, remaining int64, res WriteResult) (WriteResult, error) {
	s, ctx, e, u := w.s, w.ctx, w.e, w.u
	if in.Checksum != nil {
		w.chunk = in.Checksum.hasher()
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

// start stores the declared upload a write began before storing it, and
// takes its lease, so that its progress can be saved.
func (w *writer) start() error {
	if w.decl == nil {
		return nil
	}
	if _, err := w.s.ev.Start(w.ctx, *w.decl); err != nil {
		return err
	}
	w.decl = nil
	lease, err := w.s.ev.Acquire(w.ctx, w.e.ID, w.e.UploaderID)
	if err != nil {
		return err
	}
	w.lease = lease
	return nil
}

// finish records how the upload ended: through the lease, or, for a
// declared upload not stored yet, by storing it as it ended.
func (w *writer) finish(ctx context.Context, o evidence.Outcome) (evidence.Evidence, error) {
	if w.decl == nil {
		return w.lease.Finish(ctx, o)
	}
	e, err := w.s.ev.FinishDeclared(ctx, *w.decl, o)
	if err == nil {
		w.decl = nil
	}
	return e, err
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
	if w.lease == nil || w.s.now().Sub(w.renewed) < w.s.ev.LeaseTTL()/3 {
		return nil
	}
	if err := w.lease.Renew(w.ctx); err != nil {
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
		w.head = &evidence.Head{Width: wd, Height: ht}
	}
	return nil
}

// analyseHead reads what only the first bytes tell (EXIF), before they
// leave memory.
func (w *writer) analyseHead() {
	if !w.fromStart() || w.head == nil || w.head.EXIF != nil {
		return
	}
	if w.ctype != evidence.TypeJPEG && w.ctype != evidence.TypeHEIC && w.ctype != evidence.TypeHEIF {
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
	n, err := w.lease.AllocatePart(ctx, newUpload)
	if err != nil {
		return err
	}
	w.renewed = w.s.now()
	etag, err := w.s.store.putPart(ctx, w.u.S3Key, w.uploadID, n, w.buf)
	if err != nil {
		return err
	}
	w.parts = append(w.parts, evidence.Part{Number: n, ETag: etag, Size: int64(len(w.buf))})
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
	if err := w.start(); err != nil {
		return err
	}
	state, err := w.h.(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return derrors.Wrap(err, derrors.Internal, "save hash state")
	}
	if w.fromStart() && len(w.buf) > 0 {
		if err := w.sniff(false); err != nil {
			return err
		}
	}
	p := evidence.Progress{Offset: w.offset(), HashState: state, S3UploadID: w.uploadID, Parts: w.parts, ContentType: w.ctype, Head: w.head}
	if len(w.buf) > 0 {
		key := fmt.Sprintf("%s%s/tail/%s", UploadPrefix, w.e.ID, uuid.NewString())
		v, err := w.s.store.putSmall(ctx, key, w.buf, "application/octet-stream")
		if err != nil {
			return err
		}
		p.TailKey, p.TailVersion, p.TailSize = key, v, int64(len(w.buf))
	}
	if err := w.lease.Save(ctx, p); err != nil {
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
	_, err := w.finish(ctx, evidence.Outcome{Status: evidence.StatusRejected, ProblemCode: string(de.Code), ProblemDetail: de.Message, ContentType: w.ctype})
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
func (w *writer) complete() (evidence.Evidence, error) {
	// The last requests of an upload must finish even if the phone leaves.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), 10*time.Minute)
	defer cancel()
	if err := w.sniff(true); err != nil {
		return w.e, w.reject(err)
	}
	w.analyseHead()
	sum := hex.EncodeToString(w.h.Sum(nil))
	until := w.s.now().Add(w.s.retention).UTC().Truncate(time.Second)
	o := evidence.Outcome{SHA256: sum, ContentType: w.ctype, LockMode: w.s.lockMode, RetainUntil: &until}
	if w.head != nil && w.head.EXIF != nil {
		o.EXIF = w.head.EXIF
		o.Discrepancies = w.head.EXIF.Discrepancies(w.e.CapturedAt, w.e.Lat, w.e.Lon)
	}
	match := sum == w.e.DeclaredSHA256

	var err error
	if w.fromStart() && w.uploadID == "" {
		// The whole file is in the buffer: one conditional, checked PUT.
		if match {
			o.Status, o.ObjectKey = evidence.StatusVerified, EvidenceKey(sum)
			var existed, adopted bool
			o.VersionID, existed, err = w.s.store.putVerified(ctx, o.ObjectKey, w.buf, sum, w.ctype, w.s.lockMode, until, true)
			if err == nil && existed {
				adopted, err = w.dedup(ctx, &o)
			}
			if err == nil && existed && !adopted {
				// The key holds other bytes only: ours become a version of
				// their own, which the item points at.
				o.VersionID, _, err = w.s.store.putVerified(ctx, o.ObjectKey, w.buf, sum, w.ctype, w.s.lockMode, until, false)
			}
		} else {
			o.Status, o.ObjectKey = evidence.StatusQuarantined, QuarantinePrefix+w.e.ID
			o.VersionID, _, err = w.s.store.putVerified(ctx, o.ObjectKey, w.buf, sum, "application/octet-stream", w.s.lockMode, until, true)
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
	o.Thumbnail = evidence.ThumbnailState(o.Status, w.ctype, w.head)
	e, err := w.finish(ctx, o)
	if err != nil {
		return w.e, err
	}
	if e.Status == evidence.StatusQuarantined {
		return e, evidence.HashMismatch(e)
	}
	return e, nil
}

// completeMultipart stores the last part, assembles the upload and moves
// it to its place: a server-side copy under Object Lock, then the working
// object is dropped.
func (w *writer) completeMultipart(ctx context.Context, match bool, o *evidence.Outcome) error {
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
		o.Status, o.ObjectKey = evidence.StatusVerified, EvidenceKey(o.SHA256)
		adopted, err := w.dedup(ctx, o)
		if err == nil && !adopted {
			o.VersionID, err = w.s.store.copyLocked(ctx, w.u.S3Key, version, o.ObjectKey, w.ctype, w.s.lockMode, *o.RetainUntil)
		}
		if err != nil {
			return err
		}
	} else {
		o.Status, o.ObjectKey = evidence.StatusQuarantined, QuarantinePrefix+w.e.ID
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
	n, err := w.lease.AllocatePart(w.ctx, "")
	if err != nil {
		return err
	}
	etag, err := w.s.store.putPart(w.ctx, w.u.S3Key, w.uploadID, n, w.buf)
	if err != nil {
		return err
	}
	w.parts = append(w.parts, evidence.Part{Number: n, ETag: etag, Size: int64(len(w.buf))})
	w.buf = w.buf[:0]
	return nil
}

// dedup makes an original already stored under the content address back
// this evidence too, and reports whether there was one: the oldest version
// of the key that holds exactly the verified bytes (its stored SHA-256
// checksum, or a re-hash, and its size; verifiedVersion). Whatever else
// was put on the key, with the store's credentials, is neither adopted
// nor locked longer: only the adopted version's retention is extended to
// this evidence's, if that is later.
func (w *writer) dedup(ctx context.Context, o *evidence.Outcome) (bool, error) {
	version, err := w.s.store.verifiedVersion(ctx, o.ObjectKey, o.SHA256, w.e.Length)
	if derrors.CodeOf(err) == derrors.NotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	until, err := w.s.store.ensureRetention(ctx, o.ObjectKey, version, w.s.lockMode, *o.RetainUntil)
	if err != nil {
		return false, err
	}
	o.VersionID, o.RetainUntil, o.Deduplicated = version, &until, true
	return true, nil
}

// Terminate ends an unfinished upload for its uploader (tus termination):
// its parts and staged bytes are dropped. It returns derrors.NotFound for
// no such upload or another user's, Locked while a write is running, and
// Conflict for a completed one.
func (s *Service) Terminate(ctx context.Context, id, userID string) error {
	return s.ev.Terminate(ctx, id, userID, func(ctx context.Context, u evidence.Upload) {
		w := &writer{s: s, ctx: ctx, u: u, uploadID: u.S3UploadID}
		w.cleanup(ctx)
	})
}

// Content opens the verified original of e, by the version that was
// verified, for streaming. The bytes are hashed as they stream: if they
// are not the verified ones (another SHA-256 or length), the stream fails
// before its last byte leaves, so that no client takes them for the
// original, and the mismatch goes to the item's custody log and the audit
// trail (evidence.Service.IntegrityFailed); the item is not served again.
// It returns derrors.EvidenceHashMismatch for quarantined evidence and
// for such an item, and derrors.Conflict for evidence not yet verified:
// nothing else is served.
func (s *Service) Content(ctx context.Context, e evidence.Evidence) (io.ReadCloser, error) {
	if err := evidence.Servable(e); err != nil {
		return nil, err
	}
	rc, err := s.store.open(ctx, e.ObjectKey, e.VersionID)
	if err != nil {
		return nil, err
	}
	return &checkedReader{s: s, ctx: ctx, e: e, rc: rc, h: sha256.New()}, nil
}

// checkedReader streams an original, hashing it, and fails rather than
// hand over the last byte of anything but the verified bytes.
type checkedReader struct {
	s      *Service
	ctx    context.Context
	e      evidence.Evidence
	rc     io.ReadCloser
	h      hash.Hash
	n      int64
	failed error
}

func (r *checkedReader) Read(p []byte) (int, error) {
	if r.failed != nil {
		return 0, r.failed
	}
	n, err := r.rc.Read(p)
	r.h.Write(p[:n])
	r.n += int64(n)
	switch {
	case r.n > r.e.Length:
		return 0, r.fail()
	case r.n == r.e.Length && n > 0:
		if hex.EncodeToString(r.h.Sum(nil)) != r.e.SHA256 {
			return 0, r.fail()
		}
	case err == io.EOF && r.n < r.e.Length:
		return 0, r.fail()
	}
	return n, err
}

// fail records the mismatch once and returns the error that ends the stream.
func (r *checkedReader) fail() error {
	got := hex.EncodeToString(r.h.Sum(nil))
	if err := r.s.ev.IntegrityFailed(r.ctx, r.e, got, r.n); err != nil {
		r.s.log.ErrorContext(r.ctx, "record integrity failure", "evidence", r.e.ID, "err", err.Error())
	}
	r.e.IntegrityFailedAt = new(r.s.now())
	r.failed = evidence.IntegrityFailure(r.e)
	return r.failed
}

func (r *checkedReader) Close() error { return r.rc.Close() }

// Thumbnail opens the thumbnail of e, or returns derrors.NotFound when it
// has none (yet).
func (s *Service) Thumbnail(ctx context.Context, e evidence.Evidence) (io.ReadCloser, error) {
	if err := evidence.Servable(e); err != nil {
		return nil, err
	}
	if e.Thumbnail != evidence.ThumbnailAvailable {
		return nil, derrors.New(derrors.NotFound, "evidence %s has no thumbnail: %s", e.ID, e.Thumbnail)
	}
	return s.store.open(ctx, e.ThumbnailKey, "")
}

// PresignDownload mints a URL that downloads the verified original of e
// directly from the object store for ttl (at most MaxPresignTTL). The
// caller checks access first. It returns the errors of Content.
func (s *Service) PresignDownload(ctx context.Context, e evidence.Evidence, ttl time.Duration) (*url.URL, time.Time, error) {
	if err := evidence.Servable(e); err != nil {
		return nil, time.Time{}, err
	}
	// Servable refused an item without its verified version: the URL names
	// that version, never whatever is newest under the key.
	ttl = min(ttl, MaxPresignTTL)
	u, err := s.store.presign(ctx, e.ObjectKey, e.VersionID, e.ContentType, ttl)
	return u, s.now().Add(ttl), err
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
