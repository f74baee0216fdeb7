package api

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"slices"
	"strings"

	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/inspection"
)

// inspectionETag is the strong entity tag of a record's state: what a
// correction or a review must not overlook. The version alone would not
// do: a review and verified evidence change the record without a new
// version. Masking is not part of it: the tag names the record's state,
// which If-Match guards, and /v1 answers are never cached (no-store).
func inspectionETag(st inspection.State) string {
	var verified, reasons []string // nil and empty are one state
	if len(st.EvidenceVerified) > 0 {
		verified = slices.Sorted(slices.Values(st.EvidenceVerified))
	}
	if len(st.ReturnReasons) > 0 {
		reasons = st.ReturnReasons
	}
	b, _ := json.Marshal(struct {
		ID       string
		Version  int
		Review   inspection.Review
		Status   inspection.Status
		Verified []string
		Reasons  []string
		Excepted int
	}{st.Record.ID, st.Version, st.Review, st.Status, verified, reasons, len(st.Assessment.Exceptions)})
	sum := sha256.Sum256(b)
	return `"` + hex.EncodeToString(sum[:12]) + `"`
}

// checkIfMatch refuses a change of record id whose If-Match header (nil:
// none sent) names none of the record's current state, as the caller sees
// it: derrors.PreconditionFailed (412). The command's own version check
// (base_version, version) still decides against a change made in between.
func (s *server) checkIfMatch(ctx context.Context, ifMatch *string, id string) error {
	if ifMatch == nil {
		return nil
	}
	c, err := callerFrom(ctx)
	if err != nil {
		return err
	}
	st, err := s.inspections.Service.Get(ctx, c.user.ID, id)
	if err != nil {
		return err
	}
	current := inspectionETag(st)
	if etagMatches(*ifMatch, current) {
		return nil
	}
	return derrors.New(derrors.PreconditionFailed, "the record changed since it was read (If-Match %s, now %s): read it again", *ifMatch, current)
}

// etagMatches reports whether an If-Match header names current or is *, by strong comparison: a
// weak tag never matches.
func etagMatches(ifMatch, current string) bool {
	for tag := range strings.SplitSeq(ifMatch, ",") {
		if tag = strings.TrimSpace(tag); tag == "*" || tag == current {
			return true
		}
	}
	return false
}
