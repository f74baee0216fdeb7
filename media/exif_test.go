package media_test

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"unicode/utf8"

	"github.com/whistle/whistle/media"
)

// TestReadEXIF_CameraFiles reads files written by real cameras and phones
// (see testdata/README.md), not by our own encoder.
func TestReadEXIF_CameraFiles(t *testing.T) {
	tests := []struct {
		name, file                    string
		make, model, dateTimeOriginal string
		lat, lon                      float64 // 0, 0: no position
	}{
		{"NikonD2H", "goexif-sample1.jpg", "NIKON CORPORATION", "NIKON D2H", "2003:11:23 18:07:37", 39.915556, 116.390833},
		{"CanonRebelT4i", "goexif-IMG_0001.jpg", "Canon", "Canon EOS REBEL T4i", "2012:12:21 11:15:19", 0, 0},
		{"SamsungNote5", "go-exif-gps.jpg", "samsung", "SM-N920T", "2018:04:28 21:23:12", 26.586667, -80.053611},
		// A HEIC whose Exif item is located by its item information and
		// location boxes, as a HEIF reader finds it.
		{"HEIC_CanonEOS6D", "imagemeta-Heic.heic", "Canon", "Canon EOS 6D", "2019:12:06 05:01:47", 14.204164, 120.969578},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			x := media.ReadEXIF(b)
			if x == nil {
				t.Fatal("no EXIF read")
			}
			if x.Make != tt.make || x.Model != tt.model || x.DateTimeOriginal != tt.dateTimeOriginal {
				t.Fatalf("EXIF %+v, want %s / %s at %s", *x, tt.make, tt.model, tt.dateTimeOriginal)
			}
			if tt.lat == 0 && tt.lon == 0 {
				if x.Lat != nil || x.Lon != nil {
					t.Fatalf("a position where the camera wrote none: %v %v", *x.Lat, *x.Lon)
				}
				return
			}
			if x.Lat == nil || x.Lon == nil || math.Abs(*x.Lat-tt.lat) > 1e-5 || math.Abs(*x.Lon-tt.lon) > 1e-5 {
				t.Fatalf("position %v %v, want %f %f", x.Lat, x.Lon, tt.lat, tt.lon)
			}
		})
	}
	// The first bytes of two iPhones' HEIC files end before their Exif
	// item's data: nothing to read, and nothing read out of bounds.
	for _, file := range []string{"imagemeta-iPhone11-head.heic", "imagemeta-iPhone12-head.heic"} {
		t.Run(file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", file))
			if err != nil {
				t.Fatal(err)
			}
			if x := media.ReadEXIF(b); x != nil {
				t.Fatalf("EXIF %+v read from a head that ends before the Exif item", *x)
			}
		})
	}
	t.Run("CorruptIFDLoop", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join("testdata", "goexif-corrupt-infinite-loop.jpg"))
		if err != nil {
			t.Fatal(err)
		}
		media.ReadEXIF(b) // returns, whatever it finds
	})
}

// FuzzEXIF feeds the reader arbitrary bytes, as a phone may: it never
// panics or loops, and what it returns is sane.
func FuzzEXIF(f *testing.F) {
	jpegs, _ := filepath.Glob(filepath.Join("testdata", "*.jpg"))
	heics, _ := filepath.Glob(filepath.Join("testdata", "*.heic"))
	files := append(jpegs, heics...)
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		// The reader sees the first bytes of an upload; keep seeds small.
		f.Add(b[:min(len(b), 64<<10)])
	}
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x10Exif\x00\x00II*\x00\x08\x00\x00\x00"))
	f.Add([]byte("\xff\xd8\xff\xe1\x00\x10Exif\x00\x00MM\x00*\x00\x00\x00\x08"))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		x := media.ReadEXIF(b)
		if x == nil {
			return
		}
		for _, s := range []string{x.Make, x.Model, x.DateTimeOriginal, x.OffsetTimeOriginal} {
			if !utf8.ValidString(s) {
				t.Fatalf("invalid UTF-8 %q", s)
			}
		}
		if (x.Lat == nil) != (x.Lon == nil) {
			t.Fatal("latitude without longitude")
		}
		if x.Lat != nil && (math.IsNaN(*x.Lat) || math.Abs(*x.Lat) > 90 || math.IsNaN(*x.Lon) || math.Abs(*x.Lon) > 180) {
			t.Fatalf("position %f %f out of range", *x.Lat, *x.Lon)
		}
	})
}
