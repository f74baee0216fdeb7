package media

import (
	"bytes"
	"errors"
	"image"
	_ "image/jpeg" // DecodeConfig of JPEG originals
	_ "image/png"  // and of PNG
	"io"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
)

// SniffLen is how many leading bytes Sniff needs to tell every type apart.
const SniffLen = 16

// MaxPixels is the largest image (width × height) accepted: larger headers
// are refused before anything is decoded, so a few kilobytes claiming a
// gigapixel cannot make the server allocate gigabytes.
const MaxPixels = 100_000_000

// Sniff returns the content type of the bytes that start with b, from their
// magic numbers, or "" if they are none of the accepted types. It needs
// SniffLen bytes, or all of a shorter file.
func Sniff(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return evidence.TypeJPEG
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return evidence.TypePNG
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return evidence.TypePDF
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		// ISO base media file: the major brand names the format.
		switch string(b[8:12]) {
		case "heic", "heix", "heim", "heis", "hevc", "hevx":
			return evidence.TypeHEIC
		case "mif1", "msf1":
			return evidence.TypeHEIF
		case "M4A ", "M4B ", "M4P ":
			return evidence.TypeM4A
		case "qt  ":
			return evidence.TypeMOV
		case "isom", "iso2", "iso4", "iso5", "iso6", "mp41", "mp42", "avc1", "MSNV", "M4V ", "3gp4", "3gp5", "3g2a":
			return evidence.TypeMP4
		}
	case len(b) >= 2 && b[0] == 0xFF && b[1]&0xF6 == 0xF0:
		// ADTS frame sync (12 bits set) with layer 00: raw AAC.
		return evidence.TypeAAC
	}
	return ""
}

// sameFamily reports whether a detected type satisfies a declared one. HEIC
// and HEIF are one family: phones label either file with either name.
func sameFamily(declared, detected string) bool {
	if declared == detected {
		return true
	}
	heif := func(t string) bool { return t == evidence.TypeHEIC || t == evidence.TypeHEIF }
	return heif(declared) && heif(detected)
}

// CheckContent compares the leading bytes of an upload with its declared
// content type. It returns the detected type, or derrors.UnsupportedMediaType
// when the bytes are of another or no accepted type.
func CheckContent(declared string, head []byte) (string, error) {
	declared = evidence.CanonicalType(declared)
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
	if contentType != evidence.TypeJPEG && contentType != evidence.TypePNG {
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
