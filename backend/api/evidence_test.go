package api_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"io"
	"log/slog"
	"math"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"
	"github.com/minio/minio-go/v7"

	"github.com/whistle/whistle/backend/api"
	"github.com/whistle/whistle/backend/api/apitest"
	evid "github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/media"
	"github.com/whistle/whistle/openapi"
)

// evidenceConfig is what a test changes of the evidence services.
type evidenceConfig struct {
	LockMode     string // media.Governance when ""
	Retention    time.Duration
	UploadExpiry time.Duration
	Index        evid.RecordIndex
}

// newEvidence is the evidence of a fixture: governance lock for an hour,
// so that test buckets can be emptied.
// newEvidenceWith wires the evidence service and the media service over
// db and bucket as serve does.
func newEvidenceWith(t testing.TB, db *postgres.DB, bucket *media.Store, cfg evidenceConfig) (api.Evidence, *postgres.EvidenceStore) {
	t.Helper()
	store := postgres.NewEvidenceStore(db)
	if cfg.LockMode == "" {
		cfg.LockMode = media.Governance
	}
	if cfg.Retention == 0 {
		cfg.Retention = time.Hour
	}
	log := slog.New(slog.NewJSONHandler(io.Discard, nil))
	rules, err := evid.NewService(evid.Config{Records: store, Index: cfg.Index, UploadKey: media.UploadKey,
		UploadExpiry: cfg.UploadExpiry, Now: db.Clock, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	up, err := media.NewService(media.ServiceConfig{Store: bucket, Evidence: rules, LockMode: cfg.LockMode,
		Retention: cfg.Retention, Log: log})
	if err != nil {
		t.Fatal(err)
	}
	return api.Evidence{Service: rules, Media: up, Orphans: store}, store
}

// restart is a new API instance over the fixture's database and bucket, as
// after a restart or on another machine, with its own evidence settings.
func (f *fixture) restart(t *testing.T, cfg evidenceConfig, orphanAge time.Duration) *fixture {
	t.Helper()
	g := &fixture{db: f.db, users: f.users, org: f.org, hasher: f.hasher, bucket: f.bucket, now: f.now, story: f.story}
	g.build(t, cfg, orphanAge, 5*time.Second, f.bucket)
	return g
}

// item is one piece of evidence as a phone holds it.
type item struct {
	clientID, recordID string
	data               []byte
	sha                string // declared; the data's unless a test lies
	contentType        string
	kind               string
	capturedAt         time.Time
	lat, lon           string
}

func newItem(data []byte, contentType, kind string) item {
	sum := sha256.Sum256(data)
	return item{clientID: uuid.NewString(), recordID: uuid.NewString(), data: data, sha: hex.EncodeToString(sum[:]),
		contentType: contentType, kind: kind, capturedAt: time.Date(2026, 3, 1, 10, 15, 0, 0, time.FixedZone("CST", 8*3600)),
		lat: "39.9042", lon: "116.4074"}
}

func (it item) metadata() string {
	b := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	parts := []string{"client_id " + b(it.clientID), "sha256 " + b(it.sha), "content_type " + b(it.contentType),
		"kind " + b(it.kind), "captured_at " + b(it.capturedAt.Format(time.RFC3339)), "record_client_id " + b(it.recordID),
		"filename " + b("IMG_0001.jpg")}
	if it.lat != "" {
		parts = append(parts, "lat "+b(it.lat), "lon "+b(it.lon))
	}
	return strings.Join(parts, ",")
}

// tusReq is a tus request with the protocol headers.
func tusReq(method, path, token string, body []byte) *http.Request {
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req := httptest.NewRequest(method, path, r)
	req.Header.Set("Tus-Resumable", "1.0.0")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/offset+octet-stream")
	}
	return req
}

// create starts an upload of it (with its first bytes if first is not nil).
func create(c *apitest.Client, token string, it item, first []byte) *apitest.Response {
	req := tusReq(http.MethodPost, "/v1/evidence/uploads", token, first)
	req.Header.Set("Upload-Length", strconv.Itoa(len(it.data)))
	req.Header.Set("Upload-Metadata", it.metadata())
	return c.Do(req)
}

func patch(c *apitest.Client, token, location string, offset int, chunk []byte) *apitest.Response {
	req := tusReq(http.MethodPatch, location, token, chunk)
	req.Header.Set("Upload-Offset", strconv.Itoa(offset))
	return c.Do(req)
}

func head(c *apitest.Client, token, location string) *apitest.Response {
	return c.Do(tusReq(http.MethodHead, location, token, nil))
}

// upload sends it whole in one creation-with-upload request and returns
// the evidence id.
func upload(t *testing.T, c *apitest.Client, token string, it item) string {
	t.Helper()
	res := create(c, token, it, it.data)
	if res.Status != http.StatusCreated || res.Header.Get("Upload-Offset") != strconv.Itoa(len(it.data)) {
		t.Fatalf("upload: %d offset %q %s", res.Status, res.Header.Get("Upload-Offset"), res.Body)
	}
	return idOf(t, res)
}

func idOf(t *testing.T, res *apitest.Response) string {
	t.Helper()
	loc := res.Header.Get("Location")
	id, ok := strings.CutPrefix(loc, "/v1/evidence/uploads/")
	if !ok {
		t.Fatalf("Location %q", loc)
	}
	return id
}

func getEvidence(t *testing.T, c *apitest.Client, token, id string) openapi.Evidence {
	t.Helper()
	res := c.Get("/v1/evidence/"+id, token)
	if res.Status != http.StatusOK {
		t.Fatalf("get evidence: %d %s", res.Status, res.Body)
	}
	var e openapi.Evidence
	res.JSON(t, &e)
	return e
}

// testJPEG is a JPEG of w×h pixels of seeded noise (noise compresses
// badly, so size follows pixels), with app1 (an EXIF segment) after SOI.
func testJPEG(t testing.TB, w, h int, seed uint64, app1 []byte) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(seed, 1))
	for i := range img.Pix {
		img.Pix[i] = uint8(r.UintN(256))
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, img, &jpeg.Options{Quality: 90}); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if app1 == nil {
		return b
	}
	return slices.Concat(b[:2], app1, b[2:])
}

func testPNG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 40, 30))
	for x := range 40 {
		img.Set(x, x%30, color.RGBA{200, 10, 10, 255})
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// testMP4 is n bytes that start like an MP4 file.
func testMP4(n int, seed uint64) []byte {
	b := make([]byte, n)
	r := rand.New(rand.NewPCG(seed, 2))
	for i := range b {
		b[i] = uint8(r.UintN(256))
	}
	copy(b, "\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2")
	return b
}

// exifSegment builds a JPEG APP1 EXIF segment (little-endian TIFF) with a
// camera model, DateTimeOriginal and a GPS position.
func exifSegment(model, taken string, lat, lon float64) []byte {
	type ent struct {
		tag, typ uint16
		count    uint32
		data     []byte
	}
	le := binary.LittleEndian
	ascii := func(tag uint16, s string) ent { return ent{tag, 2, uint32(len(s) + 1), append([]byte(s), 0)} }
	long := func(tag uint16, v uint32) ent { return ent{tag, 4, 1, le.AppendUint32(nil, v)} }
	dms := func(tag uint16, v float64) ent {
		d := int(v)
		m := int((v - float64(d)) * 60)
		s := (v - float64(d) - float64(m)/60) * 3600
		var b []byte
		for _, x := range [][2]uint32{{uint32(d), 1}, {uint32(m), 1}, {uint32(s * 1000), 1000}} {
			b = le.AppendUint32(le.AppendUint32(b, x[0]), x[1])
		}
		return ent{tag, 5, 3, b}
	}
	size := func(es []ent) uint32 {
		n := uint32(2 + 12*len(es) + 4)
		for _, e := range es {
			if len(e.data) > 4 {
				n += uint32(len(e.data))
			}
		}
		return n
	}
	write := func(out []byte, base uint32, es []ent) []byte {
		out = le.AppendUint16(out, uint16(len(es)))
		data := base + uint32(2+12*len(es)+4)
		var extra []byte
		for _, e := range es {
			out = le.AppendUint16(out, e.tag)
			out = le.AppendUint16(out, e.typ)
			out = le.AppendUint32(out, e.count)
			if len(e.data) <= 4 {
				v := make([]byte, 4)
				copy(v, e.data)
				out = append(out, v...)
			} else {
				out = le.AppendUint32(out, data+uint32(len(extra)))
				extra = append(extra, e.data...)
			}
		}
		out = le.AppendUint32(out, 0)
		return append(out, extra...)
	}
	exif := []ent{ascii(0x9003, taken)}
	gps := []ent{ascii(1, "N"), dms(2, lat), ascii(3, "E"), dms(4, lon)}
	ifd0 := []ent{ascii(0x0110, model), long(0x8769, 0), long(0x8825, 0)}
	o0 := uint32(8)
	oExif := o0 + size(ifd0)
	oGPS := oExif + size(exif)
	ifd0[1].data = le.AppendUint32(nil, oExif)
	ifd0[2].data = le.AppendUint32(nil, oGPS)
	tiff := append([]byte("II*\x00"), le.AppendUint32(nil, o0)...)
	tiff = write(tiff, o0, ifd0)
	tiff = write(tiff, oExif, exif)
	tiff = write(tiff, oGPS, gps)
	body := append([]byte("Exif\x00\x00"), tiff...)
	seg := []byte{0xFF, 0xE1}
	seg = binary.BigEndian.AppendUint16(seg, uint16(len(body)+2))
	return append(seg, body...)
}

func custodyEvents(t *testing.T, c *apitest.Client, token, id string) []string {
	t.Helper()
	res := c.Get("/v1/evidence/"+id+"/custody", token)
	if res.Status != http.StatusOK {
		t.Fatalf("custody: %d %s", res.Status, res.Body)
	}
	var cu openapi.Custody
	res.JSON(t, &cu)
	var out []string
	for _, e := range cu.Entries {
		out = append(out, string(e.Event))
	}
	return out
}

func TestEvidenceUpload_Verified(t *testing.T) {
	f := newFixture(t, options{demo: true})
	ctx := context.Background()
	officer := f.login(t, "officer.a", "whistle-demo")
	// EXIF says 10:00 local at a place ~1.3 km away; the phone says 10:15.
	data := testJPEG(t, 64, 48, 1, exifSegment("Mate 60", "2026:03:01 10:00:00", 39.9160, 116.4074))
	it := newItem(data, "image/jpeg", "photo")

	// Creation, then two PATCHes (one with a chunk checksum).
	res := create(f.client, officer, it, nil)
	if res.Status != http.StatusCreated || res.Header.Get("Tus-Resumable") != "1.0.0" || res.Header.Get("Upload-Expires") == "" {
		t.Fatalf("create: %d %v %s", res.Status, res.Header, res.Body)
	}
	loc := res.Header.Get("Location")
	id := idOf(t, res)
	half := len(data) / 2
	if res := patch(f.client, officer, loc, 0, data[:half]); res.Status != http.StatusNoContent || res.Header.Get("Upload-Offset") != strconv.Itoa(half) {
		t.Fatalf("patch 1: %d %v %s", res.Status, res.Header, res.Body)
	}
	if res := head(f.client, officer, loc); res.Status != http.StatusOK || res.Header.Get("Upload-Offset") != strconv.Itoa(half) ||
		res.Header.Get("Upload-Length") != strconv.Itoa(len(data)) || res.Header.Get("Cache-Control") != "no-store" ||
		res.Header.Get("Upload-Metadata") != it.metadata() {
		t.Fatalf("head: %d %v", res.Status, res.Header)
	}
	sum := sha256.Sum256(data[half:])
	req := tusReq(http.MethodPatch, loc, officer, data[half:])
	req.Header.Set("Upload-Offset", strconv.Itoa(half))
	req.Header.Set("Upload-Checksum", "sha256 "+base64.StdEncoding.EncodeToString(sum[:]))
	if res := f.client.Do(req); res.Status != http.StatusNoContent || res.Header.Get("Upload-Offset") != strconv.Itoa(len(data)) {
		t.Fatalf("patch 2: %d %s", res.Status, res.Body)
	}

	e := getEvidence(t, f.client, officer, id)
	if e.Status != openapi.EvidenceStatus(evid.StatusVerified) || *e.Sha256 != it.sha || *e.ObjectKey != media.EvidenceKey(it.sha) ||
		*e.ContentType != "image/jpeg" || e.ClientId.String() != it.clientID || e.LockMode == nil || e.RetainUntil == nil {
		t.Fatalf("evidence = %+v", e)
	}
	if e.Exif == nil || *e.Exif.Model != "Mate 60" || e.Exif.Lat == nil || len(e.Discrepancies) != 2 {
		t.Fatalf("exif %+v, discrepancies %q: want the model, the position and two noted disagreements", e.Exif, e.Discrepancies)
	}
	// The original is stored as sent, EXIF included, under Object Lock.
	res = f.client.Get("/v1/evidence/"+id+"/content", officer)
	if res.Status != http.StatusOK || !bytes.Equal(res.Body, data) || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("content: %d, %d bytes, %q", res.Status, len(res.Body), res.Header.Get("Content-Type"))
	}
	mode, until, err := f.bucket.Client().GetObjectRetention(ctx, f.bucket.Bucket(), *e.ObjectKey, *e.VersionId)
	if err != nil || mode == nil || *mode != minio.Governance || until.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("retention %v %v %v", mode, until, err)
	}

	// The thumbnail is derived later, one at a time, without EXIF.
	if e.Thumbnail != evid.ThumbnailPending {
		t.Fatalf("thumbnail %q", e.Thumbnail)
	}
	f.workJobs(t)
	res = f.client.Get("/v1/evidence/"+id+"/thumbnail", officer)
	if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "image/jpeg" {
		t.Fatalf("thumbnail: %d %s", res.Status, res.Body)
	}
	if media.ReadEXIF(res.Body) != nil || bytes.Contains(res.Body, []byte("Exif\x00\x00")) {
		t.Fatal("the thumbnail carries EXIF")
	}
	if cfg, err := jpeg.DecodeConfig(bytes.NewReader(res.Body)); err != nil || cfg.Width != 64 {
		t.Fatalf("thumbnail config %+v %v", cfg, err)
	}

	// The custody log tells the whole story, its own reading included.
	got := custodyEvents(t, f.client, officer, id)
	want := []string{"declared_capture", "upload_started", "completed", "verified", "locked", "viewed", "downloaded", "derived", "viewed", "viewed"}
	if !slices.Equal(got, want) {
		t.Fatalf("custody = %v, want %v", got, want)
	}
	// Each change and each access is in the audit trail of the uploader's
	// street (a change's entry digests all its custody events).
	rows, err := f.db.SQL.Query(`SELECT action FROM audit_entries WHERE entity_type = 'evidence' AND entity_id = $1 AND chain = 'st-a' ORDER BY id`, id)
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for rows.Next() {
		var a string
		if err := rows.Scan(&a); err != nil {
			t.Fatal(err)
		}
		actions = append(actions, a)
	}
	rows.Close()
	wantActions := []string{"evidence.upload_started", "evidence.upload.append", "evidence.verified", "evidence.viewed", "evidence.downloaded", "evidence.derived", "evidence.viewed", "evidence.viewed"}
	if !slices.Equal(actions, wantActions) {
		t.Fatalf("audit actions = %v, want %v", actions, wantActions)
	}

	t.Run("IdempotentCreate", func(t *testing.T) {
		res := create(f.client, officer, it, nil)
		if res.Status != http.StatusCreated || res.Header.Get("Location") != loc || res.Header.Get("Upload-Offset") != strconv.Itoa(len(data)) {
			t.Fatalf("create again: %d %v %s", res.Status, res.Header, res.Body)
		}
	})
	t.Run("DownloadURL", func(t *testing.T) {
		res := f.client.PostJSON("/v1/evidence/"+id+"/download-url", "", officer)
		if res.Status != http.StatusCreated {
			t.Fatalf("download-url: %d %s", res.Status, res.Body)
		}
		var d openapi.DownloadURL
		res.JSON(t, &d)
		if d.ExpiresAt.After(f.now().Add(5*time.Minute+time.Second)) || !strings.Contains(d.Url, "X-Amz-Expires=300") {
			t.Fatalf("url %s expires %s: want at most 5 minutes", d.Url, d.ExpiresAt)
		}
		got, err := http.Get(d.Url)
		if err != nil {
			t.Fatal(err)
		}
		defer got.Body.Close()
		b, _ := io.ReadAll(got.Body)
		if got.StatusCode != http.StatusOK || !bytes.Equal(b, data) {
			t.Fatalf("presigned GET: %d, %d bytes", got.StatusCode, len(b))
		}
	})
}

func TestEvidenceUpload_HashMismatchQuarantined(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := f.login(t, "officer.a", "whistle-demo")
	it := newItem(testPNG(t), "image/png", "signature")
	it.data = append([]byte(nil), it.data...)
	it.data[len(it.data)-5] ^= 0xFF // damaged after the phone hashed it
	res := create(f.client, officer, it, it.data)
	p := res.Problem(t, http.StatusUnprocessableEntity, "evidence_hash_mismatch")
	if !strings.Contains(p.Detail, it.clientID) || !strings.Contains(string(res.Body), `"client_id":"`+it.clientID+`"`) {
		t.Fatalf("the problem does not name the evidence: %s", res.Body)
	}
	loc := res.Header.Get("Location")
	id := idOf(t, res)
	// Asked again, HEAD and PATCH say the same, naming the item.
	res = head(f.client, officer, loc)
	if res.Status != http.StatusUnprocessableEntity || res.Header.Get("Tus-Problem") != "evidence_hash_mismatch; client_id="+it.clientID {
		t.Fatalf("head: %d %v", res.Status, res.Header)
	}
	patch(f.client, officer, loc, len(it.data), []byte{}).Problem(t, http.StatusUnprocessableEntity, "evidence_hash_mismatch")

	e := getEvidence(t, f.client, officer, id)
	if e.Status != "quarantined" || *e.ObjectKey != media.QuarantinePrefix+id || *e.Sha256 == it.sha {
		t.Fatalf("evidence = %+v", e)
	}
	// Kept, but never served as evidence.
	if _, err := f.bucket.Client().StatObject(context.Background(), f.bucket.Bucket(), media.QuarantinePrefix+id, minio.StatObjectOptions{}); err != nil {
		t.Fatalf("quarantined bytes not kept: %v", err)
	}
	f.client.Get("/v1/evidence/"+id+"/content", officer).Problem(t, http.StatusUnprocessableEntity, "evidence_hash_mismatch")
	f.client.PostJSON("/v1/evidence/"+id+"/download-url", "", officer).Problem(t, http.StatusUnprocessableEntity, "evidence_hash_mismatch")
	got := custodyEvents(t, f.client, officer, id)
	if !slices.Contains(got, "quarantined") || slices.Contains(got, "verified") || slices.Contains(got, "downloaded") {
		t.Fatalf("custody = %v", got)
	}
}

func TestEvidenceUpload_DisguisedRefused(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := f.login(t, "officer.a", "whistle-demo")
	pdf := []byte("%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n")
	tests := []struct {
		name string
		it   item
	}{
		{"PNGDeclaredPDF", newItem(testPNG(t), "application/pdf", "document")},
		{"PDFDeclaredJPEG", newItem(pdf, "image/jpeg", "photo")}, // a ".jpg" that is a PDF
		{"JPEGDeclaredMP4", newItem(testJPEG(t, 16, 16, 2, nil), "video/mp4", "video")},
		{"Unknown", newItem(bytes.Repeat([]byte("MZ"), 100), "image/png", "photo")},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := f.client.For(t)
			res := create(c, officer, tt.it, nil)
			loc := res.Header.Get("Location")
			// Refused on the first bytes of the first chunk.
			res = patch(c, officer, loc, 0, tt.it.data[:32])
			res.Problem(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
			if r := head(c, officer, loc); r.Status != http.StatusUnsupportedMediaType {
				t.Fatalf("head after refusal: %d", r.Status)
			}
			e := getEvidence(t, c, officer, idOf(t, res2(loc)))
			if e.Status != "rejected" || e.ProblemCode == nil || *e.ProblemCode != "unsupported_media_type" {
				t.Fatalf("evidence = %+v", e)
			}
		})
	}
	t.Run("HugeDimensions", func(t *testing.T) {
		// A PNG header claiming 20000×20000 pixels: refused before decoding.
		b := testPNG(t)
		binary.BigEndian.PutUint32(b[16:], 20000)
		binary.BigEndian.PutUint32(b[20:], 20000)
		binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29])) // a valid header
		it := newItem(b, "image/png", "photo")
		create(f.client.For(t), officer, it, it.data).Problem(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
	})
}

// res2 wraps a Location for idOf.
func res2(loc string) *apitest.Response {
	return &apitest.Response{Header: http.Header{"Location": []string{loc}}}
}

func TestEvidenceUpload_Duplicate(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := f.login(t, "officer.a", "whistle-demo")
	leader := f.login(t, "leader.a", "whistle-demo")
	data := testJPEG(t, 32, 32, 3, nil)
	a, b := newItem(data, "image/jpeg", "photo"), newItem(data, "image/jpeg", "photo")
	ida := upload(t, f.client, officer, a)
	idb := upload(t, f.client, leader, b)
	ea, eb := getEvidence(t, f.client, officer, ida), getEvidence(t, f.client, leader, idb)
	if ea.Status != "verified" || eb.Status != "verified" || *ea.ObjectKey != *eb.ObjectKey || *ea.VersionId != *eb.VersionId {
		t.Fatalf("a = %+v\nb = %+v: want two verified items backed by one object version", ea, eb)
	}
	n := 0
	for o := range f.bucket.Client().ListObjects(context.Background(), f.bucket.Bucket(), minio.ListObjectsOptions{Prefix: media.EvidencePrefix, WithVersions: true, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("%d stored versions under %s, want 1", n, media.EvidencePrefix)
	}
	if !slices.Contains(custodyEvents(t, f.client, leader, idb), "verified") {
		t.Fatal("the duplicate has no verified event")
	}
}

func TestEvidenceUpload_LockedObjectCannotBeDeleted(t *testing.T) {
	f := newFixture(t, options{demo: true})
	ctx := context.Background()
	for i, mode := range []string{media.Governance, media.Compliance} {
		t.Run(mode, func(t *testing.T) {
			g := f.restart(t, evidenceConfig{LockMode: mode, Retention: time.Hour}, time.Hour)
			officer := g.login(t, "officer.a", "whistle-demo")
			id := upload(t, g.client.For(t), officer, newItem(testJPEG(t, 24, 24, uint64(100+i), nil), "image/jpeg", "photo"))
			e := getEvidence(t, g.client.For(t), officer, id)
			// The MinIO of the tests runs with these root credentials.
			c := f.bucket.Client()
			err := c.RemoveObject(ctx, f.bucket.Bucket(), *e.ObjectKey, minio.RemoveObjectOptions{VersionID: *e.VersionId})
			if err == nil {
				t.Fatal("the root user deleted a locked original")
			}
			t.Logf("delete with root credentials: %v", err)
			if mode == media.Compliance {
				err := c.RemoveObject(ctx, f.bucket.Bucket(), *e.ObjectKey, minio.RemoveObjectOptions{VersionID: *e.VersionId, GovernanceBypass: true})
				if err == nil {
					t.Fatal("the root user deleted a compliance-locked original with governance bypass")
				}
				t.Logf("delete with root credentials and governance bypass: %v", err)
			}
			if _, err := c.StatObject(ctx, f.bucket.Bucket(), *e.ObjectKey, minio.StatObjectOptions{VersionID: *e.VersionId}); err != nil {
				t.Fatalf("original gone: %v", err)
			}
		})
	}
}

// TestEvidenceUpload_ResumeAfterDrop breaks the connection of PATCH
// requests at seeded random offsets of a file of several parts: each time,
// exactly what arrived is kept and the upload resumes from there.
func TestEvidenceUpload_ResumeAfterDrop(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := f.login(t, "officer.a", "whistle-demo")
	addr := serve(t, f)
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	r := rand.New(rand.NewPCG(seed, 7))
	it := newItem(testMP4(2*media.PartSize+3<<20, seed), "video/mp4", "video")
	res := create(f.client, officer, it, nil)
	loc := res.Header.Get("Location")
	id := idOf(t, res)

	offset, drops := 0, 0
	for offset < len(it.data) {
		rest := len(it.data) - offset
		send := rest
		if drops < 6 && rest > 48<<10 {
			// At least 16 KiB: the server reads the first 8 KiB of a body
			// with its headers, and a request cut before that never starts;
			// at least 16 KiB short of the end, so that it is a drop.
			send = 16<<10 + r.IntN(min(rest, media.PartSize+media.PartSize/2)-32<<10)
		}
		dropPatch(t, addr, officer, loc, offset, it.data[offset:], send)
		res, got := waitOffset(t, f, id, loc, officer, offset)
		if send < rest {
			drops++
			if got != offset+send {
				t.Fatalf("drop %d: sent %d bytes from %d, offset is %d, want %d", drops, send, offset, got, offset+send)
			}
		}
		offset = got
		if send == rest && res.Status != http.StatusOK {
			t.Fatalf("after the last bytes: %d %v", res.Status, res.Header)
		}
	}
	e := getEvidence(t, f.client, officer, id)
	if e.Status != "verified" || *e.Sha256 != it.sha {
		t.Fatalf("after %d drops: %+v", drops, e)
	}
	res = f.client.Get("/v1/evidence/"+id+"/content", officer)
	if !bytes.Equal(res.Body, it.data) {
		t.Fatal("content differs from what was sent")
	}
	// Nothing of the upload is left behind but the original.
	for o := range f.bucket.Client().ListObjects(context.Background(), f.bucket.Bucket(), minio.ListObjectsOptions{Prefix: media.UploadPrefix, WithVersions: true, Recursive: true}) {
		if o.Err == nil && !o.IsDeleteMarker {
			t.Errorf("left behind: %s %s", o.Key, o.VersionID)
		}
	}
}

// serve runs f's app on a loopback port, for tests that need a real
// connection, and returns its address.
func serve(t *testing.T, f *fixture) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go f.app.Listener(ln)
	t.Cleanup(func() { _ = f.app.ShutdownWithTimeout(5 * time.Second) })
	return ln.Addr().String()
}

// dropPatch sends a PATCH of body announcing all of it, but only its first
// n bytes, and hangs up: a phone losing its signal. With n == len(body),
// it reads the answer.
func dropPatch(t *testing.T, addr, token, loc string, offset int, body []byte, n int) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: whistle\r\nAuthorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\n"+
		"Content-Type: application/offset+octet-stream\r\nUpload-Offset: %d\r\nContent-Length: %d\r\n\r\n", loc, token, offset, len(body))
	if _, err := conn.Write(body[:n]); err != nil {
		t.Fatal(err)
	}
	if n < len(body) {
		return
	}
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusNoContent {
		t.Fatalf("last PATCH: %d", res.StatusCode)
	}
}

// waitOffset waits until the request whose connection broke has stored what
// arrived (the offset moved from before and no request holds the upload),
// as a phone retrying would, and returns the HEAD answer and offset.
func waitOffset(t *testing.T, f *fixture, id, loc, token string, before int) (*apitest.Response, int) {
	t.Helper()
	for range 400 {
		var held bool
		if err := f.db.SQL.QueryRow(`SELECT lease_token IS NOT NULL FROM evidence_uploads WHERE evidence_id = $1`, id).Scan(&held); err != nil {
			t.Fatal(err)
		}
		res := head(f.client, token, loc)
		got, _ := strconv.Atoi(res.Header.Get("Upload-Offset"))
		if !held && got != before {
			return res, got
		}
		time.Sleep(25 * time.Millisecond)
	}
	t.Fatal("the offset did not move")
	return nil, 0
}

// TestEvidenceUpload_ResumeAfterRestart starts an upload on one API
// instance and finishes it on another over the same database and bucket.
func TestEvidenceUpload_ResumeAfterRestart(t *testing.T) {
	f := newFixture(t, options{demo: true})
	it := newItem(testMP4(media.PartSize+2<<20, 9), "video/mp4", "video")
	first := media.PartSize + 1<<20 // one part stored, 1 MiB staged as the tail
	token := f.login(t, "officer.a", "whistle-demo")
	res := create(f.client, token, it, it.data[:first])
	loc := res.Header.Get("Location")
	if res.Header.Get("Upload-Offset") != strconv.Itoa(first) {
		t.Fatalf("create with upload: %d %v %s", res.Status, res.Header, res.Body)
	}

	g := f.restart(t, evidenceConfig{}, time.Hour) // new process: nothing in memory
	token = g.login(t, "officer.a", "whistle-demo")
	if res := head(g.client, token, loc); res.Header.Get("Upload-Offset") != strconv.Itoa(first) {
		t.Fatalf("head on the new instance: %d %v", res.Status, res.Header)
	}
	if res := patch(g.client, token, loc, first, it.data[first:]); res.Status != http.StatusNoContent {
		t.Fatalf("patch on the new instance: %d %s", res.Status, res.Body)
	}
	e := getEvidence(t, g.client, token, idOf(t, res))
	if e.Status != "verified" || *e.Sha256 != it.sha {
		t.Fatalf("evidence = %+v", e)
	}
}

func TestEvidenceUpload_Errors(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := f.login(t, "officer.a", "whistle-demo")
	other := f.login(t, "officer.b", "whistle-demo")
	data := testJPEG(t, 40, 40, 5, nil)
	start := func(t *testing.T) (item, string) {
		it := newItem(data, "image/jpeg", "photo")
		res := create(f.client.For(t), officer, it, nil)
		if res.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		return it, res.Header.Get("Location")
	}

	t.Run("Options", func(t *testing.T) {
		res := f.client.For(t).Do(httptest.NewRequest(http.MethodOptions, "/v1/evidence/uploads", nil))
		if res.Status != http.StatusNoContent || res.Header.Get("Tus-Version") != "1.0.0" ||
			!strings.Contains(res.Header.Get("Tus-Extension"), "creation-with-upload") ||
			res.Header.Get("Tus-Checksum-Algorithm") != "sha1,sha256" || res.Header.Get("Tus-Max-Size") != strconv.FormatInt(evid.MaxLength(), 10) {
			t.Fatalf("options: %d %v", res.Status, res.Header)
		}
	})
	t.Run("ErrVersion412", func(t *testing.T) {
		req := tusReq(http.MethodPost, "/v1/evidence/uploads", officer, nil)
		req.Header.Set("Tus-Resumable", "0.2.2")
		res := f.client.For(t).Do(req)
		res.Problem(t, http.StatusPreconditionFailed, "precondition_failed")
		if res.Header.Get("Tus-Version") != "1.0.0" {
			t.Fatal("412 without Tus-Version")
		}
	})
	t.Run("ErrUnauthenticated401", func(t *testing.T) {
		create(f.client.For(t), "", newItem(data, "image/jpeg", "photo"), nil).Problem(t, http.StatusUnauthorized, "unauthenticated")
	})
	t.Run("ErrCommunity403", func(t *testing.T) {
		c := f.login(t, "community.a1", "whistle-demo")
		create(f.client.For(t), c, newItem(data, "image/jpeg", "photo"), nil).Problem(t, http.StatusForbidden, "forbidden")
	})
	t.Run("ErrBadMetadata400", func(t *testing.T) {
		it := newItem(data, "image/jpeg", "photo")
		it.sha = "not-a-hash"
		p := create(f.client.For(t), officer, it, nil).Problem(t, http.StatusBadRequest, "bad_request")
		if len(p.Errors) == 0 || p.Errors[0].Field != "Upload-Metadata/sha256" {
			t.Fatalf("errors %+v", p.Errors)
		}
	})
	t.Run("ErrOversize413", func(t *testing.T) {
		it := newItem(data, "image/png", "signature")
		req := tusReq(http.MethodPost, "/v1/evidence/uploads", officer, nil)
		req.Header.Set("Upload-Length", strconv.Itoa(6<<20))
		req.Header.Set("Upload-Metadata", it.metadata())
		f.client.For(t).Do(req).Problem(t, http.StatusRequestEntityTooLarge, "payload_too_large")
	})
	t.Run("ErrUnsupportedType415", func(t *testing.T) {
		create(f.client.For(t), officer, newItem(data, "image/gif", "photo"), nil).Problem(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
	})
	t.Run("ErrWrongOffset409", func(t *testing.T) {
		_, loc := start(t)
		patch(f.client.For(t), officer, loc, 5, data[5:10]).Problem(t, http.StatusConflict, "conflict")
	})
	t.Run("ErrChecksum460", func(t *testing.T) {
		_, loc := start(t)
		req := tusReq(http.MethodPatch, loc, officer, data[:100])
		req.Header.Set("Upload-Offset", "0")
		req.Header.Set("Upload-Checksum", "sha256 "+base64.StdEncoding.EncodeToString(make([]byte, 32)))
		f.client.For(t).Do(req).Problem(t, api.StatusChecksumMismatch, "checksum_mismatch")
		if res := head(f.client.For(t), officer, loc); res.Header.Get("Upload-Offset") != "0" {
			t.Fatalf("offset after a bad chunk: %s, want 0 (discarded)", res.Header.Get("Upload-Offset"))
		}
		req.Header.Set("Upload-Checksum", "md5 AAAA")
		f.client.For(t).Do(req).Problem(t, http.StatusBadRequest, "bad_request")
	})
	t.Run("ErrPastLength413", func(t *testing.T) {
		_, loc := start(t)
		patch(f.client.For(t), officer, loc, 0, append(append([]byte(nil), data...), 1, 2, 3)).
			Problem(t, http.StatusRequestEntityTooLarge, "payload_too_large")
	})
	t.Run("ErrContentType415", func(t *testing.T) {
		_, loc := start(t)
		req := tusReq(http.MethodPatch, loc, officer, data)
		req.Header.Set("Content-Type", "image/jpeg")
		req.Header.Set("Upload-Offset", "0")
		f.client.For(t).Do(req).Problem(t, http.StatusUnsupportedMediaType, "unsupported_media_type")
	})
	t.Run("ErrUnknown404", func(t *testing.T) {
		loc := "/v1/evidence/uploads/" + uuid.NewString()
		patch(f.client.For(t), officer, loc, 0, data).Problem(t, http.StatusNotFound, "not_found")
		if res := head(f.client.For(t), officer, loc); res.Status != http.StatusNotFound || res.Header.Get("Tus-Problem") != "not_found" {
			t.Fatalf("head: %d %v", res.Status, res.Header)
		}
	})
	t.Run("ErrOtherUsersUpload404", func(t *testing.T) {
		_, loc := start(t)
		patch(f.client.For(t), other, loc, 0, data).Problem(t, http.StatusNotFound, "not_found")
	})
	t.Run("ErrLocked423", func(t *testing.T) {
		_, loc := start(t)
		id := strings.TrimPrefix(loc, "/v1/evidence/uploads/")
		if _, _, err := f.evidenceStore.AcquireUpload(context.Background(), id, uuid.NewString(), time.Minute); err != nil {
			t.Fatal(err)
		}
		patch(f.client.For(t), officer, loc, 0, data).Problem(t, http.StatusLocked, "locked")
	})
	t.Run("ErrExpired410", func(t *testing.T) {
		g := f.restart(t, evidenceConfig{UploadExpiry: time.Millisecond}, time.Hour)
		token := g.login(t, "officer.a", "whistle-demo")
		res := create(g.client.For(t), token, newItem(data, "image/jpeg", "photo"), nil)
		loc := res.Header.Get("Location")
		time.Sleep(5 * time.Millisecond)
		patch(g.client.For(t), token, loc, 0, data).Problem(t, http.StatusGone, "gone")
		if res := head(g.client.For(t), token, loc); res.Status != http.StatusGone {
			t.Fatalf("head: %d", res.Status)
		}
	})
	t.Run("Terminate", func(t *testing.T) {
		_, loc := start(t)
		c := f.client.For(t)
		patch(c, officer, loc, 0, data[:100])
		if res := c.Do(tusReq(http.MethodDelete, loc, officer, nil)); res.Status != http.StatusNoContent {
			t.Fatalf("delete: %d %s", res.Status, res.Body)
		}
		patch(c, officer, loc, 100, data[100:]).Problem(t, http.StatusGone, "gone")
		c.Do(tusReq(http.MethodDelete, loc, officer, nil)).Problem(t, http.StatusGone, "gone")
	})
	t.Run("ErrTerminateVerified409", func(t *testing.T) {
		id := upload(t, f.client.For(t), officer, newItem(testJPEG(t, 8, 8, 77, nil), "image/jpeg", "photo"))
		f.client.For(t).Do(tusReq(http.MethodDelete, "/v1/evidence/uploads/"+id, officer, nil)).Problem(t, http.StatusConflict, "conflict")
	})
	t.Run("MethodOverride", func(t *testing.T) {
		_, loc := start(t)
		req := tusReq(http.MethodPost, loc, officer, data)
		req.Header.Set("X-HTTP-Method-Override", "PATCH")
		req.Header.Set("Upload-Offset", "0")
		if res := f.client.For(t).Do(req); res.Status != http.StatusNoContent || res.Header.Get("Upload-Offset") != strconv.Itoa(len(data)) {
			t.Fatalf("override: %d %v %s", res.Status, res.Header, res.Body)
		}
	})
}

// TestEvidence_AccessMatrix: who sees an officer's evidence of street A.
func TestEvidence_AccessMatrix(t *testing.T) {
	f := newFixture(t, options{demo: true})
	// A second officer of street A, to stand for the uploader's colleagues.
	rep, err := org.Import(context.Background(), f.org, testHasher, org.Dataset{Logins: []org.Login{{Username: "officer.a2",
		DisplayName: "李娜", Role: "officer", Password: "whistle-demo", OfficerCode: "a-cg-04", StreetCode: "st-a"}}})
	if err != nil || !rep.Applied {
		t.Fatalf("import: %v %+v", err, rep.Rejected)
	}
	uploader := f.login(t, "officer.a", "whistle-demo")
	id := upload(t, f.client, uploader, newItem(testJPEG(t, 20, 20, 11, nil), "image/jpeg", "photo"))
	tests := []struct {
		login string
		want  int
	}{
		{"officer.a", http.StatusOK},          // the uploader
		{"officer.a2", http.StatusOK},         // an officer of the same street
		{"leader.a", http.StatusOK},           // the street's team leader
		{"admin", http.StatusOK},              // the district administrator
		{"officer.b", http.StatusNotFound},    // an officer of another street
		{"leader.b", http.StatusNotFound},     // another street's team leader
		{"community.a1", http.StatusNotFound}, // the community office of street A
		{"grid.a", http.StatusNotFound},
		{"reviewer.sj", http.StatusNotFound}, // until cases are routed to departments
	}
	for _, tt := range tests {
		t.Run(tt.login, func(t *testing.T) {
			c := f.client.For(t)
			token := f.login(t, tt.login, "whistle-demo")
			for _, path := range []string{"", "/content", "/custody", "/thumbnail"} {
				res := c.Get("/v1/evidence/"+id+path, token)
				want := tt.want
				if path == "/thumbnail" && want == http.StatusOK {
					want = http.StatusNotFound // not made yet
				}
				if res.Status != want {
					t.Fatalf("GET %s: %d, want %d: %s", path, res.Status, want, res.Body)
				}
			}
			res := c.PostJSON("/v1/evidence/"+id+"/download-url", "", token)
			wantURL := tt.want
			if wantURL == http.StatusOK {
				wantURL = http.StatusCreated
			}
			if res.Status != wantURL {
				t.Fatalf("download-url: %d, want %d", res.Status, wantURL)
			}
		})
	}
	t.Run("Orphans", func(t *testing.T) {
		g := f.restart(t, evidenceConfig{}, 0) // every unlinked item is an orphan at once
		list := func(login string, want int) []openapi.Evidence {
			res := g.client.For(t).Get("/v1/evidence/orphans", g.login(t, login, "whistle-demo"))
			if res.Status != want {
				t.Fatalf("%s: orphans %d, want %d: %s", login, res.Status, want, res.Body)
			}
			var out []openapi.Evidence
			if want == http.StatusOK {
				res.JSON(t, &out)
			}
			return out
		}
		if got := list("leader.a", http.StatusOK); len(got) != 1 || got[0].Id.String() != id {
			t.Fatalf("leader.a orphans = %+v", got)
		}
		if got := list("leader.b", http.StatusOK); len(got) != 0 {
			t.Fatalf("leader.b sees street A's orphans: %+v", got)
		}
		if got := list("admin", http.StatusOK); len(got) != 1 {
			t.Fatalf("admin orphans = %+v", got)
		}
		list("officer.a", http.StatusForbidden)
		// When the record arrives, the item is linked and no longer an orphan.
		e := getEvidence(t, g.client, uploader2(t, g), id)
		if n, err := g.evidenceStore.LinkRecord(context.Background(), evid.RecordRef{ID: e.RecordClientId.String(), StreetCode: "st-a"}); err != nil || n != 1 {
			t.Fatalf("link: %d %v", n, err)
		}
		if got := list("leader.a", http.StatusOK); len(got) != 0 {
			t.Fatalf("linked item still an orphan: %+v", got)
		}
		if ev, err := g.evidenceStore.EvidenceOfRecord(context.Background(), e.RecordClientId.String()); err != nil || len(ev) != 1 || ev[0].LinkedAt == nil {
			t.Fatalf("evidence of record: %+v %v", ev, err)
		}
	})
}

func uploader2(t *testing.T, g *fixture) string { return g.login(t, "officer.a", "whistle-demo") }

// trailHeaders are the extra request headers of the trail cases of
// TestTrail_EveryMutatingRoute (tus requests need protocol headers).
var trailHeaders = map[string]http.Header{}

// trailEvidence prepares one request of a mutating evidence operation that
// succeeds, for TestTrail_EveryMutatingRoute.
func trailEvidence(t *testing.T, f *fixture, op string) (method, path, contentType, body, token string) {
	t.Helper()
	token = f.login(t, "officer.a", "whistle-demo")
	it := newItem(testJPEG(t, 16, 16, uint64(len(op)), nil), "image/jpeg", "photo")
	h := http.Header{"Tus-Resumable": {"1.0.0"}}
	started := func() string {
		res := create(f.client.For(t), token, it, nil)
		if res.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		return res.Header.Get("Location")
	}
	switch op {
	case "createEvidenceUpload":
		h.Set("Upload-Length", strconv.Itoa(len(it.data)))
		h.Set("Upload-Metadata", it.metadata())
		method, path = http.MethodPost, "/v1/evidence/uploads"
	case "appendEvidenceUpload":
		h.Set("Upload-Offset", "0")
		method, path, contentType, body = http.MethodPatch, started(), "application/offset+octet-stream", string(it.data)
	case "terminateEvidenceUpload":
		method, path = http.MethodDelete, started()
	case "overrideEvidenceUpload":
		h.Set("X-HTTP-Method-Override", "DELETE")
		method, path = http.MethodPost, started()
	case "createEvidenceDownloadURL":
		method, path = http.MethodPost, "/v1/evidence/"+upload(t, f.client.For(t), token, it)+"/download-url"
	default:
		t.Fatalf("no trail case for %s", op)
	}
	trailHeaders[op] = h
	return method, path, contentType, body, token
}

// recordMatrixEvidence uploads a photo by the officer of each street, with
// its thumbnail, for TestAccess_ReadMatrix.
func recordMatrixEvidence(t *testing.T, f *fixture, e *matrixEnv) {
	t.Helper()
	e.evidence = map[string]string{}
	for street, login := range map[string]string{"st-a": "officer.a", "st-b": "officer.b"} {
		token := f.login(t, login, "whistle-demo")
		e.evidence[street] = upload(t, f.client, token, newItem(testJPEG(t, 30, 20, uint64(len(street)+len(login)*7+int(street[3])), nil), "image/jpeg", "photo"))
	}
	f.workJobs(t)
}

// The evidence rows of the read matrix: an item is seen by its uploader,
// the officers and team leader of its street, and the administrator; the
// orphan list by team leaders (their street's) and the administrator.
func init() {
	seen := func(street string) map[string]outcome {
		want := map[string]outcome{}
		for _, c := range matrixCallers {
			switch {
			case c.role == openapi.RoleAdmin:
				want[c.login] = visible
			case (c.role == openapi.RoleOfficer || c.role == openapi.RoleTeamLeader) && c.street == street:
				want[c.login] = visible
			default:
				want[c.login] = hidden
			}
		}
		return want
	}
	item := func(suffix string) func(*testing.T, *matrixEnv) []matrixObject {
		return func(_ *testing.T, e *matrixEnv) []matrixObject {
			return []matrixObject{
				{name: "own", url: "/v1/evidence/" + e.evidence["st-a"] + suffix, want: seen("st-a")},
				{name: "other", url: "/v1/evidence/" + e.evidence["st-b"] + suffix, want: seen("st-b")},
				{name: "unknown", url: "/v1/evidence/" + uuid.NewString() + suffix, want: sameForAll(hidden)},
			}
		}
	}
	for _, suffix := range []string{"", "/content", "/custody", "/thumbnail"} {
		readMatrix["/v1/evidence/{evidence_id}"+suffix] = item(suffix)
	}
	readMatrix["/v1/evidence/orphans"] = func(*testing.T, *matrixEnv) []matrixObject {
		want := sameForAll(forbidden)
		for _, c := range matrixCallers {
			if c.role == openapi.RoleAdmin || c.role == openapi.RoleTeamLeader {
				want[c.login] = visible
			}
		}
		return []matrixObject{{name: "own", url: "/v1/evidence/orphans", want: want}, {name: "other", url: "/v1/evidence/orphans", want: want}}
	}
}

// TestEvidenceUpload_HEICExif: an iPhone-format original (HEIC) gets its
// EXIF read like a JPEG's, from the Exif item its metadata boxes locate.
func TestEvidenceUpload_HEICExif(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := f.login(t, "officer.a", "whistle-demo")
	data, err := os.ReadFile(filepath.Join("..", "..", "media", "testdata", "imagemeta-Heic.heic"))
	if err != nil {
		t.Fatal(err)
	}
	id := upload(t, f.client, officer, newItem(data, "image/heic", "photo"))
	e := getEvidence(t, f.client, officer, id)
	if e.Status != openapi.EvidenceStatus(evid.StatusVerified) || *e.ContentType != "image/heic" {
		t.Fatalf("evidence = %+v", e)
	}
	if e.Exif == nil || e.Exif.Model == nil || *e.Exif.Model != "Canon EOS 6D" || e.Exif.Lat == nil || e.Exif.Lon == nil ||
		math.Abs(*e.Exif.Lat-14.204164) > 1e-5 || math.Abs(*e.Exif.Lon-120.969578) > 1e-5 {
		t.Fatalf("exif %+v: want the camera's model and position", e.Exif)
	}
}

// TestEvidenceUpload_MetadataText: an Upload-Metadata value PostgreSQL
// cannot store (U+0000, invalid UTF-8) or with control characters is
// refused with the key named, before anything is stored.
func TestEvidenceUpload_MetadataText(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := f.login(t, "officer.a", "whistle-demo")
	it := newItem(testJPEG(t, 16, 16, 1, nil), "image/jpeg", "photo")
	for name, bad := range map[string]string{"NUL": "IMG\x00.jpg", "InvalidUTF8": "IMG\xff\xfe.jpg", "Control": "IMG\x1b.jpg"} {
		t.Run(name, func(t *testing.T) {
			req := tusReq(http.MethodPost, "/v1/evidence/uploads", officer, nil)
			req.Header.Set("Upload-Length", strconv.Itoa(len(it.data)))
			md := strings.Replace(it.metadata(), "filename "+base64.StdEncoding.EncodeToString([]byte("IMG_0001.jpg")),
				"filename "+base64.StdEncoding.EncodeToString([]byte(bad)), 1)
			req.Header.Set("Upload-Metadata", md)
			res := f.client.Do(req)
			var p struct {
				Code   string `json:"code"`
				Errors []struct {
					Field string `json:"field"`
				} `json:"errors"`
			}
			res.JSON(t, &p)
			if res.Status != http.StatusBadRequest || len(p.Errors) != 1 || p.Errors[0].Field != "Upload-Metadata/filename" {
				t.Fatalf("create with filename %q: %d %s, want 400 naming Upload-Metadata/filename", bad, res.Status, res.Body)
			}
		})
	}
	// Nothing was stored: the same client id then uploads cleanly.
	if id := upload(t, f.client, officer, it); id == "" {
		t.Fatal("no upload after the refusals")
	}
}
