package media

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
)

// Recheck re-hashes the stored originals of up to limit verified items
// last found intact longer than age ago, by the exact version that was
// verified. An original whose bytes differ, or whose verified version is
// gone from the store, is recorded as an integrity failure (custody event
// and audit trail entry, an error in the log; the item is no longer
// served); an intact one gets its check time. It returns how many were
// checked and how many failed; an error (the store unreachable) ends the
// run, and the next run takes the rest.
func (s *Service) Recheck(ctx context.Context, age time.Duration, limit int) (checked, failed int, err error) {
	due, err := s.ev.DueForRecheck(ctx, age, limit)
	if err != nil {
		return 0, 0, err
	}
	for _, e := range due {
		ok, err := s.recheck(ctx, e)
		if err != nil {
			return checked, failed, fmt.Errorf("recheck evidence %s: %w", e.ID, err)
		}
		checked++
		if !ok {
			failed++
			continue
		}
		if err := s.ev.HashChecked(ctx, e.ID); err != nil {
			return checked, failed, err
		}
	}
	return checked, failed, nil
}

// recheck reads one original through Content (which hashes what it
// streams and records a mismatch itself) and reports whether it is intact.
func (s *Service) recheck(ctx context.Context, e evidence.Evidence) (bool, error) {
	rc, err := s.Content(ctx, e)
	if derrors.CodeOf(err) == derrors.NotFound {
		// The verified version is gone: as much an integrity failure as
		// other bytes under it.
		if ferr := s.ev.IntegrityFailed(ctx, e, "", 0); ferr != nil {
			return false, ferr
		}
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	var de *derrors.Error
	if errors.As(err, &de) && de.Code == derrors.EvidenceHashMismatch {
		return false, nil // recorded by the checked reader
	}
	return err == nil, err
}
