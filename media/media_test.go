package media_test

import (
	"context"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/media"
	"github.com/whistle/whistle/media/mediatest"
)

func TestStore_EnsureBucket(t *testing.T) {
	ctx := context.Background()
	t.Run("OK", func(t *testing.T) {
		s := mediatest.New(t) // creates the bucket through EnsureBucket
		enabled, _, _, _, err := s.Client().GetObjectLockConfig(ctx, s.Bucket())
		if err != nil || enabled != "Enabled" {
			t.Fatalf("object lock = %q, %v; want Enabled", enabled, err)
		}
		v, err := s.Client().GetBucketVersioning(ctx, s.Bucket())
		if err != nil || !v.Enabled() {
			t.Fatalf("versioning = %+v, %v; want enabled", v, err)
		}
		if err := s.EnsureBucket(ctx); err != nil {
			t.Fatalf("second EnsureBucket: %v", err)
		}
		if err := s.Ping(ctx); err != nil {
			t.Fatalf("Ping: %v", err)
		}
	})
	t.Run("ErrBucketWithoutLock", func(t *testing.T) {
		cfg := mediatest.Config(t)
		s, err := media.New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Client().MakeBucket(ctx, cfg.Bucket, minio.MakeBucketOptions{}); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Client().RemoveBucket(ctx, cfg.Bucket) })
		if err := s.EnsureBucket(ctx); derrors.CodeOf(err) != derrors.Conflict {
			t.Fatalf("EnsureBucket on an unlocked bucket: %v, want conflict", err)
		}
	})
	t.Run("ErrUnreachable", func(t *testing.T) {
		s, err := media.New(media.Config{Endpoint: "127.0.0.1:1", AccessKey: "x", SecretKey: "xxxxxxxx", Bucket: "none"})
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Ping(ctx); derrors.CodeOf(err) != derrors.Unavailable {
			t.Fatalf("Ping: %v, want dependency_unavailable", err)
		}
	})
	t.Run("ErrMissingBucket", func(t *testing.T) {
		s, err := media.New(mediatest.Config(t))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Ping(ctx); derrors.CodeOf(err) != derrors.Unavailable {
			t.Fatalf("Ping without bucket: %v, want dependency_unavailable", err)
		}
	})
}
