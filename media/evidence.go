package media

import (
	"context"
	"time"
)

// Kind is what an evidence item is, as the phone declares it.
type Kind string

// The kinds of evidence.
const (
	KindPhoto     Kind = "photo"     // 拍照取证: a photo taken at the scene
	KindVideo     Kind = "video"     // a video recording
	KindAudio     Kind = "audio"     // a sound recording (e.g. of questioning)
	KindSignature Kind = "signature" // an image of a signature on a record (笔录签名)
	KindDocument  Kind = "document"  // a scanned or generated document
)

// Status is where an evidence item stands.
type Status string

// The statuses of evidence.
const (
	// StatusUploading: its bytes are still arriving.
	StatusUploading Status = "uploading"
	// StatusVerified: every byte arrived, the server's SHA-256 equals the
	// one the phone computed at capture, and the original is stored
	// content-addressed under Object Lock. Only verified evidence is served.
	StatusVerified Status = "verified"
	// StatusQuarantined: every byte arrived but the hashes differ. The bytes
	// are kept under quarantine/<id>, locked, and never served as evidence.
	StatusQuarantined Status = "quarantined"
	// StatusRejected: the bytes are not what was declared (another type, an
	// image of absurd dimensions); nothing is kept.
	StatusRejected Status = "rejected"
	// StatusTerminated: the phone ended the upload before it completed.
	StatusTerminated Status = "terminated"
)

// Thumbnail states of Evidence.Thumbnail other than "unavailable (<why>)".
const (
	ThumbnailPending   = "pending"   // a verified image whose thumbnail is not made yet
	ThumbnailAvailable = "available" // at ThumbnailKey
	ThumbnailNone      = "none"      // not an image (video, audio, PDF)
)

// Evidence is one evidence item: what the phone declared, what the server
// found, and where the original is.
type Evidence struct {
	ID             string `json:"id"`               // also the id of its tus upload
	ClientID       string `json:"client_id"`        // the phone's UUID of the item
	RecordClientID string `json:"record_client_id"` // the phone's UUID of the record it belongs to; "" if none given
	UploaderID     string `json:"uploader_id"`
	DeviceID       string `json:"device_id"`
	// StreetCode is the street of the uploader's team when the upload began
	// ("" if none): it decides who may see the evidence and which audit
	// chain records it.
	StreetCode string `json:"street_code"`

	Kind                Kind      `json:"kind"`
	DeclaredContentType string    `json:"declared_content_type"`
	ContentType         string    `json:"content_type"` // detected from the bytes; "" until known
	Length              int64     `json:"length"`
	DeclaredSHA256      string    `json:"declared_sha256"` // hex, computed on the phone at capture
	SHA256              string    `json:"sha256"`          // hex, computed by the server; "" until complete
	CapturedAt          time.Time `json:"captured_at"`     // declared by the phone
	Lat                 *float64  `json:"lat"`             // declared by the phone
	Lon                 *float64  `json:"lon"`
	UploadMetadata      string    `json:"-"` // the tus Upload-Metadata header as sent

	Status        Status `json:"status"`
	ProblemCode   string `json:"problem_code"` // why rejected or quarantined (a derrors code)
	ProblemDetail string `json:"problem_detail"`

	ObjectKey   string     `json:"object_key"` // evidence/sha256/<hex> (verified) or quarantine/<id>
	VersionID   string     `json:"version_id"`
	LockMode    string     `json:"lock_mode"` // GOVERNANCE or COMPLIANCE
	RetainUntil *time.Time `json:"retain_until"`

	EXIF          *EXIF    `json:"exif"`          // read from a JPEG original; nil if none
	Discrepancies []string `json:"discrepancies"` // where the EXIF disagrees with the declaration

	Thumbnail    string `json:"thumbnail"` // see the Thumbnail* constants
	ThumbnailKey string `json:"thumbnail_key"`

	CreatedAt   time.Time  `json:"created_at"`
	CompletedAt *time.Time `json:"completed_at"`
	LinkedAt    *time.Time `json:"linked_at"` // when its record was known to have arrived
}

// Served reports whether e may be served as evidence: only verified
// originals are.
func (e Evidence) Served() bool { return e.Status == StatusVerified }

// The custody events (Event of a CustodyEntry).
const (
	EventDeclaredCapture = "declared_capture" // the capture time, place and hash the phone declared
	EventUploadStarted   = "upload_started"
	EventCompleted       = "completed" // every byte arrived
	EventVerified        = "verified"
	EventQuarantined     = "quarantined"
	EventRejected        = "rejected"
	EventTerminated      = "terminated"
	EventLocked          = "locked" // Object Lock retention applied
	EventLinked          = "linked" // its record arrived
	EventDerived         = "derived"
	EventViewed          = "viewed"
	EventDownloaded      = "downloaded"
	EventExported        = "exported"
)

// CustodyEntry is one event in the chain of custody of an evidence item.
type CustodyEntry struct {
	ID          int64          `json:"id"`
	EvidenceID  string         `json:"evidence_id"`
	At          time.Time      `json:"at"`
	Event       string         `json:"event"`
	ActorUserID string         `json:"actor_user_id"`
	DeviceID    string         `json:"device_id"`
	RequestID   string         `json:"request_id"`
	Detail      map[string]any `json:"detail"`
}

// Part is one S3 multipart part of an upload in progress.
type Part struct {
	Number int    `json:"n"`
	ETag   string `json:"etag"`
	Size   int64  `json:"size"`
}

// Head is what the first bytes of an upload said, kept until the upload
// completes because they are not kept in memory.
type Head struct {
	Width  int   `json:"width,omitempty"`
	Height int   `json:"height,omitempty"`
	EXIF   *EXIF `json:"exif,omitempty"`
}

// Upload is the progress of an evidence item's tus upload.
type Upload struct {
	EvidenceID string
	Offset     int64 // bytes accepted so far
	ExpiresAt  time.Time
	HashState  []byte // the SHA-256 state after Offset bytes
	S3Key      string // the multipart object, uploads/<id>
	S3UploadID string // "" until the first part
	Parts      []Part
	NextPart   int
	// The bytes after the last part (fewer than a part) are in the staging
	// object TailKey, version TailVersion.
	TailKey     string
	TailVersion string
	TailSize    int64
	Head        *Head
}

// Progress is what a write leaves in the upload, saved all at once.
type Progress struct {
	Offset      int64
	HashState   []byte
	S3UploadID  string
	Parts       []Part
	TailKey     string
	TailVersion string
	TailSize    int64
	ContentType string // detected, once known
	Head        *Head
}

// Outcome is how a completed upload ended, saved with its custody events.
type Outcome struct {
	Status        Status
	SHA256        string
	ContentType   string
	ObjectKey     string
	VersionID     string
	LockMode      string
	RetainUntil   *time.Time
	Deduplicated  bool // the same bytes were already stored
	EXIF          *EXIF
	Discrepancies []string
	Thumbnail     string
	ProblemCode   string
	ProblemDetail string
	Linked        bool // its record has arrived
}

// Access is one access to evidence, for the custody log and the audit trail.
type Access struct {
	Event  string         // EventViewed, EventDownloaded or EventExported
	Detail map[string]any // e.g. {"what": "content"}
}

// Records is what the evidence service needs of its database: the evidence
// rows, their upload progress and custody log, each change written together
// with its custody events and audit trail entries. backend/postgres
// implements it.
type Records interface {
	// CreateUpload stores a new evidence item in StatusUploading with its
	// upload, and its declared_capture and upload_started custody events.
	// It returns derrors.Invalid for bad fields.
	CreateUpload(ctx context.Context, e Evidence, u Upload) (Evidence, error)
	// Evidence returns an item, or derrors.NotFound.
	Evidence(ctx context.Context, id string) (Evidence, error)
	// VerifiedByClientID returns the verified item of a client id, or
	// derrors.NotFound.
	VerifiedByClientID(ctx context.Context, clientID string) (Evidence, error)
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
	// rejected) with its custody events, if token still holds the lease
	// (else derrors.Locked), and returns the item.
	Finish(ctx context.Context, id, token string, o Outcome) (Evidence, error)
	// Terminate ends an uploading item (derrors.Conflict if it is no longer
	// uploading) with a custody event.
	Terminate(ctx context.Context, id string) (Evidence, error)
	// RecordAccess appends an access to the custody log and the audit trail.
	RecordAccess(ctx context.Context, id string, a Access) error
	// Custody returns the custody log of an item, oldest first.
	Custody(ctx context.Context, id string) ([]CustodyEntry, error)
	// SetThumbnail records the thumbnail state of a verified item, with a
	// derived custody event when one was made.
	SetThumbnail(ctx context.Context, id, state, key string) error
	// PendingThumbnails lists up to limit verified items whose thumbnail is
	// pending, oldest first.
	PendingThumbnails(ctx context.Context, limit int) ([]Evidence, error)
}

// RecordIndex tells whether a record (an inspection, seizure list...) with a
// client UUID has arrived, so that evidence completing after its record is
// linked at once. The inspection side implements it; without one, evidence
// is linked only when that side calls the store's LinkRecord.
type RecordIndex interface {
	RecordArrived(ctx context.Context, recordClientID string) (bool, error)
	// EvidenceVerified tells the record's side that one of its files was
	// verified, so that it can move from evidence_pending to complete.
	EvidenceVerified(ctx context.Context, recordClientID string) error
}
