// Package mediatest gives each test its own evidence bucket in the throwaway
// MinIO that `make test` starts (WHISTLE_TEST_S3_ENDPOINT and credentials).
// A test that calls New without it fails; it never skips.
package mediatest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"testing"

	"github.com/minio/minio-go/v7"

	"github.com/whistle/whistle/media"
)

// The variables `make test` exports.
const (
	EnvEndpoint  = "WHISTLE_TEST_S3_ENDPOINT"
	EnvAccessKey = "WHISTLE_TEST_S3_ACCESS_KEY"
	EnvSecretKey = "WHISTLE_TEST_S3_SECRET_KEY"
)

// Config returns the test object store's address and credentials with a new
// unique bucket name, failing t if the tests were not started by `make test`.
func Config(t testing.TB) media.Config {
	t.Helper()
	cfg := media.Config{
		Endpoint:  os.Getenv(EnvEndpoint),
		AccessKey: os.Getenv(EnvAccessKey),
		SecretKey: os.Getenv(EnvSecretKey),
		Region:    "us-east-1",
	}
	if cfg.Endpoint == "" || cfg.AccessKey == "" || cfg.SecretKey == "" {
		t.Fatalf("%s, %s and %s must be set: this test needs the MinIO that `make test` starts (run `make test`)", EnvEndpoint, EnvAccessKey, EnvSecretKey)
	}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	cfg.Bucket = "t-" + hex.EncodeToString(b)
	return cfg
}

// New returns a Store over a fresh bucket with Object Lock, emptied and
// removed at the end of t as far as retention allows.
func New(t testing.TB) *media.Store {
	t.Helper()
	cfg := Config(t)
	s, err := media.New(cfg)
	if err != nil {
		t.Fatalf("mediatest: %v", err)
	}
	if err := s.EnsureBucket(context.Background()); err != nil {
		t.Fatalf("mediatest: create bucket %s at %s: %v", cfg.Bucket, cfg.Endpoint, err)
	}
	t.Cleanup(func() { removeBucket(s) })
	return s
}

// removeBucket deletes every object version (bypassing governance retention)
// and the bucket. Objects under compliance retention stay: the whole MinIO is
// thrown away at the end of `make test`.
func removeBucket(s *media.Store) {
	ctx := context.Background()
	c := s.Client()
	for obj := range c.ListObjects(ctx, s.Bucket(), minio.ListObjectsOptions{Recursive: true, WithVersions: true}) {
		if obj.Err != nil {
			return
		}
		_ = c.RemoveObject(ctx, s.Bucket(), obj.Key, minio.RemoveObjectOptions{VersionID: obj.VersionID, GovernanceBypass: true})
	}
	_ = c.RemoveBucket(ctx, s.Bucket())
}
