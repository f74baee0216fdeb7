package api_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/whistle/whistle/backend/audit"
	evid "github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/media"
	"github.com/whistle/whistle/openapi"
)

// A photo sent whole in its creation request (the common case, one
// transaction for the whole upload) keeps every guarantee of an upload in
// several requests: verified against the phone's hash, stored as sent
// under Object Lock, the custody log and the audit trail complete and
// chained, and a repeated request answered without a second item.
func TestEvidenceUpload_OneRequest(t *testing.T) {
	f := newFixture(t, options{demo: true})
	ctx := context.Background()
	officer := f.login(t, "officer.a", "whistle-demo")
	data := testJPEG(t, 64, 48, 3, exifSegment("Mate 60", "2026:03:01 10:15:00", 39.9042, 116.4074))
	it := newItem(data, "image/jpeg", "photo")

	res := create(f.client, officer, it, data)
	if res.Status != http.StatusCreated || res.Header.Get("Upload-Offset") != strconv.Itoa(len(data)) || res.Header.Get("Upload-Expires") != "" {
		t.Fatalf("create with the whole body: %d %v %s", res.Status, res.Header, res.Body)
	}
	loc, id := res.Header.Get("Location"), idOf(t, res)
	if res := head(f.client, officer, loc); res.Status != http.StatusOK || res.Header.Get("Upload-Offset") != strconv.Itoa(len(data)) {
		t.Fatalf("head: %d %v", res.Status, res.Header)
	}
	e := getEvidence(t, f.client, officer, id)
	if e.Status != openapi.EvidenceStatus(evid.StatusVerified) || *e.Sha256 != it.sha || *e.ObjectKey != media.EvidenceKey(it.sha) || e.CompletedAt == nil ||
		e.Thumbnail != evid.ThumbnailPending || e.Exif == nil || *e.Exif.Model != "Mate 60" {
		t.Fatalf("evidence = %+v", e)
	}
	got := f.client.Get("/v1/evidence/"+id+"/content", officer)
	if got.Status != http.StatusOK || !bytes.Equal(got.Body, data) {
		t.Fatalf("content: %d, %d bytes", got.Status, len(got.Body))
	}
	mode, until, err := f.bucket.Client().GetObjectRetention(ctx, f.bucket.Bucket(), *e.ObjectKey, *e.VersionId)
	if err != nil || mode == nil || *mode != minio.Governance || until.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("retention %v %v %v", mode, until, err)
	}
	// The thumbnail job was queued with the item.
	f.workJobs(t)
	if e := getEvidence(t, f.client, officer, id); e.Thumbnail != evid.ThumbnailAvailable {
		t.Fatalf("thumbnail %q after the jobs ran", e.Thumbnail)
	}

	// The custody log and the trail read as for an upload in several
	// requests: the start and the end, each change with its entry.
	events := custodyEvents(t, f.client, officer, id)
	if want := []string{"declared_capture", "upload_started", "completed", "verified", "locked"}; !slices.Equal(events[:min(5, len(events))], want) {
		t.Fatalf("custody = %v, want it to begin with %v", events, want)
	}
	entries, _, err := postgres.NewAuditStore(f.db).Query(ctx, audit.Filter{Chain: "st-a", EntityType: "evidence", EntityID: id})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, x := range entries {
		actions = append(actions, x.Action)
	}
	if len(actions) < 2 || !slices.Equal(actions[:2], []string{"evidence.upload_started", "evidence.verified"}) {
		t.Fatalf("audit actions = %v", actions)
	}
	if entries[1].Seq != entries[0].Seq+1 || entries[1].PrevHash != entries[0].Hash {
		t.Fatalf("the start and the end are not chained one after the other: %+v", entries[:2])
	}
	if _, brk, err := postgres.NewAuditStore(f.db).Verify(ctx, "st-a"); err != nil || brk != nil {
		t.Fatalf("verify st-a: %v %v", brk, err)
	}

	// The phone lost the answer and sends it all again: the same item.
	res = create(f.client, officer, it, data)
	if res.Status != http.StatusCreated || res.Header.Get("Location") != loc || res.Header.Get("Upload-Offset") != strconv.Itoa(len(data)) {
		t.Fatalf("create again: %d %v %s", res.Status, res.Header, res.Body)
	}
	var n int
	if err := f.db.SQL.QueryRow(`SELECT count(*) FROM evidence WHERE client_id = $1`, it.clientID).Scan(&n); err != nil || n != 1 {
		t.Fatalf("%d items of client id %s (%v), want 1", n, it.clientID, err)
	}
}

// A whole-body creation whose connection breaks off keeps what arrived, as
// a PATCH does: the upload is stored, at the offset reached, and the rest
// completes it.
func TestEvidenceUpload_OneRequestDropped(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := f.login(t, "officer.a", "whistle-demo")
	addr := serve(t, f)
	data := testJPEG(t, 600, 600, 5, nil)
	if len(data) > media.PartSize || len(data) < 256<<10 {
		t.Fatalf("test photo of %d bytes: want one part's worth at most, and enough to cut", len(data))
	}
	it := newItem(data, "image/jpeg", "photo")
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "POST /v1/evidence/uploads HTTP/1.1\r\nHost: whistle\r\nAuthorization: Bearer %s\r\nTus-Resumable: 1.0.0\r\n"+
		"Content-Type: application/offset+octet-stream\r\nUpload-Length: %d\r\nUpload-Metadata: %s\r\nContent-Length: %d\r\n\r\n",
		officer, len(data), it.metadata(), len(data))
	sent := len(data) / 2
	if _, err := conn.Write(data[:sent]); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond) // delivered before the hang-up
	conn.Close()

	var id string
	for range 400 {
		if err := f.db.SQL.QueryRow(`SELECT id FROM evidence WHERE client_id = $1`, it.clientID).Scan(&id); err == nil {
			break
		}
		time.Sleep(25 * time.Millisecond)
	}
	if id == "" {
		t.Fatal("the broken creation stored no upload")
	}
	loc := "/v1/evidence/uploads/" + id
	res, offset := waitOffset(t, f, id, loc, officer, 0)
	if res.Status != http.StatusOK || offset <= 0 || offset > sent || res.Header.Get("Upload-Expires") == "" {
		t.Fatalf("head after the drop: %d %v (sent %d)", res.Status, res.Header, sent)
	}
	if res := patch(f.client, officer, loc, offset, data[offset:]); res.Status != http.StatusNoContent || res.Header.Get("Upload-Offset") != strconv.Itoa(len(data)) {
		t.Fatalf("patch the rest: %d %s", res.Status, res.Body)
	}
	e := getEvidence(t, f.client, officer, id)
	if e.Status != openapi.EvidenceStatus(evid.StatusVerified) || *e.Sha256 != it.sha {
		t.Fatalf("evidence = %+v", e)
	}
	if got := f.client.Get("/v1/evidence/"+id+"/content", officer); !bytes.Equal(got.Body, data) {
		t.Fatalf("content: %d, %d bytes", got.Status, len(got.Body))
	}
	events := custodyEvents(t, f.client, officer, id)
	if want := []string{"declared_capture", "upload_started", "completed", "verified", "locked"}; !slices.Equal(events[:min(5, len(events))], want) {
		t.Fatalf("custody = %v, want it to begin with %v", events, want)
	}
}
