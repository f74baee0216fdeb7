package archive

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/audit"
)

// Format names the layout of a bundle and of its manifest; a verifier refuses
// a manifest of another format rather than misread it.
const Format = "whistle.archive.bundle.v1"

// The files of every bundle, at the root of the ZIP.
const (
	// ManifestPath is the manifest (Manifest as JSON), signed.
	ManifestPath = "manifest.json"
	// SignaturePath is the base64 Ed25519 signature of the manifest's exact
	// bytes by the server key.
	SignaturePath = "manifest.sig"
	// PublicKeyPath is the server's public key, base64, for the reader's
	// convenience: a verifier compares it with the key it was given and never
	// trusts it.
	PublicKeyPath = "public_key.txt"
	// SegmentPath is the trail segment: the street chain's entries from the
	// case's first entry to the anchored head, as JSON lines (audit.Entry).
	SegmentPath = "trail.segment"
	// IndexPath is the human-readable index.
	IndexPath = "index.html"
	// EvidenceDir holds the originals, named by their SHA-256.
	EvidenceDir = "evidence/"
)

// Manifest says what a bundle holds: the case file as the API answered it at
// the export, the trail entries of the case with the anchored head they chain
// to, and the SHA-256 of every other file of the bundle.
type Manifest struct {
	Format     string    `json:"format"`
	CaseID     string    `json:"case_id"`
	StreetCode string    `json:"street_code"`
	ExportedAt time.Time `json:"exported_at"`
	ExportedBy string    `json:"exported_by"` // the user id of the exporter
	// Archive is the case's archive closing (案件归档); nil while the case is
	// not archived.
	Archive *ArchiveRef `json:"archive,omitempty"`
	// Case is the case with its history and deadlines, as GET /v1/cases/{id}
	// answered the exporter.
	Case json.RawMessage `json:"case"`
	// Inspections are the inspection records that are sources of the case.
	Inspections []Inspection `json:"inspections"`
	// Reviews are the department reviews of the case's evidence, as the API
	// answers them; empty when there are none.
	Reviews []json.RawMessage `json:"reviews"`
	// Deadlines are the statutory deadlines of the case and of its records,
	// as GET /v1/deadlines/{id} answers them.
	Deadlines []json.RawMessage `json:"deadlines"`
	Evidence  []EvidenceEntry   `json:"evidence"`
	Trail     Trail             `json:"trail"`
	// Files lists every file of the bundle but the manifest and its
	// signature, with its SHA-256.
	Files []File `json:"files"`
}

// ArchiveRef is the archive closing of a case: its archive number, when it
// was closed, and the archive as GET /v1/cases/{id}/archive answered the
// exporter (the completeness check it passed and the annexes added since).
type ArchiveRef struct {
	Number   string          `json:"number"`
	ClosedAt time.Time       `json:"closed_at"`
	Record   json.RawMessage `json:"record"`
}

// Inspection is an inspection record of the case: the record and every
// version of it with the review loop.
type Inspection struct {
	ID string `json:"id"`
	// Record is as GET /v1/inspections/{id} answered the exporter.
	Record json.RawMessage `json:"record"`
	// History is as GET /v1/inspections/{id}/versions answered the exporter.
	History json.RawMessage `json:"history"`
}

// EvidenceEntry is an evidence item of the case's records. Only verified originals
// are in the bundle (Path set); an item that is not servable is listed with
// its status and no path.
type EvidenceEntry struct {
	ID          string `json:"id"`
	ClientID    string `json:"client_id"`
	RecordID    string `json:"record_id"`
	Kind        string `json:"kind"`
	ContentType string `json:"content_type"`
	Length      int64  `json:"length"`
	SHA256      string `json:"sha256"`
	Status      string `json:"status"`
	Path        string `json:"path,omitempty"`
}

// Trail is what the bundle carries of the full-process record (全过程留痕).
type Trail struct {
	Chain string `json:"chain"`
	// Entries are the entries about the case, its records, their evidence
	// and deadlines, up to Head.
	Entries []audit.Entry `json:"entries"`
	Segment Segment       `json:"segment"`
	// Head is the anchored signed head the segment ends in.
	Head audit.SignedHead `json:"head"`
}

// Segment locates the trail segment: the chain's entries FirstSeq..LastSeq,
// every one, at Path.
type Segment struct {
	Path     string `json:"path"`
	FirstSeq int64  `json:"first_seq"`
	LastSeq  int64  `json:"last_seq"`
}

// File is one file of a bundle.
type File struct {
	Path   string `json:"path"`
	Length int64  `json:"length"`
	SHA256 string `json:"sha256"`
}

// extensions are the file name extensions of the originals, by detected
// content type.
var extensions = map[string]string{
	"image/jpeg":      "jpg",
	"image/png":       "png",
	"image/heic":      "heic",
	"image/heif":      "heif",
	"image/webp":      "webp",
	"video/mp4":       "mp4",
	"video/quicktime": "mov",
	"audio/mp4":       "m4a",
	"audio/mpeg":      "mp3",
	"audio/aac":       "aac",
	"audio/wav":       "wav",
	"application/pdf": "pdf",
}

// EvidencePath is where the original with hex SHA-256 sha and content type
// contentType is in a bundle: "evidence/<sha256>.<ext>" ("bin" for a type
// without a known extension). Two items with the same bytes share it.
func EvidencePath(sha, contentType string) string {
	ct, _, _ := strings.Cut(contentType, ";")
	ext, ok := extensions[strings.TrimSpace(strings.ToLower(ct))]
	if !ok {
		ext = "bin"
	}
	return EvidenceDir + sha + "." + ext
}
