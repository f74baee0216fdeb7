package media

import (
	"bytes"
	"errors"
	"image"
	_ "image/jpeg" // DecodeConfig of JPEG originals
	_ "image/png"  // and of PNG
	"io"
	"strings"

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

// SniffLen is how many leading bytes Sniff needs to tell every type apart.
const SniffLen = 16

// MaxPixels is the largest image (width × height) accepted: larger headers
// are refused before anything is decoded, so a few kilobytes claiming a
// gigapixel cannot make the server allocate gigabytes.
const MaxPixels = 100_000_000

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

// Sniff returns the content type of the bytes that start with b, from their
// magic numbers, or "" if they are none of the accepted types. It needs
// SniffLen bytes, or all of a shorter file.
func Sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return TypeJPEG
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return TypePNG
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return TypePDF
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		// ISO base media file: the major brand names the format.
		switch string(b[8:12]) {
		case "heic", "heix", "heim", "heis", "hevc", "hevx":
			return TypeHEIC
		case "mif1", "msf1":
			return TypeHEIF
		case "M4A ", "M4B ", "M4P ":
			return TypeM4A
		case "qt  ":
			return TypeMOV
		case "isom", "iso2", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "MSNV", "M4V ", "3gp4", "3gp5", "3g2a":
			return TypeMP4
		}
	case len(b) >= 2 && b[0] == 0xFF && b[1]&0xF6 == 0xF0:
		// ADTS frame sync (12 bits set) with layer 00: raw AAC.
		return TypeAAC
	}
	return ""
}

// sameFamily reports whether a detected type satisfies a declared one. HEIC
// and HEIF are one family: phones label either file with either name.
func sameFamily(declared, detected string) bool {
	if declared == detected {
		return true
	}
	heif := func(t string) bool { return t == TypeHEIC || t == TypeHEIF }
	return heif(declared) && heif(detected)
}

// CheckContent compares the leading bytes of an upload with its declared
// content type. It returns the detected type, or derrors.UnsupportedMediaType
// when the bytes are of another or no accepted type.
func CheckContent(declared string, head []byte) (string, error) {
	declared = CanonicalType(declared)
	got := Sniff(head)
	switch {
	case got == "":
		return "", derrors.New(derrors.UnsupportedMediaType, "the bytes are not %s (nor any accepted type): content is checked by its bytes, not its name", declared)
	case !sameFamily(declared, got):
		return "", derrors.New(derrors.UnsupportedMediaType, "declared %s, but the bytes are %s", declared, got)
	}
	return got, nil
}

// errShortHeader means the image header is not all there yet.
var errShortHeader = errors.New("image header incomplete")

// CheckImageHeader reads the dimensions of a JPEG or PNG from its first
// bytes without decoding it. complete says head is the whole file. It
// returns errShortHeader when more bytes are needed, and
// derrors.UnsupportedMediaType for an unreadable header or one claiming
// more than MaxPixels.
func CheckImageHeader(contentType string, head []byte, complete bool) (width, height int, err error) {
	if contentType != TypeJPEG && contentType != TypePNG {
		return 0, 0, nil
	}
	cfg, _, err := image.DecodeConfig(bytes.NewReader(head))
	if err != nil {
		if !complete && (errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF)) {
			return 0, 0, errShortHeader
		}
		return 0, 0, derrors.Wrap(err, derrors.UnsupportedMediaType, "the image header cannot be read: "+err.Error())
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > MaxPixels {
		return 0, 0, derrors.New(derrors.UnsupportedMediaType, "the image claims %d×%d pixels; at most %d megapixels are accepted", cfg.Width, cfg.Height, MaxPixels/1_000_000)
	}
	return cfg.Width, cfg.Height, nil
}
