package media

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"io"

	"golang.org/x/image/draw"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
)

// ThumbnailSize is the longest side of a thumbnail, in pixels.
const ThumbnailSize = 320

// MakeThumbnail decodes an image and returns a JPEG of it scaled to fit
// ThumbnailSize. Re-encoding writes pixels only: the thumbnail carries no
// EXIF (no position, no device) whatever the original had. The original is
// not touched. It returns derrors.UnsupportedMediaType if r is not an image
// of a known format or is larger than MaxThumbnailPixels.
func MakeThumbnail(r io.Reader) ([]byte, error) {
	var head bytes.Buffer
	cfg, _, err := image.DecodeConfig(io.TeeReader(r, &head))
	if err != nil {
		return nil, derrors.Wrap(err, derrors.UnsupportedMediaType, "not a decodable image")
	}
	if cfg.Width*cfg.Height > evidence.MaxThumbnailPixels {
		return nil, derrors.New(derrors.UnsupportedMediaType, "image of %d×%d is over the thumbnail limit", cfg.Width, cfg.Height)
	}
	src, _, err := image.Decode(io.MultiReader(&head, r))
	if err != nil {
		return nil, derrors.Wrap(err, derrors.UnsupportedMediaType, "not a decodable image")
	}
	b := src.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > h {
		w, h = ThumbnailSize, max(1, h*ThumbnailSize/w)
	} else {
		w, h = max(1, w*ThumbnailSize/h), ThumbnailSize
	}
	if b.Dx() <= ThumbnailSize && b.Dy() <= ThumbnailSize {
		w, h = b.Dx(), b.Dy()
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.ApproxBiLinear.Scale(dst, dst.Bounds(), src, b, draw.Src, nil)
	var out bytes.Buffer
	if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 80}); err != nil {
		return nil, derrors.Wrap(err, derrors.Internal, "encode thumbnail")
	}
	return out.Bytes(), nil
}

// DeriveThumbnail makes the thumbnail of the item evidenceID if it is
// still pending (backend/jobs runs it, one item per job, one job at a time:
// decoding is the largest allocation the service makes). An image that
// cannot be thumbnailed is marked unavailable, not retried; an error means
// the store failed (a missing original included) and the job is tried again.
func (s *Service) DeriveThumbnail(ctx context.Context, evidenceID string) error {
	e, err := s.ev.Evidence(ctx, evidenceID)
	if err != nil {
		return err
	}
	if e.Thumbnail != evidence.ThumbnailPending || e.Status != evidence.StatusVerified {
		return nil
	}
	state, key, err := s.thumbnail(ctx, e)
	if err != nil {
		return err
	}
	return s.ev.SetThumbnail(ctx, e.ID, state, key)
}

// FailThumbnail marks the thumbnail of the item evidenceID failed, with the
// reason, after the last attempt at it.
func (s *Service) FailThumbnail(ctx context.Context, evidenceID, reason string) error {
	return s.ev.FailThumbnail(ctx, evidenceID, reason)
}

// thumbnail makes and stores one thumbnail, or says why it is unavailable;
// an error means the store failed and the item stays pending.
func (s *Service) thumbnail(ctx context.Context, e evidence.Evidence) (state, key string, err error) {
	key = ThumbnailKey(e.SHA256)
	if _, err := s.store.stat(ctx, key); err == nil {
		return evidence.ThumbnailAvailable, key, nil // same bytes, thumbnail already derived
	}
	rc, err := s.store.open(ctx, e.ObjectKey, e.VersionID)
	if err != nil {
		return "", "", err
	}
	defer rc.Close()
	jpg, err := MakeThumbnail(rc)
	if err != nil {
		if derrors.CodeOf(err) == derrors.UnsupportedMediaType {
			s.log.WarnContext(ctx, "thumbnail", "evidence", e.ID, "err", err.Error())
			return "unavailable (not decodable)", "", nil
		}
		return "", "", err
	}
	if _, err := s.store.putSmall(ctx, key, jpg, evidence.TypeJPEG); err != nil {
		return "", "", err
	}
	return evidence.ThumbnailAvailable, key, nil
}
