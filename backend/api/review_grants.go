package api

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/audit"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/backend/grant"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/openapi"
)

// Review is what the API needs of department review: the grants, the evidence of a case's
// records, and the key that signs reviewers' download links.
type Review struct {
	Service *grant.Service
	// Evidence lists the items linked to a case's records.
	Evidence CaseEvidenceLister
	// LinkKey signs reviewers' download links (an HMAC key derived from the server's signing
	// key: see LinkKey).
	LinkKey []byte
}

// CaseEvidenceLister lists the evidence of a case's records, in pages.
type CaseEvidenceLister interface {
	CaseEvidence(ctx context.Context, caseID string, afterAt time.Time, afterID string, limit int) ([]evidence.Evidence, error)
}

// LinkKey derives the HMAC key of reviewers' download links from the server's signing key seed,
// so that the links need no secret of their own and end when the key is rotated.
func LinkKey(seed []byte) []byte {
	m := hmac.New(sha256.New, seed)
	m.Write([]byte("whistle evidence links v1"))
	return m.Sum(nil)
}

// linkTTL is the longest a reviewer's download link lasts (never past its grant).
const linkTTL = 5 * time.Minute

// link is what a reviewer's download link names: the item, the grant and the reviewer, and
// when it expires.
type link struct {
	Evidence, Grant, User string
	Expires               time.Time
}

// linkToken signs l: version 1, the three ids (16 bytes each), the expiry in Unix seconds, and
// the HMAC-SHA256 of all that, in unpadded base64url.
func linkToken(key []byte, l link) (string, error) {
	b := []byte{1}
	for _, id := range []string{l.Evidence, l.Grant, l.User} {
		u, err := uuid.Parse(id)
		if err != nil {
			return "", derrors.Wrap(err, derrors.Internal, "link id")
		}
		b = append(b, u[:]...)
	}
	b = binary.BigEndian.AppendUint64(b, uint64(l.Expires.Unix()))
	m := hmac.New(sha256.New, key)
	m.Write(b)
	return base64.RawURLEncoding.EncodeToString(m.Sum(b)), nil
}

// parseLink verifies a link token and its expiry at now; any failure is derrors.NotFound, like
// an unknown link.
func parseLink(key []byte, token string, now time.Time) (link, error) {
	gone := derrors.New(derrors.NotFound, "no such link (unknown, expired or revoked)")
	b, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil || len(b) != 1+48+8+sha256.Size || b[0] != 1 || len(key) == 0 {
		return link{}, gone
	}
	body, sum := b[:1+48+8], b[1+48+8:]
	m := hmac.New(sha256.New, key)
	m.Write(body)
	if !hmac.Equal(sum, m.Sum(nil)) {
		return link{}, gone
	}
	id := func(i int) string { return uuid.UUID(body[1+16*i : 1+16*(i+1)]).String() }
	l := link{Evidence: id(0), Grant: id(1), User: id(2), Expires: time.Unix(int64(binary.BigEndian.Uint64(body[49:])), 0)}
	if !now.Before(l.Expires) {
		return link{}, gone
	}
	return l, nil
}

// grantETag is the strong entity tag of a grant: its id and version, which every change moves.
func grantETag(g grant.Grant) *string {
	sum := sha256.Sum256(fmt.Appendf(nil, "grant:%s:%d", g.ID, g.Version))
	tag := `"` + hex.EncodeToString(sum[:12]) + `"`
	return &tag
}

// grantOut converts a grant for the API; live is judged at now.
func grantOut(g grant.Grant, now time.Time) openapi.ReviewGrant {
	out := openapi.ReviewGrant{Id: uuid.MustParse(g.ID), CaseId: uuid.MustParse(g.CaseID), DepartmentCode: g.DepartmentCode,
		GrantedAt: g.GrantedAt, ExpiresAt: g.ExpiresAt, Live: g.Live(now), RevokedAt: g.RevokedAt, RevokeReason: optional(g.RevokeReason),
		DownloadAllowed: g.DownloadAllowed, Unmasked: g.Unmasked, LegalBasis: optional(g.LegalBasis), Version: g.Version,
		CreatedBy: uuid.MustParse(g.CreatedBy)}
	if u, err := uuid.Parse(g.RevokedBy); err == nil {
		out.RevokedBy = &u
	}
	return out
}

// reviewConfigured refuses the review routes of a server built without them.
func (s *server) reviewConfigured() error {
	if s.review.Service == nil {
		return derrors.New(derrors.Unavailable, "department review is not configured")
	}
	return nil
}

// ListCaseGrants lists the review grants of a case the caller may see.
func (s *server) ListCaseGrants(ctx context.Context, req openapi.ListCaseGrantsRequestObject) (openapi.ListCaseGrantsResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.reviewConfigured(); err != nil {
		return nil, err
	}
	gs, err := s.review.Service.List(ctx, c.user.ID, req.Id.String())
	if err != nil {
		return nil, err
	}
	now := s.review.Service.Now()
	return openapi.ListCaseGrants200JSONResponse(convertAll(gs, func(g grant.Grant) openapi.ReviewGrant { return grantOut(g, now) })), nil
}

// onGrant makes a change of grant grantID of case caseID as the caller, after the If-Match
// check (ifMatch nil: none sent): the grant after the change and its entity tag.
func (s *server) onGrant(ctx context.Context, caseID, grantID string, ifMatch *string,
	change func(user string) (grant.Grant, error)) (openapi.ReviewGrant, *string, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return openapi.ReviewGrant{}, nil, err
	}
	if err := s.reviewConfigured(); err != nil {
		return openapi.ReviewGrant{}, nil, err
	}
	if ifMatch != nil {
		g, err := s.review.Service.Get(ctx, c.user.ID, caseID, grantID)
		if err != nil {
			return openapi.ReviewGrant{}, nil, err
		}
		if !matchesETag(*ifMatch, *grantETag(g)) {
			return openapi.ReviewGrant{}, nil, derrors.New(derrors.PreconditionFailed,
				"the grant changed since it was read (If-Match %s, now %s): read it again", *ifMatch, *grantETag(g))
		}
	}
	g, err := change(c.user.ID)
	if err != nil {
		return openapi.ReviewGrant{}, nil, err
	}
	return grantOut(g, s.review.Service.Now()), grantETag(g), nil
}

// matchesETag reports whether an If-Match header names current (or is `*`).
func matchesETag(ifMatch, current string) bool {
	for tag := range strings.SplitSeq(ifMatch, ",") {
		if tag = strings.TrimSpace(tag); tag == "*" || tag == current {
			return true
		}
	}
	return false
}

// ExtendReviewGrant moves a grant's expiry.
func (s *server) ExtendReviewGrant(ctx context.Context, req openapi.ExtendReviewGrantRequestObject) (openapi.ExtendReviewGrantResponseObject, error) {
	b := *req.Body
	out, tag, err := s.onGrant(ctx, req.Id.String(), req.GrantId.String(), req.Params.IfMatch, func(user string) (grant.Grant, error) {
		return s.review.Service.Extend(ctx, user, req.Id.String(), req.GrantId.String(), b.Version, b.Until.UTC(), b.Reason)
	})
	if err != nil {
		return nil, err
	}
	return openapi.ExtendReviewGrant200JSONResponse{Body: out, Headers: openapi.ExtendReviewGrant200ResponseHeaders{ETag: tag}}, nil
}

// RevokeReviewGrant ends a grant at once.
func (s *server) RevokeReviewGrant(ctx context.Context, req openapi.RevokeReviewGrantRequestObject) (openapi.RevokeReviewGrantResponseObject, error) {
	b := *req.Body
	out, tag, err := s.onGrant(ctx, req.Id.String(), req.GrantId.String(), req.Params.IfMatch, func(user string) (grant.Grant, error) {
		return s.review.Service.Revoke(ctx, user, req.Id.String(), req.GrantId.String(), b.Version, b.Reason)
	})
	if err != nil {
		return nil, err
	}
	return openapi.RevokeReviewGrant200JSONResponse{Body: out, Headers: openapi.RevokeReviewGrant200ResponseHeaders{ETag: tag}}, nil
}

// SetReviewGrantTerms changes what a grant allows.
func (s *server) SetReviewGrantTerms(ctx context.Context, req openapi.SetReviewGrantTermsRequestObject) (openapi.SetReviewGrantTermsResponseObject, error) {
	b := *req.Body
	out, tag, err := s.onGrant(ctx, req.Id.String(), req.GrantId.String(), req.Params.IfMatch, func(user string) (grant.Grant, error) {
		return s.review.Service.SetTerms(ctx, user, req.Id.String(), req.GrantId.String(), b.Version,
			grant.Terms{DownloadAllowed: b.DownloadAllowed, Unmasked: b.Unmasked, LegalBasis: deref(b.LegalBasis)})
	})
	if err != nil {
		return nil, err
	}
	return openapi.SetReviewGrantTerms200JSONResponse{Body: out, Headers: openapi.SetReviewGrantTerms200ResponseHeaders{ETag: tag}}, nil
}

// ListCaseEvidence lists the evidence of a case's records for those who may see it: the case's
// viewers who see its street's evidence (its officers and team leader, administrators) and the
// reviewers of a department under a live grant.
func (s *server) ListCaseEvidence(ctx context.Context, req openapi.ListCaseEvidenceRequestObject) (openapi.ListCaseEvidenceResponseObject, error) {
	sc, c, err := s.scope(ctx)
	if err != nil {
		return nil, err
	}
	if err := s.reviewConfigured(); err != nil {
		return nil, err
	}
	pg, err := pageOf("case-evidence", req.Params.Cursor, req.Params.Limit)
	if err != nil {
		return nil, err
	}
	r, err := s.cases.Service.Get(ctx, c.user.ID, req.Id.String())
	if err != nil {
		return nil, err
	}
	if sc.Role != org.RoleDeptReviewer && !access.Evidence(sc, "", r.StreetCode, nil) {
		return nil, derrors.New(derrors.NotFound, "no case %s", req.Id)
	}
	after := position{}
	if pg.after != nil {
		after = *pg.after
	}
	es, err := s.review.Evidence.CaseEvidence(ctx, r.ID, after.At, after.ID, pg.fetch())
	if err != nil {
		return nil, err
	}
	es, next := cut(pg, es, func(e evidence.Evidence) position { return position{At: e.CreatedAt, ID: e.ID} })
	return openapi.ListCaseEvidence200JSONResponse{Body: convertAll(es, evidenceOut),
		Headers: openapi.ListCaseEvidence200ResponseHeaders{Link: nextLink(ctx, pg, next)}}, nil
}

// reviewerLink answers a reviewer's download URL: a link to this server, signed, for the item
// and grant g, until the earlier of linkTTL and the grant's expiry.
func (s *server) reviewerLink(ctx context.Context, e evidence.Evidence, g access.Grant) (openapi.CreateEvidenceDownloadURLResponseObject, error) {
	c, err := callerFrom(ctx)
	if err != nil {
		return nil, err
	}
	expires := s.now().Add(linkTTL).Truncate(time.Second)
	if g.ExpiresAt.Before(expires) {
		expires = g.ExpiresAt.Truncate(time.Second)
	}
	token, err := linkToken(s.review.LinkKey, link{Evidence: e.ID, Grant: g.ID, User: c.user.ID, Expires: expires})
	if err != nil {
		return nil, err
	}
	// Minting is not the download: each use of the link logs its own.
	err = s.evidence.Service.RecordAccess(ctx, e.ID, evidence.Access{Event: evidence.EventViewed,
		Detail: map[string]any{"what": "download_link", "grant_id": g.ID, "expires_at": expires.UTC().Format(time.RFC3339)}})
	if err != nil {
		return nil, err
	}
	return openapi.CreateEvidenceDownloadURL201JSONResponse{Url: "/v1/evidence/links/" + token, ExpiresAt: expires.UTC()}, nil
}

// GetEvidenceLink streams the original a reviewer's link names, if the link is good and its
// grant still live and allowing download; anything else answers 404 at once.
func (s *server) GetEvidenceLink(ctx context.Context, req openapi.GetEvidenceLinkRequestObject) (openapi.GetEvidenceLinkResponseObject, error) {
	if err := s.reviewConfigured(); err != nil {
		return nil, err
	}
	if s.evidence.Service == nil || s.evidence.Media == nil {
		return nil, derrors.New(derrors.Unavailable, "evidence is not configured")
	}
	l, err := parseLink(s.review.LinkKey, req.Token, s.now())
	if err != nil {
		return nil, err
	}
	gone := derrors.New(derrors.NotFound, "no such link (unknown, expired or revoked)")
	sc, err := s.org.Scope(ctx, l.User, s.now())
	if err != nil || sc.Role != org.RoleDeptReviewer {
		return nil, gone
	}
	e, err := s.evidence.Service.Evidence(ctx, l.Evidence)
	if err != nil {
		return nil, gone
	}
	g, err := s.review.Service.LiveOnRecord(ctx, l.Grant, sc.DepartmentCode, e.LinkedRecordID)
	if err != nil {
		return nil, gone
	}
	if a := g.Access(); !access.Evidence(sc, e.UploaderID, e.StreetCode, &a) || !access.EvidenceContent(sc, &a) {
		return nil, gone
	}
	ctx = audit.WithActor(ctx, audit.Actor{UserID: l.User, RequestID: requestIDFrom(ctx)})
	res, err := s.streamOriginal(ctx, e, map[string]any{"via": "grant_link", "grant_id": g.ID})
	if err != nil {
		return nil, err
	}
	return res, nil
}
