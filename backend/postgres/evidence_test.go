package postgres_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/postgres"
	"github.com/whistle/whistle/backend/postgres/pgtest"
)

// newUpload stores an uploading evidence item of a new user.
func newUpload(t *testing.T, db *postgres.DB, store *postgres.EvidenceStore, record string) evidence.Evidence {
	t.Helper()
	u, err := postgres.NewUserStore(db).PutUser(context.Background(), identity.User{Username: "u" + uuid.NewString()[:8],
		DisplayName: "officer", Role: org.RoleOfficer, PasswordHash: "x"})
	if err != nil {
		t.Fatal(err)
	}
	id := uuid.NewString()
	e := evidence.Evidence{ID: id, ClientID: uuid.NewString(), RecordClientID: record,
		UploaderID: u.ID, StreetCode: "st-a", Kind: evidence.KindPhoto, DeclaredContentType: evidence.TypeJPEG, Length: 10,
		DeclaredSHA256: strings.Repeat("ab", 32), CapturedAt: db.Clock(), CreatedAt: db.Clock()}
	up := evidence.Upload{EvidenceID: id, ExpiresAt: db.Clock().Add(time.Hour), S3Key: "uploads/" + id}
	e, err = store.CreateUpload(context.Background(), e, up, evidence.Started(e, up))
	if err != nil {
		t.Fatal(err)
	}
	return e
}

func TestEvidenceStore_Lease(t *testing.T) {
	ctx := context.Background()
	db, _ := pgtest.New(t)
	store := postgres.NewEvidenceStore(db)
	e := newUpload(t, db, store, "")
	a, b := uuid.NewString(), uuid.NewString()
	if _, _, err := store.AcquireUpload(ctx, e.ID, a, time.Minute); err != nil {
		t.Fatal(err)
	}
	t.Run("ErrLocked", func(t *testing.T) {
		if _, _, err := store.AcquireUpload(ctx, e.ID, b, time.Minute); derrors.CodeOf(err) != derrors.Locked {
			t.Fatalf("second writer: %v, want locked", err)
		}
		if _, err := store.AllocatePart(ctx, e.ID, b, "", time.Minute); derrors.CodeOf(err) != derrors.Locked {
			t.Fatalf("part without the lease: %v", err)
		}
		if err := store.SaveProgress(ctx, e.ID, b, evidence.Progress{Offset: 5}, time.Minute); derrors.CodeOf(err) != derrors.Locked {
			t.Fatalf("progress without the lease: %v", err)
		}
	})
	t.Run("PartsNeverReused", func(t *testing.T) {
		n1, err1 := store.AllocatePart(ctx, e.ID, a, "mp-1", time.Minute)
		n2, err2 := store.AllocatePart(ctx, e.ID, a, "mp-2", time.Minute)
		if err1 != nil || err2 != nil || n1 != 1 || n2 != 2 {
			t.Fatalf("parts %d %d (%v %v), want 1 2", n1, n2, err1, err2)
		}
		_, u, _ := store.Upload(ctx, e.ID)
		if u.S3UploadID != "mp-1" {
			t.Fatalf("multipart upload id %q, want the first", u.S3UploadID)
		}
	})
	t.Run("ExpiredLeaseTakenOver", func(t *testing.T) {
		if err := store.RenewLease(ctx, e.ID, a, time.Millisecond); err != nil {
			t.Fatal(err)
		}
		time.Sleep(5 * time.Millisecond)
		if _, _, err := store.AcquireUpload(ctx, e.ID, b, time.Minute); err != nil {
			t.Fatalf("taking over an expired lease: %v", err)
		}
		if _, err := store.AllocatePart(ctx, e.ID, a, "", time.Minute); derrors.CodeOf(err) != derrors.Locked {
			t.Fatalf("the old writer still allocates: %v", err)
		}
		if n, err := store.AllocatePart(ctx, e.ID, b, "", time.Minute); err != nil || n != 3 {
			t.Fatalf("new writer's part %d %v, want 3", n, err)
		}
		if err := store.ReleaseUpload(ctx, e.ID, a); err != nil { // a stale release changes nothing
			t.Fatal(err)
		}
		if _, _, err := store.AcquireUpload(ctx, e.ID, a, time.Minute); derrors.CodeOf(err) != derrors.Locked {
			t.Fatalf("stale release freed the lease: %v", err)
		}
	})
	t.Run("Progress", func(t *testing.T) {
		p := evidence.Progress{Offset: 7, HashState: []byte{1, 2, 3}, S3UploadID: "mp-1", Parts: []evidence.Part{{Number: 3, ETag: "x", Size: 5}},
			TailKey: "uploads/t", TailVersion: "v", TailSize: 2, ContentType: evidence.TypeJPEG, Head: &evidence.Head{Width: 4, Height: 3}}
		if err := store.SaveProgress(ctx, e.ID, b, p, time.Minute); err != nil {
			t.Fatal(err)
		}
		got, u, err := store.Upload(ctx, e.ID)
		if err != nil || u.Offset != 7 || string(u.HashState) != "\x01\x02\x03" || len(u.Parts) != 1 || u.Parts[0].Number != 3 ||
			u.TailSize != 2 || u.Head == nil || u.Head.Width != 4 || got.ContentType != evidence.TypeJPEG {
			t.Fatalf("upload %+v evidence %+v %v", u, got, err)
		}
	})
}

func TestEvidenceStore_CustodyAppendOnly(t *testing.T) {
	ctx := context.Background()
	db, _ := pgtest.New(t)
	store := postgres.NewEvidenceStore(db)
	e := newUpload(t, db, store, "")
	if err := store.RecordAccess(ctx, e.ID, evidence.Access{Event: evidence.EventViewed}); err != nil {
		t.Fatal(err)
	}
	if err := store.RecordAccess(ctx, e.ID, evidence.Access{Event: evidence.EventVerified}); derrors.CodeOf(err) != derrors.Invalid {
		t.Fatalf("an access that is a state change: %v", err)
	}
	for _, stmt := range []string{`UPDATE evidence_custody SET event = 'viewed'`, `DELETE FROM evidence_custody`} {
		if _, err := db.SQL.ExecContext(ctx, stmt); err == nil {
			t.Fatalf("%s was allowed", stmt)
		}
	}
	c, err := store.Custody(ctx, e.ID, 0, 100)
	if err != nil || len(c) != 3 || c[0].Event != evidence.EventDeclaredCapture || c[2].Event != evidence.EventViewed {
		t.Fatalf("custody %+v %v", c, err)
	}
}

func TestEvidenceStore_LinkRecord(t *testing.T) {
	ctx := context.Background()
	db, _ := pgtest.New(t)
	store := postgres.NewEvidenceStore(db)
	record := uuid.NewString()
	e := newUpload(t, db, store, record)
	token := uuid.NewString()
	if _, _, err := store.AcquireUpload(ctx, e.ID, token, time.Minute); err != nil {
		t.Fatal(err)
	}
	until := db.Clock().Add(time.Hour)
	o := evidence.Outcome{Status: evidence.StatusVerified, SHA256: e.DeclaredSHA256,
		ObjectKey: "evidence/sha256/" + e.DeclaredSHA256, VersionID: "v1", LockMode: "GOVERNANCE", RetainUntil: &until, Thumbnail: evidence.ThumbnailNone}
	if _, err := store.Finish(ctx, e.ID, token, o, evidence.Finished(e, o)); err != nil {
		t.Fatal(err)
	}
	o1, err := store.Orphans(ctx, "st-a", db.Clock().Add(time.Minute), time.Time{}, "", 100)
	if err != nil || len(o1) != 1 {
		t.Fatalf("orphans before the record: %d %v", len(o1), err)
	}
	// The page after the last orphan is empty: keyset paging on (completed_at, id).
	if o, err := store.Orphans(ctx, "st-a", db.Clock().Add(time.Minute), *o1[0].CompletedAt, o1[0].ID, 100); err != nil || len(o) != 0 {
		t.Fatalf("the page after the last orphan: %d %v", len(o), err)
	}
	// A record of another street naming the same client ids gets nothing.
	if n, err := store.LinkRecord(ctx, evidence.RecordRef{ID: record, StreetCode: "st-b"}); err != nil || n != 0 {
		t.Fatalf("link to another street's record: %d %v", n, err)
	}
	ref := evidence.RecordRef{ID: record, StreetCode: "st-a"}
	if n, err := store.LinkRecord(ctx, ref); err != nil || n != 1 {
		t.Fatalf("link: %d %v", n, err)
	}
	if n, err := store.LinkRecord(ctx, ref); err != nil || n != 0 {
		t.Fatalf("link again: %d %v, want nothing new", n, err)
	}
	es, err := store.EvidenceOfRecord(ctx, record)
	if err != nil || len(es) != 1 || es[0].Status != evidence.StatusVerified || es[0].LinkedAt == nil {
		t.Fatalf("evidence of record: %+v %v", es, err)
	}
	if o, _ := store.Orphans(ctx, "", db.Clock().Add(time.Minute), time.Time{}, "", 100); len(o) != 0 {
		t.Fatalf("linked evidence listed as orphan: %+v", o)
	}
	if _, err := store.EvidenceOfRecord(ctx, "nope"); derrors.CodeOf(err) != derrors.Invalid {
		t.Fatalf("bad record id: %v", err)
	}
}
