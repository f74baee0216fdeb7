package api_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	evid "github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/backend/inspection"
)

// TestEvidenceRecheck_MissingVersion: the scheduled re-hash (the
// evidence.recheck job's work) finds the original whose verified version
// was removed from the store behind the server's back, records it as an
// integrity failure and stops serving it; the intact one is checked and
// not due again until its age comes round. The record the failed file
// completed is evidence_pending again and in the team leader's review
// queue, flagged EVIDENCE_INTEGRITY_FAILED.
func TestEvidenceRecheck_MissingVersion(t *testing.T) {
	f := newFixture(t, options{demo: true})
	ctx := context.Background()
	phone := newPhone(t, f, "officer.b")
	officer := phone.token
	leader := f.login(t, "leader.b", "whistle-demo")
	r := streetBInspection(f.story.At("2026-11-10T10:00:00+08:00"), "JYCF-RECHECK-B1")
	photo := newItem(testJPEG(t, 40, 30, 401, nil), "image/jpeg", "photo")
	photo.recordID = r.ID
	expectItem(&r, photo)
	phone.push(phone.mutation(inspection.MutationRecord, r.ID, r))
	gone := upload(t, f.client, officer, photo)
	intact := upload(t, f.client, officer, newItem(testJPEG(t, 40, 30, 402, nil), "image/jpeg", "photo"))
	if st, _ := f.storedStatus(t, r.ID); st != "complete" {
		t.Fatalf("record with its file verified = %s, want complete", st)
	}
	e := getEvidence(t, f.client, officer, gone)
	if err := f.bucket.Client().RemoveObject(ctx, f.bucket.Bucket(), *e.ObjectKey,
		minio.RemoveObjectOptions{VersionID: *e.VersionId, GovernanceBypass: true}); err != nil {
		t.Fatal(err)
	}

	checked, failed, err := f.evidence.Recheck(ctx, 0, 100)
	if err != nil || checked != 2 || failed != 1 {
		t.Fatalf("recheck: %d checked, %d failed, %v; want 2, 1", checked, failed, err)
	}
	if events := custodyEvents(t, f.client, officer, gone); !slices.Contains(events, evid.EventIntegrityFailed) {
		t.Fatalf("custody of the missing original %v has no %s", events, evid.EventIntegrityFailed)
	}
	if events := custodyEvents(t, f.client, officer, intact); slices.Contains(events, evid.EventIntegrityFailed) {
		t.Fatalf("custody of the intact original %v has %s", events, evid.EventIntegrityFailed)
	}
	if res := f.client.Get("/v1/evidence/"+gone+"/content", officer); res.Status != http.StatusUnprocessableEntity {
		t.Fatalf("content of the failed item: %d %s, want 422", res.Status, res.Body)
	}
	if res := f.client.Get("/v1/evidence/"+intact+"/content", officer); res.Status != http.StatusOK {
		t.Fatalf("content of the intact item: %d", res.Status)
	}
	if st, _ := f.storedStatus(t, r.ID); st != "evidence_pending" {
		t.Fatalf("record whose file failed its re-hash = %s, want evidence_pending", st)
	}
	res := f.client.Get("/v1/inspections/review-queue", leader)
	var queue []struct {
		Record struct {
			ID string `json:"id"`
		} `json:"record"`
		Review     string `json:"review"`
		Assessment struct {
			Exceptions []struct{ Code, Subject string } `json:"exceptions"`
		} `json:"assessment"`
	}
	res.JSON(t, &queue)
	flagged := false
	for _, q := range queue {
		for _, ex := range q.Assessment.Exceptions {
			flagged = flagged || q.Record.ID == r.ID && ex.Code == inspection.ExEvidenceIntegrity && ex.Subject == photo.clientID
		}
	}
	if !flagged {
		t.Fatalf("review queue %s: want record %s flagged %s for %s", res.Body, r.ID, inspection.ExEvidenceIntegrity, photo.clientID)
	}
	// Neither is due again within the hour: one was just found intact, the
	// other is no longer served.
	if checked, failed, err := f.evidence.Recheck(ctx, time.Hour, 100); err != nil || checked != 0 || failed != 0 {
		t.Fatalf("second recheck: %d checked, %d failed, %v; want nothing due", checked, failed, err)
	}
}
