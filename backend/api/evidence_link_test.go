package api_test

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/media"
	"github.com/whistle/whistle/openapi"
)

// expectItem makes r announce it as one of its expected files.
func expectItem(r *inspection.Record, it item) {
	r.Evidence = append(r.Evidence, inspection.ExpectedEvidence{ClientID: it.clientID, SHA256: it.sha, Size: int64(len(it.data)),
		ContentType: it.contentType, Kind: it.kind})
}

// streetBInspection is marketInspection recorded by st-b's team.
func streetBInspection(act time.Time, formNumber string) inspection.Record {
	r := marketInspection(act, []string{"b-cg-03", "b-sj-01", "b-sj-02"}, formNumber)
	r.TeamCode = "team-st-b"
	return r
}

// linkedAt is when an item was linked to its record, read without the API
// ("" while it is not).
func (f *fixture) linkedAt(t *testing.T, id string) string {
	t.Helper()
	var at *time.Time
	if err := f.db.SQL.QueryRowContext(context.Background(), `SELECT linked_at FROM evidence WHERE id = $1`, id).Scan(&at); err != nil {
		t.Fatal(err)
	}
	if at == nil {
		return ""
	}
	return at.String()
}

// TestEvidence_OtherStreetCannotCompleteRecord (issue 11, finding 1): an
// officer of st-a who knows the client ids of an st-b record (from its
// lists or team feed) uploads other bytes under them. His file is his own
// item, never linked to st-b's record, which stays evidence_pending; the
// creation answer does not point at st-b's upload; the owner's real
// upload then succeeds and completes the record. A file of the record's
// own street with the right client id but other bytes does not count
// either.
func TestEvidence_OtherStreetCannotCompleteRecord(t *testing.T) {
	f := newFixture(t, options{demo: true})
	owner := newPhone(t, f, "officer.b")
	intruder := f.login(t, "officer.a", "whistle-demo")
	colleague := f.login(t, "leader.b", "whistle-demo")

	r := streetBInspection(f.story.At("2026-11-10T10:00:00+08:00"), "JYCF-LINK-B1")
	photo := newItem(testJPEG(t, 64, 48, 21, nil), "image/jpeg", "photo")
	photo.recordID = r.ID
	expectItem(&r, photo)
	owner.push(owner.mutation(inspection.MutationRecord, r.ID, r))
	if st, _ := f.storedStatus(t, r.ID); st != "evidence_pending" {
		t.Fatalf("record before its file = %s", st)
	}

	// Another street's officer: his own photo under st-b's client ids.
	forged := photo
	forged.data = testJPEG(t, 64, 48, 22, nil)
	forged.sha = newItem(forged.data, "", "").sha
	forgedID := upload(t, f.client, intruder, forged)
	if st, done := f.storedStatus(t, r.ID); st != "evidence_pending" || done {
		t.Fatalf("record after another street's file = %s (feed complete %v), want evidence_pending", st, done)
	}
	if at := f.linkedAt(t, forgedID); at != "" {
		t.Fatalf("another street's file was linked to the record at %s", at)
	}

	// The record's own street, the right client id, other bytes: no.
	wrong := photo
	wrong.data = testJPEG(t, 64, 48, 23, nil)
	wrong.sha = newItem(wrong.data, "", "").sha
	upload(t, f.client, colleague, wrong)
	if st, _ := f.storedStatus(t, r.ID); st != "evidence_pending" {
		t.Fatalf("record after a file whose hash is not the declared one = %s, want evidence_pending", st)
	}

	// The owner's real upload succeeds and completes his record.
	ownID := upload(t, f.client, owner.token, photo)
	if st, done := f.storedStatus(t, r.ID); st != "complete" || !done {
		t.Fatalf("record after its owner's file = %s (feed complete %v), want complete", st, done)
	}
	var got openapi.Inspection
	f.client.Get("/v1/inspections/"+r.ID, colleague).JSON(t, &got)
	if got.Status != "complete" {
		t.Fatalf("GET record = %s, want complete", got.Status)
	}
	if f.linkedAt(t, ownID) == "" {
		t.Fatal("the owner's file is not linked to his record")
	}
	// Every file that counts for the record is one its street may see.
	getEvidence(t, f.client, owner.token, ownID)

	t.Run("CreationConfirmsNothing", func(t *testing.T) {
		// The same bytes and client id as st-b's verified item, from
		// another st-a account: the answer is a fresh upload of its own,
		// not st-b's item.
		res := create(f.client, f.login(t, "leader.a", "whistle-demo"), photo, nil)
		if res.Status != http.StatusCreated {
			t.Fatalf("create: %d %s", res.Status, res.Body)
		}
		if id := idOf(t, res); id == ownID || res.Header.Get("Upload-Offset") != "0" {
			t.Fatalf("create answered upload %s at offset %s: st-b's item is %s", id, res.Header.Get("Upload-Offset"), ownID)
		}
		// The owner asking again still gets his own item.
		res = create(f.client, owner.token, photo, nil)
		if res.Status != http.StatusCreated || idOf(t, res) != ownID || res.Header.Get("Upload-Offset") != strconv.Itoa(len(photo.data)) {
			t.Fatalf("owner's create again: %d %v", res.Status, res.Header)
		}
	})
}

// TestEvidence_LinkWithoutRecordID (issue 11, finding 10): evidence whose
// upload does not name its record (record_client_id is optional) is linked
// by the record's expected items, whichever arrives first; it is then no
// orphan, and the record is complete.
func TestEvidence_LinkWithoutRecordID(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := newPhone(t, f, "officer.a")
	orphans := func(t *testing.T) []openapi.Evidence {
		g := f.restart(t, evidenceConfig{}, 0) // every unlinked item is an orphan at once
		var out []openapi.Evidence
		g.client.For(t).Get("/v1/evidence/orphans", g.login(t, "leader.a", "whistle-demo")).JSON(t, &out)
		return out
	}
	for _, tt := range []struct {
		name        string
		recordFirst bool
	}{{"RecordFirst", true}, {"FileFirst", false}} {
		t.Run(tt.name, func(t *testing.T) {
			r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-NOREC-"+tt.name)
			photo := newItem(testJPEG(t, 64, 48, 31+uint64(len(tt.name)), nil), "image/jpeg", "photo")
			photo.recordID = ""
			expectItem(&r, photo)
			var id string
			if tt.recordFirst {
				officer.push(officer.mutation(inspection.MutationRecord, r.ID, r))
				id = upload(t, f.client, officer.token, photo)
			} else {
				id = upload(t, f.client, officer.token, photo)
				officer.push(officer.mutation(inspection.MutationRecord, r.ID, r))
			}
			if st, done := f.storedStatus(t, r.ID); st != "complete" || !done {
				t.Fatalf("record = %s (feed complete %v), want complete", st, done)
			}
			if f.linkedAt(t, id) == "" {
				t.Fatal("the file is not linked to its record")
			}
			for _, o := range orphans(t) {
				if o.Id.String() == id {
					t.Fatalf("linked file listed as an orphan: %+v", o)
				}
			}
			if !slices.Contains(custodyEvents(t, f.client, officer.token, id), "linked") {
				t.Fatal("no linked custody event")
			}
		})
	}
}

// TestEvidenceUpload_SubstitutedOriginal (issue 11, finding 2): with the
// object store's credentials, other bytes are put on an original's key (a
// new version stacks on the locked one). The same photo uploaded again is
// backed by the version that was verified, serves the original bytes, and
// the foreign version's lock is not extended.
func TestEvidenceUpload_SubstitutedOriginal(t *testing.T) {
	f := newFixture(t, options{demo: true})
	ctx := context.Background()
	officer := f.login(t, "officer.a", "whistle-demo")
	s3 := f.bucket.Client()

	// substitute puts other bytes of the same length on key and returns
	// the foreign version.
	substitute := func(t *testing.T, key string, n int) string {
		t.Helper()
		other := bytes.Repeat([]byte{0xEE}, n)
		info, err := s3.PutObject(ctx, f.bucket.Bucket(), key, bytes.NewReader(other), int64(n), minio.PutObjectOptions{ContentType: "image/jpeg"})
		if err != nil {
			t.Fatal(err)
		}
		return info.VersionID
	}
	check := func(t *testing.T, first openapi.Evidence, again string, data []byte, foreign string) {
		t.Helper()
		e := getEvidence(t, f.client, officer, again)
		if e.Status != "verified" || *e.VersionId != *first.VersionId {
			t.Fatalf("the same photo again points at version %s, want the verified %s (foreign %s)", *e.VersionId, *first.VersionId, foreign)
		}
		res := f.client.Get("/v1/evidence/"+again+"/content", officer)
		if res.Status != http.StatusOK || !bytes.Equal(res.Body, data) {
			t.Fatalf("content: %d, %d bytes, want the original %d bytes", res.Status, len(res.Body), len(data))
		}
		if _, until, err := s3.GetObjectRetention(ctx, f.bucket.Bucket(), *e.ObjectKey, foreign); err == nil && until != nil {
			t.Fatalf("the foreign version's lock was extended to %s", until)
		}
	}

	t.Run("OnePut", func(t *testing.T) {
		data := testJPEG(t, 64, 48, 41, nil)
		first := getEvidence(t, f.client, officer, upload(t, f.client, officer, newItem(data, "image/jpeg", "photo")))
		foreign := substitute(t, *first.ObjectKey, len(data))
		again := upload(t, f.client, officer, newItem(data, "image/jpeg", "photo"))
		check(t, first, again, data, foreign)
	})
	t.Run("AfterMultipart", func(t *testing.T) {
		data := testMP4(media.PartSize+4096, 42)
		first := getEvidence(t, f.client, officer, upload(t, f.client, officer, newItem(data, "video/mp4", "video")))
		foreign := substitute(t, *first.ObjectKey, len(data))
		again := upload(t, f.client, officer, newItem(data, "video/mp4", "video"))
		check(t, first, again, data, foreign)
	})
	t.Run("ServedBytesChecked", func(t *testing.T) {
		// An item made to point at other bytes (here by the database) is
		// not served with a Digest that lies: the stream breaks off and
		// the mismatch is in its custody log.
		data := testJPEG(t, 64, 48, 43, nil)
		id := upload(t, f.client, officer, newItem(data, "image/jpeg", "photo"))
		e := getEvidence(t, f.client, officer, id)
		foreign := substitute(t, *e.ObjectKey, len(data))
		if _, err := f.db.SQL.ExecContext(ctx, `UPDATE evidence SET version_id = $1 WHERE id = $2`, foreign, id); err != nil {
			t.Fatal(err)
		}
		// Not through the contract-checking client: the stream breaks.
		req := httptest.NewRequest(http.MethodGet, "/v1/evidence/"+id+"/content", nil)
		req.Header.Set("Authorization", "Bearer "+officer)
		if res, err := f.app.Test(req, -1); err == nil {
			body, err := io.ReadAll(res.Body)
			res.Body.Close()
			if err == nil && res.StatusCode == http.StatusOK && bytes.Equal(body, bytes.Repeat([]byte{0xEE}, len(data))) {
				t.Fatalf("served the other bytes whole with Digest %s", res.Header.Get("Digest"))
			}
		}
		if got := custodyEvents(t, f.client, officer, id); !slices.Contains(got, "integrity_failed") {
			t.Fatalf("custody = %v, want integrity_failed", got)
		}
		f.client.Get("/v1/evidence/"+id+"/content", officer).Problem(t, http.StatusUnprocessableEntity, "evidence_hash_mismatch")
	})
}
