package postgres

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/google/uuid"
	"gorm.io/gorm"

	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
)

var _ evidence.Records = (*EvidenceStore)(nil)

// EvidenceStore keeps evidence (evidence.Evidence), the progress of its
// uploads and its custody log. Every change appends the custody events the
// evidence service gives it, with their audit trail entry (chained on the street of the uploader's team, or the
// district chain) in the transaction that makes it.
type EvidenceStore struct{ db *DB }

// NewEvidenceStore returns an EvidenceStore over db.
func NewEvidenceStore(db *DB) *EvidenceStore { return &EvidenceStore{db: db} }

type evidenceRow struct {
	ID                  uuid.UUID  `gorm:"column:id"`
	ClientID            uuid.UUID  `gorm:"column:client_id"`
	RecordClientID      *uuid.UUID `gorm:"column:record_client_id"`
	UploaderID          uuid.UUID  `gorm:"column:uploader_id"`
	DeviceID            *uuid.UUID `gorm:"column:device_id"`
	StreetCode          string     `gorm:"column:street_code"`
	Kind                string     `gorm:"column:kind"`
	DeclaredContentType string     `gorm:"column:declared_content_type"`
	ContentType         string     `gorm:"column:content_type"`
	Length              int64      `gorm:"column:length"`
	DeclaredSHA256      string     `gorm:"column:declared_sha256"`
	SHA256              string     `gorm:"column:sha256"`
	CapturedAt          time.Time  `gorm:"column:captured_at"`
	Lat                 *float64   `gorm:"column:lat"`
	Lon                 *float64   `gorm:"column:lon"`
	UploadMetadata      string     `gorm:"column:upload_metadata"`
	Status              string     `gorm:"column:status"`
	ProblemCode         string     `gorm:"column:problem_code"`
	ProblemDetail       string     `gorm:"column:problem_detail"`
	ObjectKey           string     `gorm:"column:object_key"`
	VersionID           string     `gorm:"column:version_id"`
	LockMode            string     `gorm:"column:lock_mode"`
	RetainUntil         *time.Time `gorm:"column:retain_until"`
	EXIF                *string    `gorm:"column:exif"`
	Discrepancies       string     `gorm:"column:discrepancies"`
	Thumbnail           string     `gorm:"column:thumbnail"`
	ThumbnailKey        string     `gorm:"column:thumbnail_key"`
	ThumbnailFailure    string     `gorm:"column:thumbnail_failure"`
	CreatedAt           time.Time  `gorm:"column:created_at"`
	CompletedAt         *time.Time `gorm:"column:completed_at"`
	LinkedAt            *time.Time `gorm:"column:linked_at"`
	LinkedRecordID      *uuid.UUID `gorm:"column:linked_record_id"`
	IntegrityFailedAt   *time.Time `gorm:"column:integrity_failed_at"`
}

type uploadRow struct {
	EvidenceID  uuid.UUID `gorm:"column:evidence_id"`
	Offset      int64     `gorm:"column:upload_offset"`
	ExpiresAt   time.Time `gorm:"column:expires_at"`
	HashState   []byte    `gorm:"column:hash_state"`
	S3Key       string    `gorm:"column:s3_key"`
	S3UploadID  string    `gorm:"column:s3_upload_id"`
	Parts       string    `gorm:"column:parts"`
	NextPart    int       `gorm:"column:next_part"`
	TailKey     string    `gorm:"column:tail_key"`
	TailVersion string    `gorm:"column:tail_version"`
	TailSize    int64     `gorm:"column:tail_size"`
	Head        *string   `gorm:"column:head"`
}

func evidenceFromRow(r evidenceRow) evidence.Evidence {
	e := evidence.Evidence{
		ID: r.ID.String(), ClientID: r.ClientID.String(), RecordClientID: uuidString(r.RecordClientID),
		UploaderID: r.UploaderID.String(), DeviceID: uuidString(r.DeviceID), StreetCode: r.StreetCode,
		Kind: evidence.Kind(r.Kind), DeclaredContentType: r.DeclaredContentType, ContentType: r.ContentType, Length: r.Length,
		DeclaredSHA256: r.DeclaredSHA256, SHA256: r.SHA256, CapturedAt: r.CapturedAt.UTC(), Lat: r.Lat, Lon: r.Lon,
		UploadMetadata: r.UploadMetadata, Status: evidence.Status(r.Status), ProblemCode: r.ProblemCode,
		ProblemDetail: r.ProblemDetail, ObjectKey: r.ObjectKey, VersionID: r.VersionID, LockMode: r.LockMode,
		RetainUntil: utcPtr(r.RetainUntil), Thumbnail: r.Thumbnail, ThumbnailKey: r.ThumbnailKey,
		ThumbnailFailure: r.ThumbnailFailure,
		CreatedAt:        r.CreatedAt.UTC(), CompletedAt: utcPtr(r.CompletedAt), LinkedAt: utcPtr(r.LinkedAt),
		LinkedRecordID: uuidString(r.LinkedRecordID), IntegrityFailedAt: utcPtr(r.IntegrityFailedAt),
	}
	if r.EXIF != nil {
		if x, err := exifFromJSON([]byte(*r.EXIF)); err == nil {
			e.EXIF = &x
		}
	}
	_ = json.Unmarshal([]byte(r.Discrepancies), &e.Discrepancies)
	return e
}

func uploadFromRow(r uploadRow) evidence.Upload {
	u := evidence.Upload{EvidenceID: r.EvidenceID.String(), Offset: r.Offset, ExpiresAt: r.ExpiresAt.UTC(), HashState: r.HashState,
		S3Key: r.S3Key, S3UploadID: r.S3UploadID, NextPart: r.NextPart, TailKey: r.TailKey, TailVersion: r.TailVersion, TailSize: r.TailSize}
	u.Parts, _ = partsFromJSON([]byte(r.Parts))
	if r.Head != nil {
		if h, err := headFromJSON([]byte(*r.Head)); err == nil {
			u.Head = &h
		}
	}
	return u
}

func utcPtr(t *time.Time) *time.Time {
	if t == nil {
		return nil
	}
	u := t.UTC()
	return &u
}

// parseID parses an evidence id; a malformed one is simply not found.
func parseID(id string) (uuid.UUID, error) {
	u, err := uuid.Parse(id)
	if err != nil {
		return uuid.Nil, derrors.New(derrors.NotFound, "no evidence %q", id)
	}
	return u, nil
}

// chainOf is the audit chain of an item: its street's, or the district's.
func chainOf(e evidence.Evidence) string {
	if e.StreetCode != "" {
		return e.StreetCode
	}
	return audit.DistrictChain
}

// jsonText encodes v for a jsonb parameter.
func jsonText(v any) (string, error) {
	b, err := json.Marshal(v)
	if err != nil {
		return "", derrors.Wrap(err, derrors.Internal, "encode json")
	}
	return string(b), nil
}

// custodyRecord is a custody entry as digested into the audit trail.
type custodyRecord struct {
	EvidenceID string         `json:"evidence_id"`
	Event      string         `json:"event"`
	At         time.Time      `json:"at"`
	Detail     map[string]any `json:"detail"`
}

// appendCustody appends the custody of one or more changes of e inside tx:
// every event of cs, in order, in one statement, then one audit trail entry
// per change (its Action), whose after-digest covers that change's events,
// so the trail vouches for the custody log too. Two statements in all: the
// events with the lock of e's chain (lockChain), then the entries.
func (db *DB) appendCustody(ctx context.Context, tx *gorm.DB, e evidence.Evidence, cs ...evidence.Custody) error {
	actor := audit.ActorFrom(ctx)
	at := audit.Truncate(db.now())
	var (
		values  []string
		args    []any
		entries = make([]audit.Entry, len(cs))
	)
	for i, c := range cs {
		records := make([]custodyRecord, len(c.Events))
		for j, ev := range c.Events {
			if ev.Detail == nil {
				ev.Detail = map[string]any{}
			}
			dj, err := jsonText(ev.Detail)
			if err != nil {
				return err
			}
			values = append(values, "(?, ?, ?, ?, ?, ?, ?::jsonb)")
			args = append(args, e.ID, at, ev.Event, uuidPtr(actor.UserID), uuidPtr(actor.DeviceID), actor.RequestID, dj)
			records[j] = custodyRecord{EvidenceID: e.ID, Event: ev.Event, At: at, Detail: ev.Detail}
		}
		digest, err := audit.Digest(records)
		if err != nil {
			return err
		}
		entry, err := completeEntry(ctx, audit.Entry{Chain: chainOf(e), Action: c.Action, EntityType: "evidence", EntityID: e.ID,
			AfterDigest: digest})
		if err != nil {
			return err
		}
		entries[i] = entry
	}
	// The events and the lock of the chain's head in one statement, the
	// entries with the head's advance in another.
	tx = tx.WithContext(ctx)
	head, err := lockChain(tx, chainOf(e), `custody AS (INSERT INTO evidence_custody (evidence_id, at, event, actor_user_id,
		device_id, request_id, detail) VALUES `+strings.Join(values, ", ")+`)`, args...)
	if err != nil {
		return translate(err, "append custody events")
	}
	return db.appendChained(tx, head, entries)
}

// CreateUpload stores a new item in evidence.StatusUploading with its upload
// and custody c. It returns derrors.Invalid for fields the schema refuses.
func (s *EvidenceStore) CreateUpload(ctx context.Context, e evidence.Evidence, u evidence.Upload, c evidence.Custody) (evidence.Evidence, error) {
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		var rec, dev any
		if e.RecordClientID != "" {
			rec = e.RecordClientID
		}
		if e.DeviceID != "" {
			dev = e.DeviceID
		}
		err := tx.Exec(`INSERT INTO evidence (id, client_id, record_client_id, uploader_id, device_id, street_code, kind,
				declared_content_type, length, declared_sha256, captured_at, lat, lon, upload_metadata, status, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'uploading', ?)`,
			e.ID, e.ClientID, rec, e.UploaderID, dev, e.StreetCode, string(e.Kind), e.DeclaredContentType, e.Length,
			e.DeclaredSHA256, e.CapturedAt, e.Lat, e.Lon, e.UploadMetadata, e.CreatedAt).Error
		if err != nil {
			return translate(err, "create evidence")
		}
		err = tx.Exec(`INSERT INTO evidence_uploads (evidence_id, expires_at, s3_key, updated_at) VALUES (?, ?, ?, ?)`,
			e.ID, u.ExpiresAt, u.S3Key, s.db.now()).Error
		if err != nil {
			return translate(err, "create upload")
		}
		return s.db.appendCustody(ctx, tx, e, c)
	})
	if err != nil {
		return evidence.Evidence{}, translate(err, "create evidence")
	}
	e.Status, e.CreatedAt, e.CapturedAt = evidence.StatusUploading, e.CreatedAt.UTC(), e.CapturedAt.UTC()
	return e, nil
}

// CreateFinished stores an item whose upload began and ended in one
// request, as o says it ended (verified, quarantined or rejected), in one
// transaction (or the one ctx carries, see Serialize): the item, its upload
// as finished (every byte received unless rejected, nothing staged, no
// lease), the thumbnail job of a verified image, and the custody of its
// start and of its end, each with its audit trail entry. It returns the
// stored item; derrors.Invalid for fields the schema refuses.
func (s *EvidenceStore) CreateFinished(ctx context.Context, e evidence.Evidence, u evidence.Upload, o evidence.Outcome,
	started, finished evidence.Custody) (evidence.Evidence, error) {
	var exif any
	if o.EXIF != nil {
		var err error
		if exif, err = exifJSON(*o.EXIF); err != nil {
			return evidence.Evidence{}, err
		}
	}
	disc, err := jsonText(nonNil(o.Discrepancies))
	if err != nil {
		return evidence.Evidence{}, err
	}
	var rec, dev, linked, record any
	if e.RecordClientID != "" {
		rec = e.RecordClientID
	}
	if e.DeviceID != "" {
		dev = e.DeviceID
	}
	var offset int64
	if o.Status != evidence.StatusRejected {
		offset = e.Length
	}
	var out evidence.Evidence
	err = s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		now := s.db.now()
		if o.LinkedRecord != "" {
			linked, record = now, o.LinkedRecord
		}
		// The item and its upload, in one statement.
		var rows []evidenceRow
		err := tx.Raw(`WITH item AS (
				INSERT INTO evidence (id, client_id, record_client_id, uploader_id, device_id, street_code, kind,
					declared_content_type, length, declared_sha256, captured_at, lat, lon, upload_metadata, created_at,
					status, sha256, content_type, object_key, version_id, lock_mode, retain_until, exif, discrepancies,
					thumbnail, problem_code, problem_detail, completed_at, linked_at, linked_record_id)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?,
					?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?, ?) RETURNING *),
			upload AS (
				INSERT INTO evidence_uploads (evidence_id, upload_offset, expires_at, s3_key, updated_at)
				SELECT id, ?, ?, ?, ? FROM item)
			SELECT * FROM item`,
			e.ID, e.ClientID, rec, e.UploaderID, dev, e.StreetCode, string(e.Kind), e.DeclaredContentType, e.Length,
			e.DeclaredSHA256, e.CapturedAt, e.Lat, e.Lon, e.UploadMetadata, e.CreatedAt,
			string(o.Status), o.SHA256, o.ContentType, o.ObjectKey, o.VersionID, lockModeOf(o), o.RetainUntil, exif, disc,
			o.Thumbnail, o.ProblemCode, o.ProblemDetail, now, linked, record,
			offset, u.ExpiresAt, u.S3Key, now).Scan(&rows).Error
		if err != nil {
			return translate(err, "create evidence")
		}
		if len(rows) != 1 {
			return derrors.New(derrors.Internal, "create evidence %s: no row", e.ID)
		}
		out = evidenceFromRow(rows[0])
		if err := s.db.enqueueThumbnail(ctx, tx, out); err != nil {
			return err
		}
		return s.db.appendCustody(ctx, tx, out, started, finished)
	})
	if err != nil {
		return evidence.Evidence{}, translate(err, "create evidence")
	}
	return out, nil
}

// Evidence returns an item, or derrors.NotFound.
func (s *EvidenceStore) Evidence(ctx context.Context, id string) (evidence.Evidence, error) {
	uid, err := parseID(id)
	if err != nil {
		return evidence.Evidence{}, err
	}
	return s.evidence(s.db.conn(ctx), uid)
}

func (s *EvidenceStore) evidence(tx *gorm.DB, id uuid.UUID) (evidence.Evidence, error) {
	var rows []evidenceRow
	if err := tx.Raw(`SELECT * FROM evidence WHERE id = ?`, id).Scan(&rows).Error; err != nil {
		return evidence.Evidence{}, translate(err, "read evidence")
	}
	if len(rows) == 0 {
		return evidence.Evidence{}, derrors.New(derrors.NotFound, "no evidence %s", id)
	}
	return evidenceFromRow(rows[0]), nil
}

// VerifiedByClientID returns the verified item an uploader holds under a
// phone's client id, or derrors.NotFound.
func (s *EvidenceStore) VerifiedByClientID(ctx context.Context, uploaderID, clientID string) (evidence.Evidence, error) {
	cid, err := uuid.Parse(clientID)
	if err != nil {
		return evidence.Evidence{}, derrors.New(derrors.NotFound, "no evidence %q", clientID)
	}
	uid, err := uuid.Parse(uploaderID)
	if err != nil {
		return evidence.Evidence{}, derrors.New(derrors.NotFound, "no evidence %q", clientID)
	}
	var rows []evidenceRow
	err = s.db.conn(ctx).Raw(`SELECT * FROM evidence WHERE uploader_id = ? AND client_id = ? AND status = 'verified'`, uid, cid).Scan(&rows).Error
	if err != nil {
		return evidence.Evidence{}, translate(err, "read evidence")
	}
	if len(rows) == 0 {
		return evidence.Evidence{}, derrors.New(derrors.NotFound, "no verified evidence %s", clientID)
	}
	return evidenceFromRow(rows[0]), nil
}

// Upload returns an item with its upload progress, or derrors.NotFound.
func (s *EvidenceStore) Upload(ctx context.Context, id string) (evidence.Evidence, evidence.Upload, error) {
	uid, err := parseID(id)
	if err != nil {
		return evidence.Evidence{}, evidence.Upload{}, err
	}
	return s.upload(s.db.conn(ctx), uid)
}

func (s *EvidenceStore) upload(tx *gorm.DB, id uuid.UUID) (evidence.Evidence, evidence.Upload, error) {
	e, err := s.evidence(tx, id)
	if err != nil {
		return e, evidence.Upload{}, err
	}
	var rows []uploadRow
	if err := tx.Raw(`SELECT * FROM evidence_uploads WHERE evidence_id = ?`, id).Scan(&rows).Error; err != nil {
		return e, evidence.Upload{}, translate(err, "read upload")
	}
	if len(rows) == 0 {
		return e, evidence.Upload{}, derrors.New(derrors.NotFound, "no upload %s", id)
	}
	return e, uploadFromRow(rows[0]), nil
}

// seconds is a lease duration as SQL takes it.
func seconds(d time.Duration) float64 { return d.Seconds() }

// AcquireUpload takes the write lease of an upload for token until ttl
// from now and returns the item with its progress. It returns
// derrors.NotFound for no such upload, and derrors.Locked while another
// request holds an unexpired lease.
func (s *EvidenceStore) AcquireUpload(ctx context.Context, id, token string, ttl time.Duration) (evidence.Evidence, evidence.Upload, error) {
	uid, err := parseID(id)
	if err != nil {
		return evidence.Evidence{}, evidence.Upload{}, err
	}
	db := s.db.conn(ctx)
	var rows []uploadRow
	err = db.Raw(`UPDATE evidence_uploads SET lease_token = ?, lease_until = clock_timestamp() + make_interval(secs => ?)
		WHERE evidence_id = ? AND (lease_token IS NULL OR lease_until < clock_timestamp()) RETURNING *`, token, seconds(ttl), uid).Scan(&rows).Error
	if err != nil {
		return evidence.Evidence{}, evidence.Upload{}, translate(err, "lease upload")
	}
	if len(rows) == 0 {
		e, u, err := s.upload(db, uid)
		if err != nil {
			return e, u, err
		}
		return e, u, derrors.New(derrors.Locked, "another request is writing to upload %s; retry shortly", id)
	}
	e, err := s.evidence(db, uid)
	return e, uploadFromRow(rows[0]), err
}

// ReleaseUpload gives up token's lease; a lease taken over since is left alone.
func (s *EvidenceStore) ReleaseUpload(ctx context.Context, id, token string) error {
	err := s.db.conn(ctx).Exec(`UPDATE evidence_uploads SET lease_token = NULL, lease_until = NULL
		WHERE evidence_id = ? AND lease_token = ?`, id, token).Error
	return translate(err, "release upload")
}

// RenewLease extends token's lease for ttl, or returns derrors.Locked if
// token no longer holds it.
func (s *EvidenceStore) RenewLease(ctx context.Context, id, token string, ttl time.Duration) error {
	res := s.db.conn(ctx).Exec(`UPDATE evidence_uploads SET lease_until = clock_timestamp() + make_interval(secs => ?)
		WHERE evidence_id = ? AND lease_token = ?`, seconds(ttl), id, token)
	if res.Error != nil {
		return translate(res.Error, "renew upload lease")
	}
	if res.RowsAffected == 0 {
		return lostLease(id)
	}
	return nil
}

func lostLease(id string) error {
	return derrors.New(derrors.Locked, "upload %s was taken over by another request", id)
}

// AllocatePart returns the next S3 part number of the upload, renewing the
// lease for ttl and recording s3UploadID if the upload had none. Part
// numbers are never reused, so a request that lost its lease cannot
// overwrite a part of the one that took it. It returns derrors.Locked if
// token no longer holds the lease.
func (s *EvidenceStore) AllocatePart(ctx context.Context, id, token, s3UploadID string, ttl time.Duration) (int, error) {
	var n []int
	err := s.db.conn(ctx).Raw(`UPDATE evidence_uploads
		SET next_part = next_part + 1, lease_until = clock_timestamp() + make_interval(secs => ?),
		    s3_upload_id = CASE WHEN s3_upload_id = '' THEN ? ELSE s3_upload_id END
		WHERE evidence_id = ? AND lease_token = ?
		RETURNING next_part - 1`, seconds(ttl), s3UploadID, id, token).Scan(&n).Error
	if err != nil {
		return 0, translate(err, "allocate part")
	}
	if len(n) == 0 {
		return 0, lostLease(id)
	}
	return n[0], nil
}

// progressRecord is the upload progress as digested into the audit trail.
type progressRecord struct {
	Offset   int64  `json:"offset"`
	Parts    int    `json:"parts"`
	TailSize int64  `json:"tail_size"`
	State    []byte `json:"hash_state"`
}

// SaveProgress stores p if token still holds the lease (else
// derrors.Locked), renewing it for ttl, with an evidence.upload.append
// audit entry.
func (s *EvidenceStore) SaveProgress(ctx context.Context, id, token string, p evidence.Progress, ttl time.Duration) error {
	uid, err := parseID(id)
	if err != nil {
		return err
	}
	parts, err := partsJSON(p.Parts)
	if err != nil {
		return err
	}
	var head any
	if p.Head != nil {
		h, err := headJSON(*p.Head)
		if err != nil {
			return err
		}
		head = h
	}
	err = s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		res := tx.Exec(`UPDATE evidence_uploads SET upload_offset = ?, hash_state = ?, s3_upload_id = ?, parts = ?::jsonb,
				tail_key = ?, tail_version = ?, tail_size = ?, head = COALESCE(?::jsonb, head),
				lease_until = clock_timestamp() + make_interval(secs => ?), updated_at = clock_timestamp()
			WHERE evidence_id = ? AND lease_token = ?`,
			p.Offset, p.HashState, p.S3UploadID, parts, p.TailKey, p.TailVersion, p.TailSize, head, seconds(ttl), uid, token)
		if res.Error != nil {
			return translate(res.Error, "save upload progress")
		}
		if res.RowsAffected == 0 {
			return lostLease(id)
		}
		if p.ContentType != "" {
			if err := tx.Exec(`UPDATE evidence SET content_type = ? WHERE id = ? AND content_type = ''`, p.ContentType, uid).Error; err != nil {
				return translate(err, "save content type")
			}
		}
		e, err := s.evidence(tx, uid)
		if err != nil {
			return err
		}
		digest, err := audit.Digest(progressRecord{Offset: p.Offset, Parts: len(p.Parts), TailSize: p.TailSize, State: p.HashState})
		if err != nil {
			return err
		}
		_, err = s.db.appendAudit(ctx, tx, audit.Entry{Chain: chainOf(e), Action: "evidence.upload.append", EntityType: "evidence",
			EntityID: e.ID, AfterDigest: digest})
		return err
	})
	return translate(err, "save upload progress")
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// Finish records how an upload ended (verified, quarantined or rejected)
// with custody c, if token still holds the lease (else derrors.Locked),
// and returns the item.
func (s *EvidenceStore) Finish(ctx context.Context, id, token string, o evidence.Outcome, c evidence.Custody) (evidence.Evidence, error) {
	uid, err := parseID(id)
	if err != nil {
		return evidence.Evidence{}, err
	}
	var exif any
	if o.EXIF != nil {
		if exif, err = exifJSON(*o.EXIF); err != nil {
			return evidence.Evidence{}, err
		}
	}
	disc, err := jsonText(nonNil(o.Discrepancies))
	if err != nil {
		return evidence.Evidence{}, err
	}
	var out evidence.Evidence
	err = s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		offset := "upload_offset"
		if o.Status != evidence.StatusRejected {
			offset = "(SELECT length FROM evidence WHERE id = evidence_id)"
		}
		res := tx.Exec(`UPDATE evidence_uploads SET upload_offset = `+offset+`, tail_key = '', tail_version = '', tail_size = 0,
				lease_token = NULL, lease_until = NULL, updated_at = clock_timestamp() WHERE evidence_id = ? AND lease_token = ?`, uid, token)
		if res.Error != nil {
			return translate(res.Error, "finish upload")
		}
		if res.RowsAffected == 0 {
			return lostLease(id)
		}
		now := s.db.now()
		var linked, record any
		if o.LinkedRecord != "" {
			linked, record = now, o.LinkedRecord
		}
		var rows []evidenceRow
		err := tx.Raw(`UPDATE evidence SET status = ?, sha256 = ?, content_type = COALESCE(NULLIF(?, ''), content_type),
				object_key = ?, version_id = ?, lock_mode = ?, retain_until = ?, exif = ?::jsonb, discrepancies = ?::jsonb,
				thumbnail = ?, problem_code = ?, problem_detail = ?, completed_at = ?, linked_at = ?, linked_record_id = ?
			WHERE id = ? AND status = 'uploading' RETURNING *`,
			string(o.Status), o.SHA256, o.ContentType, o.ObjectKey, o.VersionID, lockModeOf(o), o.RetainUntil, exif, disc,
			o.Thumbnail, o.ProblemCode, o.ProblemDetail, now, linked, record, uid).Scan(&rows).Error
		if err != nil {
			return translate(err, "finish evidence")
		}
		if len(rows) == 0 {
			return derrors.New(derrors.Conflict, "upload %s is no longer uploading", id)
		}
		out = evidenceFromRow(rows[0])
		if err := s.db.enqueueThumbnail(ctx, tx, out); err != nil {
			return err
		}
		return s.db.appendCustody(ctx, tx, out, c)
	})
	if err != nil {
		return evidence.Evidence{}, translate(err, "finish upload")
	}
	return out, nil
}

func lockModeOf(o evidence.Outcome) string {
	if o.Status == evidence.StatusRejected {
		return ""
	}
	return o.LockMode
}

// IntegrityFailed marks a verified item as served with other bytes than
// the verified ones, with custody c, the first time only (a later failure
// is not served: evidence.Servable). It returns derrors.NotFound for no
// such item.
func (s *EvidenceStore) IntegrityFailed(ctx context.Context, id string, c evidence.Custody) (evidence.Evidence, error) {
	uid, err := parseID(id)
	if err != nil {
		return evidence.Evidence{}, err
	}
	var out evidence.Evidence
	err = s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		res := tx.Exec(`UPDATE evidence SET integrity_failed_at = ? WHERE id = ? AND integrity_failed_at IS NULL`, s.db.now(), uid)
		if res.Error != nil {
			return translate(res.Error, "record integrity failure")
		}
		e, err := s.evidence(tx, uid)
		out = e
		if err != nil || res.RowsAffected == 0 {
			return err
		}
		return s.db.appendCustody(ctx, tx, e, c)
	})
	if err != nil {
		return evidence.Evidence{}, translate(err, "record integrity failure")
	}
	return out, nil
}

// DueForRecheck lists up to limit verified, intact items last found intact
// (or verified) before before, least recently checked first.
func (s *EvidenceStore) DueForRecheck(ctx context.Context, before time.Time, limit int) ([]evidence.Evidence, error) {
	return s.list(ctx, `SELECT * FROM evidence
		WHERE status = 'verified' AND integrity_failed_at IS NULL AND coalesce(hash_checked_at, completed_at) < ?
		ORDER BY coalesce(hash_checked_at, completed_at), id LIMIT ?`, before, limit)
}

// HashChecked records that the stored bytes of item id were re-hashed and
// found to be the verified ones, now.
func (s *EvidenceStore) HashChecked(ctx context.Context, id string) error {
	uid, err := parseID(id)
	if err != nil {
		return err
	}
	if err := s.db.conn(ctx).Exec(`UPDATE evidence SET hash_checked_at = ? WHERE id = ?`, s.db.now(), uid).Error; err != nil {
		return translate(err, "record hash check")
	}
	return nil
}

// Terminate ends an uploading item with custody c. It returns
// derrors.NotFound for no such item and derrors.Conflict if it is no
// longer uploading.
func (s *EvidenceStore) Terminate(ctx context.Context, id string, c evidence.Custody) (evidence.Evidence, error) {
	uid, err := parseID(id)
	if err != nil {
		return evidence.Evidence{}, err
	}
	var out evidence.Evidence
	err = s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		res := tx.Exec(`UPDATE evidence SET status = 'terminated' WHERE id = ? AND status = 'uploading'`, uid)
		if res.Error != nil {
			return translate(res.Error, "terminate upload")
		}
		e, err := s.evidence(tx, uid)
		if err != nil {
			return err
		}
		if res.RowsAffected == 0 {
			return derrors.New(derrors.Conflict, "upload %s is %s, not uploading", id, e.Status)
		}
		if err := tx.Exec(`UPDATE evidence_uploads SET tail_key = '', tail_version = '', tail_size = 0, s3_upload_id = '',
				parts = '[]', updated_at = clock_timestamp() WHERE evidence_id = ?`, uid).Error; err != nil {
			return translate(err, "terminate upload")
		}
		out = e
		return s.db.appendCustody(ctx, tx, e, c)
	})
	if err != nil {
		return evidence.Evidence{}, translate(err, "terminate upload")
	}
	return out, nil
}

// RecordAccess appends an access (view, download, export) to the custody
// log and the audit trail, as evidence.Accessed says. It returns
// derrors.NotFound for no such item and derrors.Invalid for an event that
// is not an access.
func (s *EvidenceStore) RecordAccess(ctx context.Context, id string, a evidence.Access) error {
	c, err := evidence.Accessed(a)
	if err != nil {
		return err
	}
	uid, err := parseID(id)
	if err != nil {
		return err
	}
	err = s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		e, err := s.evidence(tx, uid)
		if err != nil {
			return err
		}
		return s.db.appendCustody(ctx, tx, e, c)
	})
	return translate(err, "record evidence access")
}

type custodyRow struct {
	ID          int64      `gorm:"column:id"`
	EvidenceID  uuid.UUID  `gorm:"column:evidence_id"`
	At          time.Time  `gorm:"column:at"`
	Event       string     `gorm:"column:event"`
	ActorUserID *uuid.UUID `gorm:"column:actor_user_id"`
	DeviceID    *uuid.UUID `gorm:"column:device_id"`
	RequestID   string     `gorm:"column:request_id"`
	Detail      string     `gorm:"column:detail"`
}

// Custody returns a page of the custody log of an item, oldest first (by
// entry id): at most limit entries with an id above after; derrors.NotFound
// for no such item.
func (s *EvidenceStore) Custody(ctx context.Context, id string, after int64, limit int) ([]evidence.CustodyEntry, error) {
	uid, err := parseID(id)
	if err != nil {
		return nil, err
	}
	db := s.db.conn(ctx)
	if _, err := s.evidence(db, uid); err != nil {
		return nil, err
	}
	var rows []custodyRow
	if err := db.Raw(`SELECT * FROM evidence_custody WHERE evidence_id = ? AND id > ? ORDER BY id LIMIT ?`, uid, after, limit).Scan(&rows).Error; err != nil {
		return nil, translate(err, "read custody log")
	}
	out := make([]evidence.CustodyEntry, len(rows))
	for i, r := range rows {
		out[i] = evidence.CustodyEntry{ID: r.ID, EvidenceID: r.EvidenceID.String(), At: r.At.UTC(), Event: r.Event,
			ActorUserID: uuidString(r.ActorUserID), DeviceID: uuidString(r.DeviceID), RequestID: r.RequestID}
		_ = json.Unmarshal([]byte(r.Detail), &out[i].Detail)
	}
	return out, nil
}

// enqueueThumbnail inserts, in tx, the job deriving e's thumbnail when it
// is pending: the item is verified together with its job.
func (db *DB) enqueueThumbnail(ctx context.Context, tx *gorm.DB, e evidence.Evidence) error {
	if e.Thumbnail != evidence.ThumbnailPending || db.Jobs == nil {
		return nil
	}
	t, err := sqlTx(tx)
	if err != nil {
		return err
	}
	return translate(db.Jobs.ThumbnailTx(ctx, t, e.ID), "queue thumbnail")
}

// SetThumbnail records the thumbnail state of an item whose thumbnail is
// pending (failure: why it failed, "" else), with custody c. Another state
// than pending is left alone (another instance got there first).
func (s *EvidenceStore) SetThumbnail(ctx context.Context, id, state, key, failure string, c evidence.Custody) error {
	uid, err := parseID(id)
	if err != nil {
		return err
	}
	err = s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		res := tx.Exec(`UPDATE evidence SET thumbnail = ?, thumbnail_key = ?, thumbnail_failure = ? WHERE id = ? AND thumbnail = 'pending'`,
			state, key, failure, uid)
		if res.Error != nil {
			return translate(res.Error, "set thumbnail")
		}
		if res.RowsAffected == 0 {
			return nil
		}
		e, err := s.evidence(tx, uid)
		if err != nil {
			return err
		}
		return s.db.appendCustody(ctx, tx, e, c)
	})
	return translate(err, "set thumbnail")
}

func (s *EvidenceStore) list(ctx context.Context, q string, args ...any) ([]evidence.Evidence, error) {
	var rows []evidenceRow
	if err := s.db.conn(ctx).Raw(q, args...).Scan(&rows).Error; err != nil {
		return nil, translate(err, "list evidence")
	}
	out := make([]evidence.Evidence, len(rows))
	for i, r := range rows {
		out[i] = evidenceFromRow(r)
	}
	return out, nil
}

// EvidenceOfRecord lists every item (any status, oldest first) that names
// the record with client UUID recordClientID or is linked to it. It
// returns derrors.Invalid for an id that is not a UUID.
func (s *EvidenceStore) EvidenceOfRecord(ctx context.Context, recordClientID string) ([]evidence.Evidence, error) {
	rid, err := uuid.Parse(recordClientID)
	if err != nil {
		return nil, derrors.Invalidf("record_client_id", "record client id %q is not a UUID", recordClientID)
	}
	return s.list(ctx, `SELECT * FROM evidence WHERE record_client_id = ? OR linked_record_id = ? ORDER BY created_at, id`, rid, rid)
}

// candidates lists the finished items that may belong to r: those naming
// it and those under the client ids it expects (evidence.LinksTo and
// evidence.Satisfies decide), inside tx.
func (s *EvidenceStore) candidates(tx *gorm.DB, r evidence.RecordRef) ([]evidence.Evidence, error) {
	rid, err := uuid.Parse(r.ID)
	if err != nil {
		return nil, derrors.Invalidf("record_client_id", "record client id %q is not a UUID", r.ID)
	}
	ids := []uuid.UUID{}
	for _, x := range r.Expected {
		if id, err := uuid.Parse(x.ClientID); err == nil {
			ids = append(ids, id)
		}
	}
	var rows []evidenceRow
	err = tx.Raw(`SELECT * FROM evidence WHERE status IN ('verified', 'quarantined') AND street_code = ?
			AND (record_client_id = ? OR client_id = ANY(?::uuid[]))
		ORDER BY completed_at, id`, r.StreetCode, rid, uuidArray(ids)).Scan(&rows).Error
	if err != nil {
		return nil, translate(err, "read evidence of record")
	}
	out := make([]evidence.Evidence, len(rows))
	for i, row := range rows {
		out[i] = evidenceFromRow(row)
	}
	return out, nil
}

// uuidArray is ids as a PostgreSQL array literal.
func uuidArray(ids []uuid.UUID) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = id.String()
	}
	return "{" + strings.Join(s, ",") + "}"
}

// Satisfied returns the client ids of r's expected files that a stored
// item satisfies (evidence.Satisfied): verified, of r's street, with the
// hash and size r declared. The record side computes evidence_pending /
// complete from it.
func (s *EvidenceStore) Satisfied(ctx context.Context, r evidence.RecordRef) ([]string, error) {
	items, err := s.candidates(s.db.conn(ctx), r)
	if err != nil {
		return nil, err
	}
	return evidence.Satisfied(r, items), nil
}

// LinkRecord links every finished, unlinked item that belongs to r
// (evidence.LinksTo: of r's street, naming r or, naming none, one of its
// expected files with its bytes), each with a linked custody event, and
// returns how many it linked. The record side calls it when a record is
// stored; calling it again links only what arrived since. It returns
// derrors.Invalid for a record id that is not a UUID.
func (s *EvidenceStore) LinkRecord(ctx context.Context, r evidence.RecordRef) (int, error) {
	n := 0
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		items, err := s.candidates(tx, r)
		if err != nil {
			return err
		}
		var es []evidence.Evidence
		for _, e := range items {
			if e.LinkedAt != nil || !e.LinksTo(r) {
				continue
			}
			var rows []evidenceRow
			err := tx.Raw(`UPDATE evidence SET linked_at = ?, linked_record_id = ? WHERE id = ? AND linked_at IS NULL RETURNING *`,
				s.db.now(), r.ID, e.ID).Scan(&rows).Error
			if err != nil {
				return translate(err, "link evidence")
			}
			for _, row := range rows {
				es = append(es, evidenceFromRow(row))
			}
		}
		// One chain per street, appended in chain order (see appendAudit).
		slices.SortStableFunc(es, func(a, b evidence.Evidence) int { return strings.Compare(chainOf(a), chainOf(b)) })
		for _, e := range es {
			if err := s.db.appendCustody(ctx, tx, e, evidence.Linked(r.ID)); err != nil {
				return err
			}
		}
		n = len(es)
		return nil
	})
	return n, translate(err, "link evidence")
}

// Orphans lists the finished items whose record has not arrived and that
// completed before olderThan, oldest first: of street, or of every street
// when street is "". Orphans are listed for the team leader, never deleted.
// A page holds at most limit items, from after (afterAt, afterID) in the
// order (completed_at, id); afterID "" starts at the first.
func (s *EvidenceStore) Orphans(ctx context.Context, street string, olderThan time.Time, afterAt time.Time, afterID string, limit int) ([]evidence.Evidence, error) {
	q := `SELECT * FROM evidence WHERE linked_at IS NULL AND completed_at IS NOT NULL AND completed_at < ?
		AND status IN ('verified', 'quarantined')`
	args := []any{olderThan}
	if street != "" {
		q += ` AND street_code = ?`
		args = append(args, street)
	}
	if afterID != "" {
		q += ` AND (completed_at, id) > (?, ?)`
		args = append(args, afterAt, afterID)
	}
	return s.list(ctx, q+` ORDER BY completed_at, id LIMIT ?`, append(args, limit)...)
}

// Serialize runs fn in one transaction (the one ctx carries, if any) after
// taking the locks of the record and of the item's client id, which the
// writing of a record also takes (lockEvidenceOf): evidence verified while
// its record is stored is seen by whichever of the two transactions ends
// second. Store methods called with fn's context join the transaction.
func (s *EvidenceStore) Serialize(ctx context.Context, recordClientID, clientID string, fn func(ctx context.Context) error) error {
	err := s.db.transact(ctx, func(ctx context.Context, tx *gorm.DB) error {
		if err := lockEvidenceOf(tx, recordClientID, []string{clientID}); err != nil {
			return err
		}
		return fn(ctx)
	})
	return translate(err, "verify evidence")
}

// lockEvidenceOf takes, until the end of tx, the locks that order the
// verification of evidence and the writing of the record that expects it:
// one for the record, one for each evidence client id, always in the same
// order so that two transactions cannot wait for each other.
func lockEvidenceOf(tx *gorm.DB, record string, clientIDs []string) error {
	var keys []string
	if record != "" {
		keys = append(keys, "record:"+record)
	}
	for _, id := range clientIDs {
		keys = append(keys, "evidence:"+id)
	}
	if len(keys) == 0 {
		return nil
	}
	slices.Sort(keys)
	// All in one statement, in the order given (WITH ORDINALITY; a volatile
	// function in the select list is evaluated after the ORDER BY).
	err := tx.Exec(`SELECT pg_advisory_xact_lock(hashtextextended(k, 0)) FROM unnest(?::text[]) WITH ORDINALITY AS u(k, n) ORDER BY n`,
		pgArray[string](slices.Compact(keys))).Error
	return translate(err, "lock evidence")
}
