package api

import (
	"encoding/base64"
	"encoding/hex"
	"errors"
	"math"
	"strings"
	"testing"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/media"
)

// b64 is the base64 of s, as a tus client writes a metadata value.
func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// FuzzTusHeaders reads arbitrary Upload-Metadata and Upload-Checksum
// headers as an upload's creation and PATCH do: never a panic, a header
// that is refused is a bad_request naming what is wrong, and one that is
// accepted holds only what the evidence rules can store.
func FuzzTusHeaders(f *testing.F) {
	good := strings.Join([]string{
		"client_id " + b64("0b5c1a52-0000-4000-8000-00000000000a"),
		"sha256 " + b64(strings.Repeat("ab", 32)),
		"content_type " + b64("image/jpeg"), "kind " + b64("photo"),
		"captured_at " + b64("2026-01-02T03:04:05.123+08:00"),
		"lat " + b64("39.93"), "lon " + b64("116.40"),
		"record_client_id " + b64("0b5c1a52-0000-4000-8000-00000000000b"),
		"filename " + b64("现场.jpg"),
	}, ",")
	f.Add(good, "sha256 "+base64.StdEncoding.EncodeToString(make([]byte, 32)))
	f.Add(good+",kind "+b64("photo"), "sha1 "+base64.StdEncoding.EncodeToString(make([]byte, 20)))
	f.Add(strings.Replace(good, b64("39.93"), b64("NaN"), 1), "md5 AAAA")
	f.Add(strings.Replace(good, b64("photo"), b64("x\x00"), 1), "sha256")
	f.Add("client_id !!!,,  ,sha256", "sha256 !!!")
	f.Add("", "")
	f.Fuzz(func(t *testing.T, metadata, checksum string) {
		md, err := parseUploadMetadata(metadata)
		if err != nil {
			var e *derrors.Error
			if derrors.CodeOf(err) != derrors.BadRequest || !errors.As(err, &e) || len(e.Fields) == 0 {
				t.Fatalf("refused metadata %q: %v, not a bad_request naming its fields", metadata, err)
			}
			for _, fe := range e.Fields {
				if !strings.HasPrefix(fe.Field, "Upload-Metadata/") {
					t.Fatalf("field %q does not name the metadata key", fe.Field)
				}
			}
		} else {
			if u, perr := uuid.Parse(md.ClientID); perr != nil || u.String() != md.ClientID {
				t.Fatalf("accepted client_id %q", md.ClientID)
			}
			if b, herr := hex.DecodeString(md.SHA256); herr != nil || len(b) != 32 || strings.ToLower(md.SHA256) != md.SHA256 {
				t.Fatalf("accepted sha256 %q", md.SHA256)
			}
			if md.ContentType == "" || md.Kind == "" || md.CapturedAt.IsZero() {
				t.Fatalf("accepted metadata without a required value: %+v", md)
			}
			if (md.Lat == nil) != (md.Lon == nil) ||
				md.Lat != nil && (math.IsNaN(*md.Lat) || math.Abs(*md.Lat) > 90 || math.IsNaN(*md.Lon) || math.Abs(*md.Lon) > 180) {
				t.Fatalf("accepted coordinates %v %v", md.Lat, md.Lon)
			}
		}
		c, err := media.ParseChecksum(checksum, base64.StdEncoding.DecodeString)
		switch {
		case err != nil && derrors.CodeOf(err) != derrors.BadRequest:
			t.Fatalf("refused checksum %q: %v, not a bad_request", checksum, err)
		case err == nil && !(c.Algorithm == "sha256" && len(c.Sum) == 32 || c.Algorithm == "sha1" && len(c.Sum) == 20):
			t.Fatalf("accepted checksum %q as %s of %d bytes", checksum, c.Algorithm, len(c.Sum))
		}
	})
}

// FuzzCursor reads arbitrary cursor and limit parameters as every list
// does: never a panic; a cursor of another list, or none this server gave,
// is a bad_request naming `cursor`; an accepted page has a limit the lists
// allow, and its position gives back the same page once encoded again.
func FuzzCursor(f *testing.F) {
	pos := position{List: "inspections", Keys: []string{"st-a"}, N: 7, ID: "0b5c1a52-0000-4000-8000-00000000000a"}
	f.Add("inspections", pos.cursor(), 50)
	f.Add("cases", pos.cursor(), 0)
	f.Add("inspections", "", -1)
	f.Add("inspections", "eyJsIjoiaW5zcGVjdGlvbnMiLCJhIjoieCJ9", 1<<40) // {"l":"inspections","a":"x"}
	f.Add("inspections", "!!!", inspection.MaxPage+1)
	f.Fuzz(func(t *testing.T, list, cursor string, limit int) {
		p, err := pageOf(list, &cursor, &limit)
		if err != nil {
			var e *derrors.Error
			if derrors.CodeOf(err) != derrors.BadRequest || !errors.As(err, &e) || len(e.Fields) != 1 || e.Fields[0].Field != "cursor" {
				t.Fatalf("refused cursor %q: %v, not a bad_request naming cursor", cursor, err)
			}
			return
		}
		if p.limit < 1 || p.limit > inspection.MaxPage {
			t.Fatalf("limit %d gave a page of %d", limit, p.limit)
		}
		if p.after == nil {
			if cursor != "" {
				t.Fatalf("cursor %q accepted without a position", cursor)
			}
			return
		}
		if p.after.List != list {
			t.Fatalf("a cursor of list %q accepted for %q", p.after.List, list)
		}
		again := p.after.cursor()
		q, err := pageOf(list, &again, &limit)
		if err != nil || q.after.compare(*p.after) != 0 {
			t.Fatalf("position %+v does not survive its cursor %q: %+v, %v", *p.after, again, q.after, err)
		}
	})
}
