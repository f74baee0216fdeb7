package media_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/media"
	"github.com/whistle/whistle/media/mediatest"
)

func TestStore_PutLocked(t *testing.T) {
	ctx := context.Background()
	body := []byte(`{"chain":"district","seq":7}`)

	t.Run("OK", func(t *testing.T) {
		s := mediatest.New(t)
		key := "audit/heads/district/00000000000000000007-0123456789abcdef.json"
		until := time.Now().Add(time.Hour)
		version, err := s.PutLocked(ctx, key, body, "application/json", until, media.Governance)
		if err != nil {
			t.Fatalf("PutLocked: %v", err)
		}
		if version == "" {
			t.Fatal("PutLocked returned no version id")
		}
		mode, retain, err := s.Client().GetObjectRetention(ctx, s.Bucket(), key, version)
		if err != nil || mode == nil || *mode != minio.Governance || retain == nil || retain.Before(until.Add(-time.Second)) {
			t.Fatalf("retention = %v until %v, %v; want GOVERNANCE until %v", mode, retain, err, until)
		}

		// The root user, without asking to bypass governance, cannot delete
		// the locked version ...
		err = s.Client().RemoveObject(ctx, s.Bucket(), key, minio.RemoveObjectOptions{VersionID: version})
		if err == nil {
			t.Fatal("RemoveObject of a locked version succeeded")
		}
		t.Logf("RemoveObject refused: %v", err)
		// ... nor overwrite it: a new write is a new version, the locked one stays.
		if _, err := s.Client().PutObject(ctx, s.Bucket(), key, bytes.NewReader([]byte("forged")), 6, minio.PutObjectOptions{SendContentMd5: true}); err != nil {
			t.Fatalf("PutObject of a new version: %v", err)
		}
		obj, err := s.Client().GetObject(ctx, s.Bucket(), key, minio.GetObjectOptions{VersionID: version})
		if err != nil {
			t.Fatal(err)
		}
		defer obj.Close()
		var got bytes.Buffer
		if _, err := got.ReadFrom(obj); err != nil || !bytes.Equal(got.Bytes(), body) {
			t.Fatalf("locked version reads %q, %v; want %q", got.Bytes(), err, body)
		}
	})
	t.Run("ErrMode", func(t *testing.T) {
		s := mediatest.New(t)
		_, err := s.PutLocked(ctx, "k", body, "application/json", time.Now().Add(time.Hour), "FOREVER")
		if derrors.CodeOf(err) != derrors.Invalid {
			t.Fatalf("PutLocked with a bad mode: %v, want validation_failed", err)
		}
	})
	t.Run("ErrRetentionOver", func(t *testing.T) {
		s := mediatest.New(t)
		_, err := s.PutLocked(ctx, "k", body, "application/json", time.Now().Add(-time.Minute), media.Governance)
		if derrors.CodeOf(err) != derrors.Invalid {
			t.Fatalf("PutLocked with retention in the past: %v, want validation_failed", err)
		}
	})
}

func TestStore_GetObjectBytes(t *testing.T) {
	ctx := context.Background()
	s := mediatest.New(t)
	t.Run("OK", func(t *testing.T) {
		body := []byte("signed head")
		if _, err := s.PutLocked(ctx, "a/b.json", body, "application/json", time.Now().Add(time.Hour), media.Governance); err != nil {
			t.Fatal(err)
		}
		got, err := s.GetObjectBytes(ctx, "a/b.json")
		if err != nil || !bytes.Equal(got, body) {
			t.Fatalf("GetObjectBytes = %q, %v; want %q", got, err, body)
		}
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		if _, err := s.GetObjectBytes(ctx, "no/such/key"); derrors.CodeOf(err) != derrors.NotFound {
			t.Fatalf("GetObjectBytes of a missing key: %v, want not_found", err)
		}
	})
}
