package media

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
)

// The key spaces of the evidence bucket.
const (
	// EvidencePrefix holds verified originals, named by their SHA-256: the
	// same bytes are stored once, however many evidence items they back.
	EvidencePrefix = "evidence/sha256/"
	// QuarantinePrefix holds the bytes of uploads whose hash did not match,
	// by upload id; never served as evidence.
	QuarantinePrefix = "quarantine/"
	// ThumbnailPrefix holds derived thumbnails (JPEG, no EXIF) by the
	// SHA-256 of their original.
	ThumbnailPrefix = "derived/thumb/"
	// UploadPrefix holds uploads in progress: the multipart object and the
	// staging objects of their tails.
	UploadPrefix = "uploads/"
)

// EvidenceKey is the key of the verified original with SHA-256 sum (hex).
func EvidenceKey(sum string) string { return EvidencePrefix + sum }

// ThumbnailKey is the key of the thumbnail of the original with SHA-256 sum.
func ThumbnailKey(sum string) string { return ThumbnailPrefix + sum + ".jpg" }

// core is the low-level S3 API of the client (multipart parts, checksummed puts).
func (s *Store) core() minio.Core { return minio.Core{Client: s.client} }

// putVerified writes data, whose SHA-256 is sum, to key under Object Lock,
// with ifAbsent only unless an object is already there (If-None-Match: *).
// The store checks the body against sum (the signed payload hash and
// x-amz-checksum-sha256, which it keeps with the version), so what it
// keeps is exactly what was verified. existed reports that the key was
// taken, in which case nothing was written.
func (s *Store) putVerified(ctx context.Context, key string, data []byte, sum, contentType, mode string, until time.Time, ifAbsent bool) (versionID string, existed bool, err error) {
	raw, err := hex.DecodeString(sum)
	if err != nil {
		return "", false, derrors.Wrap(err, derrors.Internal, "bad sha256")
	}
	opts := minio.PutObjectOptions{
		ContentType: contentType,
		// The hash is already known: sign it instead of hashing again.
		DisableContentSha256: true,
		UserMetadata:         map[string]string{"x-amz-checksum-sha256": base64.StdEncoding.EncodeToString(raw)},
	}
	if mode != "" {
		opts.Mode = minio.RetentionMode(mode)
		opts.RetainUntilDate = until.UTC()
	}
	if ifAbsent {
		opts.SetMatchETagExcept("*")
	}
	info, err := s.core().PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)), "", sum, opts)
	if err != nil {
		if minio.ToErrorResponse(err).Code == "PreconditionFailed" {
			return "", true, nil
		}
		return "", false, translate(err, "store "+key)
	}
	return info.VersionID, false, nil
}

// verifiedVersion returns the oldest version of key that holds exactly
// size bytes with SHA-256 sum (hex), or derrors.NotFound. A version is
// judged by the SHA-256 checksum the store keeps with it when there is
// one, and otherwise by reading it again: the newest version is whatever
// anyone with the store's credentials put last, never a proof.
func (s *Store) verifiedVersion(ctx context.Context, key, sum string, size int64) (string, error) {
	var versions []minio.ObjectInfo
	for o := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: key, WithVersions: true}) {
		if o.Err != nil {
			return "", translate(o.Err, "list versions of "+key)
		}
		if o.Key == key && !o.IsDeleteMarker && o.Size == size {
			versions = append(versions, o)
		}
	}
	slices.SortStableFunc(versions, func(a, b minio.ObjectInfo) int { return a.LastModified.Compare(b.LastModified) })
	raw, err := hex.DecodeString(sum)
	if err != nil {
		return "", derrors.Wrap(err, derrors.Internal, "bad sha256")
	}
	want := base64.StdEncoding.EncodeToString(raw)
	for _, v := range versions {
		info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{VersionID: v.VersionID, Checksum: true})
		if err != nil {
			return "", translate(err, "stat "+key)
		}
		if info.Size != size {
			continue
		}
		if info.ChecksumSHA256 != "" && !strings.Contains(info.ChecksumSHA256, "-") {
			if info.ChecksumSHA256 == want {
				return v.VersionID, nil
			}
			continue
		}
		got, err := s.hashVersion(ctx, key, v.VersionID)
		if err != nil {
			return "", err
		}
		if got == sum {
			return v.VersionID, nil
		}
	}
	return "", derrors.New(derrors.NotFound, "no version of %s holds the verified bytes", key)
}

// hashVersion reads a version of key and returns its SHA-256 (hex).
func (s *Store) hashVersion(ctx context.Context, key, versionID string) (string, error) {
	rc, err := s.open(ctx, key, versionID)
	if err != nil {
		return "", err
	}
	defer rc.Close()
	h := sha256.New()
	if _, err := io.Copy(h, rc); err != nil {
		return "", translate(err, "read "+key)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// stat returns the current version of key, or derrors.NotFound.
func (s *Store) stat(ctx context.Context, key string) (minio.ObjectInfo, error) {
	info, err := s.client.StatObject(ctx, s.bucket, key, minio.StatObjectOptions{})
	if err != nil {
		return info, translate(err, "stat "+key)
	}
	return info, nil
}

// ensureRetention extends the Object Lock retention of a version to until
// if it ends earlier, and returns the retention now in force. Retention can
// always be extended, never shortened.
func (s *Store) ensureRetention(ctx context.Context, key, versionID, mode string, until time.Time) (time.Time, error) {
	curMode, cur, err := s.client.GetObjectRetention(ctx, s.bucket, key, versionID)
	if err != nil && minio.ToErrorResponse(err).Code != "NoSuchObjectLockConfiguration" {
		return time.Time{}, translate(err, "read retention of "+key)
	}
	// A stricter mode is wanted when the bytes were first locked in
	// governance mode and are now held in compliance mode.
	upgrade := mode == Compliance && (curMode == nil || *curMode != minio.Compliance)
	if cur != nil && !cur.Before(until) && !upgrade {
		return *cur, nil
	}
	if cur != nil && cur.After(until) {
		until = *cur
	}
	m := minio.RetentionMode(mode)
	err = s.client.PutObjectRetention(ctx, s.bucket, key, minio.PutObjectRetentionOptions{
		Mode: &m, RetainUntilDate: &until, VersionID: versionID, GovernanceBypass: upgrade && curMode != nil,
	})
	if err != nil {
		return time.Time{}, translate(err, "extend retention of "+key)
	}
	return until, nil
}

// copyLocked copies a version of src to dst under Object Lock until until,
// server-side, and returns the new version.
func (s *Store) copyLocked(ctx context.Context, src, srcVersion, dst, contentType, mode string, until time.Time) (string, error) {
	info, err := s.client.CopyObject(ctx, minio.CopyDestOptions{
		Bucket: s.bucket, Object: dst,
		Mode: minio.RetentionMode(mode), RetainUntilDate: until.UTC(),
		ContentType: contentType, ReplaceMetadata: true,
	}, minio.CopySrcOptions{Bucket: s.bucket, Object: src, VersionID: srcVersion})
	if err != nil {
		return "", translate(err, "copy "+src+" to "+dst)
	}
	return info.VersionID, nil
}

// removeVersion deletes one version of key (an upload's working objects,
// never a locked original). A missing version is not an error.
func (s *Store) removeVersion(ctx context.Context, key, versionID string) error {
	err := s.client.RemoveObject(ctx, s.bucket, key, minio.RemoveObjectOptions{VersionID: versionID})
	if err != nil && minio.ToErrorResponse(err).Code != "NoSuchVersion" && minio.ToErrorResponse(err).Code != "NoSuchKey" {
		return translate(err, "remove "+key)
	}
	return nil
}

// putSmall writes data to key (no lock) and returns the version.
func (s *Store) putSmall(ctx context.Context, key string, data []byte, contentType string) (string, error) {
	info, err := s.client.PutObject(ctx, s.bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{
		ContentType: contentType, DisableMultipart: true,
	})
	if err != nil {
		return "", translate(err, "store "+key)
	}
	return info.VersionID, nil
}

// readInto fills dst with the first len(dst) bytes of a version of key.
func (s *Store) readInto(ctx context.Context, key, versionID string, dst []byte) error {
	obj, err := s.client.GetObject(ctx, s.bucket, key, minio.GetObjectOptions{VersionID: versionID})
	if err != nil {
		return translate(err, "read "+key)
	}
	defer obj.Close()
	if _, err := io.ReadFull(obj, dst); err != nil {
		return translate(err, "read "+key)
	}
	return nil
}

// open streams a version of key.
func (s *Store) open(ctx context.Context, key, versionID string) (io.ReadCloser, error) {
	rc, _, _, err := s.core().GetObject(ctx, s.bucket, key, minio.GetObjectOptions{VersionID: versionID})
	if err != nil {
		return nil, translate(err, "read "+key)
	}
	return rc, nil
}

// presign returns a URL that GETs a version of key for ttl, at the public
// endpoint of the store.
func (s *Store) presign(ctx context.Context, key, versionID, contentType string, ttl time.Duration) (*url.URL, error) {
	params := url.Values{}
	if versionID != "" {
		params.Set("versionId", versionID)
	}
	if contentType != "" {
		params.Set("response-content-type", contentType)
	}
	u, err := s.signer.PresignedGetObject(ctx, s.bucket, key, ttl, params)
	if err != nil {
		return nil, translate(err, "presign "+key)
	}
	return u, nil
}

// newMultipart starts a multipart upload of key.
func (s *Store) newMultipart(ctx context.Context, key string) (string, error) {
	id, err := s.core().NewMultipartUpload(ctx, s.bucket, key, minio.PutObjectOptions{ContentType: "application/octet-stream"})
	if err != nil {
		return "", translate(err, "start multipart upload of "+key)
	}
	return id, nil
}

// putPart uploads one part; the streaming signature checks it in transit.
func (s *Store) putPart(ctx context.Context, key, uploadID string, n int, data []byte) (string, error) {
	p, err := s.core().PutObjectPart(ctx, s.bucket, key, uploadID, n, bytes.NewReader(data), int64(len(data)), minio.PutObjectPartOptions{})
	if err != nil {
		return "", translate(err, "upload part of "+key)
	}
	return p.ETag, nil
}

// completeMultipart assembles the parts and returns the object's version.
func (s *Store) completeMultipart(ctx context.Context, key, uploadID string, parts []evidence.Part) (string, error) {
	cp := make([]minio.CompletePart, len(parts))
	for i, p := range parts {
		cp[i] = minio.CompletePart{PartNumber: p.Number, ETag: p.ETag}
	}
	info, err := s.core().CompleteMultipartUpload(ctx, s.bucket, key, uploadID, cp, minio.PutObjectOptions{})
	if err != nil {
		return "", translate(err, "complete multipart upload of "+key)
	}
	return info.VersionID, nil
}

// abortMultipart drops an unfinished multipart upload and its parts.
func (s *Store) abortMultipart(ctx context.Context, key, uploadID string) error {
	err := s.core().AbortMultipartUpload(ctx, s.bucket, key, uploadID)
	if err != nil && minio.ToErrorResponse(err).Code != "NoSuchUpload" {
		return translate(err, "abort multipart upload of "+key)
	}
	return nil
}
