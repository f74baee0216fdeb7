package evidence

import (
	"fmt"
	"strings"
	"time"

	"github.com/whistle/whistle/backend/derrors"
)

// The content types evidence may have, as detected from its bytes.
const (
	TypeJPEG = "image/jpeg"
	TypePNG  = "image/png"
	TypeHEIC = "image/heic"
	TypeHEIF = "image/heif"
	TypeMP4  = "video/mp4"
	TypeMOV  = "video/quicktime"
	TypeM4A  = "audio/mp4"
	TypeAAC  = "audio/aac"
	TypePDF  = "application/pdf"
)

// KindRule is what one kind of evidence may be.
type KindRule struct {
	Types     []string // accepted content types
	MaxLength int64    // bytes
}

// Rules are the accepted content types and size limits of each kind (also
// documented in openapi.yaml).
var Rules = map[Kind]KindRule{
	KindPhoto:     {Types: []string{TypeJPEG, TypePNG, TypeHEIC, TypeHEIF}, MaxLength: 50 << 20},
	KindSignature: {Types: []string{TypePNG, TypeJPEG}, MaxLength: 5 << 20},
	KindDocument:  {Types: []string{TypePDF, TypeJPEG, TypePNG}, MaxLength: 100 << 20},
	KindAudio:     {Types: []string{TypeM4A, TypeAAC}, MaxLength: 500 << 20},
	KindVideo:     {Types: []string{TypeMP4, TypeMOV}, MaxLength: 2 << 30},
}

// MaxLength is the largest upload of any kind (tus's Tus-Max-Size).
func MaxLength() int64 {
	var m int64
	for _, r := range Rules {
		m = max(m, r.MaxLength)
	}
	return m
}

// typeAliases maps other names phones use to the canonical type.
var typeAliases = map[string]string{
	"image/jpg":           TypeJPEG,
	"image/pjpeg":         TypeJPEG,
	"image/heic-sequence": TypeHEIC,
	"image/heif-sequence": TypeHEIF,
	"audio/m4a":           TypeM4A,
	"audio/x-m4a":         TypeM4A,
	"audio/aacp":          TypeAAC,
	"audio/x-aac":         TypeAAC,
	"video/mov":           TypeMOV,
}

// CanonicalType returns the canonical name of a declared content type,
// without parameters, lower case.
func CanonicalType(t string) string {
	t, _, _ = strings.Cut(t, ";")
	t = strings.ToLower(strings.TrimSpace(t))
	if c, ok := typeAliases[t]; ok {
		return c
	}
	return t
}

// CheckDeclaration checks a declared kind, content type and length against
// Rules. It returns derrors.Invalid for an unknown kind,
// derrors.UnsupportedMediaType for a type the kind does not accept, and
// derrors.PayloadTooLarge for a length over the kind's limit.
func CheckDeclaration(kind Kind, contentType string, length int64) error {
	r, ok := Rules[kind]
	if !ok {
		return derrors.Invalidf("kind", "kind %q is not one of photo, video, audio, signature, document", kind)
	}
	ct := CanonicalType(contentType)
	found := false
	for _, t := range r.Types {
		found = found || t == ct
	}
	if !found {
		return derrors.New(derrors.UnsupportedMediaType, "%s evidence may be %s, not %q", kind, strings.Join(r.Types, ", "), contentType)
	}
	if length > r.MaxLength {
		return derrors.New(derrors.PayloadTooLarge, "%s evidence may be at most %d bytes; Upload-Length is %d", kind, r.MaxLength, length)
	}
	return nil
}

// MaxThumbnailPixels bounds the images thumbnailed: decoding allocates
// about 1.5-6 bytes a pixel, and thumbnails are made one at a time within
// the fixed memory budget.
const MaxThumbnailPixels = 13_000_000

// ThumbnailState is the thumbnail an item gets on completion: pending for
// a verified JPEG or PNG small enough to decode, none for what is not an
// image, and unavailable (with why) otherwise.
func ThumbnailState(st Status, contentType string, head *Head) string {
	if st != StatusVerified {
		return ""
	}
	switch contentType {
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

// HashMismatch is the problem of quarantined evidence, naming it.
func HashMismatch(e Evidence) *derrors.Error {
	return derrors.New(derrors.EvidenceHashMismatch,
		"evidence %s failed its integrity check: the server computed SHA-256 %s over the %d bytes received, the phone declared %s; it is quarantined and will not be served",
		e.ClientID, e.SHA256, e.Length, e.DeclaredSHA256)
}

// IntegrityFailure is the problem of evidence whose served bytes were
// found not to be the verified ones, naming it.
func IntegrityFailure(e Evidence) *derrors.Error {
	at := ""
	if e.IntegrityFailedAt != nil {
		at = " at " + e.IntegrityFailedAt.UTC().Format(time.RFC3339)
	}
	return derrors.New(derrors.EvidenceHashMismatch,
		"evidence %s failed its integrity check when served%s: the stored bytes of version %s are not the verified ones (SHA-256 %s); it is not served",
		e.ClientID, at, e.VersionID, e.SHA256)
}

// Servable says why e may not be served, if it may not: only verified
// originals are, by the version that was verified, until its bytes once
// fail their check. It returns derrors.EvidenceHashMismatch for
// quarantined evidence and for such a failure, and derrors.Conflict for
// evidence not yet verified.
func Servable(e Evidence) error {
	switch e.Status {
	case StatusVerified:
		if e.IntegrityFailedAt != nil {
			return IntegrityFailure(e)
		}
		if e.VersionID == "" {
			return derrors.New(derrors.Internal, "evidence %s has no verified version", e.ID)
		}
		return nil
	case StatusQuarantined:
		return HashMismatch(e)
	}
	return derrors.New(derrors.Conflict, "evidence %s is %s, not verified: only verified originals are served", e.ID, e.Status)
}
