// Package media stores evidence (photos, video, audio, signature images) in an
// S3-compatible object store through minio-go, written against the plain S3
// API so that it runs on MinIO and on any S3 service with Object Lock.
//
// The evidence bucket is created with Object Lock, which also turns on
// versioning: originals, once locked, cannot be overwritten or deleted before
// their retention ends, not even by the store's administrator in compliance mode.
package media

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"go.opentelemetry.io/otel/trace"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/telemetry"
)

// Config says where the object store is and which bucket holds evidence.
type Config struct {
	Endpoint  string // host:port
	AccessKey string
	SecretKey string
	UseTLS    bool
	Region    string
	Bucket    string
	// PublicEndpoint (host:port) is the address of the store as phones
	// reach it, named in presigned download URLs only; the server never
	// calls it. Empty: Endpoint, for a store that phones reach as the
	// server does.
	PublicEndpoint string
	PublicUseTLS   bool
	// Tracing makes a client span of every call to the store (nil: none).
	Tracing trace.TracerProvider
}

// Store is the evidence object store.
type Store struct {
	client *minio.Client
	// signer signs presigned URLs for the public endpoint, with the same
	// credentials and region; it is client when there is none.
	signer *minio.Client
	bucket string
	region string
}

// New returns a Store for cfg. It does not contact the server.
func New(cfg Config) (*Store, error) {
	transport, err := minio.DefaultTransport(cfg.UseTLS)
	if err != nil {
		return nil, fmt.Errorf("object store %s: %w", cfg.Endpoint, err)
	}
	var rt http.RoundTripper = transport
	if cfg.Tracing != nil {
		rt = telemetry.S3Transport(cfg.Tracing, transport)
	}
	c, err := minio.New(cfg.Endpoint, &minio.Options{
		Creds:     credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
		Secure:    cfg.UseTLS,
		Region:    cfg.Region,
		Transport: rt,
		// Fail fast: callers (readiness, uploads) decide about retries themselves.
		MaxRetries: 1,
	})
	if err != nil {
		return nil, fmt.Errorf("object store %s: %w", cfg.Endpoint, err)
	}
	s := &Store{client: c, signer: c, bucket: cfg.Bucket, region: cfg.Region}
	if cfg.PublicEndpoint != "" {
		// The region is given, so presigning makes no call to the
		// public endpoint, which the server may not reach at all.
		s.signer, err = minio.New(cfg.PublicEndpoint, &minio.Options{
			Creds:  credentials.NewStaticV4(cfg.AccessKey, cfg.SecretKey, ""),
			Secure: cfg.PublicUseTLS,
			Region: cfg.Region,
		})
		if err != nil {
			return nil, fmt.Errorf("public object store address %s: %w", cfg.PublicEndpoint, err)
		}
	}
	return s, nil
}

// Bucket is the name of the evidence bucket.
func (s *Store) Bucket() string { return s.bucket }

// Client is the underlying minio-go client, for this package's tests and tools.
func (s *Store) Client() *minio.Client { return s.client }

// EnsureBucket creates the evidence bucket with Object Lock if it does not
// exist, and refuses (derrors.Conflict) an existing bucket without Object Lock,
// since evidence must never land where it could be overwritten.
func (s *Store) EnsureBucket(ctx context.Context) error {
	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return translate(err, "check evidence bucket")
	}
	if !exists {
		err := s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: s.region, ObjectLocking: true})
		if err != nil && minio.ToErrorResponse(err).Code != "BucketAlreadyOwnedByYou" {
			return translate(err, "create evidence bucket")
		}
	}
	enabled, _, _, _, err := s.client.GetObjectLockConfig(ctx, s.bucket)
	if err != nil && minio.ToErrorResponse(err).Code != "ObjectLockConfigurationNotFoundError" {
		return translate(err, "read object lock of evidence bucket")
	}
	if enabled != "Enabled" {
		return derrors.New(derrors.Conflict, "bucket %q exists without Object Lock; evidence needs a bucket created with Object Lock", s.bucket)
	}
	return nil
}

// Ping checks that the store answers and the evidence bucket exists.
func (s *Store) Ping(ctx context.Context) error {
	exists, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return translate(err, "object store unreachable")
	}
	if !exists {
		return derrors.New(derrors.Unavailable, "evidence bucket %q does not exist", s.bucket)
	}
	return nil
}

// translate turns minio-go errors into derrors codes; msg says what was being done.
func translate(err error, msg string) error {
	var netErr net.Error
	if errors.As(err, &netErr) || errors.Is(err, context.DeadlineExceeded) {
		return derrors.Wrap(err, derrors.Unavailable, msg)
	}
	switch minio.ToErrorResponse(err).Code {
	case "NoSuchKey", "NoSuchBucket", "NoSuchVersion":
		return derrors.Wrap(err, derrors.NotFound, msg)
	case "AccessDenied", "InvalidAccessKeyId", "SignatureDoesNotMatch":
		return derrors.Wrap(err, derrors.Unavailable, msg+": credentials refused")
	case "PreconditionFailed":
		return derrors.Wrap(err, derrors.Conflict, msg)
	}
	return derrors.Wrap(err, derrors.Unavailable, msg)
}
