package media_test

import (
	"bytes"
	"image"
	"image/jpeg"
	"testing"
	"time"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/media"
)

func TestSniff(t *testing.T) {
	tests := []struct {
		name string
		head string
		want string
	}{
		{"JPEG", "\xff\xd8\xff\xe0\x00\x10JFIF\x00", evidence.TypeJPEG},
		{"PNG", "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR", evidence.TypePNG},
		{"PDF", "%PDF-1.7\n%\xe2\xe3\xcf\xd3", evidence.TypePDF},
		{"HEIC", "\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", evidence.TypeHEIC},
		{"HEIF", "\x00\x00\x00\x18ftypmif1\x00\x00\x00\x00", evidence.TypeHEIF},
		{"MP4", "\x00\x00\x00\x20ftypisom\x00\x00\x02\x00", evidence.TypeMP4},
		{"MOV", "\x00\x00\x00\x14ftypqt  \x00\x00\x00\x00", evidence.TypeMOV},
		{"M4A", "\x00\x00\x00\x20ftypM4A \x00\x00\x00\x00", evidence.TypeM4A},
		{"AAC", "\xff\xf1\x50\x80\x02\x1f\xfc", evidence.TypeAAC},
		{"ErrEXE", "MZ\x90\x00\x03\x00\x00\x00\x04\x00", ""},
		{"ErrGIF", "GIF89a\x01\x00\x01\x00", ""},
		{"ErrMP3", "\xff\xfb\x90\x64\x00\x00", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := media.Sniff([]byte(tt.head)); got != tt.want {
				t.Fatalf("Sniff = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestCheckContent(t *testing.T) {
	png := "\x89PNG\r\n\x1a\n\x00\x00\x00\x0dIHDR"
	if _, err := media.CheckContent("application/pdf", []byte(png)); derrors.CodeOf(err) != derrors.UnsupportedMediaType {
		t.Fatalf("PNG declared PDF: %v", err)
	}
	if ct, err := media.CheckContent("image/heif", []byte("\x00\x00\x00\x18ftypheic\x00\x00\x00\x00")); err != nil || ct != evidence.TypeHEIC {
		t.Fatalf("HEIC declared HEIF: %q %v (one family)", ct, err)
	}
	if ct, err := media.CheckContent("image/jpg", []byte("\xff\xd8\xff\xe1")); err != nil || ct != evidence.TypeJPEG {
		t.Fatalf("image/jpg: %q %v", ct, err)
	}
}

func TestCheckDeclaration(t *testing.T) {
	tests := []struct {
		name   string
		kind   evidence.Kind
		ctype  string
		length int64
		want   derrors.Code
	}{
		{"OK", evidence.KindPhoto, "image/jpeg", 3 << 20, ""},
		{"OKVideo", evidence.KindVideo, "video/quicktime", 1 << 30, ""},
		{"ErrKind", "sketch", "image/jpeg", 1, derrors.Invalid},
		{"ErrTypeForKind", evidence.KindSignature, "application/pdf", 1, derrors.UnsupportedMediaType},
		{"ErrTooLarge", evidence.KindSignature, "image/png", 6 << 20, derrors.PayloadTooLarge},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := derrors.CodeOf(evidence.CheckDeclaration(tt.kind, tt.ctype, tt.length)); got != tt.want {
				t.Fatalf("code %q, want %q", got, tt.want)
			}
		})
	}
}

func TestReadEXIF(t *testing.T) {
	// A JPEG without EXIF has none, and so does garbage.
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 8, 8)), nil); err != nil {
		t.Fatal(err)
	}
	if x := media.ReadEXIF(buf.Bytes()); x != nil {
		t.Fatalf("EXIF of a plain JPEG: %+v", x)
	}
	for _, junk := range []string{"", "\xff\xd8", "\xff\xd8\xff\xe1\xff\xffExif\x00\x00II*\x00", "\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*\xff\xff\xff\xff"} {
		if x := media.ReadEXIF([]byte(junk)); x != nil {
			t.Fatalf("EXIF of %q: %+v", junk, x)
		}
	}
}

func TestEXIF_Discrepancies(t *testing.T) {
	lat, lon := 39.9042, 116.4074
	declared := time.Date(2026, 3, 1, 10, 15, 0, 0, time.FixedZone("CST", 8*3600))
	x := &evidence.EXIF{DateTimeOriginal: "2026:03:01 10:14:00", Lat: &lat, Lon: &lon}
	if d := x.Discrepancies(declared, &lat, &lon); len(d) != 0 {
		t.Fatalf("within tolerance: %q", d)
	}
	far := lat + 0.01 // about 1.1 km north
	x = &evidence.EXIF{DateTimeOriginal: "2026:03:01 02:15:00", OffsetTimeOriginal: "+00:00", Lat: &far, Lon: &lon}
	if d := x.Discrepancies(declared, &lat, &lon); len(d) != 1 {
		t.Fatalf("same instant in UTC, 1.1 km away: %q, want only the place noted", d)
	}
	x = &evidence.EXIF{DateTimeOriginal: "2026:03:01 09:00:00"}
	if d := x.Discrepancies(declared, &lat, &lon); len(d) != 1 {
		t.Fatalf("75 minutes off: %q", d)
	}
}

func TestCheckImageHeader(t *testing.T) {
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, image.NewGray(image.Rect(0, 0, 30, 20)), nil); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if w, h, err := media.CheckImageHeader(evidence.TypeJPEG, b, true); err != nil || w != 30 || h != 20 {
		t.Fatalf("%d×%d %v", w, h, err)
	}
	if _, _, err := media.CheckImageHeader(evidence.TypeJPEG, b[:10], false); err == nil || derrors.CodeOf(err) == derrors.UnsupportedMediaType {
		t.Fatalf("a short header is not yet an error: %v", err)
	}
	if _, _, err := media.CheckImageHeader(evidence.TypeJPEG, b[:10], true); derrors.CodeOf(err) != derrors.UnsupportedMediaType {
		t.Fatalf("a truncated file: %v", err)
	}
}
