// Package evidence holds the rules of evidence (证据): what a phone may
// declare, the states an item goes through, which events its chain of
// custody records, and when an item is linked to the record it belongs to.
//
// The bytes live elsewhere: the media package streams uploads into the
// S3 object store, hashes and locks them, and asks this package's Service
// what each step means. The Records this package needs are implemented by
// backend/postgres; the RecordIndex by the record side (inspections).
package evidence

import "time"

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
	// are kept under quarantine, locked, and never served as evidence.
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
	ThumbnailFailed    = "failed"    // every attempt failed; ThumbnailFailure says why
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

	ObjectKey   string     `json:"object_key"` // where the original is (verified) or its quarantined bytes
	VersionID   string     `json:"version_id"`
	LockMode    string     `json:"lock_mode"` // GOVERNANCE or COMPLIANCE
	RetainUntil *time.Time `json:"retain_until"`

	EXIF          *EXIF    `json:"exif"`          // read from the original; nil if none
	Discrepancies []string `json:"discrepancies"` // where the EXIF disagrees with the declaration

	Thumbnail    string `json:"thumbnail"` // see the Thumbnail* constants
	ThumbnailKey string `json:"thumbnail_key"`
	// ThumbnailFailure says why the thumbnail failed (ThumbnailFailed).
	ThumbnailFailure string `json:"thumbnail_failure,omitempty"`

	CreatedAt   time.Time  `json:"created_at"`
	CompletedAt *time.Time `json:"completed_at"`
	LinkedAt    *time.Time `json:"linked_at"` // when its record was known to have arrived
	// LinkedRecordID is the record it is linked to: the one it named, or,
	// naming none, the one that expects it (see LinksTo); "" until linked.
	LinkedRecordID string `json:"linked_record_id"`
	// IntegrityFailedAt is when the bytes served from VersionID were found
	// not to be the verified ones; it is not served after (Servable).
	IntegrityFailedAt *time.Time `json:"integrity_failed_at"`
}

// Served reports whether e may be served as evidence: only verified
// originals are, until served bytes fail their check.
func (e Evidence) Served() bool { return e.Status == StatusVerified && e.IntegrityFailedAt == nil }

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
	S3Key      string // the multipart object
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
	// LinkedRecord is the record it is linked to on completion ("" while
	// none that it belongs to has arrived).
	LinkedRecord string
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
