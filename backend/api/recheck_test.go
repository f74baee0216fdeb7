package api_test

import (
	"context"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	evid "github.com/whistle/whistle/backend/evidence"
)

// TestEvidenceRecheck_MissingVersion: the scheduled re-hash (the
// evidence.recheck job's work) finds the original whose verified version
// was removed from the store behind the server's back, records it as an
// integrity failure and stops serving it; the intact one is checked and
// not due again until its age comes round.
func TestEvidenceRecheck_MissingVersion(t *testing.T) {
	f := newFixture(t, options{demo: true})
	ctx := context.Background()
	officer := f.login(t, "officer.a", "whistle-demo")
	gone := upload(t, f.client, officer, newItem(testJPEG(t, 40, 30, 401, nil), "image/jpeg", "photo"))
	intact := upload(t, f.client, officer, newItem(testJPEG(t, 40, 30, 402, nil), "image/jpeg", "photo"))
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
	// Neither is due again within the hour: one was just found intact, the
	// other is no longer served.
	if checked, failed, err := f.evidence.Recheck(ctx, time.Hour, 100); err != nil || checked != 0 || failed != 0 {
		t.Fatalf("second recheck: %d checked, %d failed, %v; want nothing due", checked, failed, err)
	}
}
