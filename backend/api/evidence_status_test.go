package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/whistle/whistle/backend/inspection"
	"github.com/whistle/whistle/openapi"
)

// writes counts what a request could have written: audit trail entries,
// and the sync feed's changes (one row per entity and scope, whose
// version grows with each change).
func (f *fixture) writes(t *testing.T) (audit, feed int) {
	t.Helper()
	ctx := context.Background()
	if err := f.db.SQL.QueryRowContext(ctx, `SELECT count(*) FROM audit_entries`).Scan(&audit); err != nil {
		t.Fatal(err)
	}
	if err := f.db.SQL.QueryRowContext(ctx, `SELECT count(*) + coalesce(sum(version), 0) FROM sync_changes`).Scan(&feed); err != nil {
		t.Fatal(err)
	}
	return audit, feed
}

// storedStatus is a record's evidence status as stored, read without the API.
func (f *fixture) storedStatus(t *testing.T, id string) (status string, feedComplete bool) {
	t.Helper()
	ctx := context.Background()
	if err := f.db.SQL.QueryRowContext(ctx, `SELECT status FROM inspections WHERE id = $1`, id).Scan(&status); err != nil {
		t.Fatal(err)
	}
	err := f.db.SQL.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM sync_changes WHERE entity_id = $1 AND state->>'status' = 'complete')`,
		id).Scan(&feedComplete)
	if err != nil {
		t.Fatal(err)
	}
	return status, feedComplete
}

// TestInspection_EvidenceStatus: a record becomes complete in the
// transaction that verifies its last file, with no read needed; reading a
// record writes nothing (no audit entry, no feed change), even when its
// stored status lags behind the evidence.
func TestInspection_EvidenceStatus(t *testing.T) {
	f := newFixture(t, options{demo: true})
	officer := newPhone(t, f, "officer.a")
	token := f.login(t, "officer.a", "whistle-demo")
	expect := func(r *inspection.Record, it item) {
		r.Evidence = append(r.Evidence, inspection.ExpectedEvidence{ClientID: it.clientID, SHA256: it.sha, Size: int64(len(it.data)),
			ContentType: it.contentType, Kind: it.kind})
	}

	t.Run("CompleteWhenVerified", func(t *testing.T) {
		r := marketInspection(f.story.At("2026-11-10T10:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-STATUS-1")
		photo := newItem(testJPEG(t, 64, 48, 11, nil), "image/jpeg", "photo")
		photo.recordID = r.ID
		expect(&r, photo)
		officer.push(officer.mutation(inspection.MutationRecord, r.ID, r))
		if st, done := f.storedStatus(t, r.ID); st != "evidence_pending" || done {
			t.Fatalf("record before its file = %s (feed complete %v), want evidence_pending", st, done)
		}
		upload(t, f.client, token, photo)
		// No read in between: the upload's own transaction completed the record.
		if st, done := f.storedStatus(t, r.ID); st != "complete" || !done {
			t.Fatalf("record once its file is verified = %s (feed complete %v), want complete in the store and the feed", st, done)
		}
	})

	t.Run("RecordAfterItsFile", func(t *testing.T) {
		r := marketInspection(f.story.At("2026-11-10T11:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-STATUS-2")
		photo := newItem(testJPEG(t, 64, 48, 12, nil), "image/jpeg", "photo")
		photo.recordID = r.ID
		expect(&r, photo)
		upload(t, f.client, token, photo)
		officer.push(officer.mutation(inspection.MutationRecord, r.ID, r))
		if st, _ := f.storedStatus(t, r.ID); st != "complete" {
			t.Fatalf("record whose file was verified first = %s, want complete", st)
		}
	})

	t.Run("ReadsWriteNothing", func(t *testing.T) {
		// A file that names another record is verified without telling
		// this one: its stored status stays behind. A read used to bring
		// it up to date (writing, auditing, publishing); now it only reads.
		r := marketInspection(f.story.At("2026-11-10T12:00:00+08:00"), []string{"a-cg-03", "a-sj-01", "a-sj-02"}, "JYCF-STATUS-3")
		photo := newItem(testJPEG(t, 64, 48, 13, nil), "image/jpeg", "photo")
		expect(&r, photo)
		officer.push(officer.mutation(inspection.MutationRecord, r.ID, r))
		upload(t, f.client, token, photo)
		audit, feed := f.writes(t)
		for _, path := range []string{"/v1/inspections/" + r.ID, "/v1/inspections/" + r.ID + "/versions", "/v1/inspections"} {
			res := f.client.Get(path, token)
			if res.Status != http.StatusOK {
				t.Fatalf("GET %s: %d %s", path, res.Status, res.Body)
			}
		}
		var got openapi.Inspection
		f.client.Get("/v1/inspections/"+r.ID, token).JSON(t, &got)
		if a, c := f.writes(t); a != audit || c != feed {
			t.Fatalf("GETs wrote %d audit entries and %d feed changes, want none", a-audit, c-feed)
		}
		if got.Status != "evidence_pending" {
			t.Fatalf("GET answered %s, not the stored status", got.Status)
		}
	})
}
