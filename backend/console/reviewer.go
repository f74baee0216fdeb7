package console

import (
	"context"
	"io"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/google/uuid"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/derrors"
	"github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/backend/identity"
	"github.com/whistle/whistle/backend/org"
	"github.com/whistle/whistle/backend/review"
)

// Grants reads a department's live review grants on cases, as the API's
// case routes judge a reviewer's access (grant.Service).
type Grants interface {
	LiveGrants(ctx context.Context, department string, caseIDs []string, at time.Time) (map[string]access.Grant, error)
}

// CaseEvidence lists the evidence of a case's records, as GET
// /v1/cases/{id}/evidence reads it.
type CaseEvidence interface {
	CaseEvidence(ctx context.Context, caseID string, afterAt time.Time, afterID string, limit int) ([]evidence.Evidence, error)
}

// reviewSize is how many cases, and evidence items of a case, the
// reviewer's pages show.
const reviewSize = 100

// reviewListView is the department reviewer's list of cases.
type reviewListView struct {
	Reviewer bool // the user is a department reviewer
	Cases    []reviewedCase
	More     bool
}

// reviewedCase is a case routed to the reviewer's department with the live
// grant that lets the reviewer see it.
type reviewedCase struct {
	Case  casework.Record
	Grant access.Grant
}

// reviewConfigured reports whether the reviewer's pages have their services.
func (c *Console) reviewConfigured() bool {
	return c.cfg.Cases != nil && c.cfg.Grants != nil && c.cfg.CaseEvidence != nil
}

// reviewList shows a department reviewer the cases routed to the
// department under a live grant (casework List, as GET /v1/cases lists
// them to a reviewer), each with its grant's expiry.
func (c *Console) reviewList(ctx *fiber.Ctx, s *session) error {
	sc, err := c.cfg.Org.Scope(ctx.UserContext(), s.user.ID, c.cfg.Now())
	if err != nil {
		return c.fail(ctx, s, err)
	}
	v := reviewListView{Reviewer: sc.Role == org.RoleDeptReviewer && c.reviewConfigured()}
	if !v.Reviewer {
		return c.render(ctx, fiber.StatusOK, "review", s, v)
	}
	list, err := c.cfg.Cases.List(ctx.UserContext(), s.user.ID, casework.ListQuery{Limit: reviewSize + 1})
	if err != nil {
		return c.fail(ctx, s, err)
	}
	if len(list) > reviewSize {
		list, v.More = list[:reviewSize], true
	}
	ids := make([]string, len(list))
	for i, r := range list {
		ids[i] = r.ID
	}
	grants, err := c.cfg.Grants.LiveGrants(ctx.UserContext(), sc.DepartmentCode, ids, c.cfg.Now())
	if err != nil {
		return c.fail(ctx, s, err)
	}
	for _, r := range list {
		if g, ok := grants[r.ID]; ok { // the list's filter is judged again on the grant itself
			v.Cases = append(v.Cases, reviewedCase{Case: r, Grant: g})
		}
	}
	return c.render(ctx, fiber.StatusOK, "review", s, v)
}

// reviewCaseView is a case's evidence as its reviewer sees it.
type reviewCaseView struct {
	Case     casework.Record
	Grant    access.Grant
	Evidence []reviewedItem
	More     bool
	Reviews  []review.Review // the case's reviews, newest first
	Reasons  []review.Reason // the reasons of the return form
}

// reviewedItem is an evidence item of the case with its custody log.
type reviewedItem struct {
	evidence.Evidence
	Custody []evidence.CustodyEntry
}

// reviewCase shows a department reviewer a case's evidence items (as GET
// /v1/cases/{id}/evidence lists them): a case without the department's live
// grant is not found, as in the API.
func (c *Console) reviewCase(ctx *fiber.Ctx, s *session) error {
	sc, err := c.cfg.Org.Scope(ctx.UserContext(), s.user.ID, c.cfg.Now())
	if err != nil {
		return c.fail(ctx, s, err)
	}
	if sc.Role != org.RoleDeptReviewer || !c.reviewConfigured() {
		return c.render(ctx, fiber.StatusNotFound, "error", s, errorView{Status: fiber.StatusNotFound})
	}
	r, err := c.cfg.Cases.Get(ctx.UserContext(), s.user.ID, ctx.Params("id"))
	if err != nil {
		return c.fail(ctx, s, err)
	}
	grants, err := c.cfg.Grants.LiveGrants(ctx.UserContext(), sc.DepartmentCode, []string{r.ID}, c.cfg.Now())
	if err != nil {
		return c.fail(ctx, s, err)
	}
	g, ok := grants[r.ID]
	if !ok {
		return c.render(ctx, fiber.StatusNotFound, "error", s, errorView{Status: fiber.StatusNotFound})
	}
	es, err := c.cfg.CaseEvidence.CaseEvidence(ctx.UserContext(), r.ID, time.Time{}, "", reviewSize+1)
	if err != nil {
		return c.fail(ctx, s, err)
	}
	v := reviewCaseView{Case: r, Grant: g}
	if len(es) > reviewSize {
		es, v.More = es[:reviewSize], true
	}
	for _, e := range es {
		it := reviewedItem{Evidence: e}
		if c.cfg.Evidence != nil {
			if it.Custody, err = c.cfg.Evidence.Custody(ctx.UserContext(), s.user, s.claims, e.ID); err != nil {
				return c.fail(ctx, s, err)
			}
		}
		v.Evidence = append(v.Evidence, it)
	}
	if c.cfg.Reviews != nil {
		if v.Reviews, err = c.cfg.Reviews.List(ctx.UserContext(), s.user.ID, r.ID, nil, reviewSize); err != nil {
			return c.fail(ctx, s, err)
		}
	}
	v.Reasons = returnReasons
	return c.render(ctx, fiber.StatusOK, "review-case", s, v)
}

// Stream is an evidence item's bytes to send on, as the API streams them.
type Stream struct {
	Body        io.ReadCloser
	ContentType string
	Length      int64 // -1 if unknown
}

// EvidenceViews reaches an item's thumbnail, original and custody log for
// the signed-in user through the API's own evidence routes (same access
// rules, every view on the custody log).
type EvidenceViews interface {
	Thumbnail(ctx context.Context, u identity.User, cl identity.Claims, id string) (Stream, error)
	Content(ctx context.Context, u identity.User, cl identity.Claims, id string) (Stream, error)
	Custody(ctx context.Context, u identity.User, cl identity.Claims, id string) ([]evidence.CustodyEntry, error)
}

// CustodySize is how many entries of an item's custody log the case page shows.
const CustodySize = 100

// evidenceThumbnail streams an item's thumbnail (GET /v1/evidence/{id}/thumbnail's path).
func (c *Console) evidenceThumbnail(ctx *fiber.Ctx, s *session) error {
	return c.stream(ctx, s, c.cfg.Evidence.Thumbnail)
}

// evidenceContent streams an item's original (GET /v1/evidence/{id}/content's
// path): a view-only grant is refused (403), as in the API.
func (c *Console) evidenceContent(ctx *fiber.Ctx, s *session) error {
	return c.stream(ctx, s, c.cfg.Evidence.Content)
}

func (c *Console) stream(ctx *fiber.Ctx, s *session, open func(context.Context, identity.User, identity.Claims, string) (Stream, error)) error {
	if c.cfg.Evidence == nil {
		return c.render(ctx, fiber.StatusNotFound, "error", s, errorView{Status: fiber.StatusNotFound})
	}
	st, err := open(ctx.UserContext(), s.user, s.claims, ctx.Params("id"))
	if err != nil {
		return c.fail(ctx, s, err)
	}
	ctx.Set(fiber.HeaderContentType, st.ContentType)
	ctx.Set(fiber.HeaderCacheControl, "private, no-store")
	ctx.Status(fiber.StatusOK)
	ctx.Context().SetBodyStream(st.Body, int(st.Length))
	return nil
}

// returnReasons are the reasons a reviewer may give for an item, in the form's order.
var returnReasons = []review.Reason{review.ReasonUnreadable, review.ReasonMissingAngle, review.ReasonWrongTime, review.ReasonWrongSubject, review.ReasonOther}

// reviewEvidence is the reviewer's form: accept the case's evidence, or
// return it with a reason per item chosen (reason_{id}, note_{id}); it
// calls review.Service.Create, as POST /v1/cases/{id}/evidence-reviews
// does, and shows the case again.
func (c *Console) reviewEvidence(ctx *fiber.Ctx, s *session) error {
	if c.cfg.Reviews == nil || !c.reviewConfigured() {
		return c.render(ctx, fiber.StatusNotFound, "error", s, errorView{Status: fiber.StatusNotFound})
	}
	caseID := ctx.Params("id")
	req := review.Request{Verdict: review.VerdictAccepted}
	if ctx.FormValue("verdict") == string(review.VerdictReturned) {
		req.Verdict = review.VerdictReturned
		es, err := c.cfg.CaseEvidence.CaseEvidence(ctx.UserContext(), caseID, time.Time{}, "", reviewSize)
		if err != nil {
			return c.fail(ctx, s, err)
		}
		for _, e := range es {
			if r := ctx.FormValue("reason_" + e.ID); r != "" {
				req.Items = append(req.Items, review.Item{EvidenceID: e.ID, Reason: review.Reason(r), Note: strings.TrimSpace(ctx.FormValue("note_" + e.ID))})
			}
		}
	}
	_, err := c.cfg.Reviews.Create(ctx.UserContext(), s.user.ID, caseID, uuid.NewString(), req)
	if derrors.CodeOf(err) == derrors.Invalid {
		return c.render(ctx, fiber.StatusUnprocessableEntity, "error", s, errorView{Status: fiber.StatusUnprocessableEntity, Key: "review-form"})
	}
	if err != nil {
		return c.fail(ctx, s, err)
	}
	return ctx.Redirect(Prefix+"/review/cases/"+caseID, fiber.StatusSeeOther)
}
