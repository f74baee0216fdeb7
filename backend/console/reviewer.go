package console

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/whistle/whistle/backend/access"
	"github.com/whistle/whistle/backend/casework"
	"github.com/whistle/whistle/backend/evidence"
	"github.com/whistle/whistle/backend/org"
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
	Evidence []evidence.Evidence
	More     bool
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
	v := reviewCaseView{Case: r, Grant: g, Evidence: es}
	if len(es) > reviewSize {
		v.Evidence, v.More = es[:reviewSize], true
	}
	return c.render(ctx, fiber.StatusOK, "review-case", s, v)
}
