package media

import (
	"bytes"
	"context"
	"io"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/whistle/whistle/backend/derrors"
)

// The Object Lock retention modes, for PutLocked.
const (
	// Governance retention can be lifted early only by a user holding the
	// s3:BypassGovernanceRetention permission, asking for it explicitly.
	Governance = string(minio.Governance)
	// Compliance retention cannot be lifted or shortened by anyone, the
	// root user included, until it ends.
	Compliance = string(minio.Compliance)
)

// PutLocked writes body to key as a new object version retained under Object
// Lock until retainUntil in mode (Governance or Compliance), and returns the
// version id: that version cannot be deleted or overwritten before then. It
// is used for small records that must outlive a compromised database, such as
// the audit trail's signed chain heads. It returns derrors.Invalid for an
// unknown mode or a retention that has already ended, and
// derrors.Unavailable when the store fails.
func (s *Store) PutLocked(ctx context.Context, key string, body []byte, contentType string, retainUntil time.Time, mode string) (string, error) {
	m := minio.RetentionMode(mode)
	if !m.IsValid() {
		return "", derrors.Invalidf("mode", "retention mode %q is neither %s nor %s", mode, Governance, Compliance)
	}
	if !retainUntil.After(time.Now()) {
		return "", derrors.Invalidf("retain_until", "retention until %s has already ended", retainUntil.UTC().Format(time.RFC3339))
	}
	info, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(body), int64(len(body)), minio.PutObjectOptions{
		ContentType:     contentType,
		Mode:            m,
		RetainUntilDate: retainUntil.UTC(),
		// S3 refuses a locked write without an integrity check of the body.
		SendContentMd5: true,
	})
	if err != nil {
		return "", translate(err, "write locked object "+key)
	}
	return info.VersionID, nil
}

// GetObjectBytes returns the content of the current version of key, read
// whole into memory: it is meant for small objects such as anchored chain
// heads. It returns derrors.NotFound when there is no such object and
// derrors.Unavailable when the store fails.
func (s *Store) GetObjectBytes(ctx context.Context, key string) ([]byte, error) {
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{})
	if err != nil {
		return nil, translate(err, "read object "+key)
	}
	defer obj.Close()
	// minio-go sends the request on the first read, so a missing key is
	// reported here.
	b, err := io.ReadAll(obj)
	if err != nil {
		return nil, translate(err, "read object "+key)
	}
	return b, nil
}

// ListKeys lists the keys of the objects under prefix, in key order. It
// returns derrors.Unavailable when the store fails.
func (s *Store) ListKeys(ctx context.Context, prefix string) ([]string, error) {
	var keys []string
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, translate(obj.Err, "list "+prefix)
		}
		keys = append(keys, obj.Key)
	}
	return keys, nil
}
