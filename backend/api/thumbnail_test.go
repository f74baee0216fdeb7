package api_test

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

	evid "github.com/whistle/whistle/backend/evidence"
)

// TestThumbnails_MissingOriginal deletes the original of one of two photos
// from the object store: the other still gets its thumbnail, and the one
// whose original is gone ends failed, after bounded retries.
func TestThumbnails_MissingOriginal(t *testing.T) {
	f := newFixture(t, options{demo: true})
	ctx := context.Background()
	officer := f.login(t, "officer.a", "whistle-demo")
	missing := upload(t, f.client, officer, newItem(testJPEG(t, 40, 30, 301, nil), "image/jpeg", "photo"))
	other := upload(t, f.client, officer, newItem(testJPEG(t, 40, 30, 302, nil), "image/jpeg", "photo"))
	// Someone holding the store's root credentials removes the locked
	// version (governance lets them).
	e := getEvidence(t, f.client, officer, missing)
	if err := f.bucket.Client().RemoveObject(ctx, f.bucket.Bucket(), *e.ObjectKey,
		minio.RemoveObjectOptions{VersionID: *e.VersionId, GovernanceBypass: true}); err != nil {
		t.Fatal(err)
	}

	f.workJobs(t)

	if got := getEvidence(t, f.client, officer, other); got.Thumbnail != evid.ThumbnailAvailable {
		t.Errorf("the other item's thumbnail is %q, want %q", got.Thumbnail, evid.ThumbnailAvailable)
	}
	got := getEvidence(t, f.client, officer, missing)
	if got.Thumbnail != evid.ThumbnailFailed || got.ThumbnailFailure == nil ||
		!strings.Contains(*got.ThumbnailFailure, "after 5 attempts") {
		t.Fatalf("the item without its original has thumbnail %q (%v), want failed after 5 attempts", got.Thumbnail, got.ThumbnailFailure)
	}
	t.Logf("failed: %s", *got.ThumbnailFailure)
	if events := custodyEvents(t, f.client, officer, missing); !slices.Contains(events, evid.EventThumbnailFailed) {
		t.Errorf("custody %v has no %s", events, evid.EventThumbnailFailed)
	}
}
